"""Reading stored records back into models: a record that does not parse is a fault in stored
data (`CorruptRecord`, a 500 naming no field), never a validation error of the caller's request."""
from __future__ import annotations

from typing import Any, TypeVar

from botocore.exceptions import ClientError
from pydantic import BaseModel, ValidationError

from chalicelib.errors import Conflict, CorruptRecord

M = TypeVar("M", bound=BaseModel)


def parse(model: type[M], data: Any, kind: str, record_id: str) -> M:
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise CorruptRecord(kind, record_id, tuple(sorted({e["type"] for e in exc.errors()}))) from None


def parse_json(model: type[M], raw: bytes | str, kind: str, record_id: str) -> M:
    try:
        return model.model_validate_json(raw)
    except ValidationError as exc:
        raise CorruptRecord(kind, record_id, tuple(sorted({e["type"] for e in exc.errors()}))) from None


def is_condition_failure(exc: ClientError) -> bool:
    return exc.response["Error"]["Code"] == "ConditionalCheckFailedException"


def put_new(table: Any, item: dict[str, Any], key: str, kind: str) -> None:
    """Write `item` only if no item has its `key`; Conflict (naming the kind and id) if one has."""
    try:
        table.put_item(Item=item, ConditionExpression=f"attribute_not_exists({key})")
    except ClientError as exc:
        if is_condition_failure(exc):
            raise Conflict(f"{kind} {item[key]} exists") from exc
        raise
