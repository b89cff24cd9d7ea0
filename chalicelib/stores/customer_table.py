"""The customers table (DynamoDB, encrypted with the project's KMS key)."""
from __future__ import annotations

from typing import Protocol

from botocore.exceptions import ClientError

from chalicelib.domain.customer import CustomerRecord
from chalicelib.domain.risk_rating import MonitoringAlert, RiskRating
from chalicelib.errors import Conflict, NotFound
from chalicelib.settings import get_settings
from chalicelib.stores.clients import table
from chalicelib.stores.stored import RetainedItems, RetainedItemStore, is_condition_failure, parse, put_new, record_fields


class CustomerStore(RetainedItemStore, Protocol):
    def create_once(self, record: CustomerRecord) -> bool: ...
    def get(self, customer_id: str) -> CustomerRecord: ...
    def close(self, customer_id: str, closed_at: str, checkpoint_id: str, statements_until: str | None = None
              ) -> bool: ...
    def block_payments(self, customer_id: str, at: str, checkpoint_id: str) -> None: ...
    def downgrade(self, customer_id: str, at: str, checkpoint_id: str, account_id: str) -> None: ...
    def rate(self, customer_id: str, rating: RiskRating, replaces: RiskRating | None,
             alert: MonitoringAlert | None = None) -> None: ...


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

    def close(self, customer_id: str, closed_at: str, checkpoint_id: str, statements_until: str | None = None
              ) -> bool:
        """Mark the relationship ended (the trigger of most retention periods) and until when the
        customer's channel may still fetch statements; idempotent."""
        update = "SET #status = :closed, closed_at = :at, offboarding_checkpoint_id = :cp"
        values = {":closed": "closed", ":active": "active", ":frozen": "frozen", ":at": closed_at, ":cp": checkpoint_id}
        if statements_until:
            update += ", statements_until = :until"
            values[":until"] = statements_until
        try:
            self._table().update_item(
                Key={"customer_id": customer_id}, UpdateExpression=update,
                ConditionExpression="attribute_exists(customer_id) AND #status IN (:active, :frozen)",
                ExpressionAttributeNames={"#status": "status"}, ExpressionAttributeValues=values,
            )
            return True
        except ClientError as exc:
            if not is_condition_failure(exc):
                raise
        if self.get(customer_id).status == "closed":
            return False
        raise NotFound(customer_id)

    def block_payments(self, customer_id: str, at: str, checkpoint_id: str) -> None:
        """Stop payments on the customer's accounts from `at` (a succession); a repeat keeps the first."""
        self._table().update_item(
            Key={"customer_id": customer_id},
            UpdateExpression="SET payments_blocked_at = if_not_exists(payments_blocked_at, :at), "
                             "payments_blocked_by = if_not_exists(payments_blocked_by, :cp)",
            ConditionExpression="attribute_exists(customer_id)",
            ExpressionAttributeValues={":at": at, ":cp": checkpoint_id})

    def downgrade(self, customer_id: str, at: str, checkpoint_id: str, account_id: str) -> None:
        """The customer keeps one basic account; the relationship (and its status) go on. Idempotent;
        Conflict for a relationship already closed."""
        try:
            self._table().update_item(
                Key={"customer_id": customer_id},
                UpdateExpression="SET basic_account = if_not_exists(basic_account, :kept)",
                ConditionExpression="attribute_exists(customer_id) AND #status IN (:active, :frozen)",
                ExpressionAttributeNames={"#status": "status"},
                ExpressionAttributeValues={":kept": {"account_id": account_id, "since": at,
                                                     "checkpoint_id": checkpoint_id},
                                           ":active": "active", ":frozen": "frozen"})
        except ClientError as exc:
            if is_condition_failure(exc):
                raise Conflict(f"customer {customer_id} is not an open relationship") from exc
            raise

    def rate(self, customer_id: str, rating: RiskRating, replaces: RiskRating | None,
             alert: MonitoringAlert | None = None) -> None:
        """The customer's rating becomes `rating` if it still is `replaces` (which moves to the
        history), with the alert it counts; Conflict if another rating got there first."""
        update = "SET risk_rating = :rating"
        values: dict[str, object] = {":rating": rating.model_dump(mode="json", exclude_none=True)}
        if replaces is not None:
            update += ", risk_rating_history = list_append(if_not_exists(risk_rating_history, :none), :old)"
            values |= {":old": [replaces.model_dump(mode="json", exclude_none=True)], ":none": [],
                       ":replaced": replaces.rated_at}
            condition = "attribute_exists(customer_id) AND risk_rating.rated_at = :replaced"
        else:
            condition = "attribute_exists(customer_id) AND attribute_not_exists(risk_rating)"
        if alert is not None:
            update += ", risk_alerts = list_append(if_not_exists(risk_alerts, :none), :alert)"
            values |= {":alert": [alert.model_dump(mode="json", exclude_none=True)], ":none": []}
        try:
            self._table().update_item(Key={"customer_id": customer_id}, UpdateExpression=update,
                                      ConditionExpression=condition, ExpressionAttributeValues=values)
        except ClientError as exc:
            if is_condition_failure(exc):
                raise Conflict(f"customer {customer_id} was rated meanwhile") from exc
            raise
