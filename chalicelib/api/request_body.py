"""Turning the raw bytes of a request into JSON (or a CSV body into its rows), refusing hostile
input with a clear 4xx.

What is refused, and why:
- more than MAX_BODY_BYTES (413): large transaction histories come as an S3 drop instead;
- bytes that are not UTF-8, text that is not JSON, NaN/Infinity (400 MALFORMED_JSON);
- nesting deeper than MAX_DEPTH (400): no request of this API needs it, and deep nesting is how
  parsers are pushed over their recursion limit;
- strings holding unpaired UTF-16 surrogates ("\\ud800" is valid JSON but no valid text): they
  would fail later, when stored, half-way through a request.
"""
from __future__ import annotations

import csv
import io
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


def _text_of(raw: bytes | None, max_bytes: int, malformed: Any = _malformed, encoding: str = "utf-8") -> str:
    raw = raw or b""
    if len(raw) > max_bytes:
        raise ApiError(413, "PAYLOAD_TOO_LARGE", f"The request body is larger than {max_bytes} bytes.",
                       [{"field": "(body)", "reason": f"must be at most {max_bytes} bytes"}])
    try:
        return raw.decode(encoding)
    except UnicodeDecodeError:
        raise malformed("The request body is not valid UTF-8.") from None


def parse_json_body(raw: bytes | None, max_bytes: int = MAX_BODY_BYTES) -> Any:
    """The JSON value of a request body, or an ApiError saying what is wrong with it."""
    text = _text_of(raw, max_bytes)
    try:
        value = json.loads(text, parse_constant=_reject_constant)
    except RecursionError:
        raise _malformed(f"The request body is nested more than {MAX_DEPTH} levels deep.") from None
    except ValueError:
        raise _malformed("The request body is not valid JSON.") from None
    _check_depth_and_text(value)
    return value


def _malformed_csv(message: str) -> ApiError:
    return ApiError(400, "MALFORMED_CSV", message, [{"field": "(body)", "reason": message}])


def parse_csv_body(raw: bytes | None, max_bytes: int = MAX_BODY_BYTES) -> list[dict[str, str]]:
    """The rows of a CSV body (RFC 4180, UTF-8, the first line naming the columns), each as
    {column: value} with empty cells left out; an ApiError saying what is wrong otherwise. Row i
    (from 0) is the body's line i + 2 when no field spans lines."""
    text = _text_of(raw, max_bytes, _malformed_csv, "utf-8-sig")  # a spreadsheet's export may start with a BOM
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    try:
        header = [name.strip() for name in next(reader, [])]
        if not any(header):
            raise _malformed_csv("The CSV body has no header line naming its columns.")
        if len(set(header)) != len(header):
            raise _malformed_csv("The CSV header names a column twice.")
        rows = []
        for cells in reader:
            if not any(cell.strip() for cell in cells):
                continue  # a blank line
            if len(cells) > len(header):
                raise _malformed_csv(f"Line {reader.line_num} has more fields than the header names.")
            rows.append({name: cell for name, cell in zip(header, cells, strict=False) if cell.strip()})
    except csv.Error as exc:
        raise _malformed_csv(f"The CSV body cannot be read at line {reader.line_num}: {exc}.") from None
    for row in rows:
        for value in row.values():
            _check_text(value)
    return rows
