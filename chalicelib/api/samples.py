"""The API's example bodies, one file each in data/samples/ (request bodies, the ones `make run`'s
curl calls send) and data/samples/responses/ (what the operations answer). The operation
declarations name them (`Example`) and the OpenAPI document shows them; the tests send the same
requests, so the examples cannot drift from what the API accepts. The folder is shipped in the
Lambda package through vendor/data/samples (the document is built there too)."""
from __future__ import annotations

import functools
import json
from typing import Any

from chalicelib.settings import PROJECT_ROOT

SAMPLES_DIR = PROJECT_ROOT / "data" / "samples"
RESPONSES_DIR = SAMPLES_DIR / "responses"
MEDIA_TYPES = {".json": "application/json", ".jsonl": "application/x-ndjson", ".csv": "text/csv"}


@functools.cache
def _read(path: str) -> Any:
    text = (SAMPLES_DIR / path).read_text(encoding="utf-8")
    return json.loads(text) if path.endswith(".json") else text


def request(name: str) -> Any:
    """A request body, parsed (a fresh copy: callers may change it)."""
    return json.loads(json.dumps(_read(name)))


def response(name: str) -> Any:
    """A response body: JSON parsed (a fresh copy), anything else as text."""
    body = _read(f"responses/{name}")
    return body if isinstance(body, str) else json.loads(json.dumps(body))


def media_type(name: str) -> str:
    """The media type of a sample, by its file name's suffix."""
    return MEDIA_TYPES[name[name.rfind("."):]]
