"""The legal holds table (DynamoDB): holds placed and released by compliance."""
from __future__ import annotations

from typing import Protocol

from botocore.exceptions import ClientError

from chalicelib.domain.legal_hold import LegalHold
from chalicelib.errors import Conflict, NotFound
from chalicelib.settings import get_settings
from chalicelib.stores.clients import table
from chalicelib.stores.stored import is_condition_failure, parse, put_new


class LegalHoldStore(Protocol):
    def create(self, hold: LegalHold) -> None: ...
    def release(self, hold_id: str, released_by: str, at: str) -> LegalHold: ...
    def active(self) -> list[LegalHold]: ...


class LegalHoldTable:
    """`LegalHoldStore` on DynamoDB (the table named by the LEGAL_HOLDS_TABLE setting)."""

    @staticmethod
    def _table():
        return table(get_settings().legal_holds_table)

    def create(self, hold: LegalHold) -> None:
        """Conflict if a hold with this id exists."""
        put_new(self._table(), hold.model_dump(mode="json", exclude_none=True), "hold_id", "legal hold")

    def release(self, hold_id: str, released_by: str, at: str) -> LegalHold:
        try:
            item = self._table().update_item(
                Key={"hold_id": hold_id}, UpdateExpression="SET released_at = :at, released_by = :by",
                ConditionExpression="attribute_exists(hold_id) AND attribute_not_exists(released_at)",
                ExpressionAttributeValues={":at": at, ":by": released_by}, ReturnValues="ALL_NEW")["Attributes"]
            return parse(LegalHold, item, "legal hold", hold_id)
        except ClientError as exc:
            if not is_condition_failure(exc):
                raise
        if self._table().get_item(Key={"hold_id": hold_id}).get("Item") is None:
            raise NotFound(hold_id)
        raise Conflict(f"legal hold {hold_id} is already released")

    def active(self) -> list[LegalHold]:
        """Every hold not released (the table stays small: holds are per case)."""
        items, kwargs = [], {"FilterExpression": "attribute_not_exists(released_at)"}
        while True:
            page = self._table().scan(**kwargs)
            items += [parse(LegalHold, item, "legal hold", item.get("hold_id", "?")) for item in page["Items"]]
            if "LastEvaluatedKey" not in page:
                return items
            kwargs["ExclusiveStartKey"] = page["LastEvaluatedKey"]
