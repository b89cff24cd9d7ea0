"""Retention sweep throughput on the embedded stack (moto, in process).

Stores N retention schedules that are all due (a mix of delete and review actions
on customer items, a slice under legal hold), runs the sweep as the daily schedule does, and
prints records evaluated per second and what was done. Usage: bench/retention_sweep.py [N]
"""
from __future__ import annotations

import os
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("POWERTOOLS_LOG_LEVEL", "WARNING")

from app import app  # noqa: E402
from chalicelib.domain.legal_hold import LegalHold  # noqa: E402
from chalicelib.stores import AWS, clients  # noqa: E402
from chalicelib.stores.retention_table import SCHEDULED  # noqa: E402
from chalicelib.domain.retention import Action, RecordClass, RetentionDecision, RetentionStatus  # noqa: E402
from chalicelib.local.embedded import embedded_stack  # noqa: E402
from chalicelib.services import retention  # noqa: E402


def decision(i: int, keep_until: datetime) -> RetentionDecision:
    action = (Action.DELETE, Action.REVIEW)[i % 2]
    return RetentionDecision(record_id=f"customer/cus_{i:032x}", customer_id=f"cus_{i:032x}",
                             record_class=RecordClass.CDD_IDENTITY, status=RetentionStatus.SCHEDULED,
                             keep_until=keep_until, rule_id="eu-cdd-identity", source="AMLD Art. 40(1)(a)",
                             action=action, erase_now=False, immutable=False, ttl_epoch=None)


def main() -> None:
    count = int(sys.argv[1]) if len(sys.argv) > 1 else 100_000
    now = datetime.now(UTC)
    with embedded_stack(app):
        clients.reset()
        started = time.perf_counter()
        with clients.table(os.environ["RETENTION_TABLE"]).batch_writer() as batch:
            for i in range(count):
                item = decision(i, now - timedelta(days=1 + i % 300)).model_dump(mode="json")
                batch.put_item(Item={**item, "sweep_status": SCHEDULED})
        loaded = time.perf_counter() - started
        for i in range(0, count, 1000):  # one customer in a thousand under legal hold
            AWS.holds.create(LegalHold(hold_id=f"lh_{i:032x}", customer_id=f"cus_{i:032x}", reason="bench",
                                       case_reference="BENCH", placed_by="bench", placed_at=now.isoformat()))
        started = time.perf_counter()
        report = retention.sweep(now, page_size=1000)
        elapsed = time.perf_counter() - started
    print(f"schedules stored: {count} in {loaded:.1f} s")
    print(f"sweep: {report.get('evaluated', 0)} records evaluated in {elapsed:.1f} s "
          f"= {report.get('evaluated', 0) / elapsed:,.0f} records/s")
    print(f"outcomes: { {k: v for k, v in report.items() if k != 'evaluated'} }")


if __name__ == "__main__":
    main()
