"""moto's Step Functions engine builds a new boto3 client for every Lambda task it runs (botocore
loads and validates the service model each time: milliseconds of CPU under the GIL, per task). On
the embedded AWS its clients all carry the same fixed credentials and settings, so one client per
(region, service) is built and kept for the embedded stack's life (moto's builder signs with fixed
credentials whatever the state's role, and aims at the same endpoint while the stack runs); boto3
clients are safe to share between threads."""
from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

from moto.stepfunctions.parser.asl.component.state.exec.state_task import lambda_eval_utils


def install() -> Callable[[], None]:
    original = lambda_eval_utils.boto_client_for
    built: dict[tuple[str, str], Any] = {}
    lock = threading.Lock()

    def kept(region: str, service: str, state_credentials: Any = None) -> Any:
        with lock:
            if (region, service) not in built:
                built[(region, service)] = original(region=region, service=service, state_credentials=state_credentials)
            return built[(region, service)]

    lambda_eval_utils.boto_client_for = kept
    return lambda: setattr(lambda_eval_utils, "boto_client_for", original)
