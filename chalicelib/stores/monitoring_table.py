"""The monitoring table (DynamoDB): ongoing-monitoring runs and the outcome row each shard of a
run writes. Key: `run_id` + `item` ("run", or "shard#<shard id>"); index `by-started` (every run,
newest first). Ids, counts and error names only: no customer is named here."""
from __future__ import annotations

from typing import Any, Protocol

from botocore.exceptions import ClientError

from chalicelib.domain.monitoring import MonitoringRun, RunStatus, ShardOutcome, ShardStatus
from chalicelib.errors import Conflict, NotFound
from chalicelib.settings import get_settings
from chalicelib.stores.clients import table
from chalicelib.stores.stored import is_condition_failure, parse

RUN_ITEM = "run"
SHARD_ITEM = "shard#"
RUNS_INDEX = "by-started"
LISTING = "run"  # the by-started index's partition: every run

Page = tuple[list[MonitoringRun], dict[str, Any] | None]


class MonitoringStore(Protocol):
    def create_run(self, run: MonitoringRun) -> bool: ...
    def get_run(self, run_id: str) -> MonitoringRun: ...
    def planned(self, run_id: str, shards_total: int, customers_total: int) -> None: ...
    def finish_run(self, run_id: str, status: RunStatus, finished_at: str, failure: str | None = None) -> bool: ...
    def runs(self, limit: int, start_key: dict[str, Any] | None) -> Page: ...
    def shard_started(self, run_id: str, shard_id: str, customers: int) -> int: ...
    def record_outcome(self, run_id: str, outcome: ShardOutcome) -> bool: ...
    def outcomes(self, run_id: str) -> list[ShardOutcome]: ...


class MonitoringTable:
    """`MonitoringStore` on DynamoDB (the table named by the MONITORING_TABLE setting)."""

    @staticmethod
    def _table():
        return table(get_settings().monitoring_table)

    def create_run(self, run: MonitoringRun) -> bool:
        """Store a new run; False if a run with its id exists (the same request retried)."""
        item = run.model_dump(mode="json", exclude_none=True) | {"item": RUN_ITEM, "listing": LISTING}
        try:
            self._table().put_item(Item=item, ConditionExpression="attribute_not_exists(run_id)")
            return True
        except ClientError as exc:
            if is_condition_failure(exc):
                return False
            raise

    def get_run(self, run_id: str) -> MonitoringRun:
        item = self._table().get_item(Key={"run_id": run_id, "item": RUN_ITEM}, ConsistentRead=True).get("Item")
        if item is None:
            raise NotFound(run_id)
        return _run(item)

    def planned(self, run_id: str, shards_total: int, customers_total: int) -> None:
        """The run's manifest is written: how many shards and customers it holds (a repeat writes the same)."""
        self._table().update_item(
            Key={"run_id": run_id, "item": RUN_ITEM}, ConditionExpression="attribute_exists(run_id)",
            UpdateExpression="SET shards_total = :shards, customers_total = :customers",
            ExpressionAttributeValues={":shards": shards_total, ":customers": customers_total})

    def finish_run(self, run_id: str, status: RunStatus, finished_at: str, failure: str | None = None) -> bool:
        """End a running run; False if it had ended already (a retried task)."""
        update = "SET #status = :status, finished_at = :at"
        values: dict[str, Any] = {":status": status.value, ":at": finished_at, ":running": RunStatus.RUNNING.value}
        if failure:
            update += ", failure = :failure"
            values[":failure"] = failure
        try:
            self._table().update_item(
                Key={"run_id": run_id, "item": RUN_ITEM}, UpdateExpression=update,
                ConditionExpression="attribute_exists(run_id) AND #status = :running",
                ExpressionAttributeNames={"#status": "status"}, ExpressionAttributeValues=values)
            return True
        except ClientError as exc:
            if not is_condition_failure(exc):
                raise
        self.get_run(run_id)  # NotFound for a run that does not exist
        return False

    def runs(self, limit: int, start_key: dict[str, Any] | None) -> Page:
        """One page of runs, newest first."""
        kwargs: dict[str, Any] = {"IndexName": RUNS_INDEX, "KeyConditionExpression": "listing = :all",
                                  "ExpressionAttributeValues": {":all": LISTING}, "ScanIndexForward": False,
                                  "Limit": limit}
        if start_key:
            kwargs["ExclusiveStartKey"] = start_key
        page = self._table().query(**kwargs)
        return [_run(item) for item in page["Items"]], page.get("LastEvaluatedKey")

    def shard_started(self, run_id: str, shard_id: str, customers: int) -> int:
        """Count an attempt at the shard (a row `running` until it ends); returns the attempt's number.
        Conflict if the shard has succeeded already (its customers are screened)."""
        try:
            item = self._table().update_item(
                Key={"run_id": run_id, "item": SHARD_ITEM + shard_id},
                UpdateExpression="SET shard_id = :id, customers = :customers, #status = :running ADD attempts :one",
                ConditionExpression="attribute_not_exists(#status) OR #status <> :succeeded",
                ExpressionAttributeNames={"#status": "status"},
                ExpressionAttributeValues={":id": shard_id, ":customers": customers, ":one": 1,
                                           ":running": ShardStatus.RUNNING.value,
                                           ":succeeded": ShardStatus.SUCCEEDED.value},
                ReturnValues="ALL_NEW")["Attributes"]
        except ClientError as exc:
            if is_condition_failure(exc):
                raise Conflict(f"shard {shard_id} of run {run_id} has succeeded already") from exc
            raise
        return int(item["attempts"])

    def record_outcome(self, run_id: str, outcome: ShardOutcome) -> bool:
        """Write the shard's final row; a succeeded row is never overwritten (False then)."""
        item = outcome.model_dump(mode="json", exclude_none=True) | {"run_id": run_id, "item": SHARD_ITEM + outcome.shard_id}
        try:
            self._table().put_item(Item=item, ConditionExpression="attribute_not_exists(#status) OR #status <> :succeeded",
                                   ExpressionAttributeNames={"#status": "status"},
                                   ExpressionAttributeValues={":succeeded": ShardStatus.SUCCEEDED.value})
            return True
        except ClientError as exc:
            if is_condition_failure(exc):
                return False
            raise

    def outcomes(self, run_id: str) -> list[ShardOutcome]:
        """Every shard row of the run, in shard order."""
        kwargs: dict[str, Any] = {"KeyConditionExpression": "run_id = :run AND begins_with(#item, :shard)",
                                  "ExpressionAttributeNames": {"#item": "item"},
                                  "ExpressionAttributeValues": {":run": run_id, ":shard": SHARD_ITEM},
                                  "ConsistentRead": True}
        rows: list[ShardOutcome] = []
        while True:
            page = self._table().query(**kwargs)
            rows += [parse(ShardOutcome, _fields(item), "shard outcome", str(item.get("item"))) for item in page["Items"]]
            if "LastEvaluatedKey" not in page:
                return rows
            kwargs["ExclusiveStartKey"] = page["LastEvaluatedKey"]


def _fields(item: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in item.items() if k not in ("run_id", "item", "listing")}


def _run(item: dict[str, Any]) -> MonitoringRun:
    return parse(MonitoringRun, {k: v for k, v in item.items() if k not in ("item", "listing")}, "monitoring run",
                 str(item.get("run_id")))
