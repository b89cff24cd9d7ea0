"""Closing a relationship settles retention: every record stamped, the retention log written
and verifiable, and tampering with a stored entry caught at that entry."""
from __future__ import annotations

import json
import time
from datetime import UTC, datetime, timedelta

import pytest

from app import retention_sweep
from chalicelib import clock
from chalicelib.stores import AWS, clients
from chalicelib.domain.audit_log import LogName
from tests.conftest import ROOT
from tests.integration.conftest import applicant_body
from tests.integration.test_offboarding_workflow import closure


def test_closure_stamps_every_record_and_logs_each_decision(http, stack):
    signup = http.post("/v1/onboarding", applicant_body())
    onboarded = http.wait_final(signup.json_body["checkpoint_id"])
    customer_id = onboarded["customer_id"]
    checkpoint_id = http.post("/v1/offboarding", closure(customer_id)).json_body["checkpoint_id"]
    final = http.wait_final(checkpoint_id)
    assert final["status"] == "CLOSED", final
    step = next(s for s in final["steps"] if s["name"] == "retention")
    assert step["reasons"][0]["code"] == "RETENTION_SCHEDULED"

    s3, bucket = clients.client("s3"), stack.environment["DOCUMENTS_BUCKET"]
    closed_at = datetime.fromisoformat(AWS.customers.get(customer_id).closed_at.replace("Z", "+00:00"))
    application = f"checkpoints/{onboarded['checkpoint_id']}/application.json"
    tags = {t["Key"]: t["Value"] for t in s3.get_object_tagging(Bucket=bucket, Key=application)["TagSet"]}
    assert tags["record_class"] == "cdd_identity" and tags["rule"].startswith("eu-")
    keep_until = datetime.fromisoformat(tags["keep_until"].replace("Z", "+00:00"))
    assert abs(keep_until - (closed_at + timedelta(days=5 * 365 + 1))) < timedelta(days=2)  # AMLD Art. 40: 5 years
    head = s3.head_object(Bucket=bucket, Key=application)
    assert head["ObjectLockMode"] == "GOVERNANCE"
    assert head["ObjectLockRetainUntilDate"].astimezone(UTC) >= keep_until - timedelta(seconds=1)
    transactions = f"customers/{customer_id}/transactions/{checkpoint_id}.jsonl"
    tx_tags = {t["Key"]: t["Value"] for t in s3.get_object_tagging(Bucket=bucket, Key=transactions)["TagSet"]}
    assert tx_tags["record_class"] == "transactions"

    item = clients.table(stack.environment["CUSTOMERS_TABLE"]).get_item(Key={"customer_id": customer_id})["Item"]
    assert item["retention"]["record_class"] == "cdd_identity"
    assert ("expires_at" in item) == (item["retention"]["action"] == "delete")

    mine = [e for e in AWS.audit.entries(LogName.RETENTION) if e.details.get("checkpoint_id") == checkpoint_id]
    assert {e.subject for e in mine} >= {application, transactions, f"customer/{customer_id}"}
    assert all(e.event == "scheduled" and e.details["keep_until"] for e in mine)

    log = http.get("/v1/audit/retention-log?format=jsonl", role="auditor")
    assert log.status_code == 200 and log.headers["X-Chain-Head-Hash"] != "0" * 64
    lines = [json.loads(line) for line in log.body.decode().splitlines()]
    assert checkpoint_id in {line["details"].get("checkpoint_id") for line in lines}
    csv_log = http.get("/v1/audit/retention-log?format=csv&limit=2", role="auditor")
    assert csv_log.body.decode().splitlines()[0].startswith("sequence,at,event") and "X-Next-Cursor" in csv_log.headers
    verified = http.get("/v1/audit/verify?log=retention", role="auditor").json_body
    assert verified["valid"] is True and verified["checked"] >= len(mine)


def test_tampering_with_a_stored_log_entry_fails_verification_at_that_entry(http, stack):
    for i in range(3):
        AWS.audit.append(LogName.EXPORT, "link_issued", f"exp_{i}", {"expires_in": "900"})
    assert http.get("/v1/audit/verify?log=export", role="auditor").json_body["valid"] is True
    victim = next(e for e in AWS.audit.entries(LogName.EXPORT) if e.subject == "exp_1")
    forged = victim.model_copy(update={"subject": "exp_forged"})
    # Object Lock keeps the original version; an attacker can only add a newer one, which readers see.
    key = f"audit/export/{victim.sequence:012d}-{victim.sequence:012d}.jsonl"
    clients.client("s3").put_object(Bucket=stack.environment["AUDIT_BUCKET"], Key=key,
                                    Body=forged.model_dump_json() + "\n")
    result = http.get("/v1/audit/verify?log=export", role="auditor").json_body
    assert result["valid"] is False and result["first_broken"] == victim.sequence


def scheduled_event(at: datetime) -> dict:
    return {"version": "0", "id": "sweep-test", "detail-type": "Scheduled Event", "source": "aws.events",
            "account": "123456789012", "time": at.isoformat().replace("+00:00", "Z"), "region": "eu-west-1",
            "resources": [], "detail": {}}


def closed_customer(http) -> tuple[str, str, str]:
    onboarded = http.wait_final(http.post("/v1/onboarding", applicant_body()).json_body["checkpoint_id"])
    customer_id = onboarded["customer_id"]
    checkpoint_id = http.post("/v1/offboarding", closure(customer_id)).json_body["checkpoint_id"]
    assert http.wait_final(checkpoint_id)["status"] == "CLOSED"
    return customer_id, onboarded["checkpoint_id"], checkpoint_id


@pytest.fixture
def clock_moved():
    """The test moves the product's clock (POST /v1/local/clock); what runs after it in this process
    runs at real time again."""
    yield
    clock.reset()


def versions(bucket: str, prefix: str = "") -> list[tuple[str, str]]:
    """(key, version id) of every version and delete marker under `prefix`."""
    found, kwargs = [], {"Bucket": bucket, "Prefix": prefix}
    while True:
        page = clients.client("s3").list_object_versions(**kwargs)
        found += [(v["Key"], v["VersionId"]) for v in [*page.get("Versions", []), *page.get("DeleteMarkers", [])]]
        if not page.get("IsTruncated"):
            return found
        kwargs.update(KeyMarker=page["NextKeyMarker"], VersionIdMarker=page["NextVersionIdMarker"])


def items_mentioning(stack, needles: set[str]) -> dict[str, list[dict]]:
    """Every DynamoDB item of the stack, by table variable, whose JSON contains one of `needles`."""
    found: dict[str, list[dict]] = {}
    for variable, name in stack.environment.items():
        if not variable.endswith("_TABLE"):
            continue
        scan = clients.client("dynamodb").get_paginator("scan").paginate(TableName=name)
        for item in (i for page in scan for i in page["Items"]):
            if any(n in json.dumps(item) for n in needles):
                found.setdefault(variable, []).append(item)
    return found


def sweep_as_an_operator_would(stack) -> dict:
    """`aws lambda invoke --function-name <retention_sweep>` on the embedded stack: no event time,
    so the function runs at the stack's clock."""
    answer = clients.client("lambda").invoke(FunctionName=stack.function_names["retention_sweep"], Payload=b"{}")
    assert answer["StatusCode"] == 200 and "FunctionError" not in answer, answer
    return json.loads(answer["Payload"].read())


def test_past_every_period_nothing_of_a_closed_customer_is_left_and_a_held_one_is_intact(http, stack, clock_moved):
    docs = stack.environment["DOCUMENTS_BUCKET"]
    us_address = {"line1": "350 Fifth Avenue", "city": "New York", "postal_code": "10118", "country": "USA"}
    signup = http.wait_final(http.post("/v1/onboarding", applicant_body(
        **{"applicant.address": us_address, "applicant.nationality": "US"})).json_body["checkpoint_id"])
    assert signup["status"] == "APPROVED", signup
    a = signup["customer_id"]
    a_closure = http.post("/v1/offboarding", closure(a, export=True)).json_body["checkpoint_id"]
    closed = http.wait_final(a_closure)
    assert closed["status"] == "CLOSED" and "EXPORT_READY" in {r["code"] for s in closed["steps"] for r in s["reasons"]}
    (export_id,) = {k.rsplit("/", 1)[1].removesuffix(".zip") for k, _ in versions(docs, f"customers/{a}/exports/")}
    a_ids = {a, signup["checkpoint_id"], a_closure, export_id}

    b, b_signup, b_closure = closed_customer(http)
    hold = http.post("/v1/legal-holds", {"customer_id": b, "reason": "litigation over a disputed transfer",
                                         "case_reference": "CASE-2031-17"}, key=False, role="compliance")
    assert hold.status_code == 201, hold.body
    b_versions = sorted(versions(docs, f"checkpoints/{b_signup}/") + versions(docs, f"checkpoints/{b_closure}/")
                        + versions(docs, f"customers/{b}/"))
    s3 = clients.client("s3")
    assert all(s3.get_object_legal_hold(Bucket=docs, Key=key, VersionId=v)["LegalHold"]["Status"] == "ON"
               for key, v in b_versions)

    # The US address changes nothing: the bank is established in the EU (the stage's setting).
    a_report = http.get(f"/v1/audit/retention-report?customer_id={a}", role="auditor").json_body
    assert a_report["jurisdictions"] == ["EU"] and all(r["rule"].startswith(("eu-", "all-"))
                                                       for r in a_report["records"])
    assert {r["state"] for r in a_report["records"]} == {"kept"}

    later = datetime.now(UTC) + timedelta(days=6 * 365 + 60)  # past 5 years after closure, 30 and 90 days
    moved = http.post("/v1/local/clock", {"now": later.isoformat().replace("+00:00", "Z")}, key=False,
                      role="compliance")
    assert moved.status_code == 200, moved.body
    swept = sweep_as_an_operator_would(stack)
    assert swept["erased"] >= 10 and swept["skipped"] >= len(b_versions), swept

    # Nothing of the first customer left: no object version, no item but the retention schedules,
    # which keep ids only to prove what was erased, and the idempotency records (a request hash and a
    # checkpoint id), which DynamoDB's TTL erases a day after the request (moto never runs TTL).
    assert not [key for key, _ in versions(docs) if any(i in key for i in a_ids)]
    left = items_mentioning(stack, a_ids)
    assert set(left) <= {"RETENTION_TABLE", "IDEMPOTENCY_TABLE"}, left
    assert all(i["sweep_status"]["S"] == "erased" for i in left["RETENTION_TABLE"])
    for item in left.get("IDEMPOTENCY_TABLE", []):
        assert set(item) <= {"id", "expiration", "in_progress_expiration", "status", "data", "validation"}
        assert int(item["expiration"]["N"]) <= time.time() + 24 * 3600
    erased = {e.subject for e in AWS.audit.entries(LogName.RETENTION) if e.event == "erased"}
    assert {i["record_id"]["S"] for i in left["RETENTION_TABLE"]} <= erased
    assert {f"customer/{a}", f"checkpoint/{a_closure}", f"export/{export_id}",
            f"customers/{a}/exports/{export_id}.zip", f"customers/{a}/transactions/{a_closure}.jsonl"} <= erased

    # Every record of the held customer intact, no TTL on any of their items.
    assert sorted(versions(docs, f"checkpoints/{b_signup}/") + versions(docs, f"checkpoints/{b_closure}/")
                  + versions(docs, f"customers/{b}/")) == b_versions
    b_items = items_mentioning(stack, {b})
    assert {"CUSTOMERS_TABLE", "CHECKPOINTS_TABLE"} <= set(b_items)
    assert not [i for table in ("CUSTOMERS_TABLE", "CHECKPOINTS_TABLE", "EXPORTS_TABLE")
                for i in b_items.get(table, []) if "expires_at" in i]
    assert not [i for i in b_items["RETENTION_TABLE"] if i["sweep_status"]["S"] != "scheduled"]

    # The retention report of each says the same.
    a_report = http.get(f"/v1/audit/retention-report?customer_id={a}", role="auditor").json_body
    assert a_report["records"] and {r["state"] for r in a_report["records"]} == {"erased"}
    assert all(r["erased_at"] and "erased" in {e["event"] for e in r["log_entries"]} for r in a_report["records"])
    b_report = http.get(f"/v1/audit/retention-report?customer_id={b}", role="auditor").json_body
    assert b_report["held"] and {r["state"] for r in b_report["records"]} == {"held"}
    assert [e["event"] for e in b_report["holds"]] == ["held"]
    assert all("skipped" in {e["event"] for e in r["log_entries"]} for r in b_report["records"]
               if r["keep_until"] and r["keep_until"] <= moved.json_body["now"])

    # Released, the hold's suspensions are lifted and the next sweep erases what has expired.
    released = http.client.http.delete(f"/v1/legal-holds/{hold.json_body['hold_id']}", headers=http.auth("compliance"))
    assert released.status_code == 200, released.body
    assert sweep_as_an_operator_would(stack)["erased"] >= 10
    assert not versions(docs, f"checkpoints/{b_signup}/") and not items_mentioning(stack, {b}).get("CUSTOMERS_TABLE")
    assert http.get("/v1/audit/verify?log=retention", role="auditor").json_body["valid"] is True


def test_the_sweep_cannot_bypass_object_lock():
    policy = json.loads((ROOT / ".chalice" / "policy-retention-sweep.json").read_text())
    actions = {a for s in policy["Statement"] for a in ([s["Action"]] if isinstance(s["Action"], str) else s["Action"])}
    assert not {a for a in actions if "Bypass" in a or a in ("s3:*", "*")}


def test_a_record_still_under_lock_is_left_and_tried_again(http, stack):
    customer_id, signup_id, _ = closed_customer(http)
    application = f"checkpoints/{signup_id}/application.json"
    schedule = AWS.schedules.schedule_of(application)
    assert schedule["sweep_status"] == "scheduled"
    # Swept at a time past the schedule but before its lock (as a replay with a later event time would):
    # S3 refuses, the schedule stays, the log says why.
    swept = retention_sweep(scheduled_event(datetime.now(UTC) + timedelta(days=6 * 365)), None)
    assert swept["still_locked"] >= 1
    assert AWS.schedules.schedule_of(application)["sweep_status"] == "scheduled"
    assert AWS.documents.exists(application)
    assert ("erase_refused", application) in {(e.event, e.subject) for e in AWS.audit.entries(LogName.RETENTION)}


def test_a_rejected_signup_is_kept_under_its_own_rule(http, stack):
    from datetime import date

    body = applicant_body(**{"document.expiry_date": (date.today() - timedelta(days=3)).isoformat()})
    checkpoint_id = http.post("/v1/onboarding", body).json_body["checkpoint_id"]
    assert http.wait_final(checkpoint_id)["status"] == "REJECTED"
    key = f"checkpoints/{checkpoint_id}/application.json"
    tags = {t["Key"]: t["Value"] for t in clients.client("s3").get_object_tagging(
        Bucket=stack.environment["DOCUMENTS_BUCKET"], Key=key)["TagSet"]}
    assert tags["record_class"] == "rejected_application" and tags["rule"] == "eu-rejected-application"
    assert any(e.subject == key and e.event == "scheduled" for e in AWS.audit.entries(LogName.RETENTION))


def test_every_record_is_tagged_with_its_class_when_it_is_written(http, stack):
    checkpoint_id = http.post("/v1/onboarding", applicant_body()).json_body["checkpoint_id"]
    http.wait_final(checkpoint_id)
    s3, bucket = clients.client("s3"), stack.environment["DOCUMENTS_BUCKET"]
    expected = {"application.json": "cdd_identity", "results/identity.json": "cdd_identity",
                "results/screening.json": "screening_results"}
    for name, record_class in expected.items():
        tags = s3.get_object_tagging(Bucket=bucket, Key=f"checkpoints/{checkpoint_id}/{name}")["TagSet"]
        assert {"Key": "record_class", "Value": record_class} in tags
