"""Configuration from the environment, read once and lazily.

Deployed, the variables come from the merge template (`infra/resources.json`, Globals);
locally the embedded AWS resolves the same template and exports the same variables.
"""
from __future__ import annotations

import os
from dataclasses import dataclass
from functools import cache
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent  # /var/task in Lambda
POLICIES_DIR = PROJECT_ROOT / "policies"
LOCAL_STAGE = "local"


@dataclass(frozen=True)
class Settings:
    checkpoints_table: str
    customers_table: str
    idempotency_table: str
    documents_bucket: str
    lists_bucket: str
    audit_bucket: str
    audit_table: str
    retention_table: str
    legal_holds_table: str
    clearances_table: str
    exports_table: str
    exit_facts_table: str
    monitoring_table: str
    webhooks_table: str
    deliveries_table: str
    events_queue_url: str
    export_function_name: str
    data_key_id: str
    identity_graph_table: str
    identity_hash_key_id: str  # the KMS HMAC key the identity graph's keyed hashes derive from
    trail_bucket: str  # CloudTrail's S3 data events of export package downloads
    trail_log_prefix: str  # cloudtrail/AWSLogs/<account>/CloudTrail/<region>/
    onboarding_state_machine_arn: str
    offboarding_state_machine_arn: str
    monitoring_state_machine_arn: str
    alert_state_machine_arn: str
    list_refresh_state_machine_arn: str
    stage: str
    public_endpoint: str | None = None  # local stage only: where callers reach the embedded AWS
    establishment: tuple[str, ...] = ()  # the jurisdictions where the stage's legal entity is established

    @property
    def is_local(self) -> bool:
        return self.stage == LOCAL_STAGE


@cache
def get_settings() -> Settings:
    env = os.environ
    return Settings(
        checkpoints_table=env["CHECKPOINTS_TABLE"],
        customers_table=env["CUSTOMERS_TABLE"],
        idempotency_table=env["IDEMPOTENCY_TABLE"],
        documents_bucket=env["DOCUMENTS_BUCKET"],
        lists_bucket=env["LISTS_BUCKET"],
        audit_bucket=env["AUDIT_BUCKET"],
        audit_table=env["AUDIT_TABLE"],
        retention_table=env["RETENTION_TABLE"],
        legal_holds_table=env["LEGAL_HOLDS_TABLE"],
        clearances_table=env["CLEARANCES_TABLE"],
        exports_table=env["EXPORTS_TABLE"],
        exit_facts_table=env["EXIT_FACTS_TABLE"],
        monitoring_table=env["MONITORING_TABLE"],
        webhooks_table=env["WEBHOOKS_TABLE"],
        deliveries_table=env["DELIVERIES_TABLE"],
        events_queue_url=env["EVENTS_QUEUE_URL"],
        export_function_name=env["EXPORT_FUNCTION_NAME"],
        data_key_id=env["DATA_KEY_ID"],
        identity_graph_table=env["IDENTITY_GRAPH_TABLE"],
        identity_hash_key_id=env["IDENTITY_HASH_KEY_ID"],
        trail_bucket=env["TRAIL_BUCKET"],
        trail_log_prefix=env["TRAIL_LOG_PREFIX"],
        onboarding_state_machine_arn=env["ONBOARDING_STATE_MACHINE_ARN"],
        offboarding_state_machine_arn=env["OFFBOARDING_STATE_MACHINE_ARN"],
        monitoring_state_machine_arn=env["MONITORING_STATE_MACHINE_ARN"],
        alert_state_machine_arn=env["ALERT_STATE_MACHINE_ARN"],
        list_refresh_state_machine_arn=env["LIST_REFRESH_STATE_MACHINE_ARN"],
        stage=env.get("CHECKPOINT_STAGE", "prod"),
        public_endpoint=env.get("CHECKPOINT_PUBLIC_ENDPOINT") if env.get("CHECKPOINT_STAGE") == LOCAL_STAGE else None,
        establishment=tuple(j.strip() for j in env.get("CHECKPOINT_ESTABLISHMENT", "").split(",") if j.strip()),
    )
