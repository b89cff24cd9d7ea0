"""Workflow task: settle what is kept, until when and under which rule, when a relationship
ends (state ScheduleRetention).

Every record the product holds for the customer is classified, given its keep-until date by
`chalicelib.domain.retention` (longest mandatory rule of the applicable jurisdictions wins),
stamped (S3 object tags and Object Lock for immutable classes; the customer item's schedule and,
for deletion, its TTL attribute), and each decision is appended to the retention log."""
from __future__ import annotations

from collections import Counter
from typing import Any

from chalicelib.aws import audit, checkpoints, customers, documents, retention_store
from chalicelib.domain.audit_log import LogName
from chalicelib.domain.checkpoint import Reason, Step, iso, utc_now
from chalicelib.domain.closure import ClosureRequest
from chalicelib.domain.models import Verdict
from chalicelib.domain.retention import Events, RecordClass, RecordRef, RetentionDecision, decide, jurisdictions_for
from chalicelib.policies import retention_rules

STEP = "retention"

# What each stored object is, by where it lives (see chalicelib/aws/documents.py for the layout).
_RESULT_CLASSES = {"identity.json": RecordClass.CDD_IDENTITY, "screening.json": RecordClass.SCREENING_RESULTS,
                   "exit_risk.json": RecordClass.CLOSURE_RECORD}


def classify_key(key: str) -> RecordClass:
    if "/transactions/" in key:
        return RecordClass.TRANSACTIONS
    if key.endswith("/closure-request.json"):
        return RecordClass.CLOSURE_RECORD
    if "/results/" in key:
        return _RESULT_CLASSES.get(key.rsplit("/", 1)[-1], RecordClass.CDD_IDENTITY)
    return RecordClass.CDD_IDENTITY  # the application and the document images


def _schedule(decision: RetentionDecision) -> dict[str, str]:
    return {"record_class": decision.record_class.value, "rule": decision.rule_id, "action": decision.action.value,
            "keep_until": iso(decision.keep_until) if decision.keep_until else "pending",
            "status": decision.status.value}


def run(checkpoint_id: str, event: dict[str, Any]) -> dict[str, Any]:
    request = documents.get_json(documents.closure_request_key(checkpoint_id), ClosureRequest)
    customer = customers.get(request.customer_id)
    rules, now = retention_rules(), utc_now()
    jurisdictions = jurisdictions_for({customer.profile.nationality, customer.profile.address.country}, rules)
    events = Events(relationship_end=now)
    prefixes = (f"checkpoints/{customer.onboarding_checkpoint_id}/", f"checkpoints/{checkpoint_id}/",
                f"customers/{customer.customer_id}/")
    decisions: list[RetentionDecision] = []
    for prefix in prefixes:
        for key, modified in documents.keys_under(prefix):
            record = RecordRef(record_id=key, record_class=classify_key(key), created_at=modified,
                               customer_id=customer.customer_id)
            decision = decide(record, events, jurisdictions, rules, now)
            documents.stamp_retention(key, _schedule(decision), decision.keep_until if decision.immutable else None)
            decisions.append(decision)
    profile = decide(RecordRef(record_id=f"customer/{customer.customer_id}", record_class=RecordClass.CDD_IDENTITY,
                               created_at=customer.created_at, customer_id=customer.customer_id),
                     events, jurisdictions, rules, now)
    customers.stamp_retention(customer.customer_id, _schedule(profile), profile.ttl_epoch)
    decisions.append(profile)
    for decision in decisions:
        retention_store.save(decision)
        audit.append(LogName.RETENTION, "scheduled", decision.record_id,
                     {**_schedule(decision), "customer_id": customer.customer_id, "checkpoint_id": checkpoint_id,
                      "jurisdictions": ",".join(sorted(jurisdictions)), "policy_version": rules.version})
    by_class = Counter(d.record_class.value for d in decisions)
    detail = f"{len(decisions)} records scheduled under {', '.join(sorted(jurisdictions))} rules: " + \
        ", ".join(f"{n} {cls}" for cls, n in sorted(by_class.items()))
    checkpoints.record_step(checkpoint_id, Step(name=STEP, verdict=Verdict.PASS, finished_at=iso(now),
                                                reasons=(Reason(code="RETENTION_SCHEDULED", detail=detail),)))
    return {"status": "SCHEDULED", "records": len(decisions)}
