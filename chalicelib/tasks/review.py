"""Workflow task: put the checkpoint in the review queue (state ManualReview).

Runs as `lambda:invoke.waitForTaskToken`: it stores the task token on the checkpoint and
returns; the workflow waits until a compliance officer's decision resumes it. Level 2 is the
escalated review (after a reviewer escalates, or when level 1 times out)."""
from __future__ import annotations

from typing import Any

from chalicelib.aws import checkpoints
from chalicelib.domain.models import Verdict
from chalicelib.errors import PermanentTaskError


def run(checkpoint_id: str, event: dict[str, Any]) -> dict[str, Any]:
    token = event.get("task_token")
    if not isinstance(token, str) or not token:
        raise PermanentTaskError("ManualReview task has no task_token")
    level = event.get("level", 1)
    if level not in (1, 2):
        raise PermanentTaskError("review level must be 1 or 2")
    checkpoint = checkpoints.get(checkpoint_id)
    reasons = tuple(r for step in checkpoint.steps.values() if step.verdict == Verdict.REVIEW for r in step.reasons)
    checkpoints.enter_review(checkpoint_id, token, reasons, level)
    return {"status": "IN_REVIEW", "level": level}
