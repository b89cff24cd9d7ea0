"""Workflow task: settle what is kept, until when and under which rule, when a relationship
ends (state ScheduleRetention).

Every record the product holds for the customer is classified, given its keep-until date by
`chalicelib.domain.retention` (longest mandatory rule of the applicable jurisdictions wins),
stamped (S3 object tags and Object Lock for immutable classes; the customer item's schedule and,
for deletion, its TTL attribute), stored for the sweep and appended to the retention log."""
from __future__ import annotations

from collections import Counter
from typing import Any

from chalicelib.aws import checkpoints, customers, documents
from chalicelib.domain.checkpoint import Reason, Step, iso, utc_now
from chalicelib.domain.closure import ClosureRequest
from chalicelib.domain.models import Verdict
from chalicelib.domain.retention import Events, RecordClass, RecordRef, decide, jurisdictions_for
from chalicelib.policies import retention_rules
from chalicelib.services import retention

STEP = "retention"


def run(checkpoint_id: str, event: dict[str, Any]) -> dict[str, Any]:
    request = documents.get_json(documents.closure_request_key(checkpoint_id), ClosureRequest)
    customer = customers.get(request.customer_id)
    rules, now = retention_rules(), checkpoints.retention_anchor(checkpoint_id, utc_now())
    jurisdictions = jurisdictions_for({customer.profile.nationality, customer.profile.address.country}, rules)
    events, context = Events(relationship_end=now), {"checkpoint_id": checkpoint_id}
    decisions = retention.schedule([f"checkpoints/{customer.onboarding_checkpoint_id}/", f"checkpoints/{checkpoint_id}/",
                                    f"customers/{customer.customer_id}/"],
                                   customer.customer_id, jurisdictions, events, now, context)
    profile = decide(RecordRef(record_id=f"{retention.CUSTOMER_RECORD}{customer.customer_id}",
                               record_class=RecordClass.CDD_IDENTITY, created_at=customer.created_at,
                               customer_id=customer.customer_id), events, jurisdictions, rules, now)
    customers.stamp_retention(customer.customer_id, retention.schedule_of(profile), profile.ttl_epoch)
    retention.store_decisions([profile], jurisdictions, context)
    decisions.append(profile)
    by_class = Counter(d.record_class.value for d in decisions)
    detail = f"{len(decisions)} records scheduled under {', '.join(sorted(jurisdictions))} rules: " + \
        ", ".join(f"{n} {cls}" for cls, n in sorted(by_class.items()))
    checkpoints.record_step(checkpoint_id, Step(name=STEP, verdict=Verdict.PASS, finished_at=iso(now),
                                                reasons=(Reason(code="RETENTION_SCHEDULED", detail=detail),)))
    return {"status": "SCHEDULED", "records": len(decisions)}
