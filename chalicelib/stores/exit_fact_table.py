"""The exit facts table (DynamoDB): one identifier-free fact per ended closure, partitioned by the
month it ended (`month`, `fact_id`), for churn analytics (GET /v1/analytics/exits).

A fact names no customer, checkpoint or account, so nothing here can say which closure it came
from. That a closure's fact is recorded once is guarded on the closure's own checkpoint item
(`exit_fact_recorded`), written in the same DynamoDB transaction as the fact: a retried task adds
nothing, and erasing the checkpoint later leaves the fact as it is."""
from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any, Protocol

from botocore.exceptions import ClientError

from chalicelib.domain.exit_analytics import ExitFact
from chalicelib.settings import get_settings
from chalicelib.stores.clients import table
from chalicelib.stores.stored import parse



class ExitFactStore(Protocol):
    def record_once(self, checkpoint_id: str, fact: ExitFact) -> bool: ...
    def in_months(self, months: Iterable[str]) -> Iterator[ExitFact]: ...


class ExitFactTable:
    """`ExitFactStore` on DynamoDB (EXIT_FACTS_TABLE; the guard on CHECKPOINTS_TABLE)."""

    @staticmethod
    def _table():
        return table(get_settings().exit_facts_table)

    def record_once(self, checkpoint_id: str, fact: ExitFact) -> bool:
        """Store `fact` unless the checkpoint's fact was stored before; True if this call stored it."""
        settings = get_settings()
        # The resource's client (de)serialises attribute values itself, as in stores/audit_bucket.py.
        guard = {"TableName": settings.checkpoints_table, "Key": {"checkpoint_id": checkpoint_id},
                 "UpdateExpression": "SET exit_fact_recorded = :true",
                 "ConditionExpression": "attribute_exists(checkpoint_id) AND attribute_not_exists(exit_fact_recorded)",
                 "ExpressionAttributeValues": {":true": True}}
        put = {"TableName": settings.exit_facts_table, "Item": fact.model_dump(mode="json")}
        try:
            self._table().meta.client.transact_write_items(TransactItems=[{"Update": guard}, {"Put": put}])
            return True
        except ClientError as exc:
            reasons = [r.get("Code") for r in exc.response.get("CancellationReasons", [])]
            if exc.response["Error"]["Code"] == "TransactionCanceledException" and reasons[:1] == ["ConditionalCheckFailed"]:
                return False
            raise

    def in_months(self, months: Iterable[str]) -> Iterator[ExitFact]:
        for month in months:
            kwargs: dict[str, Any] = {"KeyConditionExpression": "#m = :m", "ExpressionAttributeNames": {"#m": "month"},
                                      "ExpressionAttributeValues": {":m": month}}
            while True:
                page = self._table().query(**kwargs)
                for item in page["Items"]:
                    yield parse(ExitFact, item, "exit fact", str(item.get("fact_id", "?")))
                if "LastEvaluatedKey" not in page:
                    break
                kwargs["ExclusiveStartKey"] = page["LastEvaluatedKey"]
