"""`make run`: the API on 127.0.0.1:$PORT over an embedded AWS with the sample lists loaded.

One process: a ThreadedMotoServer (Step Functions executing the real state machines, Lambda
tasks dispatched to app.py's handlers) and Chalice's local HTTP server for the API.
"""
from __future__ import annotations

import functools
import json
import logging
import os
import threading
from collections.abc import Iterator
from contextlib import contextmanager

from chalice.config import Config
from chalice.local import ChaliceRequestHandler, ForbiddenError, LocalDevServer, LocalGatewayException, create_local_server

from app import app, webhook_retries
from chalicelib.api.auth import issue_local_token
from chalicelib.api.errors import ApiError
from chalicelib.domain.actors import Role
from chalicelib.stores import clients
from chalicelib.local.embedded import embedded_stack
from chalicelib.local.sample_data import publish_sample_lists
from chalicelib.local.schedules import every
from chalicelib.settings import LOCAL_STAGE, PROJECT_ROOT

SAMPLES = PROJECT_ROOT / "data" / "samples"
RETRY_POLL_SECONDS = 10
LISTEN_BACKLOG = 128


def _curl(port: int, sample: str) -> str:
    return (f"curl -s -X POST http://127.0.0.1:{port}/v1/onboarding -H 'Content-Type: application/json' "
            f"-H \"Authorization: Bearer $CHANNEL_TOKEN\" "
            f"-H \"Idempotency-Key: $(python3 -c 'import uuid; print(uuid.uuid4())')\" "
            f"-d @{(SAMPLES / sample).relative_to(PROJECT_ROOT)}")


class _RequestHandler(ChaliceRequestHandler):
    """The local server answers as the deployed API does: every HTTP method is handled (405 for
    those a resource lacks) instead of Python's bare 501 page for methods it has no do_<METHOD>
    for (TRACE, QUERY...), and a path no route matches is a 404 `NOT_FOUND` in the API's error
    shape (Chalice's local gateway answers API Gateway's bare "Missing Authentication Token" 403;
    deployed, the stack's gateway response for that case answers the same 404). Nagle's algorithm
    is off: a response's headers and body go out in two writes, and on a kept-alive connection the
    second waited for the client's delayed ACK, about 40 ms per request."""

    disable_nagle_algorithm = True

    def __getattr__(self, name: str):
        if name.startswith("do_"):
            return self._generic_handle
        raise AttributeError(name)

    def _send_error_response(self, error: LocalGatewayException) -> None:
        if isinstance(error, ForbiddenError):  # no route matched: the local stage has no gateway authorizer
            shaped = ApiError(404, "NOT_FOUND", "No such resource.").response()
            self._send_http_response(404, shaped.headers, json.dumps(shaped.body).encode())
            return
        super()._send_error_response(error)


def api_server(port: int) -> LocalDevServer:
    """Chalice's local HTTP server for the app, with the local stage's configuration
    (port 0: an ephemeral port, read back from `server.server.server_address`). Chalice's local
    server keeps `app.current_request` per thread, so concurrent requests do not mix."""
    config = Config.create(chalice_stage=LOCAL_STAGE, app_name=app.app_name, project_dir=str(PROJECT_ROOT),
                           config_from_disk=json.loads((PROJECT_ROOT / ".chalice" / "config.json").read_text()))
    server = create_local_server(app, config, "127.0.0.1", port)
    server.server.RequestHandlerClass = functools.partial(_RequestHandler, app_object=app, config=config)
    # Python's HTTP server listens with a backlog of 5: with a few dozen clients (re)connecting
    # while the stack is busy, the queue overflows and connections are reset. Listening again on
    # the bound socket sets a longer one.
    server.server.socket.listen(LISTEN_BACKLOG)
    return server


@contextmanager
def serving_in_background(port: int = 0) -> Iterator[str]:
    """The API served from a background thread on 127.0.0.1 (port 0: an ephemeral one), for tests
    and benchmarks that speak real HTTP; yields its base URL."""
    server = api_server(port)
    thread = threading.Thread(target=server.server.serve_forever, name="local-api", daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server.server_address[1]}"
    finally:
        server.shutdown()
        thread.join(timeout=5)


def main() -> None:
    port = int(os.environ.get("PORT", "8000"))
    logging.getLogger("werkzeug").setLevel(logging.ERROR)  # the embedded AWS's own request log
    with embedded_stack(app, server=True, port=int(os.environ.get("AWS_PORT", "0"))) as stack:
        clients.reset()
        for report in publish_sample_lists():
            print(f"loaded list {report['source']} version {report['version']} ({report.get('entries', '?')} entries)")
        server = api_server(port)
        print(f"embedded AWS at http://127.0.0.1:{os.environ['MOTO_PORT']} (stack {stack.name}; e.g. "
              f"aws --endpoint-url http://127.0.0.1:{os.environ['MOTO_PORT']} stepfunctions list-executions "
              f"--state-machine-arn {stack.environment['ONBOARDING_STATE_MACHINE_ARN']})")
        print("Everything this stack holds (checkpoints, customers, documents, audit logs) is in memory and is "
              "lost when make run stops.")
        print("Tokens (signed with this install's key, .chalice/local-token.key, valid 12 h): "
              "make token ROLE=channel|compliance|auditor")
        print(f"  export CHANNEL_TOKEN={issue_local_token(Role.CHANNEL, 'demo-channel')}")
        print(f"  export COMPLIANCE_TOKEN={issue_local_token(Role.COMPLIANCE, 'demo-officer')}")
        print("A sign-up that is approved:")
        print(f"  {_curl(port, 'signup-approve.json')}")
        print("A sign-up that goes to manual review (name on the OFAC SDN sample, other birth date):")
        print(f"  {_curl(port, 'signup-review.json')}")
        print(f"Then: curl -s -H \"Authorization: Bearer $CHANNEL_TOKEN\" "
              f"'http://127.0.0.1:{port}/v1/checkpoints/<checkpoint_id>?wait=10'")
        print(f"Review queue: curl -s -H \"Authorization: Bearer $COMPLIANCE_TOKEN\" http://127.0.0.1:{port}/v1/reviews")
        print(f"Decide it: curl -s -X POST -H \"Authorization: Bearer $COMPLIANCE_TOKEN\" "
              f"-H 'Content-Type: application/json' -d '{{\"outcome\": \"approve\", \"reason\": \"different person\"}}' "
              f"http://127.0.0.1:{port}/v1/reviews/<checkpoint_id>/decision")
        api = f"http://127.0.0.1:{port}"
        print("A sign-up with document images (AWAITING_DOCUMENTS until the three are uploaded and completed):")
        print(f"  CP=$({_curl(port, 'signup-with-images.json')} | python3 -c 'import json,sys; "
              f"print(json.load(sys.stdin)[\"checkpoint_id\"])')")
        for side, image in (("front", "passport-front"), ("back", "passport-back"), ("selfie", "selfie")):
            print(f"  PORT={port} data/samples/upload-image.sh $CP {side} data/samples/images/{image}.jpg")
        print(f"  curl -s -X POST -H \"Authorization: Bearer $CHANNEL_TOKEN\" {api}/v1/checkpoints/$CP/documents/complete")
        print(f"  curl -s -H \"Authorization: Bearer $CHANNEL_TOKEN\" '{api}/v1/checkpoints/'$CP'?wait=10'")
        print("Webhooks: subscribe, then run a receiver with the secret the answer shows (it verifies each signature):")
        print(f"  curl -s -X POST {api}/v1/webhooks -H \"Authorization: Bearer $CHANNEL_TOKEN\" "
              f"-H 'Content-Type: application/json' -d '{{\"url\": \"http://127.0.0.1:9000/hooks\", "
              f"\"events\": [\"checkpoint.status_changed\", \"checkpoint.action_required\"]}}'")
        print("  .venv/bin/python -m chalicelib.local.webhook_receiver --port 9000 --secret whsec_...")
        print(f"Health: curl -s {api}/v1/health   OpenAPI: {api}/v1/openapi.json (to read: {api}/docs)")
        print(f"Console for compliance officers and auditors: http://127.0.0.1:{port}/console/ "
              f"(sign in with $COMPLIANCE_TOKEN, or an auditor's: make token ROLE=auditor)")
        retries = every(RETRY_POLL_SECONDS, webhook_retries)  # EventBridge's rate(1 minute), sooner
        try:
            server.serve_forever()
        except KeyboardInterrupt:
            print("stopped")
        finally:
            retries.set()


if __name__ == "__main__":
    main()
