"""Closing a relationship settles retention: every record stamped, the retention log written
and verifiable, and tampering with a stored entry caught at that entry."""
from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest

from app import retention_sweep
from chalicelib.stores import AWS, clients
from chalicelib.domain.audit_log import LogName
from chalicelib.errors import NotFound
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


def test_the_sweep_erases_exactly_the_expired_unheld_records(http, stack):
    s3, bucket = clients.client("s3"), stack.environment["DOCUMENTS_BUCKET"]
    a, a_signup, a_closure = closed_customer(http)
    b, b_signup, b_closure = closed_customer(http)
    hold = http.post("/v1/legal-holds", {"customer_id": b, "reason": "litigation over a disputed transfer",
                                         "case_reference": "CASE-2031-17"}, key=False, role="compliance")
    assert hold.status_code == 201, hold.body

    def keys(prefix: str) -> set[str]:
        return {o["Key"] for o in s3.list_objects_v2(Bucket=bucket, Prefix=prefix).get("Contents", [])}

    a_keys = keys(f"checkpoints/{a_signup}/") | keys(f"checkpoints/{a_closure}/") | keys(f"customers/{a}/")
    b_keys = keys(f"checkpoints/{b_signup}/") | keys(f"checkpoints/{b_closure}/") | keys(f"customers/{b}/")
    now = datetime.now(UTC)

    early = retention_sweep(scheduled_event(now + timedelta(days=4 * 365)), None)
    assert early.get("erased", 0) == 0 and early.get("anonymised", 0) == 0
    assert keys(f"checkpoints/{a_signup}/") and AWS.customers.get(a)

    late = retention_sweep(scheduled_event(now + timedelta(days=6 * 365)), None)
    assert late["erased"] >= 4 and late["anonymised"] >= 2 and late["skipped"] >= len(b_keys)
    remaining = keys(f"checkpoints/{a_signup}/") | keys(f"checkpoints/{a_closure}/") | keys(f"customers/{a}/")
    erased = {k for k in a_keys if "application.json" in k or "/results/identity" in k or "/results/screening" in k}
    assert erased and not (erased & remaining)
    transactions = f"customers/{a}/transactions/{a_closure}.jsonl"
    assert transactions in remaining
    anonymised = s3.get_object(Bucket=bucket, Key=transactions)["Body"].read().decode()
    assert "Grocer" not in anonymised and "Employer AS" not in anonymised and "[anonymised]" in anonymised
    versions = s3.list_object_versions(Bucket=bucket, Prefix=transactions).get("Versions", [])
    assert len(versions) == 1  # the identifying versions are gone, not just hidden
    assert keys(f"checkpoints/{b_signup}/") | keys(f"checkpoints/{b_closure}/") | keys(f"customers/{b}/") == b_keys
    assert AWS.customers.get(b).customer_id == b
    with pytest.raises(NotFound):
        AWS.customers.get(a)

    again = retention_sweep(scheduled_event(now + timedelta(days=6 * 365)), None)
    assert again.get("erased", 0) == 0 and again.get("anonymised", 0) == 0  # idempotent

    released = http.client.http.delete(f"/v1/legal-holds/{hold.json_body['hold_id']}", headers=http.auth("compliance"))
    assert released.status_code == 200, released.body
    after_release = retention_sweep(scheduled_event(now + timedelta(days=6 * 365)), None)
    assert after_release["erased"] >= 4
    assert not keys(f"checkpoints/{b_signup}/")

    events = {(e.event, e.subject) for e in AWS.audit.entries(LogName.RETENTION)}
    assert ("erased", f"checkpoints/{a_signup}/application.json") in events
    assert ("skipped", f"checkpoints/{b_signup}/application.json") in events
    assert ("held", b) in events and ("released", b) in events
    assert http.get("/v1/audit/verify?log=retention", role="auditor").json_body["valid"] is True


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
