"""Hostile HTTP against the live local server: every refusal is a 4xx in the one error shape,
and the OpenAPI document it serves is valid OpenAPI 3.1 covering every route."""
from __future__ import annotations

import json
import uuid

import pytest
import requests
from openapi_spec_validator import validate

from app import app
from chalicelib.api.request_body import MAX_BODY_BYTES
from tests.integration.conftest import Api, applicant_body



def _error(response: requests.Response, status: int, code: str) -> dict:
    assert response.status_code == status, response.text
    assert response.headers["Content-Type"].startswith("application/json")
    body = response.json()
    assert set(body) == {"error"} and body["error"]["code"] == code, body
    return body["error"]


def _sign_up(base: str, data: bytes, content_type: str = "application/json") -> requests.Response:
    return requests.post(f"{base}/v1/onboarding", data=data, timeout=10, headers={
        **Api.auth("channel"), "Content-Type": content_type, "Idempotency-Key": str(uuid.uuid4())})


def test_openapi_document_is_valid_and_covers_every_route(live_server):
    document = requests.get(f"{live_server}/v1/openapi.json", timeout=10).json()
    validate(document)
    served = {(method.upper(), path) for path, ops in document["paths"].items() for method in ops}
    assert served == {(method, path) for path, entries in app.routes.items() for method in entries}
    assert document["paths"]["/v1/onboarding"]["post"]["x-roles"] == ["channel"]


@pytest.mark.parametrize("content_type", ["text/plain", "application/xml", "multipart/form-data; boundary=x"])
def test_wrong_content_type_is_415(live_server, content_type):
    error = _error(_sign_up(live_server, json.dumps(applicant_body()).encode(), content_type),
                   415, "UNSUPPORTED_MEDIA_TYPE")
    assert error["fields"] == [{"field": "header.Content-Type", "reason": "must be application/json"}]


@pytest.mark.parametrize("data, words", [
    (b"\xc3\x28\xa0\xa1", "UTF-8"),
    (b"[" * 5000 + b"]" * 5000, "nested"),
    (b'{"applicant": NaN}', "NaN"),
    (json.dumps({"applicant": {"given_names": "\ud800"}}).encode(), "surrogate"),
])
def test_malformed_bodies_are_400(live_server, data, words):
    assert words in _error(_sign_up(live_server, data), 400, "MALFORMED_JSON")["message"]


def test_oversized_body_is_413(live_server):
    body = applicant_body()
    body["channel"]["reference"] = "x" * (MAX_BODY_BYTES + 10)
    _error(_sign_up(live_server, json.dumps(body).encode()), 413, "PAYLOAD_TOO_LARGE")


def test_unknown_query_parameter_is_named(live_server):
    response = requests.get(f"{live_server}/v1/reviews?stauts=open", headers=Api.auth("compliance"), timeout=10)
    assert _error(response, 400, "VALIDATION_FAILED")["fields"] == [
        {"field": "query.stauts", "reason": "is not a known query parameter"}]


@pytest.mark.parametrize("method", ["PUT", "PATCH", "TRACE"])
def test_undeclared_method_is_405_in_the_error_shape(live_server, method):
    response = requests.request(method, f"{live_server}/v1/onboarding", headers=Api.auth("channel"), timeout=10)
    _error(response, 405, "METHOD_NOT_ALLOWED")


@pytest.mark.parametrize("value", ["²", "٣", "-1", "1e3", "99999999999999999999"])
def test_odd_numbers_in_query_are_400(live_server, value):
    response = requests.get(f"{live_server}/v1/reviews", params={"limit": value}, headers=Api.auth("compliance"), timeout=10)
    assert _error(response, 400, "VALIDATION_FAILED")["fields"][0]["field"] == "query.limit"


def test_foreign_execution_cursor_is_400(live_server):
    response = requests.get(f"{live_server}/v1/executions", params={"cursor": "0" * 300}, headers=Api.auth("compliance"),
                            timeout=10)
    assert _error(response, 400, "VALIDATION_FAILED")["fields"][0]["field"] == "query.cursor"


@pytest.mark.parametrize("method, path, role", [("GET", "/v1/nope", None), ("GET", "/v1/nope", "compliance"),
                                                ("POST", "/nope/deeper", "channel"), ("GET", "/", None)])
def test_unknown_paths_are_404_in_the_error_shape(live_server, method, path, role):
    response = requests.request(method, f"{live_server}{path}", headers=Api.auth(role), timeout=10)
    assert _error(response, 404, "NOT_FOUND")["message"] == "No such resource."
