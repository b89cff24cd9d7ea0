"""One declaration per operation.

    @api.operation("POST", "/v1/offboarding", "Start a closure checkpoint", roles=CHANNEL,
                   body=OffboardingRequest, idempotent=True, status=202, response=CheckpointView,
                   errors=(409, 422))
    def start_offboarding(call: Call[OffboardingRequest, None, None]) -> CheckpointView:
        return CheckpointView.of(offboarding.start(call.caller, call.body, call.idempotency_key))

The declaration registers the Chalice route and is the single source of: who may call it (401
without valid credentials, 403 for another role), how its path parameters, query string,
idempotency key and body are parsed (each into its model; a 400 naming every bad field, a 404
for a path id that cannot exist), how the answer is rendered, and its OpenAPI operation
(`chalicelib.api.openapi`). The authorization tests read the same declarations.
"""
from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar

from chalice import Blueprint, Chalice, Response
from pydantic import BaseModel, ValidationError

from chalicelib.api.auth import require
from chalicelib.api.errors import ApiError, error_boundary, validation_error
from chalicelib.api.request_body import MAX_BODY_BYTES, parse_csv_body, parse_json_body
from chalicelib.domain.actors import Caller, Role

B = TypeVar("B")
Q = TypeVar("Q")
P = TypeVar("P")

UUID_PATTERN = re.compile(r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")
PUBLIC: frozenset[Role] = frozenset()


@dataclass(frozen=True)
class Call(Generic[B, Q, P]):
    """What a handler receives: the authenticated caller and the parsed request."""

    caller: Caller
    body: B
    query: Q
    path: P
    idempotency_key: str | None
    request: Any  # the Chalice request, for what no model covers (the raw path, context)
    headers: Any = None  # the declared request headers, parsed into their model


@dataclass(frozen=True)
class Example:
    """An operation's example exchange, each by its file name in data/samples/ (read when the
    OpenAPI document is built): the request body, and the success response (JSON, or text in the
    media type its suffix names). The tests send the same requests (`chalicelib.api.samples`)."""

    request: str | None = None
    response: str | None = None


@dataclass(frozen=True)
class Operation:
    method: str
    path: str
    summary: str
    handler: Callable[[Call], Any]
    roles: frozenset[Role]  # empty: public (no credentials needed)
    body: type[BaseModel] | None = None
    query: type[BaseModel] | None = None
    path_params: type[BaseModel] | None = None
    headers: type[BaseModel] | None = None  # request headers, each field by its alias (the header's name)
    idempotent: bool = False  # requires an Idempotency-Key header (a UUID)
    status: int = 200
    response: type[BaseModel] | None = None
    media_types: tuple[str, ...] = ("application/json",)  # of the success response
    content_types: tuple[str, ...] = ("application/json",)  # accepted request bodies; text/csv: the
    # body model's `of_csv_rows` turns the rows into the JSON-shaped value it validates
    max_body_bytes: int = MAX_BODY_BYTES
    errors: tuple[int, ...] = ()  # error statuses beyond those the declaration implies
    also: tuple[int, ...] = ()  # other answers: 2xx with the same body, 3xx a redirect (Location, no body)
    example: Example | None = None
    tags: tuple[str, ...] = ()
    location: bool = False  # the answer's links.self is the new resource: Location header
    etag: bool = False  # the answer carries an ETag; If-None-Match with it answers 304
    # If-Match (optional) is compared with the ETag of the resource's current representation (the
    # GET operation of the same path, as this caller would get it): none current is 412.
    if_match: bool = False
    description: str = ""

    @property
    def operation_id(self) -> str:
        return self.handler.__name__

    @property
    def public(self) -> bool:
        return not self.roles

    @property
    def statuses(self) -> tuple[int, ...]:
        """Every status the operation may answer, the declared success first. Any operation may
        answer 400 (an unknown query parameter is refused) and 500 (a fault, logged)."""
        implied = {*self.errors, *self.also, 400, 500}
        if self.roles:
            implied |= {401, 403}
        if self.path_params is not None:
            implied.add(404)
        if self.body is not None:
            implied |= {413, 415}
        if self.etag:
            implied.add(304)
        if self.if_match:
            implied.add(412)
        return (self.status, *sorted(implied - {self.status}))

    def parse(self, request: Any, path_values: dict[str, str]) -> Call:
        """Authenticate, authorize and parse, in that order: an unauthenticated caller learns
        nothing about the request's validity."""
        caller = require(request, *self.roles) if self.roles else None
        path = None
        if self.path_params is not None:
            try:
                path = self.path_params.model_validate(path_values)
            except ValidationError:
                raise ApiError(404, "NOT_FOUND", "No such resource.") from None
        query = None
        if self.query is not None:
            try:
                query = self.query.model_validate(dict(request.query_params or {}))
            except ValidationError as exc:
                raise validation_error(exc, ("query",)) from None
        elif request.query_params:
            raise ApiError(400, "VALIDATION_FAILED", "The request is invalid; see fields.",
                           [{"field": f"query.{name}", "reason": "is not a known query parameter"}
                            for name in sorted(request.query_params)])
        headers = None
        if self.headers is not None:
            sent = request.headers or {}
            named = {field.alias or name: sent.get((field.alias or name).lower())
                     for name, field in self.headers.model_fields.items()}
            try:
                headers = self.headers.model_validate({k: v for k, v in named.items() if v is not None})
            except ValidationError as exc:
                raise validation_error(exc, ("header",)) from None
        key = _idempotency_key(request) if self.idempotent else None
        body = None
        if self.body is not None:
            value = (self.body.of_csv_rows(parse_csv_body(request.raw_body, self.max_body_bytes))  # type: ignore[attr-defined]
                     if CSV in self.content_types and _media_type(request) == CSV
                     else parse_json_body(request.raw_body, self.max_body_bytes))
            try:
                body = self.body.model_validate(value)
            except ValidationError as exc:
                raise validation_error(exc) from None
        return Call(caller=caller, body=body, query=query, path=path, idempotency_key=key, request=request,
                    headers=headers)

    def render(self, result: Any, request: Any) -> Any:
        if isinstance(result, Response):
            return result
        body = result.model_dump(mode="json", by_alias=True) if isinstance(result, BaseModel) else result
        headers = {"Content-Type": "application/json"}
        if self.location and isinstance(body, dict):
            headers["Location"] = body["links"]["self"]
        if self.etag:
            tag = entity_tag(body)
            headers["ETag"] = tag
            if tag in _entity_tags((request.headers or {}).get("if-none-match", "")):
                return Response(body="", status_code=304, headers={"ETag": tag})
        return Response(body=body, status_code=self.status, headers=headers)


def entity_tag(body: Any) -> str:
    """The ETag of an answer's JSON body."""
    return '"' + hashlib.sha256(json.dumps(body, sort_keys=True).encode()).hexdigest()[:32] + '"'


def _entity_tags(header: str) -> set[str]:
    """The tags an If-None-Match header lists (weak or strong, compared weakly, as RFC 9110 says)."""
    return {tag.strip().removeprefix("W/") for tag in header.split(",") if tag.strip()}


CSV = "text/csv"


def _media_type(request: Any) -> str:
    return (request.headers or {}).get("content-type", "").split(";")[0].strip().lower()


def _idempotency_key(request: Any) -> str:
    key = (request.headers or {}).get("idempotency-key", "")
    if not UUID_PATTERN.match(key):
        raise ApiError(400, "INVALID_IDEMPOTENCY_KEY", "The Idempotency-Key header must be a UUID.",
                       [{"field": "header.Idempotency-Key", "reason": "must be a UUID"}])
    return key.lower()


@dataclass
class Operations:
    """The app's operations, registered on a Chalice app (or blueprint) as they are declared."""

    app: Chalice | Blueprint
    authorizer: Any = None
    declared: list[Operation] = field(default_factory=list)

    def __post_init__(self) -> None:
        self._boundary = error_boundary(lambda: parse_json_body(self.app.current_request.raw_body))

    def __iter__(self) -> Iterator[Operation]:
        return iter(self.declared)

    def _precondition(self, op: Operation, call: Call) -> None:
        """If-Match: 412 unless one of its ETags is the current representation's (`*`: any)."""
        header = (call.request.headers or {}).get("if-match", "").strip()
        if not header:
            return
        wanted = {tag.strip() for tag in header.split(",") if tag.strip()}
        if "*" in wanted:
            return
        current = self.find("GET", op.path)
        query = current.query.model_validate({}) if current.query is not None else None
        headers = current.headers.model_validate({}) if current.headers is not None else None
        result = current.handler(Call(caller=call.caller, body=None, query=query, path=call.path,
                                      idempotency_key=None, request=call.request, headers=headers))
        body = result.model_dump(mode="json", by_alias=True) if isinstance(result, BaseModel) else result
        if entity_tag(body) not in wanted:
            raise ApiError(412, "PRECONDITION_FAILED", "The resource has changed since that ETag: read it again.",
                           [{"field": "header.If-Match", "reason": "is not the current ETag"}])

    def find(self, method: str, path: str) -> Operation:
        return next(op for op in self.declared if (op.method, op.path) == (method, path))

    def operation(self, method: str, path: str, summary: str, *, roles: frozenset[Role] | set[Role] = PUBLIC,
                  **declaration: Any) -> Callable[[Callable[[Call], Any]], Callable[[Call], Any]]:
        def register(handler: Callable[[Call], Any]) -> Callable[[Call], Any]:
            op = Operation(method=method, path=path, summary=summary, handler=handler, roles=frozenset(roles),
                           **declaration)
            self.declared.append(op)

            def view(**path_values: str) -> Any:
                request = self.app.current_request
                call = op.parse(request, path_values)
                if op.if_match:
                    self._precondition(op, call)
                return op.render(handler(call), request)

            view.__name__ = handler.__name__
            self.app.route(path, methods=[method], authorizer=None if op.public else self.authorizer,
                           content_types=list(op.content_types))(self._boundary(view))
            return handler

        return register
