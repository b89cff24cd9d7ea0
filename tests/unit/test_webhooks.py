"""Webhooks, pure and on in-memory stores: signatures a Standard Webhooks receiver accepts, the
retry schedule at its edges, receiver URLs, and who gets which event."""
from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st
from standardwebhooks import Webhook, WebhookVerificationError

from chalicelib.api.models import WebhookRequest
from chalicelib.domain.actors import Caller, Role
from chalicelib.domain.checkpoint import iso
from chalicelib.domain.webhooks import (
    Attempt,
    Delivery,
    DeliveryStatus,
    EventType,
    RoutedEvent,
    WebhookEvent,
    new_secret,
    next_attempt_at,
    signature,
    url_problem,
)
from chalicelib.errors import InvalidField, NotFound
from chalicelib.policies import webhook_policy
from chalicelib.services import webhooks
from tests.unit.fakes import fake_stores

NOW = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)
WEB, MOBILE = Caller(subject="web-signup", role=Role.CHANNEL), Caller(subject="mobile-app", role=Role.CHANNEL)
OFFICER = Caller(subject="officer-1", role=Role.COMPLIANCE)


def event(owner: str = "web-signup", number: int = 1) -> RoutedEvent:
    return RoutedEvent(owners=(owner,), event=WebhookEvent(
        event_id=f"evt_{number:032x}", type=EventType.CHECKPOINT_STATUS_CHANGED, timestamp=iso(NOW),
        data={"checkpoint_id": f"cp_{number:032x}", "kind": "onboarding", "previous_status": "RUNNING",
              "status": "APPROVED"}))


@given(body=st.text(min_size=0, max_size=200))
def test_a_signature_verifies_with_every_secret_in_force_and_no_other(body):
    old, new, stranger = new_secret(), new_secret(), new_secret()
    now = datetime.now(UTC)
    headers = {"webhook-id": "evt_1", "webhook-timestamp": str(int(now.timestamp())),
               "webhook-signature": signature([new, old], "evt_1", now, body)}
    for secret in (old, new):
        Webhook(secret).verify(body, headers, json_parse=False)
    with pytest.raises(WebhookVerificationError):
        Webhook(stranger).verify(body, headers, json_parse=False)


def delivery(attempts: int, created: datetime = NOW) -> Delivery:
    return Delivery(delivery_id="dlv_1", webhook_id="wh_1", event_id="evt_1", event_type=EventType.EXPORT_READY,
                    body="{}", status=DeliveryStatus.PENDING, created_at=iso(created), next_attempt_at=None,
                    attempts=tuple(Attempt(at=iso(created), error="http_500", duration_ms=1) for _ in range(attempts)))


def test_retries_follow_the_policy_and_stop_within_24_hours():
    policy = webhook_policy()
    assert sum(policy.retry_delays_seconds) <= policy.give_up_after_hours * 3600
    at, when = NOW, []
    for failures in range(1, len(policy.retry_delays_seconds) + 2):
        due = next_attempt_at(delivery(failures), at, policy)
        when.append(due)
        at = due or at
    assert [int((b - a).total_seconds()) for a, b in zip([NOW, *when], when[:-1])] == list(policy.retry_delays_seconds)
    assert when[-1] is None  # after the last delay it has failed for good
    late = next_attempt_at(delivery(1, created=NOW - timedelta(hours=24)), NOW, policy)
    assert late is None  # due beyond the give-up horizon


@pytest.mark.parametrize("url, local, problem", [
    ("https://hooks.bank.example/checkpoint", False, None),
    ("http://127.0.0.1:9000/hooks", True, None),
    ("http://localhost:9000/hooks", True, None),
    ("http://127.0.0.1:9000/hooks", False, "must use https"),
    ("https://127.0.0.1/hooks", False, "must not be a loopback address"),
    ("https://192.168.1.5/hooks", False, "must not be a private, loopback or link-local address"),
    ("https://169.254.169.254/latest/meta-data", False, "must not be a private, loopback or link-local address"),
    ("https://[fd00::1]/hooks", False, "must not be a private, loopback or link-local address"),
    ("https://metadata.internal/hooks", False, "must be a public host"),
    ("http://example.org/hooks", True, "must use https (http is allowed locally for a loopback address)"),
    ("https://example.org:99999/hooks", False, "must be a URL"),
    ("javascript:alert(1)", False, "must be an https URL with a host and no credentials"),
])
def test_receiver_urls(url, local, problem):
    assert url_problem(url, local=local) == problem


@pytest.fixture
def stores(unit_settings):
    return fake_stores()


def subscribe(stores, caller=WEB, events=("checkpoint.status_changed",)):
    return webhooks.subscribe(caller, WebhookRequest(url="http://127.0.0.1:9/hooks", events=list(events)), stores)


def test_an_event_goes_to_the_channels_whose_records_it_concerns_and_to_compliance(stores):
    mine, theirs, officers = subscribe(stores), subscribe(stores, MOBILE), subscribe(stores, OFFICER)
    subscribe(stores, WEB, events=("export.ready",))  # another event type: not delivered
    assert webhooks.dispatch(event(owner="web-signup"), NOW, stores) == 2
    assert {d.webhook_id for d in stores.deliveries.items.values()} == {mine.webhook_id, officers.webhook_id}
    assert webhooks.dispatch(event(owner="web-signup"), NOW, stores) == 0  # the same event again: delivered once
    assert len(stores.receivers.received) == 2 and theirs.webhook_id not in str(stores.deliveries.items)


def test_a_failed_first_attempt_is_due_again_and_the_poller_sends_it(stores):
    subscribe(stores)
    stores.receivers.answers = [503]
    webhooks.dispatch(event(), NOW, stores)
    [pending] = stores.deliveries.items.values()
    assert pending.status is DeliveryStatus.PENDING and pending.attempts[0].error == "http_503"
    assert webhooks.retry_due(NOW + timedelta(seconds=4), stores)["attempted"] == 0
    assert webhooks.retry_due(NOW + timedelta(seconds=5), stores) == {"attempted": 1, "succeeded": 1, "failed": 0}
    headers = [h for _, h, _ in stores.receivers.received]
    assert headers[0]["webhook-id"] == headers[1]["webhook-id"] == "evt_" + "0" * 31 + "1"


def test_a_deleted_subscription_fails_its_pending_deliveries(stores):
    subscription = subscribe(stores)
    stores.receivers.answers = [None]
    webhooks.dispatch(event(), NOW, stores)
    webhooks.delete(WEB, subscription.webhook_id, stores)
    assert webhooks.retry_due(NOW + timedelta(minutes=1), stores)["failed"] == 1


def test_a_rotation_keeps_the_old_secret_signing_until_it_retires(stores):
    subscription = subscribe(stores)
    rotated, secret, retires = webhooks.rotate_secret(WEB, subscription.webhook_id, stores)
    assert rotated.signing_secrets(NOW) == [secret, subscription.secrets[0].secret]
    later = datetime.fromisoformat(retires.replace("Z", "+00:00")) + timedelta(seconds=1)
    assert rotated.signing_secrets(later) == [secret]
    with pytest.raises(NotFound):
        webhooks.rotate_secret(MOBILE, subscription.webhook_id, stores)


def test_a_channel_may_not_subscribe_beyond_the_policy_or_to_a_bad_url(stores):
    with pytest.raises(InvalidField):
        webhooks.subscribe(WEB, WebhookRequest(url="http://example.org/x", events=["export.ready"]), stores)
    for _ in range(webhook_policy().max_subscriptions_per_owner):
        subscribe(stores)
    with pytest.raises(Exception, match="At most"):
        subscribe(stores)
