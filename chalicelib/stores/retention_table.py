"""The retention table (DynamoDB): one schedule per record, indexed by due date, for the sweep."""
from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from typing import Any, Protocol

from botocore.exceptions import ClientError

from chalicelib.domain.checkpoint import iso
from chalicelib.domain.retention import RetentionDecision
from chalicelib.settings import get_settings
from chalicelib.stores.clients import table
from chalicelib.stores.stored import is_condition_failure, parse

SCHEDULED = "scheduled"
PENDING = "pending"  # waiting for its trigger event; not yet due whatever the date
NEVER = "9999-12-31T23:59:59.999Z"


def schedule_item(decision: RetentionDecision) -> dict[str, Any]:
    """The stored schedule of a decision: no None attribute (customer_id keys a sparse index), a
    record waiting for its trigger is `pending` and sorts after every date."""
    item = {k: v for k, v in decision.model_dump(mode="json").items() if v is not None}
    item["sweep_status"] = SCHEDULED if decision.keep_until else PENDING
    item["keep_until"] = item.get("keep_until") or NEVER
    return item


def decision_of(item: dict[str, Any]) -> RetentionDecision:
    """A stored schedule as the decision it records."""
    fields = {k: v for k, v in item.items() if k in RetentionDecision.model_fields}
    for absent in ("customer_id", "ttl_epoch"):  # saved sparse
        fields.setdefault(absent, None)
    fields["keep_until"] = None if fields.get("keep_until") == NEVER else fields.get("keep_until")
    return parse(RetentionDecision, fields, "retention schedule", item.get("record_id", "?"))


class RetentionScheduleStore(Protocol):
    def save(self, decisions: list[RetentionDecision]) -> None: ...
    def due(self, now: datetime, page_size: int) -> Iterator[list[RetentionDecision]]: ...
    def finish(self, record_id: str, outcome: str, at: str) -> bool: ...
    def schedule_of(self, record_id: str) -> dict[str, Any] | None: ...
    def of_customer(self, customer_id: str) -> list[dict[str, Any]]: ...


class RetentionTable:
    """`RetentionScheduleStore` on DynamoDB (the table named by the RETENTION_TABLE setting)."""

    @staticmethod
    def _table():
        return table(get_settings().retention_table)

    def save(self, decisions: list[RetentionDecision]) -> None:
        """Store the schedules (each replaces the record's own): one request for one, batches of 25
        for more (a closure schedules every record of the customer at once)."""
        if len(decisions) == 1:
            self._table().put_item(Item=schedule_item(decisions[0]))
            return
        with self._table().batch_writer(overwrite_by_pkeys=["record_id"]) as batch:  # retries what is left unprocessed
            for decision in decisions:
                batch.put_item(Item=schedule_item(decision))

    def due(self, now: datetime, page_size: int) -> Iterator[list[RetentionDecision]]:
        """Pages of scheduled records whose keep-until date has passed, oldest first."""
        kwargs: dict[str, Any] = {"IndexName": "due", "Limit": page_size,
                                  "KeyConditionExpression": "sweep_status = :s AND keep_until <= :now",
                                  "ExpressionAttributeValues": {":s": SCHEDULED, ":now": iso(now)}}
        while True:
            page = self._table().query(**kwargs)
            yield [decision_of(item) for item in page["Items"]]
            if "LastEvaluatedKey" not in page:
                return
            kwargs["ExclusiveStartKey"] = page["LastEvaluatedKey"]

    def finish(self, record_id: str, outcome: str, at: str) -> bool:
        """scheduled -> outcome (erased, review_due); False if another sweep got there first."""
        try:
            self._table().update_item(Key={"record_id": record_id},
                                      UpdateExpression="SET sweep_status = :outcome, swept_at = :at",
                                      ConditionExpression="sweep_status = :scheduled",
                                      ExpressionAttributeValues={":outcome": outcome, ":at": at,
                                                                 ":scheduled": SCHEDULED})
            return True
        except ClientError as exc:
            if is_condition_failure(exc):
                return False
            raise

    def schedule_of(self, record_id: str) -> dict[str, Any] | None:
        return self._table().get_item(Key={"record_id": record_id}, ConsistentRead=True).get("Item")

    def of_customer(self, customer_id: str) -> list[dict[str, Any]]:
        """Every schedule of the customer's records (index by-customer), whatever their state."""
        items, kwargs = [], {"IndexName": "by-customer", "KeyConditionExpression": "customer_id = :c",
                             "ExpressionAttributeValues": {":c": customer_id}}
        while True:
            page = self._table().query(**kwargs)
            items += page["Items"]
            if "LastEvaluatedKey" not in page:
                return sorted(items, key=lambda i: i["record_id"])
            kwargs["ExclusiveStartKey"] = page["LastEvaluatedKey"]
