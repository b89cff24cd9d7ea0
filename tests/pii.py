"""Every personal value the test suite sends, so the session can prove none of it leaked.

Bodies register themselves as the helpers build them (`applicant_body`, `new_customer`, and every
body posted through the `Api` helper); at the end of the session the embedded stack's teardown
scans every execution history and every line the service logged for all of them
(tests/embedded_fixtures.py). Values too short or too numeric to be told apart from ids and
tokens by a substring search (a 4-digit postcode, a 6-digit date) are left out; the full forms
(birth dates as YYYY-MM-DD, MRZ lines) are searched.
"""
from __future__ import annotations

import threading
from collections.abc import Iterable
from typing import Any

_lock = threading.Lock()
_values: set[str] = set()


def _searchable(value: str) -> bool:
    value = value.strip()
    return len(value) >= 5 and not (value.replace(" ", "").isdigit() and len(value) < 8)


def remember(values: Iterable[Any]) -> None:
    with _lock:
        _values.update(v.strip() for v in map(str, values) if v is not None and _searchable(str(v)))


def remember_person(given: str, family: str, *others: Any) -> None:
    parts = f"{given} {family}".replace("-", " ").split()
    remember([f"{given} {family}", given, family, *(p for p in parts if len(p) > 4), *others])


def remember_request(body: Any) -> None:
    """The personal fields of a sign-up or closure request (whatever else the body holds)."""
    if not isinstance(body, dict):
        return
    applicant, document = body.get("applicant"), body.get("document")
    if isinstance(applicant, dict):
        address = applicant.get("address") if isinstance(applicant.get("address"), dict) else {}
        remember_person(str(applicant.get("given_names", "")), str(applicant.get("family_name", "")),
                        applicant.get("email"), applicant.get("phone"), applicant.get("birth_date"),
                        address.get("line1"), address.get("postal_code"))
    if isinstance(document, dict):
        remember([document.get("number"), *(document.get("mrz") or [])])
    channel = body.get("channel")
    if isinstance(channel, dict):  # what the channel knows of the device and network (hashed at once)
        remember([channel.get("device_id"), channel.get("ip")])
    for tx in body.get("recent_transactions") or []:
        if isinstance(tx, dict) and isinstance(tx.get("counterparty"), dict):
            remember([tx["counterparty"].get("name"), tx["counterparty"].get("iban")])
    for service in body.get("linked_services") or []:
        if isinstance(service, dict):
            remember([service.get("counterparty")])
    remember([body.get("payout_iban"), body.get("reason_detail")])
    succession = body.get("succession")
    if isinstance(succession, dict) and isinstance(succession.get("representative"), dict):
        name = str(succession["representative"].get("name", ""))
        remember_person(*(name.split(" ", 1) if " " in name else (name, "")))


def values() -> frozenset[str]:
    with _lock:
        return frozenset(_values)
