"""The local stage's clock (POST /v1/local/clock): forward only, compliance only, and what follows
it on the embedded AWS: S3 Object Lock, presigned links (which moto alone never expires) and the
default time of a scheduled function invoked as an operator would."""
from __future__ import annotations

import json
import urllib.error
import urllib.request
from datetime import UTC, datetime, timedelta

import pytest

from chalicelib import clock
from chalicelib.domain.actors import Caller, Role
from chalicelib.errors import NotFound
from chalicelib.services import local_clock
from chalicelib.settings import get_settings
from chalicelib.stores import AWS, clients
from tests.integration.conftest import applicant_body
from tests.integration.test_offboarding_workflow import closure


def z(at: datetime) -> str:
    return at.astimezone(UTC).isoformat().replace("+00:00", "Z")


@pytest.fixture
def clock_moved():
    yield
    clock.reset()


def test_the_clock_moves_forward_only_and_names_the_field(http, clock_moved):
    ahead = datetime.now(UTC) + timedelta(days=1)
    moved = http.post("/v1/local/clock", {"now": z(ahead)}, key=False, role="compliance")
    assert moved.status_code == 200, moved.body
    assert 86_000 < moved.json_body["ahead_of_real_time_seconds"] < 86_500
    back = http.post("/v1/local/clock", {"now": z(datetime.now(UTC))}, key=False, role="compliance")
    assert back.status_code == 400, back.body
    assert back.json_body["error"]["fields"] == [{"field": "now", "reason": "the clock only moves forward"}]
    naive = http.post("/v1/local/clock", {"now": "2040-01-01T00:00:00"}, key=False, role="compliance")
    assert naive.status_code == 400 and naive.json_body["error"]["fields"][0]["field"] == "now"
    assert http.post("/v1/local/clock", {"now": z(ahead)}, key=False, role="channel").status_code == 403


def test_no_deployed_stage_has_a_clock(monkeypatch):
    monkeypatch.setenv("CHECKPOINT_STAGE", "prod")
    get_settings.cache_clear()
    try:
        with pytest.raises(NotFound):
            local_clock.move(Caller(role=Role.COMPLIANCE, subject="officer"), datetime.now(UTC) + timedelta(days=1))
    finally:
        monkeypatch.undo()
        get_settings.cache_clear()


def test_a_link_handed_out_expires_on_the_embedded_aws_when_its_time_has_passed(http, stack, clock_moved):
    customer_id = http.wait_final(http.post("/v1/onboarding", applicant_body()).json_body["checkpoint_id"])["customer_id"]
    export = http.post("/v1/exports", {"customer_id": customer_id, "formats": ["json"], "include": ["profile"]})
    assert export.status_code == 202, export.body
    export_id = export.json_body["export_id"]
    for _ in range(100):
        view = http.get(f"/v1/exports/{export_id}").json_body
        if view["status"] != "RUNNING":
            break
    link = view["download"]
    with urllib.request.urlopen(link["url"], timeout=10) as answer:
        assert answer.status == 200
    expires_at = datetime.fromisoformat(link["expires_at"].replace("Z", "+00:00"))
    clock.move_to(expires_at + timedelta(seconds=2))
    with pytest.raises(urllib.error.HTTPError) as refused:
        urllib.request.urlopen(link["url"], timeout=10)
    assert refused.value.code == 403 and b"Request has expired" in refused.value.read()
    fresh = http.get(f"/v1/exports/{export_id}").json_body["download"]["url"]  # signed at the moved clock
    with urllib.request.urlopen(fresh, timeout=10) as answer:
        assert answer.status == 200


def test_a_scheduled_function_invoked_without_a_time_runs_at_the_stacks_clock(http, stack, clock_moved):
    customer_id = http.wait_final(http.post("/v1/onboarding", applicant_body()).json_body["checkpoint_id"])["customer_id"]
    checkpoint_id = http.post("/v1/offboarding", closure(customer_id, export=True)).json_body["checkpoint_id"]
    assert http.wait_final(checkpoint_id)["status"] == "CLOSED"
    (package,) = [i for i in AWS.schedules.of_customer(customer_id) if i["record_class"] == "export_packages"]

    def sweep() -> dict:
        answer = clients.client("lambda").invoke(FunctionName=stack.function_names["retention_sweep"], Payload=b"{}")
        return json.loads(answer["Payload"].read())

    sweep()
    assert AWS.schedules.schedule_of(package["record_id"])["sweep_status"] == "scheduled"  # 30 days to go
    clock.move_to(datetime.now(UTC) + timedelta(days=31))
    assert sweep()["erased"] >= 2  # the package and its export record, at least
    assert AWS.schedules.schedule_of(package["record_id"])["sweep_status"] == "erased"
    assert not AWS.documents.exists(package["record_id"])
