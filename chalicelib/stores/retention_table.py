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


class RetentionScheduleStore(Protocol):
    def save(self, decision: RetentionDecision) -> None: ...
    def due(self, now: datetime, page_size: int) -> Iterator[list[RetentionDecision]]: ...
    def finish(self, record_id: str, outcome: str, at: str) -> bool: ...
    def schedule_of(self, record_id: str) -> dict[str, Any] | None: ...


class RetentionTable:
    """`RetentionScheduleStore` on DynamoDB (the table named by the RETENTION_TABLE setting)."""

    @staticmethod
    def _table():
        return table(get_settings().retention_table)

    def save(self, decision: RetentionDecision) -> None:
        item = decision.model_dump(mode="json")
        item["sweep_status"] = SCHEDULED if decision.keep_until else PENDING
        item["keep_until"] = item["keep_until"] or NEVER
        self._table().put_item(Item=item)

    def due(self, now: datetime, page_size: int) -> Iterator[list[RetentionDecision]]:
        """Pages of scheduled records whose keep-until date has passed, oldest first."""
        kwargs: dict[str, Any] = {"IndexName": "due", "Limit": page_size,
                                  "KeyConditionExpression": "sweep_status = :s AND keep_until <= :now",
                                  "ExpressionAttributeValues": {":s": SCHEDULED, ":now": iso(now)}}
        while True:
            page = self._table().query(**kwargs)
            yield [parse(RetentionDecision, {k: v for k, v in item.items() if k != "sweep_status"},
                         "retention schedule", item.get("record_id", "?")) for item in page["Items"]]
            if "LastEvaluatedKey" not in page:
                return
            kwargs["ExclusiveStartKey"] = page["LastEvaluatedKey"]

    def finish(self, record_id: str, outcome: str, at: str) -> bool:
        """scheduled -> outcome (erased, anonymised, review_due); False if another sweep got there first."""
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
