"""Workflow task: record why a checkpoint failed (state MarkFailed), so none stays RUNNING."""
from __future__ import annotations

import json
from typing import Any

from chalicelib.aws import checkpoints, documents
from chalicelib.domain.checkpoint import Checkpoint, CheckpointKind, Failure, utc_now
from chalicelib.domain.models import Application
from chalicelib.errors import Conflict
from chalicelib.services import retention
from chalicelib.tasks.runner import logger

_MAX_CAUSE = 500


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


def run(checkpoint_id: str, event: dict[str, Any]) -> dict[str, Any]:
    failure = describe_error(event.get("error"))
    try:
        checkpoints.fail(checkpoint_id, failure)
    except Conflict:
        logger.warning("checkpoint already final; failure not recorded", extra={"error": failure.error})
        return {"status": checkpoints.get(checkpoint_id).status.value}
    checkpoint = checkpoints.get(checkpoint_id)
    if checkpoint.kind is CheckpointKind.ONBOARDING:
        _schedule_abandoned(checkpoint)
    return {"status": "FAILED"}


def _schedule_abandoned(checkpoint: Checkpoint) -> None:
    """A sign-up that failed is abandoned: its records fall under the rejected-application rule.
    The checkpoint is already FAILED; a problem here is logged, not allowed to undo that."""
    try:
        applicant = documents.get_json(checkpoint.request_key, Application).applicant
        retention.schedule_unopened_application(checkpoint.checkpoint_id,
                                                {applicant.nationality, applicant.address.country}, utc_now())
    except Exception as exc:  # noqa: BLE001 (recorded; the sweep owner reviews unscheduled records)
        logger.error("abandoned sign-up not scheduled for retention", extra={"error": type(exc).__name__})
