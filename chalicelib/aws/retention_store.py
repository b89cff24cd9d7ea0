"""Retention schedules (one item per record, indexed by due date) and legal holds, in DynamoDB."""
from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from typing import Any

from botocore.exceptions import ClientError

from chalicelib.aws.clients import table
from chalicelib.domain.checkpoint import iso
from chalicelib.domain.retention import RetentionDecision
from chalicelib.errors import Conflict, NotFound
from chalicelib.settings import get_settings

SCHEDULED = "scheduled"
PENDING = "pending"  # waiting for its trigger event; not yet due whatever the date


def _schedules():
    return table(get_settings().retention_table)


def _holds():
    return table(get_settings().legal_holds_table)


def save(decision: RetentionDecision) -> None:
    item = decision.model_dump(mode="json")
    item["sweep_status"] = SCHEDULED if decision.keep_until else PENDING
    item["keep_until"] = item["keep_until"] or "9999-12-31T23:59:59.999Z"
    _schedules().put_item(Item=item)


def due(now: datetime, page_size: int) -> Iterator[list[RetentionDecision]]:
    """Pages of scheduled records whose keep-until date has passed, oldest first."""
    kwargs: dict[str, Any] = {"IndexName": "due", "Limit": page_size,
                              "KeyConditionExpression": "sweep_status = :s AND keep_until <= :now",
                              "ExpressionAttributeValues": {":s": SCHEDULED, ":now": iso(now)}}
    while True:
        page = _schedules().query(**kwargs)
        yield [RetentionDecision.model_validate({k: v for k, v in item.items() if k != "sweep_status"})
               for item in page["Items"]]
        if "LastEvaluatedKey" not in page:
            return
        kwargs["ExclusiveStartKey"] = page["LastEvaluatedKey"]


def finish(record_id: str, outcome: str, at: str) -> bool:
    """scheduled -> outcome (erased, anonymised, review_due); False if another sweep got there first."""
    try:
        _schedules().update_item(Key={"record_id": record_id},
                                 UpdateExpression="SET sweep_status = :outcome, swept_at = :at",
                                 ConditionExpression="sweep_status = :scheduled",
                                 ExpressionAttributeValues={":outcome": outcome, ":at": at,
                                                            ":scheduled": SCHEDULED})
        return True
    except ClientError as exc:
        if exc.response["Error"]["Code"] == "ConditionalCheckFailedException":
            return False
        raise


def schedule_of(record_id: str) -> dict[str, Any] | None:
    return _schedules().get_item(Key={"record_id": record_id}, ConsistentRead=True).get("Item")


def create_hold(hold: dict[str, Any]) -> None:
    _holds().put_item(Item=hold, ConditionExpression="attribute_not_exists(hold_id)")


def release_hold(hold_id: str, released_by: str, at: str) -> dict[str, Any]:
    try:
        return _holds().update_item(
            Key={"hold_id": hold_id}, UpdateExpression="SET released_at = :at, released_by = :by",
            ConditionExpression="attribute_exists(hold_id) AND attribute_not_exists(released_at)",
            ExpressionAttributeValues={":at": at, ":by": released_by}, ReturnValues="ALL_NEW")["Attributes"]
    except ClientError as exc:
        if exc.response["Error"]["Code"] != "ConditionalCheckFailedException":
            raise
    if _holds().get_item(Key={"hold_id": hold_id}).get("Item") is None:
        raise NotFound(hold_id)
    raise Conflict(f"legal hold {hold_id} is already released")


def active_holds() -> list[dict[str, Any]]:
    """Every hold not released (the table stays small: holds are per case)."""
    items, kwargs = [], {"FilterExpression": "attribute_not_exists(released_at)"}
    while True:
        page = _holds().scan(**kwargs)
        items += page["Items"]
        if "LastEvaluatedKey" not in page:
            return items
        kwargs["ExclusiveStartKey"] = page["LastEvaluatedKey"]
