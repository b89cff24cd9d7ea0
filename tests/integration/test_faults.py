"""Fault injection ($CHECKPOINT_FAULTS, read by the local Lambda dispatcher): transient faults are
retried and the checkpoint completes; permanent ones end FAILED with the error recorded; a crash
after a task wrote its results but before it reported them duplicates no side effect; and
concurrent requests with one Idempotency-Key create exactly one checkpoint."""
from __future__ import annotations

import uuid
from concurrent.futures import ThreadPoolExecutor

import requests

from chalicelib.stores import AWS, clients
from chalicelib.domain.audit_log import LogName
from chalicelib.local.faults import VARIABLE
from tests.integration.conftest import Api, applicant_body
from tests.integration.test_offboarding_workflow import closure, new_customer
from tests.integration.test_offboarding_workflow import start as start_closure
from tests.integration.test_onboarding_workflow import execution_ended, history_of, start


def failed_tasks(checkpoint_id: str) -> list[tuple[str, str]]:
    """(state, error) of every failed Lambda invocation in the execution, in order."""
    events = history_of(checkpoint_id)
    by_id = {e["id"]: e for e in events}
    failed = []
    for event in events:
        if event["type"] == "LambdaFunctionFailed":
            entered = event
            while "stateEnteredEventDetails" not in entered:  # back to the state that invoked it
                entered = by_id[entered["previousEventId"]]
            failed.append((entered["stateEnteredEventDetails"]["name"], event["lambdaFunctionFailedEventDetails"]["error"]))
    return failed


def retention_entries(checkpoint_id: str) -> list[tuple[str, str]]:
    return [(e.event, e.subject) for e in AWS.audit.entries(LogName.RETENTION)
            if e.details.get("checkpoint_id") == checkpoint_id]


def test_transient_faults_are_retried_and_the_sign_up_completes(http, monkeypatch):
    monkeypatch.setenv(VARIABLE, "screen=transient:2,verify_identity=transient:1")
    checkpoint_id = start(http, applicant_body())
    assert http.wait_final(checkpoint_id, timeout=30)["status"] == "APPROVED"
    assert sorted(failed_tasks(checkpoint_id)) == sorted([
        ("ScreenApplicant", "Lambda.ServiceException"), ("ScreenApplicant", "Lambda.ServiceException"),
        ("VerifyIdentity", "Lambda.ServiceException")])


def test_a_permanent_fault_ends_failed_with_the_error_recorded(http, monkeypatch):
    monkeypatch.setenv(VARIABLE, "screen=permanent")
    checkpoint_id = start(http, applicant_body())
    final = http.wait_final(checkpoint_id, settled=())
    assert final["status"] == "FAILED"
    assert final["failure"]["error"] == "InjectedFault"
    # Not retried. (The parallel VerifyIdentity branch may also end in a recorded failure: it can
    # finish after MarkFailed, when its write to the FAILED checkpoint is refused.)
    assert [f for f in failed_tasks(checkpoint_id) if f[0] == "ScreenApplicant"] == [("ScreenApplicant", "InjectedFault")]


def test_crash_after_approving_creates_the_customer_once(http, stack, monkeypatch):
    monkeypatch.setenv(VARIABLE, "record_decision=crash_after:2")
    checkpoint_id = start(http, applicant_body())
    final = http.wait_final(checkpoint_id, timeout=30)
    assert final["status"] == "APPROVED"
    assert execution_ended(checkpoint_id) == "SUCCEEDED"
    assert failed_tasks(checkpoint_id) == [("Approve", "Lambda.ServiceException")] * 2
    assert AWS.customers.get(final["customer_id"]).onboarding_checkpoint_id == checkpoint_id
    table = clients.table(stack.environment["CUSTOMERS_TABLE"])
    mine = table.scan(FilterExpression="onboarding_checkpoint_id = :c",
                      ExpressionAttributeValues={":c": checkpoint_id})["Items"]
    assert len(mine) == 1


def test_crash_after_rejecting_logs_the_retention_schedule_once(http, monkeypatch):
    monkeypatch.setenv(VARIABLE, "record_decision=crash_after:2")
    body = applicant_body()
    body["document"]["expiry_date"] = "2020-01-01"  # rejected: the application is kept under its own rule
    checkpoint_id = start(http, body)
    assert http.wait_final(checkpoint_id, timeout=30)["status"] == "REJECTED"
    assert execution_ended(checkpoint_id) == "SUCCEEDED"
    assert failed_tasks(checkpoint_id) == [("Reject", "Lambda.ServiceException")] * 2
    entries = retention_entries(checkpoint_id)
    assert entries and len(entries) == len(set(entries)), entries


def test_crash_after_closure_tasks_duplicates_no_schedule_and_no_export(http, monkeypatch):
    customer_id = new_customer()
    monkeypatch.setenv(VARIABLE, "schedule_retention=crash_after:1,export_data=crash_after:1")
    checkpoint_id = start_closure(http, closure(customer_id, export=True))
    assert http.wait_final(checkpoint_id, timeout=40, settled=())["status"] == "CLOSED"
    assert execution_ended(checkpoint_id) == "SUCCEEDED"
    assert {state for state, _ in failed_tasks(checkpoint_id)} == {"ScheduleRetention", "ExportData"}
    entries = retention_entries(checkpoint_id)
    assert entries and len(entries) == len(set(entries)), entries
    exports = [e for e in AWS.audit.entries(LogName.EXPORT)
               if e.event == "export_created" and e.details.get("customer_id") == customer_id]
    assert len(exports) == 1


def test_concurrent_requests_with_one_idempotency_key_create_one_checkpoint(live_server, stack):
    channel = f"idem-{uuid.uuid4().hex[:8]}"
    headers = {**Api.auth("channel", channel), "Idempotency-Key": str(uuid.uuid4())}
    body = applicant_body()

    def submit(_):
        return requests.post(f"{live_server}/v1/onboarding", json=body, headers=headers, timeout=30)

    with ThreadPoolExecutor(8) as pool:
        responses = list(pool.map(submit, range(8)))
    accepted = {r.json()["checkpoint_id"] for r in responses if r.status_code == 202}
    refused = [r.json()["error"]["code"] for r in responses if r.status_code != 202]
    assert len(accepted) == 1 and set(refused) <= {"IDEMPOTENCY_IN_PROGRESS"}, (accepted, refused)
    table = clients.table(stack.environment["CHECKPOINTS_TABLE"])
    mine = table.scan(FilterExpression="#o = :o", ExpressionAttributeNames={"#o": "owner"},
                      ExpressionAttributeValues={":o": channel})["Items"]
    assert [item["checkpoint_id"] for item in mine] == list(accepted)
