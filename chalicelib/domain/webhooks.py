"""Webhooks as the Standard Webhooks specification (standardwebhooks.com) describes them: what an
event is, who may receive it, how a delivery is signed and when a failed one is tried again.
Pure: the queue, the tables and the HTTP calls are the stores' business.

An event says what changed with ids, kinds and statuses only: never names, amounts, IBANs or any
other personal data. Its id is derived from what it reports (the checkpoint and the position of
the change in its history), so publishing the same change twice produces one event, and the
receiver can deduplicate by the `webhook-id` header."""
from __future__ import annotations

import base64
import hashlib
import ipaddress
import json
import secrets
from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any
from urllib.parse import urlsplit

from pydantic import Field
from standardwebhooks import Webhook

from chalicelib.domain.actors import Role
from chalicelib.domain.models import Frozen

SECRET_PREFIX = "whsec_"
_SECRET_BYTES = 32
LOOPBACK_HOSTS = frozenset({"localhost", "127.0.0.1", "::1"})


class EventType(StrEnum):
    CHECKPOINT_STATUS_CHANGED = "checkpoint.status_changed"
    CHECKPOINT_ACTION_REQUIRED = "checkpoint.action_required"
    EXPORT_READY = "export.ready"
    MONITORING_ALERT_OPENED = "monitoring.alert_opened"
    MONITORING_ALERT_DECIDED = "monitoring.alert_decided"
    MONITORING_RUN_FINISHED = "monitoring.run_finished"

    @property
    def roles(self) -> frozenset[Role]:
        """Who may subscribe to it: the checkpoint and export events concern a channel's own
        records, which compliance may follow too; monitoring is compliance's alone (a channel told
        that its customer may be a listed person could tip them off)."""
        if self.value.startswith("monitoring."):
            return frozenset({Role.COMPLIANCE})
        return frozenset({Role.CHANNEL, Role.COMPLIANCE})


class WebhookEvent(Frozen):
    event_id: str
    type: EventType
    timestamp: str  # UTC ISO-8601, when the change happened
    data: Mapping[str, Any]  # ids, kinds, statuses: never personal data

    def body(self) -> str:
        """The JSON body every receiver gets for this event (the same bytes on every attempt)."""
        return json.dumps({"type": self.type.value, "timestamp": self.timestamp, "data": dict(self.data)},
                          separators=(",", ":"), sort_keys=True)


class RoutedEvent(Frozen):
    """An event and the channels whose records it concerns (compliance subscriptions get every
    event of the types they chose)."""

    event: WebhookEvent
    owners: tuple[str, ...]


class SigningSecret(Frozen):
    secret: str
    created_at: str
    retires_at: str | None = None  # a rotated-out secret keeps signing until then


class Subscription(Frozen):
    webhook_id: str
    owner: str
    role: Role
    url: str
    events: tuple[EventType, ...]
    secrets: tuple[SigningSecret, ...]
    created_at: str
    rotation: int = 0  # how many times the secret was rotated (guards concurrent rotations)

    def wants(self, routed: RoutedEvent) -> bool:
        if routed.event.type not in self.events:
            return False
        return self.role is Role.COMPLIANCE or self.owner in routed.owners

    def signing_secrets(self, now: datetime) -> list[str]:
        return [s.secret for s in self.secrets
                if s.retires_at is None or datetime.fromisoformat(s.retires_at.replace("Z", "+00:00")) > now]


class DeliveryStatus(StrEnum):
    PENDING = "pending"
    SUCCEEDED = "succeeded"
    FAILED = "failed"


class Attempt(Frozen):
    at: str
    status_code: int | None = None  # None: no HTTP answer (refused, timed out)
    error: str | None = None  # a short code: timeout, connection_refused, http_500...
    duration_ms: int


class Delivery(Frozen):
    delivery_id: str
    webhook_id: str
    event_id: str
    event_type: EventType
    body: str
    status: DeliveryStatus
    created_at: str
    next_attempt_at: str | None  # None once it succeeded or failed for good
    attempts: tuple[Attempt, ...] = ()


class WebhookPolicy(Frozen):
    policy: str
    version: str
    retry_delays_seconds: tuple[int, ...] = Field(min_length=1)
    give_up_after_hours: int = Field(gt=0)
    timeout_seconds: float = Field(gt=0, le=30)
    secret_grace_hours: int = Field(ge=0)
    max_subscriptions_per_owner: int = Field(gt=0)
    source: str


def new_secret() -> str:
    return SECRET_PREFIX + base64.b64encode(secrets.token_bytes(_SECRET_BYTES)).decode()


def event_id_for(*parts: str) -> str:
    return "evt_" + hashlib.sha256(":".join(parts).encode()).hexdigest()[:32]


def delivery_id_for(webhook_id: str, event_id: str) -> str:
    return "dlv_" + hashlib.sha256(f"{webhook_id}:{event_id}".encode()).hexdigest()[:32]


def signature(secrets_in_force: Sequence[str], message_id: str, timestamp: datetime, body: str) -> str:
    """The `webhook-signature` header: one `v1,<base64 HMAC-SHA256>` per secret in force,
    space-separated (during a rotation the receiver may still hold the old secret)."""
    return " ".join(Webhook(secret).sign(message_id, timestamp, body) for secret in secrets_in_force)


def next_attempt_at(delivery: Delivery, now: datetime, policy: WebhookPolicy) -> datetime | None:
    """When to try a delivery that just failed again, or None when it has failed for good: after
    the policy's last delay, or once the next try would fall beyond the give-up horizon."""
    failures = len(delivery.attempts)
    if failures > len(policy.retry_delays_seconds):
        return None
    due = now + timedelta(seconds=policy.retry_delays_seconds[failures - 1])
    created = datetime.fromisoformat(delivery.created_at.replace("Z", "+00:00"))
    return due if due <= created + timedelta(hours=policy.give_up_after_hours) else None


def url_problem(url: str, *, local: bool) -> str | None:
    """Why a receiver URL is refused, or None. Deployed: https to a public host only (no literal
    private, loopback or link-local address). Locally, http to a loopback address is allowed too,
    so a developer can receive events on their machine."""
    try:
        parts = urlsplit(url)
        host = (parts.hostname or "").lower()
        _ = parts.port  # a malformed port raises here
    except ValueError:
        return "must be a URL"
    if parts.scheme not in ("https", "http") or not host or parts.username or parts.password:
        return "must be an https URL with a host and no credentials"
    loopback = host in LOOPBACK_HOSTS
    if parts.scheme == "http" and not (local and loopback):
        return "must use https" + (" (http is allowed locally for a loopback address)" if local else "")
    if loopback:
        return None if local else "must not be a loopback address"
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return None if not host.endswith((".local", ".internal", ".localhost")) else "must be a public host"
    if not address.is_global:
        return "must not be a private, loopback or link-local address"
    return None

