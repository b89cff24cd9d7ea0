"""Session fixtures over one embedded AWS per test process, shared by every test folder.

`stack`: moto with Step Functions executing the real state machines, Lambda tasks dispatched
in-process to app.py's handlers, sample lists published.
`live_server`: Chalice's local HTTP server for the app on an ephemeral loopback port, over that
same stack: what `make run` serves, for tests that speak real HTTP (schemathesis, the browser).
"""
from __future__ import annotations

import threading
import time
from collections.abc import Iterator

import pytest

from app import app
from chalicelib.aws import clients
from chalicelib.local.embedded import embedded_stack
from chalicelib.local.provisioning import Stack
from chalicelib.local.sample_data import publish_sample_lists
from chalicelib.local.serve import api_server


@pytest.fixture(scope="session")
def stack() -> Iterator[Stack]:
    with embedded_stack(app) as provisioned:
        clients.reset()
        publish_sample_lists()
        yield provisioned
        _drain_running_checkpoints(provisioned)
    clients.reset()


def _drain_running_checkpoints(provisioned: Stack, timeout: float = 15.0) -> None:
    """Let workflows that tests started but did not wait for finish before moto goes away."""
    index = clients.table(provisioned.environment["CHECKPOINTS_TABLE"])
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        running = index.query(IndexName="by-status", KeyConditionExpression="#s = :r",
                              ExpressionAttributeNames={"#s": "status"},
                              ExpressionAttributeValues={":r": "RUNNING"}, Limit=1)["Items"]
        if not running:
            return
        time.sleep(0.1)


@pytest.fixture(scope="session")
def live_server(stack: Stack) -> Iterator[str]:
    """Base URL (http://127.0.0.1:PORT) of the app served over HTTP on the embedded stack."""
    server = api_server(0)
    thread = threading.Thread(target=server.server.serve_forever, name="live-api", daemon=True)
    thread.start()
    host, port = server.server.server_address[:2]
    yield f"http://{host}:{port}"
    server.shutdown()
    thread.join(timeout=5)
