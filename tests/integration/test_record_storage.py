"""Nothing stored escapes the retention policy: every table, bucket and log group the stack
provisions declares the record classes written there (chalicelib/domain/record_classes.py), each
class has a rule wherever the bank may be established, and what the product actually wrote (every
object of every bucket, after the journeys ran) sits under a declared prefix with a declared class."""
from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from chalicelib.domain.record_classes import STORAGE_TYPES, STORED_IN, classify_key, declared_classes
from chalicelib.domain.retention import Events, Jurisdiction, RecordRef, decide
from chalicelib.local.template import merge_template
from chalicelib.policies import retention_rules
from chalicelib.stores import clients
from tests.integration.conftest import applicant_body
from tests.integration.test_offboarding_workflow import closure

STORES = {lid: props["Type"] for lid, props in merge_template()["Resources"].items()
          if isinstance(props, dict) and props.get("Type") in STORAGE_TYPES}


def test_every_table_bucket_and_log_group_declares_its_record_classes():
    assert set(STORES) == set(STORED_IN), "declare the new store's classes in STORED_IN (record_classes.py)"
    assert {"DocumentsBucket", "CheckpointsTable", "ExportsTable", "WebhookDeliveriesTable"} <= set(STORES)


@pytest.mark.parametrize("jurisdiction", [Jurisdiction.EU, Jurisdiction.UK, Jurisdiction.US])
def test_every_declared_class_has_a_rule_in_every_jurisdiction(jurisdiction):
    now = datetime(2030, 1, 1, tzinfo=UTC)
    for store, prefixes in STORED_IN.items():
        for record_class in {c for classes in prefixes.values() for c in classes}:
            ref = RecordRef(record_id=f"{store}/x", record_class=record_class, created_at=now)
            decide(ref, Events(), {jurisdiction}, retention_rules(), now)  # NoRuleError otherwise


def test_what_the_journeys_wrote_is_where_it_was_declared(http, stack):
    signup = http.wait_final(http.post("/v1/onboarding", applicant_body()).json_body["checkpoint_id"])
    closed = http.post("/v1/offboarding", closure(signup["customer_id"], export=True)).json_body["checkpoint_id"]
    assert http.wait_final(closed)["status"] == "CLOSED"
    refused = applicant_body(**{"document.expiry_date": (date.today() - timedelta(days=3)).isoformat()})
    assert http.wait_final(http.post("/v1/onboarding", refused).json_body["checkpoint_id"])["status"] == "REJECTED"

    s3, seen = clients.client("s3"), set()
    buckets = {lid: stack.resolver.refs[lid] for lid, kind in STORES.items() if kind == "AWS::S3::Bucket"}
    for store, bucket in buckets.items():
        pages = s3.get_paginator("list_objects_v2").paginate(Bucket=bucket)
        for key in (o["Key"] for page in pages for o in page.get("Contents", [])):
            classes = declared_classes(store, key)
            assert classes is not None, f"{store}: {key} is under no declared prefix"
            if store == "DocumentsBucket":
                tags = {t["Key"]: t["Value"] for t in s3.get_object_tagging(Bucket=bucket, Key=key)["TagSet"]}
                assert tags["record_class"] in {c.value for c in classes}, (key, tags)
                assert classify_key(key) in classes or tags["record_class"].endswith("_application"), key
                seen.add(tags["record_class"])
    assert {"cdd_identity", "screening_results", "closure_record", "transactions", "export_packages",
            "rejected_application"} <= seen
