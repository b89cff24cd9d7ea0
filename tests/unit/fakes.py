"""In-memory implementations of the store Protocols (chalicelib/stores), for unit tests of the
services without moto. They keep the contracts the AWS-backed stores keep (conditional status
changes, NotFound, Conflict, parse-on-read), which tests/integration/test_store_contracts.py checks
by running the same cases against both."""
from __future__ import annotations

import copy
import gzip
import hashlib
import json
import threading
from collections.abc import Iterable, Iterator, Mapping, Sequence
from datetime import UTC, datetime
from typing import Any, TypeVar

from aws_lambda_powertools.utilities.idempotency.exceptions import (
    IdempotencyItemAlreadyExistsError,
    IdempotencyItemNotFoundError,
)
from aws_lambda_powertools.utilities.idempotency.persistence.base import BasePersistenceLayer
from aws_lambda_powertools.utilities.idempotency.persistence.datarecord import DataRecord
from pydantic import BaseModel

from chalicelib.domain.audit_log import AuditEntry, ChainHead, LogName, appended_since, next_entry
from chalicelib.domain.alert import ReportCase
from chalicelib.domain.checkpoint import (
    ALLOWED_FROM,
    CaseEvent,
    Checkpoint,
    CheckpointStatus,
    Correction,
    Decision,
    Failure,
    Reason,
    ReviewDecision,
    Step,
    WinBackState,
    iso,
    utc_now,
)
from chalicelib.domain.customer import CustomerRecord
from chalicelib.domain.exit_analytics import ExitFact
from chalicelib.domain.identity_graph import GraphEntry
from chalicelib.domain.export_record import ExportRecord
from chalicelib.domain.legal_hold import LegalHold
from chalicelib.domain.link_events import TrailRecord
from chalicelib.domain.monitoring import MonitoringRun, RunStatus, ShardOutcome, ShardStatus
from chalicelib.domain.record_classes import tagging
from chalicelib.domain.screening.clearance import Clearance, ClearanceStatus
from chalicelib.domain.screening.list_update import ListRefresh
from chalicelib.domain.retention import RetentionDecision
from chalicelib.domain.webhooks import Attempt, Delivery, DeliveryStatus, RoutedEvent, SigningSecret, Subscription
from chalicelib.errors import Conflict, NotFound
from chalicelib.settings import get_settings
from chalicelib.stores import Stores
from chalicelib.stores.checkpoint_table import WAITING_TOKENS, ReviewQueueEntry
from chalicelib.domain.risk_rating import MonitoringAlert, RiskRating
from chalicelib.stores.document_bucket import PresignedRequest
from chalicelib.stores.identity_graph_table import DEVICE_RECORD, MAX_PER_LINK, in_record
from chalicelib.stores.list_bucket import ListManifest
from chalicelib.stores.retention_table import SCHEDULED, decision_of, schedule_item
from chalicelib.stores.stored import parse, parse_json
from chalicelib.stores.trail_bucket import day_prefixes, parse_log_file
from chalicelib.stores.workflows import TaskTokenExpired

M = TypeVar("M", bound=BaseModel)


class FakeRetainedItems:
    """Retention on a fake table's items (as chalicelib.stores.stored.RetainedItems): the schedule
    and TTL stamped beside the item in `retention`, nothing stamped on an item already erased."""

    items: dict[str, Any]

    @property
    def retention(self) -> dict[str, dict[str, Any]]:
        return self.__dict__.setdefault("_retention", {})

    def stamp_retention(self, item_id: str, schedule: dict[str, str], ttl_epoch: int | None) -> None:
        if item_id in self.items:
            self.retention[item_id] = {"retention": dict(schedule), "expires_at": ttl_epoch}

    def clear_ttl(self, item_id: str) -> None:
        if item_id in self.retention:
            self.retention[item_id]["expires_at"] = None

    def ttl_of(self, item_id: str) -> int | None:
        return self.retention.get(item_id, {}).get("expires_at")

    def delete(self, item_id: str) -> None:
        self.items.pop(item_id, None)
        self.retention.pop(item_id, None)


class FakeCheckpoints(FakeRetainedItems):
    def __init__(self) -> None:
        self.items: dict[str, dict[str, Any]] = {}
        self._lock = threading.Lock()

    def _item(self, checkpoint_id: str) -> dict[str, Any]:
        if checkpoint_id not in self.items:
            raise NotFound(checkpoint_id)
        return self.items[checkpoint_id]

    def create(self, checkpoint: Checkpoint) -> None:
        with self._lock:
            if checkpoint.checkpoint_id in self.items:
                raise Conflict(f"checkpoint {checkpoint.checkpoint_id} exists")
            self.items[checkpoint.checkpoint_id] = checkpoint.model_dump(mode="json", exclude_none=True)

    def get(self, checkpoint_id: str, *, consistent: bool = True) -> Checkpoint:
        return parse(Checkpoint, copy.deepcopy(self._item(checkpoint_id)), "checkpoint", checkpoint_id)

    def status_of(self, checkpoint_id: str) -> CheckpointStatus:
        return CheckpointStatus(self._item(checkpoint_id)["status"])

    def version_of(self, checkpoint_id: str) -> tuple[CheckpointStatus, str]:
        item = self._item(checkpoint_id)
        return CheckpointStatus(item["status"]), item["updated_at"]

    def mark_events_published(self, checkpoint_id: str, count: int) -> None:
        item = self._item(checkpoint_id)
        item["events_published"] = max(item.get("events_published", 0), count)

    def record_step(self, checkpoint_id: str, step: Step, *, list_versions: dict[str, str] | None = None,
                    risk_rating: RiskRating | None = None) -> None:
        with self._lock:
            item = self.items.get(checkpoint_id)
            if item is None or item["status"] not in (CheckpointStatus.RUNNING, CheckpointStatus.IN_REVIEW):
                raise Conflict(f"checkpoint {checkpoint_id} is final or missing; step {step.name} not recorded")
            item.setdefault("steps", {})[step.name] = step.model_dump(mode="json", exclude_none=True)
            item["updated_at"] = iso(utc_now())
            if list_versions is not None:
                item["list_versions"] = dict(list_versions)
            if risk_rating is not None:
                item["risk_rating"] = risk_rating.model_dump(mode="json", exclude_none=True)

    def transition(self, checkpoint_id: str, to: CheckpointStatus, *, set_fields: dict[str, Any] | None = None,
                   remove_fields: tuple[str, ...] = (), from_: CheckpointStatus | None = None) -> bool:
        with self._lock:
            item = self._item(checkpoint_id)
            current = CheckpointStatus(item["status"])
            if current not in ALLOWED_FROM[to] or (from_ is not None and current is not from_):
                if item["status"] == to:
                    return False
                raise Conflict(f"checkpoint {checkpoint_id} is {item['status']}; it cannot become {to.value}")
            now = iso(utc_now())
            item.update({"status": to.value, "updated_at": now, **copy.deepcopy(set_fields or {})})
            item.setdefault("status_history", []).append({"status": to.value, "at": now})
            for name in remove_fields:
                item.pop(name, None)
            return True

    def enter_review(self, checkpoint_id: str, task_token: str, reasons: tuple[Reason, ...], level: int) -> None:
        with self._lock:
            item = self.items.get(checkpoint_id)
            if item is None or item["status"] not in (CheckpointStatus.RUNNING, CheckpointStatus.IN_REVIEW):
                raise Conflict(f"checkpoint {checkpoint_id} cannot enter review from its current status")
            now = iso(utc_now())
            if item["status"] == CheckpointStatus.RUNNING:
                item.setdefault("status_history", []).append({"status": CheckpointStatus.IN_REVIEW.value, "at": now})
            item.update({"status": CheckpointStatus.IN_REVIEW.value, "review_task_token": task_token,
                         "review_reasons": [r.model_dump() for r in reasons], "review_level": level,
                         "awaiting_decision": True, "review_since": now, "updated_at": now})
            item.pop("assignee", None)
            item.pop("assigned_at", None)

    def offer_win_back(self, checkpoint_id: str, task_token: str, offer: WinBackState) -> None:
        with self._lock:
            item = self.items.get(checkpoint_id)
            if item is None or item["status"] not in (CheckpointStatus.RUNNING, CheckpointStatus.WIN_BACK_OFFERED):
                raise Conflict(f"checkpoint {checkpoint_id} cannot offer a win-back from its current status")
            if item["status"] == CheckpointStatus.RUNNING:
                now = iso(utc_now())
                item.update({"status": CheckpointStatus.WIN_BACK_OFFERED.value, "updated_at": now,
                             "win_back": offer.model_dump(exclude_none=True)})
                item.setdefault("status_history", []).append({"status": item["status"], "at": now})
            item["win_back_task_token"] = task_token

    def answer_win_back(self, checkpoint_id: str, answer: str, at: str, by: str) -> str:
        with self._lock:
            item = self.items.get(checkpoint_id)
            if not item or item["status"] != CheckpointStatus.WIN_BACK_OFFERED or "win_back_task_token" not in item:
                raise Conflict(f"checkpoint {checkpoint_id} is not waiting for an answer to an offer")
            item["win_back"].update({"answer": answer, "answered_at": at, "answered_by": by})
            item.update({"status": CheckpointStatus.RUNNING.value, "updated_at": at})
            item.setdefault("status_history", []).append({"status": CheckpointStatus.RUNNING.value, "at": at})
            return item.pop("win_back_task_token")

    def await_documents(self, checkpoint_id: str, task_token: str) -> None:
        with self._lock:
            item = self.items.get(checkpoint_id)
            if item is None or item["status"] not in (CheckpointStatus.RUNNING, CheckpointStatus.AWAITING_DOCUMENTS):
                raise Conflict(f"checkpoint {checkpoint_id} cannot wait for documents from its current status")
            if item["status"] == CheckpointStatus.RUNNING:
                now = iso(utc_now())
                item.update({"status": CheckpointStatus.AWAITING_DOCUMENTS.value, "updated_at": now})
                item.setdefault("status_history", []).append({"status": item["status"], "at": now})
            item["documents_task_token"] = task_token

    def await_correction(self, checkpoint_id: str, task_token: str, actions: tuple[Reason, ...]) -> None:
        with self._lock:
            item = self.items.get(checkpoint_id)
            if item is None or item["status"] not in (CheckpointStatus.RUNNING, CheckpointStatus.ACTION_REQUIRED):
                raise Conflict(f"checkpoint {checkpoint_id} cannot wait for a correction from its current status")
            if item["status"] == CheckpointStatus.RUNNING:
                now = iso(utc_now())
                item.update({"status": CheckpointStatus.ACTION_REQUIRED.value, "updated_at": now,
                             "actions": [a.model_dump(exclude_none=True) for a in actions]})
                item.setdefault("status_history", []).append({"status": item["status"], "at": now})
            item["correction_task_token"] = task_token

    def correct(self, checkpoint_id: str, correction: Correction, request_key: str | None = None) -> str:
        with self._lock:
            item = self.items.get(checkpoint_id)
            if not item or item["status"] != CheckpointStatus.ACTION_REQUIRED or "correction_task_token" not in item:
                raise Conflict(f"checkpoint {checkpoint_id} is not waiting for a correction")
            item.update({"status": CheckpointStatus.RUNNING.value, "updated_at": correction.at})
            if request_key:
                item["request_key"] = request_key
            item.setdefault("corrections", []).append(correction.model_dump(mode="json"))
            item.setdefault("status_history", []).append({"status": CheckpointStatus.RUNNING.value, "at": correction.at})
            item.pop("actions", None)
            return item.pop("correction_task_token")

    def complete_documents(self, checkpoint_id: str, completed_at: str) -> str:
        with self._lock:
            item = self.items.get(checkpoint_id)
            if not item or item["status"] != CheckpointStatus.AWAITING_DOCUMENTS or "documents_task_token" not in item:
                raise Conflict(f"checkpoint {checkpoint_id} is not waiting for documents")
            item.update({"status": CheckpointStatus.RUNNING.value, "documents_completed_at": completed_at,
                         "updated_at": completed_at})
            item.setdefault("status_history", []).append({"status": CheckpointStatus.RUNNING.value, "at": completed_at})
            return item.pop("documents_task_token")

    def record_review_decision(self, checkpoint_id: str, decision: ReviewDecision, claims_lapse_before: str = ""
                               ) -> str:
        with self._lock:
            item = self.items.get(checkpoint_id)
            if not item or item["status"] != CheckpointStatus.IN_REVIEW or not item.get("awaiting_decision") \
                    or item.get("review_level") != decision.level \
                    or not (self._unclaimed(item, claims_lapse_before) or item.get("assignee") == decision.reviewer):
                raise Conflict(f"checkpoint {checkpoint_id} is not waiting for a level {decision.level} review "
                               "decision by this reviewer")
            item.setdefault("review_decisions", []).append(decision.model_dump(mode="json"))
            item.update({"awaiting_decision": False, "updated_at": iso(utc_now())})
            item.pop("assignee", None)
            item.pop("assigned_at", None)
            return item.pop("review_task_token")

    @staticmethod
    def _unclaimed(item: dict[str, Any], claims_lapse_before: str) -> bool:
        return "assignee" not in item or item["assigned_at"] < claims_lapse_before

    def claim(self, checkpoint_id: str, by: str, at: str, claims_lapse_before: str) -> bool:
        with self._lock:
            item = self._item(checkpoint_id)
            if item["status"] != CheckpointStatus.IN_REVIEW or not item.get("awaiting_decision") \
                    or not self._unclaimed(item, claims_lapse_before):
                return False
            item.update({"assignee": by, "assigned_at": at})
            item.setdefault("case_events", []).append({"event": "claimed", "by": by, "at": at})
            return True

    def release(self, checkpoint_id: str, by: str, at: str) -> bool:
        with self._lock:
            item = self._item(checkpoint_id)
            if item.get("assignee") != by:
                return False
            item.pop("assignee")
            item.pop("assigned_at")
            item.setdefault("case_events", []).append({"event": "released", "by": by, "at": at})
            return True

    def record_case_event(self, checkpoint_id: str, event: CaseEvent) -> None:
        with self._lock:
            self._item(checkpoint_id).setdefault("case_events", []).append(
                event.model_dump(mode="json", exclude_none=True))

    def decide(self, checkpoint_id: str, decision: Decision, customer_id: str | None = None,
               report_case: ReportCase | None = None) -> Checkpoint | None:
        fields: dict[str, Any] = {"decision": decision.model_dump(mode="json"), "awaiting_decision": False}
        if customer_id:
            fields["customer_id"] = customer_id
        if report_case:
            fields["report_case"] = report_case.model_dump(mode="json", exclude_none=True)
        changed = self.transition(checkpoint_id, decision.outcome, set_fields=fields,
                                  remove_fields=WAITING_TOKENS)
        return self.get(checkpoint_id) if changed else None

    def fail(self, checkpoint_id: str, failure: Failure) -> bool:
        return self.transition(checkpoint_id, CheckpointStatus.FAILED,
                               set_fields={"failure": failure.model_dump(), "awaiting_decision": False},
                               remove_fields=WAITING_TOKENS)

    def in_review(self, limit: int, start_key: dict[str, Any] | None
                  ) -> tuple[list[ReviewQueueEntry], dict[str, Any] | None]:
        waiting = sorted((i for i in self.items.values() if i["status"] == CheckpointStatus.IN_REVIEW),
                         key=lambda i: (i["created_at"], i["checkpoint_id"]))
        if start_key:
            waiting = [i for i in waiting if (i["created_at"], i["checkpoint_id"]) >
                       (start_key["created_at"], start_key["checkpoint_id"])]
        page = waiting[:limit]
        fields = set(ReviewQueueEntry.model_fields)
        entries = [ReviewQueueEntry.model_validate({k: v for k, v in i.items() if k in fields}) for i in page]
        last = page[-1] if len(waiting) > limit else None
        key = {"checkpoint_id": last["checkpoint_id"], "status": last["status"], "created_at": last["created_at"]} \
            if last else None
        return entries, key

    def retention_anchor(self, checkpoint_id: str, now: datetime) -> datetime:
        item = self._item(checkpoint_id)
        stored = item.setdefault("retention_decided_at", iso(now))
        return datetime.fromisoformat(stored.replace("Z", "+00:00"))


class FakeCustomers(FakeRetainedItems):
    def __init__(self) -> None:
        self.items: dict[str, dict[str, Any]] = {}

    def create_once(self, record: CustomerRecord) -> bool:
        if record.customer_id in self.items:
            return False
        self.items[record.customer_id] = record.model_dump(mode="json", exclude_none=True)
        return True

    def get(self, customer_id: str) -> CustomerRecord:
        if customer_id not in self.items:
            raise NotFound(customer_id)
        return parse(CustomerRecord, copy.deepcopy(self.items[customer_id]), "customer", customer_id)

    def close(self, customer_id: str, closed_at: str, checkpoint_id: str, statements_until: str | None = None
              ) -> bool:
        item = self.items.get(customer_id)
        if item is None:
            raise NotFound(customer_id)
        if item["status"] == "closed":
            return False
        item.update({"status": "closed", "closed_at": closed_at, "offboarding_checkpoint_id": checkpoint_id})
        item.pop("monitoring_partition", None)
        if statements_until:
            item["statements_until"] = statements_until
        return True

    def block_payments(self, customer_id: str, at: str, checkpoint_id: str) -> None:
        item = self.items[customer_id]
        item.setdefault("payments_blocked_at", at)
        item.setdefault("payments_blocked_by", checkpoint_id)

    def downgrade(self, customer_id: str, at: str, checkpoint_id: str, account_id: str) -> None:
        item = self.items[customer_id]
        if item["status"] not in ("active", "frozen"):
            raise Conflict(f"customer {customer_id} is {item['status']}")
        item.setdefault("basic_account", {"account_id": account_id, "since": at, "checkpoint_id": checkpoint_id})

    def freeze(self, customer_id: str, at: str, alert_id: str) -> bool:
        item = self.items.get(customer_id)
        if item is None:
            raise NotFound(customer_id)
        if item["status"] == "frozen":
            return False
        if item["status"] != "active":
            raise Conflict(f"customer {customer_id} is {item['status']}: it cannot be frozen")
        item.update({"status": "frozen", "frozen_at": at, "frozen_by": alert_id})
        return True

    def partition_counts(self) -> dict[int, int]:
        counts: dict[int, int] = {}
        for item in self.items.values():
            if "monitoring_partition" in item:
                counts[item["monitoring_partition"]] = counts.get(item["monitoring_partition"], 0) + 1
        return counts

    def in_partitions(self, first: int, last: int) -> Iterator[CustomerRecord]:
        for customer_id, item in list(self.items.items()):
            if first <= item.get("monitoring_partition", -1) <= last:
                yield self.get(customer_id)

    def rate(self, customer_id: str, rating: RiskRating, replaces: RiskRating | None,
             alert: MonitoringAlert | None = None) -> None:
        item = self.items.get(customer_id)
        current = (item or {}).get("risk_rating")
        if item is None or (current or {}).get("rated_at") != (replaces.rated_at if replaces else None):
            raise Conflict(f"customer {customer_id} was rated meanwhile")
        if replaces is not None:
            item.setdefault("risk_rating_history", []).append(replaces.model_dump(mode="json", exclude_none=True))
        if alert is not None:
            item.setdefault("risk_alerts", []).append(alert.model_dump(mode="json", exclude_none=True))
        item["risk_rating"] = rating.model_dump(mode="json", exclude_none=True)


class FakeDocuments:
    def __init__(self) -> None:
        self.objects: dict[str, bytes] = {}
        self.tags: dict[str, dict[str, str]] = {}
        self.locked_until: dict[str, datetime] = {}
        self.legal_holds: set[str] = set()
        self.modified: dict[str, datetime] = {}
        self.content_types: dict[str, str] = {}
        self.presigned: list[tuple[str, str, int]] = []

    def _put(self, key: str, body: bytes) -> None:
        self.objects[key] = body
        self.tags[key] = dict(part.split("=", 1) for part in tagging(key).split("&"))
        self.modified[key] = datetime.now(UTC)

    def put_json(self, key: str, model: BaseModel) -> None:
        self._put(key, model.model_dump_json().encode())

    def get_json(self, key: str, model: type[M]) -> M:
        return parse_json(model, self.read_bytes(key), "document", key)

    def put_jsonl(self, key: str, models: Iterable[BaseModel]) -> None:
        self._put(key, b"".join(m.model_dump_json().encode() + b"\n" for m in models))

    def iter_lines(self, key: str) -> Iterator[tuple[int, bytes]]:
        for number, line in enumerate(self.read_bytes(key).splitlines(), start=1):
            if line.strip():
                yield number, line

    def exists(self, key: str) -> bool:
        return key in self.objects

    def put_new(self, key: str, body: bytes, content_type: str) -> bool:
        if key in self.objects:
            return False
        self._put(key, body)
        return True

    def copy(self, source_key: str, target_key: str) -> None:
        self._put(target_key, self.read_bytes(source_key))

    def delete(self, key: str) -> None:
        for store in (self.objects, self.tags, self.modified):
            store.pop(key, None)

    def presigned_upload(self, key: str, content_type: str, size: int, expires_in: int) -> PresignedRequest:
        self.presigned.append((key, content_type, size))
        return PresignedRequest(method="PUT", url=f"https://documents.example/{key}?signed",
                                headers={"content-type": content_type, "content-length": str(size)})

    def upload_stream(self, key: str, chunks: Iterable[bytes], content_type: str) -> tuple[int, str]:
        body = b"".join(chunks)  # an error mid-stream leaves nothing, as an aborted multipart upload
        self._put(key, body)
        return len(body), hashlib.sha256(body).hexdigest()

    def download_link(self, key: str, seconds: int) -> str:
        return f"https://documents.example/{key}?expires={seconds}"

    def keys_under(self, prefix: str) -> Iterator[tuple[str, datetime]]:
        for key in sorted(k for k in self.objects if k.startswith(prefix)):
            yield key, self.modified[key]

    def stamp_retention(self, key: str, tags: dict[str, str], lock_until: datetime | None) -> None:
        self.tags[key] = dict(tags)
        if lock_until is not None:
            self.locked_until[key] = lock_until

    def erase(self, key: str) -> None:
        """As Object Lock: refused while retained or under legal hold, nothing bypasses it."""
        if key in self.legal_holds or (key in self.locked_until and self.locked_until[key] > utc_now()):
            raise Conflict(f"{key} is still locked (Object Lock retention or legal hold)")
        self.delete(key)
        self.locked_until.pop(key, None)

    def set_legal_hold(self, key: str, on: bool) -> None:
        if key in self.objects:
            (self.legal_holds.add if on else self.legal_holds.discard)(key)

    def read_bytes(self, key: str) -> bytes:
        if key not in self.objects:
            raise NotFound(key)
        return self.objects[key]

    def upload(self, key: str, body: bytes, content_type: str) -> None:
        """What a channel's presigned PUT does."""
        self._put(key, body)
        self.content_types[key] = content_type

    def read_upload(self, key: str) -> tuple[bytes, str]:
        return self.read_bytes(key), self.content_types.get(key, "application/octet-stream")

    def replace(self, key: str, body: bytes) -> None:
        self._put(key, body)


class FakeExports(FakeRetainedItems):
    def __init__(self) -> None:
        self.items: dict[str, dict[str, Any]] = {}

    def create(self, record: ExportRecord) -> None:
        if record.export_id in self.items:
            raise Conflict(f"export {record.export_id} exists")
        self.items[record.export_id] = record.model_dump(mode="json", exclude_none=True)

    def get(self, export_id: str) -> ExportRecord:
        if export_id not in self.items:
            raise NotFound(export_id)
        return parse(ExportRecord, copy.deepcopy(self.items[export_id]), "export", export_id)

    def update(self, export_id: str, fields: dict[str, Any]) -> ExportRecord:
        if export_id not in self.items:
            raise NotFound(export_id)
        self.items[export_id].update(copy.deepcopy(fields))
        return self.get(export_id)


class FakeLists:
    def __init__(self) -> None:
        self.manifests: dict[str, ListManifest] = {}
        self.files: dict[tuple[str, str], dict[str, bytes]] = {}
        self.indexes: dict[tuple[str, str], bytes] = {}
        self.versions: dict[tuple[str, str], ListManifest] = {}
        self.uploads: dict[str, bytes] = {}
        self.refreshes: dict[str, ListRefresh] = {}

    def publish(self, manifest: ListManifest, files: dict[str, bytes], index: bytes) -> None:
        self.files[(manifest.source, manifest.version)] = dict(files)
        self.indexes[(manifest.source, manifest.version)] = index
        self.versions[(manifest.source, manifest.version)] = manifest
        self.manifests[manifest.source] = manifest

    def current(self, source: str) -> ListManifest:
        if source not in self.manifests:
            raise NotFound(f"no list published for {source}")
        return self.manifests[source]

    def manifest(self, source: str, version: str) -> ListManifest:
        if (source, version) not in self.versions:
            raise NotFound(f"{source} {version}")
        return self.versions[(source, version)]

    def read_index(self, manifest: ListManifest) -> bytes:
        return self.indexes[(manifest.source, manifest.version)]

    def read_files(self, manifest: ListManifest) -> dict[str, bytes]:
        return self.files[(manifest.source, manifest.version)]

    def read_upload(self, source: str, prefix: str, names: list[str]) -> dict[str, bytes]:
        files = {}
        for name in names:
            key = f"uploads/{source}/{prefix.strip('/')}/{name}"
            if key not in self.uploads:
                raise NotFound(key)
            files[name] = self.uploads[key]
        return files

    def put_refresh(self, refresh: ListRefresh) -> None:
        self.refreshes[refresh.refresh_id] = refresh

    def get_refresh(self, refresh_id: str) -> ListRefresh:
        if refresh_id not in self.refreshes:
            raise NotFound(refresh_id)
        return self.refreshes[refresh_id]


class FakeAudit:
    def __init__(self) -> None:
        self.logs: dict[LogName, list[AuditEntry]] = {log: [] for log in LogName}
        self._once: set[str] = set()

    def head(self, log: LogName) -> ChainHead | None:
        last = self.logs[log][-1] if self.logs[log] else None
        return ChainHead(sequence=last.sequence, hash=last.hash) if last else None

    def append(self, log: LogName, event: str, subject: str, details: Mapping[str, str] | None = None) -> AuditEntry:
        return self.append_all(log, [(event, subject, details or {})])[0]

    def append_all(self, log: LogName, events: Sequence[tuple[str, str, Mapping[str, str]]],
                   once_key: str | None = None) -> list[AuditEntry]:
        if not events or (once_key and once_key in self._once):
            return []
        if once_key:
            self._once.add(once_key)
        at, added = iso(utc_now()), []
        for event, subject, details in events:
            entry = next_entry(self.logs[log][-1] if self.logs[log] else None, log, at, event, subject, details)
            self.logs[log].append(entry)
            added.append(entry)
        return added

    def entries(self, log: LogName, after_sequence: int = 0, since: datetime | None = None
                ) -> Iterator[AuditEntry]:
        yield from (e for e in list(self.logs[log]) if e.sequence > after_sequence and appended_since(e, since))

    def events(self, log: LogName) -> list[tuple[str, str]]:
        return [(e.event, e.subject) for e in self.logs[log]]


class FakeSchedules:
    def __init__(self) -> None:
        self.items: dict[str, dict[str, Any]] = {}

    def save(self, decisions: list[RetentionDecision]) -> None:
        for decision in decisions:
            self.items[decision.record_id] = schedule_item(decision)

    def due(self, now: datetime, page_size: int) -> Iterator[list[RetentionDecision]]:
        due = sorted((i for i in self.items.values() if i["sweep_status"] == SCHEDULED
                      and i["keep_until"] <= iso(now)), key=lambda i: i["keep_until"])
        for start in range(0, len(due), page_size):
            yield [decision_of(item) for item in due[start:start + page_size]]

    def finish(self, record_id: str, outcome: str, at: str) -> bool:
        item = self.items[record_id]
        if item["sweep_status"] != SCHEDULED:
            return False
        item.update({"sweep_status": outcome, "swept_at": at})
        return True

    def schedule_of(self, record_id: str) -> dict[str, Any] | None:
        return copy.deepcopy(self.items.get(record_id))

    def of_customer(self, customer_id: str) -> list[dict[str, Any]]:
        return [copy.deepcopy(i) for _, i in sorted(self.items.items()) if i.get("customer_id") == customer_id]


class FakeHolds:
    def __init__(self) -> None:
        self.items: dict[str, LegalHold] = {}

    def create(self, hold: LegalHold) -> None:
        if hold.hold_id in self.items:
            raise Conflict(f"legal hold {hold.hold_id} exists")
        self.items[hold.hold_id] = hold

    def release(self, hold_id: str, released_by: str, at: str) -> LegalHold:
        if hold_id not in self.items:
            raise NotFound(hold_id)
        if self.items[hold_id].released_at:
            raise Conflict(f"legal hold {hold_id} is already released")
        self.items[hold_id] = self.items[hold_id].model_copy(update={"released_by": released_by, "released_at": at})
        return self.items[hold_id]

    def active(self) -> list[LegalHold]:
        return [h for h in self.items.values() if not h.released_at]


class FakeClearances(FakeRetainedItems):
    """Pages are keyed like DynamoDB's: the last item's clearance id, grant time and partition key."""

    def __init__(self) -> None:
        self.items: dict[str, Clearance] = {}

    def create(self, clearance: Clearance) -> bool:
        if clearance.clearance_id in self.items:
            return False
        self.items[clearance.clearance_id] = clearance
        return True

    def get(self, clearance_id: str) -> Clearance:
        if clearance_id not in self.items:
            raise NotFound(clearance_id)
        return self.items[clearance_id]

    def revoke(self, clearance_id: str, revoked_by: str, at: str) -> Clearance:
        if self.get(clearance_id).status is not ClearanceStatus.ACTIVE:
            raise Conflict(f"clearance {clearance_id} is already revoked")
        self.items[clearance_id] = self.items[clearance_id].model_copy(
            update={"status": ClearanceStatus.REVOKED, "revoked_by": revoked_by, "revoked_at": at})
        return self.items[clearance_id]

    def _newest_first(self, keep) -> list[Clearance]:
        return sorted((c for c in self.items.values() if keep(c)), key=lambda c: (c.granted_at, c.clearance_id),
                      reverse=True)

    def for_customer(self, customer_id: str) -> list[Clearance]:
        return self._newest_first(lambda c: c.customer_id == customer_id)

    def page(self, status: str, customer_id: str | None, limit: int, start_key: dict[str, Any] | None
             ) -> tuple[list[Clearance], dict[str, Any] | None]:
        found = self._newest_first(lambda c: c.status == status and customer_id in (None, c.customer_id))
        if start_key:
            after = (start_key["granted_at"], start_key["clearance_id"])
            found = [c for c in found if (c.granted_at, c.clearance_id) < after]
        page = found[:limit]
        if len(found) <= limit:
            return page, None
        last = page[-1]
        partition = {"customer_id": last.customer_id} if customer_id else {"status": last.status}
        return page, {"clearance_id": last.clearance_id, "granted_at": last.granted_at, **partition}


class FakeWorkflows:
    """Records what a workflow engine is asked; `fail_start` makes the next start raise."""

    def __init__(self) -> None:
        self.started: dict[str, dict[str, Any]] = {}
        self.resumed: list[tuple[str, dict[str, Any]]] = []
        self.expired_tokens: set[str] = set()
        self.fail_start: Exception | None = None
        self.events: dict[str, list[dict[str, Any]]] = {}

    def start(self, state_machine_arn: str, name: str, payload: dict[str, Any]) -> str:
        if self.fail_start:
            error, self.fail_start = self.fail_start, None
            raise error
        self.started.setdefault(name, json.loads(json.dumps(payload)))
        return f"{state_machine_arn}:{name}"

    def describe(self, execution_arn: str) -> dict[str, Any]:
        return {"executionArn": execution_arn, "status": "RUNNING"}

    def send_task_success(self, task_token: str, output: dict[str, Any]) -> None:
        if task_token in self.expired_tokens:
            raise TaskTokenExpired("the task had already timed out or ended")
        self.resumed.append((task_token, output))

    def history(self, execution_arn: str) -> Iterator[dict[str, Any]]:
        yield from self.events.get(execution_arn, [])

    def list_executions(self, state_machine_arn: str, status: str | None, limit: int, token: str | None
                        ) -> dict[str, Any]:
        if token is not None:
            raise ValueError("not a page token Step Functions issued")
        return {"executions": []}


class FakeTrail:
    """CloudTrail log files by key, as CloudTrail lays them out (see stores/trail_bucket.py)."""

    def __init__(self) -> None:
        self.files: dict[str, bytes] = {}

    def deliver(self, key: str, records: list[dict[str, Any]]) -> None:
        self.files[key] = gzip.compress(json.dumps({"Records": records}).encode())

    def log_files(self, since: datetime, until: datetime) -> Iterator[str]:
        prefixes = tuple(day_prefixes(get_settings().trail_log_prefix, since, until))
        yield from sorted(k for k in self.files if k.startswith(prefixes))

    def object_reads(self, key: str) -> list[TrailRecord]:
        return parse_log_file(key, self.files[key])


class FakeExitFacts:
    """Facts by (month, id); the once-guard is kept apart, as it lives on the checkpoint item."""

    def __init__(self) -> None:
        self.facts: dict[tuple[str, str], ExitFact] = {}
        self.recorded: set[str] = set()

    def record_once(self, checkpoint_id: str, fact: ExitFact) -> bool:
        if checkpoint_id in self.recorded:
            return False
        self.recorded.add(checkpoint_id)
        self.facts[(fact.month, fact.fact_id)] = fact
        return True

    def in_months(self, months: Iterable[str]) -> Iterator[ExitFact]:
        for month in months:
            yield from (f for (m, _), f in sorted(self.facts.items()) if m == month)


class FakeFunctions:
    def __init__(self) -> None:
        self.invoked: list[tuple[str, dict[str, Any]]] = []

    def invoke_async(self, function_name: str, payload: dict[str, Any]) -> None:
        self.invoked.append((function_name, payload))


class FakeEventQueue:
    """Publishing hands each event to `consumer` at once, as moto's SQS event source mapping does
    (and an empty consumer keeps them in `published`)."""

    def __init__(self) -> None:
        self.published: list[RoutedEvent] = []
        self.consumer = None

    def publish(self, routed: RoutedEvent) -> None:
        self.published.append(routed)
        if self.consumer:
            self.consumer(routed)


class FakeSubscriptions:
    def __init__(self) -> None:
        self.items: dict[str, Subscription] = {}

    def create(self, subscription: Subscription) -> None:
        if subscription.webhook_id in self.items:
            raise Conflict(f"webhook {subscription.webhook_id} exists")
        self.items[subscription.webhook_id] = subscription

    def get(self, webhook_id: str) -> Subscription:
        if webhook_id not in self.items:
            raise NotFound(webhook_id)
        return self.items[webhook_id]

    def delete(self, webhook_id: str) -> None:
        self.items.pop(webhook_id, None)

    def all(self) -> list[Subscription]:
        return sorted(self.items.values(), key=lambda s: (s.created_at, s.webhook_id))

    def of_owner(self, owner: str) -> list[Subscription]:
        return [s for s in self.all() if s.owner == owner]

    def replace_secrets(self, webhook_id: str, rotation: int, secrets: tuple[SigningSecret, ...]) -> Subscription:
        current = self.get(webhook_id)
        if current.rotation != rotation:
            raise Conflict("the secret was rotated at the same time; read the webhook again")
        self.items[webhook_id] = current.model_copy(update={"secrets": secrets, "rotation": rotation + 1})
        return self.items[webhook_id]


class FakeDeliveries(FakeRetainedItems):
    def __init__(self) -> None:
        self.items: dict[str, Delivery] = {}

    def create_once(self, delivery: Delivery) -> bool:
        if delivery.delivery_id in self.items:
            return False
        self.items[delivery.delivery_id] = delivery
        return True

    def get(self, delivery_id: str) -> Delivery:
        if delivery_id not in self.items:
            raise NotFound(delivery_id)
        return self.items[delivery_id]

    def record_attempt(self, delivery: Delivery, attempt: Attempt, status: DeliveryStatus,
                       next_attempt_at: str | None) -> Delivery:
        current = self.get(delivery.delivery_id)
        if len(current.attempts) != len(delivery.attempts):
            raise Conflict(f"delivery {delivery.delivery_id} was attempted concurrently")
        self.items[delivery.delivery_id] = current.model_copy(update={
            "attempts": (*current.attempts, attempt), "status": status, "next_attempt_at": next_attempt_at})
        return self.items[delivery.delivery_id]

    def reschedule(self, delivery_id: str, at: str) -> Delivery:
        self.items[delivery_id] = self.get(delivery_id).model_copy(
            update={"status": DeliveryStatus.PENDING, "next_attempt_at": at})
        return self.items[delivery_id]

    def due(self, now: datetime, limit: int) -> list[Delivery]:
        due = [d for d in self.items.values() if d.status is DeliveryStatus.PENDING and d.next_attempt_at
               and datetime.fromisoformat(d.next_attempt_at.replace("Z", "+00:00")) <= now]
        return sorted(due, key=lambda d: d.next_attempt_at)[:limit]

    def of_webhook(self, webhook_id: str, limit: int, after: str | None) -> tuple[list[Delivery], str | None]:
        mine = sorted((d for d in self.items.values() if d.webhook_id == webhook_id),
                      key=lambda d: (d.created_at, d.delivery_id), reverse=True)
        if after:
            if after not in self.items:
                raise NotFound(after)
            mine = mine[[d.delivery_id for d in mine].index(after) + 1:]
        return mine[:limit], mine[limit - 1].delivery_id if len(mine) > limit else None


class FakeReceivers:
    """Answers each POST with the next status of `answers` (200 once they run out), recording it."""

    def __init__(self) -> None:
        self.answers: list[int | None] = []
        self.received: list[tuple[str, dict[str, str], str]] = []

    def post(self, url: str, headers: dict[str, str], body: str, timeout: float) -> Attempt:
        self.received.append((url, headers, body))
        status = self.answers.pop(0) if self.answers else 200
        return Attempt(at=iso(utc_now()), status_code=status, duration_ms=1,
                       error=None if status and status < 400 else ("timeout" if status is None else f"http_{status}"))


class MemoryPersistence(BasePersistenceLayer):
    """Powertools Idempotency's persistence in a dict, with the conditions of its DynamoDB layer."""

    def __init__(self) -> None:
        super().__init__()
        self.records: dict[str, DataRecord] = {}
        self._lock = threading.Lock()

    def _get_record(self, idempotency_key: str) -> DataRecord:
        if idempotency_key not in self.records:
            raise IdempotencyItemNotFoundError
        return self.records[idempotency_key]

    def _put_record(self, data_record: DataRecord) -> None:
        now = datetime.now()
        with self._lock:
            old = self.records.get(data_record.idempotency_key)
            reusable = old is None or (old.expiry_timestamp or 0) < now.timestamp() or (
                old.status == "INPROGRESS" and old.in_progress_expiry_timestamp is not None
                and old.in_progress_expiry_timestamp < now.timestamp() * 1000)
            if not reusable:
                self._validate_payload(data_payload=data_record, stored_data_record=old)
                raise IdempotencyItemAlreadyExistsError(old_data_record=old)
            self.records[data_record.idempotency_key] = data_record

    def _update_record(self, data_record: DataRecord) -> None:
        self.records[data_record.idempotency_key] = data_record

    def _delete_record(self, data_record: DataRecord) -> None:
        self.records.pop(data_record.idempotency_key, None)


class FakeIdempotency:
    def __init__(self) -> None:
        self.layer = MemoryPersistence()

    def persistence(self) -> BasePersistenceLayer:
        return self.layer


class FakeMonitoring:
    def __init__(self) -> None:
        self.run_items: dict[str, dict[str, Any]] = {}
        self.shard_rows: dict[tuple[str, str], dict[str, Any]] = {}

    def create_run(self, run: MonitoringRun) -> bool:
        if run.run_id in self.run_items:
            return False
        self.run_items[run.run_id] = run.model_dump(mode="json", exclude_none=True)
        return True

    def get_run(self, run_id: str) -> MonitoringRun:
        if run_id not in self.run_items:
            raise NotFound(run_id)
        return MonitoringRun.model_validate(self.run_items[run_id])

    def planned(self, run_id: str, shards_total: int, customers_total: int) -> None:
        self.run_items[run_id].update(shards_total=shards_total, customers_total=customers_total)

    def finish_run(self, run_id: str, status: RunStatus, finished_at: str, failure: str | None = None) -> bool:
        item = self.run_items[run_id]
        if item["status"] != RunStatus.RUNNING.value:
            return False
        item.update(status=status.value, finished_at=finished_at)
        if failure:
            item["failure"] = failure
        return True

    def runs(self, limit: int, start_key: dict[str, Any] | None) -> tuple[list[MonitoringRun], dict[str, Any] | None]:
        ordered = sorted(self.run_items.values(), key=lambda r: (r["started_at"], r["run_id"]), reverse=True)
        if start_key:
            ordered = [r for r in ordered if (r["started_at"], r["run_id"]) < (start_key["started_at"],
                                                                              start_key["run_id"])]
        page = ordered[:limit]
        last = {"run_id": page[-1]["run_id"], "item": "run", "listing": "run", "started_at": page[-1]["started_at"]} \
            if len(ordered) > limit else None
        return [MonitoringRun.model_validate(r) for r in page], last

    def shard_started(self, run_id: str, shard_id: str, customers: int) -> int:
        row = self.shard_rows.setdefault((run_id, shard_id), {"shard_id": shard_id, "attempts": 0})
        if row.get("status") == ShardStatus.SUCCEEDED.value:
            raise Conflict(f"shard {shard_id} of run {run_id} has succeeded already")
        row.update(customers=customers, status=ShardStatus.RUNNING.value, attempts=row["attempts"] + 1)
        return row["attempts"]

    def record_outcome(self, run_id: str, outcome: ShardOutcome) -> bool:
        row = self.shard_rows.get((run_id, outcome.shard_id), {})
        if row.get("status") == ShardStatus.SUCCEEDED.value:
            return False
        self.shard_rows[(run_id, outcome.shard_id)] = outcome.model_dump(mode="json", exclude_none=True)
        return True

    def outcomes(self, run_id: str) -> list[ShardOutcome]:
        return [ShardOutcome.model_validate(row) for (run, _), row in sorted(self.shard_rows.items()) if run == run_id]


class FakeIdentityGraph:
    """The identity graph as chalicelib.stores.identity_graph_table keeps it: entries by
    (checkpoint, link); a retention record `<checkpoint>` or `<checkpoint>/device` acts on its own."""

    def __init__(self) -> None:
        self.items: dict[tuple[str, str], GraphEntry] = {}
        self.retention: dict[tuple[str, str], dict[str, Any]] = {}

    def of_checkpoint(self, checkpoint_id: str) -> list[GraphEntry]:
        return [e for (cp, _), e in sorted(self.items.items()) if cp == checkpoint_id]

    def replace(self, checkpoint_id: str, entries: list[GraphEntry]) -> None:
        wanted = {e.key: e for e in entries}
        for old in self.of_checkpoint(checkpoint_id):
            if old.key not in wanted:
                self.items.pop((checkpoint_id, old.key), None)
        for key, entry in wanted.items():
            self.items[(checkpoint_id, key)] = entry

    def linked(self, link: str, other_than: str | None = None) -> list[GraphEntry]:
        found = [e for (_, key), e in self.items.items() if key == link]
        newest = sorted(found, key=lambda e: e.at, reverse=True)[:MAX_PER_LINK]
        return [e for e in newest if other_than is None or e.identity != other_than]

    def _record(self, item_id: str) -> list[tuple[str, str]]:
        checkpoint_id = item_id.removesuffix(DEVICE_RECORD)
        return [(checkpoint_id, e.key) for e in self.of_checkpoint(checkpoint_id) if in_record(item_id, e)]

    def stamp_retention(self, item_id: str, schedule: dict[str, str], ttl_epoch: int | None) -> None:
        for key in self._record(item_id):
            self.retention[key] = {"retention": dict(schedule), "expires_at": ttl_epoch}

    def clear_ttl(self, item_id: str) -> None:
        for key in self._record(item_id):
            self.retention.setdefault(key, {})["expires_at"] = None

    def delete(self, item_id: str) -> None:
        for key in self._record(item_id):
            self.items.pop(key, None)
            self.retention.pop(key, None)


class FakeHashKey:
    def __init__(self) -> None:
        self.secret = hashlib.sha256(b"unit-test identity-graph key").digest()

    def key(self) -> bytes:
        return self.secret


def fake_stores() -> Stores:
    """A fresh set of in-memory stores."""
    return Stores(checkpoints=FakeCheckpoints(), customers=FakeCustomers(), documents=FakeDocuments(),
                  exports=FakeExports(), lists=FakeLists(), audit=FakeAudit(), schedules=FakeSchedules(),
                  holds=FakeHolds(), clearances=FakeClearances(), workflows=FakeWorkflows(), functions=FakeFunctions(),
                  idempotency=FakeIdempotency(), events=FakeEventQueue(), subscriptions=FakeSubscriptions(),
                  deliveries=FakeDeliveries(), receivers=FakeReceivers(), trail=FakeTrail(),
                  exit_facts=FakeExitFacts(), monitoring=FakeMonitoring(), identity_graph=FakeIdentityGraph(),
                  hash_key=FakeHashKey())

