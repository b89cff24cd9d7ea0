"""Anonymisation of stored records whose retention rule says `anonymise` at expiry: what
identifies a person goes, what the bank may keep as aggregate or statistical data stays."""
from __future__ import annotations

import json
from collections.abc import Callable

from chalicelib.domain.retention import RecordClass

REDACTED = "[anonymised]"


def _transactions(body: bytes) -> bytes:
    """JSON lines of transactions: counterparty name and IBAN removed; amount, currency,
    direction, date and id kept."""
    out = []
    for line in body.splitlines():
        if line.strip():
            record = json.loads(line)
            record["counterparty"] = {"name": REDACTED}
            out.append(json.dumps(record, separators=(",", ":")).encode())
    return b"".join(line + b"\n" for line in out)


def _closure_record(body: bytes) -> bytes:
    """The closure request or its plan: free text, counterparties, the payout account and the
    representative's name removed; reason code, dates, accounts kept."""
    record = json.loads(body)
    for field in ("reason_detail", "payout_iban"):
        if field in record:
            record[field] = None
    if isinstance(record.get("succession"), dict):
        record["succession"]["representative"]["name"] = REDACTED
    for service in record.get("linked_services", []):
        service["counterparty"] = REDACTED
    for line in record.get("settlement", []):
        line["payout_iban"] = None
    return json.dumps(record, separators=(",", ":")).encode()


ANONYMISERS: dict[RecordClass, Callable[[bytes], bytes]] = {
    RecordClass.TRANSACTIONS: _transactions,
    RecordClass.CLOSURE_RECORD: _closure_record,
}
