"""What a channel team does with the OpenAPI document the live server serves: generate a Python
client (openapi-python-client) and TypeScript types (openapi-typescript), with no generator
warning, lint it (redocly, recommended rules), and call the API through the generated client: a
sign-up, a long-poll and a review decision, over plain HTTP."""
from __future__ import annotations

import importlib
import json
import os
import subprocess
import sys
import time
import uuid
from datetime import datetime
from pathlib import Path
from types import ModuleType

import pytest
import requests
from openapi_python_client import generate
from openapi_python_client.config import Config, ConfigFile, MetaType

from app import api
from chalicelib.api import samples
from chalicelib.api.auth import issue_local_token
from chalicelib.domain.actors import Role
from tests import pii
from tests.conftest import ROOT
from tests.integration.conftest import CHANNEL, applicant_body

VENV_BIN = Path(sys.executable).parent
NODE_BIN = ROOT / "node_modules" / ".bin"
PACKAGE = "checkpoint_api_client"
# Generator notices allowed, by the media type of a body that is not JSON, each with its reason.
# openapi-python-client reads text/* answers as text and JSON as models; a request or answer in any
# other type (e.g. text/csv uploads, application/x-ndjson alone) it reports as unsupported.
NOT_JSON_BODIES: dict[str, str] = {
    "text/csv": "POST /v1/lists/internal/versions also takes its list as CSV; the client sends the same body as JSON",
}


@pytest.fixture(scope="module")
def document_url(live_server: str) -> str:
    return f"{live_server}/v1/openapi.json"


def _run(*command: str | Path) -> subprocess.CompletedProcess[str]:
    if not Path(command[0]).is_file():
        pytest.fail(f"{command[0]} is missing: `make` installs the npm tools (npm ci)")
    return subprocess.run([str(part) for part in command], cwd=ROOT, capture_output=True, text=True, timeout=300)


def generated(document_source: str | Path, out: Path) -> list[str]:
    """Generate the client (what `openapi-python-client generate` runs, formatting included): the
    generator's warnings and errors, one line each, apart from the allowed notices."""
    config = Config.from_sources(ConfigFile(), MetaType.NONE, document_source, "utf-8", overwrite=True,
                                 output_path=out)
    path = os.environ["PATH"]
    os.environ["PATH"] = f"{VENV_BIN}{os.pathsep}{path}"  # its formatting step runs ruff
    try:
        notices = [f"{error.header} {error.detail or ''}".strip() for error in generate(config=config)]
    finally:
        os.environ["PATH"] = path
    return [n for n in notices if not ("Unsupported content" in n and any(m in n for m in NOT_JSON_BODIES))]


@pytest.fixture(scope="module")
def python_client(document_url: str, tmp_path_factory) -> ModuleType:
    out = tmp_path_factory.mktemp("python-client")
    assert generated(document_url, out / PACKAGE) == []
    sys.path.insert(0, str(out))
    importlib.import_module(f"{PACKAGE}.models")  # the package's models, as python_client.models
    return importlib.import_module(PACKAGE)


def test_the_python_client_has_a_function_per_operation(python_client):
    for op in api:
        tag = op.tags[0] if op.tags else "default"
        module = importlib.import_module(f"{PACKAGE}.api.{tag}.{op.operation_id}")
        assert callable(module.sync_detailed), op.operation_id


def test_the_generator_check_fails_when_a_response_model_loses_its_items(live_server, tmp_path):
    broken = requests.get(f"{live_server}/v1/openapi.json", timeout=10).json()
    del broken["components"]["schemas"]["CheckpointView"]["properties"]["steps"]["items"]
    (tmp_path / "broken.json").write_text(json.dumps(broken))
    notices = generated(tmp_path / "broken.json", tmp_path / "client")
    assert any("CheckpointView" in n and "items" in n for n in notices), notices


def test_typescript_types_are_generated_without_warnings_and_type_check_every_example(document_url, tmp_path):
    schema = tmp_path / "schema.d.ts"
    result = _run(NODE_BIN / "openapi-typescript", document_url, "--output", schema, "--default-non-nullable", "false")
    assert result.returncode == 0, result.stdout + result.stderr
    lines = [line for line in (result.stdout + result.stderr).splitlines() if line.strip()]
    assert [line for line in lines if not line.startswith(("✨ openapi-typescript", "🚀 "))] == [], lines
    # Every example, as the operation's request or answer type: a field the types lack fails.
    usage = ['import type { operations } from "./schema";']
    for op in api:
        if op.example and op.example.request and "application/json" in op.content_types:
            usage.append(f'export const {op.operation_id}_request: operations["{op.operation_id}"]["requestBody"]'
                         f'["content"]["application/json"] = {json.dumps(samples.request(op.example.request))};')
        if op.example and op.example.response and op.example.response.endswith(".json"):
            usage.append(f'export const {op.operation_id}_response: operations["{op.operation_id}"]["responses"]'
                         f'[{op.status}]["content"]["application/json"] = '
                         f'{json.dumps(samples.response(op.example.response))};')
    (tmp_path / "usage.ts").write_text("\n".join(usage) + "\n", encoding="utf-8")
    checked = _run(NODE_BIN / "tsc", "--noEmit", "--strict", "--target", "es2022", "--module", "es2022",
                   "--moduleResolution", "bundler", tmp_path / "usage.ts")
    assert checked.returncode == 0, checked.stdout + checked.stderr
    assert len(usage) > len(api.declared)


def test_redocly_recommended_rules_find_nothing(live_server, tmp_path):
    served = tmp_path / "openapi.json"
    served.write_bytes(requests.get(f"{live_server}/v1/openapi.json", timeout=10).content)
    result = _run(NODE_BIN / "redocly", "lint", served, "--config", ROOT / "redocly.yaml", "--format", "json")
    report = json.loads(result.stdout)
    problems = [(p["ruleId"], p["message"], p["location"][0]["pointer"]) for p in report.get("problems", [])]
    assert report["totals"] == {"errors": 0, "warnings": 0, "ignored": 0}, problems
    assert result.returncode == 0


# ---- the API through the generated client ----

def _call(module: str):
    return importlib.import_module(f"{PACKAGE}.api.{module}")


def _clients(python_client: ModuleType, live_server: str):
    def client(role: Role, subject: str):
        return python_client.AuthenticatedClient(base_url=live_server, token=issue_local_token(role, subject),
                                                 raise_on_unexpected_status=True, timeout=30.0)
    return client(Role.CHANNEL, CHANNEL), client(Role.COMPLIANCE, "officer-generated")


def _long_poll(channel, checkpoint_id: str, until: set[str], timeout: float = 30.0):
    """Long-poll as a channel waits through a review: `wait`, and `seen` (the updated_at it last
    saw), until the checkpoint's status is one of `until`."""
    get_checkpoint = _call("checkpoints.get_checkpoint")
    deadline, seen = time.monotonic() + timeout, None
    while True:
        checkpoint = get_checkpoint.sync(checkpoint_id, client=channel, wait=5,
                                         **({"seen": seen} if seen else {}))
        if checkpoint.status.value in until or time.monotonic() > deadline:
            return checkpoint
        seen = datetime.fromisoformat(checkpoint.updated_at.replace("Z", "+00:00"))


def test_a_sign_up_and_its_long_poll_through_the_generated_client(python_client, live_server):
    models = python_client.models
    channel, _ = _clients(python_client, live_server)
    start_onboarding = _call("checkpoints.start_onboarding")
    started = start_onboarding.sync(client=channel, body=models.OnboardingRequest.from_dict(applicant_body()),
                                    idempotency_key=str(uuid.uuid4()))
    assert isinstance(started, models.CheckpointView) and started.status is models.CheckpointStatus.RUNNING
    assert set(started.to_dict()) == set(samples.response("checkpoint-running.json"))

    final = _long_poll(channel, started.checkpoint_id, {"APPROVED", "REJECTED", "FAILED"})
    assert final.status is models.CheckpointStatus.APPROVED and final.customer_id.startswith("cus_")
    assert [type(step) for step in final.steps] == [models.StepView, models.StepView]
    assert {step.name: step.verdict for step in final.steps} == {"identity": models.Verdict.PASS,
                                                                "screening": models.Verdict.PASS}
    assert set(final.to_dict()) == set(samples.response("checkpoint-approved.json"))


def test_a_review_decision_through_the_generated_client(python_client, live_server):
    models = python_client.models
    channel, officer = _clients(python_client, live_server)
    body = samples.request("signup-review.json")  # a name on the OFAC SDN sample, another birth date
    body["channel"]["reference"] = f"generated-{uuid.uuid4().hex[:12]}"
    pii.remember_request(body)
    started = _call("checkpoints.start_onboarding").sync(
        client=channel, body=models.OnboardingRequest.from_dict(body), idempotency_key=str(uuid.uuid4()))
    waiting = _long_poll(channel, started.checkpoint_id, {"IN_REVIEW", "APPROVED", "REJECTED", "FAILED"})
    assert waiting.status is models.CheckpointStatus.IN_REVIEW and waiting.review.awaiting_decision

    decide_review = _call("compliance.decide_review")
    decision = models.ReviewDecisionRequest.from_dict(samples.request("review-decision.json"))
    decided = decide_review.sync(started.checkpoint_id, client=officer, body=decision)
    assert isinstance(decided, models.CheckpointView)
    assert [d.outcome for d in decided.review.decisions] == [models.ReviewOutcome.APPROVE]
    assert set(decided.to_dict()) - {"customer_id", "decision"} <= set(samples.response("review-decided.json"))
    again = decide_review.sync_detailed(started.checkpoint_id, client=officer, body=decision)
    assert again.status_code == 409 and isinstance(again.parsed, models.Error)  # errors come typed too
    final = _long_poll(channel, started.checkpoint_id, {"APPROVED", "REJECTED", "FAILED"})
    assert final.status is models.CheckpointStatus.APPROVED
