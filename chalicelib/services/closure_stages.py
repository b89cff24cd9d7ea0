"""The stages of a closure between its checks and its end: a succession's payment block, the
offer to stay and the customer's answer (POST /v1/checkpoints/{id}/win-back), and a bank-initiated
closure's notice period. Every status change is a conditional write recorded in the checkpoint's
history, published to webhooks right after."""
from __future__ import annotations

from datetime import timedelta

from chalicelib.domain.actors import Caller, system_actor
from chalicelib.domain.checkpoint import Checkpoint, CheckpointStatus, WinBackState, iso, utc_now
from chalicelib.errors import Conflict
from chalicelib.domain.closure import ClosureStage as Stage
from chalicelib.domain.closure_plan import ClosurePlan
from chalicelib.services import access, events, offboarding
from chalicelib.stores import AWS, Stores
from chalicelib.stores.workflows import TaskTokenExpired

LAPSED = "lapsed"
CLOSURE_WORKFLOW = system_actor("offboarding")


def advance(checkpoint_id: str, stage: Stage, stores: Stores = AWS) -> dict[str, str]:
    """One of the workflow's ClosureStage steps; each is idempotent (a retried task changes nothing)."""
    if stage is Stage.BLOCK_PAYMENTS:
        checkpoint = stores.checkpoints.get(checkpoint_id)
        stores.customers.block_payments(checkpoint.customer_id, checkpoint.created_at, checkpoint_id)
        return {"status": checkpoint.status.value}
    if stage is Stage.WIN_BACK_LAPSED:
        return {"decision": win_back_lapsed(checkpoint_id, stores)}
    entering = stage is Stage.NOTICE_BEGINS
    stores.checkpoints.transition(
        checkpoint_id, CheckpointStatus.NOTICE_PERIOD if entering else CheckpointStatus.RUNNING,
        from_=CheckpointStatus.RUNNING if entering else CheckpointStatus.NOTICE_PERIOD)
    events.publish_checkpoint_changes(checkpoint_id, stores)
    return {"status": (CheckpointStatus.NOTICE_PERIOD if entering else CheckpointStatus.RUNNING).value}


def offer_win_back(checkpoint_id: str, task_token: str, offer: str, timeout_seconds: int, stores: Stores = AWS) -> None:
    """The workflow's OfferWinBack step (`lambda:invoke.waitForTaskToken`): WIN_BACK_OFFERED with the
    offer, until the customer's answer or the timeout resumes the workflow."""
    now = utc_now()
    state = WinBackState(offer=offer, offered_at=iso(now), expires_at=iso(now + timedelta(seconds=timeout_seconds)))
    stores.checkpoints.offer_win_back(checkpoint_id, task_token, state)
    events.publish_checkpoint_changes(checkpoint_id, stores)


def answer_win_back(caller: Caller, checkpoint_id: str, decision: str,
                    stores: Stores = AWS) -> tuple[Checkpoint, ClosurePlan | None]:
    """The customer's answer to the offer, through the channel that on-boarded them (or compliance):
    accept ends the closure STAYED, decline lets it go on. 409 if no offer waits for an answer."""
    checkpoint = access.checkpoint(caller, checkpoint_id, stores)
    if checkpoint.status is not CheckpointStatus.WIN_BACK_OFFERED:
        raise Conflict(f"checkpoint {checkpoint_id} is {checkpoint.status.value}, not waiting for an answer to an offer")
    token = stores.checkpoints.answer_win_back(checkpoint_id, decision, iso(utc_now()), caller.subject)
    try:
        stores.workflows.send_task_success(token, {"decision": decision})
    except TaskTokenExpired:
        pass  # the offer timed out meanwhile: its WinBackLapsed step finds this answer and follows it
    finally:
        events.publish_checkpoint_changes(checkpoint_id, stores)
    checkpoint = stores.checkpoints.get(checkpoint_id)
    return checkpoint, offboarding.plan(caller, checkpoint, stores)


def win_back_lapsed(checkpoint_id: str, stores: Stores = AWS) -> str:
    """No answer in time: recorded as lapsed, unless an answer won the race; returns the answer the
    workflow follows."""
    try:
        stores.checkpoints.answer_win_back(checkpoint_id, LAPSED, iso(utc_now()), CLOSURE_WORKFLOW)
    except Conflict:
        pass
    events.publish_checkpoint_changes(checkpoint_id, stores)
    recorded = stores.checkpoints.get(checkpoint_id).win_back
    return recorded.answer if recorded and recorded.answer else LAPSED
