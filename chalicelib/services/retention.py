"""Retention enforcement after scheduling: the daily sweep and legal holds.

The sweep reads due schedules page by page (oldest first), skips anything under legal hold,
erases or anonymises the rest, and marks each schedule done with a conditional write, so a
sweep that stops midway resumes where it stopped and a repeated one changes nothing twice.
Every decision is appended to the retention log."""
from __future__ import annotations

import uuid
from collections import Counter
from datetime import datetime
from typing import Any

from chalicelib.aws import audit, customers, documents, retention_store
from chalicelib.domain.anonymise import ANONYMISERS
from chalicelib.domain.audit_log import LogName
from chalicelib.domain.checkpoint import iso, utc_now
from chalicelib.domain.retention import SweepAction, SweepKind, sweep_plan

CUSTOMER_RECORD = "customer/"


def _execute(action: SweepAction, record_class: str) -> str:
    """Carry out one action; returns what happened (erased, anonymised, review_due)."""
    if action.kind is SweepKind.REVIEW:
        return "review_due"
    if action.record_id.startswith(CUSTOMER_RECORD):
        if action.kind is SweepKind.DELETE:
            customers.delete(action.record_id.removeprefix(CUSTOMER_RECORD))
            return "erased"
        return "review_due"  # the customer item has no anonymised form: a person decides
    if action.kind is SweepKind.DELETE:
        documents.erase(action.record_id)
        return "erased"
    anonymiser = next((fn for cls, fn in ANONYMISERS.items() if cls.value == record_class), None)
    if anonymiser is None:
        return "review_due"
    documents.replace(action.record_id, anonymiser(documents.read_bytes(action.record_id)))
    return "anonymised"


def sweep(now: datetime, page_size: int = 100) -> dict[str, int]:
    holds = retention_store.active_holds()
    held = {h.get("customer_id") or h.get("record_id") for h in holds}
    report: Counter[str] = Counter()
    for page in retention_store.due(now, page_size):
        classes = {d.record_id: d.record_class.value for d in page}
        report["evaluated"] += len(page)
        for action in sweep_plan(page, held, now):
            details = {"rule": action.rule_id, "keep_until": iso(action.keep_until), "swept_at": iso(now)}
            if action.customer_id:
                details["customer_id"] = action.customer_id
            if action.kind is SweepKind.SKIP_HELD:
                report["skipped"] += 1
                audit.append(LogName.RETENTION, "skipped", action.record_id, {**details, "why": "legal hold"})
                continue
            outcome = _execute(action, classes[action.record_id])
            if retention_store.finish(action.record_id, outcome, iso(utc_now())):
                report[outcome] += 1
                audit.append(LogName.RETENTION, outcome, action.record_id, details)
    return dict(report)


def place_hold(selector: dict[str, str], reason: str, case_reference: str, placed_by: str) -> dict[str, Any]:
    hold = {"hold_id": f"lh_{uuid.uuid4().hex}", **selector, "reason": reason, "case_reference": case_reference,
            "placed_by": placed_by, "placed_at": iso(utc_now())}
    retention_store.create_hold(hold)
    if customer_id := selector.get("customer_id"):
        customers.clear_ttl(customer_id)  # DynamoDB TTL would delete the item whatever the hold
    audit.append(LogName.RETENTION, "held", selector.get("customer_id") or selector["record_id"],
                 {"hold_id": hold["hold_id"], "case_reference": case_reference})
    return hold


def release_hold(hold_id: str, released_by: str) -> dict[str, Any]:
    hold = retention_store.release_hold(hold_id, released_by, iso(utc_now()))
    audit.append(LogName.RETENTION, "released", hold.get("customer_id") or hold["record_id"],
                 {"hold_id": hold_id, "case_reference": hold["case_reference"]})
    return hold
