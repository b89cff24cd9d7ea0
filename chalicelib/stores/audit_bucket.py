"""The audit bucket (S3, Object Lock in compliance mode): the audit logs, with their chain heads
in the audit table (DynamoDB).

    audit/<log>/<first sequence>-<last sequence>.jsonl    a batch of entries, never overwritten

Like CloudTrail log files, one object holds a batch of consecutive entries (a sweep page, or a
single event). Appending first claims the batch's sequence numbers with a conditional write on
the head (two writers can never both write entry n), then stores the object. A batch whose
object is missing after a crash shows up in verification as a gap.

A batch appended with a `once_key` (a retried workflow task logging the same decisions again)
is appended at most once: the key's marker item is written in the same transaction as the head.
"""
from __future__ import annotations

import json
from collections.abc import Iterator, Mapping, Sequence
from datetime import datetime, timedelta
from typing import Protocol

from botocore.exceptions import ClientError

from chalicelib.domain.audit_log import AuditEntry, ChainHead, LogName, appended_since, next_entry
from chalicelib.domain.checkpoint import iso, utc_now
from chalicelib.errors import Conflict
from chalicelib.settings import get_settings
from chalicelib.stores.clients import client, table
from chalicelib.stores.stored import parse

_ATTEMPTS = 8
_WHOLE_SECOND = timedelta(seconds=1)
Event = tuple[str, str, Mapping[str, str]]  # (event, subject, details)


class AuditLogStore(Protocol):
    def head(self, log: LogName) -> ChainHead | None: ...
    def append(self, log: LogName, event: str, subject: str, details: Mapping[str, str] | None = None
               ) -> AuditEntry: ...
    def append_all(self, log: LogName, events: Sequence[Event], once_key: str | None = None) -> list[AuditEntry]: ...
    def entries(self, log: LogName, after_sequence: int = 0, since: datetime | None = None
                ) -> Iterator[AuditEntry]: ...


def _key(log: LogName, first: int, last: int) -> str:
    return f"audit/{log.value}/{first:012d}-{last:012d}.jsonl"


def _head_put(log: LogName, previous: ChainHead | None, last: AuditEntry, at: str) -> dict:
    return {
        "TableName": get_settings().audit_table,
        "Item": {"log": log.value, "sequence": last.sequence, "hash": last.hash, "updated_at": at},
        "ConditionExpression": "attribute_not_exists(#log)" if previous is None else "#seq = :seq",
        "ExpressionAttributeNames": {"#log": "log"} if previous is None else {"#seq": "sequence"},
        **({} if previous is None else {"ExpressionAttributeValues": {":seq": previous.sequence}}),
    }


def _claim(log: LogName, previous: ChainHead | None, entries: list[AuditEntry], at: str,
           once_key: str | None) -> bool | None:
    """Move the head over `entries`: True if claimed, False if another writer moved it first,
    None if `once_key` was already appended."""
    head_put = _head_put(log, previous, entries[-1], at)
    audit_table = table(get_settings().audit_table)
    try:
        if once_key is None:
            audit_table.put_item(**{k: v for k, v in head_put.items() if k != "TableName"})
            return True
        marker = {"TableName": head_put["TableName"], "ConditionExpression": "attribute_not_exists(#log)",
                  "ExpressionAttributeNames": {"#log": "log"},
                  "Item": {"log": f"{log.value}#once#{once_key}", "first_sequence": entries[0].sequence,
                           "updated_at": at}}
        audit_table.meta.client.transact_write_items(TransactItems=[{"Put": marker}, {"Put": head_put}])
        return True
    except ClientError as exc:
        code = exc.response["Error"]["Code"]
        if code == "ConditionalCheckFailedException":
            return False
        if code == "TransactionCanceledException":
            reasons = [r.get("Code") for r in exc.response.get("CancellationReasons", [])]
            if reasons and reasons[0] == "ConditionalCheckFailed":
                return None
            if "ConditionalCheckFailed" in reasons or "TransactionConflict" in reasons:
                return False
        raise


class AuditBucket:
    """`AuditLogStore` on S3 (AUDIT_BUCKET) with the chain heads in DynamoDB (AUDIT_TABLE)."""

    def head(self, log: LogName) -> ChainHead | None:
        item = table(get_settings().audit_table).get_item(Key={"log": log.value}, ConsistentRead=True).get("Item")
        return ChainHead(sequence=int(item["sequence"]), hash=item["hash"]) if item else None

    def append(self, log: LogName, event: str, subject: str, details: Mapping[str, str] | None = None
               ) -> AuditEntry:
        return self.append_all(log, [(event, subject, details or {})])[0]

    def append_all(self, log: LogName, events: Sequence[Event], once_key: str | None = None) -> list[AuditEntry]:
        """Append a batch of events as consecutive entries, stored in one object; with `once_key`,
        a batch already appended under that key is not appended again (returns [])."""
        if not events:
            return []
        for _ in range(_ATTEMPTS):
            previous, at = self.head(log), iso(utc_now())
            entries: list[AuditEntry] = []
            for event, subject, details in events:
                entries.append(next_entry(entries[-1] if entries else previous, log, at, event, subject, details))
            claimed = _claim(log, previous, entries, at, once_key)
            if claimed is None:
                return []
            if not claimed:
                continue  # another writer appended first: chain onto its entries
            body = "".join(entry.model_dump_json() + "\n" for entry in entries).encode()
            client("s3").put_object(Bucket=get_settings().audit_bucket,
                                    Key=_key(log, entries[0].sequence, entries[-1].sequence), Body=body,
                                    ContentType="application/x-ndjson")
            return entries
        raise Conflict(f"could not append to the {log.value} log: too many concurrent writers")

    def entries(self, log: LogName, after_sequence: int = 0, since: datetime | None = None
                ) -> Iterator[AuditEntry]:
        """Stored entries in sequence order after `after_sequence` (and with `since`, only those
        appended at or after it), read object by object. An object is stored after its entries'
        time, so one last modified before `since` (S3 keeps whole seconds) holds none of them and is
        not read."""
        s3, bucket = client("s3"), get_settings().audit_bucket
        kwargs = {"Bucket": bucket, "Prefix": f"audit/{log.value}/"}
        while True:
            page = s3.list_objects_v2(**kwargs)
            for obj in page.get("Contents", []):
                last = int(obj["Key"].rsplit("-", 1)[-1].removesuffix(".jsonl"))
                if last <= after_sequence or (since is not None and obj["LastModified"] < since - _WHOLE_SECOND):
                    continue
                body = s3.get_object(Bucket=bucket, Key=obj["Key"])["Body"].read()
                for line in body.splitlines():
                    entry = parse(AuditEntry, json.loads(line), "audit entry", obj["Key"])
                    if entry.sequence > after_sequence and appended_since(entry, since):
                        yield entry
            if not page.get("IsTruncated"):
                return
            kwargs["ContinuationToken"] = page["NextContinuationToken"]
