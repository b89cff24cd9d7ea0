"""Retention enforcement after scheduling: the daily sweep and legal holds.

The sweep reads due schedules page by page (oldest first), skips anything under legal hold,
erases or anonymises the rest, and marks each schedule done with a conditional write, so a
sweep that stops midway resumes where it stopped and a repeated one changes nothing twice.
Every decision is appended to the retention log."""
from __future__ import annotations

import hashlib
import json
import uuid
from collections import Counter
from datetime import datetime
from typing import Any

from chalicelib.aws import audit, checkpoints, customers, documents, retention_store
from chalicelib.domain.anonymise import ANONYMISERS
from chalicelib.domain.audit_log import LogName
from chalicelib.domain.checkpoint import iso, utc_now
from chalicelib.domain.retention import (
    Events,
    RecordClass,
    RecordRef,
    RetentionDecision,
    SweepAction,
    SweepKind,
    decide,
    jurisdictions_for,
    sweep_plan,
)
from chalicelib.domain.record_classes import classify_key
from chalicelib.policies import retention_rules

CUSTOMER_RECORD = "customer/"

def schedule_of(decision: RetentionDecision) -> dict[str, str]:
    return {"record_class": decision.record_class.value, "rule": decision.rule_id, "action": decision.action.value,
            "keep_until": iso(decision.keep_until) if decision.keep_until else "pending",
            "status": decision.status.value}


def schedule(prefixes: list[str], customer_id: str | None, jurisdictions: set[str], events: Events,
             now: datetime, context: dict[str, str], record_class: RecordClass | None = None
             ) -> list[RetentionDecision]:
    """Decide, stamp (tags; Object Lock for immutable classes), store and log the retention of
    every object under `prefixes`; `record_class` overrides the classification by location."""
    rules = retention_rules()
    decisions = []
    for prefix in prefixes:
        for key, modified in documents.keys_under(prefix):
            record = RecordRef(record_id=key, record_class=record_class or classify_key(key), created_at=modified,
                               customer_id=customer_id)
            decision = decide(record, events, jurisdictions, rules, now)
            documents.stamp_retention(key, schedule_of(decision), decision.keep_until if decision.immutable else None)
            decisions.append(decision)
    store_decisions(decisions, jurisdictions, context)
    return decisions


def store_decisions(decisions: list[RetentionDecision], jurisdictions: set[str], context: dict[str, str]) -> None:
    """Store the schedules for the sweep and append the decisions to the retention log, once:
    a retried task (same context, same records) stores the same schedules and logs nothing new."""
    logged: list[audit.Event] = []
    for decision in decisions:
        retention_store.save(decision)
        details = {**schedule_of(decision), **context, "jurisdictions": ",".join(sorted(jurisdictions)),
                   "policy_version": retention_rules().version}
        if decision.customer_id:
            details["customer_id"] = decision.customer_id
        logged.append(("scheduled", decision.record_id, details))
    once_key = hashlib.sha256(json.dumps([context, sorted(d.record_id for d in decisions)],
                                         sort_keys=True).encode()).hexdigest()
    audit.append_all(LogName.RETENTION, logged, once_key=f"scheduled:{once_key}")


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
        logged: list[audit.Event] = []
        for action in sweep_plan(page, held, now):
            details = {"rule": action.rule_id, "keep_until": iso(action.keep_until), "swept_at": iso(now)}
            if action.customer_id:
                details["customer_id"] = action.customer_id
            if action.kind is SweepKind.SKIP_HELD:
                report["skipped"] += 1
                logged.append(("skipped", action.record_id, {**details, "why": "legal hold"}))
                continue
            outcome = _execute(action, classes[action.record_id])
            if retention_store.finish(action.record_id, outcome, iso(utc_now())):
                report[outcome] += 1
                logged.append((outcome, action.record_id, details))
        audit.append_all(LogName.RETENTION, logged)  # one log object per page
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


def schedule_unopened_application(checkpoint_id: str, countries: set[str], now: datetime) -> int:
    """A sign-up that did not become a relationship (rejected, or failed and so abandoned):
    its records are `rejected_application`, counted from the decision."""
    rules, now = retention_rules(), checkpoints.retention_anchor(checkpoint_id, now)
    decisions = schedule([f"checkpoints/{checkpoint_id}/"], None, jurisdictions_for(countries, rules),
                         Events(application_decided=now), now, {"checkpoint_id": checkpoint_id},
                         record_class=RecordClass.REJECTED_APPLICATION)
    return len(decisions)
