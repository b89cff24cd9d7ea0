"""Ongoing monitoring on the embedded stack: a full re-screen of a few thousand customers (seeded
straight into the customers table, as a migration would) runs through the monitoring workflow's
Distributed Map; its summary comes from the shards' own rows; a failing shard is retried, and
one that keeps failing is named; a listed customer's alert is in the review queue, and a
confirmed match freezes the customer."""
from __future__ import annotations

import json
import time
import uuid
from collections.abc import Iterator
from datetime import date, timedelta

import pytest

from bench.customer_base import customers as synthetic
from chalicelib import clock
from chalicelib.domain.checkpoint import iso
from chalicelib.domain.monitoring import period_start
from chalicelib.local.faults import VARIABLE
from chalicelib.local.webhook_receiver import Receiver
from chalicelib.policies import monitoring_policy
from chalicelib.settings import get_settings
from chalicelib.stores import AWS, clients
from chalicelib.stores.customer_table import item_of
from tests import pii
from tests.records import customer_record

SEEDED = 1200  # two shards at the policy's 1,000 customers a shard
LISTED = ("Helmer", "Herrera Buitrago", date(1951, 8, 24))  # ofac-sdn 4106, as listed


def _seed(count: int) -> list[str]:
    ids = []
    with clients.table(get_settings().customers_table).batch_writer() as batch:
        for profile in synthetic(count, seed=uuid.uuid4().int % 10_000):
            given, _, family = profile.name.rpartition(" ")
            record = customer_record(profile.customer_id, given=given, family=family, birth=profile.birth_date)
            pii.remember_person(given, family)
            batch.put_item(Item=item_of(record))
            ids.append(record.customer_id)
    return ids


def _listed_customer() -> str:
    given, family, birth = LISTED
    customer_id = f"cus_{uuid.uuid4().hex}"
    pii.remember_person(given, family, birth.isoformat())
    AWS.customers.create_once(customer_record(customer_id, given=given, family=family, birth=birth))
    return customer_id


def _run(http, timeout: float = 240.0) -> dict:
    started = http.post("/v1/monitoring/runs", None, role="compliance")
    assert started.status_code == 202, started.body
    run_id = started.json_body["run_id"]
    assert started.headers["Location"].endswith(f"/v1/monitoring/runs/{run_id}")
    return _finished(http, run_id, timeout)


def _finished(http, run_id: str, timeout: float = 240.0) -> dict:
    deadline = time.monotonic() + timeout
    while True:
        body = http.get(f"/v1/monitoring/runs/{run_id}", role="compliance").json_body
        if body["status"] != "RUNNING" or time.monotonic() > deadline:
            return body
        time.sleep(0.5)


@pytest.fixture
def officer_hooks(http) -> Iterator[Receiver]:
    """A compliance officer's webhook for the monitoring events, on a real HTTP receiver."""
    receiver = Receiver().start()
    response = http.post("/v1/webhooks", {"url": receiver.url, "events": [
        "monitoring.alert_opened", "monitoring.alert_decided", "monitoring.run_finished"]}, role="compliance", key=False)
    assert response.status_code == 201, response.body
    receiver.secret = response.json_body["secret"]
    yield receiver
    http.client.http.delete(f"/v1/webhooks/{response.json_body['webhook_id']}", headers=http.auth("compliance"))
    receiver.stop()


def _delivered(receiver: Receiver, event_type: str, **data) -> dict:
    def found() -> list[dict]:
        payloads = [json.loads(r.body) for r in receiver.received if r.verified]
        return [p for p in payloads if p["type"] == event_type and data.items() <= p["data"].items()]
    receiver.wait_for(lambda _: bool(found()))
    [payload] = found()
    return payload["data"]


@pytest.fixture(scope="module")
def base():
    return {"seeded": _seed(SEEDED), "listed": _listed_customer()}


def test_a_full_run_screens_every_customer_through_the_distributed_map_and_alerts_on_the_listed_one(
        http, base, officer_hooks):
    run = _run(http)
    assert run["status"] == "SUCCEEDED", run
    assert run["customers_total"] >= SEEDED + 1 and run["customers_screened"] == run["customers_total"]
    assert run["shards_total"] >= 2 and run["shards_done"] == run["shards_total"] and run["failed_shards"] == []
    assert run["alerts_opened"] >= 1
    listing = http.get("/v1/monitoring/runs?limit=5", role="compliance").json_body
    assert run["run_id"] in [r["run_id"] for r in listing["items"]]

    alert = _alert_for(http, base["listed"])
    assert alert["kind"] == "monitoring" and alert["level"] == 1
    matched = [m for e in alert["explanation"] for m in e["matches"]]
    assert [(m["source"], m["source_id"]) for m in matched] == [("ofac-sdn", "4106")]
    assert matched[0]["subject"] == base["listed"]

    again = _run(http)  # the alert exists: a second run opens no second one for the same entry
    assert again["status"] == "SUCCEEDED"
    assert [a["checkpoint_id"] for a in _alerts(http) if a["customer_id"] == base["listed"]] == [alert["checkpoint_id"]]

    decided = http.decide(alert["checkpoint_id"], "reject", "the same person: date of birth and place match")
    assert decided.status_code == 200, decided.body
    final = http.wait_final(alert["checkpoint_id"], settled=(), role="compliance")  # a channel gets a 404
    assert final["status"] == "CONFIRMED"
    assert http.get(f"/v1/checkpoints/{alert['checkpoint_id']}").status_code == 404  # not for the channel
    assert AWS.customers.get(base["listed"]).status == "frozen"
    case = AWS.checkpoints.get(alert["checkpoint_id"]).report_case
    assert case is not None and case.customer_id == base["listed"]
    assert [r.authority for r in case.reports][:1] == ["OFAC (Office of Foreign Assets Control)"]
    assert case.reports[0].deadline is not None  # 10 business days
    kept = AWS.schedules.schedule_of(f"checkpoint/{alert['checkpoint_id']}")  # kept as the customer's screening
    assert kept is not None and (kept["record_class"], kept["customer_id"]) == ("screening_results", base["listed"])

    refused = http.post("/v1/exports", {"customer_id": base["listed"], "include": ["profile"]},
                        role="compliance")
    assert refused.status_code == 409 and refused.json_body["error"]["code"] == "CUSTOMER_FROZEN", refused.body

    # the compliance officer's webhook heard each step, ids only
    opened = _delivered(officer_hooks, "monitoring.alert_opened", checkpoint_id=alert["checkpoint_id"])
    assert (opened["customer_id"], opened["run_id"], opened["source"], opened["entry_id"]) == \
        (base["listed"], run["run_id"], "ofac-sdn", "4106")
    assert _delivered(officer_hooks, "monitoring.alert_decided", checkpoint_id=alert["checkpoint_id"])["status"] == \
        "CONFIRMED"
    finished = _delivered(officer_hooks, "monitoring.run_finished", run_id=run["run_id"])
    assert (finished["status"], finished["customers_screened"], finished["failed_shards"]) == \
        ("SUCCEEDED", run["customers_screened"], [])
    assert LISTED[1] not in json.dumps([r.body for r in officer_hooks.received])


def test_a_shard_that_fails_is_retried_and_one_that_keeps_failing_is_named(http, base, monkeypatch):
    monkeypatch.setenv(VARIABLE, "screen_shard@s0000=transient:2")
    retried = _run(http)
    assert retried["status"] == "SUCCEEDED" and retried["customers_screened"] == retried["customers_total"], retried

    monkeypatch.setenv(VARIABLE, "screen_shard@s0001=permanent")
    broken = _run(http)
    assert broken["status"] == "INCOMPLETE", broken
    assert [f["shard_id"] for f in broken["failed_shards"]] == ["s0001"]
    assert broken["failed_shards"][0]["error"] == "InjectedFault"
    failed = broken["failed_shards"][0]["customers"]
    assert failed > 0 and broken["customers_screened"] == broken["customers_total"] - failed


def test_the_schedule_starts_one_full_run_a_period_as_an_operator_invokes_it(http, base, stack):
    """`make invoke FUNCTION=monitoring_rescreen` is this Lambda invocation: an event without a time
    runs at the stack's clock; a second trigger in the same period starts nothing new."""
    def invoke(event: dict) -> dict:
        answer = clients.client("lambda").invoke(FunctionName=stack.function_names["monitoring_rescreen"],
                                                 Payload=json.dumps(event).encode())
        assert "FunctionError" not in answer
        return json.loads(answer["Payload"].read())

    week = monitoring_policy().screening.period
    first = invoke({})
    last_second = period_start(clock.now(), week) + week - timedelta(seconds=1)
    again = invoke({"time": iso(last_second)})
    assert first["started"] and not again["started"], (first, again)
    assert again["run_id"] == first["run_id"] and again["period_start"] == first["period_start"]
    run = _finished(http, first["run_id"])
    assert run["status"] == "SUCCEEDED" and run["trigger"] == "schedule", run
    assert run["customers_screened"] == run["customers_total"] >= SEEDED + 1
    executions = clients.client("stepfunctions").list_executions(
        stateMachineArn=get_settings().monitoring_state_machine_arn)["executions"]
    assert [e["name"] for e in executions].count(first["run_id"]) == 1


def _alerts(http) -> list[dict]:
    items, cursor = [], None
    while True:
        page = http.get("/v1/reviews?limit=100" + (f"&cursor={cursor}" if cursor else ""), role="compliance").json_body
        items += [i for i in page["items"] if i["kind"] == "monitoring"]
        cursor = page["next"]
        if not cursor:
            return items


def _alert_for(http, customer_id: str, timeout: float = 30.0) -> dict:
    deadline = time.monotonic() + timeout
    while True:
        found = [a for a in _alerts(http) if a["customer_id"] == customer_id and a["awaiting_decision"]]
        if found or time.monotonic() > deadline:
            assert len(found) == 1, found
            return found[0]
        time.sleep(0.2)
