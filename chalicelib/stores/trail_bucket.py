"""The trail bucket (S3, SSE-KMS): the log files CloudTrail delivers for the export-downloads
trail (S3 data events, `GetObject` on the export packages).

    cloudtrail/AWSLogs/<account>/CloudTrail/<region>/<yyyy>/<mm>/<dd>/<account>_CloudTrail_<region>_<yyyymmddThhmmZ>_<id>.json.gz

Each file is a gzipped JSON object `{"Records": [...]}` (CloudTrail log file format). Files are
written by CloudTrail only; this store reads them.
"""
from __future__ import annotations

import gzip
import json
from collections.abc import Iterator
from datetime import datetime, timedelta
from typing import Protocol

from chalicelib.domain.link_events import TrailRecord, is_download_event
from chalicelib.errors import CorruptRecord
from chalicelib.settings import get_settings
from chalicelib.stores.clients import client
from chalicelib.stores.stored import parse


class TrailLogStore(Protocol):
    def log_files(self, since: datetime, until: datetime) -> Iterator[str]: ...
    def object_reads(self, key: str) -> list[TrailRecord]: ...


def day_prefixes(prefix: str, since: datetime, until: datetime) -> Iterator[str]:
    """The date folders CloudTrail writes into (UTC), from `since`'s day to `until`'s."""
    day, last = since.date(), until.date()
    while day <= last:
        yield f"{prefix}{day:%Y/%m/%d}/"
        day += timedelta(days=1)


def parse_log_file(key: str, body: bytes) -> list[TrailRecord]:
    """The S3 `GetObject` records of a log file (other records skipped); a file or such a record
    that does not parse is CorruptRecord naming the file."""
    try:
        text = gzip.decompress(body) if key.endswith(".gz") else body
        records = json.loads(text)["Records"]
    except (OSError, EOFError, ValueError, KeyError, TypeError) as exc:
        raise CorruptRecord("CloudTrail log file", key, (type(exc).__name__,)) from exc
    if not isinstance(records, list) or not all(isinstance(r, dict) for r in records):
        raise CorruptRecord("CloudTrail log file", key, ("Records is not a list of objects",))
    return [parse(TrailRecord, r, "CloudTrail log file", key) for r in records if is_download_event(r)]


class TrailBucket:
    """`TrailLogStore` on S3 (TRAIL_BUCKET, under TRAIL_LOG_PREFIX)."""

    def log_files(self, since: datetime, until: datetime) -> Iterator[str]:
        """Keys of the log files delivered into the date folders from `since` to `until`."""
        s3, settings = client("s3"), get_settings()
        for prefix in day_prefixes(settings.trail_log_prefix, since, until):
            kwargs = {"Bucket": settings.trail_bucket, "Prefix": prefix}
            while True:
                page = s3.list_objects_v2(**kwargs)
                yield from (obj["Key"] for obj in page.get("Contents", []))
                if not page.get("IsTruncated"):
                    break
                kwargs["ContinuationToken"] = page["NextContinuationToken"]

    def object_reads(self, key: str) -> list[TrailRecord]:
        body = client("s3").get_object(Bucket=get_settings().trail_bucket, Key=key)["Body"].read()
        return parse_log_file(key, body)
