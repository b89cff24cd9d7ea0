"""The clearances table (DynamoDB, encrypted with the project's KMS key): matches a compliance
officer cleared, by clearance id; index `by-customer` (a customer's clearances, newest first) and
`by-status` (active or revoked, newest first) for listing. A customer's clearances are kept as
their screening results are (scheduled at the closure, record ids "clearance/<id>")."""
from __future__ import annotations

from typing import Any, Protocol

from botocore.exceptions import ClientError

from chalicelib.domain.screening.clearance import Clearance, ClearanceStatus
from chalicelib.errors import Conflict, NotFound
from chalicelib.settings import get_settings
from chalicelib.stores.clients import table
from chalicelib.stores.stored import RetainedItems, RetainedItemStore, is_condition_failure, parse, put_new, record_fields

Page = tuple[list[Clearance], dict[str, Any] | None]


class ClearanceStore(RetainedItemStore, Protocol):
    def create(self, clearance: Clearance) -> bool: ...
    def get(self, clearance_id: str) -> Clearance: ...
    def revoke(self, clearance_id: str, revoked_by: str, at: str) -> Clearance: ...
    def for_customer(self, customer_id: str) -> list[Clearance]: ...
    def page(self, status: ClearanceStatus, customer_id: str | None, limit: int,
             start_key: dict[str, Any] | None) -> Page: ...


class ClearanceTable(RetainedItems):
    """`ClearanceStore` on DynamoDB (the table named by the CLEARANCES_TABLE setting)."""

    _KEY = "clearance_id"

    @staticmethod
    def _table():
        return table(get_settings().clearances_table)

    def create(self, clearance: Clearance) -> bool:
        """Store a new clearance; False if one with its id exists (the same grant retried)."""
        try:
            put_new(self._table(), clearance.model_dump(mode="json", exclude_none=True), "clearance_id", "clearance")
            return True
        except Conflict:
            return False

    def get(self, clearance_id: str) -> Clearance:
        item = self._table().get_item(Key={"clearance_id": clearance_id}, ConsistentRead=True).get("Item")
        if item is None:
            raise NotFound(clearance_id)
        return parse(Clearance, record_fields(item), "clearance", clearance_id)

    def revoke(self, clearance_id: str, revoked_by: str, at: str) -> Clearance:
        """Revoke an active clearance; Conflict if it is revoked already, NotFound if there is none."""
        try:
            item = self._table().update_item(
                Key={"clearance_id": clearance_id},
                UpdateExpression="SET #status = :revoked, revoked_at = :at, revoked_by = :by",
                ConditionExpression="attribute_exists(clearance_id) AND #status = :active",
                ExpressionAttributeNames={"#status": "status"},
                ExpressionAttributeValues={":revoked": "revoked", ":active": "active", ":at": at, ":by": revoked_by},
                ReturnValues="ALL_NEW")["Attributes"]
            return parse(Clearance, record_fields(item), "clearance", clearance_id)
        except ClientError as exc:
            if not is_condition_failure(exc):
                raise
        self.get(clearance_id)  # NotFound if there is none
        raise Conflict(f"clearance {clearance_id} is already revoked")

    def for_customer(self, customer_id: str) -> list[Clearance]:
        """Every clearance of the customer (active and revoked), newest first."""
        found: list[Clearance] = []
        start: dict[str, Any] | None = None
        while True:
            items, start = self._query("by-customer", "customer_id", customer_id, None, 100, start)
            found += items
            if start is None:
                return found

    def page(self, status: ClearanceStatus, customer_id: str | None, limit: int,
             start_key: dict[str, Any] | None) -> Page:
        """Clearances with this status (of one customer, if given), newest first, one page."""
        if customer_id is None:
            return self._query("by-status", "status", status, None, limit, start_key)
        return self._query("by-customer", "customer_id", customer_id, status, limit, start_key)

    def _query(self, index: str, attribute: str, value: str, status: str | None, limit: int,
               start_key: dict[str, Any] | None) -> Page:
        """Up to `limit` items of one index partition (filtered by status), and where to go on."""
        kwargs: dict[str, Any] = {
            "IndexName": index, "KeyConditionExpression": "#key = :value", "ScanIndexForward": False,
            "ExpressionAttributeNames": {"#key": attribute}, "ExpressionAttributeValues": {":value": value},
        }
        if status is not None:
            kwargs["FilterExpression"] = "#status = :status"
            kwargs["ExpressionAttributeNames"]["#status"] = "status"
            kwargs["ExpressionAttributeValues"][":status"] = status
        found: list[Clearance] = []
        while True:  # a filtered page may hold fewer than asked: read on until it is full or the partition ends
            kwargs["Limit"] = limit - len(found)
            if start_key:
                kwargs["ExclusiveStartKey"] = start_key
            page = self._table().query(**kwargs)
            found += [parse(Clearance, record_fields(item), "clearance", item.get("clearance_id", "?"))
                      for item in page["Items"]]
            start_key = page.get("LastEvaluatedKey")
            if start_key is None or len(found) >= limit:
                return found, start_key
