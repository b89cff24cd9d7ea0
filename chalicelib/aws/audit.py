"""The audit logs in S3 (Object Lock, compliance mode) with their chain heads in DynamoDB.

    audit/<log>/<first sequence>-<last sequence>.jsonl    a batch of entries, never overwritten

Like CloudTrail log files, one object holds a batch of consecutive entries (a sweep page, or a
single event). Appending first claims the batch's sequence numbers with a conditional write on
the head (two writers can never both write entry n), then stores the object. A batch whose
object is missing after a crash shows up in verification as a gap.
"""
from __future__ import annotations

import json
from collections.abc import Iterator, Mapping, Sequence

from botocore.exceptions import ClientError

from chalicelib.aws.clients import client, table
from chalicelib.domain.audit_log import AuditEntry, ChainHead, LogName, next_entry
from chalicelib.domain.checkpoint import iso, utc_now
from chalicelib.errors import Conflict
from chalicelib.settings import get_settings

_ATTEMPTS = 8
Event = tuple[str, str, Mapping[str, str]]  # (event, subject, details)


def _key(log: LogName, first: int, last: int) -> str:
    return f"audit/{log.value}/{first:012d}-{last:012d}.jsonl"


def head(log: LogName) -> ChainHead | None:
    item = table(get_settings().audit_table).get_item(Key={"log": log.value}, ConsistentRead=True).get("Item")
    return ChainHead(sequence=int(item["sequence"]), hash=item["hash"]) if item else None


def append(log: LogName, event: str, subject: str, details: Mapping[str, str] | None = None) -> AuditEntry:
    return append_all(log, [(event, subject, details or {})])[0]


def append_all(log: LogName, events: Sequence[Event]) -> list[AuditEntry]:
    """Append a batch of events as consecutive entries, stored in one object."""
    if not events:
        return []
    for _ in range(_ATTEMPTS):
        previous, at = head(log), iso(utc_now())
        entries: list[AuditEntry] = []
        for event, subject, details in events:
            entries.append(next_entry(entries[-1] if entries else previous, log, at, event, subject, details))
        try:
            table(get_settings().audit_table).put_item(
                Item={"log": log.value, "sequence": entries[-1].sequence, "hash": entries[-1].hash, "updated_at": at},
                ConditionExpression="attribute_not_exists(#log)" if previous is None else "#seq = :seq",
                ExpressionAttributeNames={"#log": "log"} if previous is None else {"#seq": "sequence"},
                **({} if previous is None else {"ExpressionAttributeValues": {":seq": previous.sequence}}),
            )
        except ClientError as exc:
            if exc.response["Error"]["Code"] == "ConditionalCheckFailedException":
                continue  # another writer appended first: chain onto its entries
            raise
        body = "".join(entry.model_dump_json() + "\n" for entry in entries).encode()
        client("s3").put_object(Bucket=get_settings().audit_bucket,
                                Key=_key(log, entries[0].sequence, entries[-1].sequence), Body=body,
                                ContentType="application/x-ndjson")
        return entries
    raise Conflict(f"could not append to the {log.value} log: too many concurrent writers")


def entries(log: LogName, after_sequence: int = 0) -> Iterator[AuditEntry]:
    """Stored entries in sequence order after `after_sequence`, read object by object."""
    s3, bucket = client("s3"), get_settings().audit_bucket
    kwargs = {"Bucket": bucket, "Prefix": f"audit/{log.value}/"}
    while True:
        page = s3.list_objects_v2(**kwargs)
        for obj in page.get("Contents", []):
            last = int(obj["Key"].rsplit("-", 1)[-1].removesuffix(".jsonl"))
            if last <= after_sequence:
                continue
            body = s3.get_object(Bucket=bucket, Key=obj["Key"])["Body"].read()
            for line in body.splitlines():
                entry = AuditEntry.model_validate(json.loads(line))
                if entry.sequence > after_sequence:
                    yield entry
        if not page.get("IsTruncated"):
            return
        kwargs["ContinuationToken"] = page["NextContinuationToken"]
