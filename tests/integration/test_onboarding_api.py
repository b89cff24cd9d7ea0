"""The sign-up API's contract: validation, idempotency, long-poll, uploads, health."""
from __future__ import annotations

import uuid

import pytest
import requests

from chalicelib.stores import AWS, clients
from tests.integration.conftest import applicant_body


def fields_of(response) -> dict[str, str]:
    body = response.json_body
    assert set(body) == {"error"}
    return {f["field"]: f["reason"] for f in body["error"].get("fields", [])}


def test_invalid_body_is_400_naming_each_field_and_reason(http):
    body = applicant_body(**{"applicant.birth_date": "17/04/1988", "applicant.nationality": "Sweden",
                             "document.type": "visa", "applicant.email": "not-an-email"})
    del body["applicant"]["family_name"]
    body["channel"]["unexpected"] = True
    response = http.post("/v1/onboarding", body)
    assert response.status_code == 400
    assert response.json_body["error"]["code"] == "VALIDATION_FAILED"
    assert fields_of(response) == {
        "applicant.family_name": "is required",
        "applicant.birth_date": "must be a date (YYYY-MM-DD)",
        "applicant.nationality": "must be an ISO 3166-1 alpha-2 or alpha-3 country code",
        "applicant.email": "must be an email address",
        "document.type": "must be one of 'passport', 'id_card' or 'residence_permit'",
        "channel.unexpected": "is not a known field",
    }


@pytest.mark.parametrize("raw, code", [
    (b"{not json", "MALFORMED_JSON"),
    (b"\xff\xfe\x00", "MALFORMED_JSON"),
    (b"[]", "VALIDATION_FAILED"),
    (b"", "MALFORMED_JSON"),
])
def test_unreadable_bodies_are_400(http, raw, code):
    response = http.post("/v1/onboarding", raw)
    assert response.status_code == 400
    assert response.json_body["error"]["code"] == code


@pytest.mark.parametrize("key", [False, "", "not-a-uuid"])
def test_missing_or_bad_idempotency_key_is_400(http, key):
    response = http.post("/v1/onboarding", applicant_body(), key=key)
    assert response.status_code == 400
    assert response.json_body["error"]["code"] == "INVALID_IDEMPOTENCY_KEY"
    assert "header.Idempotency-Key" in fields_of(response)


def test_same_key_same_body_returns_the_same_checkpoint(http):
    key, body = str(uuid.uuid4()), applicant_body()
    first = http.post("/v1/onboarding", body, key=key)
    second = http.post("/v1/onboarding", body, key=key)
    assert first.status_code == second.status_code == 202
    assert first.json_body["checkpoint_id"] == second.json_body["checkpoint_id"]


def test_same_key_other_body_is_422_and_starts_nothing(http):
    key, body = str(uuid.uuid4()), applicant_body()
    first = http.post("/v1/onboarding", body, key=key)
    other = applicant_body(**{"applicant.family_name": "Someone Else"})
    response = http.post("/v1/onboarding", other, key=key)
    assert response.status_code == 422
    assert response.json_body["error"]["code"] == "IDEMPOTENCY_KEY_REUSED"
    assert first.json_body["checkpoint_id"]


def test_unknown_checkpoint_is_404(http):
    for path in (f"/v1/checkpoints/cp_{uuid.uuid4().hex}", "/v1/checkpoints/../../etc"):
        response = http.get(path)
        assert response.status_code in (403, 404)
        if response.status_code == 404:
            assert response.json_body["error"]["code"] == "NOT_FOUND"


@pytest.mark.parametrize("wait", ["-1", "21", "abc", "1.5"])
def test_wait_parameter_is_validated(http, wait):
    checkpoint_id = http.post("/v1/onboarding", applicant_body()).json_body["checkpoint_id"]
    response = http.get(f"/v1/checkpoints/{checkpoint_id}?wait={wait}")
    assert response.status_code == 400
    assert "query.wait" in fields_of(response)


def test_document_upload_url_is_bound_to_type_and_size(http, stack):
    checkpoint_id = http.post("/v1/onboarding", applicant_body()).json_body["checkpoint_id"]
    response = http.post(f"/v1/checkpoints/{checkpoint_id}/documents",
                         {"side": "front", "content_type": "image/jpeg", "size": 2048}, key=False)
    assert response.status_code == 201, response.body
    upload = response.json_body["upload"]
    assert upload["method"] == "PUT" and upload["expires_in"] == 300
    assert "X-Amz-Signature=" in upload["url"]
    assert "content-length%3Bcontent-type" in upload["url"] or "content-length;content-type" in upload["url"]
    put = requests.put(upload["url"], data=b"\xff" * 2048, headers=upload["headers"], timeout=5)
    assert put.status_code == 200, put.text
    stored = clients.client("s3").head_object(Bucket=stack.environment["DOCUMENTS_BUCKET"],
                                              Key=f"checkpoints/{checkpoint_id}/documents/front")
    assert stored["ContentLength"] == 2048 and stored["ServerSideEncryption"] == "aws:kms"

    too_big = http.post(f"/v1/checkpoints/{checkpoint_id}/documents",
                        {"side": "front", "content_type": "image/jpeg", "size": 50 * 1024 * 1024}, key=False)
    assert too_big.status_code == 400 and "size" in fields_of(too_big)
    wrong_type = http.post(f"/v1/checkpoints/{checkpoint_id}/documents",
                           {"side": "front", "content_type": "text/html", "size": 10}, key=False)
    assert wrong_type.status_code == 400 and "content_type" in fields_of(wrong_type)


def test_health_reports_list_and_policy_versions(http):
    response = http.get("/v1/health")
    assert response.status_code == 200
    body = response.json_body
    assert body["status"] == "ok"
    assert body["lists"]["ofac-sdn"]["snapshot"] == "2021-07-07"
    assert {"onboarding-decision", "offboarding-decision", "exit-risk", "screening", "list-sources"} <= \
        set(body["policies"])
    assert set(body["lists"]) == {"ofac-sdn", "ofac-consolidated", "un-sc", "pep-us-congress", "uk-fcdo", "eu-fsf",
                                  "ofac-sdn-advanced", "ofac-consolidated-advanced", "opensanctions-default",
                                  "internal"}  # not uk-ofsi (retired)
    assert body["lists"]["uk-fcdo"] is None  # in force from its first version on: not required until loaded
    assert body["lists"]["opensanctions-default"] is None  # a subscription: none shipped


def test_final_status_never_goes_back(http):
    checkpoint_id = http.post("/v1/onboarding", applicant_body()).json_body["checkpoint_id"]
    assert http.wait_final(checkpoint_id)["status"] == "APPROVED"
    from chalicelib.domain.checkpoint import CheckpointStatus
    from chalicelib.errors import Conflict

    with pytest.raises(Conflict):
        AWS.checkpoints.transition(checkpoint_id, CheckpointStatus.FAILED)
    with pytest.raises(Conflict):
        AWS.checkpoints.enter_review(checkpoint_id, "token", (), level=1)
    assert AWS.checkpoints.transition(checkpoint_id, CheckpointStatus.APPROVED) is False  # a retried write: no-op
    assert AWS.checkpoints.get(checkpoint_id).status == CheckpointStatus.APPROVED


def test_a_corrupt_stored_checkpoint_is_a_500_that_names_no_field(http, stack):
    checkpoint_id = http.post("/v1/onboarding", applicant_body()).json_body["checkpoint_id"]
    http.wait_final(checkpoint_id)
    clients.table(stack.environment["CHECKPOINTS_TABLE"]).update_item(
        Key={"checkpoint_id": checkpoint_id}, UpdateExpression="REMOVE request_key SET #k = :bad",
        ExpressionAttributeNames={"#k": "kind"}, ExpressionAttributeValues={":bad": 42})
    for role in ("channel", "compliance"):
        response = http.get(f"/v1/checkpoints/{checkpoint_id}", role=role)
        assert response.status_code == 500, response.body
        assert response.json_body == {"error": {"code": "INTERNAL",
                                                "message": "An internal error occurred; it has been logged."}}
