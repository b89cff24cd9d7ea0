"""The terms retention is written in: record classes, jurisdictions, the events that start a
period, what expiry does and a decision's status. A module of their own, so that what names a
record class (a view, the closure plan, the storage layout) does not bring in the rules' models
(chalicelib.domain.retention)."""
from __future__ import annotations

from enum import StrEnum


class Jurisdiction(StrEnum):
    EU = "EU"
    UK = "UK"
    US = "US"
    ALL = "ALL"  # a rule that applies wherever the bank is established


class RecordClass(StrEnum):
    CDD_IDENTITY = "cdd_identity"
    SCREENING_RESULTS = "screening_results"
    TRANSACTIONS = "transactions"
    CORRESPONDENCE = "correspondence"
    MARKETING_CONSENT = "marketing_consent"
    DEVICE_DATA = "device_data"
    EXPORT_PACKAGES = "export_packages"
    EXPORT_RECORD = "export_record"
    AUDIT_LOGS = "audit_logs"
    CLOSURE_RECORD = "closure_record"
    REJECTED_APPLICATION = "rejected_application"
    ABANDONED_APPLICATION = "abandoned_application"
    WEBHOOK_DELIVERY = "webhook_delivery"
    CHANNEL_CONFIGURATION = "channel_configuration"
    RETENTION_CONTROL = "retention_control"
    REQUEST_FINGERPRINT = "request_fingerprint"
    SANCTIONS_LISTS = "sanctions_lists"
    ACCESS_LOGS = "access_logs"
    EXIT_FACTS = "exit_facts"


class Trigger(StrEnum):
    RELATIONSHIP_END = "relationship_end"
    RECORD_CREATED = "record_created"
    TRANSACTION_DATE = "transaction_date"
    CONSENT_WITHDRAWN = "consent_withdrawn"
    APPLICATION_DECIDED = "application_decided"


class Action(StrEnum):
    DELETE = "delete"
    REVIEW = "review"


class RetentionStatus(StrEnum):
    SCHEDULED = "scheduled"
    PENDING_TRIGGER = "pending_trigger"


class SweepKind(StrEnum):
    DELETE = "delete"
    REVIEW = "review"
    SKIP_HELD = "skip_held"
