"""How a monitoring run was started and where it stands: its mode, its trigger, its status and each
shard's. A module of their own, so that what names them (a view, a store) does not bring in the
monitoring policy's models (chalicelib.domain.monitoring)."""
from __future__ import annotations

from enum import StrEnum


class RunMode(StrEnum):
    FULL = "full"  # every customer against every list in force
    DELTA = "delta"  # every customer against a published version's added and changed entries


class RunTrigger(StrEnum):
    REQUEST = "request"  # POST /v1/monitoring/runs
    SCHEDULE = "schedule"  # the policy's schedule
    LIST_PUBLISHED = "list_published"  # a new list version


class RunStatus(StrEnum):
    RUNNING = "RUNNING"
    SUCCEEDED = "SUCCEEDED"  # every shard screened every customer
    INCOMPLETE = "INCOMPLETE"  # some shard failed for good: those customers were not screened
    FAILED = "FAILED"  # the run could not start its shards


class ShardStatus(StrEnum):
    RUNNING = "running"
    SUCCEEDED = "succeeded"
    FAILED = "failed"
