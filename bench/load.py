"""Load: concurrent sign-ups and closures through the local stack, then proof nothing was lost.

Starts what `make run` starts (loopback only) and runs `--customers` journeys, `--concurrency`
at a time, after one warm-up journey that is not counted. A journey signs a person up (every fifth with an expired passport, so some are
rejected), waits for the final status, and closes the relationship of each approved customer.
Every call is real HTTP to the API; every checkpoint runs its real state machine.

Prints requests/s, p50/p95/p99 latency from POST to final status per kind, and the error
count; then reads DynamoDB and checks that every checkpoint the API accepted is there with a
final status (exit status 1 if any is missing or not final).
"""
from __future__ import annotations

import argparse
import json
import threading
import time
import uuid
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

import requests

from local_api import ROOT, local_api, percentile
from chalicelib.api.auth import Role, issue_local_token
from chalicelib.stores import clients
from chalicelib.domain.checkpoint import FINAL_STATUSES

SIGN_UP = json.loads((ROOT / "data" / "samples" / "signup-approve.json").read_text())
FINAL = {s.value for s in FINAL_STATUSES}


@dataclass
class Tally:
    lock: threading.Lock = field(default_factory=threading.Lock)
    requests: int = 0
    errors: Counter = field(default_factory=Counter)
    latencies: dict[str, list[float]] = field(default_factory=lambda: {"onboarding": [], "offboarding": []})
    outcomes: Counter = field(default_factory=Counter)
    accepted: list[str] = field(default_factory=list)

    def count(self, n: int = 1) -> None:
        with self.lock:
            self.requests += n


class Journey:
    def __init__(self, base: str, token: str, tally: Tally) -> None:
        self.base, self.tally = base, tally
        self.session = requests.Session()
        self.session.headers["Authorization"] = f"Bearer {token}"

    def _start_and_wait(self, kind: str, body: dict) -> tuple[str, dict] | None:
        started = time.perf_counter()
        response = self.session.post(f"{self.base}/v1/{kind}", json=body, timeout=60,
                                     headers={"Idempotency-Key": str(uuid.uuid4())})
        self.tally.count()
        if response.status_code != 202:
            with self.tally.lock:
                self.tally.errors[f"POST /v1/{kind} {response.status_code}"] += 1
            return None
        checkpoint_id = response.json()["checkpoint_id"]
        with self.tally.lock:
            self.tally.accepted.append(checkpoint_id)
        view = {"status": "RUNNING"}
        while view["status"] == "RUNNING":
            poll = self.session.get(f"{self.base}/v1/checkpoints/{checkpoint_id}?wait=20", timeout=60)
            self.tally.count()
            if poll.status_code != 200:
                with self.tally.lock:
                    self.tally.errors[f"GET /v1/checkpoints {poll.status_code}"] += 1
                return None
            view = poll.json()
        with self.tally.lock:
            self.tally.latencies[kind].append((time.perf_counter() - started) * 1000)
            self.tally.outcomes[f"{kind} {view['status']}"] += 1
        return checkpoint_id, view

    def run(self, n: int) -> None:
        body = json.loads(json.dumps(SIGN_UP))
        body["channel"]["reference"] = uuid.uuid4().hex
        if n % 5 == 4:
            body["document"]["expiry_date"] = "2020-01-01"
        signed = self._start_and_wait("onboarding", body)
        if signed is None or signed[1]["status"] != "APPROVED":
            return
        customer_id = signed[1]["customer_id"]
        self._start_and_wait("offboarding", {
            "customer_id": customer_id, "reason": "relocation", "requested_by": "customer",
            "accounts": [{"account_id": f"acc-{n}", "balance": "0.00", "currency": "EUR", "holders": [customer_id]}],
            "recent_transactions": [], "linked_services": [], "export": {"requested": False}})


def missing_or_unfinished(table_name: str, accepted: list[str]) -> list[str]:
    table = clients.table(table_name)
    problems = []
    for checkpoint_id in accepted:
        item = table.get_item(Key={"checkpoint_id": checkpoint_id}, ConsistentRead=True).get("Item")
        if item is None or item["status"] not in FINAL:
            problems.append(f"{checkpoint_id}: {'missing' if item is None else item['status']}")
    return problems


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--customers", type=int, default=100, help="journeys (each a sign-up, then a closure)")
    parser.add_argument("--concurrency", type=int, default=10)
    args = parser.parse_args()
    tally = Tally()
    with local_api() as (base, stack):
        token = issue_local_token(Role.CHANNEL, "load")
        local = threading.local()

        def journey(n: int) -> None:
            if not hasattr(local, "journey"):
                local.journey = Journey(base, token, tally)
            try:
                local.journey.run(n)
            except requests.RequestException as exc:
                with tally.lock:
                    tally.errors[type(exc).__name__] += 1

        Journey(base, token, Tally()).run(0)  # warm-up: loads and indexes the sample lists; not counted
        started = time.perf_counter()
        with ThreadPoolExecutor(max_workers=args.concurrency) as pool:
            list(pool.map(journey, range(args.customers)))
        elapsed = time.perf_counter() - started
        problems = missing_or_unfinished(stack.environment["CHECKPOINTS_TABLE"], tally.accepted)

    print(f"journeys: {args.customers}, concurrency: {args.concurrency}, wall time: {elapsed:.1f} s")
    print(f"outcomes: {dict(sorted(tally.outcomes.items()))}")
    print(f"requests: {tally.requests} ({tally.requests / elapsed:.1f} requests/s), "
          f"checkpoints: {len(tally.accepted)} ({len(tally.accepted) / elapsed:.2f} checkpoints/s)")
    for kind, values in tally.latencies.items():
        if values:
            print(f"{kind} latency POST -> final status: p50 {percentile(values, 50):.0f} ms, "
                  f"p95 {percentile(values, 95):.0f} ms, p99 {percentile(values, 99):.0f} ms, "
                  f"max {max(values):.0f} ms (n={len(values)})")
    print(f"errors: {sum(tally.errors.values())} {dict(tally.errors) if tally.errors else ''}".rstrip())
    print(f"nothing lost: {len(tally.accepted) - len(problems)} of {len(tally.accepted)} accepted checkpoints "
          f"are in DynamoDB with a final status" + (f"; PROBLEMS: {problems[:10]}" if problems else ""))
    return 1 if problems or tally.errors else 0


if __name__ == "__main__":
    raise SystemExit(main())
