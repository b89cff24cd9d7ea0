"""Ongoing monitoring: the whole customer base re-screened against every list in force, on request
(POST /v1/monitoring/runs) and on the policy's schedule, through the monitoring workflow
(stepfunctions/monitoring.asl.json): PlanRun writes an S3 manifest of shards, a Distributed Map
runs one child execution per shard (ScreenShard, its failure caught by RecordShardFailure), and
FinishRun summarises the run from the shards' outcome rows, never from the Map's output.

Each match in the review band or above that no clearance covers opens an alert: a checkpoint of
kind monitoring, IN_REVIEW in the review queue, whose own workflow
(stepfunctions/monitoring_alert.asl.json) waits for the decision: approve clears the match (a
clearance, alert CLEARED), reject confirms it (alert CONFIRMED, customer frozen, report case).
The workflows carry run ids, shard ids, partition numbers and alert ids only."""
from __future__ import annotations

import hashlib
from datetime import datetime
from typing import Any

from pydantic import RootModel

from chalicelib.domain.actors import Caller, Role, system_actor
from chalicelib.domain.checkpoint import (
    FINAL_STATUSES,
    Checkpoint,
    CheckpointKind,
    CheckpointStatus,
    Reason,
    StatusChange,
    Step,
    iso,
    utc_now,
)
from chalicelib.domain.customer import CustomerRecord
from chalicelib.domain.alert import AlertOf
from chalicelib.domain.ids import new_id
from chalicelib.domain.models import Frozen, Verdict
from chalicelib.domain.monitoring import (
    MonitoringRun,
    RunMode,
    RunStatus,
    RunSummary,
    RunTrigger,
    Shard,
    ShardOutcome,
    ShardStatus,
    period_start,
    plan_shards,
    summarise,
)
from chalicelib.domain.screening.engine import Match, Screener, classify
from chalicelib.domain.screening.result import ScreeningResult, SubjectScreening, combine_checks
from chalicelib.domain.screening.index import NameIndex
from chalicelib.domain.screening.reverse import alert_id_for, profile_of, screen_all, shard_hits
from chalicelib.errors import Conflict, NotFound
from chalicelib.policies import monitoring_policy, screening_policy
from chalicelib.services import clearances, cursors, events, screening
from chalicelib.settings import get_settings
from chalicelib.stores import AWS, Stores
from chalicelib.stores.document_bucket import result_key
from chalicelib.stores.list_bucket import ListManifest
from chalicelib.stores.workflows import execution_arn

SCREENING_STEP = "screening"
MONITORING_CHANNEL = "monitoring"  # an alert's channel: nobody's sign-up, the bank's own screening
_CURSOR_KEYS = {"run_id", "item", "listing", "started_at"}


class Manifest(RootModel[list[Shard]]):
    """The run's manifest in S3: the Distributed Map's ItemReader reads it, one item per shard."""


class DeltaEntries(Frozen):
    """What a delta run screens: the published version (its manifest: the shards read that very
    version's index, whatever a process has cached as current) and its added and changed entries."""

    manifest: ListManifest
    entry_ids: tuple[str, ...]


def manifest_key(run_id: str) -> str:
    return f"monitoring/{run_id}/manifest.json"


def entries_key(run_id: str) -> str:
    return f"monitoring/{run_id}/entries.json"


# ---- the API ----

def start(caller: Caller, trigger: RunTrigger = RunTrigger.REQUEST, stores: Stores = AWS) -> MonitoringRun:
    """Start a full re-screen of every monitored customer against every list in force."""
    run, _ = _start_full(new_id("mon"), trigger, caller.subject, stores)
    return run


def scheduled(at: datetime, stores: Stores = AWS) -> dict[str, Any]:
    """The policy's schedule fired at `at`: start the full run of the period it falls in. The run's
    id is the period's, so a second trigger in the same period (EventBridge delivers at least
    once; an operator's replay) starts nothing new."""
    period = period_start(at, monitoring_policy().screening.period)
    run_id = "mon_" + hashlib.sha256(f"full|schedule|{iso(period)}".encode()).hexdigest()[:32]
    run, created = _start_full(run_id, RunTrigger.SCHEDULE, system_actor("monitoring-schedule"), stores)
    return {"run_id": run.run_id, "period_start": iso(period), "started": created}


def _start_full(run_id: str, trigger: RunTrigger, requested_by: str, stores: Stores) -> tuple[MonitoringRun, bool]:
    """Store the run (once) and start its execution, named after it: a retried start after the run
    was stored starts the one execution, never a second."""
    arn = get_settings().monitoring_state_machine_arn
    run = MonitoringRun(run_id=run_id, mode=RunMode.FULL, trigger=trigger, requested_by=requested_by,
                        started_at=iso(utc_now()), execution_arn=execution_arn(arn, run_id))
    created = stores.monitoring.create_run(run)
    stores.workflows.start(arn, run_id, {"run_id": run_id})
    return run, created


def start_delta(manifest: ListManifest, entry_ids: list[str], stores: Stores = AWS) -> MonitoringRun | None:
    """A list version was published: screen its added and changed entries against every customer.
    The run's id is the version's, so publishing the same version again starts nothing new."""
    if not entry_ids:
        return None
    source, version = manifest.source, manifest.version
    run_id = delta_run_id(manifest)
    arn = get_settings().monitoring_state_machine_arn
    stores.documents.put_json(entries_key(run_id), DeltaEntries(manifest=manifest, entry_ids=tuple(entry_ids)))
    run = MonitoringRun(run_id=run_id, mode=RunMode.DELTA, trigger=RunTrigger.LIST_PUBLISHED,
                        requested_by=system_actor("lists"), started_at=iso(utc_now()),
                        execution_arn=execution_arn(arn, run_id), list_source=source, list_version=version,
                        entries=len(entry_ids))
    stores.monitoring.create_run(run)
    stores.workflows.start(arn, run_id, {"run_id": run_id})
    return run


def delta_run_id(manifest: ListManifest) -> str:
    return "mon_" + hashlib.sha256(f"delta|{manifest.source}|{manifest.version}".encode()).hexdigest()[:32]


def restart_delta(manifest: ListManifest, stores: Stores = AWS) -> MonitoringRun | None:
    """The delta run stored for a published version, its execution started again while the run
    has not ended (a publish may have stopped between storing the run and starting it; a start
    of the same name is idempotent); None if no run was stored for the version."""
    try:
        run = stores.monitoring.get_run(delta_run_id(manifest))
    except NotFound:
        return None
    if run.status is RunStatus.RUNNING:
        stores.workflows.start(get_settings().monitoring_state_machine_arn, run.run_id, {"run_id": run.run_id})
    return run


def view(caller: Caller, run_id: str, stores: Stores = AWS) -> RunSummary:
    """The run as its shards' rows say, while it runs and once it has ended."""
    run = stores.monitoring.get_run(run_id)
    finished = run.status is not RunStatus.RUNNING
    shards = _shards(run, stores) if finished else None
    return summarise(run, shards, stores.monitoring.outcomes(run_id), finished)


def listing(caller: Caller, limit: int, cursor: str | None, stores: Stores = AWS) -> dict[str, Any]:
    """Runs, newest first, each summarised."""
    runs, last = stores.monitoring.runs(limit, cursors.decode(cursor, _CURSOR_KEYS) if cursor else None)
    return {"items": [view(caller, run.run_id, stores) for run in runs], "next": cursors.encode(last)}


# ---- the workflow's tasks ----

def plan(run_id: str, stores: Stores = AWS) -> dict[str, Any]:
    """Group the reverse index's partitions into shards and write the manifest the Map reads."""
    policy = monitoring_policy().shards
    counts = stores.customers.partition_counts()
    shards = plan_shards(counts, policy.partitions, policy.customers_per_shard)
    key = manifest_key(run_id)
    stores.documents.put_json(key, Manifest(shards))
    stores.monitoring.planned(run_id, len(shards), sum(s.customers for s in shards))
    return {"bucket": get_settings().documents_bucket, "key": key, "shards": len(shards)}


def screen_shard(run_id: str, shard: Shard, stores: Stores = AWS) -> ShardOutcome:
    """Screen every customer of the shard's partitions against every list in force; open an alert
    for each uncleared match. A shard that succeeded already is not screened again."""
    try:
        attempt = stores.monitoring.shard_started(run_id, shard.shard_id, shard.customers)
    except Conflict:
        return next(o for o in stores.monitoring.outcomes(run_id) if o.shard_id == shard.shard_id)
    run = stores.monitoring.get_run(run_id)
    monitored = [c for c in stores.customers.in_partitions(shard.first, shard.last) if c.status != "closed"]
    if run.mode is RunMode.DELTA:
        screener = _delta_screener(run, stores)
        hits = shard_hits([profile_of(c) for c in monitored], screener, monitoring_policy().reverse_index.min_coverage)
    else:
        screener = screening.current_screener(stores)
        hits = screen_all((profile_of(c) for c in monitored), screener)
    by_id = {c.customer_id: c for c in monitored}
    opened = 0
    for profile, matches in hits:
        for match in clearances.cleared(profile.customer_id, matches, stores):
            if match.clearance is None:
                opened += open_alert(run, by_id[profile.customer_id], match, screener, stores)
    screened = len(monitored)
    outcome = ShardOutcome(shard_id=shard.shard_id, status=ShardStatus.SUCCEEDED, customers=shard.customers,
                           screened=screened, alerts_opened=opened, attempts=attempt, finished_at=iso(utc_now()))
    stores.monitoring.record_outcome(run_id, outcome)
    return outcome


_delta_screeners: dict[str, Screener] = {}


def _delta_screener(run: MonitoringRun, stores: Stores) -> Screener:
    """The engine over the published version's added and changed entries only (once per process and run)."""
    if run.run_id not in _delta_screeners:
        delta = stores.documents.get_json(entries_key(run.run_id), DeltaEntries)
        index = NameIndex.from_bytes(stores.lists.read_index(delta.manifest)).subset(delta.entry_ids)
        _delta_screeners.clear()
        _delta_screeners[run.run_id] = Screener([index], screening_policy())
    return _delta_screeners[run.run_id]


def shard_failed(run_id: str, shard: Shard, error: Any, stores: Stores = AWS) -> ShardOutcome:
    """The shard's retries are spent: its row says so, naming the error (never its data)."""
    rows = {o.shard_id: o for o in stores.monitoring.outcomes(run_id)}
    previous = rows.get(shard.shard_id)
    name = str(error.get("Error") if isinstance(error, dict) else error or "ShardFailed")[:128]
    outcome = ShardOutcome(shard_id=shard.shard_id, status=ShardStatus.FAILED, customers=shard.customers,
                           attempts=previous.attempts if previous else 0, error=name, finished_at=iso(utc_now()))
    stores.monitoring.record_outcome(run_id, outcome)
    return outcome


def finish(run_id: str, failure: Any = None, stores: Stores = AWS) -> RunSummary:
    """End the run: SUCCEEDED if every shard of the manifest succeeded, INCOMPLETE naming the
    shards that did not, FAILED (with the error's name) if the run could not start its shards;
    then publish `monitoring.run_finished`."""
    run = stores.monitoring.get_run(run_id)
    now = iso(utc_now())
    if failure is not None:
        name = str(failure.get("Error") if isinstance(failure, dict) else failure)[:128]
        stores.monitoring.finish_run(run_id, RunStatus.FAILED, now, name)
    else:
        summary = summarise(run, _shards(run, stores), stores.monitoring.outcomes(run_id), True)
        stores.monitoring.finish_run(run_id, summary.status, now)
    ended = view(Caller(subject=system_actor("monitoring"), role=Role.COMPLIANCE), run_id, stores)
    events.publish_run_finished(ended, stores)
    return ended


def _shards(run: MonitoringRun, stores: Stores) -> list[Shard] | None:
    if run.shards_total is None:
        return None
    try:
        return stores.documents.get_json(manifest_key(run.run_id), Manifest).root
    except NotFound:
        return None


# ---- alerts ----

def open_alert(run: MonitoringRun, customer: CustomerRecord, match: Match, screener: Screener,
               stores: Stores = AWS) -> bool:
    """Open (once) the alert for this customer and listed entry and start its review workflow.
    True if this call opened it; an alert that exists is completed (a retried shard), one that
    was decided is left as it is."""
    alert_id = alert_id_for(customer.customer_id, match)
    arn = get_settings().alert_state_machine_arn
    try:
        existing: Checkpoint | None = stores.checkpoints.get(alert_id)
    except NotFound:
        existing = None
    if existing is not None and existing.status in FINAL_STATUSES:
        return False
    now = iso(utc_now())
    key = result_key(alert_id, SCREENING_STEP)
    subject = SubjectScreening(subject=customer.customer_id, matches=(match,), checks=tuple(classify([match])))
    result = ScreeningResult(engine=screener.engine, screened_at=now, list_versions=screener.list_versions,
                             subjects=(subject,), checks=combine_checks([subject]))
    created = False
    if existing is None:
        stores.documents.put_json(key, result)
        alert = Checkpoint(
            checkpoint_id=alert_id, kind=CheckpointKind.MONITORING, status=CheckpointStatus.RUNNING, created_at=now,
            updated_at=now, channel_name=MONITORING_CHANNEL, channel_reference=run.run_id, owner=customer.owner,
            request_key=key, policy_version=monitoring_policy().version, execution_arn=execution_arn(arn, alert_id),
            customer_id=customer.customer_id, list_versions=screener.list_versions,
            alert=AlertOf(run_id=run.run_id, source=match.source, entry_id=match.source_id,
                          list_version=match.list_version, entry_hash=match.entry_hash),
            status_history=(StatusChange(status=CheckpointStatus.RUNNING, at=now),))
        try:
            stores.checkpoints.create(alert)
            created = True
        except Conflict:
            pass
    if existing is None or SCREENING_STEP not in existing.steps:
        reasons = tuple(Reason(code=c.code, detail=c.detail) for c in result.checks if not c.passed)
        stores.checkpoints.record_step(alert_id, Step(name=SCREENING_STEP, verdict=Verdict.REVIEW, reasons=reasons,
                                                      finished_at=now, result_key=key),
                                       list_versions=screener.list_versions)
    stores.workflows.start(arn, alert_id, {"checkpoint_id": alert_id,
                                           "review_timeout_seconds": monitoring_policy().alert_timeout_seconds})
    return created
