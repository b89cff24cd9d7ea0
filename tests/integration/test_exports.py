"""Data-portability exports: built on moto, downloaded through the presigned link, unzipped,
every SHA-256 recomputed against the manifest and the content compared with the source records."""
from __future__ import annotations

import csv
import hashlib
import io
import json
import urllib.request
import zipfile

import pytest

from chalicelib.stores import AWS
from chalicelib.stores.document_bucket import package_key
from chalicelib.domain.audit_log import LogName
from chalicelib.services import exports as export_service
from tests.integration.conftest import applicant_body
from tests.integration.test_offboarding_workflow import closure, routine_transactions


@pytest.fixture(scope="module")
def closed_customer(http) -> tuple[str, list[dict]]:
    onboarded = http.wait_final(http.post("/v1/onboarding", applicant_body()).json_body["checkpoint_id"])
    transactions = routine_transactions()
    checkpoint_id = http.post("/v1/offboarding", closure(onboarded["customer_id"], transactions=transactions,
                                                         export=True)).json_body["checkpoint_id"]
    final = http.wait_final(checkpoint_id)
    assert final["status"] == "CLOSED"
    assert next(s for s in final["steps"] if s["name"] == "export")["reasons"][0]["code"] == "EXPORT_READY"
    return onboarded["customer_id"], transactions


def download(http, export_id: str) -> tuple[dict, zipfile.ZipFile]:
    view = http.get(f"/v1/exports/{export_id}").json_body
    assert view["status"] == "READY", view
    with urllib.request.urlopen(view["download"]["url"], timeout=10) as answer:  # plain HTTP, as curl would
        body = answer.read()
    assert len(body) == view["size"] and hashlib.sha256(body).hexdigest() == view["sha256"]
    return view, zipfile.ZipFile(io.BytesIO(body))


def test_an_export_is_downloaded_unzipped_and_checked_against_its_manifest(http, closed_customer):
    customer_id, transactions = closed_customer
    response = http.post("/v1/exports", {"customer_id": customer_id, "formats": ["json", "csv"],
                                         "include": ["profile", "accounts", "transactions", "screening_summary"]},
                         key=False)
    assert response.status_code == 202, response.body
    export_id = response.json_body["export_id"]
    view, archive = download(http, export_id)
    manifest = json.loads(archive.read("manifest.json"))
    assert manifest["export_id"] == export_id and manifest["customer_id"] == customer_id
    for entry in manifest["files"]:
        data = archive.read(entry["name"])
        assert hashlib.sha256(data).hexdigest() == entry["sha256"] and len(data) == entry["bytes"]
    assert "README.txt" in archive.namelist()

    exported = json.loads(archive.read("transactions.json"))
    assert len(exported) == len(transactions)
    source = {t["transaction_id"]: t for t in transactions}
    for record in exported:
        original = source[record["TransactionId"]]
        assert record["Amount"] == {"Amount": original["amount"], "Currency": "EUR"}
        assert record["CreditDebitIndicator"] == original["direction"].capitalize()
        assert record["BookingDateTime"].endswith("Z")
    rows = list(csv.DictReader(io.StringIO(archive.read("transactions.csv").decode())))
    assert len(rows) == len(transactions)
    profile = json.loads(archive.read("profile.json"))[0]
    record = AWS.customers.get(customer_id)
    assert (profile["FamilyName"], profile["Status"]) == (record.profile.family_name, "closed")

    again = http.get(f"/v1/exports/{export_id}").json_body
    assert again["download"]["url"] != view["download"]["url"] or again["download"]["expires_at"] >= view["download"]["expires_at"]
    logged = [(e.event, e.subject) for e in AWS.audit.entries(LogName.EXPORT)]
    assert ("export_created", export_id) in logged and logged.count(("link_issued", export_id)) >= 2


def test_bad_export_requests_are_clear_4xx(http, closed_customer):
    customer_id, _ = closed_customer
    unknown = http.post("/v1/exports", {"customer_id": "cus_" + "0" * 32, "include": ["profile"]}, key=False)
    assert unknown.status_code == 422 and unknown.json_body["error"]["code"] == "UNKNOWN_CUSTOMER"
    bad = http.post("/v1/exports", {"customer_id": customer_id, "formats": ["xml"], "include": []}, key=False)
    assert bad.status_code == 400
    assert {f["field"] for f in bad.json_body["error"]["fields"]} == {"formats.0", "include"}
    other_channel = http.client.http.post("/v1/exports", body=json.dumps({"customer_id": customer_id, "include": ["profile"]}),
                                          headers={"Content-Type": "application/json", **http.auth("channel", "mobile-app")})
    assert other_channel.status_code == 422


def test_an_export_that_fails_midway_leaves_nothing_ready_and_can_be_retried(http, closed_customer, monkeypatch):
    customer_id, _ = closed_customer

    def broken(customer_id, stores):
        yield {"TransactionId": "t-1"}
        raise OSError("core banking file unreadable")

    monkeypatch.setattr(export_service, "_transactions", broken)
    response = http.post("/v1/exports", {"customer_id": customer_id, "include": ["profile", "transactions"]},
                         key=False)
    export_id = response.json_body["export_id"]
    failed = http.get(f"/v1/exports/{export_id}").json_body
    assert failed["status"] == "FAILED" and "download" not in failed
    assert not AWS.documents.exists(package_key(customer_id, export_id))
    monkeypatch.undo()
    retried = http.post("/v1/exports", {"customer_id": customer_id, "include": ["profile", "transactions"]}, key=False)
    assert http.get(f"/v1/exports/{retried.json_body['export_id']}").json_body["status"] == "READY"
