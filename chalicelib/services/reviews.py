"""The compliance review queue and review decisions (both workflows)."""
from __future__ import annotations

import base64
import json
from datetime import datetime
from typing import Any

from botocore.exceptions import ClientError

from chalicelib.aws import checkpoints, documents, workflows
from chalicelib.domain.checkpoint import Checkpoint, CheckpointStatus, ReviewDecision, ReviewOutcome, iso, utc_now
from chalicelib.domain.exit_risk import ExitRiskAssessment
from chalicelib.domain.models import Verdict
from chalicelib.domain.screening.result import ScreeningResult
from chalicelib.errors import Conflict

MAX_LEVEL = 2


def _encode(key: dict[str, Any] | None) -> str | None:
    return base64.urlsafe_b64encode(json.dumps(key).encode()).decode() if key else None


def decode_cursor(cursor: str) -> dict[str, Any]:
    """Raises ValueError for a cursor this service did not issue."""
    key = json.loads(base64.urlsafe_b64decode(cursor.encode()))
    if not isinstance(key, dict) or set(key) != {"checkpoint_id", "status", "created_at"}:
        raise ValueError("not a review cursor")
    return key


def open_reviews(limit: int, cursor: str | None) -> dict[str, Any]:
    items, last = checkpoints.in_review(limit, decode_cursor(cursor) if cursor else None)
    now = utc_now()
    queue = []
    for item in items:
        since = item.get("review_since", item["created_at"])
        queue.append({
            "checkpoint_id": item["checkpoint_id"], "kind": item.get("kind"), "created_at": item["created_at"],
            "level": int(item.get("review_level", 1)), "awaiting_decision": bool(item.get("awaiting_decision")),
            "in_review_since": since,
            "age_seconds": int((now - datetime.fromisoformat(since.replace("Z", "+00:00"))).total_seconds()),
            "reasons": item.get("review_reasons", []),
            "explanation": explanation(checkpoints.get(item["checkpoint_id"], consistent=False)),
            "links": {"checkpoint": f"/v1/checkpoints/{item['checkpoint_id']}",
                      "history": f"/v1/checkpoints/{item['checkpoint_id']}/history",
                      "decision": f"/v1/reviews/{item['checkpoint_id']}/decision"},
        })
    return {"items": queue, "next": _encode(last)}


def explanation(checkpoint: Checkpoint) -> list[dict[str, Any]]:
    """Why a checkpoint is in review, from the stored results of the steps that sent it there:
    each screening match explained (listed name matched, per-component scores, adjustments, band,
    list version) and each exit-risk red flag with its evidence (ids, amounts, masked IBANs)."""
    why: list[dict[str, Any]] = []
    for step in checkpoint.steps.values():
        if step.verdict is not Verdict.REVIEW or not step.result_key:
            continue
        if step.name == "screening":
            screened = documents.get_json(step.result_key, ScreeningResult)
            why.append({"step": step.name, "list_versions": screened.list_versions, "matches": [
                {"subject": subject.subject, **match.model_dump(mode="json")}
                for subject in screened.subjects for match in subject.matches]})
        elif step.name == "exit_risk":
            assessment = documents.get_json(step.result_key, ExitRiskAssessment)
            why.append({"step": step.name, "policy_version": assessment.policy_version,
                        "flags": [f.model_dump(mode="json") for f in assessment.findings if f.flagged]})
    return why


def decide(checkpoint_id: str, outcome: ReviewOutcome, reviewer: str, reason: str) -> Checkpoint:
    """Record a compliance officer's decision and resume the waiting workflow. A checkpoint that
    is not waiting, a second concurrent decision, an escalation beyond level 2, or the same
    officer deciding the escalated review they escalated: Conflict."""
    checkpoint = checkpoints.get(checkpoint_id)
    if checkpoint.status != CheckpointStatus.IN_REVIEW or not checkpoint.awaiting_decision:
        raise Conflict(f"checkpoint {checkpoint_id} is {checkpoint.status.value}, not waiting for a review decision")
    level = checkpoint.review_level
    if outcome is ReviewOutcome.ESCALATE and level >= MAX_LEVEL:
        raise Conflict("this review is already escalated; approve or reject it")
    if level > 1 and any(d.reviewer == reviewer and d.outcome is ReviewOutcome.ESCALATE
                         for d in checkpoint.review_decisions):
        raise Conflict("an escalated review is decided by another officer (four-eyes principle)")
    decision = ReviewDecision(outcome=outcome, reviewer=reviewer, reason=reason, decided_at=iso(utc_now()),
                              level=level)
    token = checkpoints.record_review_decision(checkpoint_id, decision)
    try:
        workflows.send_task_success(token, {"outcome": outcome.value, "level": level})
    except ClientError as exc:
        if exc.response["Error"]["Code"] in ("TaskTimedOut", "InvalidToken", "TaskDoesNotExist"):
            raise Conflict("the review had already timed out; the workflow moved on without this decision") from exc
        raise
    return checkpoints.get(checkpoint_id)
