"""What auditors read: the audit logs (paged, as JSON lines or CSV) and their verification."""
from __future__ import annotations

import csv
import io
import json
from datetime import datetime
from typing import Any

from chalicelib.aws import audit
from chalicelib.domain.audit_log import AuditEntry, LogName, Verification, verify

CSV_COLUMNS = ("sequence", "at", "event", "subject", "details", "prev_hash", "hash")


def page(log: LogName, since: datetime | None, until: datetime | None, after_sequence: int,
         limit: int) -> tuple[list[AuditEntry], int | None]:
    """Entries with `since` <= at < `until`, after a sequence cursor; the next cursor if more remain."""
    selected: list[AuditEntry] = []
    for entry in audit.entries(log, after_sequence):
        at = datetime.fromisoformat(entry.at.replace("Z", "+00:00"))
        if until and at >= until:
            break
        if since and at < since:
            continue
        selected.append(entry)
        if len(selected) == limit:
            return selected, entry.sequence
    return selected, None


def render(entries: list[AuditEntry], fmt: str) -> str:
    if fmt == "jsonl":
        return "".join(entry.model_dump_json() + "\n" for entry in entries)
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(CSV_COLUMNS)
    for entry in entries:
        writer.writerow([entry.sequence, entry.at, entry.event, entry.subject,
                         json.dumps(dict(entry.details), sort_keys=True), entry.prev_hash, entry.hash])
    return out.getvalue()


def check(log: LogName) -> dict[str, Any]:
    head = audit.head(log)
    result: Verification = verify(audit.entries(log), expected_head=head.hash if head else None)
    return {"log": log.value, **result.model_dump()}
