"""A full monitoring run through the workflow on the embedded stack, in this process: `--customers`
synthetic customers (bench/customer_base.py) seeded straight into the customers table (batch
writes, as a migration would), then a full re-screen started as `POST /v1/monitoring/runs` starts
it (the service call), its Distributed Map run by moto's Step Functions engine (one child execution
per shard, each shard's `ScreenShard` dispatched in process to app.py's handler), waited for.

Prints the shard count, customers total and screened, the run's wall time (start to FINISHED) and
customers/s, and the CPU time this process spent on it (the embedded AWS runs in it too).

    python bench/monitoring_workflow.py [--customers 10000]
"""
from __future__ import annotations

import argparse
import os
import sys
import time
import uuid
from datetime import date
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("POWERTOOLS_LOG_LEVEL", "WARNING")

from app import app  # noqa: E402
from customer_base import customers as synthetic  # noqa: E402
from chalicelib.domain.actors import Caller, Role  # noqa: E402
from chalicelib.domain.customer import CustomerRecord, partition_of  # noqa: E402
from chalicelib.domain.models import Address, Applicant, DocumentType, IdentityDocument, VerificationResult  # noqa: E402
from chalicelib.domain.monitoring import RunStatus  # noqa: E402
from chalicelib.local.embedded import embedded_stack  # noqa: E402
from chalicelib.local.sample_data import publish_sample_lists  # noqa: E402
from chalicelib.policies import monitoring_policy  # noqa: E402
from chalicelib.services import monitoring  # noqa: E402
from chalicelib.settings import get_settings  # noqa: E402
from chalicelib.stores import clients  # noqa: E402
from chalicelib.stores.customer_table import item_of  # noqa: E402


def record(customer_id: str, name: str, birth: date, nationality: str | None) -> CustomerRecord:
    """A customer as an earlier sign-up created it (the profile screening reads; the rest plausible)."""
    given, _, family = name.rpartition(" ")
    signup = f"cp_{uuid.uuid4().hex}"
    return CustomerRecord(
        customer_id=customer_id, status="active", created_at="2024-02-01T09:00:00.000Z",
        onboarding_checkpoint_id=signup, owner="web-signup",
        profile=Applicant(given_names=given, family_name=family, birth_date=birth, nationality=nationality or "NOR",
                          email=f"{uuid.uuid4().hex[:8]}@example.org", phone="+4791234567",
                          address=Address(line1="Kirkegata 1", city="Oslo", postal_code="0153", country="NOR")),
        document=IdentityDocument(type=DocumentType.PASSPORT, number="NO1234567", issuing_country="NOR",
                                  expiry_date=date(2031, 1, 1)),
        verification=VerificationResult(provider="bench"), list_versions={},
        screening_result_key=f"checkpoints/{signup}/results/screening.json", policy_version="bench",
        monitoring_partition=partition_of(customer_id, monitoring_policy().shards.partitions))


def seed(count: int) -> None:
    with clients.table(get_settings().customers_table).batch_writer() as batch:
        for profile in synthetic(count):
            batch.put_item(Item=item_of(record(profile.customer_id, profile.name, profile.birth_date,
                                               profile.nationality)))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--customers", type=int, default=10_000)
    parser.add_argument("--timeout", type=float, default=3600.0, help="seconds to wait for the run")
    args = parser.parse_args()
    print(f"monitoring workflow bench, {time.strftime('%Y-%m-%d')}: a full run over {args.customers:,} customers "
          f"on the embedded stack, in process")
    with embedded_stack(app):
        clients.reset()
        publish_sample_lists()
        start = time.perf_counter()
        seed(args.customers)
        print(f"  seeded {args.customers:,} customers in {time.perf_counter() - start:.1f} s (batch writes)")
        caller = Caller(subject="bench-officer", role=Role.COMPLIANCE)
        start, cpu = time.perf_counter(), time.process_time()
        run = monitoring.start(caller)
        deadline = start + args.timeout
        while True:
            summary = monitoring.view(caller, run.run_id)
            if summary.status is not RunStatus.RUNNING or time.perf_counter() > deadline:
                break
            time.sleep(0.5)
        wall, cpu = time.perf_counter() - start, time.process_time() - cpu
    policy = monitoring_policy().shards
    print(f"run {summary.status.value}: {summary.run.shards_total} shards (about {policy.customers_per_shard:,} customers "
          f"each, MaxConcurrency {policy.max_concurrency}), customers total {summary.run.customers_total:,}, screened "
          f"{summary.customers_screened:,}, {summary.alerts_opened} alerts, failed shards {len(summary.failed_shards)}")
    print(f"  {wall:.1f} s wall ({cpu:.1f} s CPU in this process): {summary.customers_screened / wall:,.0f} "
          f"customers/s through the workflow")
    return 0 if summary.status is RunStatus.SUCCEEDED and summary.customers_screened == summary.run.customers_total else 1


if __name__ == "__main__":
    sys.exit(main())
