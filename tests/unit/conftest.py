"""Unit tests run without AWS: services get in-memory stores (tests/unit/fakes.py); the settings
they read name resources that do not exist anywhere."""
from __future__ import annotations

import os

import pytest

from chalicelib.settings import get_settings

SETTINGS = {
    "CHECKPOINTS_TABLE": "unit-checkpoints", "CUSTOMERS_TABLE": "unit-customers", "IDEMPOTENCY_TABLE": "unit-idem",
    "DOCUMENTS_BUCKET": "unit-documents", "LISTS_BUCKET": "unit-lists", "AUDIT_BUCKET": "unit-audit",
    "AUDIT_TABLE": "unit-audit", "RETENTION_TABLE": "unit-retention", "LEGAL_HOLDS_TABLE": "unit-holds",
    "CLEARANCES_TABLE": "unit-clearances", "IDENTITY_GRAPH_TABLE": "unit-identity-graph",
    "IDENTITY_HASH_KEY_ID": "unit-hash-key",
    "EXPORTS_TABLE": "unit-exports", "EXIT_FACTS_TABLE": "unit-exit-facts", "WEBHOOKS_TABLE": "unit-webhooks",
    "DELIVERIES_TABLE": "unit-deliveries", "MONITORING_TABLE": "unit-monitoring",
    "EVENTS_QUEUE_URL": "https://sqs.eu-west-1.amazonaws.com/123456789012/unit-events",
    "EXPORT_FUNCTION_NAME": "unit-build_export", "DATA_KEY_ID": "unit-key",
    "TRAIL_BUCKET": "unit-trail", "TRAIL_LOG_PREFIX": "cloudtrail/AWSLogs/123456789012/CloudTrail/eu-west-1/",
    "ONBOARDING_STATE_MACHINE_ARN": "arn:aws:states:eu-west-1:123456789012:stateMachine:unit-onboarding",
    "OFFBOARDING_STATE_MACHINE_ARN": "arn:aws:states:eu-west-1:123456789012:stateMachine:unit-offboarding",
    "MONITORING_STATE_MACHINE_ARN": "arn:aws:states:eu-west-1:123456789012:stateMachine:unit-monitoring",
    "ALERT_STATE_MACHINE_ARN": "arn:aws:states:eu-west-1:123456789012:stateMachine:unit-monitoring-alert",
    "LIST_REFRESH_STATE_MACHINE_ARN": "arn:aws:states:eu-west-1:123456789012:stateMachine:unit-list-refresh",
    "CHECKPOINT_STAGE": "local",
}


@pytest.fixture
def unit_settings(monkeypatch):
    """Settings for services under test. Where the session's embedded stack already exported its
    own (unit and integration tests share worker processes), those are kept: workflows it runs in
    the background must keep reading the names they were started with."""
    missing = {name: value for name, value in SETTINGS.items() if name not in os.environ}
    for name, value in missing.items():
        monkeypatch.setenv(name, value)
    if missing:
        get_settings.cache_clear()
    yield get_settings()
    if missing:
        get_settings.cache_clear()
