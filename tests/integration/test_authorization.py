"""Who may call what, and whose records a channel may touch, read from the operation declarations
(`app.api`): every operation with every role and with none, and every operation that names a
checkpoint, customer or export with a second channel's token."""
from __future__ import annotations

import dataclasses
import hashlib
import hmac
import json
import time
import uuid

import pytest

from app import api, app
from chalicelib import clock
from chalicelib.api import samples
from chalicelib.api.operations import Operation
from chalicelib.domain.actors import Role
from chalicelib.settings import get_settings
from chalicelib.stores import clients
from tests import pii
from tests.integration.conftest import applicant_body

ROLES = [None, *Role]
OPERATIONS = sorted(api, key=lambda op: (op.path, op.method))
OWNER, INTRUDER = "web-signup", "mobile-app"  # the channel the tests call as, and another one

# The request each operation is sent: its example (data/samples/), which it accepts past its parsing,
# naming the test's customer where the example names one.
EXAMPLE_CUSTOMER = samples.request("closure.json")["customer_id"]


def body_of(op: Operation, ids: dict[str, str]) -> bytes:
    body = json.loads(json.dumps(samples.request(op.example.request)).replace(EXAMPLE_CUSTOMER, ids["customer_id"]))
    pii.remember_request(body)
    return json.dumps(body).encode()


QUERIES = {"AuditVerifyQuery": "?log=retention", "RetentionReportQuery": f"?customer_id=cus_{'0' * 32}"}


def op_id(op: Operation) -> str:
    return f"{op.method} {op.path}"


def request(http, op: Operation, role: Role | None, ids: dict[str, str], subject: str | None = None):
    values = {"checkpoint_id": ids["checkpoint_id"], "export_id": ids.get("export_id", f"exp_{'0' * 32}"),
              "hold_id": f"lh_{'0' * 32}", "clearance_id": f"clr_{'0' * 32}", "asset": "app.js",
              "webhook_id": f"wh_{'0' * 32}", "delivery_id": f"dlv_{'0' * 32}",
              "run_id": f"mon_{'0' * 32}", "refresh_id": f"lrf_{'0' * 32}"}
    path = op.path.format(**values) + (QUERIES.get(op.query.__name__, "") if op.query else "")
    headers = {"Content-Type": "application/json", **http.auth(role and role.value, subject)}
    if op.idempotent:
        headers["Idempotency-Key"] = str(uuid.uuid4())
    body = body_of(op, ids) if op.body else b""
    try:
        return http.client.http.request(op.method, path, headers=headers, body=body)
    finally:
        clock.reset()  # POST /v1/local/clock's example moves it: what follows runs at real time


@pytest.fixture(scope="module")
def owned(http) -> dict[str, str]:
    """An approved customer of the owner channel: its sign-up checkpoint and a ready export."""
    checkpoint_id = http.post("/v1/onboarding", applicant_body()).json_body["checkpoint_id"]
    customer_id = http.wait_final(checkpoint_id)["customer_id"]
    export = http.post("/v1/exports", {"customer_id": customer_id, "include": ["profile"]}, key=False)
    assert export.status_code == 202, export.body
    return {"checkpoint_id": checkpoint_id, "customer_id": customer_id, "export_id": export.json_body["export_id"]}


def test_every_route_is_a_declared_operation():
    routes = {(method, path) for path, entries in app.routes.items() for method in entries}
    assert routes == {(op.method, op.path) for op in api}
    assert all(op.path_params is not None for op in api if "{" in op.path)


def test_the_openapi_document_states_each_operations_roles(http):
    document = http.get("/v1/openapi.json", role=None).json_body
    for op in api:
        assert document["paths"][op.path][op.method.lower()]["x-roles"] == sorted(r.value for r in op.roles)


@pytest.mark.parametrize("op", OPERATIONS, ids=op_id)
@pytest.mark.parametrize("role", ROLES, ids=lambda r: r.value if r else "none")
def test_each_role_gets_in_or_is_refused_without_data(http, owned, op, role):
    response = request(http, op, role, dict(owned, customer_id=f"cus_{'0' * 32}"))  # closes no one
    if op.public or role in op.roles:
        assert response.status_code not in (401, 403), response.body
    else:
        assert response.status_code == (401 if role is None else 403), (op_id(op), role, response.body)
        assert set(response.json_body) == {"error"}
        assert owned["checkpoint_id"] not in json.dumps(response.json_body)


def _names_a_record(op: Operation) -> bool:
    named = set(op.path_params.model_fields) if op.path_params else set()
    named |= {"customer_id"} & set(op.body.model_fields) if op.body else set()
    return Role.CHANNEL in op.roles and bool(named & {"checkpoint_id", "customer_id", "export_id"})


OWNED_OPERATIONS = [op for op in OPERATIONS if _names_a_record(op)]


def test_the_ownership_table_covers_the_operations_a_channel_calls_with_an_id():
    assert {op_id(op) for op in OWNED_OPERATIONS} == {
        "GET /v1/checkpoints/{checkpoint_id}", "POST /v1/checkpoints/{checkpoint_id}/documents",
        "POST /v1/checkpoints/{checkpoint_id}/documents/complete", "POST /v1/checkpoints/{checkpoint_id}/win-back",
        "PATCH /v1/checkpoints/{checkpoint_id}",
        "POST /v1/offboarding", "POST /v1/exports", "GET /v1/exports/{export_id}"}


def _side_effects(customer_id: str) -> tuple[int, int]:
    """(checkpoints started by the intruder, exports of the customer)."""
    names = get_settings()
    started = clients.table(names.checkpoints_table).scan(
        FilterExpression="#o = :o", ExpressionAttributeNames={"#o": "owner"},
        ExpressionAttributeValues={":o": INTRUDER})["Items"]
    built = clients.table(names.exports_table).scan(
        FilterExpression="customer_id = :c", ExpressionAttributeValues={":c": customer_id})["Items"]
    return len(started), len(built)


@pytest.mark.parametrize("op", OWNED_OPERATIONS, ids=op_id)
def test_another_channel_gets_what_an_unknown_id_gets_and_changes_nothing(http, owned, op):
    before = _side_effects(owned["customer_id"])
    response = request(http, op, Role.CHANNEL, owned, subject=INTRUDER)
    names_customer = op.body is not None and "customer_id" in op.body.model_fields
    expected = (422, "UNKNOWN_CUSTOMER") if names_customer else (404, "NOT_FOUND")
    assert (response.status_code, response.json_body["error"]["code"]) == expected, response.body
    assert "upload" not in response.json_body and "download" not in response.json_body
    unknown = dict(owned, checkpoint_id=f"cp_{uuid.uuid4().hex}", customer_id=f"cus_{uuid.uuid4().hex}",
                   export_id=f"exp_{uuid.uuid4().hex}")
    assert request(http, op, Role.CHANNEL, unknown, subject=INTRUDER).json_body == response.json_body
    time.sleep(0.2)  # anything started in the background would have written by now
    assert _side_effects(owned["customer_id"]) == before


@pytest.mark.parametrize("path", ["/v1/checkpoints/{checkpoint_id}", "/v1/exports/{export_id}"])
def test_the_owner_and_compliance_do_see_them(http, owned, path):
    for role, subject in ((Role.CHANNEL, OWNER), (Role.COMPLIANCE, "officer-1")):
        response = request(http, api.find("GET", path), role, owned, subject=subject)
        assert response.status_code == 200, response.body


@pytest.mark.parametrize("token", ["garbage", "a.b", "", "Bearer"])
def test_malformed_or_forged_tokens_are_401(http, token):
    response = http.client.http.get("/v1/reviews", headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 401


def _signed(payload: object) -> str:
    from chalicelib.api import auth

    body = auth._b64(json.dumps(payload).encode())
    return body + "." + auth._b64(hmac.new(auth._local_key(), body.encode(), hashlib.sha256).digest())


@pytest.mark.parametrize("payload", [
    {"sub": "alice", "role": "compliance", "aud": "checkpoint-local", "exp": "9999999999"},
    {"sub": "alice", "role": "compliance", "aud": "checkpoint-local", "exp": None},
    {"sub": "alice", "role": "compliance", "aud": "checkpoint-local", "exp": True},
    {"sub": ["alice"], "role": "compliance", "aud": "checkpoint-local", "exp": 9999999999},
    {"sub": "system:offboarding", "role": "channel", "aud": "checkpoint-local", "exp": 9999999999},
    ["sub", "alice"],
    "alice",
])
def test_correctly_signed_tokens_with_odd_claims_are_401(http, payload):
    response = http.client.http.get("/v1/reviews", headers={"Authorization": f"Bearer {_signed(payload)}"})
    assert response.status_code == 401 and response.json_body["error"]["code"] == "UNAUTHENTICATED"


def test_an_expired_or_tampered_token_is_401(http):
    from chalicelib.api import auth

    good = auth.issue_local_token(auth.Role.COMPLIANCE, "alice")
    payload, signature = good.split(".")
    forged = auth._b64(json.dumps({"sub": "alice", "role": "compliance", "exp": int(time.time()) + 99,
                                   "aud": "checkpoint-local"}).encode()) + "." + signature
    expired = auth.issue_local_token(auth.Role.COMPLIANCE, "alice", ttl_seconds=-1)
    for token in (forged, expired):
        assert http.client.http.get("/v1/reviews", headers={"Authorization": f"Bearer {token}"}).status_code == 401


def test_local_tokens_are_refused_outside_the_local_stage(http, monkeypatch):
    from chalicelib.api import auth

    headers = http.auth("compliance")
    settings = auth.get_settings()
    monkeypatch.setattr(auth, "get_settings", lambda: dataclasses.replace(settings, stage="prod"))
    assert http.client.http.get("/v1/reviews", headers=headers).status_code == 401
    monkeypatch.undo()
    assert http.client.http.get("/v1/reviews", headers=headers).status_code == 200


def test_idempotency_keys_are_scoped_to_the_channel(http):
    key, body = str(uuid.uuid4()), applicant_body()
    mine = http.post("/v1/onboarding", body, key=key)
    theirs = http.client.http.post("/v1/onboarding", body=json.dumps(body), headers={
        "Content-Type": "application/json", "Idempotency-Key": key, **http.auth("channel", INTRUDER)})
    assert mine.status_code == theirs.status_code == 202
    assert mine.json_body["checkpoint_id"] != theirs.json_body["checkpoint_id"]
