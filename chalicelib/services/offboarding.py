"""Closure: start the checkpoint (POST /v1/offboarding) and assess the exit risk (the workflow's
AssessExitRisk step)."""
from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from pydantic import ValidationError

from chalicelib.api.models import OffboardingRequest
from chalicelib.domain.actors import Caller
from chalicelib.domain.checkpoint import Checkpoint, CheckpointKind, CheckpointStatus, StatusChange, Step, iso, utc_now
from chalicelib.domain.closure import ClosureRequest, Transaction
from chalicelib.domain.customer import CustomerRecord
from chalicelib.domain.decisions import judge
from chalicelib.domain.exit_risk import assess, relevant_history
from chalicelib.domain.models import CheckResult
from chalicelib.errors import Conflict, InvalidField, PermanentTaskError
from chalicelib.policies import exit_risk_policy, offboarding_policy
from chalicelib.services import access
from chalicelib.services.idempotency import call_once
from chalicelib.services.onboarding import new_checkpoint_id
from chalicelib.settings import get_settings
from chalicelib.stores import AWS, Stores
from chalicelib.stores.document_bucket import closure_request_key, result_key, transactions_key
from chalicelib.stores.workflows import execution_arn

EXIT_RISK_STEP = "exit_risk"


def _start(identity: dict[str, Any], *, caller: Caller, request: OffboardingRequest, customer: CustomerRecord,
           stores: Stores) -> dict[str, str]:
    """Store the closure request and its transactions with the customer's records, create the
    checkpoint and start the closure workflow; undo the writes if starting fails."""
    if customer.status != "active":
        raise Conflict("the customer relationship is already closed")
    checkpoint_id, now = new_checkpoint_id(), utc_now()
    tx_key, request_key = transactions_key(customer.customer_id, checkpoint_id), closure_request_key(checkpoint_id)
    if request.transactions_s3_key:
        stores.documents.copy(request.transactions_s3_key, tx_key)
        stores.documents.delete(request.transactions_s3_key)  # the drop is a copy: no second one to erase later
    else:
        stores.documents.put_jsonl(tx_key, request.transactions())
    stores.documents.put_json(request_key, request.to_closure(now, tx_key))
    policy = offboarding_policy()
    state_machine_arn = get_settings().offboarding_state_machine_arn
    checkpoint = Checkpoint(checkpoint_id=checkpoint_id, kind=CheckpointKind.OFFBOARDING,
                            status=CheckpointStatus.RUNNING, created_at=iso(now), updated_at=iso(now),
                            channel_name=caller.subject, channel_reference=request.reason.value,
                            owner=caller.subject, customer_id=customer.customer_id, request_key=request_key,
                            policy_version=policy.version, execution_arn=execution_arn(state_machine_arn, checkpoint_id),
                            status_history=(StatusChange(status=CheckpointStatus.RUNNING, at=iso(now)),))
    try:
        stores.checkpoints.create(checkpoint)
        stores.workflows.start(state_machine_arn, checkpoint_id,
                               {"checkpoint_id": checkpoint_id, "review_timeout_seconds": policy.review_timeout_seconds,
                                "export_requested": request.export.requested})
    except Exception:
        stores.checkpoints.delete(checkpoint_id)
        for key in (request_key, tx_key):
            stores.documents.delete(key)
        raise
    return {"checkpoint_id": checkpoint_id}


def start(caller: Caller, request: OffboardingRequest, idempotency_key: str, stores: Stores = AWS) -> Checkpoint:
    """Start (or return, for a repeated key and request) the closure of a customer the caller may
    act for. Another channel's customer is an unknown customer."""
    customer = access.customer(caller, request.customer_id, stores)
    if request.transactions_s3_key and not stores.documents.exists(request.transactions_s3_key):
        raise InvalidField("transactions_s3_key", "no such object in the documents bucket")
    started = call_once(_start, stores.idempotency.persistence(), caller.subject, idempotency_key, request,
                        caller=caller, request=request, customer=customer, stores=stores)
    return stores.checkpoints.get(started["checkpoint_id"])


def _transactions(stores: Stores, key: str) -> Iterator[Transaction]:
    """The stored transactions, streamed line by line from S3."""
    for number, line in stores.documents.iter_lines(key):
        try:
            yield Transaction.model_validate_json(line)
        except ValidationError as exc:
            fields = ", ".join(".".join(map(str, e["loc"])) or "(line)" for e in exc.errors())
            raise PermanentTaskError(f"transactions line {number} is invalid ({fields})") from None


def assess_exit_risk(checkpoint_id: str, stores: Stores = AWS) -> Step:
    """Red flags before the relationship ends (large outflows, new payees, balances, joint
    accounts, linked services), judged under the closure's decision policy."""
    request = stores.documents.get_json(closure_request_key(checkpoint_id), ClosureRequest)
    policy = exit_risk_policy()
    history = relevant_history(request, _transactions(stores, request.transactions_key), policy)
    assessment = assess(request, history, policy)
    key = result_key(checkpoint_id, EXIT_RISK_STEP)
    stores.documents.put_json(key, assessment)
    checks = [CheckResult(code=f.code, passed=not f.flagged, detail=f.detail) for f in assessment.findings]
    verdict, reasons = judge(checks, offboarding_policy())
    step = Step(name=EXIT_RISK_STEP, verdict=verdict, reasons=reasons, finished_at=iso(utc_now()), result_key=key)
    stores.checkpoints.record_step(checkpoint_id, step)
    return step
