"""How a checkpoint ends (the workflow's Approve, Reject, Close, BlockClosure, ReviewTimedOut, Stay,
Downgrade and MarkFailed steps). An approved sign-up creates the customer record; a completed
closure ends the relationship; a downgrade keeps a basic account and the relationship; an ended
closure leaves an identifier-free fact for churn analytics; a sign-up that did not become one
(rejected, or failed and so abandoned) is kept under its own retention rule. Every write is
idempotent, so a retried task changes nothing twice."""
from __future__ import annotations

import json
from typing import Any

from aws_lambda_powertools import Logger

from chalicelib.domain.checkpoint import (
    Checkpoint,
    CheckpointKind,
    CheckpointStatus,
    Decision,
    Failure,
    Reason,
    iso,
    utc_now,
)
from chalicelib.domain.closure import ClosureRequest
from chalicelib.domain.closure_plan import kept_account
from chalicelib.domain.customer import CustomerRecord, customer_id_for, partition_of
from chalicelib.domain.alert import ReportCase
from chalicelib.domain.models import Application, Verdict, VerificationResult
from chalicelib.domain.monitoring import report_case
from chalicelib.errors import Conflict, PermanentTaskError
from chalicelib.policies import monitoring_policy
from chalicelib.services import analytics, events, retention
from chalicelib.stores import AWS, Stores

REVIEW_TIMED_OUT = "REVIEW_TIMED_OUT"
DOCUMENTS_NOT_RECEIVED = "DOCUMENTS_NOT_RECEIVED"
CORRECTIONS_EXHAUSTED = "CORRECTIONS_EXHAUSTED"
CORRECTION_NOT_RECEIVED = "CORRECTION_NOT_RECEIVED"
WIN_BACK_ACCEPTED = "WIN_BACK_ACCEPTED"
BASIC_ACCOUNT_KEPT = "BASIC_ACCOUNT_KEPT"
# Reasons the workflow itself gives when it ends a checkpoint (not the result of a check).
WORKFLOW_REASONS = {
    REVIEW_TIMED_OUT: ("review-timeout", "no review decision within the policy's review time"),
    DOCUMENTS_NOT_RECEIVED: ("documents-timeout", "the documents did not all arrive within the policy's time"),
    CORRECTIONS_EXHAUSTED: ("policy", "the policy's corrections were used and the application still fails a check "
                                      "the customer can correct"),
    CORRECTION_NOT_RECEIVED: ("correction-timeout", "the application was not corrected within the policy's time"),
    WIN_BACK_ACCEPTED: ("customer", "the customer accepted the offer to stay"),
    BASIC_ACCOUNT_KEPT: ("customer", "the customer keeps a basic account; the other products are closed"),
}
_OWN_REASON = {CheckpointStatus.STAYED: WIN_BACK_ACCEPTED, CheckpointStatus.DOWNGRADED: BASIC_ACCOUNT_KEPT}
_MAX_CAUSE = 500
logger = Logger(service="checkpoint")


def record(checkpoint_id: str, outcome: str, reason_code: str | None = None, stores: Stores = AWS) -> CheckpointStatus:
    """End the checkpoint with `outcome` (one of its kind's two final decisions)."""
    checkpoint = stores.checkpoints.get(checkpoint_id)
    try:
        status = CheckpointStatus(outcome)
    except ValueError:
        status = None
    if status not in checkpoint.kind.outcomes:
        raise PermanentTaskError(f"a {checkpoint.kind.value} checkpoint cannot end {outcome}")
    now = iso(utc_now())
    reason_code = reason_code or _OWN_REASON.get(status)
    decision = Decision(outcome=status, reasons=_reasons(checkpoint, reason_code),
                        decided_by=_decided_by(checkpoint, reason_code), decided_at=now)
    customer_id, case = None, None
    if status == CheckpointStatus.APPROVED:
        customer_id = _create_customer(checkpoint, now, stores)
    elif status == CheckpointStatus.CLOSED:
        stores.customers.close(checkpoint.customer_id, now, checkpoint_id)  # once ScheduleRetention did: a no-op
    elif status == CheckpointStatus.DOWNGRADED:
        request = stores.documents.get_json(checkpoint.request_key, ClosureRequest)
        stores.customers.downgrade(checkpoint.customer_id, now, checkpoint_id, kept_account(request) or "")
    elif status == CheckpointStatus.REJECTED:
        retention.schedule_unopened_application(checkpoint_id, decided=True, stores=stores)
    elif status == CheckpointStatus.CONFIRMED:
        case = _confirm_match(checkpoint, stores)
    if checkpoint.kind is CheckpointKind.MONITORING:  # scheduled before the status says it is final
        retention.schedule_alert(checkpoint, stores)  # a retried task schedules the same, logging nothing new
    decided = stores.checkpoints.decide(checkpoint_id, decision, customer_id, case) or stores.checkpoints.get(checkpoint_id)
    events.publish_checkpoint_changes(checkpoint_id, stores, decided)
    if checkpoint.kind is CheckpointKind.OFFBOARDING:
        analytics.record_exit(decided, stores)
    return status


def _confirm_match(alert: Checkpoint, stores: Stores) -> ReportCase:
    """A monitoring alert confirmed as a true match: the customer is frozen (nothing paid out,
    settled or exported) and a report case opens with each report the policy says is owed. A
    relationship that ended while the alert waited is not frozen; the case opens all the same."""
    if alert.alert is None or alert.customer_id is None:
        raise PermanentTaskError("only a monitoring alert confirms a match")
    now = utc_now()
    try:
        stores.customers.freeze(alert.customer_id, iso(now), alert.checkpoint_id)
    except Conflict:
        logger.warning("confirmed match of a customer whose relationship has ended",
                       extra={"checkpoint_id": alert.checkpoint_id})
    return report_case(alert.checkpoint_id, alert.customer_id, alert.alert, now, retention.jurisdictions(),
                       monitoring_policy().report_cases)


def _decided_by(checkpoint: Checkpoint, reason_code: str | None) -> str:
    if reason_code in WORKFLOW_REASONS:
        return WORKFLOW_REASONS[reason_code][0]
    return "reviewer" if checkpoint.review_decisions else "policy"


def _reasons(checkpoint: Checkpoint, reason_code: str | None) -> tuple[Reason, ...]:
    reasons: list[Reason] = []
    if reason_code in WORKFLOW_REASONS:
        reasons.append(Reason(code=reason_code, detail=WORKFLOW_REASONS[reason_code][1]))
    for review in reversed(checkpoint.review_decisions):
        reasons.append(Reason(code=f"REVIEW_{review.outcome.value.upper()}",
                              detail=f"decided by a compliance officer (level {review.level})"))
    for step in sorted(checkpoint.steps.values(), key=lambda s: s.finished_at):
        if step.verdict != Verdict.PASS:
            reasons.extend(step.reasons)
    return tuple(reasons)


def _create_customer(checkpoint: Checkpoint, now: str, stores: Stores) -> str:
    if checkpoint.kind is not CheckpointKind.ONBOARDING:
        raise PermanentTaskError("only a sign-up creates a customer")
    identity, screening = checkpoint.steps.get("identity"), checkpoint.steps.get("screening")
    if not (identity and identity.result_key and screening and screening.result_key):
        raise PermanentTaskError("cannot approve a checkpoint without identity and screening results")
    application = stores.documents.get_json(checkpoint.request_key, Application)  # the latest correction
    customer_id = customer_id_for(checkpoint.checkpoint_id)
    record_ = CustomerRecord(
        customer_id=customer_id,
        created_at=now,
        onboarding_checkpoint_id=checkpoint.checkpoint_id,
        owner=checkpoint.owner,  # the authenticated channel: it alone may act for this customer
        profile=application.applicant,
        document=application.document,
        verification=identity.verification or stores.documents.get_json(identity.result_key, VerificationResult),
        screening_result_key=screening.result_key,
        list_versions=checkpoint.list_versions,
        policy_version=checkpoint.policy_version,
        monitoring_partition=partition_of(customer_id, monitoring_policy().shards.partitions),
        product=application.product,
        risk_rating=checkpoint.risk_rating,
    )
    stores.customers.create_once(record_)
    return record_.customer_id


def describe_error(error: Any) -> Failure:
    """The Step Functions error object {Error, Cause} as a short failure record. A Lambda
    error's Cause is the function's {errorMessage, errorType} JSON; keep its message."""
    error = error if isinstance(error, dict) else {}
    name = str(error.get("Error") or "UnknownError")[:128]
    cause = str(error.get("Cause") or "")
    try:
        parsed = json.loads(cause)
        if isinstance(parsed, dict) and "errorMessage" in parsed:
            cause = str(parsed["errorMessage"])
    except ValueError:
        pass
    return Failure(error=name, cause=cause[:_MAX_CAUSE])


def mark_failed(checkpoint_id: str, error: Any, stores: Stores = AWS) -> CheckpointStatus:
    """Record why the checkpoint failed (so none stays RUNNING); an abandoned sign-up's records
    fall under the rejected-application rule. Returns the checkpoint's status afterwards."""
    failure = describe_error(error)
    try:
        stores.checkpoints.fail(checkpoint_id, failure)
    except Conflict:
        logger.warning("checkpoint already final; failure not recorded", extra={"error": failure.error})
        return stores.checkpoints.status_of(checkpoint_id)
    events.publish_checkpoint_changes(checkpoint_id, stores)
    checkpoint = stores.checkpoints.get(checkpoint_id)
    if checkpoint.kind is CheckpointKind.ONBOARDING:
        _schedule_abandoned(checkpoint, stores)
    elif checkpoint.kind is CheckpointKind.MONITORING:
        retention.schedule_alert(checkpoint, stores)
    return CheckpointStatus.FAILED


def _schedule_abandoned(checkpoint: Checkpoint, stores: Stores) -> None:
    """A sign-up that failed technically was never decided: its records are `abandoned_application`.
    The checkpoint is already FAILED; a problem here is logged, not allowed to undo that."""
    try:
        retention.schedule_unopened_application(checkpoint.checkpoint_id, decided=False, stores=stores)
    except Exception as exc:  # noqa: BLE001 (recorded; the sweep owner reviews unscheduled records)
        logger.error("abandoned sign-up not scheduled for retention", extra={"error": type(exc).__name__})
