"""The customers table (DynamoDB, encrypted with the project's KMS key)."""
from __future__ import annotations

from typing import Protocol

from botocore.exceptions import ClientError

from chalicelib.domain.customer import CustomerRecord
from chalicelib.errors import Conflict, NotFound
from chalicelib.settings import get_settings
from chalicelib.stores.clients import table
from chalicelib.stores.stored import RetainedItems, RetainedItemStore, is_condition_failure, parse, put_new, record_fields


class CustomerStore(RetainedItemStore, Protocol):
    def create_once(self, record: CustomerRecord) -> bool: ...
    def get(self, customer_id: str) -> CustomerRecord: ...
    def close(self, customer_id: str, closed_at: str, checkpoint_id: str) -> bool: ...


class CustomerTable(RetainedItems):
    """`CustomerStore` on DynamoDB (the table named by the CUSTOMERS_TABLE setting)."""

    _KEY = "customer_id"

    @staticmethod
    def _table():
        return table(get_settings().customers_table)

    def create_once(self, record: CustomerRecord) -> bool:
        """Create the record unless it exists (a retried approval); True if this call created it."""
        try:
            put_new(self._table(), record.model_dump(mode="json", exclude_none=True), "customer_id", "customer")
            return True
        except Conflict:
            return False

    def get(self, customer_id: str) -> CustomerRecord:
        item = self._table().get_item(Key={"customer_id": customer_id}, ConsistentRead=True).get("Item")
        if item is None:
            raise NotFound(customer_id)
        return parse(CustomerRecord, record_fields(item), "customer", customer_id)

    def close(self, customer_id: str, closed_at: str, checkpoint_id: str) -> bool:
        """Mark the relationship ended (the trigger of most retention periods); idempotent."""
        try:
            self._table().update_item(
                Key={"customer_id": customer_id},
                UpdateExpression="SET #status = :closed, closed_at = :at, offboarding_checkpoint_id = :cp",
                ConditionExpression="attribute_exists(customer_id) AND #status = :active",
                ExpressionAttributeNames={"#status": "status"},
                ExpressionAttributeValues={":closed": "closed", ":active": "active", ":at": closed_at,
                                           ":cp": checkpoint_id},
            )
            return True
        except ClientError as exc:
            if not is_condition_failure(exc):
                raise
        if self.get(customer_id).status == "closed":
            return False
        raise NotFound(customer_id)
