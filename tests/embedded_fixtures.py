"""Session fixtures over one embedded AWS per test process, shared by every test folder.

`stack`: moto with Step Functions executing the real state machines, Lambda tasks dispatched
in-process to app.py's handlers, sample lists published.
`live_server`: Chalice's local HTTP server for the app on an ephemeral loopback port, over that
same stack: what `make run` serves, for tests that speak real HTTP (schemathesis, the browser).

Privacy, suite-wide: while the stack lives, everything the service's Powertools logger writes is
captured; when it ends, every execution history of both state machines and that whole log are
searched for every personal value the tests sent (tests/pii.py). A leak fails the session.
"""
from __future__ import annotations

import json
import logging
import os
import re
import tempfile
import time
from collections.abc import Iterator

import pytest

from app import app
from chalicelib.stores import AWS, clients
from chalicelib.local.embedded import embedded_stack
from chalicelib.local.template import merge_template
from chalicelib.local.provisioning import Stack
from chalicelib.local.sample_data import publish_sample_lists
from chalicelib.local.serve import serving_in_background
from chalicelib.settings import PROJECT_ROOT
from tests import iam, pii


@pytest.fixture(scope="session")
def stack() -> Iterator[Stack]:
    with tempfile.TemporaryFile("w+", encoding="utf-8") as log_file, embedded_stack(app, public_endpoint=True) as provisioned:
        service_log = logging.getLogger("checkpoint")  # the Powertools logger of every module
        handler = logging.StreamHandler(log_file)
        handler.setFormatter(service_log.handlers[0].formatter if service_log.handlers else None)
        service_log.addHandler(handler)
        clients.reset()
        publish_sample_lists()
        recorder = iam.Recorder()
        undo = iam.install(app, recorder)
        yield provisioned
        _drain_running_checkpoints(provisioned)
        iam.uninstall(undo)
        service_log.removeHandler(handler)
        log_file.seek(0)
        _assert_no_personal_data(provisioned, log_file.read())
        _assert_every_call_allowed(provisioned, recorder)
    clients.reset()


IAM_USAGE_DIR = PROJECT_ROOT / "build" / "iam-usage"


def _assert_every_call_allowed(provisioned: Stack, recorder: iam.Recorder) -> None:
    """Every AWS call a function made, against that function's policy file; which statements some
    call needed is left for the session's summary (tests/conftest.py)."""
    verdict = iam.judge(recorder.calls, iam.stack_context(provisioned, merge_template()),
                        iam.resolved_policies(iam.tolerant(provisioned.resolver)), iam.policy_files())
    IAM_USAGE_DIR.mkdir(parents=True, exist_ok=True)
    worker = os.environ.get("PYTEST_XDIST_WORKER", "main")
    (IAM_USAGE_DIR / f"{worker}.json").write_text(json.dumps({f: sorted(i) for f, i in verdict.used.items()}))
    assert recorder.calls, "no AWS call was recorded: the IAM check sees nothing"
    assert not verdict.refused, "calls the function's IAM policy does not allow:\n" + "\n".join(
        f"  {n.function} ({iam.policy_files().get(n.function, 'no policy file')}): {n.action} on {n.resource} "
        f"[{n.call}]" for n in verdict.refused)


def _assert_no_personal_data(provisioned: Stack, log_text: str) -> None:
    histories = []
    for arn_variable in ("ONBOARDING_STATE_MACHINE_ARN", "OFFBOARDING_STATE_MACHINE_ARN", "MONITORING_STATE_MACHINE_ARN",
                         "ALERT_STATE_MACHINE_ARN", "LIST_REFRESH_STATE_MACHINE_ARN"):
        sfn = clients.client("stepfunctions")
        for page in sfn.get_paginator("list_executions").paginate(
                stateMachineArn=provisioned.environment[arn_variable]):
            histories += [(e["name"], json.dumps(list(AWS.workflows.history(e["executionArn"])), default=str))
                          for e in page["executions"]]
    assert histories and "task finished" in log_text  # the scan does see workflows and log lines
    leaks = sorted({(name, value) for value in pii.values() for name, text in [*histories, ("service log", log_text)]
                    if value in text and _as_a_word(value, text)})
    assert not leaks, f"personal data in execution histories or logs: {leaks[:20]}"


def _as_a_word(value: str, text: str) -> bool:
    """`value` in `text` not as part of a longer word: a generated family name "Block" is not the
    state name "BlockPayments"."""
    return re.search(rf"(?<![^\W_]){re.escape(value)}(?![^\W_])", text) is not None


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
    with serving_in_background() as base_url:
        yield base_url
