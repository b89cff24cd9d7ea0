"""Reading checkpoints: the long-poll, the execution timeline, the execution listing."""
from __future__ import annotations

import time
from collections.abc import Callable
from datetime import datetime
from typing import Any

from chalicelib.domain.actors import Caller, StatedPurpose
from chalicelib.domain.checkpoint import Checkpoint, CheckpointKind, CheckpointStatus, iso
from chalicelib.domain.timeline import build_timeline
from chalicelib.errors import InvalidField, NotFound
from chalicelib.domain.closure_plan import ClosurePlan
from chalicelib.services import access, data_access, documents, offboarding
from chalicelib.settings import get_settings
from chalicelib.stores import AWS, Stores

_FIRST_POLL_SECONDS, _MAX_POLL_SECONDS = 0.02, 1.0  # long-poll backoff: quick at first, cheap later


def _unchanged(seen: datetime | None) -> Callable[[CheckpointStatus, str], bool]:
    """What a long-poll waits through: with `seen`, a checkpoint still at that updated_at;
    without, one still RUNNING (anything else, final or waiting for a person, ends the wait)."""
    if seen is None:
        return lambda status, updated_at: status is CheckpointStatus.RUNNING
    return lambda status, updated_at: datetime.fromisoformat(updated_at.replace("Z", "+00:00")) == seen


def get(caller: Caller, checkpoint_id: str, wait_seconds: float = 0, seen: datetime | None = None,
        stated: StatedPurpose | None = None, stores: Stores = AWS
        ) -> tuple[Checkpoint, dict[str, bool], ClosurePlan | None]:
    """The checkpoint, if the caller may see it, for each document it announced whether it has
    arrived, and a closure's plan as it stands. With `wait_seconds`, long-poll: while it is RUNNING, or with `seen` (the
    updated_at the caller last saw) until it has changed since (at once if it already has).
    Polls the status and updated_at alone, backing off, and reads the whole item again only if
    they moved. The plan of a former customer is personal data staff read for a purpose, logged
    (services.data_access)."""
    checkpoint = access.checkpoint(caller, checkpoint_id, stores)
    waiting = _unchanged(seen)
    if wait_seconds > 0 and waiting(checkpoint.status, checkpoint.updated_at):
        deadline, pause = time.monotonic() + wait_seconds, _FIRST_POLL_SECONDS
        while time.monotonic() < deadline:
            time.sleep(min(pause, max(0.0, deadline - time.monotonic())))
            pause = min(pause * 1.5, _MAX_POLL_SECONDS)
            if not waiting(*stores.checkpoints.version_of(checkpoint_id)):
                checkpoint = stores.checkpoints.get(checkpoint_id)
                break
    plan = offboarding.plan(caller, checkpoint, stores)
    if plan is not None and checkpoint.customer_id and data_access.needs_purpose(caller):
        former = data_access.former_customers([checkpoint.customer_id], stores)
        if former:
            granted = data_access.grant(stated, former, checkpoint_id)
            data_access.record(caller, data_access.DataAccess.CLOSURE_PLAN_READ, checkpoint_id, granted, former,
                               ("plan",), stores)
    return checkpoint, documents.arrived(checkpoint, stores), plan


def history(caller: Caller, checkpoint_id: str, stores: Stores = AWS) -> dict[str, Any]:
    """The checkpoint's real execution history (GetExecutionHistory, all pages) as a timeline, with
    a link to the execution in the AWS console when deployed (locally there is no such page)."""
    checkpoint = access.checkpoint(caller, checkpoint_id, stores)
    if not checkpoint.execution_arn:
        raise NotFound(checkpoint_id)
    timeline = build_timeline(stores.workflows.history(checkpoint.execution_arn))
    return {"checkpoint_id": checkpoint_id, "kind": checkpoint.kind.value, **timeline,
            "console_url": None if get_settings().is_local else aws_console_url(checkpoint.execution_arn)}


def aws_console_url(execution_arn: str) -> str:
    region = execution_arn.split(":")[3]
    return (f"https://{region}.console.aws.amazon.com/states/home?region={region}"
            f"#/v2/executions/details/{execution_arn}")


def state_machine_arn(workflow: CheckpointKind) -> str:
    settings = get_settings()
    return {CheckpointKind.ONBOARDING: settings.onboarding_state_machine_arn,
            CheckpointKind.OFFBOARDING: settings.offboarding_state_machine_arn,
            CheckpointKind.MONITORING: settings.alert_state_machine_arn}[workflow]  # each alert's review


def executions(caller: Caller, workflow: CheckpointKind, status: str | None, since: datetime | None, limit: int,
               cursor: str | None, stores: Stores = AWS) -> dict[str, Any]:
    """One page of a workflow's executions, newest first (compliance reads every one)."""
    try:
        page = stores.workflows.list_executions(state_machine_arn(workflow), status, limit, cursor)
    except ValueError:
        raise InvalidField("query.cursor", "is not a cursor this API issued") from None
    items = [{"checkpoint_id": e["name"], "workflow": workflow.value, "status": e["status"],
              "started_at": iso(e["startDate"]), "stopped_at": iso(e["stopDate"]) if e.get("stopDate") else None}
             for e in page["executions"] if since is None or e["startDate"] >= since]
    reached_since = since is not None and any(e["startDate"] < since for e in page["executions"])
    return {"items": items, "next": None if reached_since else page.get("nextToken")}
