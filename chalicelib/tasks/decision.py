"""Workflow task: record the final decision (states Approve, Reject, Close, BlockClosure,
ReviewTimedOut). An approved sign-up creates the customer record; a completed closure marks
the relationship ended. Every write is idempotent, so a retried task changes nothing twice."""
from __future__ import annotations

from typing import Any

from chalicelib.aws import checkpoints, customers, documents
from chalicelib.domain.checkpoint import Checkpoint, CheckpointKind, CheckpointStatus, Decision, Reason, iso, utc_now
from chalicelib.domain.customer import CustomerRecord, customer_id_for
from chalicelib.domain.models import Application, Verdict, VerificationResult
from chalicelib.errors import PermanentTaskError
from chalicelib.services import retention

REVIEW_TIMED_OUT = "REVIEW_TIMED_OUT"


def run(checkpoint_id: str, event: dict[str, Any]) -> dict[str, Any]:
    checkpoint = checkpoints.get(checkpoint_id)
    try:
        outcome = CheckpointStatus(event.get("outcome"))
    except ValueError:
        outcome = None
    if outcome not in checkpoint.kind.outcomes:
        raise PermanentTaskError(f"a {checkpoint.kind.value} checkpoint cannot end {event.get('outcome')}")
    now = iso(utc_now())
    decision = Decision(outcome=outcome, reasons=_reasons(checkpoint, event.get("reason_code")),
                        decided_by=_decided_by(checkpoint, event.get("reason_code")), decided_at=now)
    customer_id = None
    if outcome == CheckpointStatus.APPROVED:
        customer_id = _create_customer(checkpoint, now)
    elif outcome == CheckpointStatus.CLOSED:
        customers.close(checkpoint.customer_id, now, checkpoint_id)
    elif outcome == CheckpointStatus.REJECTED:
        applicant = documents.get_json(checkpoint.request_key, Application).applicant
        retention.schedule_unopened_application(checkpoint_id, {applicant.nationality, applicant.address.country},
                                                utc_now())
    checkpoints.decide(checkpoint_id, decision, customer_id)
    return {"status": outcome.value}


def _decided_by(checkpoint: Checkpoint, reason_code: str | None) -> str:
    if reason_code == REVIEW_TIMED_OUT:
        return "review-timeout"
    return "reviewer" if checkpoint.review_decisions else "policy"


def _reasons(checkpoint: Checkpoint, reason_code: str | None) -> tuple[Reason, ...]:
    reasons: list[Reason] = []
    if reason_code == REVIEW_TIMED_OUT:
        reasons.append(Reason(code=REVIEW_TIMED_OUT, detail="no review decision within the policy's review time"))
    for review in reversed(checkpoint.review_decisions):
        reasons.append(Reason(code=f"REVIEW_{review.outcome.value.upper()}",
                              detail=f"decided by a compliance officer (level {review.level})"))
    for step in sorted(checkpoint.steps.values(), key=lambda s: s.finished_at):
        if step.verdict != Verdict.PASS:
            reasons.extend(step.reasons)
    return tuple(reasons)


def _create_customer(checkpoint: Checkpoint, now: str) -> str:
    if checkpoint.kind is not CheckpointKind.ONBOARDING:
        raise PermanentTaskError("only a sign-up creates a customer")
    identity, screening = checkpoint.steps.get("identity"), checkpoint.steps.get("screening")
    if not (identity and identity.result_key and screening and screening.result_key):
        raise PermanentTaskError("cannot approve a checkpoint without identity and screening results")
    application = documents.get_json(checkpoint.request_key, Application)
    record = CustomerRecord(
        customer_id=customer_id_for(checkpoint.checkpoint_id),
        created_at=now,
        onboarding_checkpoint_id=checkpoint.checkpoint_id,
        channel_name=checkpoint.owner,  # the authenticated channel: it alone may act for this customer
        profile=application.applicant,
        document=application.document,
        verification=documents.get_json(identity.result_key, VerificationResult),
        screening_result_key=screening.result_key,
        list_versions=checkpoint.list_versions,
        policy_version=checkpoint.policy_version,
    )
    customers.create_once(record)
    return record.customer_id
