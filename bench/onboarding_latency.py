"""Sign-up latency and throughput through the embedded stack (`make bench`).

Starts what `make run` starts (moto server with the real state machine, Chalice's local
HTTP server on a loopback port); a client in a process of its own warms it with one sign-up,
then submits N clean sign-ups (the sample applicant, each with an e-mail address and phone number
of its own), `--concurrency` at a time, each timed from POST /v1/onboarding to
the long-poll returning its final status. Prints p50/p95/p99 and throughput. Loopback only; bounded in count.
"""
from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor

import requests

from local_api import ROOT, local_api, percentile
from chalicelib.api.auth import Role, issue_local_token

SAMPLE = json.loads((ROOT / "data" / "samples" / "signup-approve.json").read_text())


def sign_up(base: str, session: requests.Session, token: str) -> tuple[float, str]:
    body = json.loads(json.dumps(SAMPLE))
    body["channel"]["reference"] = reference = uuid.uuid4().hex
    # each its own e-mail address and phone number: the fraud policy's velocity rule sends the
    # 11th sign-up of one address or number within an hour to review (policies/fraud.yaml)
    digits = f"{int(reference[:12], 16) % 10**7:07d}"
    body["applicant"]["email"] = f"bench.{reference[:12]}@example.org"
    body["applicant"]["phone"] = f"+46 70 {digits[:3]} {digits[3:5]} {digits[5:]}"
    started = time.perf_counter()
    auth = {"Authorization": f"Bearer {token}"}
    response = session.post(f"{base}/v1/onboarding", json=body, timeout=30,
                            headers={"Idempotency-Key": str(uuid.uuid4()), **auth})
    response.raise_for_status()
    checkpoint_id = response.json()["checkpoint_id"]
    status = "RUNNING"
    while status == "RUNNING":
        status = session.get(f"{base}/v1/checkpoints/{checkpoint_id}?wait=20", timeout=30,
                             headers=auth).json()["status"]
    return time.perf_counter() - started, status


def drive(base: str, token: str, count: int, concurrency: int) -> dict:
    """The load: a warm-up sign-up, then `count` of them, `concurrency` at a time."""
    local = threading.local()

    def one(_: int) -> tuple[float, str]:
        if not hasattr(local, "session"):
            local.session = requests.Session()
        return sign_up(base, local.session, token)

    warm = one(0)
    started = time.perf_counter()
    with ThreadPoolExecutor(max_workers=concurrency) as pool:
        results = list(pool.map(one, range(count)))
    return {"warm": warm, "results": results, "elapsed": time.perf_counter() - started}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--count", type=int, default=200)
    parser.add_argument("--concurrency", type=int, default=20)
    parser.add_argument("--client", nargs=2, metavar=("BASE_URL", "TOKEN"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.client:  # the load generator, in a process of its own
        print(json.dumps(drive(*args.client, args.count, args.concurrency)))
        return

    with local_api() as (base, _):
        token = issue_local_token(Role.CHANNEL, "bench")
        # the client runs in a separate process, so that it does not compete with the stack for
        # this process's interpreter lock (a channel calls the API from elsewhere, too)
        client = subprocess.run([sys.executable, __file__, "--count", str(args.count), "--concurrency",
                                 str(args.concurrency), "--client", base, token],
                                capture_output=True, text=True)
    if client.returncode:
        sys.exit(f"the client failed:\n{client.stderr[-3000:]}")
    run = json.loads(client.stdout.strip().splitlines()[-1])
    (warm, status), results, elapsed = run["warm"], run["results"], run["elapsed"]
    print(f"warm-up sign-up (loads and indexes the sample list): {warm * 1000:.0f} ms, {status}")
    latencies = [r[0] * 1000 for r in results]
    statuses = {s: sum(1 for r in results if r[1] == s) for s in {r[1] for r in results}}
    print(f"sign-ups: {args.count}, concurrency: {args.concurrency}, outcomes: {statuses}")
    print(f"latency POST -> final status: p50 {percentile(latencies, 50):.0f} ms, "
          f"p95 {percentile(latencies, 95):.0f} ms, p99 {percentile(latencies, 99):.0f} ms, "
          f"mean {statistics.mean(latencies):.0f} ms, max {max(latencies):.0f} ms")
    print(f"throughput: {args.count / elapsed:.1f} sign-ups/s over {elapsed:.1f} s")


if __name__ == "__main__":
    main()
