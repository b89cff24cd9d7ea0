"""The reviewer's case file over the API: the person beside the listed entry attribute by attribute,
the document images behind short-lived links, claims and notes, and purpose-bound access to former
customers with every read in the data access log, whose chain catches tampering."""
from __future__ import annotations

import json
import urllib.request
from datetime import date

import pytest

from chalicelib.domain.audit_log import AuditEntry, LogName
from chalicelib.settings import get_settings
from chalicelib.stores import AWS, clients
from tests.integration.conftest import applicant_body
from tests.integration.test_documents_flow import IMAGES, sign_up_with_images, upload, waiting_for_documents
from tests.integration.test_offboarding_workflow import closure, large_outflow, new_customer, start

# OFAC SDN entry 4106: HERRERA BUITRAGO, Helmer, born 24 Aug 1951 (alt. 05 Jul 1951), passport J287011.
POSSIBLE_MATCH = {"applicant.given_names": "Helmer", "applicant.family_name": "Herrera Buitrago",
                  "applicant.birth_date": "1990-02-03", "applicant.nationality": "CO"}
PURPOSE = {"X-Access-Purpose": "regulatory_request", "X-Access-Reference": "FIU-2026-0117"}


def case_file(http, checkpoint_id: str, officer: str = "officer-1", headers: dict | None = None):
    return http.client.http.get(f"/v1/reviews/{checkpoint_id}",
                                headers={**http.auth("compliance", officer), **(headers or {})})


def post(http, path: str, officer: str, body: dict | None = None):
    return http.client.http.post(path, headers={"Content-Type": "application/json", **http.auth("compliance", officer)},
                                 body=json.dumps(body or {}))


def data_access_entries(subject: str) -> list[AuditEntry]:
    return [e for e in AWS.audit.entries(LogName.DATA_ACCESS) if e.subject == subject]


@pytest.fixture(scope="module")
def possible_match(http) -> str:
    """A sign-up in review with its passport images uploaded."""
    body = applicant_body(**POSSIBLE_MATCH)
    body["document"]["images"] = ["front", "back"]
    checkpoint_id = http.post("/v1/onboarding", body).json_body["checkpoint_id"]
    waiting_for_documents(http, checkpoint_id)
    for side in ("front", "back"):
        upload(http, checkpoint_id, side)
    assert http.post(f"/v1/checkpoints/{checkpoint_id}/documents/complete", {}, key=False).status_code == 200
    assert http.wait_final(checkpoint_id)["status"] == "IN_REVIEW"
    return checkpoint_id


def test_the_case_file_puts_the_applicant_beside_the_listed_entry(http, possible_match):
    response = case_file(http, possible_match)
    assert response.status_code == 200, response.body
    case = response.json_body
    [applicant] = case["subjects"]
    assert (applicant["subject"], applicant["role"], applicant["relationship"]) == ("applicant", "applicant",
                                                                                    "applicant")
    assert (applicant["family_name"], applicant["birth_date"], applicant["document"]["type"]) == (
        "Herrera Buitrago", "1990-02-03", "passport")
    [match] = [m for m in case["matches"] if m["match"]["source_id"] == "4106"]
    listed = match["listed"]
    assert listed["list_version"] == match["match"]["list_version"] and listed["entry_hash"] == match["match"][
        "entry_hash"]
    assert {"name": "Helmer HERRERA BUITRAGO", "quality": "primary"} in listed["names"]
    assert {"name": "PACHO", "quality": "weak_alias"} in listed["names"]
    assert [b["value"] for b in listed["birth_dates"]] == ["1951-08-24", "1951-07-05"]
    assert listed["programmes"] == ["SDNT"] and listed["remarks"].startswith("DOB 24 Aug 1951")
    by_attribute = {c["attribute"]: c for c in match["comparison"]}
    assert by_attribute["birth_date"] == {
        "attribute": "birth_date", "agreement": "differs", "subject": "1990-02-03",
        "listed": ["1951-08-24", "1951-07-05"], "detail": "no listed birth date is consistent with it"}
    assert by_attribute["name"]["agreement"] == "agrees"
    assert by_attribute["document"]["agreement"] == "differs"  # another passport number is listed
    assert by_attribute["nationality"]["agreement"] == "unknown"  # the SDN entry names no nationality
    assert (by_attribute["address_country"]["agreement"], by_attribute["address_country"]["subject"],
            by_attribute["address_country"]["listed"]) == ("differs", "SWE", ["Colombia"])
    assert case["review"]["level"] == 1 and case["review"]["due_at"] > case["review"]["in_review_since"]
    assert case["access"]["purpose"] == "case_review" and case["access"]["reference"] == possible_match


def test_the_document_images_are_behind_short_lived_links_a_browser_can_follow(http, possible_match):
    case = case_file(http, possible_match).json_body
    images = {i["side"]: i for i in case["subjects"][0]["images"]}
    assert set(images) == {"front", "back"}
    with urllib.request.urlopen(images["front"]["url"], timeout=10) as answer:  # plain HTTP, as a browser would
        assert answer.read() == IMAGES["front"]
    assert "X-Amz-Expires=300" in images["front"]["url"]


def test_every_read_is_logged_with_the_reader_the_purpose_and_the_fields_never_the_values(http, possible_match):
    before = len(data_access_entries(possible_match))
    case = case_file(http, possible_match, officer="officer-logged").json_body
    entries = data_access_entries(possible_match)
    assert len(entries) == before + 1
    entry = entries[-1]
    assert entry.sequence == case["access"]["log_sequence"] and entry.event == "case_file_read"
    assert entry.details["reader"] == "officer-logged" and entry.details["purpose"] == "case_review"
    assert {"subjects.birth_date", "subjects.images", "matches.comparison"} <= set(entry.details["fields"].split(","))
    assert entry.details["customer_ids"] == case["subjects"][0]["customer_id"]
    logged = json.dumps(entry.model_dump())
    assert "Herrera" not in logged and "1990-02-03" not in logged and "XK4419027" not in logged


def test_a_claimed_case_is_decided_only_by_its_holder(http):
    checkpoint_id = http.post("/v1/onboarding", applicant_body(**POSSIBLE_MATCH)).json_body["checkpoint_id"]
    assert http.wait_final(checkpoint_id)["status"] == "IN_REVIEW"
    claimed = post(http, f"/v1/reviews/{checkpoint_id}/claim", "officer-ana")
    assert claimed.status_code == 200, claimed.body
    assert claimed.json_body["assignee"]["subject"] == "officer-ana"
    assert post(http, f"/v1/reviews/{checkpoint_id}/claim", "officer-ana").status_code == 200  # again: a no-op
    held = post(http, f"/v1/reviews/{checkpoint_id}/claim", "officer-ben")
    assert held.status_code == 409 and held.json_body["error"]["code"] == "CASE_HELD"
    assert "officer-ana" in held.json_body["error"]["message"]
    queued = http.get("/v1/reviews?assigned=me&limit=100", role="compliance")  # compliance-tester holds none
    assert checkpoint_id not in {i["checkpoint_id"] for i in queued.json_body["items"]}
    mine = http.client.http.get("/v1/reviews?assigned=me&kind=onboarding&limit=100",
                                headers=http.auth("compliance", "officer-ana")).json_body["items"]
    assert [i["assignee"]["subject"] for i in mine if i["checkpoint_id"] == checkpoint_id] == ["officer-ana"]
    unheld = http.get("/v1/reviews?assigned=none&limit=100", role="compliance").json_body["items"]
    assert checkpoint_id not in {i["checkpoint_id"] for i in unheld}

    lost = http.decide(checkpoint_id, "approve", "I think it is fine", reviewer="officer-ben")
    assert lost.status_code == 409 and lost.json_body["error"]["code"] == "CASE_HELD"
    assert post(http, f"/v1/reviews/{checkpoint_id}/release", "officer-ben").json_body["error"]["code"] == "NOT_HELD"
    note = post(http, f"/v1/reviews/{checkpoint_id}/notes", "officer-ben", {"text": "Ana, see the birth dates."})
    assert note.status_code == 201 and note.json_body["sequence"] == 1
    released = post(http, f"/v1/reviews/{checkpoint_id}/release", "officer-ana")
    assert released.status_code == 200 and "assignee" not in released.json_body
    assert http.decide(checkpoint_id, "approve", "born 1990, listed 1951", reviewer="officer-ben").status_code == 200
    response = case_file(http, checkpoint_id)
    assert response.status_code == 200, response.body
    case = response.json_body
    assert [(a["event"], a["by"]) for a in case["activity"]] == [
        ("claimed", "officer-ana"), ("note_added", "officer-ben"), ("released", "officer-ana")]
    assert case["notes"] == [{"sequence": 1, "author": "officer-ben", "at": note.json_body["at"],
                              "text": "Ana, see the birth dates."}]
    assert case["decisions"][0]["reviewer"] == "officer-ben"
    assert "4106" in {c["entry_id"] for c in case["clearances"]}  # the approval cleared the match for the person


def test_a_closure_case_names_every_holder_and_the_flagged_transactions(http):
    customer_id, joint = new_customer(), new_customer("Astrid", "Berg", date(1979, 5, 2))
    body = closure(customer_id, holders=[customer_id, joint], consents=[joint], transactions=large_outflow())
    checkpoint_id = start(http, body)
    assert http.wait_final(checkpoint_id)["status"] == "IN_REVIEW"
    case = case_file(http, checkpoint_id).json_body
    assert [(s["subject"], s["role"]) for s in case["subjects"]] == [(customer_id, "customer"), (joint, "joint_holder")]
    assert "LARGE_OUTFLOW" in {f["code"] for f in case["exit_risk"]["flags"]}
    assert "tx-large-1" in {t["transaction_id"] for t in case["exit_risk"]["transactions"]}
    assert case["matches"] == []
    assert http.decide(checkpoint_id, "approve", "house purchase").status_code == 200


def test_a_former_customers_case_file_needs_a_purpose_and_is_logged_with_it(http):
    customer_id = new_customer()
    checkpoint_id = start(http, closure(customer_id, transactions=large_outflow()))
    assert http.wait_final(checkpoint_id)["status"] == "IN_REVIEW"
    assert http.decide(checkpoint_id, "approve", "outflow explained").status_code == 200
    assert http.wait_final(checkpoint_id, settled=())["status"] == "CLOSED"

    refused = case_file(http, checkpoint_id)
    assert refused.status_code == 403 and refused.json_body["error"]["code"] == "PURPOSE_REQUIRED"
    assert {f["field"] for f in refused.json_body["error"]["fields"]} == {"header.X-Access-Purpose",
                                                                          "header.X-Access-Reference"}
    not_enough = case_file(http, checkpoint_id, headers={"X-Access-Purpose": "case_review", "X-Access-Reference": "x"})
    assert not_enough.status_code == 403 and "case_review does not open it" in not_enough.json_body["error"]["message"]
    half = case_file(http, checkpoint_id, headers={"X-Access-Purpose": "legal_claim"})
    assert half.status_code == 400 and half.json_body["error"]["fields"][0]["field"] == "header.X-Access-Reference"
    assert data_access_entries(checkpoint_id) == []  # nothing read, nothing logged

    granted = case_file(http, checkpoint_id, officer="officer-fiu", headers=PURPOSE)
    assert granted.status_code == 200, granted.body
    assert granted.json_body["subjects"][0]["relationship"] == "closed"
    [entry] = data_access_entries(checkpoint_id)
    assert (entry.details["reader"], entry.details["purpose"], entry.details["reference"]) == (
        "officer-fiu", "regulatory_request", "FIU-2026-0117")
    assert entry.details["former_customers"] == customer_id

    plan = http.client.http.get(f"/v1/checkpoints/{checkpoint_id}", headers=http.auth("compliance", "officer-fiu"))
    assert plan.status_code == 403 and plan.json_body["error"]["code"] == "PURPOSE_REQUIRED"
    channel = http.get(f"/v1/checkpoints/{checkpoint_id}")  # the customer's own channel needs none
    assert channel.status_code == 200 and channel.json_body["plan"]


def test_tampering_with_a_data_access_entry_is_caught_by_the_verification(http, possible_match):
    case_file(http, possible_match)
    s3, bucket = clients.client("s3"), get_settings().audit_bucket
    keys = [o["Key"] for o in s3.list_objects_v2(Bucket=bucket, Prefix="audit/data-access/")["Contents"]]
    assert http.get("/v1/audit/verify?log=data-access", role="auditor").json_body["valid"] is True
    key = keys[0]
    original = s3.get_object(Bucket=bucket, Key=key)["Body"].read()
    entry = json.loads(original.splitlines()[0])
    entry["details"]["purpose"] = "audit_sample"  # someone rewrites why a read was made
    try:
        s3.put_object(Bucket=bucket, Key=key, Body=(json.dumps(entry) + "\n").encode())
        verdict = http.get("/v1/audit/verify?log=data-access", role="auditor").json_body
        assert verdict["valid"] is False and verdict["first_broken"] == entry["sequence"]
        assert verdict["reason"] == "the entry's content does not match its hash"
    finally:
        s3.put_object(Bucket=bucket, Key=key, Body=original)
    assert http.get("/v1/audit/verify?log=data-access", role="auditor").json_body["valid"] is True
