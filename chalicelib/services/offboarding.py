"""Closure use case behind POST /v1/offboarding."""
from __future__ import annotations

from typing import Any

from chalicelib.api.models import OffboardingRequest
from chalicelib.aws import checkpoints, customers, documents, workflows
from chalicelib.domain.checkpoint import Checkpoint, CheckpointKind, CheckpointStatus, iso, utc_now
from chalicelib.errors import Conflict
from chalicelib.policies import offboarding_policy
from chalicelib.services.idempotency import call_once
from chalicelib.services.onboarding import new_checkpoint_id
from chalicelib.settings import get_settings


def _start(request: dict[str, Any]) -> dict[str, str]:
    """Store the closure request and its transactions with the customer's records, create the
    checkpoint and start the closure workflow; undo the writes if starting fails."""
    body = OffboardingRequest.model_validate(request["body"])
    if customers.get(body.customer_id).status != "active":
        raise Conflict("the customer relationship is already closed")
    checkpoint_id, now = new_checkpoint_id(), utc_now()
    transactions_key = documents.transactions_key(body.customer_id, checkpoint_id)
    request_key = documents.closure_request_key(checkpoint_id)
    if body.transactions_s3_key:
        documents.copy(body.transactions_s3_key, transactions_key)
    else:
        documents.put_jsonl(transactions_key, body.transactions())
    documents.put_json(request_key, body.to_closure(now, transactions_key))
    policy = offboarding_policy()
    state_machine_arn = get_settings().offboarding_state_machine_arn
    checkpoint = Checkpoint(checkpoint_id=checkpoint_id, kind=CheckpointKind.OFFBOARDING,
                            status=CheckpointStatus.RUNNING, created_at=iso(now), updated_at=iso(now),
                            channel_name=request["owner"], channel_reference=body.reason.value,
                            owner=request["owner"], customer_id=body.customer_id, request_key=request_key,
                            policy_version=policy.version,
                            execution_arn=workflows.execution_arn(state_machine_arn, checkpoint_id))
    try:
        checkpoints.create(checkpoint)
        workflows.start(state_machine_arn, checkpoint_id,
                        {"checkpoint_id": checkpoint_id, "review_timeout_seconds": policy.review_timeout_seconds,
                         "export_requested": body.export.requested})
    except Exception:
        checkpoints.delete(checkpoint_id)
        for key in (request_key, transactions_key):
            documents.delete(key)
        raise
    return {"checkpoint_id": checkpoint_id}


def start_offboarding(owner: str, idempotency_key: str, body: dict[str, Any]) -> Checkpoint:
    return checkpoints.get(call_once(_start, owner, idempotency_key, body)["checkpoint_id"])
