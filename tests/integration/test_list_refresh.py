"""A list refresh in the background on the embedded stack: POST /v1/lists/refresh answers 202 with
the refresh's id and Location; the list refresh workflow (stepfunctions/list_refresh.asl.json)
publishes the version, and GET /v1/lists/refreshes/{id} shows its stage and, at the end, the
report a synchronous refresh gives, or why it was refused."""
from __future__ import annotations

import time

from chalicelib.settings import get_settings
from chalicelib.stores import clients
from tests.conftest import ROOT

PEP_FILE = "us_congress_senzing.json"
PEP_LINES = (ROOT / "data" / "lists" / "pep-us-congress" / PEP_FILE).read_bytes().splitlines(keepends=True)


def _upload(stack, prefix: str, body: bytes) -> None:
    clients.client("s3").put_object(Bucket=stack.environment["LISTS_BUCKET"],
                                    Key=f"uploads/pep-us-congress/{prefix}/{PEP_FILE}", Body=body)


def _refresh(http, prefix: str) -> dict:
    accepted = http.post("/v1/lists/refresh", {"source": "pep-us-congress", "upload_prefix": prefix,
                                               "snapshot": "2026-12-01", "asynchronous": True},
                         key=False, role="compliance")
    assert accepted.status_code == 202, accepted.body
    body = accepted.json_body
    assert body["status"] == "accepted" and accepted.headers["Location"] == body["links"]["self"]
    deadline = time.monotonic() + 120
    while True:
        state = http.get(body["links"]["self"], role="auditor")
        assert state.status_code == 200, state.body
        if state.json_body["state"] not in ("accepted", "running") or time.monotonic() > deadline:
            return state.json_body
        time.sleep(0.3)


def test_a_refresh_in_the_background_publishes_the_version_or_says_why_not(http, stack):
    last = PEP_LINES[-1]  # a member of Congress delisted (a later entry than the ones other tests screen)
    _upload(stack, "minus-last", b"".join(PEP_LINES[:-1]))
    ended = _refresh(http, "minus-last")
    assert (ended["state"], ended["stage"]) == ("published", "indexing"), ended
    report = ended["report"]
    assert report["diff"]["removed"] == 1 and report["diff"]["added"] == 0 and report["status"] == "published"
    assert ended["finished_at"] >= ended["requested_at"] and ended["requested_by"] == "compliance-tester"
    in_force = {i["source"]: i for i in http.get("/v1/lists", role="compliance").json_body["items"]}["pep-us-congress"]
    assert in_force["version"] == report["version"]

    _upload(stack, "nearly-empty", PEP_LINES[0])
    refused = _refresh(http, "nearly-empty")
    assert (refused["state"], refused["error_code"]) == ("refused", "SUSPICIOUS_SHRINK"), refused
    assert "report" not in refused or refused["report"] is None
    executions = clients.client("stepfunctions").list_executions(
        stateMachineArn=get_settings().list_refresh_state_machine_arn)["executions"]
    assert {e["status"] for e in executions} == {"SUCCEEDED"}  # a refusal is an end, not a failure

    _upload(stack, "restored", b"".join(PEP_LINES[:-1]) + last)  # the member back: in force again as before
    assert _refresh(http, "restored")["report"]["diff"]["added"] == 1


def test_an_unknown_refresh_is_a_404_and_a_channel_may_not_ask(http):
    assert http.get("/v1/lists/refreshes/lrf_" + "0" * 32, role="compliance").status_code == 404
    assert http.get("/v1/lists/refreshes/not-an-id", role="compliance").status_code == 404
    assert http.get("/v1/lists/refreshes/lrf_" + "0" * 32).status_code == 403


def test_the_opensanctions_subscription_is_refreshed_in_the_background_and_a_broken_file_never_published(http, stack):
    items = {i["source"]: i for i in http.get("/v1/lists", role="auditor").json_body["items"]}
    shown = items["opensanctions-default"]
    assert (shown["kind"], shown["format"], shown["required"], shown["version"]) == ("mixed", "ftm-json", False, None)
    assert shown["publisher"] == "https://www.opensanctions.org/datasets/default/"
    line = b'{"id": "os-1", "schema": "Person", "properties": {"name": ["Ivan Petrov"]}, "topics": ["sanction"]}\n'
    clients.client("s3").put_object(Bucket=stack.environment["LISTS_BUCKET"],
                                    Key="uploads/opensanctions-default/broken/entities.ftm.json",
                                    Body=line * 3 + b'{"id": "os-2", "sche')
    accepted = http.post("/v1/lists/refresh", {"source": "opensanctions-default", "upload_prefix": "broken"},
                         key=False, role="compliance")  # no `asynchronous`: the policy's
    assert accepted.status_code == 202, accepted.body
    deadline = time.monotonic() + 120
    while (state := http.get(accepted.json_body["links"]["self"], role="auditor").json_body)["state"] in (
            "accepted", "running") and time.monotonic() < deadline:
        time.sleep(0.3)
    assert (state["state"], state["error_code"]) == ("refused", "UNREADABLE_LIST"), state
    items = {i["source"]: i for i in http.get("/v1/lists", role="auditor").json_body["items"]}
    assert items["opensanctions-default"]["version"] is None
