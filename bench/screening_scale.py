"""The screening engine at the scale of a consolidated dataset (OpenSanctions: on the order of a
million entities): for each list size, the index build time and serialised size, the cold load of
that index in a fresh process (imports, download from S3, deserialise), the peak memory of a process
that loads it and screens, the latency per screened name, recall on variants of listed names and
false positives on non-listed names, beside the share of them that are exactly a treatment of a
listed name with no birth date (`stage_floor`: what finding the treatments costs).

The list is the seeded synthetic one of `sanctions_generator.py`. The first entities of a larger
list are those of a smaller one (same seed), so the variants are drawn from the first 30,000
entities at every size: the same queries, against more and more names. Variants are the
evaluation's treatments (`screening_eval.variants` and `boundary_variants`: typos, dropped middle
name, swapped order, "SURNAME, Given", transliteration, accents and case, split, joined,
hyphenated, glued particle). Non-listed names are persons drawn from the same name pools with
another seed, with a birth date and the locale's nationality, screened as the workflow screens an
applicant; those whose words are exactly a listed name's are dropped (at each size). A variant
is found, or a non-listed name flagged, in the review or block band.

Each stage runs in a fresh subprocess, so that its peak memory (ru_maxrss) is its own: build
(generate, index, serialise to a file in --work), cold load (import, download from an embedded S3
on a loopback port and check its SHA-256, deserialise; median of --loads runs), screen (load, screen every query: CPU and wall time per name). With --profile,
the largest size is also profiled: cProfile of 1,000 screenings and the memory each part of the
index takes once loaded (tracemalloc).

    python bench/screening_scale.py [--sizes 30000,300000,1000000] [--persons 700]
        [--organisations 250] [--non-listed 3000] [--profile]
"""
from __future__ import annotations

import argparse
import json
import os
import random
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from screening_data import ROOT, policy  # noqa: E402  (puts the repository on sys.path)
import sanctions_generator as generator  # noqa: E402

SAMPLE_FROM = 30_000  # variants are drawn from the first entities, the same at every size
SAMPLE_SEED, NON_LISTED_SEED = 20261202, 20261203
TARGETS = {  # issue #25, at 1,000,000 entities
    "build": 300.0, "cold": 2.0, "rss_mb": 1536.0, "p50": 2.0, "p99": 15.0, "recall_drop": 0.005, "fp": 0.01,
}

COLD_LOAD = """
import hashlib, resource, sys, time
start, start_cpu = time.perf_counter(), time.process_time()
sys.path.insert(0, {root!r})
import boto3
from chalicelib.domain.screening.index import NameIndex
s3 = boto3.client("s3", endpoint_url={endpoint!r}, region_name="eu-west-1", aws_access_key_id="bench",
                  aws_secret_access_key="bench")
imported = time.perf_counter()
data = s3.get_object(Bucket={bucket!r}, Key={key!r})["Body"].read()  # as the list store reads it
if hashlib.sha256(data).hexdigest() != {sha256!r}:
    raise SystemExit("the index does not match its SHA-256")
read = time.perf_counter()
index = NameIndex.from_bytes(data)
loaded = time.perf_counter()
print(imported - start, read - imported, loaded - read, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss,
      time.process_time() - start_cpu)
"""
BUCKET = "screening-scale-bench"


def rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # Linux: kB


def percentile(values: list[float], q: int) -> float:
    return statistics.quantiles(values, n=100, method="inclusive")[q - 1] if len(values) > 1 else values[0]


# --- stages (each in its own process) -------------------------------------------------------


def stage_build(size: int, work: Path, args: argparse.Namespace) -> dict:
    from chalicelib.domain.screening.entities import EntityType
    from chalicelib.domain.screening.index import NameIndex, name_tokens
    from screening_eval import boundary_variants, listed_sample, particle_sample, variants

    generator.pools()
    start = time.perf_counter()
    entities = list(generator.entities(size))
    generated = time.perf_counter()
    start_cpu = time.process_time()
    index = NameIndex.build(generator.SOURCE, f"synthetic-{size}", entities)
    built, build_cpu = time.perf_counter(), time.process_time() - start_cpu
    blob = index.to_bytes()
    serialised = time.perf_counter()
    path = work / f"{size}.index"
    path.write_bytes(blob)

    # the workload: variants of names among the first entities, and non-listed persons
    head = entities[:SAMPLE_FROM]
    rng, boundary_rng = random.Random(SAMPLE_SEED), random.Random(SAMPLE_SEED + 1)
    listed = []
    for entity, name in listed_sample(head, args.persons, args.organisations, rng):
        query_type = EntityType.PERSON if entity.type is EntityType.PERSON else EntityType.ORGANISATION
        for kind, variant in [*variants(name, entity.type, rng), *boundary_variants(name, entity.type, boundary_rng)]:
            listed.append([entity.source_id, kind, variant, query_type.value])
    for entity, name in particle_sample(head, args.persons // 4, boundary_rng):
        query_type = EntityType.PERSON if entity.type is EntityType.PERSON else EntityType.ORGANISATION
        listed += [[entity.source_id, kind, v, query_type.value]
                   for kind, v in boundary_variants(name, entity.type, boundary_rng) if kind == "glued_particle"]

    def is_listed(name: str) -> bool:
        words = name_tokens(name)
        ids = [index.token_ids.get(w) for w in words]
        if None in ids or not ids:
            return False
        wanted = sorted(ids)
        return any(sorted(index.names.tokens[n]) == wanted for n in index.names_with(ids[:1]))

    probes = list(generator.non_listed_people(args.non_listed, NON_LISTED_SEED))
    non_listed = [[locale, name, born.isoformat(), nationality]
                  for locale, name, born, nationality in probes if not is_listed(name)]
    (work / f"{size}.workload.json").write_text(json.dumps({"listed": listed, "non_listed": non_listed}))
    return {
        "entities": size, "names": len(index), "tokens": len(index.vocabulary), "joined": len(index.joined),
        "deletion_keys": len(index.by_deletion), "generate_s": generated - start, "build_s": built - generated,
        "build_cpu_s": build_cpu, "serialise_s": serialised - built, "bytes": len(blob),
        "build_rss_mb": rss_mb(), "probes": len(probes), "non_listed": len(non_listed), "variants": len(listed),
    }


def stage_cold(size: int, work: Path, args: argparse.Namespace) -> dict:
    """The index downloaded from S3 (an embedded S3 on a loopback port: moto's server, the one `make
    run` serves) and checked against its SHA-256, as the list store reads it, then deserialised: in
    fresh processes, the median of --loads."""
    import hashlib
    import logging

    import boto3
    from moto.server import ThreadedMotoServer

    logging.getLogger("werkzeug").setLevel(logging.ERROR)  # no line per request
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    try:
        host, port = server.get_host_and_port()
        endpoint = f"http://{host}:{port}"
        s3 = boto3.client("s3", endpoint_url=endpoint, region_name="eu-west-1", aws_access_key_id="bench",
                          aws_secret_access_key="bench")
        s3.create_bucket(Bucket=BUCKET, CreateBucketConfiguration={"LocationConstraint": "eu-west-1"})
        data = (work / f"{size}.index").read_bytes()
        key = f"lists/bench/{size}/index.bin"
        s3.put_object(Bucket=BUCKET, Key=key, Body=data)
        script = COLD_LOAD.format(root=str(ROOT), endpoint=endpoint, bucket=BUCKET, key=key,
                                  sha256=hashlib.sha256(data).hexdigest())
        del data
        runs = []
        for _ in range(args.loads):
            out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True).stdout
            runs.append([float(v) for v in out.split()])
    finally:
        server.stop()
    imports, reads, loads, rss, cpu = (statistics.median(r[i] for r in runs) for i in range(5))
    return {"import_s": imports, "read_s": reads, "deserialise_s": loads, "cold_s": imports + reads + loads,
            "cold_cpu_s": cpu, "load_rss_mb": rss / 1024}


def stage_screen(size: int, work: Path, args: argparse.Namespace) -> dict:
    from collections import Counter
    from datetime import date

    from chalicelib.domain.screening.engine import Band, Screener
    from chalicelib.domain.screening.entities import EntityType
    from chalicelib.domain.screening.index import NameIndex, name_tokens

    workload = json.loads((work / f"{size}.workload.json").read_text())
    index = NameIndex.from_bytes((work / f"{size}.index").read_bytes())
    loaded_rss = rss_mb()
    screener = Screener([index], policy())
    screener_rss = rss_mb()
    listed = [(sid, kind, v, EntityType(t)) for sid, kind, v, t in workload["listed"]]
    people = [(loc, n, date.fromisoformat(b), nat) for loc, n, b, nat in workload["non_listed"]]
    for _, _, variant, query_type in listed[:50]:  # warm-up (first calls fill the engine's caches)
        screener.screen(variant, type=query_type, limit=None)
    cpu: list[float] = []
    wall: list[float] = []

    def timed(call):
        start, start_cpu = time.perf_counter(), time.process_time()
        result = call()
        cpu.append(time.process_time() - start_cpu)
        wall.append(time.perf_counter() - start)
        return [m for m in result if m.band is not Band.PASS]

    found: Counter[str] = Counter()
    total: Counter[str] = Counter()
    candidates = []
    for source_id, kind, variant, query_type in listed:
        flagged = timed(lambda: screener.screen(variant, type=query_type, limit=None))
        total[kind] += 1
        found[kind] += any(m.source_id == source_id for m in flagged)
    flagged_people = flagged_name_only = blocked = contained = 0
    by_locale: Counter[str] = Counter()
    probes_by_locale: Counter[str] = Counter()
    examples = []
    for locale, name, born, nationality in people:
        flagged = timed(lambda: screener.screen_person(name, born, nationality))
        flagged_people += bool(flagged)
        by_locale[locale] += bool(flagged)
        probes_by_locale[locale] += 1
        if flagged:  # the same words as a listed name's, a given name more or less?
            words, theirs = set(name_tokens(name)), set(name_tokens(flagged[0].matched_name))
            contained += words < theirs or theirs < words
            if len(examples) < 12 and not (words < theirs or theirs < words):
                examples.append(f"{name!r} ~ {flagged[0].matched_name!r} {flagged[0].score:.2f} {flagged[0].band.value}")
        blocked += any(m.band is Band.BLOCK for m in flagged)
        flagged_name_only += bool([m for m in screener.screen(name, type=EntityType.PERSON, limit=None)
                                   if m.band is not Band.PASS])
    # what the screener's caches hold after the run (engine.Screener: per query form its similar
    # words, and the set of names holding them)
    caches = {
        "reached_forms": len(screener._reached[index.source]),
        "reached_name_sets": len(screener._reached_names[index.source]),
        "reached_name_ids": sum(len(names) for _, names in screener._reached_names[index.source].values()),
    }
    for _, _, variant, _ in listed[:300]:
        candidates.append(screener.retrieval_size(variant))
    result = {
        "screenings": len(cpu), "p50_cpu_ms": percentile(cpu, 50) * 1e3, "p99_cpu_ms": percentile(cpu, 99) * 1e3,
        "p50_wall_ms": percentile(wall, 50) * 1e3, "p99_wall_ms": percentile(wall, 99) * 1e3,
        "mean_cpu_ms": statistics.mean(cpu) * 1e3, "max_wall_ms": max(wall) * 1e3,
        "recall": sum(found.values()) / sum(total.values()), "variants": sum(total.values()),
        "recall_by_kind": {k: found[k] / total[k] for k in total},
        "fp": flagged_people / len(people), "fp_name_only": flagged_name_only / len(people),
        "fp_block": blocked, "fp_by_locale": {k: (by_locale[k], probes_by_locale[k]) for k in probes_by_locale},
        "non_listed": len(people), "fp_contained": contained / len(people), "fp_examples": examples,
        "candidates_mean": statistics.mean(candidates), "candidates_max": max(candidates),
        "caches": caches, "loaded_rss_mb": loaded_rss, "screener_rss_mb": screener_rss, "screen_rss_mb": rss_mb(),
    }
    if args.profile:
        result["profile"] = profile(screener, listed, people)
    return result


def profile(screener, listed, people) -> str:
    """cProfile of 1,000 screenings (half listed variants, half non-listed persons), the top of it."""
    import cProfile
    import io
    import pstats

    queries = [(v, t, None, None) for _, _, v, t in listed[:500]] + [(n, None, b, nat) for _, n, b, nat in people[:500]]
    profiler = cProfile.Profile()
    profiler.enable()
    for name, query_type, born, nationality in queries:
        if born is None:
            screener.screen(name, type=query_type, limit=None)
        else:
            screener.screen_person(name, born, nationality)
    profiler.disable()
    out = io.StringIO()
    stats = pstats.Stats(profiler, stream=out)
    stats.sort_stats("tottime").print_stats(14)
    stats.sort_stats("cumulative").print_stats("engine.py|index.py|scoring.py", 14)
    return out.getvalue()


def stage_memory(size: int, work: Path, args: argparse.Namespace) -> dict:
    """The memory each part of a loaded index takes: the stored bytes it reads in place, plus the
    Python objects it unpickles (tracemalloc over unpickling them alone); and what the Screener adds."""
    import pickle
    import tracemalloc

    from chalicelib.domain.screening.columns import unpack
    from chalicelib.domain.screening.index import NameIndex

    def in_place(value: object) -> int:
        if isinstance(value, memoryview):
            return value.nbytes
        return sum(map(in_place, value)) if isinstance(value, tuple) else 0

    def objects(value: object) -> object:
        if isinstance(value, memoryview):
            return None
        return tuple(map(objects, value)) if isinstance(value, tuple) else value

    data = (work / f"{size}.index").read_bytes()
    fields = unpack(data, pickle.Unpickler)
    parts = ("format", "source", "version", "entities", "names", "vocabulary", "skeletons", "postings",
             "by_deletion", "joined", "joined_by_skeleton", "joined_postings")
    sizes = {}
    for part, value in zip(parts, fields):
        if part in ("format", "source", "version"):
            continue
        blob = pickle.dumps(objects(value), protocol=5)
        tracemalloc.start()
        copy = pickle.loads(blob)
        sizes[part] = (in_place(value) + tracemalloc.get_traced_memory()[0]) / 2**20
        tracemalloc.stop()
        del copy, blob
    del fields
    index = NameIndex.from_bytes(data)
    del data
    from chalicelib.domain.screening.engine import Screener

    tracemalloc.start()
    index_derived = NameIndex(index.source, index.version, index.entities, index.names, index.vocabulary,
                              index.postings, index.by_deletion, index.skeletons, index.joined,
                              index.joined_postings, index.joined_by_skeleton)
    sizes["derived at load (token ids, skeleton and prefix maps)"] = tracemalloc.get_traced_memory()[0] / 2**20
    tracemalloc.stop()
    del index_derived
    tracemalloc.start()
    screener = Screener([index], policy())
    sizes["Screener (word weights, per-name cache slots)"] = tracemalloc.get_traced_memory()[0] / 2**20
    tracemalloc.stop()
    del screener
    return {"memory_mb": sizes}


def stage_floor(size: int, work: Path, args: argparse.Namespace) -> dict:
    """How many non-listed names no spelling matcher that finds the treatments could pass: those
    that are, word for word, what the typo treatment (one word one edit away) or the dropped-middle
    treatment (one word fewer) makes of a listed name whose entry has no birth date to contradict
    the applicant's. The engine finds 99 % of those treatments' variants, so it flags these names
    too; a false-positive rate below this share would cost recall."""
    from collections import Counter

    from rapidfuzz.distance import OSA

    from chalicelib.domain.screening.index import NameIndex, deletion_keys, name_tokens

    workload = json.loads((work / f"{size}.workload.json").read_text())
    index = NameIndex.from_bytes((work / f"{size}.index").read_bytes())
    names, entities, vocabulary = index.names, index.entities, index.vocabulary
    undated_code = {code for code, dates in enumerate(entities.birth_dates.values) if not dates}
    undated = {tuple(sorted(names.tokens[i])) for i in range(len(names))
               if entities.birth_dates.codes[names.entity[i]] in undated_code}  # their names' words

    def one_edit(word: str) -> set[int]:
        found = set()
        for variant in deletion_keys(word):
            found.update(index.by_deletion.get(variant))
        return {t for t in found if OSA.distance(word, vocabulary[t], score_cutoff=1) == 1}

    typo = dropped = 0
    for _, name, _, _ in workload["non_listed"]:
        words = name_tokens(name)
        ids = [index.token_ids.get(w) for w in words]
        hit = False
        for j, word in enumerate(words):  # the typo treatment: one word one edit away
            if all(t is not None for k, t in enumerate(ids) if k != j):
                others = [t for k, t in enumerate(ids) if k != j]
                if any(tuple(sorted([*others, t])) in undated for t in one_edit(word)):
                    hit = True
                    break
        if hit:
            typo += 1
            continue
        if None not in ids:  # the dropped-middle treatment: a listed name with one word more
            rarest, wanted = min(ids, key=lambda t: len(index.postings[t])), Counter(ids)
            for name_id in index.postings[rarest]:
                tokens = names.tokens[name_id]
                if (len(tokens) == len(ids) + 1 and not wanted - Counter(tokens)
                        and tuple(sorted(tokens)) in undated):
                    dropped += 1
                    break
    probes = len(workload["non_listed"])
    return {"floor": (typo + dropped) / probes, "floor_typo": typo / probes, "floor_dropped": dropped / probes}


STAGES = {"build": stage_build, "cold": stage_cold, "screen": stage_screen, "memory": stage_memory,
          "floor": stage_floor}


# --- the driver -------------------------------------------------------------------------------


def run_stage(stage: str, size: int, args: argparse.Namespace, profile: bool = False) -> dict:
    command = [sys.executable, str(Path(__file__).resolve()), "--stage", stage, "--sizes", str(size),
               "--work", str(args.work), "--persons", str(args.persons), "--organisations", str(args.organisations),
               "--non-listed", str(args.non_listed), "--loads", str(args.loads)]
    if profile:
        command.append("--profile")
    out = subprocess.run(command, capture_output=True, text=True)
    if out.returncode:
        sys.exit(f"stage {stage} at {size} failed:\n{out.stderr[-3000:]}")
    return json.loads(out.stdout.strip().splitlines()[-1])


def table(rows: list[dict], recall_30k: float | None) -> None:
    base = recall_30k if recall_30k is not None else next((r["recall"] for r in rows if r["entities"] == 30_000), None)
    if base is None:
        base = rows[0]["recall"]
        print(f"\n(no 30k row: recall compared with the {rows[0]['entities']:,} row; see --recall-30k)")
    print("\n| entities | names | build (CPU) | index size | cold load (CPU) | peak RSS (screening) | p50 / p99 CPU | "
          "p50 / p99 wall | recall (variants) | FP non-listed (name only) | FP floor |")
    print("|---|---|---|---|---|---|---|---|---|---|---|")
    for r in rows:
        print(f"| {r['entities']:,} | {r['names']:,} | {r['build_s']:.1f} s ({r['build_cpu_s']:.1f} s) | "
              f"{r['bytes'] / 1e6:.0f} MB | {r['cold_s']:.2f} s ({r['cold_cpu_s']:.2f} s) | {r['screen_rss_mb']:,.0f} MB | {r['p50_cpu_ms']:.2f} / {r['p99_cpu_ms']:.1f} ms | "
              f"{r['p50_wall_ms']:.2f} / {r['p99_wall_ms']:.1f} ms | {r['recall']:.4f} | "
              f"{r['fp']:.2%} ({r['fp_name_only']:.2%}) | {r['floor']:.2%} |")
    print(f"| target at 1M | | <= {TARGETS['build']:.0f} s | | <= {TARGETS['cold']:.0f} s | <= {TARGETS['rss_mb']:,.0f} MB | "
          f"<= {TARGETS['p50']:.0f} / {TARGETS['p99']:.0f} ms | | >= {base - TARGETS['recall_drop']:.4f} "
          f"(30k figure - {TARGETS['recall_drop']}) | <= {TARGETS['fp']:.0%} | |")
    for r in rows:
        if r["entities"] < 1_000_000:
            continue
        misses = [label for label, missed in (
            (f"build {r['build_s']:.0f} s", r["build_s"] > TARGETS["build"]),
            (f"cold load {r['cold_s']:.1f} s", r["cold_s"] > TARGETS["cold"]),
            (f"peak memory {r['screen_rss_mb']:,.0f} MB", r["screen_rss_mb"] > TARGETS["rss_mb"]),
            (f"p50 {r['p50_cpu_ms']:.2f} ms", r["p50_cpu_ms"] > TARGETS["p50"]),
            (f"p99 {r['p99_cpu_ms']:.1f} ms", r["p99_cpu_ms"] > TARGETS["p99"]),
            (f"recall {r['recall']:.4f}", base - r["recall"] > TARGETS["recall_drop"]),
            (f"false positives {r['fp']:.2%}", r["fp"] > TARGETS["fp"]),
        ) if missed]
        print(f"\nat {r['entities']:,}: " + ("every target met" if not misses else "misses: " + ", ".join(misses)))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="30000,300000,1000000", help="comma-separated entity counts")
    parser.add_argument("--persons", type=int, default=700, help="listed persons whose names are varied")
    parser.add_argument("--organisations", type=int, default=250, help="listed organisations whose names are varied")
    parser.add_argument("--non-listed", type=int, default=3000, help="non-listed persons screened")
    parser.add_argument("--loads", type=int, default=3, help="fresh processes timed per cold load")
    parser.add_argument("--work", type=Path, default=Path("/tmp/screening-scale"), help="where indexes are written")
    parser.add_argument("--profile", action="store_true", help="profile time and memory at the largest size")
    parser.add_argument("--keep", action="store_true", help="keep the index files")
    parser.add_argument("--recall-30k", type=float, help="the 30k recall, for a run without that size")
    parser.add_argument("--stage", choices=STAGES, help=argparse.SUPPRESS)
    args = parser.parse_args()
    sizes = [int(s.replace("_", "")) for s in args.sizes.split(",")]
    args.work.mkdir(parents=True, exist_ok=True)
    if args.stage:
        print(json.dumps(STAGES[args.stage](sizes[0], args.work, args)))
        return

    print(f"synthetic consolidated list (bench/sanctions_generator.py, seed {generator.SEED}); "
          f"load average {' '.join(f'{v:.1f}' for v in os.getloadavg())}")
    rows = []
    for size in sizes:
        row = run_stage("build", size, args)
        print(f"\n{size:,} entities: {row['names']:,} names, {row['tokens']:,} words, {row['joined']:,} words joined, "
              f"{row['deletion_keys']:,} deletion keys; generated in {row['generate_s']:.1f} s; "
              f"build {row['build_s']:.1f} s ({row['build_cpu_s']:.1f} s CPU), serialise {row['serialise_s']:.1f} s, "
              f"{row['bytes'] / 1e6:.1f} MB; build process peak {row['build_rss_mb']:,.0f} MB")
        row |= run_stage("cold", size, args)
        print(f"  cold load (median of {args.loads} fresh processes): import {row['import_s']:.2f} s, download from S3 "
              f"and SHA-256 check {row['read_s']:.2f} s, deserialise {row['deserialise_s']:.2f} s = {row['cold_s']:.2f} s wall "
              f"({row['cold_cpu_s']:.2f} s CPU); "
              f"that process's peak {row['load_rss_mb']:,.0f} MB")
        profiled = args.profile and size == max(sizes)
        row |= run_stage("screen", size, args, profile=profiled)
        print(f"  screening, {row['screenings']:,} names: CPU p50 {row['p50_cpu_ms']:.2f} ms, p99 {row['p99_cpu_ms']:.1f} ms "
              f"(mean {row['mean_cpu_ms']:.2f}); wall p50 {row['p50_wall_ms']:.2f} ms, p99 {row['p99_wall_ms']:.1f} ms, "
              f"max {row['max_wall_ms']:.0f} ms; names scored per query mean {row['candidates_mean']:.0f}, "
              f"max {row['candidates_max']:,}")
        print(f"  memory: {row['loaded_rss_mb']:,.0f} MB after load, {row['screener_rss_mb']:,.0f} MB with the "
              f"Screener, peak {row['screen_rss_mb']:,.0f} MB after screening; the screener's caches then hold "
              f"{row['caches']['reached_forms']:,} query forms' "
              f"similar words and {row['caches']['reached_name_sets']:,} sets of names holding them "
              f"({row['caches']['reached_name_ids']:,} name ids in all)")
        print(f"  recall {row['recall']:.4f} of {row['variants']:,} variants: "
              + ", ".join(f"{k} {v:.3f}" for k, v in row["recall_by_kind"].items()))
        print(f"  false positives {row['fp']:.2%} of {row['non_listed']:,} non-listed persons with birth date and "
              f"nationality ({row['probes'] - row['non_listed']} drawn names dropped as listed), name only "
              f"{row['fp_name_only']:.2%}, in the block band {row['fp_block']}; {row['fp_contained']:.2%} flagged on a "
              f"listed name with the same words and one or more given names more or less (the drop_middle treatment "
              f"reversed); flagged by locale: "
              + ", ".join(f"{k} {f}/{n}" for k, (f, n) in sorted(row["fp_by_locale"].items())))
        print("  flagged non-listed names, other than a given name more or less: " + "; ".join(row["fp_examples"][:8]))
        row |= run_stage("floor", size, args)
        print(f"  non-listed names that are what the typo treatment ({row['floor_typo']:.2%}) or the dropped-middle "
              f"treatment ({row['floor_dropped']:.2%}) makes of a listed name with no birth date: {row['floor']:.2%}, "
              f"the false positives a matcher that finds those treatments cannot avoid")
        if profiled:
            print("\n  profile of 1,000 screenings:\n" + row.pop("profile"))
            memory = run_stage("memory", size, args)["memory_mb"]
            print("  memory of the loaded index by part (tracemalloc):")
            for part, mb in sorted(memory.items(), key=lambda kv: -kv[1]):
                print(f"    {part:<55} {mb:8,.0f} MB")
        rows.append(row)
        sys.stdout.flush()
        if not args.keep:
            for suffix in ("index", "workload.json"):
                (args.work / f"{size}.{suffix}").unlink(missing_ok=True)
    table(rows, args.recall_30k)
    print(f"\nload average at the end {' '.join(f'{v:.1f}' for v in os.getloadavg())}")


if __name__ == "__main__":
    main()
