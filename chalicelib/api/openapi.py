"""The OpenAPI 3.1 document of the API, built from the app's routes and the request models.

Request bodies are the pydantic models the routes validate with (their JSON Schema, so the
document cannot drift from the validation); query, path and header parameters and the roles
allowed are declared here, once per operation. `document(routes)` checks that the declarations
and the app's route table name the same operations, so a new route cannot go undocumented.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from pydantic import BaseModel
from pydantic.json_schema import models_json_schema

from chalicelib.api.models import (
    DocumentUploadRequest,
    ExportRequestBody,
    LegalHoldRequest,
    ListRefreshRequest,
    OffboardingRequest,
    OnboardingRequest,
    ReviewDecisionRequest,
    ScreeningRequest,
)

VERSION = "1.0.0"
REF = "#/components/schemas/{model}"
TIMESTAMP = {"type": "string", "format": "date-time", "description": "UTC ISO-8601 with a zone, e.g. 2026-01-31T00:00:00Z"}
CHECKPOINT_ID = {"name": "checkpoint_id", "in": "path", "required": True,
                 "schema": {"type": "string", "pattern": "^cp_[0-9a-f]{32}$"}}
IDEMPOTENCY_KEY = {"name": "Idempotency-Key", "in": "header", "required": True,
                   "description": "A UUID chosen by the caller; the same key and body return the same checkpoint.",
                   "schema": {"type": "string", "format": "uuid"}}


def _query(name: str, schema: dict[str, Any], description: str = "", required: bool = False) -> dict[str, Any]:
    return {"name": name, "in": "query", "required": required, "schema": schema,
            **({"description": description} if description else {})}


def _limit(maximum: int, default: int) -> dict[str, Any]:
    return _query("limit", {"type": "integer", "minimum": 1, "maximum": maximum, "default": default})


CURSOR = _query("cursor", {"type": "string", "maxLength": 2048}, "The next_cursor of the previous page.")
AUDIT_LOG_QUERY = (
    _query("from", TIMESTAMP, "Entries at or after this instant."),
    _query("to", TIMESTAMP, "Entries before this instant."),
    _query("format", {"type": "string", "enum": ["jsonl", "csv"], "default": "jsonl"}),
    _query("cursor", {"type": "integer", "minimum": 0}, "The X-Next-Cursor header of the previous page."),
    _limit(10000, 1000),
)


@dataclass(frozen=True)
class Operation:
    summary: str
    roles: tuple[str, ...]                      # () = public
    body: type[BaseModel] | None = None
    parameters: tuple[dict[str, Any], ...] = ()
    success: int = 200
    success_schema: str = "Object"
    media_types: tuple[str, ...] = ("application/json",)
    errors: tuple[int, ...] = (400, 401, 403)
    tags: tuple[str, ...] = field(default=("checkpoints",))


OPERATIONS: dict[tuple[str, str], Operation] = {
    ("POST", "/v1/onboarding"): Operation(
        "Start a sign-up checkpoint", ("channel",), OnboardingRequest, (IDEMPOTENCY_KEY,), 202, "Accepted",
        errors=(400, 401, 403, 409, 413, 415, 422)),
    ("POST", "/v1/offboarding"): Operation(
        "Start a closure checkpoint", ("channel",), OffboardingRequest, (IDEMPOTENCY_KEY,), 202, "Accepted",
        errors=(400, 401, 403, 409, 413, 415, 422)),
    ("GET", "/v1/checkpoints/{checkpoint_id}"): Operation(
        "A checkpoint's status and decision (long-poll with wait)", ("channel", "compliance"),
        parameters=(CHECKPOINT_ID, _query("wait", {"type": "integer", "minimum": 0, "maximum": 20, "default": 0},
                                          "Seconds to wait for a final status.")),
        success_schema="Checkpoint", errors=(400, 401, 403, 404)),
    ("POST", "/v1/checkpoints/{checkpoint_id}/documents"): Operation(
        "A presigned upload for a document image", ("channel",), DocumentUploadRequest, (CHECKPOINT_ID,), 201,
        errors=(400, 401, 403, 404, 409, 413, 415)),
    ("GET", "/v1/checkpoints/{checkpoint_id}/history"): Operation(
        "The execution history as a timeline", ("compliance",), parameters=(CHECKPOINT_ID,),
        errors=(401, 403, 404), tags=("compliance",)),
    ("GET", "/v1/reviews"): Operation(
        "The manual-review queue, oldest first", ("compliance",),
        parameters=(_query("status", {"type": "string", "enum": ["open"], "default": "open"}), _limit(100, 50), CURSOR),
        tags=("compliance",)),
    ("POST", "/v1/reviews/{checkpoint_id}/decision"): Operation(
        "Decide a manual review", ("compliance",), ReviewDecisionRequest, (CHECKPOINT_ID,),
        success_schema="Checkpoint", errors=(400, 401, 403, 404, 409, 413, 415), tags=("compliance",)),
    ("GET", "/v1/executions"): Operation(
        "Workflow executions, newest first", ("compliance",), parameters=(
            _query("workflow", {"type": "string", "enum": ["onboarding", "offboarding"], "default": "onboarding"}),
            _query("status", {"type": "string", "enum": ["RUNNING", "SUCCEEDED", "FAILED", "TIMED_OUT", "ABORTED"]}),
            _query("since", TIMESTAMP), _limit(100, 50), CURSOR),
        tags=("compliance",)),
    ("GET", "/v1/lists"): Operation("Sanctions and PEP list versions in force", ("compliance", "auditor"),
                                    errors=(401, 403), tags=("screening",)),
    ("POST", "/v1/lists/refresh"): Operation(
        "Load, validate and publish a new list version", ("compliance",), ListRefreshRequest, success=201,
        errors=(400, 401, 403, 413, 415, 422), tags=("screening",)),
    ("POST", "/v1/screenings"): Operation(
        "Screen one name against the lists in force", ("channel", "compliance"), ScreeningRequest,
        errors=(400, 401, 403, 413, 415), tags=("screening",)),
    ("GET", "/v1/audit/retention-log"): Operation(
        "The retention log (tamper-evident)", ("auditor",), parameters=AUDIT_LOG_QUERY, success_schema="Text",
        media_types=("application/x-ndjson", "text/csv"), tags=("audit",)),
    ("GET", "/v1/audit/export-log"): Operation(
        "The export log (tamper-evident)", ("auditor",), parameters=AUDIT_LOG_QUERY, success_schema="Text",
        media_types=("application/x-ndjson", "text/csv"), tags=("audit",)),
    ("GET", "/v1/audit/verify"): Operation(
        "Verify an audit log's hash chain", ("auditor",),
        parameters=(_query("log", {"type": "string", "enum": ["retention", "export"]}, required=True),),
        tags=("audit",)),
    ("POST", "/v1/legal-holds"): Operation(
        "Place a legal hold", ("compliance",), LegalHoldRequest, success=201,
        errors=(400, 401, 403, 413, 415, 422), tags=("retention",)),
    ("DELETE", "/v1/legal-holds/{hold_id}"): Operation(
        "Release a legal hold", ("compliance",),
        parameters=({"name": "hold_id", "in": "path", "required": True,
                     "schema": {"type": "string", "pattern": "^lh_[0-9a-f]{32}$"}},),
        errors=(401, 403, 404, 409), tags=("retention",)),
    ("POST", "/v1/exports"): Operation(
        "Request a data-portability export", ("channel", "compliance"), ExportRequestBody, success=202,
        errors=(400, 401, 403, 413, 415, 422), tags=("exports",)),
    ("GET", "/v1/exports/{export_id}"): Operation(
        "An export's status and a fresh download link", ("channel", "compliance"),
        parameters=({"name": "export_id", "in": "path", "required": True,
                     "schema": {"type": "string", "pattern": "^exp_[0-9a-f]{32}$"}},),
        errors=(401, 403, 404), tags=("exports",)),
    ("GET", "/v1/health"): Operation("Versions of the loaded lists and policies", (), errors=(), tags=("meta",)),
    ("GET", "/v1/openapi.json"): Operation("This document", (), errors=(), tags=("meta",)),
    ("GET", "/console"): Operation(
        "The compliance and audit console, a web page over this API (/console redirects to /console/)", (),
        success_schema="Text", media_types=("text/html",), errors=(), tags=("console",)),
    ("GET", "/console/{asset}"): Operation(
        "One of the console's files", (),
        parameters=({"name": "asset", "in": "path", "required": True, "schema": {"type": "string"}},),
        success_schema="Text", media_types=("text/html", "text/javascript", "text/css", "image/svg+xml"),
        errors=(404,), tags=("console",)),
}

_STATUS_TEXT = {200: "OK", 201: "Created", 202: "Accepted", 400: "Bad request: the fields and why",
                401: "No valid credentials", 403: "The caller's role may not do this", 404: "No such resource",
                409: "Conflicts with the resource's state", 413: "Request body too large",
                415: "Request body is not JSON", 422: "Well-formed but refused (e.g. unknown customer)"}

_COMMON_SCHEMAS: dict[str, Any] = {
    "Error": {
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
    },
    "Object": {"type": "object"},
    "Text": {"type": "string"},
    "Accepted": {
        "type": "object", "required": ["checkpoint_id", "status", "links"],
        "properties": {"checkpoint_id": {"type": "string"}, "status": {"type": "string"},
                       "links": {"type": "object", "required": ["self"], "properties": {"self": {"type": "string"}}}},
    },
    "Checkpoint": {
        "type": "object", "required": ["checkpoint_id", "kind", "status", "created_at", "updated_at"],
        "properties": {
            "checkpoint_id": {"type": "string"},
            "kind": {"type": "string", "enum": ["onboarding", "offboarding"]},
            "status": {"type": "string"},
            "customer_id": {"type": ["string", "null"]},
            "decision": {"type": ["object", "null"]},
            "steps": {"type": "array"},
            "created_at": TIMESTAMP, "updated_at": TIMESTAMP,
        },
    },
}


class UndocumentedRoutes(Exception):
    pass


def _request_schemas() -> dict[str, Any]:
    models = sorted({op.body for op in OPERATIONS.values() if op.body}, key=lambda m: m.__name__)
    _, top = models_json_schema([(m, "validation") for m in models], ref_template=REF)
    return top.get("$defs", {})


def _operation(method: str, path: str, op: Operation) -> dict[str, Any]:
    success_media = {media: {"schema": {"$ref": REF.format(model=op.success_schema)}} for media in op.media_types}
    responses: dict[str, Any] = {str(op.success): {"description": _STATUS_TEXT[op.success], "content": success_media}}
    for status in op.errors:
        responses[str(status)] = {"description": _STATUS_TEXT[status],
                                  "content": {"application/json": {"schema": {"$ref": REF.format(model="Error")}}}}
    spec: dict[str, Any] = {
        "operationId": f"{method.lower()}_{path.strip('/').replace('/', '_').replace('{', '').replace('}', '')}"
                       .replace("-", "_").replace(".", "_"),
        "summary": op.summary, "tags": list(op.tags), "x-roles": list(op.roles),
        "parameters": list(op.parameters), "responses": responses,
        "security": [{"bearer": []}] if op.roles else [],
    }
    if op.body is not None:
        spec["requestBody"] = {"required": True, "content": {
            "application/json": {"schema": {"$ref": REF.format(model=op.body.__name__)}}}}
    return spec


def document(routes: dict[str, dict[str, Any]], server_url: str = "/") -> dict[str, Any]:
    """The OpenAPI document for the app's route table (`app.routes`)."""
    declared = {(method, path) for path, methods in routes.items() for method in methods}
    if declared != set(OPERATIONS):
        raise UndocumentedRoutes(f"undocumented: {sorted(declared - set(OPERATIONS))}; "
                                 f"documented but absent: {sorted(set(OPERATIONS) - declared)}")
    paths: dict[str, dict[str, Any]] = {}
    for (method, path), op in OPERATIONS.items():
        paths.setdefault(path, {})[method.lower()] = _operation(method, path, op)
    return {
        "openapi": "3.1.0",
        "info": {"title": "checkpoint", "version": VERSION,
                 "description": "Compliance checkpoints for sign-up and closure. Errors always have the shape "
                                "of the Error schema; timestamps are UTC ISO-8601."},
        "servers": [{"url": server_url}],
        "paths": paths,
        "components": {
            "schemas": {**_request_schemas(), **_COMMON_SCHEMAS},
            "securitySchemes": {"bearer": {
                "type": "http", "scheme": "bearer",
                "description": "Deployed: a Cognito ID token whose group is the role. Locally: `make token ROLE=...`."}},
        },
    }
