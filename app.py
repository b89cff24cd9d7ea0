"""checkpoint: the compliance-checkpoint API and its workflow task entry points.

Routes parse, validate and delegate to `chalicelib.services`; each `@app.lambda_function`
is a Step Functions task that delegates to `chalicelib.tasks`. No compliance logic here.
"""
from __future__ import annotations

import json
import re
from typing import Any

from aws_lambda_powertools.utilities.idempotency.exceptions import (
    IdempotencyAlreadyInProgressError,
    IdempotencyValidationError,
)
from chalice import Chalice, Response
from pydantic import ValidationError

from chalicelib.api.errors import ApiError, api_errors, validation_error
from chalicelib.api.models import DocumentUploadRequest, OnboardingRequest
from chalicelib.aws import checkpoints, documents
from chalicelib.domain.checkpoint import public_view
from chalicelib.services import health, onboarding
from chalicelib.tasks import decision, failure, identity, review, screening
from chalicelib.tasks.runner import run_task

app = Chalice(app_name="checkpoint")

_UUID = re.compile(r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")
_CHECKPOINT_ID = re.compile(r"^cp_[0-9a-f]{32}$")
MAX_UPLOAD_BYTES = 10 * 1024 * 1024
UPLOAD_URL_SECONDS = 300


def _json_body() -> Any:
    raw = app.current_request.raw_body or b""
    try:
        return json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        raise ApiError(400, "MALFORMED_JSON", "The request body is not valid UTF-8 JSON.") from None


def _checkpoint_id(value: str) -> str:
    if not _CHECKPOINT_ID.match(value):
        raise ApiError(404, "NOT_FOUND", "No such checkpoint.")
    return value


def _accepted(body: dict[str, Any]) -> Response:
    return Response(body=body, status_code=202,
                    headers={"Content-Type": "application/json", "Location": body["links"]["self"]})


@app.route("/v1/onboarding", methods=["POST"])
@api_errors
def start_onboarding() -> Response:
    key = (app.current_request.headers or {}).get("idempotency-key", "")
    if not _UUID.match(key):
        raise ApiError(400, "INVALID_IDEMPOTENCY_KEY", "The Idempotency-Key header must be a UUID.",
                       [{"field": "header.Idempotency-Key", "reason": "must be a UUID"}])
    body = _json_body()
    try:
        OnboardingRequest.model_validate(body)
    except ValidationError as exc:
        raise validation_error(exc) from None
    try:
        checkpoint = onboarding.start_onboarding(key.lower(), body)
    except IdempotencyValidationError:
        raise ApiError(422, "IDEMPOTENCY_KEY_REUSED",
                       "This Idempotency-Key was already used with a different request body.") from None
    except IdempotencyAlreadyInProgressError:
        raise ApiError(409, "IDEMPOTENCY_IN_PROGRESS", "A request with this Idempotency-Key is being processed; retry.",
                       headers={"Retry-After": "1"}) from None
    return _accepted(public_view(checkpoint))


@app.route("/v1/checkpoints/{checkpoint_id}", methods=["GET"])
@api_errors
def get_checkpoint(checkpoint_id: str) -> dict[str, Any]:
    params = app.current_request.query_params or {}
    wait = params.get("wait", "0")
    if not wait.isdigit() or int(wait) > onboarding.MAX_WAIT_SECONDS:
        raise ApiError(400, "VALIDATION_FAILED", "The request is invalid; see fields.",
                       [{"field": "query.wait", "reason": f"must be a whole number of seconds from 0 to "
                                                         f"{onboarding.MAX_WAIT_SECONDS}"}])
    return public_view(onboarding.get_checkpoint(_checkpoint_id(checkpoint_id), int(wait)))


@app.route("/v1/checkpoints/{checkpoint_id}/documents", methods=["POST"])
@api_errors
def create_document_upload(checkpoint_id: str) -> Response:
    checkpoint = checkpoints.get(_checkpoint_id(checkpoint_id))
    try:
        upload = DocumentUploadRequest.model_validate(_json_body())
    except ValidationError as exc:
        raise validation_error(exc) from None
    if upload.size > MAX_UPLOAD_BYTES:
        raise ApiError(400, "VALIDATION_FAILED", "The request is invalid; see fields.",
                       [{"field": "size", "reason": f"must be at most {MAX_UPLOAD_BYTES} bytes"}])
    if checkpoint.status.is_final:
        raise ApiError(409, "CHECKPOINT_CLOSED", f"The checkpoint is {checkpoint.status.value}; no uploads.")
    key = documents.upload_key(checkpoint.checkpoint_id, upload.side)
    url = documents.presigned_upload(key, upload.content_type, upload.size, UPLOAD_URL_SECONDS)
    return Response(status_code=201, headers={"Content-Type": "application/json"}, body={
        "upload": {"method": "PUT", "url": url, "expires_in": UPLOAD_URL_SECONDS,
                   "headers": {"Content-Type": upload.content_type, "Content-Length": str(upload.size)}},
        "side": upload.side,
    })


@app.route("/v1/health", methods=["GET"])
@api_errors
def get_health() -> dict[str, Any]:
    return health.report()


# ---- Step Functions tasks (stepfunctions/onboarding.asl.json) ----

@app.lambda_function(name="verify_identity")
def verify_identity(event: dict[str, Any], context: Any) -> dict[str, Any]:
    return run_task("verify_identity", identity.run, event)


@app.lambda_function(name="screen_applicant")
def screen_applicant(event: dict[str, Any], context: Any) -> dict[str, Any]:
    return run_task("screen_applicant", screening.run, event)


@app.lambda_function(name="await_review")
def await_review(event: dict[str, Any], context: Any) -> dict[str, Any]:
    return run_task("await_review", review.run, event)


@app.lambda_function(name="record_decision")
def record_decision(event: dict[str, Any], context: Any) -> dict[str, Any]:
    return run_task("record_decision", decision.run, event)


@app.lambda_function(name="mark_failed")
def mark_failed(event: dict[str, Any], context: Any) -> dict[str, Any]:
    return run_task("mark_failed", failure.run, event)
