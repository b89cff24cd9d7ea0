"""The identity graph table (DynamoDB, encrypted with the project's KMS key): one item per link a
sign-up made, keyed (checkpoint_id, link); index `by-link` (link, at) finds every sign-up that made
the same link, newest first. Links are keyed hashes (chalicelib/domain/identity_graph.py): the table
holds no clear value.

A checkpoint's links are two retention records: `identity-graph/<checkpoint id>` (what identifies
the person: document, e-mail, phone, images) and `identity-graph/<checkpoint id>/device` (device id
and network prefix); stamping, holding and erasing a record acts on each of its items."""
from __future__ import annotations

from collections.abc import Iterable
from typing import Any, Protocol

from boto3.dynamodb.conditions import Attr, Key
from botocore.exceptions import ClientError

from chalicelib.domain.identity_graph import DEVICE_KINDS, GraphEntry
from chalicelib.settings import get_settings
from chalicelib.stores.clients import table
from chalicelib.stores.stored import RetainedItemStore, is_condition_failure, parse, record_fields

DEVICE_RECORD = "/device"
MAX_PER_LINK = 200  # the newest sign-ups read per link: evidence and velocity need no more


class IdentityGraphStore(RetainedItemStore, Protocol):
    def replace(self, checkpoint_id: str, entries: list[GraphEntry]) -> None: ...
    def linked(self, link: str, other_than: str | None = None) -> list[GraphEntry]: ...
    def of_checkpoint(self, checkpoint_id: str) -> list[GraphEntry]: ...


def _item(entry: GraphEntry) -> dict[str, Any]:
    return {"link": entry.key, **entry.model_dump(mode="json", exclude_none=True)}


def _entry(item: dict[str, Any]) -> GraphEntry:
    fields = {k: v for k, v in record_fields(item).items() if k != "link"}
    return parse(GraphEntry, fields, "identity-graph entry", f"{item.get('checkpoint_id')}/{item.get('link')}")


def in_record(record_item_id: str, entry: GraphEntry) -> bool:
    """Whether `entry` belongs to the retention record `<checkpoint id>` or `<checkpoint id>/device`."""
    device = record_item_id.endswith(DEVICE_RECORD)
    return (entry.kind in DEVICE_KINDS) == device


class IdentityGraphTable:
    """`IdentityGraphStore` on DynamoDB (the table named by the IDENTITY_GRAPH_TABLE setting)."""

    @staticmethod
    def _table():
        return table(get_settings().identity_graph_table)

    def of_checkpoint(self, checkpoint_id: str) -> list[GraphEntry]:
        items, kwargs = [], {"KeyConditionExpression": Key("checkpoint_id").eq(checkpoint_id), "ConsistentRead": True}
        while True:
            page = self._table().query(**kwargs)
            items.extend(page["Items"])
            if "LastEvaluatedKey" not in page:
                return [_entry(item) for item in items]
            kwargs["ExclusiveStartKey"] = page["LastEvaluatedKey"]

    def replace(self, checkpoint_id: str, entries: list[GraphEntry]) -> None:
        """The checkpoint's links become `entries`: new ones written, those no longer made (a
        corrected field) deleted. Writing the same links again changes nothing."""
        wanted = {e.key: e for e in entries}
        with self._table().batch_writer() as batch:
            for old in self.of_checkpoint(checkpoint_id):
                if old.key not in wanted:
                    batch.delete_item(Key={"checkpoint_id": checkpoint_id, "link": old.key})
            for entry in wanted.values():
                batch.put_item(Item=_item(entry))

    def linked(self, link: str, other_than: str | None = None) -> list[GraphEntry]:
        """The newest entries (up to MAX_PER_LINK) any sign-up made under `link`; with `other_than`
        (an identity), only those of other identities among them. DynamoDB reads the same newest
        entries either way (Limit counts before the filter) and returns only those."""
        kwargs: dict[str, Any] = {"IndexName": "by-link", "KeyConditionExpression": Key("link").eq(link),
                                  "ScanIndexForward": False, "Limit": MAX_PER_LINK}
        if other_than is not None:
            kwargs["FilterExpression"] = Attr("identity").ne(other_than)
        return [_entry(item) for item in self._table().query(**kwargs)["Items"]]

    def _record_keys(self, record_item_id: str) -> Iterable[dict[str, str]]:
        checkpoint_id = record_item_id.removesuffix(DEVICE_RECORD)
        return [{"checkpoint_id": checkpoint_id, "link": e.key} for e in self.of_checkpoint(checkpoint_id)
                if in_record(record_item_id, e)]

    def stamp_retention(self, item_id: str, schedule: dict[str, str], ttl_epoch: int | None) -> None:
        update, values = "SET retention = :schedule", {":schedule": schedule}
        update += ", expires_at = :ttl" if ttl_epoch is not None else " REMOVE expires_at"
        if ttl_epoch is not None:
            values[":ttl"] = ttl_epoch
        for key in self._record_keys(item_id):
            self._update_existing(key, update, values)

    def clear_ttl(self, item_id: str) -> None:
        for key in self._record_keys(item_id):
            self._update_existing(key, "REMOVE expires_at", None)

    def _update_existing(self, key: dict[str, str], update: str, values: dict[str, Any] | None) -> None:
        kwargs: dict[str, Any] = {"Key": key, "UpdateExpression": update,
                                  "ConditionExpression": "attribute_exists(checkpoint_id)"}
        if values:
            kwargs["ExpressionAttributeValues"] = values
        try:
            self._table().update_item(**kwargs)
        except ClientError as exc:
            if not is_condition_failure(exc):
                raise  # an entry a correction just replaced has nothing to stamp

    def delete(self, item_id: str) -> None:
        with self._table().batch_writer() as batch:
            for key in self._record_keys(item_id):
                batch.delete_item(Key=key)

