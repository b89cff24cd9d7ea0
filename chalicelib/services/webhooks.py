"""Webhook subscriptions and deliveries (Standard Webhooks).

Subscribing gives a signing secret, shown once. Each published event (services/events.py) is
fanned out by the deliver_webhooks function to the subscriptions that want it and may see it: one
delivery per (subscription, event), recorded before its first attempt. A delivery that is not
answered 2xx within the policy's timeout is tried again on the policy's schedule by the
webhook_retries function (its clock is the scheduled event's time), for 24 hours, then marked
failed; it can be redelivered on request. Delivery is at least once: receivers deduplicate by
the `webhook-id` header, which is the event's id on every attempt."""
from __future__ import annotations

from datetime import datetime, timedelta
from chalicelib.api.models import WebhookRequest
from chalicelib.domain.actors import Caller
from chalicelib.domain.checkpoint import iso, utc_now
from chalicelib.domain.ids import new_id
from chalicelib.domain.webhooks import (
    Attempt,
    Delivery,
    DeliveryStatus,
    RoutedEvent,
    SigningSecret,
    Subscription,
    delivery_id_for,
    new_secret,
    next_attempt_at,
    signature,
    url_problem,
)
from chalicelib.errors import Conflict, InvalidField, NotFound, Refused
from chalicelib.policies import webhook_policy
from chalicelib.services import access, retention
from chalicelib.settings import get_settings
from chalicelib.stores import AWS, Stores


def _visible(caller: Caller, webhook_id: str, stores: Stores) -> Subscription:
    subscription = stores.subscriptions.get(webhook_id)
    if not access.may_act_for(caller, subscription.owner):
        raise NotFound(webhook_id)
    return subscription


def subscribe(caller: Caller, request: WebhookRequest, stores: Stores = AWS) -> Subscription:
    """A new subscription of the caller's; its first secret is in the answer and never again."""
    problem = url_problem(request.url, local=get_settings().is_local)
    if problem:
        raise InvalidField("url", problem)
    refused = [e.value for e in request.events if caller.role not in e.roles]
    if refused:
        raise InvalidField("events", f"{', '.join(refused)} may not be subscribed to by a {caller.role.value}")
    policy = webhook_policy()
    if len(stores.subscriptions.of_owner(caller.subject)) >= policy.max_subscriptions_per_owner:
        raise Refused(f"At most {policy.max_subscriptions_per_owner} webhooks per caller.",
                      code="TOO_MANY_WEBHOOKS")
    now = iso(utc_now())
    subscription = Subscription(webhook_id=new_id("wh"), owner=caller.subject, role=caller.role, url=request.url,
                                events=tuple(request.events), created_at=now,
                                secrets=(SigningSecret(secret=new_secret(), created_at=now),))
    stores.subscriptions.create(subscription)
    return subscription


def view(caller: Caller, webhook_id: str, stores: Stores = AWS) -> Subscription:
    return _visible(caller, webhook_id, stores)


def listing(caller: Caller, stores: Stores = AWS) -> list[Subscription]:
    return [s for s in stores.subscriptions.all() if access.may_act_for(caller, s.owner)]


def delete(caller: Caller, webhook_id: str, stores: Stores = AWS) -> Subscription:
    """Stop delivering to it; its pending deliveries fail at their next attempt."""
    subscription = _visible(caller, webhook_id, stores)
    stores.subscriptions.delete(webhook_id)
    return subscription


def rotate_secret(caller: Caller, webhook_id: str, stores: Stores = AWS) -> tuple[Subscription, str, str]:
    """A new secret, shown once; the one it replaces keeps signing alongside it (both signatures
    in the header) until the policy's grace period ends. Returns (subscription, new secret,
    when the previous one stops signing)."""
    subscription = _visible(caller, webhook_id, stores)
    now = utc_now()
    retires = iso(now + timedelta(hours=webhook_policy().secret_grace_hours))
    in_force = [s for s in subscription.secrets if s.secret in subscription.signing_secrets(now)]
    current = SigningSecret(secret=new_secret(), created_at=iso(now))
    previous = [s if s.retires_at else s.model_copy(update={"retires_at": retires}) for s in in_force]
    updated = stores.subscriptions.replace_secrets(webhook_id, subscription.rotation, (current, *previous))
    return updated, current.secret, retires


def deliveries(caller: Caller, webhook_id: str, limit: int, cursor: str | None,
               stores: Stores = AWS) -> tuple[list[Delivery], str | None]:
    _visible(caller, webhook_id, stores)
    try:
        return stores.deliveries.of_webhook(webhook_id, limit, cursor)
    except NotFound:
        raise InvalidField("query.cursor", "is not a cursor this API issued") from None


def redeliver(caller: Caller, webhook_id: str, delivery_id: str, stores: Stores = AWS) -> Delivery:
    """Send the delivery's event again (same `webhook-id`) at the retry poller's next run."""
    _visible(caller, webhook_id, stores)
    delivery = stores.deliveries.get(delivery_id)
    if delivery.webhook_id != webhook_id:
        raise NotFound(delivery_id)
    return stores.deliveries.reschedule(delivery_id, iso(utc_now()))


def attempt(delivery: Delivery, now: datetime, stores: Stores = AWS) -> Delivery:
    """POST the delivery's event to its subscription, signed with every secret in force, and
    record the attempt with what happens next (done, due again at, or failed for good)."""
    policy = webhook_policy()
    try:
        subscription = stores.subscriptions.get(delivery.webhook_id)
    except NotFound:
        result = Attempt(at=iso(utc_now()), error="webhook_deleted", duration_ms=0)
        return stores.deliveries.record_attempt(delivery, result, DeliveryStatus.FAILED, None)
    sent_at = utc_now()  # the signature's timestamp is when the request leaves, whatever the schedule's clock
    headers = {"webhook-id": delivery.event_id, "webhook-timestamp": str(int(sent_at.timestamp())),
               "webhook-signature": signature(subscription.signing_secrets(sent_at), delivery.event_id, sent_at,
                                              delivery.body)}
    result = stores.receivers.post(subscription.url, headers, delivery.body, policy.timeout_seconds)
    if result.status_code is not None and 200 <= result.status_code < 300:
        return stores.deliveries.record_attempt(delivery, result, DeliveryStatus.SUCCEEDED, None)
    failed_so_far = delivery.model_copy(update={"attempts": (*delivery.attempts, result)})
    due = next_attempt_at(failed_so_far, now, policy)
    return stores.deliveries.record_attempt(delivery, result, DeliveryStatus.PENDING if due else DeliveryStatus.FAILED,
                                            iso(due) if due else None)


def dispatch(routed: RoutedEvent, now: datetime, stores: Stores = AWS) -> int:
    """Fan an event out to the subscriptions that want it and may see it, and make each
    delivery's first attempt. An event published twice is delivered once. Returns how many
    deliveries this call recorded."""
    recorded = 0
    for subscription in stores.subscriptions.all():
        if not subscription.wants(routed):
            continue
        delivery = Delivery(delivery_id=delivery_id_for(subscription.webhook_id, routed.event.event_id),
                            webhook_id=subscription.webhook_id, event_id=routed.event.event_id,
                            event_type=routed.event.type, body=routed.event.body(), status=DeliveryStatus.PENDING,
                            created_at=iso(now), next_attempt_at=iso(now))
        if stores.deliveries.create_once(delivery):
            recorded += 1
            retention.schedule_delivery(delivery.delivery_id, routed.event.data.get("customer_id"), delivery.created_at,
                                        stores)
            _attempt_once(delivery, now, stores)
    return recorded


def retry_due(now: datetime, stores: Stores = AWS, limit: int = 100) -> dict[str, int]:
    """Attempt every delivery due at `now` (the scheduled event's time)."""
    report = {"attempted": 0, "succeeded": 0, "failed": 0}
    for delivery in stores.deliveries.due(now, limit):
        outcome = _attempt_once(delivery, now, stores)
        if outcome is None:
            continue
        report["attempted"] += 1
        if outcome.status is not DeliveryStatus.PENDING:
            report[outcome.status.value] += 1
    return report


def _attempt_once(delivery: Delivery, now: datetime, stores: Stores) -> Delivery | None:
    try:
        return attempt(delivery, now, stores)
    except Conflict:
        return None  # another worker attempted it at the same moment and recorded its attempt

