"""Ongoing monitoring, in process, on a synthetic customer base (bench/customer_base.py: Faker's
name pools of 12 locales combined at random, adult birth dates):

- delta screening: `--entries` listed persons of the shipped OFAC SDN list as a new version's added
  entries, screened against the whole base through the reverse index (the entries are the queries,
  the customers the index), with `--planted` customers who are those listed persons; compared with a
  forward screening of a sample of the base against the same entries (what the delta must find);
- the reverse index's build time, serialised size and load time;
- a full re-screen: customers/s screening `--rescreen` customers against every shipped list, wall and
  CPU time, against the issue's 2,000 customers/s per core;
- a shard's memory: peak traced allocation while screening one shard streamed from bases of
  10,000 and `--customers` customers (the shard holds its own customers only).

    python bench/monitoring.py [--customers 1000000] [--entries 100] [--rescreen 20000]
"""
from __future__ import annotations

import argparse
import gc
import itertools
import random
import sys
import time
import tracemalloc
from datetime import date

from screening_data import LISTS_DIR, load_entities, policy, screener
from customer_base import customers
from chalicelib.domain.screening.engine import Screener
from chalicelib.domain.screening.entities import EntityType
from chalicelib.domain.screening.index import NameIndex
from chalicelib.domain.screening.reverse import ScreeningProfile, customer_index, delta_hits, screen_all
from chalicelib.policies import list_sources_policy, monitoring_policy


def planted(entities, count: int, rng: random.Random) -> list[ScreeningProfile]:
    """Customers who are listed persons: the listed name reordered as a sign-up gives it
    (given names first), the listed birth date where there is one."""
    found = []
    for number, entity in enumerate(rng.sample(entities, count)):
        words = entity.primary_name.replace(",", "").split()
        name = " ".join(words[1:] + words[:1]) if len(words) > 1 else entity.primary_name
        exact = next((b.exact for b in entity.birth_dates if getattr(b, "exact", None)), None)
        found.append(ScreeningProfile(customer_id=f"cus_planted{number:06d}", name=name,
                                      birth_date=exact or date(1970, 1, 1)))
    return found


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--customers", type=int, default=1_000_000)
    parser.add_argument("--entries", type=int, default=100)
    parser.add_argument("--planted", type=int, default=10)
    parser.add_argument("--rescreen", type=int, default=20_000)
    parser.add_argument("--forward-sample", type=int, default=20_000)
    parser.add_argument("--shard", type=int, default=monitoring_policy().shards.customers_per_shard)
    args = parser.parse_args()
    rng = random.Random(15)
    print(f"monitoring bench, {time.strftime('%Y-%m-%d')}; synthetic base of {args.customers:,} customers")

    start = time.perf_counter()
    base = list(customers(args.customers))
    print(f"  generated the base in {time.perf_counter() - start:.1f} s")
    snapshot, sdn = load_entities("ofac-sdn")
    persons = [e for e in sdn if e.type is EntityType.PERSON]
    entries = rng.sample(persons, min(args.entries, len(persons)))
    plant = planted(entries, min(args.planted, len(entries)), rng)
    profiles = base + plant

    gc.collect()
    start = time.perf_counter()
    index = customer_index(profiles)
    built = time.perf_counter() - start
    blob = index.to_bytes()
    start = time.perf_counter()
    NameIndex.from_bytes(blob)
    loaded = time.perf_counter() - start
    print(f"reverse index of {len(profiles):,} customers: built in {built:.1f} s, {len(blob) / 1e6:.1f} MB "
          f"serialised, loaded in {loaded:.1f} s")

    added = NameIndex.build("ofac-sdn", snapshot, entries)
    min_coverage = monitoring_policy().reverse_index.min_coverage
    counts: dict[str, int] = {}
    start, cpu = time.perf_counter(), time.process_time()
    hits = delta_hits(profiles, index, added, policy(), min_coverage, counts)
    wall, cpu = time.perf_counter() - start, time.process_time() - cpu
    hit_ids = {p.customer_id for p, _ in hits}
    print(f"delta of {len(entries)} added entries against {len(profiles):,} customers: {wall:.2f} s wall "
          f"({cpu:.2f} s CPU) vs the 10 s target; {len(hits)} customers matched, planted found "
          f"{sum(p.customer_id in hit_ids for p in plant)}/{len(plant)}")
    print(f"  the entries' names reached {counts['reached']:,} customer names; the score bound left "
          f"{counts['screened']:,} customers to screen")

    forward = Screener([added], policy())
    sample = rng.sample(base, min(args.forward_sample, len(base))) + plant
    expected = {p.customer_id for p, _ in screen_all(sample, forward)}
    print(f"  forward screening of {len(sample):,} customers against the same entries: {len(expected)} matched, "
          f"the delta found {len(expected & hit_ids)}/{len(expected)} of them")

    shard_times = []
    for first in range(0, min(len(profiles), 20 * args.shard), args.shard):  # as the workflow's shards do it
        shard = profiles[first:first + args.shard]
        start = time.process_time()
        delta_hits(shard, customer_index(shard), added, policy(), min_coverage)
        shard_times.append(time.process_time() - start)
    per_shard = sum(shard_times) / len(shard_times)
    print(f"  the same delta per shard of {args.shard} customers (index its customers, then search): "
          f"{per_shard * 1e3:.0f} ms CPU; {len(profiles) / args.shard:,.0f} shards = {per_shard * len(profiles) / args.shard:.0f} s "
          f"of CPU in all, {per_shard * len(profiles) / args.shard / 100:.1f} s at 100 shards at once")

    del index, blob, hits
    gc.collect()
    full, _ = screener(tuple(s for s in list_sources_policy().in_force() if (LISTS_DIR / s / "source.json").exists()))
    chosen = base[:args.rescreen]
    start, cpu = time.perf_counter(), time.process_time()
    flagged = screen_all(chosen, full)
    wall, cpu = time.perf_counter() - start, time.process_time() - cpu
    print(f"full re-screen of {len(chosen):,} customers against {len(full.indexes)} lists: "
          f"{len(chosen) / wall:,.0f} customers/s wall, {len(chosen) / cpu:,.0f} customers/s per core (CPU) vs the "
          f"2,000/s target; {len(flagged)} with a match; {args.customers:,} customers would take "
          f"{args.customers / (len(chosen) / cpu) / 2 / 60:.1f} min on 2 cores")

    def shard_peak(size: int) -> int:
        tracemalloc.start()
        screen_all(itertools.islice(customers(size), args.shard), full)
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
        return peak

    small, large = shard_peak(10_000), shard_peak(args.customers)
    print(f"a shard of {args.shard} customers: peak {small / 1e6:.1f} MB from a base of 10,000, "
          f"{large / 1e6:.1f} MB from {args.customers:,} (ratio {large / small:.2f}, target <= 1.5)")


if __name__ == "__main__":
    sys.exit(main())
