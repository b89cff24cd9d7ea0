"""The webhook events queue (SQS, SSE-KMS): status changes and other events are published here;
the deliver_webhooks function consumes it (an event source mapping) and fans each event out to
the subscriptions that want it."""
from __future__ import annotations

from typing import Protocol

from chalicelib.domain.webhooks import RoutedEvent
from chalicelib.settings import get_settings
from chalicelib.stores.clients import client


class EventQueue(Protocol):
    def publish(self, routed: RoutedEvent) -> None: ...


class EventsQueue:
    """`EventQueue` on SQS (the queue named by the EVENTS_QUEUE_URL setting)."""

    def publish(self, routed: RoutedEvent) -> None:
        client("sqs").send_message(QueueUrl=get_settings().events_queue_url, MessageBody=routed.model_dump_json())
