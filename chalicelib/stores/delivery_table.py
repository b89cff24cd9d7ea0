"""The webhook deliveries table (DynamoDB): one item per (subscription, event), with its attempts;
indexed (all attributes projected) by subscription (the delivery log) and by due time (the retry
poller)."""
from __future__ import annotations

from datetime import datetime
from typing import Any, Protocol

from botocore.exceptions import ClientError

from chalicelib.domain.checkpoint import iso
from chalicelib.domain.webhooks import Attempt, Delivery, DeliveryStatus
from chalicelib.errors import Conflict, NotFound
from chalicelib.settings import get_settings
from chalicelib.stores.clients import table
from chalicelib.stores.stored import RetainedItems, RetainedItemStore, is_condition_failure, parse, record_fields

NOT_DUE = "-"  # the due-index key of a delivery that is not waiting for an attempt


class DeliveryStore(RetainedItemStore, Protocol):
    def create_once(self, delivery: Delivery) -> bool: ...
    def get(self, delivery_id: str) -> Delivery: ...
    def record_attempt(self, delivery: Delivery, attempt: Attempt, status: DeliveryStatus,
                       next_attempt_at: str | None) -> Delivery: ...
    def reschedule(self, delivery_id: str, at: str) -> Delivery: ...
    def due(self, now: datetime, limit: int) -> list[Delivery]: ...
    def of_webhook(self, webhook_id: str, limit: int, after: str | None) -> tuple[list[Delivery], str | None]: ...


def _item(delivery: Delivery) -> dict[str, Any]:
    item = delivery.model_dump(mode="json")
    item["due_at"] = delivery.next_attempt_at or NOT_DUE
    item["attempt_count"] = len(delivery.attempts)
    item.pop("next_attempt_at")
    return item


def _delivery(item: dict[str, Any]) -> Delivery:
    data = {k: v for k, v in record_fields(item).items() if k not in ("due_at", "attempt_count")}
    data["next_attempt_at"] = None if item.get("due_at", NOT_DUE) == NOT_DUE else item["due_at"]
    return parse(Delivery, data, "webhook delivery", item.get("delivery_id", "?"))


class DeliveryTable(RetainedItems):
    """`DeliveryStore` on DynamoDB (the table named by the DELIVERIES_TABLE setting)."""

    _KEY = "delivery_id"

    @staticmethod
    def _table():
        return table(get_settings().deliveries_table)

    def create_once(self, delivery: Delivery) -> bool:
        """False if this (subscription, event) was already recorded (an event published twice)."""
        try:
            self._table().put_item(Item=_item(delivery), ConditionExpression="attribute_not_exists(delivery_id)")
            return True
        except ClientError as exc:
            if is_condition_failure(exc):
                return False
            raise

    def get(self, delivery_id: str) -> Delivery:
        item = self._table().get_item(Key={"delivery_id": delivery_id}, ConsistentRead=True).get("Item")
        if item is None:
            raise NotFound(delivery_id)
        return _delivery(item)

    def record_attempt(self, delivery: Delivery, attempt: Attempt, status: DeliveryStatus,
                       next_attempt_at: str | None) -> Delivery:
        """Append `attempt` if no other attempt was recorded since `delivery` was read (two pollers
        attempting the same delivery: one records, the other gets Conflict)."""
        try:
            item = self._table().update_item(
                Key={"delivery_id": delivery.delivery_id},
                UpdateExpression="SET attempts = list_append(attempts, :attempt), attempt_count = :next, "
                                 "#status = :status, due_at = :due",
                ConditionExpression="attempt_count = :count",
                ExpressionAttributeNames={"#status": "status"},
                ExpressionAttributeValues={":attempt": [attempt.model_dump(mode="json")],
                                           ":count": len(delivery.attempts), ":next": len(delivery.attempts) + 1,
                                           ":status": status.value, ":due": next_attempt_at or NOT_DUE},
                ReturnValues="ALL_NEW")["Attributes"]
        except ClientError as exc:
            if is_condition_failure(exc):
                raise Conflict(f"delivery {delivery.delivery_id} was attempted concurrently") from exc
            raise
        return _delivery(item)

    def reschedule(self, delivery_id: str, at: str) -> Delivery:
        """Make a delivery due again at `at` (a redelivery asked for), whatever its status."""
        try:
            item = self._table().update_item(
                Key={"delivery_id": delivery_id}, UpdateExpression="SET #status = :pending, due_at = :at",
                ConditionExpression="attribute_exists(delivery_id)", ExpressionAttributeNames={"#status": "status"},
                ExpressionAttributeValues={":pending": DeliveryStatus.PENDING.value, ":at": at},
                ReturnValues="ALL_NEW")["Attributes"]
        except ClientError as exc:
            if is_condition_failure(exc):
                raise NotFound(delivery_id) from exc
            raise
        return _delivery(item)

    def due(self, now: datetime, limit: int) -> list[Delivery]:
        page = self._table().query(IndexName="due", Limit=limit,
                                   KeyConditionExpression="#status = :pending AND due_at <= :now",
                                   ExpressionAttributeNames={"#status": "status"},
                                   ExpressionAttributeValues={":pending": DeliveryStatus.PENDING.value,
                                                              ":now": iso(now)})
        return [_delivery(item) for item in page["Items"]]

    def of_webhook(self, webhook_id: str, limit: int, after: str | None) -> tuple[list[Delivery], str | None]:
        """A page of the subscription's deliveries, newest first; `after`: the last delivery id seen."""
        kwargs: dict[str, Any] = {"IndexName": "by-webhook", "Limit": limit, "ScanIndexForward": False,
                                  "KeyConditionExpression": "webhook_id = :w",
                                  "ExpressionAttributeValues": {":w": webhook_id}}
        if after:
            last = self.get(after)
            kwargs["ExclusiveStartKey"] = {"webhook_id": webhook_id, "created_at": last.created_at,
                                           "delivery_id": after}
        page = self._table().query(**kwargs)
        deliveries = [_delivery(item) for item in page["Items"]]
        return deliveries, deliveries[-1].delivery_id if "LastEvaluatedKey" in page and deliveries else None
