"""Retention: what is kept, until when and under which rule, the daily sweep that erases what has
expired, and legal holds, which win over everything.

Every record the product writes about a person is scheduled: the S3 objects (applications,
document images, results, closure requests, transactions, export packages) and the DynamoDB
items (the customer, the checkpoints, the export records, the webhook deliveries). A record's
keep-until date comes from `chalicelib.domain.retention` under the law of where the bank is
established (the stage's setting) and what the policy adds explicitly; it is stamped on the
record (S3 tags and, for the immutable classes, Object Lock retention to that date; on an item
its schedule and DynamoDB TTL as AWS's backstop, never while a hold stands), stored for the sweep
and logged.

The sweep reads due schedules page by page, skips anything held, erases the rest (every version of
an object, the item) and marks each schedule done with a conditional write, so a stopped sweep
resumes and a repeated one changes nothing twice. It has no way around Object Lock: a record is
erased only once its lock has lapsed and no legal hold stands. Every decision is a retention-log
entry."""
from __future__ import annotations

import hashlib
import json
from collections import Counter
from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import Any

from chalicelib.api.models import LegalHoldRequest
from chalicelib.domain.actors import Caller
from chalicelib.domain.audit_log import LogName
from chalicelib.domain.checkpoint import Checkpoint, Reason, Step, iso, utc_now
from chalicelib.domain.closure import ClosureRequest, SoftExit, Transaction
from chalicelib.domain.customer import CustomerRecord
from chalicelib.domain.export_record import ExportRecord
from chalicelib.domain.identity_graph import DEVICE_KINDS
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
    applicable_jurisdictions,
    decide,
    sweep_plan,
)
from chalicelib.errors import Conflict, NotFound, Refused, UnknownCustomer
from chalicelib.policies import closure_policy, retention_rules
from chalicelib.services import access
from chalicelib.settings import get_settings
from chalicelib.stores import AWS, Stores
from chalicelib.stores.audit_bucket import Event
from chalicelib.stores.document_bucket import closure_request_key
from chalicelib.stores.identity_graph_table import DEVICE_RECORD
from chalicelib.stores.retention_table import decision_of
from chalicelib.stores.stored import RetainedItemStore

STEP = "retention"
# Records kept as DynamoDB items, by the prefix of their record id ("customer/cus_…").
CUSTOMER, CHECKPOINT, EXPORT, DELIVERY = "customer/", "checkpoint/", "export/", "webhook-delivery/"
CLEARANCE = "clearance/"
IDENTITY_GRAPH = "identity-graph/"  # <checkpoint id> (the person's links) or <checkpoint id>/device


def _items(stores: Stores) -> dict[str, RetainedItemStore]:
    return {CUSTOMER: stores.customers, CHECKPOINT: stores.checkpoints, EXPORT: stores.exports,
            DELIVERY: stores.deliveries, CLEARANCE: stores.clearances, IDENTITY_GRAPH: stores.identity_graph}


def _graph_records(checkpoint_id: str, person: RecordClass, device: RecordClass, created_at: datetime | str,
                   customer_id: str | None, stores: Stores) -> list[RecordRef]:
    """The sign-up's identity-graph links, as the records they are: what identifies the person (kept
    as `person`) and, if the channel passed any, the device id and network prefix (`device`)."""
    entries = stores.identity_graph.of_checkpoint(checkpoint_id)
    kinds = [(f"{IDENTITY_GRAPH}{checkpoint_id}", person, any(e.kind not in DEVICE_KINDS for e in entries)),
             (f"{IDENTITY_GRAPH}{checkpoint_id}{DEVICE_RECORD}", device, any(e.kind in DEVICE_KINDS for e in entries))]
    return [RecordRef(record_id=record_id, record_class=cls, created_at=created_at, customer_id=customer_id)
            for record_id, cls, present in kinds if present]


def _item_of(record_id: str, stores: Stores) -> tuple[RetainedItemStore, str] | None:
    for prefix, store in _items(stores).items():
        if record_id.startswith(prefix):
            return store, record_id.removeprefix(prefix)
    return None


def jurisdictions() -> set[str]:
    return applicable_jurisdictions(retention_rules(), get_settings().establishment)


def schedule_of(decision: RetentionDecision) -> dict[str, str]:
    return {"record_class": decision.record_class.value, "rule": decision.rule_id, "action": decision.action.value,
            "keep_until": iso(decision.keep_until) if decision.keep_until else "pending",
            "status": decision.status.value}


def _held(ref: RecordRef | RetentionDecision, targets: set[str]) -> bool:
    return ref.record_id in targets or (ref.customer_id is not None and ref.customer_id in targets)


def _stamp(decision: RetentionDecision, held: bool, stores: Stores) -> None:
    """Put the decision on the record itself: S3 tags and Object Lock (retention for the
    immutable classes, a legal hold while held); an item's schedule and TTL (none while held)."""
    item = _item_of(decision.record_id, stores)
    if item is not None:
        store, item_id = item
        store.stamp_retention(item_id, schedule_of(decision), None if held else decision.ttl_epoch)
        return
    stores.documents.stamp_retention(decision.record_id, schedule_of(decision),
                                     decision.keep_until if decision.immutable else None)
    if held:
        stores.documents.set_legal_hold(decision.record_id, True)


def record(records: Iterable[RecordRef], events: Events, now: datetime, context: dict[str, str],
           stores: Stores = AWS, *, log: bool = True) -> list[RetentionDecision]:
    """Decide, stamp, store and (unless `log` is off) log the retention of each record, once: a
    retried task (same context, same records) stores the same schedules and logs nothing new."""
    rules, where = retention_rules(), jurisdictions()
    held = {h.target for h in stores.holds.active()}
    decisions = []
    for ref in records:
        decision = decide(ref, events, where, rules, now)
        _stamp(decision, _held(ref, held), stores)
        decisions.append(decision)
    if decisions:
        stores.schedules.save(decisions)
    if log and decisions:
        logged: list[Event] = []
        for decision in decisions:
            details = {**schedule_of(decision), **context, "jurisdictions": ",".join(sorted(where)),
                       "policy_version": rules.version}
            if decision.customer_id:
                details["customer_id"] = decision.customer_id
            logged.append(("scheduled", decision.record_id, details))
        once_key = hashlib.sha256(json.dumps([context, sorted(d.record_id for d in decisions)],
                                             sort_keys=True).encode()).hexdigest()
        stores.audit.append_all(LogName.RETENTION, logged, once_key=f"scheduled:{once_key}")
    return decisions


def _objects(prefixes: Iterable[str], customer_id: str | None, stores: Stores,
             record_class: RecordClass | None = None, *, booking_dates: bool = True) -> list[RecordRef]:
    """The S3 objects under `prefixes`; a transactions file carries its latest booking date (unless
    `booking_dates` is off: who only needs to know which records exist does not read them)."""
    refs = []
    for prefix in prefixes:
        for key, modified in stores.documents.keys_under(prefix):
            cls = record_class or classify_key(key)
            dated = booking_dates and cls is RecordClass.TRANSACTIONS
            latest = _latest_booking(key, stores) if dated else None
            refs.append(RecordRef(record_id=key, record_class=cls, created_at=modified, customer_id=customer_id,
                                  transaction_date=latest))
    return refs


def _latest_booking(key: str, stores: Stores) -> datetime | None:
    latest = None
    for _, line in stores.documents.iter_lines(key):
        booked = Transaction.model_validate_json(line).booked_at
        latest = booked if latest is None or booked > latest else latest
    return latest


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
    now = stores.checkpoints.retention_anchor(checkpoint_id, utc_now())
    stores.customers.close(customer.customer_id, iso(now), checkpoint_id, _statements_until(request, now))
    context = {"checkpoint_id": checkpoint_id}
    if request.succession:
        context["relationship_end"] = "estate_settled"
    decisions = record(_records_of(customer, checkpoint_id, stores), Events(relationship_end=now), now, context,
                       stores)
    by_class = Counter(d.record_class.value for d in decisions)
    detail = f"{len(decisions)} records scheduled under {', '.join(sorted(jurisdictions()))} rules: " + \
        ", ".join(f"{n} {cls}" for cls, n in sorted(by_class.items()))
    step = Step(name=STEP, verdict=Verdict.PASS, finished_at=iso(now),
                reasons=(Reason(code="RETENTION_SCHEDULED", detail=detail),))
    stores.checkpoints.record_step(checkpoint_id, step)
    return step


def _records_of(customer: CustomerRecord, closure_id: str | None, stores: Stores, *,
                booking_dates: bool = True) -> list[RecordRef]:
    """Every record of the customer: the objects of their sign-up, their closure (once there is
    one) and under customers/<id>/ (transactions, export packages), their items, the screening
    matches a reviewer cleared for them and their decided monitoring alerts (both kept as
    screening results)."""
    prefixes = [f"checkpoints/{customer.onboarding_checkpoint_id}/", f"customers/{customer.customer_id}/"]
    if closure_id:
        prefixes.append(f"checkpoints/{closure_id}/")
    clearances = [RecordRef(record_id=f"{CLEARANCE}{c.clearance_id}", record_class=RecordClass.SCREENING_RESULTS,
                            created_at=c.granted_at, customer_id=customer.customer_id)
                  for c in stores.clearances.for_customer(customer.customer_id)]
    graph = _graph_records(customer.onboarding_checkpoint_id, RecordClass.CDD_IDENTITY, RecordClass.DEVICE_DATA,
                           customer.created_at, customer.customer_id, stores)
    alerts = [ref for alert_id in _scheduled_alerts(customer.customer_id, stores)
              for ref in _alert_records(alert_id, customer.customer_id, stores)]
    return [*_objects(prefixes, customer.customer_id, stores, booking_dates=booking_dates),
            *_customer_items(customer, closure_id), *clearances, *graph, *alerts]


def _scheduled_alerts(customer_id: str, stores: Stores) -> list[str]:
    """The monitoring alerts about the customer already scheduled (each is when it is decided):
    the checkpoint items of theirs kept as screening results."""
    return [item["record_id"].removeprefix(CHECKPOINT) for item in stores.schedules.of_customer(customer_id)
            if item["record_id"].startswith(CHECKPOINT) and item["record_class"] == RecordClass.SCREENING_RESULTS]


def _alert_records(alert_id: str, customer_id: str | None, stores: Stores) -> list[RecordRef]:
    """A monitoring alert's records: its screening result (checkpoints/<id>/) and its checkpoint
    item, made when the alert opened (the result's write)."""
    objects = _objects([f"checkpoints/{alert_id}/"], customer_id, stores, RecordClass.SCREENING_RESULTS)
    opened = min((o.created_at for o in objects), default=utc_now())
    return [*objects, RecordRef(record_id=f"{CHECKPOINT}{alert_id}", record_class=RecordClass.SCREENING_RESULTS,
                                created_at=opened, customer_id=customer_id)]


def schedule_alert(alert: Checkpoint, stores: Stores = AWS) -> int:
    """A monitoring alert once it is decided (CLEARED, CONFIRMED) or failed: its records are the
    customer's screening results, kept as the sign-up's are: from the end of the relationship
    (pending while it lasts; the closure's ScheduleRetention dates them) or, where the rule runs
    from the record's making (US), from the alert's opening. Returns how many were scheduled."""
    customer_id, now, end = alert.customer_id, utc_now(), None
    if customer_id:
        try:
            closed_at = stores.customers.get(customer_id).closed_at
            end = datetime.fromisoformat(closed_at.replace("Z", "+00:00")) if closed_at else None
        except NotFound:
            end = now  # the customer's own records are erased already: the alert's period runs from now
    refs = _alert_records(alert.checkpoint_id, customer_id, stores)
    return len(record(refs, Events(relationship_end=end), now, {"checkpoint_id": alert.checkpoint_id}, stores))


def _customer_items(customer: CustomerRecord, closure_id: str | None) -> list[RecordRef]:
    created = customer.created_at
    items = [
        RecordRef(record_id=f"{CUSTOMER}{customer.customer_id}", record_class=RecordClass.CDD_IDENTITY,
                  created_at=created, customer_id=customer.customer_id),
        RecordRef(record_id=f"{CHECKPOINT}{customer.onboarding_checkpoint_id}", record_class=RecordClass.CDD_IDENTITY,
                  created_at=created, customer_id=customer.customer_id),
    ]
    if closure_id:
        items.append(RecordRef(record_id=f"{CHECKPOINT}{closure_id}", record_class=RecordClass.CLOSURE_RECORD,
                               created_at=utc_now(), customer_id=customer.customer_id))
    return items


def schedule_unopened_application(checkpoint_id: str, decided: bool, stores: Stores = AWS) -> int:
    """A sign-up that did not become a relationship: refused (`decided`: rejected_application) or
    failed technically (abandoned_application); its records and its checkpoint, from then."""
    now = stores.checkpoints.retention_anchor(checkpoint_id, utc_now())
    cls = RecordClass.REJECTED_APPLICATION if decided else RecordClass.ABANDONED_APPLICATION
    refs = [*_objects([f"checkpoints/{checkpoint_id}/"], None, stores, record_class=cls),
            RecordRef(record_id=f"{CHECKPOINT}{checkpoint_id}", record_class=cls, created_at=now),
            *_graph_records(checkpoint_id, cls, cls, now, None, stores)]
    return len(record(refs, Events(application_decided=now), now, {"checkpoint_id": checkpoint_id}, stores))


def schedule_export(export: ExportRecord, stores: Stores = AWS) -> list[RetentionDecision]:
    """A package (and its record) when it is built, for a closing customer and an active one alike."""
    created = datetime.fromisoformat((export.ready_at or export.created_at).replace("Z", "+00:00"))
    refs = [RecordRef(record_id=export.package_key, record_class=RecordClass.EXPORT_PACKAGES, created_at=created,
                      customer_id=export.customer_id),
            RecordRef(record_id=f"{EXPORT}{export.export_id}", record_class=RecordClass.EXPORT_RECORD,
                      created_at=created, customer_id=export.customer_id)]
    return record(refs, Events(), utc_now(), {"export_id": export.export_id}, stores)


def schedule_delivery(delivery_id: str, customer_id: str | None, created_at: str, stores: Stores = AWS) -> None:
    """A webhook delivery, when it is recorded (not logged one by one: its erasure is)."""
    ref = RecordRef(record_id=f"{DELIVERY}{delivery_id}", record_class=RecordClass.WEBHOOK_DELIVERY,
                    created_at=datetime.fromisoformat(created_at.replace("Z", "+00:00")), customer_id=customer_id)
    record([ref], Events(), utc_now(), {"delivery_id": delivery_id}, stores, log=False)


def _execute(action: SweepAction, stores: Stores) -> str:
    """Carry out one action; returns what happened (erased, review_due)."""
    if action.kind is SweepKind.REVIEW:
        return "review_due"
    item = _item_of(action.record_id, stores)
    if item is not None:
        store, item_id = item
        store.delete(item_id)
    else:
        stores.documents.erase(action.record_id)
    return "erased"


def sweep(now: datetime, page_size: int = 100, stores: Stores = AWS) -> dict[str, int]:
    held = {h.target for h in stores.holds.active()}
    report: Counter[str] = Counter()
    for page in stores.schedules.due(now, page_size):
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
            try:
                outcome = _execute(action, stores)
            except Conflict:  # still under Object Lock: left scheduled, tried again next time
                report["still_locked"] += 1
                logged.append(("erase_refused", action.record_id, {**details, "why": "object lock"}))
                continue
            if stores.schedules.finish(action.record_id, outcome, iso(utc_now())):
                report[outcome] += 1
                logged.append((outcome, action.record_id, details))
        stores.audit.append_all(LogName.RETENTION, logged)  # one log object per page
    return dict(report)


# ---- legal holds ----

def _held_records(hold: LegalHold, stores: Stores) -> list[RetentionDecision]:
    """The scheduled records a hold covers: every record of its customer, or its one record."""
    if hold.customer_id:
        return [decision_of(item) for item in stores.schedules.of_customer(hold.customer_id)]
    item = stores.schedules.schedule_of(hold.record_id)
    return [decision_of(item)] if item else []


def _suspend(hold: LegalHold, stores: Stores) -> None:
    """Nothing a hold covers can be erased: its items lose their TTL, its objects get an S3 legal hold."""
    records = {d.record_id for d in _held_records(hold, stores)}
    if hold.customer_id:
        records |= {ref.record_id for ref in _known_records(hold.customer_id, stores)}
    for record_id in sorted(records):
        item = _item_of(record_id, stores)
        if item is not None:
            store, item_id = item
            store.clear_ttl(item_id)
        else:
            stores.documents.set_legal_hold(record_id, True)


def _resume(hold: LegalHold, stores: Stores) -> None:
    """What a released hold had suspended, as the schedules say (unless another hold still covers it)."""
    still = {h.target for h in stores.holds.active()}
    decisions = {d.record_id: d for d in _held_records(hold, stores)}
    records = set(decisions)
    if hold.customer_id:
        records |= {ref.record_id for ref in _known_records(hold.customer_id, stores)}
    for record_id in sorted(records):
        decision = decisions.get(record_id)
        owner = decision.customer_id if decision else hold.customer_id
        if record_id in still or (owner is not None and owner in still):
            continue  # another hold covers it
        item = _item_of(record_id, stores)
        if item is not None:
            if decision is not None:
                store, item_id = item
                store.stamp_retention(item_id, schedule_of(decision), decision.ttl_epoch)
        else:
            stores.documents.set_legal_hold(record_id, False)


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
    _suspend(hold, stores)
    stores.audit.append(LogName.RETENTION, "held", hold.target,
                        {"hold_id": hold.hold_id, "case_reference": hold.case_reference})
    return hold


def release_hold(caller: Caller, hold_id: str, stores: Stores = AWS) -> LegalHold:
    hold = stores.holds.release(hold_id, caller.subject, iso(utc_now()))
    _resume(hold, stores)
    stores.audit.append(LogName.RETENTION, "released", hold.target,
                        {"hold_id": hold_id, "case_reference": hold.case_reference})
    return hold


# ---- the retention report ----

def _known_records(customer_id: str, stores: Stores) -> list[RecordRef]:
    """The records of a customer who still exists, as schedule_closure would find them (without
    reading any: the transactions' booking dates are left out)."""
    try:
        customer = stores.customers.get(customer_id)
    except NotFound:
        return []
    return _records_of(customer, customer.offboarding_checkpoint_id, stores, booking_dates=False)


def report(caller: Caller, customer_id: str, stores: Stores = AWS) -> dict[str, Any]:
    """Every record of the customer the product knows: those scheduled (class, rule, keep-until,
    state: kept, held, review_due, erased at) and, while the relationship runs, those still waiting
    for its end (state pending, the rule that will govern), each with the retention-log entries that
    prove what happened to it (ids only). UnknownCustomer when the product knows nothing of them."""
    schedules = {item["record_id"]: item for item in stores.schedules.of_customer(customer_id)}
    unscheduled = [ref for ref in _known_records(customer_id, stores) if ref.record_id not in schedules]
    if not schedules and not unscheduled:
        raise UnknownCustomer("customer_id")
    held = {h.target for h in stores.holds.active()}
    customer_held = customer_id in held
    proof: dict[str, list[dict[str, Any]]] = {}
    for entry in stores.audit.entries(LogName.RETENTION):
        if entry.subject in schedules or entry.subject == customer_id:
            proof.setdefault(entry.subject, []).append({"sequence": entry.sequence, "event": entry.event,
                                                        "at": entry.at})
    records = []
    for record_id, item in sorted(schedules.items()):
        decision, status = decision_of(item), item.get("sweep_status", "scheduled")
        state = status if status in ("erased", "review_due") else (
            "held" if customer_held or record_id in held else "pending" if decision.keep_until is None else "kept")
        records.append(_reported(decision, state, item.get("swept_at") if status == "erased" else None,
                                 proof.get(record_id, [])))
    rules, where, now = retention_rules(), jurisdictions(), utc_now()
    for ref in unscheduled:
        decision = decide(ref, Events(), where, rules, now)
        records.append(_reported(decision, "held" if customer_held else "pending", None, []))
    return {"customer_id": customer_id, "held": customer_held, "holds": proof.get(customer_id, []),
            "jurisdictions": sorted(where), "policy_version": rules.version,
            "records": sorted(records, key=lambda r: r["record_id"])}


def _reported(decision: RetentionDecision, state: str, erased_at: str | None,
              log_entries: list[dict[str, Any]]) -> dict[str, Any]:
    return {"record_id": decision.record_id, "record_class": decision.record_class.value, "rule": decision.rule_id,
            "source": decision.source, "action": decision.action.value,
            "keep_until": iso(decision.keep_until) if decision.keep_until else None, "state": state,
            "erased_at": erased_at, "log_entries": log_entries}
