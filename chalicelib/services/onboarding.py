"""Sign-up use cases behind the routes: start a checkpoint, read it, decide a review."""
from __future__ import annotations

import time
import uuid
from functools import cache
from typing import Any

from aws_lambda_powertools.utilities.idempotency import (
    DynamoDBPersistenceLayer,
    IdempotencyConfig,
    idempotent_function,
)

from chalicelib.api.models import OnboardingRequest
from chalicelib.aws import checkpoints, documents, workflows
from chalicelib.domain.checkpoint import (
    Checkpoint,
    CheckpointKind,
    CheckpointStatus,
    ReviewDecision,
    iso,
    utc_now,
)
from chalicelib.policies import onboarding_policy
from chalicelib.settings import get_settings

IDEMPOTENCY_TTL_SECONDS = 24 * 3600
MAX_WAIT_SECONDS = 20
_FIRST_POLL_SECONDS, _MAX_POLL_SECONDS = 0.02, 1.0  # long-poll backoff: quick at first, cheap later


def new_checkpoint_id() -> str:
    return f"cp_{uuid.uuid4().hex}"


def _start(request: dict[str, Any]) -> dict[str, str]:
    """Store the application, create the checkpoint, start its workflow. If starting fails,
    the checkpoint and application are removed again so nothing half-written remains."""
    body = OnboardingRequest.model_validate(request["body"])
    application = body.to_application()
    checkpoint_id = new_checkpoint_id()
    now = iso(utc_now())
    policy = onboarding_policy()
    key = documents.application_key(checkpoint_id)
    documents.put_json(key, application)
    state_machine_arn = get_settings().onboarding_state_machine_arn
    checkpoint = Checkpoint(checkpoint_id=checkpoint_id, kind=CheckpointKind.ONBOARDING,
                            status=CheckpointStatus.RUNNING, created_at=now, updated_at=now,
                            channel_name=application.channel.name, channel_reference=application.channel.reference,
                            application_key=key, policy_version=policy.version,
                            execution_arn=workflows.execution_arn(state_machine_arn, checkpoint_id))
    try:
        checkpoints.create(checkpoint)
        workflows.start(state_machine_arn, checkpoint_id,
                        {"checkpoint_id": checkpoint_id, "review_timeout_seconds": policy.review_timeout_seconds})
    except Exception:
        checkpoints.delete(checkpoint_id)
        documents.delete(key)
        raise
    return {"checkpoint_id": checkpoint_id}


@cache
def _idempotent_start():
    persistence = DynamoDBPersistenceLayer(table_name=get_settings().idempotency_table)
    config = IdempotencyConfig(event_key_jmespath="idempotency_key", payload_validation_jmespath="body",
                               raise_on_no_idempotency_key=True, expires_after_seconds=IDEMPOTENCY_TTL_SECONDS,
                               hash_function="sha256")
    return idempotent_function(_start, data_keyword_argument="request", persistence_store=persistence,
                               config=config)


def start_onboarding(idempotency_key: str, body: dict[str, Any]) -> Checkpoint:
    """Start (or, for a repeated Idempotency-Key with the same body, return) a sign-up checkpoint.
    Raises IdempotencyValidationError when the key was used with a different body."""
    started = _idempotent_start()(request={"idempotency_key": idempotency_key, "body": body})
    return checkpoints.get(started["checkpoint_id"])


def get_checkpoint(checkpoint_id: str, wait_seconds: float = 0) -> Checkpoint:
    """The checkpoint; with `wait_seconds`, long-poll until it is no longer RUNNING (final, or
    IN_REVIEW: waiting for a person). Polls the status alone, backing off, then reads it all."""
    deadline = time.monotonic() + min(wait_seconds, MAX_WAIT_SECONDS)
    pause = _FIRST_POLL_SECONDS
    while checkpoints.status_of(checkpoint_id) == CheckpointStatus.RUNNING and time.monotonic() < deadline:
        time.sleep(min(pause, max(0.0, deadline - time.monotonic())))
        pause = min(pause * 1.5, _MAX_POLL_SECONDS)
    return checkpoints.get(checkpoint_id)


def decide_review(checkpoint_id: str, outcome: str, reviewer: str, reason: str) -> Checkpoint:
    """Record a compliance officer's decision and resume the waiting workflow."""
    decision = ReviewDecision(outcome=outcome, reviewer=reviewer, reason=reason, decided_at=iso(utc_now()))
    token = checkpoints.record_review_decision(checkpoint_id, decision)
    workflows.send_task_success(token, {"outcome": outcome})
    return checkpoints.get(checkpoint_id)
