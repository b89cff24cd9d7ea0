"""Page cursors: a DynamoDB page's LastEvaluatedKey handed to the caller as an opaque string, and
read back only if it is one this API could have issued (the right keys, text values)."""
from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Collection
from typing import Any

from chalicelib.errors import InvalidField


def encode(key: dict[str, Any] | None) -> str | None:
    return base64.urlsafe_b64encode(json.dumps(key).encode()).decode() if key else None


def decode(cursor: str, *key_sets: Collection[str]) -> dict[str, Any]:
    """The key `cursor` encodes; InvalidField (query.cursor) unless its keys are one of `key_sets`."""
    try:
        key = json.loads(base64.urlsafe_b64decode(cursor.encode()))
    except (ValueError, binascii.Error):
        key = None
    if not (isinstance(key, dict) and any(set(key) == set(keys) for keys in key_sets)
            and all(isinstance(v, str) for v in key.values())):
        raise InvalidField("query.cursor", "is not a cursor this API issued")
    return key
