"""The OpenAPI document is complete for every declared operation (whatever operations are added):
every schema whole (arrays with items, every $ref resolvable, every enum a named schema), every
status an operation may answer documented (errors in the Error shape), and an example request and
response per operation that the API accepts and that its models and schemas describe."""
from __future__ import annotations

from datetime import date
from typing import Any

import pytest
from jsonschema import Draft202012Validator

from app import api
from chalicelib.api import openapi, samples
from chalicelib.api.operations import Operation
from chalicelib.api.request_body import parse_csv_body

DOCUMENT = openapi.document(api)
SCHEMAS = DOCUMENT["components"]["schemas"]
OPERATIONS = sorted(api, key=lambda op: (op.path, op.method))
# The web pages' own files (the console, the reference page): no example is needed to read them.
PAGE_MEDIA = {"text/html", "text/javascript", "text/css", "image/svg+xml"}


def op_id(op: Operation) -> str:
    return f"{op.method} {op.path}"


def spec(op: Operation) -> dict[str, Any]:
    return DOCUMENT["paths"][op.path][op.method.lower()]


def nodes(node: Any, where: str = "#"):
    """Every schema-like object of the document with its location, examples left out."""
    if isinstance(node, dict):
        yield where, node
        for key, value in node.items():
            if key not in ("example", "examples"):
                yield from nodes(value, f"{where}/{key}")
    elif isinstance(node, list):
        for i, value in enumerate(node):
            yield from nodes(value, f"{where}/{i}")


def base(media: str) -> str:
    return media.split(";")[0].strip()


def test_every_array_has_items_and_every_ref_resolves():
    for where, node in nodes(DOCUMENT):
        if node.get("type") == "array" or "array" in (node.get("type") or []):
            assert "items" in node or "prefixItems" in node, where
        if "$ref" in node:
            assert node["$ref"].startswith("#/components/schemas/"), where
            assert node["$ref"].rsplit("/", 1)[-1] in SCHEMAS, where


def test_every_enum_is_a_named_schema():
    inline = [where for where, node in nodes(DOCUMENT) if "enum" in node and where.count("/") != 3]
    assert inline == []
    assert {"Format", "Section", "LogFormat", "ImageSide", "DocumentMediaType", "HealthStatus"} <= set(SCHEMAS)


@pytest.mark.parametrize("op", OPERATIONS, ids=op_id)
def test_every_status_is_documented_with_its_model_or_the_error_shape(op):
    responses = spec(op)["responses"]
    assert set(responses) == {str(s) for s in op.statuses}
    assert {"400", "500"} <= set(responses) and any(s.startswith("4") for s in responses)
    for status, response in responses.items():
        if status.startswith("2"):
            assert set(response["content"]) == set(op.media_types), status
            if "application/json" in op.media_types:
                assert op.response is not None, "a JSON answer names its response model"
                assert response["content"]["application/json"]["schema"] == {
                    "$ref": f"#/components/schemas/{op.response.__name__}"}
        elif status == "304":
            assert "ETag" in response["headers"] and "content" not in response
        elif status.startswith("3"):
            assert "Location" in response["headers"]
        else:
            assert response["content"] == {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}


def validate(instance: Any, schema: dict[str, Any]) -> None:
    """Against a schema of the document, its $refs resolved in the document's components."""
    Draft202012Validator({**schema, "components": DOCUMENT["components"]}).validate(instance)


@pytest.mark.parametrize("op", [op for op in OPERATIONS if op.body is not None], ids=op_id)
def test_every_request_body_has_an_example_the_api_accepts(op):
    assert op.example is not None and op.example.request, "declare example=Example(request=...)"
    example = samples.request(op.example.request)
    op.body.model_validate(example)  # what the operation's parsing accepts
    for media, content in spec(op)["requestBody"]["content"].items():
        if media == "text/csv":  # the same body as CSV, which reads as the JSON example does
            read = op.body.of_csv_rows(parse_csv_body(content["example"].encode()))
            assert op.body.model_validate(read) == op.body.model_validate(example)
            continue
        assert content["example"] == example
        validate(example, content["schema"])


@pytest.mark.parametrize("op", [op for op in OPERATIONS if not {base(m) for m in op.media_types} <= PAGE_MEDIA],
                         ids=op_id)
def test_every_operation_has_an_example_answer_its_model_describes(op):
    assert op.example is not None and op.example.response, "declare example=Example(response=...)"
    media = samples.media_type(op.example.response)
    [declared] = [m for m in op.media_types if base(m) == media]
    if "application/json" in op.media_types:
        assert media == "application/json"
    content = spec(op)["responses"][str(op.status)]["content"][declared]
    example = samples.response(op.example.response)
    assert content["example"] == example
    validate(example, content["schema"])
    if op.response is not None:
        op.response.model_validate(example)  # views forbid unknown fields: a renamed field fails here


def test_every_response_sample_is_an_operations_example():
    named = {op.example.response for op in api if op.example and op.example.response}
    assert named == {path.name for path in samples.RESPONSES_DIR.iterdir()}


def test_the_sign_up_example_is_still_a_valid_document():
    expiry = date.fromisoformat(samples.request("signup-approve.json")["document"]["expiry_date"])
    assert expiry > date.today(), "the example passport has expired: move data/samples/signup-approve.json's expiry"
