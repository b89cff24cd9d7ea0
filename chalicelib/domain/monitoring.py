"""Ongoing monitoring: every customer screened again when a list changes, and the whole base on a
schedule. Pure: the reverse index, the runs and the alerts are stored by the stores.

- The **reverse index** holds what screening needs of each customer (`ScreeningProfile`: name,
  birth date, nationality), in fixed partitions (a hash of the customer id). A run groups
  consecutive partitions into **shards** of about the policy's size (`plan_shards`); each shard is
  one child execution of the monitoring workflow's Distributed Map.
- A **delta** (a list version published: its added and changed entries) turns screening around:
  the entries are the queries and the shard's customers the index (`customer_index`,
  `delta_hits`). The customers an entry reaches are then screened forward against those entries
  by the same engine, so a hit is the very match (scores, adjustments, explanation) a sign-up
  screening of that customer would have given.
- A **full** run screens every customer of the shard against every list in force (`screen_all`).
- Each hit in the review band or above that no clearance covers is an **alert** (a checkpoint of
  kind monitoring) whose id is derived from the customer and the entry as listed
  (`alert_id_for`): a retried shard, or a later run, never opens a second alert for the same
  unchanged entry.
- Every shard records its own outcome; the run's summary is built from those rows
  (`summarise`), never from the Map's output: a shard without a row is reported as failed.
- A confirmed sanctions match opens a **report case** with each report the bank owes
  (`report_case`), from the policy.
"""
from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import UTC, datetime, timedelta
from enum import StrEnum

from pydantic import Field, model_validator

from chalicelib.domain.alert import AlertOf, Report, ReportCase
from chalicelib.domain.checkpoint import iso
from chalicelib.domain.closure_plan import add_business_days
from chalicelib.domain.models import Frozen
from chalicelib.domain.monitoring_states import RunMode, RunStatus, RunTrigger, ShardStatus

SHARD_PREFIX = "s"


# --- the policy ---------------------------------------------------------------------------------

class ScreeningSchedule(Frozen):
    full_rescreen: str = Field(pattern=r"^rate\([1-9]\d* (minute|minutes|hour|hours|day|days)\)$")
    source: str

    @property
    def period(self) -> timedelta:
        """The rate expression's period: `rate(7 days)` is seven days."""
        count, unit = self.full_rescreen.removeprefix("rate(").removesuffix(")").split()
        return timedelta(**{unit if unit.endswith("s") else f"{unit}s": int(count)})


_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def period_start(at: datetime, period: timedelta) -> datetime:
    """The start of the schedule's period that `at` falls in, periods counted from the Unix epoch
    (UTC): every trigger of one period, however often EventBridge fires it, names the same period."""
    return _EPOCH + ((at.astimezone(UTC) - _EPOCH) // period) * period


class ShardPolicy(Frozen):
    partitions: int = Field(ge=1, le=100_000)
    customers_per_shard: int = Field(ge=1)
    max_concurrency: int = Field(ge=1, le=10_000)


class ReverseIndexPolicy(Frozen):
    min_coverage: float = Field(gt=0, le=1)


class AlertReview(Frozen):
    timeout_hours: int = Field(gt=0)
    source: str


class When(StrEnum):
    IMMEDIATELY = "immediately"
    AS_SOON_AS_PRACTICABLE = "as_soon_as_practicable"


class Within(Frozen):
    business_days: int | None = Field(default=None, ge=1)
    when: When | None = None

    @model_validator(mode="after")
    def _one(self) -> Within:
        if (self.business_days is None) == (self.when is None):
            raise ValueError("give either business_days or when")
        return self

    @property
    def text(self) -> str:
        if self.business_days is not None:
            return f"within {self.business_days} business days"
        return self.when.value.replace("_", " ") if self.when else ""


class ReportRule(Frozen):
    lists: tuple[str, ...] = Field(min_length=1)
    jurisdiction: str  # EU | UK | US | ALL
    authority: str
    report: str
    within: Within
    source: str


class MonitoringPolicy(Frozen):
    policy: str
    version: str
    screening: ScreeningSchedule
    shards: ShardPolicy
    reverse_index: ReverseIndexPolicy
    alert_review: AlertReview
    report_cases: tuple[ReportRule, ...]

    @property
    def alert_timeout_seconds(self) -> int:
        return self.alert_review.timeout_hours * 3600


# --- runs and shards ----------------------------------------------------------------------------

class Shard(Frozen):
    """One item of a run's manifest: consecutive partitions of the reverse index."""

    shard_id: str
    first: int  # first partition
    last: int  # last partition (inclusive)
    customers: int  # in those partitions when the run started


def shard_id(number: int) -> str:
    return f"{SHARD_PREFIX}{number:04d}"


def plan_shards(counts: Mapping[int, int], partitions: int, per_shard: int) -> list[Shard]:
    """Consecutive partitions grouped into shards of at least `per_shard` customers (the last may
    hold fewer); empty partitions at either end belong to the nearest shard, so every partition is
    in exactly one shard. No customers: no shards."""
    if not any(counts.get(p, 0) for p in range(partitions)):
        return []
    shards: list[Shard] = []
    first = held = 0
    for partition in range(partitions):
        held += counts.get(partition, 0)
        if held >= per_shard:
            shards.append(Shard(shard_id=shard_id(len(shards)), first=first, last=partition, customers=held))
            first, held = partition + 1, 0
    if first < partitions:
        if held or not shards:
            shards.append(Shard(shard_id=shard_id(len(shards)), first=first, last=partitions - 1, customers=held))
        else:  # only empty partitions left: the last shard takes them
            last = shards[-1]
            shards[-1] = last.model_copy(update={"last": partitions - 1})
    return shards


class ShardOutcome(Frozen):
    """The row a shard writes when it ends (or its failure handler writes for it)."""

    shard_id: str
    status: ShardStatus
    customers: int = 0  # in the shard when the run started
    screened: int = 0
    alerts_opened: int = 0
    attempts: int = 0  # how many times the shard's screening ran
    error: str | None = None
    finished_at: str | None = None


class ListDelta(Frozen):
    """What a delta run screens: the entries a published version added or changed."""

    source: str
    version: str
    entry_ids: tuple[str, ...]


class MonitoringRun(Frozen):
    run_id: str
    mode: RunMode
    trigger: RunTrigger
    requested_by: str
    status: RunStatus = RunStatus.RUNNING
    started_at: str
    finished_at: str | None = None
    execution_arn: str
    list_source: str | None = None  # a delta's list, version and how many entries it screens
    list_version: str | None = None
    entries: int | None = None
    shards_total: int | None = None  # known once the manifest is written
    customers_total: int | None = None
    failure: str | None = None  # why a FAILED run could not start its shards


class FailedShard(Frozen):
    shard_id: str
    customers: int
    attempts: int
    error: str


class RunSummary(Frozen):
    run: MonitoringRun
    status: RunStatus
    shards_done: int
    customers_screened: int
    alerts_opened: int
    failed_shards: tuple[FailedShard, ...]


NO_OUTCOME = "NoOutcomeRecorded"


def summarise(run: MonitoringRun, shards: Sequence[Shard] | None, outcomes: Iterable[ShardOutcome],
              finished: bool) -> RunSummary:
    """The run as its shards' rows say. Once it has `finished`, a shard of the manifest without a
    row (its child execution died before recording anything) is failed, and the status is
    SUCCEEDED only if every shard succeeded."""
    rows = {o.shard_id: o for o in outcomes}
    failed = [FailedShard(shard_id=o.shard_id, customers=o.customers, attempts=o.attempts, error=o.error or "failed")
              for o in rows.values() if o.status is ShardStatus.FAILED]
    if finished and shards is not None:
        failed += [FailedShard(shard_id=s.shard_id, customers=s.customers, attempts=0, error=NO_OUTCOME)
                   for s in shards if s.shard_id not in rows]
    done = [o for o in rows.values() if o.status is not ShardStatus.RUNNING]
    if not finished:
        status = RunStatus.RUNNING
    elif run.status is RunStatus.FAILED:
        status = RunStatus.FAILED
    else:
        status = RunStatus.INCOMPLETE if failed else RunStatus.SUCCEEDED
    return RunSummary(run=run, status=status, shards_done=len(done),
                      customers_screened=sum(o.screened for o in done if o.status is ShardStatus.SUCCEEDED),
                      alerts_opened=sum(o.alerts_opened for o in rows.values()),
                      failed_shards=tuple(sorted(failed, key=lambda f: f.shard_id)))


# --- alerts and report cases --------------------------------------------------------------------

def report_case(alert_id: str, customer_id: str, about: AlertOf, confirmed_at: datetime,
                jurisdictions: Iterable[str], rules: Iterable[ReportRule]) -> ReportCase:
    """The case a confirmed match opens, with each report the rules give for the list and the
    jurisdictions the bank is established in (a rule for ALL applies wherever it is)."""
    where = set(jurisdictions) | {"ALL"}
    reports = []
    for rule in rules:
        if about.source not in rule.lists or rule.jurisdiction not in where:
            continue
        deadline = None
        if rule.within.business_days is not None:
            deadline = add_business_days(confirmed_at, rule.within.business_days)
        reports.append(Report(authority=rule.authority, report=rule.report, due=rule.within.text,
                              deadline=iso(deadline) if deadline else None, source=" ".join(rule.source.split())))
    return ReportCase(case_id=f"case_{alert_id.removeprefix('cp_')}", alert_id=alert_id, customer_id=customer_id,
                      source=about.source, entry_id=about.entry_id, opened_at=iso(confirmed_at),
                      reports=tuple(reports))
