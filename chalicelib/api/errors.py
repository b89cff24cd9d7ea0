"""The one error shape of the API and the translation of pydantic errors into it.

    {"error": {"code": "VALIDATION_FAILED", "message": "...",
               "fields": [{"field": "applicant.birth_date", "reason": "..."}]}}

Codes are stable; clients branch on `code`, people read `message` and `fields`.
"""
from __future__ import annotations

import functools
import traceback
from collections.abc import Callable
from typing import Any

from aws_lambda_powertools import Logger
from chalice import Response
from pydantic import ValidationError

from chalicelib.errors import (
    Conflict,
    CorruptRecord,
    IdempotencyInProgress,
    IdempotencyKeyReused,
    InvalidField,
    NotFound,
    PurposeRequired,
    Refused,
)
from chalicelib.log_masking import masked

logger = Logger(service="checkpoint")

_REASONS = {
    "missing": "is required",
    "extra_forbidden": "is not a known field",
    "string_type": "must be a string",
    "int_type": "must be an integer",
    "int_parsing": "must be an integer",
    "bool_type": "must be true or false",
    "list_type": "must be a list",
    "dict_type": "must be an object",
    "model_type": "must be an object",
    "date_type": "must be a date (YYYY-MM-DD)",
    "date_parsing": "must be a date (YYYY-MM-DD)",
    "date_from_datetime_parsing": "must be a date (YYYY-MM-DD)",
    "date_from_datetime_inexact": "must be a date (YYYY-MM-DD) without a time",
    "datetime_type": "must be a UTC ISO-8601 timestamp",
    "datetime_parsing": "must be a UTC ISO-8601 timestamp",
    "datetime_from_date_parsing": "must be a UTC ISO-8601 timestamp",
    "float_type": "must be a number",
    "float_parsing": "must be a number",
}
_BOUNDS = {"greater_than": ("gt", "must be greater than {}"), "greater_than_equal": ("ge", "must be at least {}"),
           "less_than": ("lt", "must be less than {}"), "less_than_equal": ("le", "must be at most {}")}


class ApiError(Exception):
    def __init__(self, status: int, code: str, message: str, fields: list[dict[str, str]] | None = None,
                 headers: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.status, self.code, self.message = status, code, message
        self.fields = fields or []
        self.headers = headers or {}

    def response(self) -> Response:
        body: dict[str, Any] = {"code": self.code, "message": self.message}
        if self.fields:
            body["fields"] = self.fields
        return Response(body={"error": body}, status_code=self.status,
                        headers={"Content-Type": "application/json", **self.headers})


def field_errors(exc: ValidationError, prefix: tuple[str | int, ...] = ()) -> list[dict[str, str]]:
    """One {"field", "reason"} per problem; the field is a dotted path (list items by index)."""
    fields = []
    for err in exc.errors(include_url=False, include_input=False):
        path = ".".join(str(p) for p in (*prefix, *err["loc"])) or "(body)"
        reason = _REASONS.get(err["type"])
        if err["type"] == "extra_forbidden" and prefix and prefix[0] in ("query", "header"):
            reason = f"is not a known {'query parameter' if prefix[0] == 'query' else 'header'}"
        elif err["type"] in _BOUNDS:
            bound, text = _BOUNDS[err["type"]]
            reason = text.format(err["ctx"][bound])
        if reason is None:
            reason = err["msg"].removeprefix("Value error, ")
            if err["type"] == "string_too_short":
                minimum = err["ctx"]["min_length"]
                reason = "must not be empty" if minimum == 1 else f"must be at least {minimum} characters"
            elif err["type"] == "string_too_long":
                reason = f"must be at most {err['ctx']['max_length']} characters"
            elif err["type"] in ("too_short", "too_long"):
                bound = err["ctx"].get("min_length") if err["type"] == "too_short" else err["ctx"].get("max_length")
                reason = f"must have {'at least' if err['type'] == 'too_short' else 'at most'} {bound} items"
            elif err["type"] == "enum":
                reason = f"must be one of {err['ctx']['expected']}"
            elif err["type"] == "literal_error":
                reason = f"must be {err['ctx']['expected']}"
        fields.append({"field": path, "reason": reason})
    return fields


def validation_error(exc: ValidationError, prefix: tuple[str | int, ...] = ()) -> ApiError:
    return ApiError(400, "VALIDATION_FAILED", "The request is invalid; see fields.", field_errors(exc, prefix))


INTERNAL_MESSAGE = "An internal error occurred; it has been logged."


def api_error_of(exc: Exception) -> ApiError | None:
    """The API's answer to a service or store exception, decided here once; None for a bug."""
    if isinstance(exc, ApiError):
        return exc
    if isinstance(exc, NotFound):
        return ApiError(404, "NOT_FOUND", "No such resource.")
    if isinstance(exc, PurposeRequired):
        return ApiError(403, exc.code, str(exc), [
            {"field": "header.X-Access-Purpose", "reason": f"must be one of {', '.join(exc.purposes)}"},
            {"field": "header.X-Access-Reference", "reason": "must name the request, claim or sample the read answers"}])
    if isinstance(exc, InvalidField):
        return ApiError(400, "VALIDATION_FAILED", "The request is invalid; see fields.",
                        [{"field": exc.field, "reason": exc.reason}])
    if isinstance(exc, Refused):
        fields = [{"field": exc.field, "reason": exc.reason or str(exc)}] if exc.field else []
        return ApiError(422, exc.code, str(exc), fields)
    if isinstance(exc, IdempotencyKeyReused):
        return ApiError(422, "IDEMPOTENCY_KEY_REUSED", "This Idempotency-Key was already used with a different request.")
    if isinstance(exc, IdempotencyInProgress):
        return ApiError(409, "IDEMPOTENCY_IN_PROGRESS", "A request with this Idempotency-Key is being processed; retry.",
                        headers={"Retry-After": "1"})
    if isinstance(exc, Conflict):
        return ApiError(409, exc.code, str(exc), [{"field": field, "reason": reason} for field, reason in exc.fields])
    return None


def error_boundary(request_body: Callable[[], Any]) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """A route decorator that turns service and store exceptions into the error shape and logs
    anything unexpected with the request body (`request_body()`) masked, never in clear. Only
    parsing the request gives a 400: a stored record that fails to parse (`CorruptRecord`), or any
    other validation error raised past the request's parsing, is a 500 that names no field."""
    return functools.partial(_api_errors, request_body=request_body)


def _log_unhandled(exc: Exception, request_body: Callable[[], Any]) -> None:
    # Not logger.exception: an exception's message may quote input. Where it happened, what
    # kind it was, and the request with its personal fields erased.
    where = traceback.extract_tb(exc.__traceback__)[-1]
    if isinstance(exc, CorruptRecord):
        logger.error("stored record does not parse", extra={"error": "CorruptRecord", "record": exc.kind,
                                                             "record_id": exc.record_id, "problems": list(exc.problems),
                                                             "at": f"{where.filename}:{where.lineno}"})
        return
    try:
        body = masked(request_body())
    except Exception:  # noqa: BLE001 (an unreadable body is recorded as such)
        body = "(unreadable)"
    logger.error("unhandled error in route", extra={"error": type(exc).__name__,
                                                     "at": f"{where.filename}:{where.lineno}", "request": body})


def _api_errors(view: Callable[..., Any], request_body: Callable[[], Any]) -> Callable[..., Any]:
    @functools.wraps(view)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return view(*args, **kwargs)
        except Exception as exc:
            known = api_error_of(exc)
            if known is not None:
                return known.response()
            _log_unhandled(exc, request_body)
            return ApiError(500, "INTERNAL", INTERNAL_MESSAGE).response()

    return wrapper


# Errors Chalice answers itself, before a view runs, as {"Code", "Message"}: the same error shape.
_FRAMEWORK_ERRORS: dict[str, tuple[str, str, list[dict[str, str]]]] = {
    "UnsupportedMediaType": ("UNSUPPORTED_MEDIA_TYPE", "Send the request body as application/json.",
                             [{"field": "header.Content-Type", "reason": "must be application/json"}]),
    "MethodNotAllowedError": ("METHOD_NOT_ALLOWED", "This resource does not support that method.", []),
    "BadRequest": ("NOT_ACCEPTABLE", "The response type is not one the request's Accept header allows.", []),
    "InternalServerError": ("INTERNAL", INTERNAL_MESSAGE, []),
}


def framework_errors_in_api_shape(event: Any, get_response: Callable[[Any], Response]) -> Response:
    """HTTP middleware: rewrite Chalice's own error responses into {"error": {...}}."""
    response = get_response(event)
    body = response.body
    if response.status_code >= 400 and isinstance(body, dict) and set(body) == {"Code", "Message"}:
        code, message, fields = _FRAMEWORK_ERRORS.get(body["Code"], ("REQUEST_REFUSED", str(body["Message"]), []))
        shaped = ApiError(response.status_code, code, message, fields).response()
        response.body = shaped.body
        response.headers = {**(response.headers or {}), **shaped.headers}
    return response
