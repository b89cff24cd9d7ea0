"""Publishing a consolidated list of `--entities` entities (default 1,000,000) through the normal
refresh path, on the stack `make run` serves: bench/sanctions_generator.py's seeded synthetic list
written as OpenSanctions FollowTheMoney JSON lines, uploaded as the README says a compliance
officer uploads a list's files (to uploads/<source>/<prefix>/<file> in the lists bucket, here the
embedded S3 over its endpoint: the API hands out no upload link for lists), then
POST /v1/lists/refresh with `asynchronous: true` (202) and GET /v1/lists/refreshes/{id} polled
until the refresh ends, printing each stage as it is reached.

It prints the end state, the report (version, entries, diff), the wall time, and memory: the
embedded stack (moto, the API, the list refresh workflow's function) runs in this process, so its
peak RSS (getrusage) and the RSS sampled from /proc/self/status while the refresh ran are the
publish's memory, the stored files included. Then a few listed names (and a variant of each) are
screened through POST /v1/screenings, to show the version published is the one in force and used:
the first screening loads its index (the cold load), and the RSS after it is printed.

    python bench/list_publish_scale.py [--entities 1000000] [--source opensanctions-default]
"""
from __future__ import annotations

import argparse
import json
import logging
import resource
import tempfile
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import requests

from local_api import local_api  # noqa: E402 - sets up sys.path
from sanctions_generator import entities, write_ftm  # noqa: E402
from chalicelib.api.auth import issue_local_token  # noqa: E402
from chalicelib.domain.actors import Role  # noqa: E402
from chalicelib.domain.screening.entities import ListEntity  # noqa: E402
from chalicelib.local import serve  # noqa: E402
from chalicelib.policies import list_sources_policy  # noqa: E402
from chalicelib.stores import clients  # noqa: E402

POLL_SECONDS = 1.0
SAMPLE_SECONDS = 0.2


def rss_mb() -> float:
    """This process's resident set now (VmRSS), in MB."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KB on Linux


class RssSampler(threading.Thread):
    """The highest VmRSS seen between start() and stop()."""

    def __init__(self) -> None:
        super().__init__(daemon=True)
        self.peak = rss_mb()
        self._done = threading.Event()

    def run(self) -> None:
        while not self._done.wait(SAMPLE_SECONDS):
            self.peak = max(self.peak, rss_mb())

    def stop(self) -> float:
        self._done.set()
        self.join()
        return max(self.peak, rss_mb())


def kept(items: Iterator[ListEntity], positions: set[int], into: list[ListEntity]) -> Iterator[ListEntity]:
    """The entities, passed on; those at `positions` also kept (the names screened at the end)."""
    for number, entity in enumerate(items):
        if number in positions:
            into.append(entity)
        yield entity


def variant(name: str) -> str:
    """The name with one letter of its longest word dropped (a typo a screening must still find)."""
    words = name.split()
    longest = max(range(len(words)), key=lambda i: len(words[i]))
    word = words[longest]
    if len(word) > 4:
        words[longest] = word[: len(word) // 2] + word[len(word) // 2 + 1:]
    return " ".join(words)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--entities", type=int, default=1_000_000)
    parser.add_argument("--source", default="opensanctions-default", help="an ftm-json source of policies/lists.yaml")
    parser.add_argument("--snapshot", default="2026-12-02")
    parser.add_argument("--timeout", type=float, default=3600, help="seconds to wait for the refresh to end")
    args = parser.parse_args()
    config = list_sources_policy().sources[args.source]
    assert config.format == "ftm-json", f"{args.source} is not an ftm-json source"
    (file_name,) = config.files
    print(f"list publish bench, {time.strftime('%Y-%m-%d')}: {args.entities:,} entities as {args.source} "
          f"({config.format}), POST /v1/lists/refresh asynchronous on the embedded stack")
    with tempfile.TemporaryDirectory(prefix="list-publish-") as tmp:
        path = Path(tmp) / file_name
        start = time.perf_counter()
        screened: list[ListEntity] = []
        positions = {0, args.entities // 3, 2 * args.entities // 3, args.entities - 1}
        written = write_ftm(kept(entities(args.entities), positions, screened), path)
        print(f"  generated {written:,} entities, {path.stat().st_size / 1e6:.1f} MB, in "
              f"{time.perf_counter() - start:.1f} s")
        print(f"  RSS before the stack: {rss_mb():,.0f} MB")
        with local_api() as (base_url, stack):
            logging.getLogger("werkzeug").setLevel(logging.ERROR)
            serve._RequestHandler.log_message = lambda *args: None  # no access log line per poll
            auth = {"Authorization": f"Bearer {issue_local_token(Role.COMPLIANCE, 'bench-officer')}"}
            print(f"  stack up with the sample lists: RSS {rss_mb():,.0f} MB")
            prefix = f"bench-{args.entities}"
            start = time.perf_counter()
            clients.client("s3").upload_file(str(path), stack.environment["LISTS_BUCKET"],
                                             f"uploads/{args.source}/{prefix}/{file_name}")
            print(f"  uploaded to uploads/{args.source}/{prefix}/{file_name} in {time.perf_counter() - start:.1f} s; "
                  f"RSS {rss_mb():,.0f} MB")
            path.unlink()  # the bench's copy: only the stack's is left

            sampler = RssSampler()
            sampler.start()
            start = time.perf_counter()
            answer = requests.post(f"{base_url}/v1/lists/refresh", headers=auth, timeout=60,
                                   json={"source": args.source, "upload_prefix": prefix,
                                         "snapshot": args.snapshot, "asynchronous": True})
            assert answer.status_code == 202, answer.text
            accepted = answer.json()
            print(f"  202 in {time.perf_counter() - start:.2f} s: {accepted['refresh_id']}")
            seen = None
            while True:
                state = requests.get(f"{base_url}{accepted['links']['self']}", headers=auth, timeout=60)
                assert state.status_code == 200, state.text
                body = state.json()
                where = (body["state"], body.get("stage"))
                if where != seen:
                    print(f"  {time.perf_counter() - start:7.1f} s  {body['state']:<9} {body.get('stage') or '':<9} "
                          f"RSS {rss_mb():,.0f} MB (peak so far {sampler.peak:,.0f} MB)")
                    seen = where
                if body["state"] not in ("accepted", "running"):
                    break
                if time.perf_counter() - start > args.timeout:
                    print(f"  still {body['state']} after {args.timeout:.0f} s: given up")
                    break
                time.sleep(POLL_SECONDS)
            wall = time.perf_counter() - start
            refresh_peak = sampler.stop()
            print(f"  ended: {body['state']}" + (f" ({body['error_code']}: {body['error']})" if body.get("error_code")
                                                 else ""))
            print(f"  report: {json.dumps(body.get('report'), indent=None)[:1500]}")
            print(f"  refresh record: {len(state.content):,} bytes")
            print(f"  wall time, POST to end: {wall:.1f} s")
            print(f"  RSS peak while refreshing (sampled every {SAMPLE_SECONDS} s): {refresh_peak:,.0f} MB; "
                  f"process peak (ru_maxrss): {peak_rss_mb():,.0f} MB; now {rss_mb():,.0f} MB")
            if body["state"] != "published":
                return

            in_force = {i["source"]: i for i in requests.get(f"{base_url}/v1/lists", headers=auth,
                                                             timeout=60).json()["items"]}[args.source]
            print(f"  GET /v1/lists: {args.source} version {in_force['version']}, {in_force['entries']:,} entries")
            version = body["report"]["version"]
            for entity in screened:
                birth = entity.birth_dates[0] if entity.birth_dates else None
                for name in (entity.primary_name, variant(entity.primary_name)):
                    query = {"name": name, "type": entity.type.value, "limit": 3}
                    if birth is not None and birth.exact is not None:
                        query["birth_date"] = birth.exact.isoformat()
                    start = time.perf_counter()
                    answer = requests.post(f"{base_url}/v1/screenings", headers=auth, json=query, timeout=300)
                    took = time.perf_counter() - start
                    assert answer.status_code == 200, answer.text
                    result = answer.json()
                    assert result["list_versions"].get(args.source) == version, result["list_versions"]
                    ours = [m for m in result["matches"] if m["source"] == args.source]
                    found = next((m for m in ours if m["source_id"] == entity.source_id), None)
                    print(f"  screened {name!r} ({took * 1000:,.0f} ms): {entity.source_id} "
                          + (f"found, score {found['score']:.2f}, band {found['band']}" if found
                             else f"NOT found (top: {[(m['source_id'], m['score']) for m in ours[:3]]})"))
            print(f"  RSS after screening: {rss_mb():,.0f} MB; process peak (ru_maxrss): {peak_rss_mb():,.0f} MB")


if __name__ == "__main__":
    main()
