"""Three fixes to moto's Step Functions engine for executions that run at the same time.

- Its ASL preprocessor keeps the stack of query languages (JSONPath/JSONata) per scope in a list
  on the class, shared by every parse: two executions starting at once pushed and popped each
  other's scopes (an IndexError in one of them). Each parse gets its own list.
- It builds a new boto3 client for every Lambda task it runs (botocore loads and validates the
  service model each time: milliseconds of CPU under the GIL, per task). On the embedded AWS
  those clients carry the same fixed credentials whatever the state's role and aim at the same
  endpoint while the stack runs, so one per (region, service) is built and kept; boto3 clients
  are safe to share between threads.
- It parses the state machine's definition with ANTLR again for every execution (about half a
  second of CPU for the sign-up workflow on this machine). Each definition is parsed once and
  every execution gets its own deep copy of the parsed program (about 20 ms): executions never
  share the interpreter's mutable state (sharing one program made a Parallel branch fail with
  "dictionary changed size during iteration").
"""
from __future__ import annotations

import copy
import threading
from collections.abc import Callable
from typing import Any

from moto.stepfunctions.parser.asl.component.state.exec.state_task import lambda_eval_utils
from moto.stepfunctions.parser.asl.parse.asl_parser import AmazonStateLanguageParser
from moto.stepfunctions.parser.asl.parse.preprocessor import Preprocessor
from moto.stepfunctions.parser.backend.execution_worker import ExecutionWorker


def install() -> Callable[[], None]:
    original_client_for, original_init = lambda_eval_utils.boto_client_for, Preprocessor.__init__
    original_entrypoint = ExecutionWorker._get_evaluation_entrypoint
    built: dict[tuple[str, str], Any] = {}
    parsed: dict[str, Any] = {}
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

    def own_copy(worker: ExecutionWorker) -> Any:
        definition = worker._evaluation_details.state_machine_details.definition
        with lock:
            program = parsed.get(definition)
        if program is None:
            program = AmazonStateLanguageParser.parse(definition)[0]
            with lock:
                parsed[definition] = program
        return copy.deepcopy(program)

    lambda_eval_utils.boto_client_for, Preprocessor.__init__ = kept, own_scopes
    ExecutionWorker._get_evaluation_entrypoint = own_copy

    def uninstall() -> None:
        lambda_eval_utils.boto_client_for, Preprocessor.__init__ = original_client_for, original_init
        ExecutionWorker._get_evaluation_entrypoint = original_entrypoint

    return uninstall
