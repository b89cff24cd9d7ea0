"""Reading checkpoints: long-poll, execution timeline, execution listing."""
from __future__ import annotations

import time
from datetime import datetime
from typing import Any

from chalicelib.aws import checkpoints, workflows
from chalicelib.domain.checkpoint import Checkpoint, CheckpointStatus, iso
from chalicelib.domain.timeline import build_timeline
from chalicelib.errors import NotFound
from chalicelib.settings import get_settings

MAX_WAIT_SECONDS = 20
_FIRST_POLL_SECONDS, _MAX_POLL_SECONDS = 0.02, 1.0  # long-poll backoff: quick at first, cheap later


def get_checkpoint(checkpoint_id: str, wait_seconds: float = 0) -> Checkpoint:
    """The checkpoint; with `wait_seconds`, long-poll until it is no longer RUNNING (final, or
    IN_REVIEW: waiting for a person). Polls the status alone, backing off, then reads it all."""
    deadline = time.monotonic() + min(wait_seconds, MAX_WAIT_SECONDS)
    pause = _FIRST_POLL_SECONDS
    while checkpoints.status_of(checkpoint_id) == CheckpointStatus.RUNNING and time.monotonic() < deadline:
        time.sleep(min(pause, max(0.0, deadline - time.monotonic())))
        pause = min(pause * 1.5, _MAX_POLL_SECONDS)
    return checkpoints.get(checkpoint_id)


def history(checkpoint_id: str) -> dict[str, Any]:
    """The checkpoint's real execution history (GetExecutionHistory, all pages) as a timeline, with
    a link to the execution in the AWS console when deployed (locally there is no such page)."""
    checkpoint = checkpoints.get(checkpoint_id)
    if not checkpoint.execution_arn:
        raise NotFound(checkpoint_id)
    timeline = build_timeline(workflows.history(checkpoint.execution_arn))
    return {"checkpoint_id": checkpoint_id, "kind": checkpoint.kind.value, **timeline,
            "console_url": None if get_settings().is_local else _aws_console_url(checkpoint.execution_arn)}


def _aws_console_url(execution_arn: str) -> str:
    region = execution_arn.split(":")[3]
    return (f"https://{region}.console.aws.amazon.com/states/home?region={region}"
            f"#/v2/executions/details/{execution_arn}")


def state_machine_arn(workflow: str) -> str:
    settings = get_settings()
    return {"onboarding": settings.onboarding_state_machine_arn,
            "offboarding": settings.offboarding_state_machine_arn}[workflow]


def executions(workflow: str, status: str | None, since: datetime | None, limit: int,
               cursor: str | None) -> dict[str, Any]:
    page = workflows.list_executions(state_machine_arn(workflow), status, limit, cursor)
    items = [{"checkpoint_id": e["name"], "workflow": workflow, "status": e["status"],
              "started_at": iso(e["startDate"]), "stopped_at": iso(e["stopDate"]) if e.get("stopDate") else None}
             for e in page["executions"] if since is None or e["startDate"] >= since]
    reached_since = since is not None and any(e["startDate"] < since for e in page["executions"])
    return {"items": items, "next": None if reached_since else page.get("nextToken")}
