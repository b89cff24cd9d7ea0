"""The customers table (DynamoDB, encrypted with the project's KMS key)."""
from __future__ import annotations

from collections.abc import Iterator
from typing import Any, Protocol

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
    def freeze(self, customer_id: str, at: str, alert_id: str) -> bool: ...
    def partition_counts(self) -> dict[int, int]: ...
    def in_partitions(self, first: int, last: int) -> Iterator[CustomerRecord]: ...
    def rate(self, customer_id: str, rating: RiskRating, replaces: RiskRating | None,
             alert: MonitoringAlert | None = None) -> None: ...


PARTITION_INDEX = "by-monitoring-partition"  # hash monitoring_block, range monitoring_partition
PARTITIONS_PER_BLOCK = 64  # a shard reads its partitions a block (one index key) at a time


def item_of(record: CustomerRecord) -> dict[str, Any]:
    """The record as stored: with its reverse-index block when it is monitored."""
    item = record.model_dump(mode="json", exclude_none=True)
    if record.monitoring_partition is not None:
        item["monitoring_block"] = record.monitoring_partition // PARTITIONS_PER_BLOCK
    return item


def _record(item: dict[str, Any]) -> CustomerRecord:
    fields = {k: v for k, v in record_fields(item).items() if k != "monitoring_block"}
    return parse(CustomerRecord, fields, "customer", str(item.get("customer_id")))


class CustomerTable(RetainedItems):
    """`CustomerStore` on DynamoDB (the table named by the CUSTOMERS_TABLE setting)."""

    _KEY = "customer_id"

    @staticmethod
    def _table():
        return table(get_settings().customers_table)

    def create_once(self, record: CustomerRecord) -> bool:
        """Create the record unless it exists (a retried approval); True if this call created it."""
        try:
            put_new(self._table(), item_of(record), "customer_id", "customer")
            return True
        except Conflict:
            return False

    def get(self, customer_id: str) -> CustomerRecord:
        item = self._table().get_item(Key={"customer_id": customer_id}, ConsistentRead=True).get("Item")
        if item is None:
            raise NotFound(customer_id)
        return _record(item)

    def close(self, customer_id: str, closed_at: str, checkpoint_id: str, statements_until: str | None = None
              ) -> bool:
        """Mark the relationship ended (the trigger of most retention periods) and until when the
        customer's channel may still fetch statements; idempotent."""
        update = "SET #status = :closed, closed_at = :at, offboarding_checkpoint_id = :cp"
        remove = " REMOVE monitoring_partition, monitoring_block"  # out of the monitoring reverse index
        values = {":closed": "closed", ":active": "active", ":frozen": "frozen", ":at": closed_at, ":cp": checkpoint_id}
        if statements_until:
            update += ", statements_until = :until"
            values[":until"] = statements_until
        update += remove
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

    def freeze(self, customer_id: str, at: str, alert_id: str) -> bool:
        """Freeze an open relationship (a confirmed sanctions match): nothing is paid out, exported
        or settled. True if this call froze it; False if it was frozen already; Conflict if closed."""
        try:
            self._table().update_item(
                Key={"customer_id": customer_id},
                UpdateExpression="SET #status = :frozen, frozen_at = :at, frozen_by = :alert",
                ConditionExpression="attribute_exists(customer_id) AND #status = :active",
                ExpressionAttributeNames={"#status": "status"},
                ExpressionAttributeValues={":frozen": "frozen", ":active": "active", ":at": at, ":alert": alert_id})
            return True
        except ClientError as exc:
            if not is_condition_failure(exc):
                raise
        status = self.get(customer_id).status
        if status == "frozen":
            return False
        raise Conflict(f"customer {customer_id} is {status}: it cannot be frozen")

    def partition_counts(self) -> dict[int, int]:
        """Customers per partition of the monitoring reverse index (its keys only: never the
        customers themselves)."""
        counts: dict[int, int] = {}
        kwargs: dict[str, Any] = {"IndexName": PARTITION_INDEX, "ProjectionExpression": "monitoring_partition"}
        while True:
            page = self._table().scan(**kwargs)
            for item in page["Items"]:
                partition = int(item["monitoring_partition"])
                counts[partition] = counts.get(partition, 0) + 1
            if "LastEvaluatedKey" not in page:
                return counts
            kwargs["ExclusiveStartKey"] = page["LastEvaluatedKey"]

    def in_partitions(self, first: int, last: int) -> Iterator[CustomerRecord]:
        """The monitored customers of partitions first..last, a block and a page at a time."""
        for block in range(first // PARTITIONS_PER_BLOCK, last // PARTITIONS_PER_BLOCK + 1):
            kwargs: dict[str, Any] = {
                "IndexName": PARTITION_INDEX,
                "KeyConditionExpression": "monitoring_block = :b AND monitoring_partition BETWEEN :first AND :last",
                "ExpressionAttributeValues": {":b": block, ":first": first, ":last": last}}
            while True:
                page = self._table().query(**kwargs)
                yield from (_record(item) for item in page["Items"])
                if "LastEvaluatedKey" not in page:
                    break
                kwargs["ExclusiveStartKey"] = page["LastEvaluatedKey"]

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
