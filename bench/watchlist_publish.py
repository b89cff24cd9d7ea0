"""Publishing the bank's internal watchlist through the API, as `make run` serves it: a CSV and a
JSON body of `--entries` entries (bench/customer_base.py's names, partial birth dates,
nationalities, a reason each) sent to POST /v1/lists/internal/versions over HTTP, each timed as
curl would see it (parse, validate, store, index, diff, start the delta run), against API
Gateway's 29 s and against a refresh of the shipped OFAC SDN sample (its files uploaded with one
entry delisted: a new version) through POST /v1/lists/refresh in the same run.

    python bench/watchlist_publish.py [--entries 50000]
"""
from __future__ import annotations

import argparse
import json
import random
import time

import requests

from local_api import ROOT, local_api  # noqa: E402 - sets up sys.path
from customer_base import customers  # noqa: E402
from chalicelib.api.auth import issue_local_token  # noqa: E402
from chalicelib.api.models import WatchlistVersionRequest  # noqa: E402
from chalicelib.domain.actors import Role  # noqa: E402
from chalicelib.stores import clients  # noqa: E402

API_GATEWAY_SECONDS = 29.0


def entries(count: int, seed: int) -> list[dict]:
    rng = random.Random(seed)
    return [{"entry_id": f"IW-{seed}-{i:06d}", "name": p.name,
             "birth_date": p.birth_date.isoformat()[:rng.choice((4, 7, 10))],
             "nationality": rng.choice(("GBR", "SWE", "DEU", "FRA", "NOR")), "reason": f"exited, case FR-{i:05d}"}
            for i, p in enumerate(customers(count, seed=seed))]


def timed(method: str, url: str, **kwargs) -> tuple[float, requests.Response]:
    start = time.perf_counter()
    response = requests.request(method, url, timeout=300, **kwargs)
    return time.perf_counter() - start, response


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--entries", type=int, default=50_000)
    args = parser.parse_args()
    print(f"watchlist publish bench, {time.strftime('%Y-%m-%d')}: {args.entries:,} entries a version")
    with local_api() as (base_url, stack):
        auth = {"Authorization": f"Bearer {issue_local_token(Role.COMPLIANCE, 'bench-officer')}"}
        s3, bucket = clients.client("s3"), stack.environment["LISTS_BUCKET"]
        sdn = ROOT / "data" / "lists" / "ofac-sdn"
        for name in json.loads((sdn / "source.json").read_text())["files"]:
            body = (sdn / name).read_bytes()
            if name == "sdn.csv":  # one entry delisted: a new version, parsed, diffed and indexed in full
                lines = body.rstrip(b"\x1a").splitlines(keepends=True)
                body = b"".join(lines[:-1])
            s3.put_object(Bucket=bucket, Key=f"uploads/ofac-sdn/bench/{name}", Body=body)
        refresh, answer = timed("POST", f"{base_url}/v1/lists/refresh", headers=auth,
                                json={"source": "ofac-sdn", "upload_prefix": "bench", "snapshot": "2026-12-01"})
        assert answer.status_code == 201, answer.text
        print(f"  refresh of the OFAC SDN sample ({answer.json()['entries']:,} entries, one delisted): {refresh:.2f} s")

        first = entries(args.entries, 1)
        csv_body = WatchlistVersionRequest.csv_of({"entries": first}).encode()
        csv_seconds, answer = timed("POST", f"{base_url}/v1/lists/internal/versions", data=csv_body,
                                    headers={**auth, "Content-Type": "text/csv"})
        assert answer.status_code == 201, answer.text
        second = first[: args.entries // 2] + entries(args.entries - args.entries // 2, 2)  # half of it changed
        json_body = json.dumps({"entries": second}).encode()
        json_seconds, answer = timed("POST", f"{base_url}/v1/lists/internal/versions", data=json_body,
                                     headers={**auth, "Content-Type": "application/json"})
        if answer.status_code == 413:
            print(f"  JSON of {args.entries:,} entries: {len(json_body) / 1e6:.1f} MB, over the body limit (413)")
        else:
            assert answer.status_code == 201, answer.text
            print(f"  JSON of {args.entries:,} entries ({len(json_body) / 1e6:.1f} MB, half of them new): "
                  f"{json_seconds:.2f} s = {json_seconds / refresh:.1f}x the SDN refresh, "
                  f"{json_seconds / API_GATEWAY_SECONDS:.0%} of API Gateway's 29 s")
        print(f"  CSV of {args.entries:,} entries ({len(csv_body) / 1e6:.1f} MB, a first version): {csv_seconds:.2f} s "
              f"= {csv_seconds / refresh:.1f}x the SDN refresh, {csv_seconds / API_GATEWAY_SECONDS:.0%} of "
              f"API Gateway's 29 s")


if __name__ == "__main__":
    main()
