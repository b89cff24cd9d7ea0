"""The audit logs in S3 (Object Lock, compliance mode) with their chain heads in DynamoDB.

    audit/<log>/<sequence, 12 digits>.json     one entry per object, never overwritten

Appending first claims the next sequence number with a conditional write on the head (so two
writers can never both write entry n), then stores the entry. An entry whose object is missing
after a crash shows up in verification as a gap; writing the same entry again closes it.
"""
from __future__ import annotations

import json
from collections.abc import Iterator, Mapping

from botocore.exceptions import ClientError

from chalicelib.aws.clients import client, table
from chalicelib.domain.audit_log import AuditEntry, ChainHead, LogName, next_entry
from chalicelib.domain.checkpoint import iso, utc_now
from chalicelib.errors import Conflict
from chalicelib.settings import get_settings

_ATTEMPTS = 8


def _key(log: LogName, sequence: int) -> str:
    return f"audit/{log.value}/{sequence:012d}.json"


def head(log: LogName) -> ChainHead | None:
    item = table(get_settings().audit_table).get_item(Key={"log": log.value}, ConsistentRead=True).get("Item")
    return ChainHead(sequence=int(item["sequence"]), hash=item["hash"]) if item else None


def append(log: LogName, event: str, subject: str, details: Mapping[str, str] | None = None) -> AuditEntry:
    for _ in range(_ATTEMPTS):
        previous = head(log)
        entry = next_entry(previous, log, iso(utc_now()), event, subject, details)
        try:
            table(get_settings().audit_table).put_item(
                Item={"log": log.value, "sequence": entry.sequence, "hash": entry.hash, "updated_at": entry.at},
                ConditionExpression="attribute_not_exists(#log)" if previous is None else "#seq = :seq",
                ExpressionAttributeNames={"#log": "log"} if previous is None else {"#seq": "sequence"},
                **({} if previous is None else {"ExpressionAttributeValues": {":seq": previous.sequence}}),
            )
        except ClientError as exc:
            if exc.response["Error"]["Code"] == "ConditionalCheckFailedException":
                continue  # another writer appended first: chain onto its entry
            raise
        client("s3").put_object(Bucket=get_settings().audit_bucket, Key=_key(log, entry.sequence),
                                Body=entry.model_dump_json().encode(), ContentType="application/json")
        return entry
    raise Conflict(f"could not append to the {log.value} log: too many concurrent writers")


def entries(log: LogName, after_sequence: int = 0) -> Iterator[AuditEntry]:
    """Stored entries in sequence order, from `after_sequence` + 1, read page by page."""
    s3, bucket = client("s3"), get_settings().audit_bucket
    kwargs = {"Bucket": bucket, "Prefix": f"audit/{log.value}/", "StartAfter": _key(log, after_sequence)}
    while True:
        page = s3.list_objects_v2(**kwargs)
        for obj in page.get("Contents", []):
            body = s3.get_object(Bucket=bucket, Key=obj["Key"])["Body"].read()
            yield AuditEntry.model_validate(json.loads(body))
        if not page.get("IsTruncated"):
            return
        kwargs["ContinuationToken"] = page["NextContinuationToken"]
