"""What the product reads as now.

Deployed, that is the system clock. On the local stage a person may move it forward
(`POST /v1/local/clock`, compliance) to watch retention periods pass on `make run`; the embedded
AWS then reads the same clock for S3 Object Lock, and scheduled functions invoked without a time
run at it. The offset lives in the process, like the embedded AWS itself."""
from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta

_offset = timedelta(0)
_lock = threading.Lock()


def now() -> datetime:
    return datetime.now(UTC) + _offset


def move_to(target: datetime) -> timedelta:
    """Make `target` (aware) the product's now; returns how far the clock is from real time. The
    clock never goes back: what was decided at a later instant would come before its cause."""
    global _offset
    with _lock:
        offset = target.astimezone(UTC) - datetime.now(UTC)
        if offset < _offset - timedelta(seconds=1):
            raise ValueError("the clock only moves forward")
        _offset = offset
        return offset


def reset() -> None:
    """Back to real time (tests, and a restarted local stack)."""
    global _offset
    with _lock:
        _offset = timedelta(0)
