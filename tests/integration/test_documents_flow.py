"""Document images inside the sign-up flow, uploaded as a channel would: plain HTTP (urllib, as
curl would) to the presigned URLs, against the embedded AWS's loopback endpoint; the signature of
that exact request recomputed with botocore's signer (moto checks none); and the long-poll that
waits for what the client has not seen, with ETags."""
from __future__ import annotations

import time
import urllib.error
import urllib.request
from urllib.parse import parse_qs, urlsplit, urlunsplit

import pytest
from botocore.auth import S3SigV4QueryAuth
from botocore.awsrequest import AWSRequest

from chalicelib.domain.decisions import DocumentImages
from chalicelib.domain.models import ImageSide
from chalicelib.settings import get_settings
from chalicelib.stores import AWS, clients
from tests.conftest import ROOT
from tests.integration.conftest import applicant_body

SIDES = ["front", "back", "selfie"]
SAMPLE_IMAGES = ROOT / "data" / "samples" / "images"
IMAGES = {side: (SAMPLE_IMAGES / f"{'passport-' if side != 'selfie' else ''}{side}.jpg").read_bytes() for side in SIDES}


def sign_up_with_images(http, sides=SIDES) -> str:
    body = applicant_body()
    body["document"]["images"] = sides
    response = http.post("/v1/onboarding", body)
    assert response.status_code == 202, response.body
    return response.json_body["checkpoint_id"]


def waiting_for_documents(http, checkpoint_id: str) -> dict:
    view = http.wait_final(checkpoint_id, settled=("IN_REVIEW", "AWAITING_DOCUMENTS"))
    assert view["status"] == "AWAITING_DOCUMENTS", view
    return view


def upload(http, checkpoint_id: str, side: str) -> dict:
    """Ask for the presigned PUT and make it with urllib, sending exactly the headers returned."""
    response = http.post(f"/v1/checkpoints/{checkpoint_id}/documents",
                         {"side": side, "content_type": "image/jpeg", "size": len(IMAGES[side])}, key=False)
    assert response.status_code == 201, response.body
    instructions = response.json_body["upload"]
    request = urllib.request.Request(instructions["url"], data=IMAGES[side], method=instructions["method"],
                                     headers=instructions["headers"])
    with urllib.request.urlopen(request, timeout=10) as answer:
        assert answer.status == 200
    return instructions


def test_a_sign_up_waits_for_its_images_then_checks_them(http, stack):
    checkpoint_id = sign_up_with_images(http)
    view = waiting_for_documents(http, checkpoint_id)
    assert view["required_documents"] == [{"side": s, "received": False} for s in SIDES]
    for side in SIDES:
        upload(http, checkpoint_id, side)
    assert http.get(f"/v1/checkpoints/{checkpoint_id}").json_body["required_documents"] == [
        {"side": s, "received": True} for s in SIDES]
    completed = http.post(f"/v1/checkpoints/{checkpoint_id}/documents/complete", {}, key=False)
    assert completed.status_code == 200, completed.body
    assert completed.json_body["status"] in ("RUNNING", "APPROVED")  # the workflow resumed (and may have ended)
    final = http.wait_final(checkpoint_id)
    assert final["status"] == "APPROVED", final
    verification = AWS.customers.get(final["customer_id"]).verification
    assert {c.code: c.passed for c in verification.checks}["DOCUMENT_IMAGES"] is True
    s3, bucket = clients.client("s3"), stack.environment["DOCUMENTS_BUCKET"]
    for side in SIDES:
        key = f"checkpoints/{checkpoint_id}/documents/{side}"
        head = s3.head_object(Bucket=bucket, Key=key)
        assert head["ServerSideEncryption"] == "aws:kms" and head["ContentLength"] == len(IMAGES[side])
        assert head["SSEKMSKeyId"].endswith(stack.environment["DATA_KEY_ID"])
        assert {"Key": "record_class", "Value": "cdd_identity"} in s3.get_object_tagging(
            Bucket=bucket, Key=key)["TagSet"]
    again = http.post(f"/v1/checkpoints/{checkpoint_id}/documents/complete", {}, key=False)
    assert again.status_code == 409


def test_completing_with_an_image_missing_names_the_side(http):
    checkpoint_id = sign_up_with_images(http)
    waiting_for_documents(http, checkpoint_id)
    upload(http, checkpoint_id, "front")
    upload(http, checkpoint_id, "back")
    response = http.post(f"/v1/checkpoints/{checkpoint_id}/documents/complete", {}, key=False)
    assert response.status_code == 409
    assert response.json_body["error"]["code"] == "DOCUMENTS_MISSING"
    assert response.json_body["error"]["fields"] == [{"field": "document.images.selfie",
                                                      "reason": "has not been uploaded"}]
    assert http.get(f"/v1/checkpoints/{checkpoint_id}").json_body["status"] == "AWAITING_DOCUMENTS"


def test_images_that_never_arrive_end_the_sign_up(http, monkeypatch):
    monkeypatch.setattr(DocumentImages, "await_timeout_seconds", property(lambda self: 1))
    checkpoint_id = sign_up_with_images(http, ["front"])
    final = http.wait_final(checkpoint_id, settled=())
    assert final["status"] == "REJECTED"
    assert final["decision"]["decided_by"] == "documents-timeout"
    assert "DOCUMENTS_NOT_RECEIVED" in {r["code"] for r in final["decision"]["reasons"]}


def test_a_policy_can_require_images_per_document_type(http, monkeypatch):
    from chalicelib import policies

    policy = policies.onboarding_policy()
    required = policy.document_images.model_copy(update={"required": {**policy.document_images.required,
                                                                       "passport": (ImageSide.FRONT, ImageSide.SELFIE)}})
    monkeypatch.setattr(policies, "onboarding_policy", lambda: policy.model_copy(update={"document_images": required}))
    from chalicelib.services import onboarding

    monkeypatch.setattr(onboarding, "onboarding_policy", policies.onboarding_policy)
    body = applicant_body()
    body["document"]["images"] = ["front"]
    response = http.post("/v1/onboarding", body)
    assert response.status_code == 400
    assert response.json_body["error"]["fields"] == [{"field": "document.images",
                                                      "reason": "must include selfie for a passport"}]


def test_the_presigned_upload_is_signed_for_exactly_the_request_the_client_makes(http, stack):
    checkpoint_id = sign_up_with_images(http, ["front"])
    waiting_for_documents(http, checkpoint_id)
    instructions = upload(http, checkpoint_id, "front")
    url = urlsplit(instructions["url"])
    query = parse_qs(url.query)
    assert url.netloc == urlsplit(get_settings().public_endpoint).netloc  # the loopback endpoint, path style
    signed = query["X-Amz-SignedHeaders"][0].split(";")
    assert sorted(signed) == sorted(["host", *instructions["headers"]])
    assert {"x-amz-server-side-encryption", "x-amz-server-side-encryption-aws-kms-key-id"} <= set(signed)
    # Recompute the signature of the request the client sent (the headers returned, host as urllib sends it).
    unsigned = [(k, v[0]) for k, v in parse_qs(url.query).items() if k != "X-Amz-Signature"]
    request = AWSRequest(method="PUT", url=urlunsplit(url._replace(query="")), params=dict(unsigned),
                         headers={**instructions["headers"], "host": url.netloc})
    request.context["timestamp"] = query["X-Amz-Date"][0]
    credentials = clients.presigner(get_settings().public_endpoint)._request_signer._credentials
    signer = S3SigV4QueryAuth(credentials.get_frozen_credentials(), "s3", stack.region, expires=300)
    canonical = signer.canonical_request(request)
    expected = signer.signature(signer.string_to_sign(request, canonical), request)
    assert expected == query["X-Amz-Signature"][0]


def test_the_long_poll_waits_for_what_the_client_has_not_seen_and_etags_say_when_nothing_changed(http):
    checkpoint_id = sign_up_with_images(http, ["front"])
    view = waiting_for_documents(http, checkpoint_id)
    response = http.get(f"/v1/checkpoints/{checkpoint_id}")
    tag = response.headers["ETag"]
    unchanged = http.client.http.get(f"/v1/checkpoints/{checkpoint_id}",
                                     headers={**http.auth("channel"), "If-None-Match": tag})
    assert unchanged.status_code == 304 and unchanged.headers["ETag"] == tag and not unchanged.body
    started = time.monotonic()
    waited = http.get(f"/v1/checkpoints/{checkpoint_id}?wait=1&seen={view['updated_at']}").json_body
    assert time.monotonic() - started >= 0.9 and waited["updated_at"] == view["updated_at"]  # nothing new
    upload(http, checkpoint_id, "front")
    http.post(f"/v1/checkpoints/{checkpoint_id}/documents/complete", {}, key=False)
    started = time.monotonic()
    moved = http.get(f"/v1/checkpoints/{checkpoint_id}?wait=20&seen={view['updated_at']}").json_body
    assert moved["updated_at"] != view["updated_at"] and time.monotonic() - started < 5
    changed = http.client.http.get(f"/v1/checkpoints/{checkpoint_id}",
                                   headers={**http.auth("channel"), "If-None-Match": tag})
    assert changed.status_code == 200 and changed.headers["ETag"] != tag


@pytest.mark.parametrize("seen", ["yesterday", "1733000000", "2026-12-01T10:00:00"])
def test_seen_must_be_a_timestamp_with_a_zone(http, seen):
    checkpoint_id = sign_up_with_images(http, [])
    response = http.get(f"/v1/checkpoints/{checkpoint_id}?seen={seen}")
    assert response.status_code == 400 and response.json_body["error"]["fields"][0]["field"] == "query.seen"
