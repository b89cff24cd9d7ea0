"""Sign-up use case behind POST /v1/onboarding."""
from __future__ import annotations

import uuid
from typing import Any

from chalicelib.api.models import OnboardingRequest
from chalicelib.aws import checkpoints, documents, workflows
from chalicelib.domain.checkpoint import Checkpoint, CheckpointKind, CheckpointStatus, iso, utc_now
from chalicelib.policies import onboarding_policy
from chalicelib.services.idempotency import call_once
from chalicelib.settings import get_settings


def new_checkpoint_id() -> str:
    return f"cp_{uuid.uuid4().hex}"


def _start(request: dict[str, Any]) -> dict[str, str]:
    """Store the application, create the checkpoint, start its workflow. If starting fails,
    the checkpoint and application are removed again so nothing half-written remains."""
    application = OnboardingRequest.model_validate(request["body"]).to_application()
    checkpoint_id = new_checkpoint_id()
    now = iso(utc_now())
    policy = onboarding_policy()
    key = documents.application_key(checkpoint_id)
    documents.put_json(key, application)
    state_machine_arn = get_settings().onboarding_state_machine_arn
    checkpoint = Checkpoint(checkpoint_id=checkpoint_id, kind=CheckpointKind.ONBOARDING,
                            status=CheckpointStatus.RUNNING, created_at=now, updated_at=now,
                            channel_name=application.channel.name, channel_reference=application.channel.reference,
                            owner=request["owner"], request_key=key, policy_version=policy.version,
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


def start_onboarding(owner: str, idempotency_key: str, body: dict[str, Any]) -> Checkpoint:
    """Start (or, for a repeated Idempotency-Key with the same body, return) a sign-up checkpoint.
    Raises IdempotencyValidationError when the key was used with a different body."""
    return checkpoints.get(call_once(_start, owner, idempotency_key, body)["checkpoint_id"])
