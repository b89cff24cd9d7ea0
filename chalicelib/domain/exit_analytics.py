"""Churn insight from closures, with no identifiers: when a closure ends, one fact is kept (the day,
the reason code, the channel, who asked, how it ended, whether an offer was made and taken, how
long it took). Facts name no customer, checkpoint or account and hold no free text, so they
survive the erasure of the closure records they summarise. Pure: no I/O."""
from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from datetime import date
from statistics import median
from enum import StrEnum

from chalicelib.domain.checkpoint import CheckpointStatus
from chalicelib.domain.models import Frozen

class GroupBy(StrEnum):
    """What exit facts are counted by."""

    REASON = "reason"
    CHANNEL = "channel"
    MONTH = "month"


EXIT_OUTCOMES = frozenset({CheckpointStatus.CLOSED, CheckpointStatus.DOWNGRADED, CheckpointStatus.STAYED,
                           CheckpointStatus.CLOSURE_BLOCKED})


class ExitFact(Frozen):
    month: str  # YYYY-MM of `ended_on` (the table's partition)
    fact_id: str  # random: links to nothing
    ended_on: date
    reason: str
    channel: str  # the channel that on-boarded the customer (a system, not a person)
    requested_by: str
    outcome: CheckpointStatus
    soft_exit: str
    win_back_offered: bool
    win_back_accepted: bool
    seconds_to_end: int


class ExitGroup(Frozen):
    key: str
    ended: int  # closures that reached an outcome
    closed: int
    downgraded: int
    stayed: int
    blocked: int
    win_back_offered: int
    win_back_accepted: int
    median_seconds_to_close: int | None  # over CLOSED and DOWNGRADED


def _key(fact: ExitFact, by: GroupBy) -> str:
    return {"reason": fact.reason, "channel": fact.channel, "month": fact.month}[by]


def group(key: str, facts: list[ExitFact]) -> ExitGroup:
    def count(status: CheckpointStatus) -> int:
        return sum(f.outcome is status for f in facts)

    durations = [f.seconds_to_end for f in facts if f.outcome in (CheckpointStatus.CLOSED, CheckpointStatus.DOWNGRADED)]
    return ExitGroup(key=key, ended=len(facts), closed=count(CheckpointStatus.CLOSED),
                     downgraded=count(CheckpointStatus.DOWNGRADED), stayed=count(CheckpointStatus.STAYED),
                     blocked=count(CheckpointStatus.CLOSURE_BLOCKED),
                     win_back_offered=sum(f.win_back_offered for f in facts),
                     win_back_accepted=sum(f.win_back_accepted for f in facts),
                     median_seconds_to_close=round(median(durations)) if durations else None)


def aggregate(facts: Iterable[ExitFact], by: GroupBy) -> tuple[list[ExitGroup], ExitGroup]:
    """The groups (sorted by key) and the total."""
    every = list(facts)
    grouped: dict[str, list[ExitFact]] = defaultdict(list)
    for fact in every:
        grouped[_key(fact, by)].append(fact)
    return [group(key, grouped[key]) for key in sorted(grouped)], group("total", every)


def months(since: date, until: date) -> list[str]:
    """Every YYYY-MM from `since`'s month to `until`'s, in order."""
    out, year, month = [], since.year, since.month
    while (year, month) <= (until.year, until.month):
        out.append(f"{year:04d}-{month:02d}")
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return out
