"""Step Functions: start executions, resume waiting tasks, read execution history."""
from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

from botocore.exceptions import ClientError

from chalicelib.aws.clients import client


def execution_arn(state_machine_arn: str, name: str) -> str:
    """The ARN Step Functions gives the execution `name` of a standard state machine."""
    return state_machine_arn.replace(":stateMachine:", ":execution:", 1) + f":{name}"


def start(state_machine_arn: str, name: str, payload: dict[str, Any]) -> str:
    """Start an execution named after the checkpoint. Starting the same name again is not an
    error (a retried request): Step Functions keeps names unique per state machine."""
    try:
        return client("stepfunctions").start_execution(
            stateMachineArn=state_machine_arn, name=name, input=json.dumps(payload))["executionArn"]
    except ClientError as exc:
        if exc.response["Error"]["Code"] != "ExecutionAlreadyExists":
            raise
        return execution_arn(state_machine_arn, name)


def describe(execution_arn: str) -> dict[str, Any]:
    return client("stepfunctions").describe_execution(executionArn=execution_arn)


def send_task_success(task_token: str, output: dict[str, Any]) -> None:
    client("stepfunctions").send_task_success(taskToken=task_token, output=json.dumps(output))


def history(execution_arn: str) -> Iterator[dict[str, Any]]:
    """Every history event, oldest first, following nextToken pages."""
    sfn = client("stepfunctions")
    kwargs: dict[str, Any] = {"executionArn": execution_arn, "maxResults": 1000}
    while True:
        page = sfn.get_execution_history(**kwargs)
        yield from page["events"]
        token = page.get("nextToken")
        if not token:
            return
        kwargs["nextToken"] = token


def list_executions(state_machine_arn: str, status: str | None, limit: int, token: str | None) -> dict[str, Any]:
    """One page of executions, newest first."""
    kwargs: dict[str, Any] = {"stateMachineArn": state_machine_arn, "maxResults": limit}
    if status:
        kwargs["statusFilter"] = status
    if token:
        kwargs["nextToken"] = token
    sfn = client("stepfunctions")
    try:
        return sfn.list_executions(**kwargs)
    except sfn.exceptions.InvalidToken:
        raise ValueError("not a page token Step Functions issued") from None
