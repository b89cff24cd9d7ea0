"""Lambda: invoke one of the stack's functions asynchronously (an event)."""
from __future__ import annotations

import json
from typing import Any, Protocol

from chalicelib.stores.clients import client


class FunctionInvoker(Protocol):
    def invoke_async(self, function_name: str, payload: dict[str, Any]) -> None: ...


class LambdaFunctions:
    """`FunctionInvoker` on AWS Lambda."""

    def invoke_async(self, function_name: str, payload: dict[str, Any]) -> None:
        client("lambda").invoke(FunctionName=function_name, InvocationType="Event",
                                Payload=json.dumps(payload).encode())
