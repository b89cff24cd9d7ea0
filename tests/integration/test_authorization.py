"""Who may call what: every endpoint with every role and with none (the README's matrix)."""
from __future__ import annotations

import dataclasses
import json
import time
import uuid

import pytest

from tests.integration.conftest import applicant_body

ROLES = [None, "channel", "compliance", "auditor"]

# endpoint -> roles that may call it
MATRIX = {
    ("POST", "/v1/onboarding"): {"channel"},
    ("POST", "/v1/offboarding"): {"channel"},
    ("GET", "/v1/checkpoints/{id}"): {"channel", "compliance"},
    ("POST", "/v1/checkpoints/{id}/documents"): {"channel"},
    ("GET", "/v1/checkpoints/{id}/history"): {"compliance"},
    ("GET", "/v1/reviews"): {"compliance"},
    ("POST", "/v1/reviews/{id}/decision"): {"compliance"},
    ("GET", "/v1/executions"): {"compliance"},
    ("GET", "/v1/lists"): {"compliance", "auditor"},
    ("POST", "/v1/lists/refresh"): {"compliance"},
    ("POST", "/v1/screenings"): {"channel", "compliance"},
    ("GET", "/v1/audit/retention-log"): {"auditor"},
    ("GET", "/v1/audit/export-log"): {"auditor"},
    ("GET", "/v1/audit/verify"): {"auditor"},
    ("POST", "/v1/legal-holds"): {"compliance"},
    ("DELETE", "/v1/legal-holds/{hold_id}"): {"compliance"},
    ("POST", "/v1/exports"): {"channel", "compliance"},
    ("GET", "/v1/exports/{export_id}"): {"channel", "compliance"},
    ("GET", "/v1/health"): {None, "channel", "compliance", "auditor"},
    ("GET", "/v1/openapi.json"): {None, "channel", "compliance", "auditor"},
    ("GET", "/console"): {None, "channel", "compliance", "auditor"},  # the console's public files;
    ("GET", "/console/{asset}"): {None, "channel", "compliance", "auditor"},  # its data is the API's
}


def test_the_matrix_covers_every_route():
    from app import app

    routes = {(method, path.replace("{checkpoint_id}", "{id}"))
              for path, entries in app.routes.items() for method in entries}
    assert routes == set(MATRIX)


def test_the_openapi_document_states_the_same_roles():
    from chalicelib.api.openapi import OPERATIONS

    documented = {(method, path.replace("{checkpoint_id}", "{id}")): set(op.roles) or set(ROLES)
                  for (method, path), op in OPERATIONS.items()}
    assert documented == MATRIX


@pytest.fixture(scope="module")
def approved_checkpoint(http) -> str:
    checkpoint_id = http.post("/v1/onboarding", applicant_body()).json_body["checkpoint_id"]
    assert http.wait_final(checkpoint_id)["status"] == "APPROVED"
    return checkpoint_id


def call(http, method: str, path: str, role: str | None, checkpoint_id: str):
    path = path.replace("{id}", checkpoint_id).replace("{hold_id}", f"lh_{'0' * 32}").replace(
        "{export_id}", f"exp_{'0' * 32}").replace("{asset}", "app.js")
    if method == "GET":
        return http.get(path, role=role)
    if method == "DELETE":
        return http.client.http.delete(path, headers=http.auth(role))
    bodies = {"/v1/onboarding": {"applicant": {}}, "/v1/offboarding": {"customer_id": "x"},
              "/v1/lists/refresh": {"source": "no-such-list"}, "/v1/screenings": {"name": "Anna Lindqvist"},
              "/v1/legal-holds": {"customer_id": "cus_" + "0" * 32, "reason": "matrix", "case_reference": "T-1"},
              "/v1/exports": {"customer_id": "cus_" + "0" * 32, "include": ["profile"]},
              "decision": {"outcome": "approve", "reason": "matrix test"},
              "documents": {"side": "front", "content_type": "image/png", "size": 10}}
    body = bodies.get(path) or bodies["decision" if path.endswith("decision") else "documents"]
    return http.post(path, body, role=role)


@pytest.mark.parametrize("endpoint", sorted(MATRIX))
@pytest.mark.parametrize("role", ROLES)
def test_each_role_gets_in_or_is_refused_without_data(http, approved_checkpoint, endpoint, role):
    method, path = endpoint
    response = call(http, method, path, role, approved_checkpoint)
    if role in MATRIX[endpoint]:
        assert response.status_code not in (401, 403), response.body
    else:
        assert response.status_code == (401 if role is None else 403), (endpoint, role, response.body)
        assert set(response.json_body) == {"error"}
        assert approved_checkpoint not in json.dumps(response.json_body)


def test_a_channel_sees_only_its_own_checkpoints(http, approved_checkpoint):
    other = {"Authorization": http.auth("channel", "mobile-app")["Authorization"]}
    response = http.client.http.get(f"/v1/checkpoints/{approved_checkpoint}", headers=other)
    assert response.status_code == 404
    assert http.get(f"/v1/checkpoints/{approved_checkpoint}").status_code == 200


@pytest.mark.parametrize("token", ["garbage", "a.b", "", "Bearer"])
def test_malformed_or_forged_tokens_are_401(http, token):
    response = http.client.http.get("/v1/reviews", headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 401


def test_an_expired_or_tampered_token_is_401(http, monkeypatch):
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
        "Content-Type": "application/json", "Idempotency-Key": key, **http.auth("channel", "mobile-app")})
    assert mine.status_code == theirs.status_code == 202
    assert mine.json_body["checkpoint_id"] != theirs.json_body["checkpoint_id"]
