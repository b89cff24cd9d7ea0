"""Which retention record class a stored object belongs to, by where the product stores it
(the layout is in chalicelib/stores/document_bucket.py). Every object is tagged with it when written."""
from __future__ import annotations

from chalicelib.domain.retention_terms import RecordClass

_RESULT_CLASSES = {"identity.json": RecordClass.CDD_IDENTITY, "screening.json": RecordClass.SCREENING_RESULTS,
                   "fraud.json": RecordClass.CDD_IDENTITY, "risk.json": RecordClass.CDD_IDENTITY,
                   "exit_risk.json": RecordClass.CLOSURE_RECORD, "plan.json": RecordClass.CLOSURE_RECORD}


def classify_key(key: str) -> RecordClass:
    if key.startswith("monitoring/"):
        return RecordClass.SCREENING_RESULTS  # a monitoring run's manifest
    if key.startswith("inbox/"):
        return RecordClass.TRANSACTIONS  # a core banking system's drop, deleted once copied
    if "/exports/" in key:
        return RecordClass.EXPORT_PACKAGES
    if "/transactions/" in key:
        return RecordClass.TRANSACTIONS
    if key.endswith("/closure-request.json"):
        return RecordClass.CLOSURE_RECORD
    if "/results/" in key:
        return _RESULT_CLASSES.get(key.rsplit("/", 1)[-1], RecordClass.CDD_IDENTITY)
    return RecordClass.CDD_IDENTITY  # the application and the document images


def tagging(key: str) -> str:
    """The S3 Tagging value every object is written with."""
    return f"record_class={classify_key(key).value}"


# Where the stack stores records (the template's logical ids) and the classes written there, so that
# nothing stored escapes the retention policy: tests/integration/test_record_storage.py fails on a
# table, bucket, log group or key prefix that is not declared here, or on a class without a rule.
# DynamoDB items are erased by the sweep (schedules name them <table>/<id>); S3 objects by the sweep
# or, for logs, by the bucket's lifecycle; log groups by their retention period (policies/logging.yaml).
_C = RecordClass
STORED_IN: dict[str, dict[str, tuple[RecordClass, ...]]] = {
    # table or bucket -> key prefix ("" for a table's items) -> classes
    "CheckpointsTable": {"": (_C.CDD_IDENTITY, _C.CLOSURE_RECORD, _C.REJECTED_APPLICATION,
                              _C.ABANDONED_APPLICATION, _C.SCREENING_RESULTS)},  # a monitoring alert: screening
    "CustomersTable": {"": (_C.CDD_IDENTITY,)},
    "IdempotencyTable": {"": (_C.REQUEST_FINGERPRINT,)},
    "ExportsTable": {"": (_C.EXPORT_RECORD,)},
    "WebhooksTable": {"": (_C.CHANNEL_CONFIGURATION,)},
    "WebhookDeliveriesTable": {"": (_C.WEBHOOK_DELIVERY,)},
    "RetentionTable": {"": (_C.RETENTION_CONTROL,)},
    "LegalHoldsTable": {"": (_C.RETENTION_CONTROL,)},
    "ClearancesTable": {"": (_C.SCREENING_RESULTS,)},  # a reviewer's finding on a screening match
    # a sign-up's links (keyed hashes): the person's as their CDD records, the device's as device data;
    # a sign-up that did not become a relationship: all as its application
    "IdentityGraphTable": {"": (_C.CDD_IDENTITY, _C.DEVICE_DATA, _C.REJECTED_APPLICATION, _C.ABANDONED_APPLICATION)},
    "AuditTable": {"": (_C.AUDIT_LOGS,)},  # the chain heads
    "ExitFactsTable": {"": (_C.EXIT_FACTS,)},  # identifier-free: nothing to erase with a customer
    "MonitoringTable": {"": (_C.SCREENING_RESULTS,)},  # runs and shard rows: ids and counts, no customer
    "DocumentsBucket": {
        "checkpoints/": (_C.CDD_IDENTITY, _C.SCREENING_RESULTS, _C.CLOSURE_RECORD, _C.REJECTED_APPLICATION,
                         _C.ABANDONED_APPLICATION),
        "customers/": (_C.TRANSACTIONS, _C.EXPORT_PACKAGES),
        "inbox/": (_C.TRANSACTIONS,),
        "monitoring/": (_C.SCREENING_RESULTS,),  # a run's manifest of shards (partition numbers only)
    },
    "ListsBucket": {"lists/": (_C.SANCTIONS_LISTS,), "uploads/": (_C.SANCTIONS_LISTS,)},
    "AuditBucket": {"audit/": (_C.AUDIT_LOGS,)},
    "TrailBucket": {"cloudtrail/": (_C.ACCESS_LOGS,)},
    "AccessLogsBucket": {"": (_C.ACCESS_LOGS,)},
    "ApiAccessLogGroup": {"": (_C.ACCESS_LOGS,)},
    "FunctionLogGroup": {"": (_C.ACCESS_LOGS,)},
    "OnboardingStateMachineLogGroup": {"": (_C.ACCESS_LOGS,)},
    "OffboardingStateMachineLogGroup": {"": (_C.ACCESS_LOGS,)},
    "MonitoringStateMachineLogGroup": {"": (_C.ACCESS_LOGS,)},
    "MonitoringAlertStateMachineLogGroup": {"": (_C.ACCESS_LOGS,)},
    "ListRefreshStateMachineLogGroup": {"": (_C.ACCESS_LOGS,)},
}
STORAGE_TYPES = ("AWS::DynamoDB::Table", "AWS::S3::Bucket", "AWS::Logs::LogGroup")


def declared_classes(store: str, key: str = "") -> tuple[RecordClass, ...] | None:
    """The classes declared for `key` in `store` (its longest declared prefix), None if undeclared."""
    prefixes = STORED_IN.get(store, {})
    matching = [p for p in prefixes if key.startswith(p)]
    return prefixes[max(matching, key=len)] if matching else None
