"""Ongoing monitoring on in-memory stores: shards cover every partition once, a shard screens its
customers and opens one alert per uncleared match (never a second for the same entry), the run's
summary comes from the shards' rows (a shard without one is failed, by name), an approved alert
clears the match for later runs, a confirmed one freezes the customer and opens a report case."""
from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from chalicelib.api.models import WebhookRequest
from chalicelib.domain.actors import Caller, Role
from chalicelib.domain.checkpoint import CheckpointKind, CheckpointStatus, ReviewOutcome, iso
from chalicelib.domain.customer import partition_of
from chalicelib.domain.monitoring import (
    NO_OUTCOME,
    MonitoringRun,
    RunMode,
    RunStatus,
    RunTrigger,
    ScreeningSchedule,
    ShardStatus,
    period_start,
    plan_shards,
    report_case,
    summarise,
)
from chalicelib.domain.alert import AlertOf
from chalicelib.errors import Conflict, InvalidField
from chalicelib.domain.retention import Events
from chalicelib.policies import monitoring_policy, retention_rules
from chalicelib.settings import get_settings
from chalicelib.services import exports, monitoring, outcomes, retention, reviews, screening, webhooks
from tests.records import customer_record
from tests.unit.fakes import fake_stores
from tests.unit.test_clearances import LISTED, OFFICER, publish

PARTITIONS = monitoring_policy().shards.partitions


@pytest.fixture
def stores(unit_settings):
    stores = fake_stores()
    publish(stores, [LISTED])
    screening._screeners.clear()
    return stores


def customer(stores, given="Ingrid", family="Solberg", birth=date(1981, 3, 9)) -> str:
    customer_id = f"cus_{uuid.uuid4().hex}"
    stores.customers.create_once(customer_record(customer_id, given=given, family=family, birth=birth))
    return customer_id


def run_all(stores) -> tuple[str, list]:
    """What the workflow does, each task in turn (the Map's iteration is the workflow's, on moto)."""
    run = monitoring.start(OFFICER, stores=stores)
    assert stores.workflows.started[run.run_id] == {"run_id": run.run_id}  # ids only
    monitoring.plan(run.run_id, stores)
    shards = stores.documents.get_json(monitoring.manifest_key(run.run_id), monitoring.Manifest).root
    return run.run_id, shards


@given(st.dictionaries(st.integers(0, 63), st.integers(0, 50)), st.integers(1, 120))
def test_shards_hold_every_partition_exactly_once(counts, per_shard):
    shards = plan_shards(counts, 64, per_shard)
    if not any(counts.values()):
        assert shards == []
        return
    covered = [p for s in shards for p in range(s.first, s.last + 1)]
    assert covered == list(range(64))
    assert sum(s.customers for s in shards) == sum(counts.values())
    assert all(s.customers >= per_shard for s in shards[:-1])


def test_a_run_screens_every_customer_and_alerts_once_per_listed_entry(stores):
    clean = [customer(stores, family=f"Solberg{i}") for i in range(5)]
    listed = customer(stores, "Haraldur", "Steingrimsson", date(1990, 6, 1))
    run_id, shards = run_all(stores)
    for shard in shards:
        assert monitoring.screen_shard(run_id, shard, stores).status is ShardStatus.SUCCEEDED
    summary = monitoring.finish(run_id, stores=stores)
    assert summary.status is RunStatus.SUCCEEDED and summary.customers_screened == len(clean) + 1
    assert summary.alerts_opened == 1
    [alert] = [c for c in stores.checkpoints.items.values() if c["kind"] == "monitoring"]
    assert alert["customer_id"] == listed and alert["alert"]["entry_id"] == "901"
    assert stores.workflows.started[alert["checkpoint_id"]]["checkpoint_id"] == alert["checkpoint_id"]

    assert monitoring.screen_shard(run_id, shards[0], stores).alerts_opened == 1  # a retried shard: its row, nothing new
    again, again_shards = run_all(stores)
    assert sum(monitoring.screen_shard(again, s, stores).alerts_opened for s in again_shards) == 0


def test_a_shard_without_a_row_or_with_a_failure_is_named_and_its_customers_not_counted(stores):
    for i in range(30):
        customer(stores, family=f"Hansen{i}")
    policy = monitoring_policy().shards
    shards = plan_shards(stores.customers.partition_counts(), policy.partitions, 10)
    run = MonitoringRun(run_id="mon_" + "0" * 32, mode=RunMode.FULL, trigger=RunTrigger.REQUEST, requested_by="o",
                        started_at="2026-12-01T00:00:00.000Z", execution_arn="arn", shards_total=len(shards))
    stores.monitoring.create_run(run)
    monitoring.screen_shard(run.run_id, shards[0], stores)
    monitoring.shard_failed(run.run_id, shards[1], {"Error": "States.Timeout", "Cause": "Haraldur"}, stores)
    summary = summarise(run, shards, stores.monitoring.outcomes(run.run_id), finished=True)
    assert summary.status is RunStatus.INCOMPLETE
    assert [(f.shard_id, f.error) for f in summary.failed_shards] == \
        [(shards[1].shard_id, "States.Timeout"), *((s.shard_id, NO_OUTCOME) for s in shards[2:])]
    assert summary.customers_screened == shards[0].customers
    running = summarise(run, None, stores.monitoring.outcomes(run.run_id), finished=False)
    assert running.status is RunStatus.RUNNING and running.failed_shards[0].shard_id == shards[1].shard_id


def _alert_in_review(stores) -> tuple[str, str]:
    listed = customer(stores, "Haraldur", "Steingrimsson", date(1990, 6, 1))
    run_id, shards = run_all(stores)
    for shard in shards:
        monitoring.screen_shard(run_id, shard, stores)
    [alert_id] = [c["checkpoint_id"] for c in stores.checkpoints.items.values() if c["customer_id"] == listed
                  and c["kind"] == "monitoring"]
    reviews.enter_review(alert_id, f"token-{alert_id}", 1, stores)
    [item] = [i for i in reviews.queue(OFFICER, 50, None, stores=stores)["items"] if i["checkpoint_id"] == alert_id]
    assert (item["kind"], item["customer_id"]) == (CheckpointKind.MONITORING, listed)
    assert item["explanation"][0]["matches"][0]["source_id"] == "901"
    return alert_id, listed


def test_an_approved_alert_clears_the_match_for_every_later_run(stores):
    alert_id, listed = _alert_in_review(stores)
    reviews.decide(OFFICER, alert_id, ReviewOutcome.APPROVE, "not the listed person: born 1950", stores)
    assert outcomes.record(alert_id, "CLEARED", stores=stores) is CheckpointStatus.CLEARED
    assert [c.customer_id for c in stores.clearances.items.values()] == [listed]
    run_id, shards = run_all(stores)
    assert sum(monitoring.screen_shard(run_id, s, stores).alerts_opened for s in shards) == 0


def test_a_confirmed_alert_freezes_the_customer_and_opens_the_report_case(stores):
    alert_id, listed = _alert_in_review(stores)
    reviews.decide(OFFICER, alert_id, ReviewOutcome.REJECT, "the listed person", stores)
    assert outcomes.record(alert_id, "CONFIRMED", stores=stores) is CheckpointStatus.CONFIRMED
    assert outcomes.record(alert_id, "CONFIRMED", stores=stores) is CheckpointStatus.CONFIRMED  # a retried task
    frozen = stores.customers.get(listed)
    assert (frozen.status, frozen.frozen_by) == ("frozen", alert_id)
    case = stores.checkpoints.get(alert_id).report_case
    assert [r.authority for r in case.reports] == ["OFAC (Office of Foreign Assets Control)"]
    with pytest.raises(Conflict) as refused:
        exports.request(OFFICER, exports.ExportRequestBody(customer_id=listed, include=["profile"]), stores=stores)
    assert refused.value.code == "CUSTOMER_FROZEN"


def test_report_deadlines_come_from_the_policy_in_business_days():
    about = AlertOf(run_id="mon_x", source="ofac-sdn", entry_id="1", list_version="v", entry_hash="h")
    friday = datetime(2026, 12, 4, 10, tzinfo=UTC)
    case = report_case("cp_" + "a" * 32, "cus_x", about, friday, ["EU"], monitoring_policy().report_cases)
    assert [(r.due, r.deadline) for r in case.reports] == [("within 10 business days", "2026-12-18T10:00:00.000Z")]
    un = report_case("cp_" + "a" * 32, "cus_x", about.model_copy(update={"source": "un-sc"}), friday, ["UK"],
                     monitoring_policy().report_cases)
    assert [(r.authority.split(" ")[0], r.due, r.deadline) for r in un.reports] == [
        ("OFSI", "as soon as practicable", None)]


def test_the_new_list_sources_owe_their_authoritys_report():
    about = AlertOf(run_id="mon_x", source="uk-fcdo", entry_id="RUS9901", list_version="v", entry_hash="h")
    friday = datetime(2026, 12, 4, 10, tzinfo=UTC)
    rules = monitoring_policy().report_cases

    def authorities(source: str, jurisdictions: list[str]) -> list[str]:
        case = report_case("cp_" + "a" * 32, "cus_x", about.model_copy(update={"source": source}), friday,
                           jurisdictions, rules)
        return [r.authority.split(" ")[0] for r in case.reports]

    assert authorities("uk-fcdo", ["UK"]) == ["OFSI"]  # the FCDO list in force in place of OFSI's retired one
    assert authorities("eu-fsf", ["EU"]) == ["the"]  # the national competent authority
    assert authorities("ofac-sdn-advanced", ["EU"]) == authorities("ofac-consolidated-advanced", ["UK"]) == ["OFAC"]


def test_an_approved_customer_is_in_the_reverse_index_until_closed(stores):
    customer_id = customer(stores)
    partition = partition_of(customer_id, PARTITIONS)
    assert stores.customers.partition_counts() == {partition: 1}
    stores.customers.close(customer_id, "2026-12-01T00:00:00.000Z", "cp_x")
    assert stores.customers.partition_counts() == {}
    assert list(stores.customers.in_partitions(0, PARTITIONS - 1)) == []


def test_a_published_version_screens_its_new_entries_against_every_customer_through_the_reverse_index(stores):
    publish(stores, [])  # the version in force names nobody
    exact = customer(stores, "Haraldur", "Steingrimsson", date(1990, 6, 1))
    misspelt = customer(stores, "Haraldur", "Steingrimson", date(1990, 2, 3))
    unrelated = [customer(stores, *name) for name in (("Ingrid", "Solberg"), ("Kari", "Nordmann"), ("Ola", "Hansen"))]
    publish(stores, [LISTED])
    manifest = stores.lists.current("ofac-sdn")
    publish(stores, [])  # a later version is current already: the run screens the version it was started for
    run = monitoring.start_delta(manifest, ["901"], stores)
    assert run.mode is RunMode.DELTA and stores.workflows.started[run.run_id] == {"run_id": run.run_id}
    assert monitoring.start_delta(manifest, ["901"], stores).run_id == run.run_id  # once
    assert monitoring.start_delta(manifest.model_copy(update={"version": "v-nothing-new"}), [], stores) is None
    monitoring.plan(run.run_id, stores)
    shards = stores.documents.get_json(monitoring.manifest_key(run.run_id), monitoring.Manifest).root
    outcomes_ = [monitoring.screen_shard(run.run_id, s, stores) for s in shards]
    assert sum(o.screened for o in outcomes_) == 5 and sum(o.alerts_opened for o in outcomes_) == 2
    alerted = {c["customer_id"] for c in stores.checkpoints.items.values() if c["kind"] == "monitoring"}
    assert alerted == {exact, misspelt} and not alerted & set(unrelated)


def test_the_workflow_runs_as_many_shards_at_once_as_the_policy_says():
    import json
    from pathlib import Path

    definition = json.loads((Path(__file__).parents[2] / "stepfunctions" / "monitoring.asl.json").read_text())
    fan_out = definition["States"]["ScreenShards"]
    assert fan_out["MaxConcurrency"] == monitoring_policy().shards.max_concurrency
    assert fan_out["ItemProcessor"]["ProcessorConfig"]["Mode"] == "DISTRIBUTED"
    assert fan_out["ItemReader"]["Resource"] == "arn:aws:states:::s3:getObject"


@given(st.datetimes(min_value=datetime(2000, 1, 1), max_value=datetime(2100, 1, 1), timezones=st.just(UTC)),
       st.sampled_from(["rate(7 days)", "rate(1 day)", "rate(6 hours)", "rate(1 minute)"]))
def test_a_schedule_period_holds_its_trigger_and_follows_the_previous_one(at, expression):
    period = ScreeningSchedule(full_rescreen=expression, source="test").period
    start = period_start(at, period)
    assert start <= at < start + period
    assert period_start(start + period, period) == start + period and period_start(start, period) == start


def test_a_schedule_period_is_the_rate_expressions():
    assert monitoring_policy().screening.period == timedelta(days=7)
    assert ScreeningSchedule(full_rescreen="rate(1 hour)", source="test").period == timedelta(hours=1)
    with pytest.raises(ValueError):
        ScreeningSchedule(full_rescreen="rate(0 days)", source="test")


def test_the_schedule_starts_one_full_run_per_period_however_often_it_fires(stores):
    week = monitoring_policy().screening.period
    monday = datetime(2026, 11, 30, 9, tzinfo=UTC)
    first = monitoring.scheduled(monday, stores)
    again = monitoring.scheduled(period_start(monday, week) + week - timedelta(seconds=1), stores)
    assert first["started"] and not again["started"] and again["run_id"] == first["run_id"]
    assert list(stores.workflows.started) == [first["run_id"]]
    run = stores.monitoring.get_run(first["run_id"])
    assert (run.mode, run.trigger, run.requested_by) == (RunMode.FULL, RunTrigger.SCHEDULE, "system:monitoring-schedule")
    assert first["period_start"] == "2026-11-26T00:00:00.000Z"  # periods count from the Unix epoch, a Thursday
    following = monitoring.scheduled(monday + week, stores)
    assert following["started"] and following["run_id"] != first["run_id"]
    assert len(stores.workflows.started) == 2


def test_the_schedule_in_app_is_the_policys():
    import app

    (source,) = [s for s in app.app.event_sources if getattr(s, "name", "") == "monitoring_rescreen"]
    assert source.schedule_expression.to_string() == monitoring_policy().screening.full_rescreen


def _monitoring_events(stores, checkpoint_id: str | None = None) -> dict[str, list]:
    found: dict[str, list] = {}
    for routed in stores.events.published:
        data = routed.event.data
        if checkpoint_id is None or data.get("checkpoint_id") == checkpoint_id:
            found.setdefault(routed.event.type.value, []).append(routed)
    return found


def test_an_alert_publishes_opened_and_decided_to_compliance_only_with_ids(stores):
    alert_id, listed = _alert_in_review(stores)
    reviews.enter_review(alert_id, f"token2-{alert_id}", 2, stores)  # escalated: still opened once
    reviews.decide(OFFICER, alert_id, ReviewOutcome.REJECT, "the listed person", stores)
    outcomes.record(alert_id, "CONFIRMED", stores=stores)
    outcomes.record(alert_id, "CONFIRMED", stores=stores)  # a retried task: the same event again
    published = _monitoring_events(stores, alert_id)
    [opened] = {e.event.event_id: e for e in published["monitoring.alert_opened"]}.values()
    decided = {e.event.event_id: e for e in published["monitoring.alert_decided"]}
    assert len(decided) == 1
    [decided_event] = decided.values()
    assert dict(opened.event.data) == {"checkpoint_id": alert_id, "customer_id": listed, "run_id": opened.event.data["run_id"],
                                       "source": "ofac-sdn", "entry_id": "901",
                                       "list_version": opened.event.data["list_version"], "status": "IN_REVIEW"}
    assert decided_event.event.data["status"] == "CONFIRMED" and decided_event.event.data["customer_id"] == listed
    assert all(e.owners == () for events in published.values() for e in events)  # no channel is told
    assert "Haraldur" not in str([e.event.body() for events in published.values() for e in events])


def test_a_cleared_alert_is_decided_cleared_and_a_finished_run_is_published(stores):
    alert_id, _ = _alert_in_review(stores)
    reviews.decide(OFFICER, alert_id, ReviewOutcome.APPROVE, "not the listed person: born 1950", stores)
    outcomes.record(alert_id, "CLEARED", stores=stores)
    [decided] = _monitoring_events(stores, alert_id)["monitoring.alert_decided"]
    assert decided.event.data["status"] == "CLEARED"

    run_id, shards = run_all(stores)
    for shard in shards:
        monitoring.screen_shard(run_id, shard, stores)
    monitoring.finish(run_id, stores=stores)
    monitoring.finish(run_id, stores=stores)  # a retried last step
    finished = [e for e in _monitoring_events(stores)["monitoring.run_finished"] if e.event.data["run_id"] == run_id]
    assert len({e.event.event_id for e in finished}) == 1 and finished[0].owners == ()
    data = finished[0].event.data
    assert (data["status"], data["mode"], data["trigger"], data["failed_shards"]) == ("SUCCEEDED", "full", "request", [])
    assert data["customers_screened"] == data["customers_total"] >= 1 and data["alerts_opened"] == 0


def test_only_compliance_may_subscribe_to_monitoring_events(stores):
    channel = Caller(subject="web-signup", role=Role.CHANNEL)
    with pytest.raises(InvalidField) as refused:
        webhooks.subscribe(channel, WebhookRequest(url="http://127.0.0.1:9/h", events=["monitoring.alert_opened"]), stores)
    assert refused.value.field == "events"
    subscribed = webhooks.subscribe(OFFICER, WebhookRequest(url="http://127.0.0.1:9/h", events=[
        "monitoring.alert_opened", "monitoring.alert_decided", "monitoring.run_finished"]), stores)
    assert len(subscribed.events) == 3


def test_a_decided_alert_is_scheduled_as_the_customers_screening_results_and_dated_at_the_closure(stores,
                                                                                                  monkeypatch):
    monkeypatch.setenv("CHECKPOINT_ESTABLISHMENT", "EU")  # EU rules: five years from the relationship's end
    get_settings.cache_clear()
    alert_id, listed = _alert_in_review(stores)
    reviews.decide(OFFICER, alert_id, ReviewOutcome.APPROVE, "not the listed person: born 1950", stores)
    outcomes.record(alert_id, "CLEARED", stores=stores)
    records = {f"checkpoint/{alert_id}", f"checkpoints/{alert_id}/results/screening.json"}
    scheduled = {r: stores.schedules.schedule_of(r) for r in records}
    assert all(s is not None and s["record_class"] == "screening_results" and s["customer_id"] == listed
               for s in scheduled.values()), scheduled
    rules = {s["rule_id"] for s in scheduled.values()}
    assert rules <= {r.id for r in retention_rules().rules if r.record_class.value == "screening_results"}
    assert rules == {"eu-screening-results"} and all(s["sweep_status"] == "pending" for s in scheduled.values())
    closed_at = datetime(2027, 3, 1, tzinfo=UTC)
    stores.customers.close(listed, iso(closed_at), "chk_" + "1" * 32)
    refs = retention._records_of(stores.customers.get(listed), None, stores)
    assert records <= {r.record_id for r in refs}  # the closure's ScheduleRetention finds them
    retention.record(refs, Events(relationship_end=closed_at), closed_at, {"checkpoint_id": "c"}, stores)
    assert all(stores.schedules.schedule_of(r)["keep_until"].startswith("2032-03-01") for r in records)
    get_settings.cache_clear()


def test_the_customers_channel_does_not_know_an_alert_exists(stores):
    from chalicelib.errors import NotFound
    from chalicelib.services import access

    alert_id, listed = _alert_in_review(stores)
    channel = Caller(role=Role.CHANNEL, subject=stores.customers.get(listed).owner)
    with pytest.raises(NotFound):  # tipping-off: the customer's own channel gets a 404, as for any unknown id
        access.checkpoint(channel, alert_id, stores)
    assert access.checkpoint(OFFICER, alert_id, stores).kind is CheckpointKind.MONITORING
