"""Unknown query parameters are refused, as unknown body fields are: a misspelt filter
(`?stauts=FAILED`) must not silently return everything. The known ones are the OpenAPI
document's, so the documentation and the check cannot disagree."""
from __future__ import annotations

from collections.abc import Callable
from typing import Any

from chalice import Response

from chalicelib.api.errors import ApiError
from chalicelib.api.openapi import OPERATIONS

_KNOWN = {key: frozenset(p["name"] for p in op.parameters if p["in"] == "query") for key, op in OPERATIONS.items()}


def reject_unknown_query_parameters(event: Any, get_response: Callable[[Any], Response]) -> Response:
    """HTTP middleware (the event is the Chalice request)."""
    known = _KNOWN.get((event.method, (event.context or {}).get("resourcePath", "")))
    unknown = sorted(set(event.query_params or {}) - known) if known is not None else []
    if unknown:
        return ApiError(400, "VALIDATION_FAILED", "The request is invalid; see fields.",
                        [{"field": f"query.{name}", "reason": "is not a known query parameter"} for name in unknown]
                        ).response()
    return get_response(event)
