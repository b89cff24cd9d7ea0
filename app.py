"""checkpoint: the compliance-checkpoint API and its workflow task entry points.

Routes parse, validate and delegate to `chalicelib.services`; each `@app.lambda_function`
is a Step Functions task that delegates to `chalicelib.tasks`. No compliance logic here.
"""
from __future__ import annotations

import functools
import os
import re
from datetime import datetime
from typing import Any

from aws_lambda_powertools.utilities.idempotency.exceptions import (
    IdempotencyAlreadyInProgressError,
    IdempotencyValidationError,
)
from chalice import Chalice, CognitoUserPoolAuthorizer, Response
from pydantic import ValidationError

from chalicelib.api import console
from chalicelib.api.auth import USER_POOL_PLACEHOLDER, Caller, Role, require
from chalicelib.api.errors import ApiError, error_boundary, framework_errors_in_api_shape, validation_error
from chalicelib.api import openapi
from chalicelib.api.query_params import reject_unknown_query_parameters
from chalicelib.api.request_body import parse_json_body
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
from chalicelib.aws import checkpoints, customers, documents
from chalicelib.domain.checkpoint import Checkpoint, public_view
from chalicelib.errors import NotFound, PermanentTaskError
from chalicelib.services import checkpoints as checkpoint_service
from chalicelib.domain.record_classes import tagging
from chalicelib.domain.screening.engine import classify
from chalicelib.domain.screening.list_update import RefreshRefused
from chalicelib.policies import list_sources_policy
from chalicelib.aws import audit as audit_log_store
from chalicelib.aws import exports as export_repository
from chalicelib.aws import retention_store
from chalicelib.domain.audit_log import GENESIS, LogName
from chalicelib.services import audit as audit_service
from chalicelib.services import health, offboarding, onboarding, reviews
from chalicelib.services import exports as export_service
from chalicelib.services import lists as list_service
from chalicelib.services import retention as retention_service
from chalicelib.tasks import decision, exit_risk, export, failure, identity, retention, review, screening
from chalicelib.tasks.runner import run_task

app = Chalice(app_name="checkpoint")
app.register_middleware(framework_errors_in_api_shape, "http")
app.register_middleware(reject_unknown_query_parameters, "http")
# Every route answers in the error shape; an unexpected failure is logged with the body masked.
api_errors = error_boundary(lambda: parse_json_body(app.current_request.raw_body))

# Deployed, API Gateway authenticates callers against the stack's Cognito user pool (its ARN is
# put in by the merge template); the role is the user's group. `make package` switches this on.
# Locally there is no API Gateway: chalicelib.api.auth verifies the local stage's signed tokens.
AUTHORIZER = (CognitoUserPoolAuthorizer("checkpoint-users", provider_arns=[USER_POOL_PLACEHOLDER])
              if os.environ.get("CHECKPOINT_API_AUTH") == "cognito" else None)

_UUID = re.compile(r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")
_CHECKPOINT_ID = re.compile(r"^cp_[0-9a-f]{32}$")
_EXPORT_ID = re.compile(r"^exp_[0-9a-f]{32}$")
MAX_UPLOAD_BYTES = 10 * 1024 * 1024
UPLOAD_URL_SECONDS = 300


def _json_body() -> Any:
    return parse_json_body(app.current_request.raw_body)


def _checkpoint_id(value: str) -> str:
    if not _CHECKPOINT_ID.match(value):
        raise ApiError(404, "NOT_FOUND", "No such checkpoint.")
    return value


def _invalid(field: str, reason: str) -> ApiError:
    return ApiError(400, "VALIDATION_FAILED", "The request is invalid; see fields.", [{"field": field, "reason": reason}])


def _idempotency_key() -> str:
    key = (app.current_request.headers or {}).get("idempotency-key", "")
    if not _UUID.match(key):
        raise ApiError(400, "INVALID_IDEMPOTENCY_KEY", "The Idempotency-Key header must be a UUID.",
                       [{"field": "header.Idempotency-Key", "reason": "must be a UUID"}])
    return key.lower()


def _start_once(start, owner: str, key: str, body: dict[str, Any]):
    try:
        return start(owner, key, body)
    except IdempotencyValidationError:
        raise ApiError(422, "IDEMPOTENCY_KEY_REUSED",
                       "This Idempotency-Key was already used with a different request body.") from None
    except IdempotencyAlreadyInProgressError:
        raise ApiError(409, "IDEMPOTENCY_IN_PROGRESS", "A request with this Idempotency-Key is being processed; retry.",
                       headers={"Retry-After": "1"}) from None


def _query_int(params: dict[str, str], name: str, default: int, low: int, high: int) -> int:
    value = params.get(name, str(default))
    if not re.fullmatch(r"[0-9]{1,15}", value) or not low <= int(value) <= high:
        raise _invalid(f"query.{name}", f"must be a whole number from {low} to {high}")
    return int(value)


def _readable_by(caller: Caller, checkpoint: Checkpoint) -> Checkpoint:
    """A channel sees only the checkpoints it started; to others they do not exist."""
    if caller.role is Role.CHANNEL and checkpoint.owner != caller.subject:
        raise NotFound(checkpoint.checkpoint_id)
    return checkpoint


def _accepted(body: dict[str, Any]) -> Response:
    return Response(body=body, status_code=202,
                    headers={"Content-Type": "application/json", "Location": body["links"]["self"]})


@app.route("/v1/onboarding", methods=["POST"], authorizer=AUTHORIZER)
@api_errors
def start_onboarding() -> Response:
    caller = require(app.current_request, Role.CHANNEL)
    key = _idempotency_key()
    body = _json_body()
    try:
        OnboardingRequest.model_validate(body)
    except ValidationError as exc:
        raise validation_error(exc) from None
    return _accepted(public_view(_start_once(onboarding.start_onboarding, caller.subject, key, body)))


@app.route("/v1/offboarding", methods=["POST"], authorizer=AUTHORIZER)
@api_errors
def start_offboarding() -> Response:
    caller = require(app.current_request, Role.CHANNEL)
    key = _idempotency_key()
    body = _json_body()
    try:
        request = OffboardingRequest.model_validate(body)
    except ValidationError as exc:
        raise validation_error(exc) from None
    try:
        customers.get(request.customer_id)
    except NotFound:
        raise ApiError(422, "UNKNOWN_CUSTOMER", "No customer has this id.",
                       [{"field": "customer_id", "reason": "is not a known customer"}]) from None
    if request.transactions_s3_key and not documents.exists(request.transactions_s3_key):
        raise _invalid("transactions_s3_key", "no such object in the documents bucket")
    return _accepted(public_view(_start_once(offboarding.start_offboarding, caller.subject, key, body)))


@app.route("/v1/checkpoints/{checkpoint_id}", methods=["GET"], authorizer=AUTHORIZER)
@api_errors
def get_checkpoint(checkpoint_id: str) -> dict[str, Any]:
    caller = require(app.current_request, Role.CHANNEL, Role.COMPLIANCE)
    params = app.current_request.query_params or {}
    wait = _query_int(params, "wait", 0, 0, checkpoint_service.MAX_WAIT_SECONDS)
    _readable_by(caller, checkpoints.get(_checkpoint_id(checkpoint_id)))
    return public_view(checkpoint_service.get_checkpoint(checkpoint_id, wait))


@app.route("/v1/checkpoints/{checkpoint_id}/history", methods=["GET"], authorizer=AUTHORIZER)
@api_errors
def get_checkpoint_history(checkpoint_id: str) -> dict[str, Any]:
    require(app.current_request, Role.COMPLIANCE)
    return checkpoint_service.history(_checkpoint_id(checkpoint_id))


@app.route("/v1/reviews", methods=["GET"], authorizer=AUTHORIZER)
@api_errors
def list_reviews() -> dict[str, Any]:
    require(app.current_request, Role.COMPLIANCE)
    params = app.current_request.query_params or {}
    if params.get("status", "open") != "open":
        raise _invalid("query.status", "must be open (the queue lists checkpoints waiting for a decision)")
    limit = _query_int(params, "limit", 50, 1, 100)
    try:
        return reviews.open_reviews(limit, params.get("cursor"))
    except ValueError:
        raise _invalid("query.cursor", "is not a cursor this API issued") from None


@app.route("/v1/reviews/{checkpoint_id}/decision", methods=["POST"], authorizer=AUTHORIZER)
@api_errors
def decide_review(checkpoint_id: str) -> dict[str, Any]:
    caller = require(app.current_request, Role.COMPLIANCE)
    try:
        decision_request = ReviewDecisionRequest.model_validate(_json_body())
    except ValidationError as exc:
        raise validation_error(exc) from None
    checkpoint = reviews.decide(_checkpoint_id(checkpoint_id), decision_request.outcome, caller.subject,
                                decision_request.reason)
    return public_view(checkpoint)


@app.route("/v1/executions", methods=["GET"], authorizer=AUTHORIZER)
@api_errors
def list_executions() -> dict[str, Any]:
    require(app.current_request, Role.COMPLIANCE)
    params = app.current_request.query_params or {}
    workflow = params.get("workflow", "onboarding")
    if workflow not in ("onboarding", "offboarding"):
        raise _invalid("query.workflow", "must be onboarding or offboarding")
    status = params.get("status")
    if status is not None and status not in ("RUNNING", "SUCCEEDED", "FAILED", "TIMED_OUT", "ABORTED"):
        raise _invalid("query.status", "must be RUNNING, SUCCEEDED, FAILED, TIMED_OUT or ABORTED")
    since = _query_time(params, "since")
    limit = _query_int(params, "limit", 50, 1, 100)
    try:
        return checkpoint_service.executions(workflow, status, since, limit, params.get("cursor"))
    except ValueError:
        raise _invalid("query.cursor", "is not a cursor this API issued") from None


@app.route("/v1/checkpoints/{checkpoint_id}/documents", methods=["POST"], authorizer=AUTHORIZER)
@api_errors
def create_document_upload(checkpoint_id: str) -> Response:
    caller = require(app.current_request, Role.CHANNEL)
    checkpoint = _readable_by(caller, checkpoints.get(_checkpoint_id(checkpoint_id)))
    try:
        upload = DocumentUploadRequest.model_validate(_json_body())
    except ValidationError as exc:
        raise validation_error(exc) from None
    if upload.size > MAX_UPLOAD_BYTES:
        raise _invalid("size", f"must be at most {MAX_UPLOAD_BYTES} bytes")
    if checkpoint.status.is_final:
        raise ApiError(409, "CHECKPOINT_CLOSED", f"The checkpoint is {checkpoint.status.value}; no uploads.")
    key = documents.upload_key(checkpoint.checkpoint_id, upload.side)
    url = documents.presigned_upload(key, upload.content_type, upload.size, UPLOAD_URL_SECONDS)
    return Response(status_code=201, headers={"Content-Type": "application/json"}, body={
        "upload": {"method": "PUT", "url": url, "expires_in": UPLOAD_URL_SECONDS,
                   "headers": {"Content-Type": upload.content_type, "Content-Length": str(upload.size),
                               "x-amz-tagging": tagging(key)}},
        "side": upload.side,
    })


@app.route("/v1/lists", methods=["GET"], authorizer=AUTHORIZER)
@api_errors
def get_lists() -> dict[str, Any]:
    require(app.current_request, Role.COMPLIANCE, Role.AUDITOR)
    return {"items": list_service.in_force()}


@app.route("/v1/lists/refresh", methods=["POST"], authorizer=AUTHORIZER)
@api_errors
def refresh_list() -> Response:
    require(app.current_request, Role.COMPLIANCE)
    try:
        request = ListRefreshRequest.model_validate(_json_body())
    except ValidationError as exc:
        raise validation_error(exc) from None
    if request.source not in list_sources_policy().sources:
        raise _invalid("source", f"must be one of {', '.join(list_sources_policy().sources)}")
    try:
        report = list_service.refresh(request.source, request.upload_prefix,
                                      request.snapshot.isoformat() if request.snapshot else None)
    except RefreshRefused as exc:
        raise ApiError(422, exc.code, f"{exc} The version in force keeps serving.") from None
    except NotFound as exc:
        raise _invalid("upload_prefix", f"a file of the list is missing: {exc}") from None
    return Response(body=report, status_code=201 if report["status"] == "published" else 200,
                    headers={"Content-Type": "application/json"})


@app.route("/v1/screenings", methods=["POST"], authorizer=AUTHORIZER)
@api_errors
def screen_name() -> dict[str, Any]:
    require(app.current_request, Role.CHANNEL, Role.COMPLIANCE)
    try:
        request = ScreeningRequest.model_validate(_json_body())
    except ValidationError as exc:
        raise validation_error(exc) from None
    screener = screening.current_screener()
    matches = screener.screen(request.name, request.birth_date, request.nationality, request.type,
                              limit=request.limit, threshold=request.threshold)
    return {"engine": screener.engine, "list_versions": screener.list_versions,
            "matches": [m.model_dump(mode="json") for m in matches], "checks": [
                c.model_dump() for c in classify(matches)]}


@app.route("/v1/audit/retention-log", methods=["GET"], authorizer=AUTHORIZER)
@api_errors
def get_retention_log() -> Response:
    return _audit_log(LogName.RETENTION)


@app.route("/v1/audit/export-log", methods=["GET"], authorizer=AUTHORIZER)
@api_errors
def get_export_log() -> Response:
    return _audit_log(LogName.EXPORT)


def _audit_log(log: LogName) -> Response:
    require(app.current_request, Role.AUDITOR)
    params = app.current_request.query_params or {}
    fmt = params.get("format", "jsonl")
    if fmt not in ("jsonl", "csv"):
        raise _invalid("query.format", "must be jsonl or csv")
    bounds = {name: _query_time(params, name) for name in ("from", "to")}
    after = _query_int(params, "cursor", 0, 0, 10**12)
    limit = _query_int(params, "limit", 1000, 1, 10000)
    entries, next_cursor = audit_service.page(log, bounds["from"], bounds["to"], after, limit)
    head = audit_log_store.head(log)
    headers = {"Content-Type": "application/x-ndjson" if fmt == "jsonl" else "text/csv; charset=utf-8",
               "X-Chain-Head-Sequence": str(head.sequence if head else 0),
               "X-Chain-Head-Hash": head.hash if head else GENESIS}
    if next_cursor is not None:
        headers["X-Next-Cursor"] = str(next_cursor)
    return Response(body=audit_service.render(entries, fmt), status_code=200, headers=headers)


@app.route("/v1/audit/verify", methods=["GET"], authorizer=AUTHORIZER)
@api_errors
def verify_audit_log() -> dict[str, Any]:
    require(app.current_request, Role.AUDITOR)
    log = (app.current_request.query_params or {}).get("log", "")
    if log not in {name.value for name in LogName}:
        raise _invalid("query.log", "must be retention or export")
    return audit_service.check(LogName(log))


def _query_time(params: dict[str, str], name: str) -> datetime | None:
    if name not in params:
        return None
    try:
        value = datetime.fromisoformat(params[name].replace("Z", "+00:00"))
    except ValueError:
        raise _invalid(f"query.{name}", "must be a UTC ISO-8601 timestamp") from None
    if value.tzinfo is None:
        raise _invalid(f"query.{name}", "must include a time zone (e.g. Z)")
    return value


@app.route("/v1/legal-holds", methods=["POST"], authorizer=AUTHORIZER)
@api_errors
def place_legal_hold() -> Response:
    caller = require(app.current_request, Role.COMPLIANCE)
    try:
        request = LegalHoldRequest.model_validate(_json_body())
    except ValidationError as exc:
        raise validation_error(exc) from None
    if request.customer_id:
        try:
            customers.get(request.customer_id)
        except NotFound:
            raise ApiError(422, "UNKNOWN_CUSTOMER", "No customer has this id.",
                           [{"field": "customer_id", "reason": "is not a known customer"}]) from None
    elif retention_store.schedule_of(request.record_id) is None:
        raise ApiError(422, "UNKNOWN_RECORD", "No retention schedule names this record.",
                       [{"field": "record_id", "reason": "is not a scheduled record"}])
    selector = {"customer_id": request.customer_id} if request.customer_id else {"record_id": request.record_id}
    hold = retention_service.place_hold(selector, request.reason, request.case_reference, caller.subject)
    return Response(body=hold, status_code=201, headers={"Content-Type": "application/json"})


@app.route("/v1/legal-holds/{hold_id}", methods=["DELETE"], authorizer=AUTHORIZER)
@api_errors
def release_legal_hold(hold_id: str) -> dict[str, Any]:
    caller = require(app.current_request, Role.COMPLIANCE)
    if not re.fullmatch(r"lh_[0-9a-f]{32}", hold_id):
        raise NotFound(hold_id)
    return retention_service.release_hold(hold_id, caller.subject)


@app.route("/v1/exports", methods=["POST"], authorizer=AUTHORIZER)
@api_errors
def request_export() -> Response:
    caller = require(app.current_request, Role.CHANNEL, Role.COMPLIANCE)
    try:
        request = ExportRequestBody.model_validate(_json_body())
    except ValidationError as exc:
        raise validation_error(exc) from None
    try:
        customer = customers.get(request.customer_id)
    except NotFound:
        customer = None
    if customer is None or (caller.role is Role.CHANNEL and customer.channel_name != caller.subject):
        raise ApiError(422, "UNKNOWN_CUSTOMER", "No customer has this id.",
                       [{"field": "customer_id", "reason": "is not a known customer"}])
    record = export_service.request(request.customer_id, request.formats, request.include, caller.subject)
    export_service.start_async(record["export_id"])
    body = {"export_id": record["export_id"], "status": record["status"],
            "links": {"self": f"/v1/exports/{record['export_id']}"}}
    return Response(body=body, status_code=202,
                    headers={"Content-Type": "application/json", "Location": body["links"]["self"]})


@app.route("/v1/exports/{export_id}", methods=["GET"], authorizer=AUTHORIZER)
@api_errors
def get_export(export_id: str) -> dict[str, Any]:
    caller = require(app.current_request, Role.CHANNEL, Role.COMPLIANCE)
    if not _EXPORT_ID.match(export_id):
        raise NotFound(export_id)
    record = export_repository.get(export_id)
    if caller.role is Role.CHANNEL and record["requested_by"] != caller.subject:
        raise NotFound(export_id)
    return export_service.view(export_id, caller.subject)


@app.route("/v1/health", methods=["GET"])
@api_errors
def get_health() -> dict[str, Any]:
    return health.report()


@app.route("/v1/openapi.json", methods=["GET"])
@api_errors
def get_openapi() -> dict[str, Any]:
    return _openapi_document()


@functools.cache
def _openapi_document() -> dict[str, Any]:
    return openapi.document(app.routes)  # the routes are fixed once the module is loaded


@app.route("/console", methods=["GET"])
@api_errors
def console_page() -> Response:
    """The compliance and audit console (public files; the data comes from the API by role)."""
    return console.page((app.current_request.context or {}).get("path", ""))


@app.route("/console/{asset}", methods=["GET"])
@api_errors
def console_asset(asset: str) -> Response:
    return console.asset(asset)


# ---- Step Functions tasks (stepfunctions/onboarding.asl.json, offboarding.asl.json) ----

@app.lambda_function(name="verify_identity")
def verify_identity(event: dict[str, Any], context: Any) -> dict[str, Any]:
    return run_task("verify_identity", identity.run, event)


@app.lambda_function(name="screen")
def screen(event: dict[str, Any], context: Any) -> dict[str, Any]:
    return run_task("screen", screening.run, event)


@app.lambda_function(name="assess_exit_risk")
def assess_exit_risk(event: dict[str, Any], context: Any) -> dict[str, Any]:
    return run_task("assess_exit_risk", exit_risk.run, event)


@app.lambda_function(name="schedule_retention")
def schedule_retention(event: dict[str, Any], context: Any) -> dict[str, Any]:
    return run_task("schedule_retention", retention.run, event)


@app.lambda_function(name="export_data")
def export_data(event: dict[str, Any], context: Any) -> dict[str, Any]:
    return run_task("export_data", export.run, event)


@app.lambda_function(name="build_export")
def build_export(event: dict[str, Any], context: Any) -> dict[str, Any]:
    """Invoked as an event by POST /v1/exports; builds the package in the background."""
    export_id = event.get("export_id") if isinstance(event, dict) else None
    if not isinstance(export_id, str) or not _EXPORT_ID.match(export_id):
        raise PermanentTaskError("build_export needs a valid export_id")
    return {"status": export_service.build(export_id)["status"], "export_id": export_id}


@app.lambda_function(name="await_review")
def await_review(event: dict[str, Any], context: Any) -> dict[str, Any]:
    return run_task("await_review", review.run, event)


@app.lambda_function(name="record_decision")
def record_decision(event: dict[str, Any], context: Any) -> dict[str, Any]:
    return run_task("record_decision", decision.run, event)


@app.lambda_function(name="mark_failed")
def mark_failed(event: dict[str, Any], context: Any) -> dict[str, Any]:
    return run_task("mark_failed", failure.run, event)


@app.schedule("rate(1 day)", name="retention_sweep")
def retention_sweep(event: Any) -> dict[str, int]:
    """Daily: erase or anonymise what has expired, skip what is held. The event's time is the
    sweep's clock (tests and replays pass another)."""
    return retention_service.sweep(datetime.fromisoformat(event.time.replace("Z", "+00:00")))
