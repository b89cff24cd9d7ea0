"""Retention: what is kept, until when and under which rule (scheduled when a relationship ends,
or when a sign-up does not become one), the daily sweep, and legal holds.

Scheduling classifies every record the product holds for the customer, gives it its keep-until
date by `chalicelib.domain.retention` (the longest mandatory rule of the applicable jurisdictions
wins), stamps it (S3 object tags and Object Lock for immutable classes; the customer item's
schedule and, for deletion, its TTL attribute), stores it for the sweep and logs it.

The sweep reads due schedules page by page (oldest first), skips anything under legal hold,
erases or anonymises the rest, and marks each schedule done with a conditional write, so a
sweep that stops midway resumes where it stopped and a repeated one changes nothing twice.
Every decision is appended to the retention log."""
from __future__ import annotations

import hashlib
import json
from collections import Counter
from datetime import datetime, timedelta

from chalicelib.api.models import LegalHoldRequest
from chalicelib.domain.actors import Caller
from chalicelib.domain.anonymise import ANONYMISERS
from chalicelib.domain.audit_log import LogName
from chalicelib.domain.checkpoint import Reason, Step, iso, utc_now
from chalicelib.domain.closure import ClosureRequest, SoftExit
from chalicelib.domain.ids import new_id
from chalicelib.domain.legal_hold import LegalHold
from chalicelib.domain.models import Verdict
from chalicelib.domain.record_classes import classify_key
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
from chalicelib.errors import Refused
from chalicelib.policies import closure_policy, retention_rules
from chalicelib.services import access
from chalicelib.stores import AWS, Stores
from chalicelib.stores.audit_bucket import Event
from chalicelib.stores.document_bucket import closure_request_key

CUSTOMER_RECORD = "customer/"
STEP = "retention"


def schedule_of(decision: RetentionDecision) -> dict[str, str]:
    return {"record_class": decision.record_class.value, "rule": decision.rule_id, "action": decision.action.value,
            "keep_until": iso(decision.keep_until) if decision.keep_until else "pending",
            "status": decision.status.value}


def schedule(prefixes: list[str], customer_id: str | None, jurisdictions: set[str], events: Events,
             now: datetime, context: dict[str, str], record_class: RecordClass | None = None,
             stores: Stores = AWS) -> list[RetentionDecision]:
    """Decide, stamp (tags; Object Lock for immutable classes), store and log the retention of
    every object under `prefixes`; `record_class` overrides the classification by location."""
    rules = retention_rules()
    decisions = []
    for prefix in prefixes:
        for key, modified in stores.documents.keys_under(prefix):
            record = RecordRef(record_id=key, record_class=record_class or classify_key(key), created_at=modified,
                               customer_id=customer_id)
            decision = decide(record, events, jurisdictions, rules, now)
            stores.documents.stamp_retention(key, schedule_of(decision),
                                             decision.keep_until if decision.immutable else None)
            decisions.append(decision)
    store_decisions(decisions, jurisdictions, context, stores)
    return decisions


def store_decisions(decisions: list[RetentionDecision], jurisdictions: set[str], context: dict[str, str],
                    stores: Stores = AWS) -> None:
    """Store the schedules for the sweep and append the decisions to the retention log, once:
    a retried task (same context, same records) stores the same schedules and logs nothing new."""
    logged: list[Event] = []
    for decision in decisions:
        stores.schedules.save(decision)
        details = {**schedule_of(decision), **context, "jurisdictions": ",".join(sorted(jurisdictions)),
                   "policy_version": retention_rules().version}
        if decision.customer_id:
            details["customer_id"] = decision.customer_id
        logged.append(("scheduled", decision.record_id, details))
    once_key = hashlib.sha256(json.dumps([context, sorted(d.record_id for d in decisions)],
                                         sort_keys=True).encode()).hexdigest()
    stores.audit.append_all(LogName.RETENTION, logged, once_key=f"scheduled:{once_key}")


def _statements_until(request: ClosureRequest, closed_at: datetime) -> str:
    """Until when the customer's channel may still fetch statements after closure."""
    soft_exit = closure_policy().soft_exit
    if request.soft_exit is SoftExit.STATEMENTS_ACCESS:
        return iso(soft_exit.statements_access.period.after(closed_at))
    return iso(closed_at + timedelta(days=soft_exit.after_closure.channel_exports_days))


def schedule_closure(checkpoint_id: str, stores: Stores = AWS) -> Step:
    """The closure's ScheduleRetention step: the relationship ends now (the customer record is
    closed at the very instant every period runs from, so the export the closure builds next
    says so), and every record of the customer is scheduled from that end. A succession's
    relationship ends here too, once the estate's accounts are settled: never at the date of death."""
    request = stores.documents.get_json(closure_request_key(checkpoint_id), ClosureRequest)
    customer = stores.customers.get(request.customer_id)
    rules, now = retention_rules(), stores.checkpoints.retention_anchor(checkpoint_id, utc_now())
    stores.customers.close(customer.customer_id, iso(now), checkpoint_id, _statements_until(request, now))
    jurisdictions = jurisdictions_for({customer.profile.nationality, customer.profile.address.country}, rules)
    events, context = Events(relationship_end=now), {"checkpoint_id": checkpoint_id}
    if request.succession:
        context["relationship_end"] = "estate_settled"
    decisions = schedule([f"checkpoints/{customer.onboarding_checkpoint_id}/", f"checkpoints/{checkpoint_id}/",
                          f"customers/{customer.customer_id}/"],
                         customer.customer_id, jurisdictions, events, now, context, stores=stores)
    profile = decide(RecordRef(record_id=f"{CUSTOMER_RECORD}{customer.customer_id}",
                               record_class=RecordClass.CDD_IDENTITY, created_at=customer.created_at,
                               customer_id=customer.customer_id), events, jurisdictions, rules, now)
    stores.customers.stamp_retention(customer.customer_id, schedule_of(profile), profile.ttl_epoch)
    store_decisions([profile], jurisdictions, context, stores)
    decisions.append(profile)
    by_class = Counter(d.record_class.value for d in decisions)
    detail = f"{len(decisions)} records scheduled under {', '.join(sorted(jurisdictions))} rules: " + \
        ", ".join(f"{n} {cls}" for cls, n in sorted(by_class.items()))
    step = Step(name=STEP, verdict=Verdict.PASS, finished_at=iso(now),
                reasons=(Reason(code="RETENTION_SCHEDULED", detail=detail),))
    stores.checkpoints.record_step(checkpoint_id, step)
    return step


def schedule_unopened_application(checkpoint_id: str, countries: set[str], now: datetime,
                                  stores: Stores = AWS) -> int:
    """A sign-up that did not become a relationship (rejected, or failed and so abandoned):
    its records are `rejected_application`, counted from the decision."""
    rules, now = retention_rules(), stores.checkpoints.retention_anchor(checkpoint_id, now)
    decisions = schedule([f"checkpoints/{checkpoint_id}/"], None, jurisdictions_for(countries, rules),
                         Events(application_decided=now), now, {"checkpoint_id": checkpoint_id},
                         record_class=RecordClass.REJECTED_APPLICATION, stores=stores)
    return len(decisions)


def _execute(action: SweepAction, record_class: str, stores: Stores) -> str:
    """Carry out one action; returns what happened (erased, anonymised, review_due)."""
    if action.kind is SweepKind.REVIEW:
        return "review_due"
    if action.record_id.startswith(CUSTOMER_RECORD):
        if action.kind is SweepKind.DELETE:
            stores.customers.delete(action.record_id.removeprefix(CUSTOMER_RECORD))
            return "erased"
        return "review_due"  # the customer item has no anonymised form: a person decides
    if action.kind is SweepKind.DELETE:
        stores.documents.erase(action.record_id)
        return "erased"
    anonymiser = next((fn for cls, fn in ANONYMISERS.items() if cls.value == record_class), None)
    if anonymiser is None:
        return "review_due"
    stores.documents.replace(action.record_id, anonymiser(stores.documents.read_bytes(action.record_id)))
    return "anonymised"


def sweep(now: datetime, page_size: int = 100, stores: Stores = AWS) -> dict[str, int]:
    held = {h.target for h in stores.holds.active()}
    report: Counter[str] = Counter()
    for page in stores.schedules.due(now, page_size):
        classes = {d.record_id: d.record_class.value for d in page}
        report["evaluated"] += len(page)
        logged: list[Event] = []
        for action in sweep_plan(page, held, now):
            details = {"rule": action.rule_id, "keep_until": iso(action.keep_until), "swept_at": iso(now)}
            if action.customer_id:
                details["customer_id"] = action.customer_id
            if action.kind is SweepKind.SKIP_HELD:
                report["skipped"] += 1
                logged.append(("skipped", action.record_id, {**details, "why": "legal hold"}))
                continue
            outcome = _execute(action, classes[action.record_id], stores)
            if stores.schedules.finish(action.record_id, outcome, iso(utc_now())):
                report[outcome] += 1
                logged.append((outcome, action.record_id, details))
        stores.audit.append_all(LogName.RETENTION, logged)  # one log object per page
    return dict(report)


def place_hold(caller: Caller, request: LegalHoldRequest, stores: Stores = AWS) -> LegalHold:
    """Hold a customer (every record of theirs) or one scheduled record; nothing held is erased."""
    if request.customer_id:
        access.customer(caller, request.customer_id, stores)
    elif stores.schedules.schedule_of(request.record_id) is None:
        raise Refused("No retention schedule names this record.", code="UNKNOWN_RECORD", field="record_id",
                      reason="is not a scheduled record")
    hold = LegalHold(hold_id=new_id("lh"), customer_id=request.customer_id, record_id=request.record_id,
                     reason=request.reason, case_reference=request.case_reference, placed_by=caller.subject,
                     placed_at=iso(utc_now()))
    stores.holds.create(hold)
    if hold.customer_id:
        stores.customers.clear_ttl(hold.customer_id)  # DynamoDB TTL would delete the item whatever the hold
    stores.audit.append(LogName.RETENTION, "held", hold.target,
                        {"hold_id": hold.hold_id, "case_reference": hold.case_reference})
    return hold


def release_hold(caller: Caller, hold_id: str, stores: Stores = AWS) -> LegalHold:
    hold = stores.holds.release(hold_id, caller.subject, iso(utc_now()))
    stores.audit.append(LogName.RETENTION, "released", hold.target,
                        {"hold_id": hold_id, "case_reference": hold.case_reference})
    return hold
