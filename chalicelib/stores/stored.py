"""Reading stored records back into models: a record that does not parse is a fault in stored
data (`CorruptRecord`, a 500 naming no field), never a validation error of the caller's request."""
from __future__ import annotations

from typing import Any, Protocol, TypeVar

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


class RetainedItemStore(Protocol):
    """What the retention service does with a table's items (see RetainedItems)."""

    def stamp_retention(self, item_id: str, schedule: dict[str, str], ttl_epoch: int | None) -> None: ...
    def clear_ttl(self, item_id: str) -> None: ...
    def delete(self, item_id: str) -> None: ...


RETENTION_ATTRIBUTES = ("retention", "expires_at")


def record_fields(item: dict[str, Any]) -> dict[str, Any]:
    """An item's own fields, without the retention stamped beside them (see RetainedItems)."""
    return {k: v for k, v in item.items() if k not in RETENTION_ATTRIBUTES}


class RetainedItems:
    """Retention on a table's items: the schedule stamped on the item, DynamoDB TTL as AWS's
    backstop (set only when the item is to be deleted and nothing holds it), and the erasure. A
    store mixes this in with the name of its key attribute and its table."""

    _KEY: str

    def _table(self) -> Any:  # pragma: no cover - each store defines it
        raise NotImplementedError

    def stamp_retention(self, item_id: str, schedule: dict[str, str], ttl_epoch: int | None) -> None:
        update, values = "SET retention = :schedule", {":schedule": schedule}
        update += ", expires_at = :ttl" if ttl_epoch is not None else " REMOVE expires_at"
        if ttl_epoch is not None:
            values[":ttl"] = ttl_epoch
        try:
            self._table().update_item(Key={self._KEY: item_id}, UpdateExpression=update,
                                      ExpressionAttributeValues=values,
                                      ConditionExpression=f"attribute_exists({self._KEY})")
        except ClientError as exc:
            if not is_condition_failure(exc):
                raise  # an item already erased has nothing to stamp

    def clear_ttl(self, item_id: str) -> None:
        try:
            self._table().update_item(Key={self._KEY: item_id}, UpdateExpression="REMOVE expires_at",
                                      ConditionExpression=f"attribute_exists({self._KEY})")
        except ClientError as exc:
            if not is_condition_failure(exc):
                raise

    def delete(self, item_id: str) -> None:
        self._table().delete_item(Key={self._KEY: item_id})
