"""Closure: start the checkpoint (POST /v1/offboarding) with its plan, assess the exit risk and
find the linked services in the history (the workflow's AssessExitRisk step), and show the plan
as the checkpoint stands."""
from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta
from typing import Any

from pydantic import ValidationError

from chalicelib.api.models import OffboardingRequest
from chalicelib.domain.actors import Caller, Role
from chalicelib.domain.checkpoint import (
    Checkpoint,
    CheckpointKind,
    CheckpointStatus,
    Reason,
    StatusChange,
    Step,
    iso,
    utc_now,
)
from chalicelib.domain.closure import ClosureRequest, RequestedBy, SoftExit, Transaction
from chalicelib.domain.closure_plan import ClosurePlan, NotAnImmediateGround, PlanBasis, plan_basis, plan_of, with_detected
from chalicelib.domain.customer import CustomerRecord
from chalicelib.domain.decisions import judge
from chalicelib.domain.exit_risk import assess, relevant_history
from chalicelib.domain.models import CheckResult, Verdict
from chalicelib.domain.recurring import detect
from chalicelib.errors import Conflict, InvalidField, NotFound, PermanentTaskError, Refused
from chalicelib.policies import closure_policy, exit_risk_policy, offboarding_policy, retention_rules
from chalicelib.services import access, retention
from chalicelib.services.idempotency import call_once
from chalicelib.services.onboarding import new_checkpoint_id
from chalicelib.settings import get_settings
from chalicelib.stores import AWS, Stores
from chalicelib.stores.document_bucket import closure_request_key, plan_key, result_key, transactions_key
from chalicelib.stores.workflows import execution_arn

EXIT_RISK_STEP = "exit_risk"
SUCCESSION_STEP = "succession"
SUCCESSION_REVIEW = Reason(code="SUCCESSION_DOCUMENTS", detail="a compliance officer checks the death certificate "
                                                               "and the personal representative's authority")
# Who may ask for which kind of closure: a customer's through its channel, the bank's by compliance.
REQUESTER = {RequestedBy.CUSTOMER: Role.CHANNEL, RequestedBy.BANK: Role.COMPLIANCE}


def _basis(closure: ClosureRequest, customer: CustomerRecord) -> PlanBasis:
    profile = customer.profile
    try:
        return plan_basis(closure, customer_country=profile.address.country,
                          jurisdictions=retention.jurisdictions(),
                          frozen=customer.status == "frozen", policy=closure_policy())
    except NotAnImmediateGround as exc:
        raise Refused("The notice rule of an account does not allow closing it without notice on this ground.",
                      code="NOT_AN_IMMEDIATE_GROUND", field="immediate_ground",
                      reason=f"is not a ground the notice rule of {', '.join(exc.account_ids)} lists") from None


def _workflow_input(checkpoint_id: str, basis: PlanBasis) -> dict[str, Any]:
    """What the closure workflow branches on: ids, codes, booleans, durations and the notice's end."""
    notice = basis.notice is not None and basis.notice.ends_at != basis.notice.given_at
    payload: dict[str, Any] = {
        "checkpoint_id": checkpoint_id, "review_timeout_seconds": offboarding_policy().review_timeout_seconds,
        "export_requested": basis.export_requested or basis.succession, "succession": basis.succession,
        "win_back_offered": basis.win_back is not None, "notice": notice,
        "downgrade": basis.soft_exit is SoftExit.BASIC_ACCOUNT}
    if basis.succession:
        payload["documents_timeout_seconds"] = closure_policy().succession.documents_timeout_days * 86400
    if basis.win_back:
        payload |= {"win_back_offer": basis.win_back.offer, "win_back_timeout_seconds": basis.win_back.timeout_hours * 3600}
    if notice and basis.notice:
        payload["notice_until"] = basis.notice.ends_at  # UTC with a Z, as a Wait's TimestampPath needs
    return payload


def _start(identity: dict[str, Any], *, caller: Caller, request: OffboardingRequest, customer: CustomerRecord,
           stores: Stores, made: list[tuple[Checkpoint, PlanBasis]]) -> dict[str, str]:
    """Store the closure request, its transactions and its plan with the customer's records, create
    the checkpoint and start the closure workflow (and put it in `made`); undo the writes if starting
    fails."""
    if customer.status == "closed":
        raise Conflict("the customer relationship is already closed")
    checkpoint_id, now = new_checkpoint_id(), utc_now()
    tx_key, request_key = transactions_key(customer.customer_id, checkpoint_id), closure_request_key(checkpoint_id)
    closure = request.to_closure(now, tx_key)
    basis = _basis(closure, customer)
    if request.transactions_s3_key:
        stores.documents.copy(request.transactions_s3_key, tx_key)
        stores.documents.delete(request.transactions_s3_key)  # the drop is a copy: no second one to erase later
    else:
        stores.documents.put_jsonl(tx_key, request.transactions())
    stores.documents.put_json(request_key, closure)
    stores.documents.put_json(plan_key(checkpoint_id), basis)
    policy = offboarding_policy()
    state_machine_arn = get_settings().offboarding_state_machine_arn
    steps = {}
    if basis.succession:
        steps[SUCCESSION_STEP] = Step(name=SUCCESSION_STEP, verdict=Verdict.REVIEW, reasons=(SUCCESSION_REVIEW,),
                                      finished_at=iso(now))
    checkpoint = Checkpoint(checkpoint_id=checkpoint_id, kind=CheckpointKind.OFFBOARDING,
                            status=CheckpointStatus.RUNNING, created_at=iso(now), updated_at=iso(now),
                            channel_name=caller.subject, channel_reference=closure.reason,
                            owner=caller.subject, customer_id=customer.customer_id, request_key=request_key,
                            policy_version=policy.version, execution_arn=execution_arn(state_machine_arn, checkpoint_id),
                            images=basis.required_documents, steps=steps,
                            status_history=(StatusChange(status=CheckpointStatus.RUNNING, at=iso(now)),))
    try:
        stores.checkpoints.create(checkpoint)
        stores.workflows.start(state_machine_arn, checkpoint_id, _workflow_input(checkpoint_id, basis))
    except Exception:
        stores.checkpoints.delete(checkpoint_id)
        for key in (request_key, tx_key, plan_key(checkpoint_id)):
            stores.documents.delete(key)
        raise
    made.append((checkpoint, basis))
    return {"checkpoint_id": checkpoint_id}


def start(caller: Caller, request: OffboardingRequest, idempotency_key: str,
          stores: Stores = AWS) -> tuple[Checkpoint, ClosurePlan | None]:
    """Start (or return, for a repeated key and request) the closure of a customer the caller may
    act for, with its plan. Another channel's customer is an unknown customer; a customer's closure
    comes through its channel, a bank-initiated one (de-banking, succession) from compliance."""
    customer = access.customer(caller, request.customer_id, stores)
    if REQUESTER[request.requested_by] is not caller.role:
        raise Refused("A customer's closure is requested through the channel; a bank-initiated one by compliance.",
                      code="REQUESTER_NOT_ALLOWED", field="requested_by",
                      reason=f"{request.requested_by.value} may not be chosen by a {caller.role.value} caller")
    if request.transactions_s3_key and not stores.documents.exists(request.transactions_s3_key):
        raise InvalidField("transactions_s3_key", "no such object in the documents bucket")
    made: list[tuple[Checkpoint, PlanBasis]] = []  # what this call created; a repeat reads what the first did
    started = call_once(_start, stores.idempotency.persistence(), caller.subject, idempotency_key, request,
                        caller=caller, request=request, customer=customer, stores=stores, made=made)
    if made:
        checkpoint, basis = made[0]
        return checkpoint, plan(caller, checkpoint, stores, basis)
    checkpoint = stores.checkpoints.get(started["checkpoint_id"])
    return checkpoint, plan(caller, checkpoint, stores)


def plan(caller: Caller, checkpoint: Checkpoint, stores: Stores = AWS, basis: PlanBasis | None = None
         ) -> ClosurePlan | None:
    """The closure's plan as the checkpoint stands, as the caller may see it (None for a sign-up, or a
    closure started before plans existed); `basis`: what the closure's start just stored, if at hand."""
    if checkpoint.kind is not CheckpointKind.OFFBOARDING:
        return None
    if basis is None:
        try:
            basis = stores.documents.get_json(plan_key(checkpoint.checkpoint_id), PlanBasis)
        except NotFound:
            return None
    return plan_of(basis, checkpoint, policy=closure_policy(), rules=retention_rules(),
                   review_timeout=timedelta(seconds=offboarding_policy().review_timeout_seconds),
                   for_channel=caller.role is Role.CHANNEL)


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
    accounts, linked services), judged under the closure's decision policy; and, from the same
    read of the history, the recurring payments that hang on the account, merged into the plan."""
    request = stores.documents.get_json(closure_request_key(checkpoint_id), ClosureRequest)
    policy, rules = exit_risk_policy(), closure_policy().linked_services.detection
    since: datetime = request.requested_at - timedelta(days=rules.lookback_days)
    window: list[Transaction] = []

    def read() -> Iterator[Transaction]:
        for t in _transactions(stores, request.transactions_key):
            if since <= t.booked_at <= request.requested_at:
                window.append(t)
            yield t

    history = relevant_history(request, read(), policy)
    _update_plan(checkpoint_id, request, detect(window, request.requested_at, rules), stores)
    assessment = assess(request, history, policy)
    key = result_key(checkpoint_id, EXIT_RISK_STEP)
    stores.documents.put_json(key, assessment)
    checks = [CheckResult(code=f.code, passed=not f.flagged, detail=f.detail) for f in assessment.findings]
    verdict, reasons = judge(checks, offboarding_policy())
    step = Step(name=EXIT_RISK_STEP, verdict=verdict, reasons=reasons, finished_at=iso(utc_now()), result_key=key)
    stores.checkpoints.record_step(checkpoint_id, step)
    return step


def _update_plan(checkpoint_id: str, request: ClosureRequest, detected, stores: Stores) -> None:
    try:
        basis = stores.documents.get_json(plan_key(checkpoint_id), PlanBasis)
    except NotFound:
        return  # a closure started before plans existed
    stores.documents.put_json(plan_key(checkpoint_id), with_detected(basis, request, detected, closure_policy()))
