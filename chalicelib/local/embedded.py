"""The embedded AWS: moto, with Step Functions executing state machines for real and
Lambda tasks dispatched in-process to the Chalice app's handlers.

`embedded_stack(app)` is used by the tests and benchmarks (in-process `mock_aws`) and by
`make run` (`server=True`: the same backends also served by a ThreadedMotoServer on
127.0.0.1, for the aws cli or any other process). Either way the stack is provisioned from
the merge template and the functions' environment is exported to this process.
"""
from __future__ import annotations

import importlib
import json
import os
import secrets
from collections.abc import Callable, Iterator
from typing import Any
from contextlib import contextmanager, ExitStack

from chalice import Chalice
from moto import mock_aws
from moto.core.config import default_user_config

from chalicelib import clock
from chalicelib.api.auth import LOCAL_KEY_VARIABLE
from chalicelib.local import backend_lookup, dynamodb_atomicity, lambda_dispatch, s3_fidelity, stepfunctions_engine
from chalicelib.domain.checkpoint import iso
from chalicelib.local.provisioning import ACCOUNT_ID, Stack, provision, scheduled_functions
from chalicelib.settings import LOCAL_STAGE, PROJECT_ROOT, get_settings

MOTO_CONFIG = {"stepfunctions": {"execute_state_machine": True}, "lambda": {"use_docker": False}}
LOCAL_REGION = "eu-west-1"


LOCAL_KEY_FILE = PROJECT_ROOT / ".chalice" / "local-token.key"  # kept out of git (.gitignore)


def local_token_key() -> str:
    """This install's key for signing local tokens: made on first use (`make run`, `make token`, the
    tests), readable by its owner only, never committed, so no two installs accept each other's
    tokens. Delete the file to make a new one (every token issued before stops working)."""
    if not LOCAL_KEY_FILE.exists():
        descriptor = os.open(LOCAL_KEY_FILE, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(descriptor, "w", encoding="utf-8") as key_file:
            key_file.write(secrets.token_urlsafe(32))
    return LOCAL_KEY_FILE.read_text(encoding="utf-8").strip()


def stage_environment(stage: str = LOCAL_STAGE) -> dict[str, str]:
    """The stage's `environment_variables` from .chalice/config.json (as Chalice deploys them), and
    on the local stage this install's token key."""
    config = json.loads((PROJECT_ROOT / ".chalice" / "config.json").read_text(encoding="utf-8"))
    variables = {**config.get("environment_variables", {}), **config["stages"][stage].get("environment_variables", {})}
    if stage == LOCAL_STAGE:
        variables[LOCAL_KEY_VARIABLE] = local_token_key()
    return variables


def _fake_credentials(region: str) -> dict[str, str]:
    return {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing", "AWS_SESSION_TOKEN": "testing",
            "AWS_DEFAULT_REGION": region, "AWS_REGION": region}


PUBLIC_ENDPOINT_VARIABLE = "CHECKPOINT_PUBLIC_ENDPOINT"


def _scheduled(source: Any) -> Callable[[dict[str, Any], Any], Any]:
    """A scheduled function's handler as a Lambda invocation runs it: an event without a time (an
    operator's `aws lambda invoke --payload '{}'`) runs at the product's now, as EventBridge would."""
    module, attribute = source.handler_string.rsplit(".", 1)
    handler = getattr(importlib.import_module(module), attribute)

    def invoke(event: dict[str, Any], context: Any) -> Any:
        event = event if isinstance(event, dict) else {}
        scheduled = {"version": "0", "id": "embedded-invoke", "detail-type": "Scheduled Event",
                     "source": "aws.events", "account": ACCOUNT_ID, "region": LOCAL_REGION, "resources": [],
                     "detail": {}, "time": iso(clock.now()), **event}
        return handler(scheduled, context)

    invoke.name = source.name
    return invoke


@contextmanager
def embedded_stack(app: Chalice, *, server: bool = False, public_endpoint: bool = False, port: int = 0,
                   stack_name: str = "checkpoint-local", region: str = LOCAL_REGION) -> Iterator[Stack]:
    """`server`: serve the embedded AWS to other processes (aws cli, boto3 scripts) on 127.0.0.1,
    and run Step Functions' internal calls through it, as `make run` does. `public_endpoint`
    (implied by `server`): serve it so that the links the API hands out (presigned S3 uploads and
    downloads) work from outside this process, for tests that use them with plain HTTP."""
    os.environ.update(_fake_credentials(region))
    os.environ.pop("AWS_ENDPOINT_URL", None)
    with ExitStack() as stack:
        stack.enter_context(mock_aws(config=MOTO_CONFIG))
        stack.callback(dynamodb_atomicity.install())
        stack.callback(backend_lookup.install())
        stack.callback(stepfunctions_engine.install())
        stack.callback(s3_fidelity.install())
        clock.reset()
        stack.callback(clock.reset)
        endpoint = None
        if server or public_endpoint:
            # The same in-memory backends, also served over HTTP. This process keeps the in-process
            # path for its own calls: no HTTP round trip per call.
            from moto.server import ThreadedMotoServer

            default_user_config.update(MOTO_CONFIG)
            moto_server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
            moto_server.start()
            stack.callback(moto_server.stop)
            host, bound_port = moto_server.get_host_and_port()
            endpoint = f"http://127.0.0.1:{bound_port}"
            if server:  # Step Functions' internal clients call http://localhost:$MOTO_PORT.
                os.environ["MOTO_PORT"] = str(bound_port)
                stack.callback(os.environ.pop, "MOTO_PORT", None)
        provisioned = provision(app, stack_name, region, stage=LOCAL_STAGE)
        handlers = {provisioned.function_names[fn.name]: fn for fn in app.pure_lambda_functions}
        handlers |= {provisioned.function_names[source.name]: _scheduled(source) for source in scheduled_functions(app)}
        stack.callback(lambda_dispatch.install(handlers))
        os.environ.update(stage_environment(), **provisioned.environment)
        if endpoint:
            os.environ[PUBLIC_ENDPOINT_VARIABLE] = endpoint
            stack.callback(os.environ.pop, PUBLIC_ENDPOINT_VARIABLE, None)
        get_settings.cache_clear()
        yield provisioned
