"""Closing a relationship settles retention: every record stamped, the retention log written
and verifiable, and tampering with a stored entry caught at that entry."""
from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

from chalicelib.aws import audit, clients, customers
from chalicelib.domain.audit_log import LogName
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
    closed_at = datetime.fromisoformat(customers.get(customer_id).closed_at.replace("Z", "+00:00"))
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

    mine = [e for e in audit.entries(LogName.RETENTION) if e.details.get("checkpoint_id") == checkpoint_id]
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
        audit.append(LogName.EXPORT, "link_issued", f"exp_{i}", {"expires_in": "900"})
    assert http.get("/v1/audit/verify?log=export", role="auditor").json_body["valid"] is True
    victim = next(e for e in audit.entries(LogName.EXPORT) if e.subject == "exp_1")
    forged = victim.model_copy(update={"subject": "exp_forged"})
    # Object Lock keeps the original version; an attacker can only add a newer one, which readers see.
    clients.client("s3").put_object(Bucket=stack.environment["AUDIT_BUCKET"],
                                    Key=f"audit/export/{victim.sequence:012d}.json", Body=forged.model_dump_json())
    result = http.get("/v1/audit/verify?log=export", role="auditor").json_body
    assert result["valid"] is False and result["first_broken"] == victim.sequence
