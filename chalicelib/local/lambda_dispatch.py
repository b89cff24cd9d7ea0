"""Route Lambda invocations on the embedded AWS to the Chalice app's own handlers, in process.

moto's docker-less Lambda backend (`LambdaSimpleBackend`) is told to call the very
`@app.lambda_function` handlers that `chalice package` deploys. A handler that raises is
reported as AWS does: the `x-amz-function-error` header and an {errorMessage, errorType}
body, so the state machines' Retry and Catch match on the exception's class name.
Faults named in $CHECKPOINT_FAULTS are injected here (see chalicelib/local/faults.py).
"""
from __future__ import annotations

import json
import os
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from moto.awslambda_simple.models import LambdaSimpleBackend

from chalicelib.local.faults import PERMANENT_ERROR, TRANSIENT_ERROR, VARIABLE, FaultInjector, FaultKind
from chalicelib.local.faults import parse as parse_faults

Handler = Callable[[dict, Any], Any]


@dataclass
class LambdaContext:
    """The attributes of the Lambda context object that handlers and Powertools read."""

    function_name: str
    memory_limit_in_mb: int = 256
    function_version: str = "$LATEST"
    aws_request_id: str = field(default_factory=lambda: str(uuid.uuid4()))
    invoked_function_arn: str = ""

    @staticmethod
    def get_remaining_time_in_millis() -> int:
        return 60_000


def function_name_of(name_or_arn: str) -> str:
    """`name`, `arn:...:function:name` or `arn:...:function:name:qualifier` -> `name`."""
    if ":function:" in name_or_arn:
        return name_or_arn.split(":function:", 1)[1].split(":", 1)[0]
    return name_or_arn


def _failure(error_type: str, message: str) -> tuple[bytes, str]:
    return json.dumps({"errorMessage": message, "errorType": error_type}).encode(), "Unhandled"


def _subject(event: Any) -> str:
    """What a fault counts per: the checkpoint, or a monitoring run's shard."""
    if not isinstance(event, dict):
        return ""
    shard = event.get("shard")
    return str(event.get("checkpoint_id") or (shard.get("shard_id") if isinstance(shard, dict) else "") or "")


def invoke_handler(handler: Handler, name: str, payload: str | bytes | None,
                   injector: FaultInjector | None = None) -> tuple[bytes, str | None]:
    """Call a handler like the Lambda runtime does: JSON in, JSON out; errors as a body + error kind."""
    event = json.loads(payload) if payload else {}
    task = getattr(handler, "name", name)
    subject = _subject(event)
    fault = injector.fault_for(os.environ.get(VARIABLE, ""), task, subject) if injector else None
    if fault is not None and fault.kind is FaultKind.PERMANENT:
        return _failure(PERMANENT_ERROR, f"injected permanent fault in {task}")
    if fault is not None and fault.kind is FaultKind.TRANSIENT:
        return _failure(TRANSIENT_ERROR, f"injected transient fault in {task}")
    try:
        result = handler(event, LambdaContext(function_name=name))
    except Exception as exc:  # the runtime reports every exception to the caller
        return _failure(type(exc).__name__, str(exc))
    if fault is not None:  # crash_after: the task ran and wrote what it writes; its answer is lost
        return _failure(TRANSIENT_ERROR, f"injected crash after {task} ran")
    return json.dumps(result).encode(), None


def install(handlers: Mapping[str, Handler]) -> Callable[[], None]:
    """Dispatch invocations of the named functions to `handlers`; returns an uninstaller."""
    parse_faults(os.environ.get(VARIABLE, ""))  # a mistyped fault plan fails at start, not mid-workflow
    original = LambdaSimpleBackend.invoke
    injector = FaultInjector()

    def invoke(self, function_name, qualifier, body, headers, response_headers):  # noqa: ARG001 (moto's signature)
        name = function_name_of(function_name)
        handler = handlers.get(name)
        if handler is None:
            # moto's simple backend echoes the payload of any name; AWS answers 404 for an unknown one
            self.get_function(function_name, qualifier)  # raises UnknownFunctionException
            return original(self, function_name, qualifier, body, headers, response_headers)
        payload, error = invoke_handler(handler, name, body, injector)
        if error:
            response_headers["x-amz-function-error"] = error
        return payload

    LambdaSimpleBackend.invoke = invoke
    return lambda: setattr(LambdaSimpleBackend, "invoke", original)
