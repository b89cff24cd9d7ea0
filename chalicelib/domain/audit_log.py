"""The append-only, tamper-evident audit logs of retention, exports, cleared screening matches and
staff's reads of personal data (the data access log).

Modelled on CloudTrail log-file integrity validation: every entry carries the SHA-256 of the
entry before it, so changing, removing or reordering any stored entry breaks the chain at that
entry. The hash covers the entry's canonical JSON (sorted keys, no spaces) without its own
`hash`. Pure: storing entries (S3 with Object Lock) and keeping the chain head (a conditional
write) are the adapter's job.
"""
from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping
from datetime import datetime
from enum import StrEnum

from pydantic import Field

from chalicelib.domain.models import Frozen

GENESIS = "0" * 64
MEDIA_TYPES = {"jsonl": "application/x-ndjson", "csv": "text/csv; charset=utf-8"}  # a log's download formats


class LogName(StrEnum):
    RETENTION = "retention"
    EXPORT = "export"
    CLEARANCE = "clearance"
    DATA_ACCESS = "data-access"


class AuditEntry(Frozen):
    log: LogName
    sequence: int = Field(ge=1)
    at: str  # UTC ISO-8601
    # e.g. scheduled, erased, erase_refused, review_due, held, released, skipped; export_created,
    # link_issued; granted, revoked (clearances); case_file_read, closure_plan_read, export_requested,
    # export_link_issued (data access)
    event: str
    subject: str  # pseudonymous: a record, customer or export id
    details: Mapping[str, str] = Field(default_factory=dict)
    prev_hash: str
    hash: str


def _digest(fields: Mapping[str, object]) -> str:
    canonical = json.dumps(fields, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(canonical.encode()).hexdigest()


def computed_hash(entry: AuditEntry) -> str:
    return _digest(entry.model_dump(mode="json", exclude={"hash"}))


class ChainHead(Frozen):
    """The last entry of a log: all a writer needs to append the next one."""

    sequence: int = Field(ge=0)
    hash: str


def next_entry(previous: AuditEntry | ChainHead | None, log: LogName, at: str, event: str, subject: str,
               details: Mapping[str, str] | None = None) -> AuditEntry:
    """The entry that follows `previous` (None: the first entry of the log)."""
    head = previous or ChainHead(sequence=0, hash=GENESIS)  # the empty log's head (built on first use, not on import)
    fields = {"log": log.value, "sequence": head.sequence + 1, "at": at, "event": event,
              "subject": subject, "details": dict(details or {}), "prev_hash": head.hash}
    return AuditEntry(**fields, hash=_digest(fields))


def appended_since(entry: AuditEntry, since: datetime | None) -> bool:
    return since is None or datetime.fromisoformat(entry.at.replace("Z", "+00:00")) >= since


class Verification(Frozen):
    valid: bool
    checked: int
    head_sequence: int | None = None
    head_hash: str | None = None
    first_broken: int | None = None  # sequence number of the first entry that does not verify
    reason: str = ""
    empty: bool = False  # nothing recorded yet: valid, and saying so, never a silent "valid"


def verify(entries: Iterable[AuditEntry], expected_head: str | None = None) -> Verification:
    """Recompute the chain in sequence order; report the first broken link, if any. With
    `expected_head`, the last entry must also be the head the log's keeper recorded (so a
    truncated tail is caught too)."""
    previous_hash, expected_sequence, checked, last = GENESIS, 1, 0, None
    for entry in entries:
        if entry.sequence != expected_sequence:
            return Verification(valid=False, checked=checked, first_broken=expected_sequence,
                                reason=f"entry {expected_sequence} is missing (found {entry.sequence})")
        if entry.prev_hash != previous_hash:
            return Verification(valid=False, checked=checked, first_broken=entry.sequence,
                                reason="prev_hash does not match the previous entry's hash")
        if computed_hash(entry) != entry.hash:
            return Verification(valid=False, checked=checked, first_broken=entry.sequence,
                                reason="the entry's content does not match its hash")
        previous_hash, expected_sequence, checked, last = entry.hash, expected_sequence + 1, checked + 1, entry
    if expected_head is not None and previous_hash != expected_head:
        return Verification(valid=False, checked=checked, first_broken=expected_sequence,
                            reason="the log ends before the recorded head (entries were removed)")
    if last is None:
        return Verification(valid=True, checked=0, empty=True,
                            reason="the log is empty: nothing has been recorded in it")
    return Verification(valid=True, checked=checked, head_sequence=last.sequence, head_hash=last.hash)
