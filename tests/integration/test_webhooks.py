"""Webhooks on the embedded stack, delivered over real HTTP to a receiver on loopback: signed as
Standard Webhooks says, verified with the standardwebhooks package as a receiver would, retried
with the same webhook-id after a failure (the retry poller driven with a clock, never a sleep),
rotated secrets signing side by side, and nothing for a channel whose records it is not."""
from __future__ import annotations

import json
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest

from app import webhook_retries
from chalicelib.local.webhook_receiver import Receiver
from tests.integration.conftest import applicant_body
from tests.integration.test_offboarding_workflow import closure, large_outflow, new_customer, start
from tests.integration.test_retention_schedule import scheduled_event


def events_of(receiver: Receiver, checkpoint_id: str) -> list[tuple[str, dict, object]]:
    """(webhook-id, payload, verified) of every delivery about the checkpoint, in arrival order."""
    found = []
    for item in receiver.received:
        payload = json.loads(item.body)
        if payload["data"].get("checkpoint_id") == checkpoint_id:
            found.append((item.headers["webhook-id"], payload, item.verified))
    return found


def status_changes(receiver: Receiver, checkpoint_id: str) -> list[tuple[str, str]]:
    return [(p["data"]["previous_status"], p["data"]["status"]) for _, p, _ in events_of(receiver, checkpoint_id)
            if p["type"] == "checkpoint.status_changed"]


def delivery_of(http, webhook_id: str, event_id: str, settled=lambda d: d["attempts"], timeout: float = 10) -> dict:
    """The delivery of the event, once `settled` (by default: once an attempt is recorded; the
    receiver has the request a moment before the sender records the answer)."""
    deadline = time.monotonic() + timeout
    while True:
        found = [d for d in http.get(f"/v1/webhooks/{webhook_id}/deliveries").json_body["items"]
                 if d["event_id"] == event_id]
        if (found and settled(found[0])) or time.monotonic() > deadline:
            return found[0]
        time.sleep(0.05)


@pytest.fixture
def subscribed(http) -> Iterator[tuple[Receiver, dict]]:
    receiver = Receiver().start()
    response = http.post("/v1/webhooks", {"url": receiver.url, "events": ["checkpoint.status_changed",
                                                                         "checkpoint.action_required"]}, key=False)
    assert response.status_code == 201, response.body
    created = response.json_body
    assert created["secret"].startswith("whsec_")
    receiver.secret = created["secret"]
    yield receiver, created
    http.client.http.delete(f"/v1/webhooks/{created['webhook_id']}", headers=http.auth("channel"))
    receiver.stop()


def test_a_sign_up_is_announced_signed_and_without_personal_data(http, subscribed):
    receiver, webhook = subscribed
    body = applicant_body()
    checkpoint_id = http.post("/v1/onboarding", body).json_body["checkpoint_id"]
    assert http.wait_final(checkpoint_id)["status"] == "APPROVED"
    receiver.wait_for(lambda r: checkpoint_id in r.body and '"APPROVED"' in r.body)
    [(webhook_id, payload, verified)] = events_of(receiver, checkpoint_id)
    assert verified is True and webhook_id.startswith("evt_")
    assert payload["type"] == "checkpoint.status_changed" and payload["timestamp"].endswith("Z")
    assert payload["data"] == {"checkpoint_id": checkpoint_id, "kind": "onboarding", "previous_status": "RUNNING",
                               "status": "APPROVED", "customer_id": payload["data"]["customer_id"]}
    text = json.dumps([r.body for r in receiver.received])
    for personal in (body["applicant"]["family_name"], body["applicant"]["email"], body["document"]["number"]):
        assert personal not in text
    delivery = delivery_of(http, webhook["webhook_id"], webhook_id)
    assert delivery["status"] == "succeeded" and delivery["attempts"][0]["status_code"] == 204


def test_a_failed_delivery_is_tried_again_with_the_same_webhook_id(http, subscribed):
    receiver, webhook = subscribed
    receiver.answers = [500]
    checkpoint_id = http.post("/v1/onboarding", applicant_body()).json_body["checkpoint_id"]
    http.wait_final(checkpoint_id)
    receiver.wait_for(lambda r: checkpoint_id in r.body)
    [(first_id, _, _)] = events_of(receiver, checkpoint_id)
    pending = delivery_of(http, webhook["webhook_id"], first_id)
    assert pending["status"] == "pending" and pending["attempts"][0]["error"] == "http_500"
    due = datetime.fromisoformat(pending["next_attempt_at"].replace("Z", "+00:00"))
    assert timedelta(seconds=4) < due - datetime.fromisoformat(pending["created_at"].replace("Z", "+00:00")) < \
        timedelta(seconds=7)  # the policy's first retry delay: 5 s

    webhook_retries(scheduled_event(due - timedelta(seconds=1)), None)  # not yet due: nothing is sent
    assert len(events_of(receiver, checkpoint_id)) == 1
    webhook_retries(scheduled_event(due), None)
    deliveries = events_of(receiver, checkpoint_id)
    assert [d[0] for d in deliveries] == [first_id, first_id] and all(d[2] for d in deliveries)
    done = delivery_of(http, webhook["webhook_id"], first_id, settled=lambda d: len(d["attempts"]) == 2)
    assert done["status"] == "succeeded" and len(done["attempts"]) == 2 and done["next_attempt_at"] is None


def test_a_closures_review_decision_reaches_the_channel(http, subscribed):
    receiver, _ = subscribed
    checkpoint_id = start(http, closure(new_customer(), transactions=large_outflow()))
    assert http.wait_final(checkpoint_id)["status"] == "IN_REVIEW"
    assert http.decide(checkpoint_id, "approve", "outflow explained").status_code == 200
    http.wait_final(checkpoint_id, settled=())
    receiver.wait_for(lambda r: checkpoint_id in r.body and '"CLOSED"' in r.body)
    assert status_changes(receiver, checkpoint_id) == [("RUNNING", "IN_REVIEW"), ("IN_REVIEW", "CLOSED")]
    assert all(verified for _, _, verified in events_of(receiver, checkpoint_id))


def test_a_sign_up_to_correct_is_announced_with_the_fields_and_its_correction_too(http, subscribed):
    from tests.integration.test_signup_corrections import mistyped_number

    receiver, _ = subscribed
    body, right = mistyped_number()
    checkpoint_id = http.post("/v1/onboarding", body).json_body["checkpoint_id"]
    assert http.wait_final(checkpoint_id, settled=("ACTION_REQUIRED",))["status"] == "ACTION_REQUIRED"
    receiver.wait_for(lambda r: checkpoint_id in r.body and "checkpoint.action_required" in r.body)
    [asked] = [p for _, p, _ in events_of(receiver, checkpoint_id) if p["type"] == "checkpoint.action_required"]
    assert asked["data"]["action"] == "correct_application"
    assert asked["data"]["actions"] == [{"field": "document.number", "code": "MRZ_DOCUMENT_NUMBER_MATCH"}]
    assert http.patch(f"/v1/checkpoints/{checkpoint_id}", {"document": {"number": right}}).status_code == 200
    assert http.wait_final(checkpoint_id)["status"] == "APPROVED"
    receiver.wait_for(lambda r: checkpoint_id in r.body and '"APPROVED"' in r.body)
    assert status_changes(receiver, checkpoint_id) == [("RUNNING", "ACTION_REQUIRED"), ("ACTION_REQUIRED", "RUNNING"),
                                                       ("RUNNING", "APPROVED")]
    assert right not in json.dumps([r.body for r in receiver.received])


def test_another_channel_neither_sees_the_webhook_nor_gets_the_events(http, subscribed):
    receiver, webhook = subscribed
    other = Receiver().start()
    try:
        theirs = http.client.http.post("/v1/webhooks", headers={"Content-Type": "application/json",
                                                                **http.auth("channel", "mobile-app")},
                                       body=json.dumps({"url": other.url, "events": ["checkpoint.status_changed"]}))
        assert theirs.status_code == 201
        for path in (f"/v1/webhooks/{webhook['webhook_id']}", f"/v1/webhooks/{webhook['webhook_id']}/deliveries"):
            assert http.client.http.get(path, headers=http.auth("channel", "mobile-app")).status_code == 404
        checkpoint_id = http.post("/v1/onboarding", applicant_body()).json_body["checkpoint_id"]
        http.wait_final(checkpoint_id)
        receiver.wait_for(lambda r: checkpoint_id in r.body)
        assert events_of(other, checkpoint_id) == []
        assert http.get("/v1/webhooks/" + theirs.json_body["webhook_id"], role="compliance").status_code == 200
    finally:
        http.client.http.delete(f"/v1/webhooks/{theirs.json_body['webhook_id']}",
                                headers=http.auth("channel", "mobile-app"))
        other.stop()


def test_a_rotated_secret_signs_alongside_the_old_one_until_it_retires(http, subscribed):
    receiver, webhook = subscribed
    old_secret = receiver.secret
    rotated = http.post(f"/v1/webhooks/{webhook['webhook_id']}/secret", {}, key=False)
    assert rotated.status_code == 200, rotated.body
    new_secret = rotated.json_body["secret"]
    assert new_secret != old_secret and rotated.json_body["previous_secret_retires_at"].endswith("Z")
    checkpoint_id = http.post("/v1/onboarding", applicant_body()).json_body["checkpoint_id"]
    http.wait_final(checkpoint_id)
    [item] = [r for r in receiver.wait_for(lambda r: checkpoint_id in r.body) if checkpoint_id in r.body]
    assert len(item.headers["webhook-signature"].split(" ")) == 2
    for secret in (old_secret, new_secret):
        assert Receiver(secret=secret)._verify(item.body, item.headers) is True
    assert "secret" not in http.get(f"/v1/webhooks/{webhook['webhook_id']}").json_body


def test_a_delivery_is_redelivered_on_request(http, subscribed):
    receiver, webhook = subscribed
    checkpoint_id = http.post("/v1/onboarding", applicant_body()).json_body["checkpoint_id"]
    http.wait_final(checkpoint_id)
    receiver.wait_for(lambda r: checkpoint_id in r.body)
    [(event_id, _, _)] = events_of(receiver, checkpoint_id)
    delivery = delivery_of(http, webhook["webhook_id"], event_id)
    again = http.post(f"/v1/webhooks/{webhook['webhook_id']}/deliveries/{delivery['delivery_id']}/redeliver", {},
                      key=False)
    assert again.status_code == 202 and again.json_body["status"] == "pending"
    webhook_retries(scheduled_event(datetime.now(UTC) + timedelta(seconds=1)), None)
    assert [e[0] for e in events_of(receiver, checkpoint_id)] == [event_id, event_id]


@pytest.mark.parametrize("url, reason", [
    ("ftp://example.org/hooks", "must be an https URL with a host and no credentials"),
    ("http://example.org/hooks", "must use https (http is allowed locally for a loopback address)"),
    ("https://10.0.0.7/hooks", "must not be a private, loopback or link-local address"),
    ("https://user:pw@example.org/hooks", "must be an https URL with a host and no credentials"),
])
def test_a_receiver_url_is_https_to_a_public_host(http, url, reason):
    response = http.post("/v1/webhooks", {"url": url, "events": ["checkpoint.status_changed"]}, key=False)
    assert response.status_code == 400
    assert response.json_body["error"]["fields"] == [{"field": "url", "reason": reason}]
