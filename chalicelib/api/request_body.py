"""Turning the raw bytes of a request into JSON, refusing hostile input with a clear 4xx.

What is refused, and why:
- more than MAX_BODY_BYTES (413): large transaction histories come as an S3 drop instead;
- bytes that are not UTF-8, text that is not JSON, NaN/Infinity (400 MALFORMED_JSON);
- nesting deeper than MAX_DEPTH (400): no request of this API needs it, and deep nesting is how
  parsers are pushed over their recursion limit;
- strings holding unpaired UTF-16 surrogates ("\\ud800" is valid JSON but no valid text): they
  would fail later, when stored, half-way through a request.
"""
from __future__ import annotations

import json
from typing import Any

from chalicelib.api.errors import ApiError

MAX_BODY_BYTES = 2 * 1024 * 1024  # 5,000 inline transactions fit; larger histories come by S3
MAX_DEPTH = 32


def _malformed(message: str) -> ApiError:
    return ApiError(400, "MALFORMED_JSON", message, [{"field": "(body)", "reason": message}])


def _reject_constant(name: str) -> Any:
    raise _malformed(f"The request body contains {name}, which JSON does not allow.")


def _check_depth_and_text(value: Any) -> None:
    """Iterative walk (no recursion): depth bound and well-formed text in keys and strings."""
    stack: list[tuple[Any, int]] = [(value, 1)]
    while stack:
        node, depth = stack.pop()
        if isinstance(node, (dict, list)):
            if depth > MAX_DEPTH:
                raise _malformed(f"The request body is nested more than {MAX_DEPTH} levels deep.")
            items = node.items() if isinstance(node, dict) else enumerate(node)
            for key, child in items:
                if isinstance(key, str):
                    _check_text(key)
                stack.append((child, depth + 1))
        elif isinstance(node, str):
            _check_text(node)


def _check_text(text: str) -> None:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        raise _malformed("The request body contains an unpaired UTF-16 surrogate escape.") from None


def parse_json_body(raw: bytes | None) -> Any:
    """The JSON value of a request body, or an ApiError saying what is wrong with it."""
    raw = raw or b""
    if len(raw) > MAX_BODY_BYTES:
        raise ApiError(413, "PAYLOAD_TOO_LARGE", f"The request body is larger than {MAX_BODY_BYTES} bytes.",
                       [{"field": "(body)", "reason": f"must be at most {MAX_BODY_BYTES} bytes"}])
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise _malformed("The request body is not valid UTF-8.") from None
    try:
        value = json.loads(text, parse_constant=_reject_constant)
    except RecursionError:
        raise _malformed(f"The request body is nested more than {MAX_DEPTH} levels deep.") from None
    except ValueError:
        raise _malformed("The request body is not valid JSON.") from None
    _check_depth_and_text(value)
    return value
