"""The OpenAPI 3.1 document of the API, generated from the operation declarations: request
bodies, query strings and path parameters from their models, responses from the response models,
the roles allowed as `x-roles`. Nothing is typed here that a declaration or a model already says.
"""
from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from pydantic import BaseModel
from pydantic.json_schema import models_json_schema

from chalicelib.api import samples
from chalicelib.api.operations import UUID_PATTERN, Operation

VERSION = "1.0.0"
REF = "#/components/schemas/{model}"

_STATUS_TEXT = {200: "OK", 201: "Created", 202: "Accepted", 204: "No content", 304: "Not modified since the ETag given",
                308: "Permanent redirect",
                400: "Bad request: the fields and why", 401: "No valid credentials",
                403: "The caller's role may not do this", 404: "No such resource",
                405: "The resource does not support this method", 409: "Conflicts with the resource's state",
                412: "The If-Match ETag is not the resource's current one",
                413: "Request body too large", 415: "Request body is not of a supported media type",
                422: "Well-formed but refused (e.g. unknown customer)", 500: "An internal error (logged)"}

# A pattern rather than format "uuid": generated clients then take the header as text, which is
# what goes on the wire (a UUID object is no header value).
IDEMPOTENCY_KEY = {"name": "Idempotency-Key", "in": "header", "required": True,
                   "description": "A UUID chosen by the caller; the same key and body return the same result for 24 h.",
                   "schema": {"type": "string", "pattern": UUID_PATTERN.pattern}}

IF_NONE_MATCH = {"name": "If-None-Match", "in": "header", "required": False,
                 "description": "An ETag this operation returned: 304 with no body if the answer would be the same.",
                 "schema": {"type": "string"}}
IF_MATCH = {"name": "If-Match", "in": "header", "required": False,
            "description": "The ETag of the resource as last read (GET); 412 if it has changed since.",
            "schema": {"type": "string"}}
ETAG_HEADER = {"ETag": {"description": "Identifies this answer; send it back in If-None-Match.",
                        "schema": {"type": "string"}}}

ERROR_SCHEMA: dict[str, Any] = {
    "type": "object", "required": ["error"], "additionalProperties": False,
    "properties": {"error": {
        "type": "object", "required": ["code", "message"], "additionalProperties": False,
        "properties": {
            "code": {"type": "string", "pattern": "^[A-Z][A-Z0-9_]*$", "description": "Stable; branch on it."},
            "message": {"type": "string"},
            "fields": {"type": "array", "items": {
                "type": "object", "required": ["field", "reason"], "additionalProperties": False,
                "properties": {"field": {"type": "string"}, "reason": {"type": "string"}}}},
        }}},
}
LOCATION = {"description": "Where the resource is", "schema": {"type": "string"}}
TEXT_SCHEMA = {"type": "string"}
JSON_OBJECT = {"type": "object"}


class _Schemas:
    """Every model's JSON Schema, generated together so that shared types are defined once."""

    def __init__(self, models: Iterable[type[BaseModel]]) -> None:
        unique = sorted(set(models), key=lambda m: m.__name__)
        refs, top = models_json_schema([(m, "validation") for m in unique], ref_template=REF)
        self.defs: dict[str, Any] = top.get("$defs", {})
        self._names = {model: ref["$ref"].rsplit("/", 1)[-1] for (model, _), ref in refs.items()}

    def ref(self, model: type[BaseModel]) -> dict[str, str]:
        return {"$ref": REF.format(model=self._names[model])}

    def of(self, model: type[BaseModel]) -> dict[str, Any]:
        return self.defs[self._names[model]]


def _parameters(model: type[BaseModel] | None, where: str, schemas: _Schemas) -> list[dict[str, Any]]:
    """One OpenAPI parameter per field of a query or path model (by its alias)."""
    if model is None:
        return []
    schema = schemas.of(model)
    required = set(schema.get("required", []))
    parameters = []
    for name, prop in schema.get("properties", {}).items():
        prop = dict(prop)
        description = prop.pop("description", None)
        prop.pop("title", None)
        if "anyOf" in prop and {"type": "null"} in prop["anyOf"]:  # optional: absent, never null
            rest = [s for s in prop["anyOf"] if s != {"type": "null"}]
            prop = {**{k: v for k, v in prop.items() if k not in ("anyOf", "default")}, **rest[0]} if len(rest) == 1 \
                else {**prop, "anyOf": rest}
            prop.pop("default", None)
        parameter = {"name": name, "in": where, "required": where == "path" or name in required, "schema": prop}
        if description:
            parameter["description"] = description
        parameters.append(parameter)
    return parameters


def _success_schema(op: Operation, media: str, schemas: _Schemas) -> dict[str, Any]:
    if media != "application/json":
        return TEXT_SCHEMA
    return schemas.ref(op.response) if op.response else JSON_OBJECT


def _base(media: str) -> str:
    return media.split(";")[0].strip()


def _is_json(media: str) -> bool:
    return _base(media) == "application/json" or _base(media).endswith("+json")


def _success(op: Operation, status: int, schemas: _Schemas) -> dict[str, Any]:
    """The success answer, with the declared example (for the declared status) in its media type."""
    content = {media: {"schema": _success_schema(op, media, schemas)} for media in op.media_types}
    if status == op.status and op.example and op.example.response:
        media = next(m for m in op.media_types if _base(m) == samples.media_type(op.example.response))
        content[media]["example"] = samples.response(op.example.response)
    return {"description": _STATUS_TEXT[status], **({"content": content} if content else {}),
            **({"headers": ETAG_HEADER} if op.etag else {})}


def _response(op: Operation, status: int, schemas: _Schemas) -> dict[str, Any]:
    if status < 300:
        return _success(op, status, schemas)
    if status == 304:
        return {"description": _STATUS_TEXT[status], "headers": ETAG_HEADER}
    if status < 400:
        return {"description": _STATUS_TEXT[status], "headers": {"Location": LOCATION}}
    return {"description": _STATUS_TEXT[status],
            "content": {"application/json": {"schema": {"$ref": REF.format(model="Error")}}}}


def _operation(op: Operation, schemas: _Schemas) -> dict[str, Any]:
    responses = {str(status): _response(op, status, schemas) for status in op.statuses}
    spec: dict[str, Any] = {
        "operationId": op.operation_id, "summary": op.summary, "tags": list(op.tags),
        "x-roles": sorted(role.value for role in op.roles),
        "parameters": [*_parameters(op.path_params, "path", schemas), *_parameters(op.query, "query", schemas),
                       *_parameters(op.headers, "header", schemas),
                       *([IDEMPOTENCY_KEY] if op.idempotent else []), *([IF_NONE_MATCH] if op.etag else []),
                       *([IF_MATCH] if op.if_match else [])],
        "responses": responses,
        "security": [{"bearer": []}] if op.roles else [],
    }
    if op.description:
        spec["description"] = op.description
    if op.body is not None:
        example = samples.request(op.example.request) if op.example and op.example.request else None
        spec["requestBody"] = {"required": True, "content": {
            media: {"schema": schemas.ref(op.body), **({"example": example} if example and _is_json(media) else {})}
            if media != "text/csv" else {"schema": {"type": "string", "description": op.body.CSV_DESCRIPTION},
                                         **({"example": op.body.csv_of(example)} if example else {})}
            for media in op.content_types}}
    return spec


def document(operations: Iterable[Operation], server_url: str = "/") -> dict[str, Any]:
    """The OpenAPI document of the declared operations."""
    operations = list(operations)
    schemas = _Schemas(m for op in operations for m in (op.body, op.response, op.query, op.path_params, op.headers)
                       if m)
    paths: dict[str, dict[str, Any]] = {}
    for op in operations:
        paths.setdefault(op.path, {})[op.method.lower()] = _operation(op, schemas)
    parameter_models = {m for op in operations for m in (op.query, op.path_params, op.headers) if m}
    defs = {name: schema for name, schema in schemas.defs.items()
            if name not in {schemas.ref(m)["$ref"].rsplit("/", 1)[-1] for m in parameter_models}}
    return {
        "openapi": "3.1.0",
        "info": {"title": "checkpoint", "version": VERSION,
                 "description": "Compliance checkpoints for sign-up and closure. Errors always have the shape "
                                "of the Error schema; timestamps are UTC ISO-8601."},
        "servers": [{"url": server_url}],
        "paths": paths,
        "components": {
            "schemas": {**defs, "Error": ERROR_SCHEMA},
            "securitySchemes": {"bearer": {
                "type": "http", "scheme": "bearer",
                "description": "Deployed: a Cognito ID token whose group is the role. Locally: `make token ROLE=...`."}},
        },
    }
