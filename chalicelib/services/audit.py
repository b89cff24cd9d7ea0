"""What auditors read: the audit logs (paged, as JSON lines or CSV, with the chain head for
offline verification) and their verification."""
from __future__ import annotations

import csv
import io
import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from chalicelib.domain.actors import Caller
from chalicelib.domain.audit_log import GENESIS, MEDIA_TYPES, AuditEntry, ChainHead, LogName, verify
from chalicelib.domain.spreadsheet import safe_cell
from chalicelib.stores import AWS, Stores

CSV_COLUMNS = ("sequence", "at", "event", "subject", "details", "prev_hash", "hash")

@dataclass(frozen=True)
class LogPage:
    text: str  # the entries rendered in the asked format
    media_type: str
    head: ChainHead  # the log's head when the page was read (sequence 0 for an empty log)
    next_cursor: int | None


def page(caller: Caller, log: LogName, since: datetime | None, until: datetime | None, after_sequence: int,
         limit: int, fmt: str, stores: Stores = AWS) -> LogPage:
    """Entries with `since` <= at < `until`, after a sequence cursor, rendered as `fmt`."""
    head = stores.audit.head(log) or ChainHead(sequence=0, hash=GENESIS)
    selected: list[AuditEntry] = []
    next_cursor = None
    for entry in stores.audit.entries(log, after_sequence):
        at = datetime.fromisoformat(entry.at.replace("Z", "+00:00"))
        if until and at >= until:
            break
        if since and at < since:
            continue
        selected.append(entry)
        if len(selected) == limit:
            next_cursor = entry.sequence
            break
    return LogPage(text=render(selected, fmt), media_type=MEDIA_TYPES[fmt], head=head, next_cursor=next_cursor)


def render(entries: list[AuditEntry], fmt: str) -> str:
    if fmt == "jsonl":
        return "".join(entry.model_dump_json() + "\n" for entry in entries)
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(CSV_COLUMNS)
    for entry in entries:
        writer.writerow([safe_cell(cell) for cell in (entry.sequence, entry.at, entry.event, entry.subject,
                                                      json.dumps(dict(entry.details), sort_keys=True), entry.prev_hash,
                                                      entry.hash)])
    return out.getvalue()


def check(caller: Caller, log: LogName, stores: Stores = AWS) -> dict[str, Any]:
    head = stores.audit.head(log)
    result = verify(stores.audit.entries(log), expected_head=head.hash if head else None)
    return {"log": log.value, **result.model_dump()}
