"""Storage adapters, one module per AWS resource they wrap, each behind a small Protocol.

Services receive a `Stores` (the AWS-backed `AWS` by default); unit tests pass in-memory fakes
of the same Protocols (tests/unit/fakes.py). A store never decides: it reads, writes
conditionally and reports what it found; the decisions are the services' and the domain's.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol

from chalicelib.stores.audit_bucket import AuditBucket, AuditLogStore
from chalicelib.stores.checkpoint_table import CheckpointStore, CheckpointTable
from chalicelib.stores.clearance_table import ClearanceStore, ClearanceTable
from chalicelib.stores.customer_table import CustomerStore, CustomerTable
from chalicelib.stores.delivery_table import DeliveryStore, DeliveryTable
from chalicelib.stores.document_bucket import DocumentBucket, DocumentStore
from chalicelib.stores.event_queue import EventQueue, EventsQueue
from chalicelib.stores.exit_fact_table import ExitFactStore, ExitFactTable
from chalicelib.stores.export_table import ExportStore, ExportTable
from chalicelib.stores.functions import FunctionInvoker, LambdaFunctions
from chalicelib.stores.hash_key import HashKeyStore, KmsHashKey
from chalicelib.stores.idempotency_table import IdempotencyTable
from chalicelib.stores.identity_graph_table import IdentityGraphStore, IdentityGraphTable
from chalicelib.stores.legal_hold_table import LegalHoldStore, LegalHoldTable
from chalicelib.stores.list_bucket import ListBucket, ListStore
from chalicelib.stores.monitoring_table import MonitoringStore, MonitoringTable
from chalicelib.stores.receivers import HttpReceivers, Receivers
from chalicelib.stores.retention_table import RetentionScheduleStore, RetentionTable
from chalicelib.stores.trail_bucket import TrailBucket, TrailLogStore
from chalicelib.stores.webhook_table import SubscriptionStore, WebhookTable
from chalicelib.stores.workflows import StepFunctions, WorkflowEngine

if TYPE_CHECKING:  # Powertools' idempotency loads with the first request that needs it
    from aws_lambda_powertools.utilities.idempotency.persistence.base import BasePersistenceLayer


class IdempotencyStore(Protocol):
    def persistence(self) -> BasePersistenceLayer: ...


@dataclass(frozen=True)
class Stores:
    checkpoints: CheckpointStore
    customers: CustomerStore
    documents: DocumentStore
    exports: ExportStore
    lists: ListStore
    audit: AuditLogStore
    schedules: RetentionScheduleStore
    holds: LegalHoldStore
    clearances: ClearanceStore
    workflows: WorkflowEngine
    functions: FunctionInvoker
    idempotency: IdempotencyStore
    events: EventQueue
    subscriptions: SubscriptionStore
    deliveries: DeliveryStore
    receivers: Receivers
    trail: TrailLogStore
    exit_facts: ExitFactStore
    monitoring: MonitoringStore
    identity_graph: IdentityGraphStore
    hash_key: HashKeyStore


AWS = Stores(checkpoints=CheckpointTable(), customers=CustomerTable(), documents=DocumentBucket(),
             exports=ExportTable(), lists=ListBucket(), audit=AuditBucket(), schedules=RetentionTable(),
             holds=LegalHoldTable(), clearances=ClearanceTable(), workflows=StepFunctions(), functions=LambdaFunctions(),
             idempotency=IdempotencyTable(), events=EventsQueue(), subscriptions=WebhookTable(),
             deliveries=DeliveryTable(), receivers=HttpReceivers(), trail=TrailBucket(),
             exit_facts=ExitFactTable(), monitoring=MonitoringTable(), identity_graph=IdentityGraphTable(),
             hash_key=KmsHashKey())
"""The stores on the stack's AWS resources (named by the settings, read when first used)."""
