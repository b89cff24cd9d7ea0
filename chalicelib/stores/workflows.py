"""Step Functions: start executions, resume waiting tasks, read execution history."""
from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any, Protocol

from botocore.exceptions import ClientError

from chalicelib.errors import Conflict
from chalicelib.stores.clients import client


def execution_arn(state_machine_arn: str, name: str) -> str:
    """The ARN Step Functions gives the execution `name` of a standard state machine."""
    return state_machine_arn.replace(":stateMachine:", ":execution:", 1) + f":{name}"


class TaskTokenExpired(Conflict):
    """The task the token resumes has timed out or no longer exists."""


class WorkflowEngine(Protocol):
    def start(self, state_machine_arn: str, name: str, payload: dict[str, Any]) -> str: ...
    def describe(self, execution_arn: str) -> dict[str, Any]: ...
    def send_task_success(self, task_token: str, output: dict[str, Any]) -> None: ...
    def history(self, execution_arn: str) -> Iterator[dict[str, Any]]: ...
    def list_executions(self, state_machine_arn: str, status: str | None, limit: int, token: str | None
                        ) -> dict[str, Any]: ...


class StepFunctions:
    """`WorkflowEngine` on AWS Step Functions."""

    def start(self, state_machine_arn: str, name: str, payload: dict[str, Any]) -> str:
        """Start an execution named after the checkpoint. Starting the same name again is not an
        error (a retried request): Step Functions keeps names unique per state machine."""
        try:
            return client("stepfunctions").start_execution(
                stateMachineArn=state_machine_arn, name=name, input=json.dumps(payload))["executionArn"]
        except ClientError as exc:
            if exc.response["Error"]["Code"] != "ExecutionAlreadyExists":
                raise
            return execution_arn(state_machine_arn, name)

    def describe(self, execution_arn: str) -> dict[str, Any]:
        return client("stepfunctions").describe_execution(executionArn=execution_arn)

    def send_task_success(self, task_token: str, output: dict[str, Any]) -> None:
        try:
            client("stepfunctions").send_task_success(taskToken=task_token, output=json.dumps(output))
        except ClientError as exc:
            if exc.response["Error"]["Code"] in ("TaskTimedOut", "InvalidToken", "TaskDoesNotExist"):
                raise TaskTokenExpired("the task had already timed out or ended") from exc
            raise

    def history(self, execution_arn: str) -> Iterator[dict[str, Any]]:
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

    def list_executions(self, state_machine_arn: str, status: str | None, limit: int, token: str | None
                        ) -> dict[str, Any]:
        """One page of executions, newest first; ValueError for a page token Step Functions did not issue."""
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
