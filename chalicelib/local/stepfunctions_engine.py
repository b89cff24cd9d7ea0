"""Two fixes to moto's Step Functions engine for executions that run at the same time.

- Its ASL preprocessor keeps the stack of query languages (JSONPath/JSONata) per scope in a list
  on the class, shared by every parse: two executions starting at once pushed and popped each
  other's scopes (an IndexError in one of them). Each parse gets its own list.
- It builds a new boto3 client for every Lambda task it runs (botocore loads and validates the
  service model each time: milliseconds of CPU under the GIL, per task). On the embedded AWS
  those clients carry the same fixed credentials whatever the state's role and aim at the same
  endpoint while the stack runs, so one per (region, service) is built and kept; boto3 clients
  are safe to share between threads.
"""
from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

from moto.stepfunctions.parser.asl.component.state.exec.state_task import lambda_eval_utils
from moto.stepfunctions.parser.asl.parse.preprocessor import Preprocessor


def install() -> Callable[[], None]:
    original_client_for, original_init = lambda_eval_utils.boto_client_for, Preprocessor.__init__
    built: dict[tuple[str, str], Any] = {}
    lock = threading.Lock()

    def kept(region: str, service: str, state_credentials: Any = None) -> Any:
        with lock:
            if (region, service) not in built:
                built[(region, service)] = original_client_for(region=region, service=service,
                                                               state_credentials=state_credentials)
            return built[(region, service)]

    def own_scopes(self: Preprocessor, *args: Any, **kwargs: Any) -> None:
        original_init(self, *args, **kwargs)
        self._query_language_per_scope = []

    lambda_eval_utils.boto_client_for, Preprocessor.__init__ = kept, own_scopes

    def uninstall() -> None:
        lambda_eval_utils.boto_client_for, Preprocessor.__init__ = original_client_for, original_init

    return uninstall
