"""Manual review, in both workflows: a checkpoint enters the queue (the ManualReview step), the
compliance queue explains why each one waits, and an officer's decision resumes the workflow."""
from __future__ import annotations

from datetime import datetime
from typing import Any

from chalicelib.domain.actors import Caller
from chalicelib.domain.checkpoint import Checkpoint, CheckpointStatus, ReviewDecision, ReviewOutcome, iso, utc_now
from chalicelib.domain.exit_risk import ExitRiskAssessment
from chalicelib.domain.fraud import FraudAssessment
from chalicelib.domain.models import Verdict
from chalicelib.domain.screening.result import ScreeningResult
from chalicelib.errors import Conflict, InvalidField
from chalicelib.domain.closure_plan import ClosurePlan
from chalicelib.policies import fraud_policy
from chalicelib.services import access, clearances, cursors, events, fraud, offboarding, risk
from chalicelib.stores import AWS, Stores
from chalicelib.stores.workflows import TaskTokenExpired

MAX_LEVEL = 2
_CURSOR_KEYS = {"checkpoint_id", "status", "created_at"}


def enter_review(checkpoint_id: str, task_token: str, level: int, stores: Stores = AWS) -> None:
    """Put the checkpoint in the queue at `level` with the task token that resumes its workflow;
    the reasons are those of the steps whose verdict was review."""
    checkpoint = stores.checkpoints.get(checkpoint_id)
    reasons = tuple(r for step in checkpoint.steps.values() if step.verdict == Verdict.REVIEW for r in step.reasons)
    stores.checkpoints.enter_review(checkpoint_id, task_token, reasons, level)
    events.publish_checkpoint_changes(checkpoint_id, stores)


def queue(caller: Caller, limit: int, cursor: str | None, stores: Stores = AWS) -> dict[str, Any]:
    """Checkpoints waiting for a decision, oldest first, each with why it waits."""
    entries, last = stores.checkpoints.in_review(limit, cursors.decode(cursor, _CURSOR_KEYS) if cursor else None)
    now = utc_now()
    items = []
    for entry in entries:
        since = entry.review_since or entry.created_at
        checkpoint = access.checkpoint(caller, entry.checkpoint_id, stores)
        items.append({
            "checkpoint_id": entry.checkpoint_id, "kind": entry.kind, "created_at": entry.created_at,
            "level": entry.review_level, "awaiting_decision": entry.awaiting_decision, "in_review_since": since,
            "age_seconds": int((now - datetime.fromisoformat(since.replace("Z", "+00:00"))).total_seconds()),
            "reasons": [r.model_dump() for r in entry.review_reasons],
            "explanation": explanation(checkpoint, stores),
            "links": {"checkpoint": f"/v1/checkpoints/{entry.checkpoint_id}",
                      "history": f"/v1/checkpoints/{entry.checkpoint_id}/history",
                      "decision": f"/v1/reviews/{entry.checkpoint_id}/decision"},
        })
    return {"items": items, "next": cursors.encode(last)}


def explanation(checkpoint: Checkpoint, stores: Stores = AWS) -> list[dict[str, Any]]:
    """Why a checkpoint is in review, from the stored results of the steps that sent it there:
    each screening match explained (listed name matched, per-component scores, adjustments, band,
    list version), each exit-risk red flag with its evidence (ids, amounts, masked IBANs), each fraud
    signal raised with its verdict and evidence (other checkpoints by id), and the customer risk
    rating with its factors, weights and sources (whenever there is one: it is why the reviewer
    looks as closely as they do)."""
    why: list[dict[str, Any]] = []
    for step in checkpoint.steps.values():
        if step.name == risk.STEP and checkpoint.risk_rating is not None:
            why.append({"step": step.name, "rating": checkpoint.risk_rating.model_dump(mode="json", exclude_none=True)})
            continue
        if step.verdict is not Verdict.REVIEW or not step.result_key:
            continue
        if step.name == "screening":
            screened = stores.documents.get_json(step.result_key, ScreeningResult)
            why.append({"step": step.name, "list_versions": screened.list_versions, "matches": [
                {"subject": subject.subject, **match.model_dump(mode="json")}
                for subject in screened.subjects for match in subject.matches]})
        elif step.name == fraud.STEP:
            assessment = stores.documents.get_json(step.result_key, FraudAssessment)
            rules = fraud_policy()
            why.append({"step": step.name, "policy_version": assessment.policy_version, "signals": [
                {"code": s.code, "detail": s.detail, "evidence": [e.model_dump(mode="json", exclude_none=True)
                                                                 for e in s.evidence],
                 "verdict": rules.checks[s.code].verdict if s.code in rules.checks else rules.default_verdict}
                for s in assessment.flagged()]})
        elif step.name == "exit_risk":
            assessment = stores.documents.get_json(step.result_key, ExitRiskAssessment)
            why.append({"step": step.name, "policy_version": assessment.policy_version,
                        "flags": [f.model_dump(mode="json") for f in assessment.findings if f.flagged]})
    return why


def decide(caller: Caller, checkpoint_id: str, outcome: ReviewOutcome, reason: str,
           stores: Stores = AWS) -> tuple[Checkpoint, ClosurePlan | None]:
    """Record a compliance officer's decision and resume the waiting workflow; returns the
    checkpoint and, for a closure, its plan. An approval also clears the sanctions matches that
    sent the checkpoint's screening to review (see services.clearances). A checkpoint that is not
    waiting, a second concurrent decision, an escalation beyond level 2, or the same officer
    deciding the escalated review they escalated: Conflict."""
    checkpoint = access.checkpoint(caller, checkpoint_id, stores)
    if checkpoint.status != CheckpointStatus.IN_REVIEW or not checkpoint.awaiting_decision:
        raise Conflict(f"checkpoint {checkpoint_id} is {checkpoint.status.value}, not waiting for a review decision")
    level = checkpoint.review_level
    if outcome is ReviewOutcome.ESCALATE and level >= MAX_LEVEL:
        raise Conflict("this review is already escalated; approve or reject it")
    if level > 1 and any(d.reviewer == caller.subject and d.outcome is ReviewOutcome.ESCALATE
                         for d in checkpoint.review_decisions):
        raise Conflict("an escalated review is decided by another officer (four-eyes principle)")
    decision = ReviewDecision(outcome=outcome, reviewer=caller.subject, reason=reason, decided_at=iso(utc_now()),
                              level=level)
    token = stores.checkpoints.record_review_decision(checkpoint_id, decision)
    try:
        stores.workflows.send_task_success(token, {"outcome": outcome.value, "level": level})
    except TaskTokenExpired:
        raise Conflict("the review had already timed out; the workflow moved on without this decision") from None
    if outcome is ReviewOutcome.APPROVE:  # after the workflow resumed: a failure here costs a later review, not this one
        clearances.grant_for_review(caller, checkpoint, reason, stores)
    checkpoint = stores.checkpoints.get(checkpoint_id)
    return checkpoint, offboarding.plan(caller, checkpoint, stores)
