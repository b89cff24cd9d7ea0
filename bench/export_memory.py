"""Memory and speed of the data-portability package for long histories.

Each size runs in a fresh Python process that builds the package (accounts + transactions, JSON
and CSV) from generated transactions read as JSON lines page by page (as the export will read
them from S3), hashing the ZIP stream instead of storing it. Two runs per size:

- timed run: wall time, throughput, and peak RSS of the whole process (os.wait4 rusage of the
  child; includes the interpreter and imports, so also the RSS before the build started);
- traced run: tracemalloc's peak of Python allocations during the build (slower; not timed).

Target: peak(1M) / peak(10k) <= 1.5, i.e. memory flat whatever the history's length.

    .venv/bin/python bench/export_memory.py [--sizes 10000 1000000] [--no-trace]
"""
from __future__ import annotations

import argparse
import hashlib
import json
import os
import random
import resource
import subprocess
import sys
import time
import tracemalloc
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from chalicelib.domain.closure import Account, Transaction  # noqa: E402
from chalicelib.domain.export_package import ExportSpec, account_record, build_package, transaction_record  # noqa: E402

PAGE = 1000  # lines per simulated S3 read
MIB = 1024 * 1024
NAMES = ("Tesco Stores", "Transport for London", "Acme Payroll Ltd", "Zoë Müller", "HMRC", "Netflix.com",
         "Octopus Energy", "Ørsted A/S", "Landlord, J. & Sons")


def _jsonl_pages(count: int) -> Iterator[list[bytes]]:
    """Deterministic transactions as the stored JSON lines, a page at a time."""
    rng = random.Random(20260301)
    start = datetime(2015, 1, 1, tzinfo=UTC)
    for first in range(0, count, PAGE):
        page = []
        for i in range(first, min(first + PAGE, count)):
            booked = (start + timedelta(seconds=i * 97)).isoformat()
            cents = rng.randint(1, 500_000)
            direction = "credit" if rng.random() < 0.3 else "debit"
            iban = f'"GB{i % 90 + 10}BUKB{i:014d}"' if rng.random() < 0.8 else "null"
            page.append(
                f'{{"transaction_id":"tx{i:08d}","booked_at":"{booked}","amount":"{cents // 100}.{cents % 100:02d}",'
                f'"currency":"GBP","direction":"{direction}","counterparty":{{"name":"{NAMES[i % len(NAMES)]}",'
                f'"iban":{iban}}}}}'.encode())
        yield page


def _transactions(count: int) -> Iterator[dict[str, Any]]:
    for page in _jsonl_pages(count):
        for line in page:
            yield transaction_record(Transaction.model_validate_json(line), "acc-1")


def run_child(count: int, trace: bool) -> dict[str, Any]:
    """Build one package, consuming the stream; what it measured (printed as JSON)."""
    spec = ExportSpec(export_id="exp_bench", customer_id="cus_bench", created_at=datetime.now(UTC),
                      formats=("json", "csv"), include=("accounts", "transactions"), generator_version="bench")
    accounts = [Account(account_id=f"acc-{i}", balance=Decimal("1234.56"), currency="GBP", holders=("cus_bench",))
                for i in range(3)]
    sources = {"accounts": lambda: (account_record(a) for a in accounts), "transactions": lambda: _transactions(count)}
    rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    if trace:
        tracemalloc.start()
    digest, size = hashlib.sha256(), 0
    started = time.perf_counter()
    for chunk in build_package(spec, sources):
        digest.update(chunk)
        size += len(chunk)
    wall = time.perf_counter() - started
    return {"count": count, "wall_s": wall, "zip_bytes": size, "rss_before_bytes": rss_before,
            "traced_peak_bytes": tracemalloc.get_traced_memory()[1] if trace else None}


def measure(count: int, trace: bool) -> dict[str, Any]:
    """Run one size in a fresh process; its report plus its peak RSS from the kernel."""
    args = [sys.executable, __file__, "--child", str(count)] + (["--trace"] if trace else [])
    child = subprocess.Popen(args, stdout=subprocess.PIPE)
    assert child.stdout is not None
    output = child.stdout.read()
    _, status, usage = os.wait4(child.pid, 0)
    child.returncode = os.waitstatus_to_exitcode(status)
    if child.returncode:
        raise SystemExit(f"child for {count} failed with {child.returncode}")
    return json.loads(output) | {"peak_rss_bytes": usage.ru_maxrss * 1024}  # Linux: ru_maxrss in KiB


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 1_000_000])
    parser.add_argument("--no-trace", action="store_true", help="skip the tracemalloc runs")
    parser.add_argument("--child", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--trace", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child is not None:
        print(json.dumps(run_child(args.child, args.trace)))
        return

    print(f"Python {sys.version.split()[0]}, {os.cpu_count()} CPUs; package = accounts + transactions, json + csv")
    print(f"{'transactions':>12} {'wall s':>8} {'tx/s':>9} {'zip MiB':>8} {'peak RSS MiB':>13} "
          f"{'RSS before build':>17} {'tracemalloc peak MiB':>21}")
    results = []
    for count in args.sizes:
        timed = measure(count, trace=False)
        traced = None if args.no_trace else measure(count, trace=True)["traced_peak_bytes"]
        results.append((timed, traced))
        print(f"{count:>12,} {timed['wall_s']:>8.1f} {count / timed['wall_s']:>9,.0f} "
              f"{timed['zip_bytes'] / MIB:>8.1f} {timed['peak_rss_bytes'] / MIB:>13.1f} "
              f"{timed['rss_before_bytes'] / MIB:>17.1f} "
              f"{'-' if traced is None else format(traced / MIB, '.2f'):>21}")
    if len(results) > 1:
        (small, small_traced), (large, large_traced) = results[0], results[-1]
        print(f"peak RSS ratio {large['count']:,} / {small['count']:,}: "
              f"{large['peak_rss_bytes'] / small['peak_rss_bytes']:.2f} (target <= 1.5)")
        if small_traced and large_traced:
            print(f"tracemalloc peak ratio: {large_traced / small_traced:.2f}")


if __name__ == "__main__":
    main()
