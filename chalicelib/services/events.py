"""Publishing what happened, for webhooks: every status change of a checkpoint, a checkpoint that
waits for the channel, an export ready to download. Events carry ids, kinds and statuses only.

A status change is recorded in the checkpoint's `status_history` by the same conditional write
that makes it; `publish_checkpoint_changes` publishes every change not yet published and then
advances the checkpoint's watermark. Whoever changes a status calls it afterwards (a retried task
calls it again), so a change whose publication was cut short is published by the next call; an
event published twice has the same id, and its deliveries are recorded once. No status follows a
final one, so once a checkpoint is final the watermark is left where it is: a later call (a retried
last task) publishes the same events again, delivered once."""
from __future__ import annotations

from typing import Any

from chalicelib.domain.checkpoint import Checkpoint, CheckpointKind, CheckpointStatus
from chalicelib.domain.export_record import ExportRecord, Recipient
from chalicelib.domain.monitoring import RunSummary
from chalicelib.domain.webhooks import EventType, RoutedEvent, WebhookEvent, event_id_for
from chalicelib.errors import NotFound
from chalicelib.stores import AWS, Stores


def _owners(checkpoint: Checkpoint, stores: Stores) -> tuple[str, ...]:
    """The channels whose records the checkpoint concerns: the one that started it and the one
    that on-boarded its customer (see services/access.py). A monitoring alert's events go to
    compliance only: no channel is told that its customer may be a listed person."""
    if checkpoint.kind is CheckpointKind.MONITORING:
        return ()
    owners = [checkpoint.owner]
    if checkpoint.customer_id and checkpoint.kind is not CheckpointKind.ONBOARDING:  # a sign-up's customer is its own
        try:
            owners.append(stores.customers.get(checkpoint.customer_id).owner)
        except NotFound:
            pass
    return tuple(dict.fromkeys(owners))


def _change_data(checkpoint: Checkpoint, index: int) -> dict[str, Any]:
    previous, change = checkpoint.status_history[index - 1], checkpoint.status_history[index]
    data: dict[str, Any] = {"checkpoint_id": checkpoint.checkpoint_id, "kind": checkpoint.kind.value,
                            "previous_status": previous.status.value, "status": change.status.value}
    shows_customer = change.status is CheckpointStatus.APPROVED or checkpoint.kind is CheckpointKind.OFFBOARDING
    if checkpoint.customer_id and shows_customer:
        data["customer_id"] = checkpoint.customer_id
    return data


# What a status that waits for the channel asks it to do.
ACTIONS = {CheckpointStatus.AWAITING_DOCUMENTS: "upload_documents", CheckpointStatus.WIN_BACK_OFFERED: "answer_win_back",
           CheckpointStatus.ACTION_REQUIRED: "correct_application"}


def _action_data(checkpoint: Checkpoint, status: CheckpointStatus) -> dict[str, Any]:
    data = {"checkpoint_id": checkpoint.checkpoint_id, "kind": checkpoint.kind.value, "status": status.value,
            "action": ACTIONS[status]}
    if status is CheckpointStatus.AWAITING_DOCUMENTS:
        data["documents"] = list(checkpoint.images)
    elif status is CheckpointStatus.ACTION_REQUIRED:  # field names and check codes (never risk codes: none is an action)
        data["actions"] = [{"field": a.field, "code": a.code} for a in checkpoint.actions]
    elif checkpoint.win_back:
        data |= {"offer": checkpoint.win_back.offer, "expires_at": checkpoint.win_back.expires_at}
    return data


def publish_checkpoint_changes(checkpoint_id: str, stores: Stores = AWS, checkpoint: Checkpoint | None = None) -> int:
    """Publish the checkpoint's status changes not yet published (`checkpoint`: as it was just
    written, if the caller has it); returns how many."""
    checkpoint = checkpoint or stores.checkpoints.get(checkpoint_id)
    history = checkpoint.status_history
    first = max(checkpoint.events_published, 1)  # entry 0 is the creation, not a change
    if first >= len(history):
        return 0
    owners = _owners(checkpoint, stores)
    for index in range(first, len(history)):
        at = history[index].at
        events = [WebhookEvent(event_id=event_id_for(checkpoint_id, "status", str(index)),
                               type=EventType.CHECKPOINT_STATUS_CHANGED, timestamp=at,
                               data=_change_data(checkpoint, index))]
        if history[index].status in ACTIONS:
            events.append(WebhookEvent(event_id=event_id_for(checkpoint_id, "action", str(index)),
                                       type=EventType.CHECKPOINT_ACTION_REQUIRED, timestamp=at,
                                       data=_action_data(checkpoint, history[index].status)))
        alert_event = _alert_event(checkpoint, index)
        if alert_event is not None:
            events.append(alert_event)
        for event in events:
            stores.events.publish(RoutedEvent(event=event, owners=owners))
    if not checkpoint.status.is_final:  # after a final status nothing changes: no watermark to advance
        stores.checkpoints.mark_events_published(checkpoint_id, len(history))
    return len(history) - first


def _alert_event(alert: Checkpoint, index: int) -> WebhookEvent | None:
    """A monitoring alert's own events: opened when it first enters the review queue, decided when
    it ends CLEARED or CONFIRMED. Ids and the listed entry's ids only."""
    if alert.kind is not CheckpointKind.MONITORING or alert.alert is None:
        return None
    history, status = alert.status_history, alert.status_history[index].status
    if status is CheckpointStatus.IN_REVIEW and all(c.status is not status for c in history[:index]):
        kind, event_type = "opened", EventType.MONITORING_ALERT_OPENED
    elif status in (CheckpointStatus.CLEARED, CheckpointStatus.CONFIRMED):
        kind, event_type = "decided", EventType.MONITORING_ALERT_DECIDED
    else:
        return None
    data = {"checkpoint_id": alert.checkpoint_id, "customer_id": alert.customer_id, "run_id": alert.alert.run_id,
            "source": alert.alert.source, "entry_id": alert.alert.entry_id, "list_version": alert.alert.list_version,
            "status": status.value}
    return WebhookEvent(event_id=event_id_for(alert.checkpoint_id, "alert", kind), type=event_type,
                        timestamp=history[index].at, data=data)


def publish_run_finished(summary: RunSummary, stores: Stores = AWS) -> None:
    """A monitoring run ended (SUCCEEDED, INCOMPLETE or FAILED): its counts and the failed shards'
    ids, to compliance. A retried last step publishes the same event, delivered once."""
    run = summary.run
    data = {"run_id": run.run_id, "mode": run.mode.value, "trigger": run.trigger.value, "status": summary.status.value,
            "customers_total": run.customers_total, "customers_screened": summary.customers_screened,
            "alerts_opened": summary.alerts_opened, "failed_shards": [f.shard_id for f in summary.failed_shards]}
    if run.list_source:
        data |= {"list_source": run.list_source, "list_version": run.list_version}
    event = WebhookEvent(event_id=event_id_for(run.run_id, "finished"), type=EventType.MONITORING_RUN_FINISHED,
                         timestamp=run.finished_at or run.started_at, data=data)
    stores.events.publish(RoutedEvent(event=event, owners=()))


def publish_export_ready(record: ExportRecord, stores: Stores = AWS) -> None:
    """To the channel of the customer; an estate's disclosure to whoever started the succession
    closure (compliance), never to the deceased customer's channel."""
    if record.recipient is Recipient.REPRESENTATIVE and record.checkpoint_id:
        owner = stores.checkpoints.get(record.checkpoint_id).owner
    else:
        owner = stores.customers.get(record.customer_id).owner
    data = {"export_id": record.export_id, "customer_id": record.customer_id, "status": record.status.value}
    if record.checkpoint_id:
        data["checkpoint_id"] = record.checkpoint_id  # the closure that asked for it
    event = WebhookEvent(event_id=event_id_for(record.export_id, "ready"), type=EventType.EXPORT_READY,
                         timestamp=record.ready_at or record.created_at, data=data)
    stores.events.publish(RoutedEvent(event=event, owners=(owner,)))
