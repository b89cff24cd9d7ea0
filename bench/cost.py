"""What one checkpoint costs on AWS: one clean sign-up and one closure of that customer (with its
data export), run on the embedded stack as `make run` serves it, counted and priced.

Counted, per checkpoint: the request that starts it and every call its workflow's tasks make
(botocore's before-call event on every client of this process, by service and operation), the
state transitions (state entered events of the real execution's history), the Lambda invocations
and how long each handler ran. Not counted: the channel's status reads (each GET of a checkpoint is
one DynamoDB read; printed apart) and what the bench itself asks to wait. A warm-up sign-up runs
first, so the list index is already loaded (as on a warm instance).

Priced with the published on-demand prices below (one region, their date and page), per 1,000
sign-ups and per 1,000 closures, Standard workflows against Express where Express would fit.
Usage: bench/cost.py [--json] [--sites] (--sites: each request of the sign-up and the closure in
order, with the product's frames that made it: what to look at for a redundant one)
"""
from __future__ import annotations

import argparse
import json
import sys
import threading
import time
import traceback
import uuid
from collections import Counter
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path

import boto3
import requests
from botocore.client import BaseClient

from local_api import ROOT, local_api  # noqa: E402 - sets up sys.path

from chalicelib.api.auth import issue_local_token  # noqa: E402
from chalicelib.domain.actors import Role  # noqa: E402
from chalicelib.local import lambda_dispatch  # noqa: E402
from chalicelib.stores import AWS  # noqa: E402

# eu-west-1 (Ireland), on-demand, read 2026-12-01 from https://aws.amazon.com/step-functions/pricing/,
# https://aws.amazon.com/lambda/pricing/, https://aws.amazon.com/dynamodb/pricing/on-demand/,
# https://aws.amazon.com/s3/pricing/, https://aws.amazon.com/kms/pricing/, https://aws.amazon.com/sqs/pricing/
REGION = "eu-west-1"
PRICES = {
    "state_transition": Decimal("0.000025"),        # Standard: $0.025 per 1,000 state transitions
    "express_request": Decimal("0.000001"),         # Express: $1.00 per million requests
    "express_gb_second": Decimal("0.00001667"),     # Express: $0.00001667 per GB-second (first 1,000 h/month tier)
    "lambda_request": Decimal("0.0000002"),         # $0.20 per million requests
    "lambda_gb_second": Decimal("0.0000166667"),    # x86, first 6 billion GB-seconds/month
    "dynamodb_write": Decimal("0.000000625"),       # $0.625 per million write request units
    "dynamodb_read": Decimal("0.000000125"),        # $0.125 per million read request units
    "s3_put": Decimal("0.000005"),                  # S3 Standard PUT, COPY, POST, LIST: $0.005 per 1,000
    "s3_get": Decimal("0.0000004"),                 # S3 Standard GET, SELECT and others: $0.0004 per 1,000
    "kms_request": Decimal("0.000003"),             # $0.03 per 10,000 requests
    "sqs_request": Decimal("0.0000004"),            # Standard queue: $0.40 per million requests
}
PROD = json.loads((ROOT / ".chalice" / "config.json").read_text())["stages"]["prod"]
EXPRESS_MEMORY_GB = Decimal(64) / 1024  # Express bills each execution's duration in 64 MB steps

# AWS requests per checkpoint that this bench counted on 9d6a5da, the commit before the work on
# per-request cost (2026-12-01), to print next to today's
BEFORE = {"signup": 26, "closure": 111}
BEFORE_STEPS = {  # what made them then (later work added steps: a sign-up's fraud signals and risk rating)
    "signup": {"api", "verify_identity", "screen", "record_decision", "deliver_webhooks"},
    "closure": {"api", "screen", "assess_exit_risk", "schedule_retention", "export_data", "record_decision",
                "deliver_webhooks"},
}
# moto's Step Functions engine calls Lambda with a client of its own, signed with this key
STEP_FUNCTIONS_ENGINE_KEY = "ak"
DYNAMODB_WRITES = {"PutItem", "UpdateItem", "DeleteItem", "BatchWriteItem", "TransactWriteItems"}
S3_PUT_CLASS = {"PutObject", "CopyObject", "CreateMultipartUpload", "UploadPart", "CompleteMultipartUpload",
                "ListObjectsV2", "ListObjectVersions", "PutObjectRetention", "PutObjectLegalHold", "DeleteObject"}


def memory_gb(function: str) -> Decimal:
    """The function's memory as the prod stage deploys it (.chalice/config.json)."""
    size = PROD.get("lambda_functions", {}).get(function, {}).get("lambda_memory_size", PROD["lambda_memory_size"])
    return Decimal(size) / 1024


@dataclass
class Tally:
    """What one checkpoint made AWS do."""

    calls: Counter = field(default_factory=Counter)  # (service, operation) -> count
    sites: list = field(default_factory=list)  # with --sites: (origin, service, operation, the product's frames)
    by_origin: Counter = field(default_factory=Counter)  # the function that made them ("api": the API) -> count
    invocations: Counter = field(default_factory=Counter)  # function -> count
    seconds: dict[str, float] = field(default_factory=dict)  # function -> handler seconds, summed
    transitions: int = 0
    duration: float = 0.0  # execution start to stop, seconds

    def service(self, name: str) -> int:
        return sum(n for (service, _), n in self.calls.items() if service == name)

    def aws_requests(self) -> int:
        """Requests the product makes (the workflow's own Lambda invokes are counted as invocations)."""
        return sum(self.calls.values())

    def cost(self, express: bool = False) -> Decimal:
        p = PRICES
        if express:
            workflow = p["express_request"] + p["express_gb_second"] * EXPRESS_MEMORY_GB * Decimal(str(self.duration))
        else:
            workflow = p["state_transition"] * self.transitions
        dynamodb = sum(Decimal(n) * (p["dynamodb_write"] if op in DYNAMODB_WRITES else p["dynamodb_read"])
                       for (service, op), n in self.calls.items() if service == "dynamodb")
        s3 = sum(Decimal(n) * (p["s3_put"] if op in S3_PUT_CLASS else p["s3_get"])
                 for (service, op), n in self.calls.items() if service == "s3")
        lambdas = p["lambda_request"] * sum(self.invocations.values()) + p["lambda_gb_second"] * sum(
            memory_gb(function) * Decimal(str(seconds)) for function, seconds in self.seconds.items())
        return (workflow + lambdas + dynamodb + s3 + p["kms_request"] * self.service("kms")
                + p["sqs_request"] * self.service("sqs"))


class Meter:
    """Counts calls made by the product's threads; the bench's own thread is left out."""

    def __init__(self, sites: bool = False) -> None:
        self.tally = Tally()
        self.sites = sites
        self.bench = threading.local()
        self.lock = threading.Lock()

    def install(self) -> None:
        make_api_call = BaseClient._make_api_call  # every client of the process, whatever its session

        def counted(client: BaseClient, operation: str, params: dict) -> dict:
            self._on_call(client.meta.service_model.endpoint_prefix, operation,
                          client._request_signer._credentials.access_key)
            return make_api_call(client, operation, params)

        BaseClient._make_api_call = counted
        original = lambda_dispatch.invoke_handler

        def timed(handler, name, payload, injector=None):
            started, function = time.perf_counter(), getattr(handler, "name", name)
            self.bench.function = function
            try:
                return original(handler, name, payload, injector)
            finally:
                self.bench.function = None
                self._invoked(function, time.perf_counter() - started)

        lambda_dispatch.invoke_handler = timed

    def _on_call(self, service: str, operation: str, access_key: str) -> None:
        if getattr(self.bench, "quiet", False):
            return
        if access_key == STEP_FUNCTIONS_ENGINE_KEY:
            return  # the embedded Step Functions invoking a task: counted as an invocation
        origin = getattr(self.bench, "function", None) or "api"
        with self.lock:
            self.tally.calls[(service, operation)] += 1
            self.tally.by_origin[origin] += 1
            if self.sites:
                frames = [f"{Path(f.filename).relative_to(ROOT)}:{f.lineno} {f.name}" for f in traceback.extract_stack()
                          if f.filename.startswith(str(ROOT / "chalicelib")) and "/local/" not in f.filename]
                self.tally.sites.append((origin, service, operation, frames[-3:]))

    def _invoked(self, function: str, seconds: float) -> None:
        with self.lock:
            self.tally.invocations[function] += 1
            self.tally.seconds[function] = self.tally.seconds.get(function, 0.0) + seconds

    def take(self) -> Tally:
        with self.lock:
            tally, self.tally = self.tally, Tally()
        return tally


def signup_body() -> dict:
    body = json.loads((ROOT / "data" / "samples" / "signup-approve.json").read_text())
    body["channel"]["reference"] = uuid.uuid4().hex
    return body


def closure_body(customer_id: str) -> dict:
    body = json.loads((ROOT / "data" / "samples" / "closure.json").read_text())
    body["customer_id"] = customer_id
    body["accounts"][0]["holders"] = [customer_id]
    body["recent_transactions"] = []  # a quiet account: no exit-risk review
    return body


def run_checkpoint(meter: Meter, base: str, path: str, body: dict, token: str) -> tuple[dict, Tally]:
    """Start one checkpoint over HTTP, wait (uncounted) for its execution's end, and tally it."""
    meter.bench.quiet = True
    meter.take()
    meter.bench.quiet = False
    response = requests.post(f"{base}{path}", json=body, timeout=30, headers={
        "Authorization": f"Bearer {token}", "Idempotency-Key": str(uuid.uuid4())})
    response.raise_for_status()
    checkpoint_id = response.json()["checkpoint_id"]
    meter.bench.quiet = True
    arn = AWS.checkpoints.get(checkpoint_id).execution_arn
    deadline = time.monotonic() + 60
    while (described := AWS.workflows.describe(arn))["status"] == "RUNNING":
        if time.monotonic() > deadline:
            sys.exit(f"{path}: execution still running after 60 s")
        time.sleep(0.05)
    time.sleep(0.2)  # anything the last task started (webhook deliveries) finishes
    tally = meter.take()
    events = boto3.client("stepfunctions").get_execution_history(executionArn=arn, maxResults=1000)["events"]
    tally.transitions = sum(1 for e in events if e["type"].endswith("StateEntered"))
    tally.duration = (described["stopDate"] - described["startDate"]).total_seconds()
    checkpoint = AWS.checkpoints.get(checkpoint_id)
    meter.bench.quiet = False
    return {"checkpoint_id": checkpoint_id, "status": checkpoint.status.value,
            "customer_id": checkpoint.customer_id}, tally


def status_read_calls(meter: Meter, base: str, checkpoint_id: str, token: str) -> int:
    meter.bench.quiet = True
    meter.take()
    meter.bench.quiet = False
    requests.get(f"{base}/v1/checkpoints/{checkpoint_id}", timeout=30,
                 headers={"Authorization": f"Bearer {token}"}).raise_for_status()
    return meter.take().aws_requests()


def report(name: str, kind: str, outcome: dict, tally: Tally) -> dict:
    per_service = {service: tally.service(service) for service in sorted({s for s, _ in tally.calls})}
    print(f"\n{name}: {outcome['status']}, execution {tally.duration:.2f} s on this machine")
    print(f"  state transitions {tally.transitions}, Lambda invocations {sum(tally.invocations.values())}"
          f" ({', '.join(f'{f} {n}' for f, n in sorted(tally.invocations.items()))})")
    before = BEFORE[kind]
    print(f"  AWS requests {tally.aws_requests()} (before: {before}, {tally.aws_requests() / before - 1:+.0%}): "
          + ", ".join(f"{s} {n}" for s, n in per_service.items()))
    for (service, op), n in sorted(tally.calls.items()):
        print(f"    {service:16} {op:28} {n}")
    for origin, service, op, frames in tally.sites:
        print(f"    {origin:18} {service}.{op:26} " + " < ".join(reversed(frames)))
    print("  by who made them: " + ", ".join(f"{origin} {n}" for origin, n in sorted(tally.by_origin.items())))
    same = sum(n for origin, n in tally.by_origin.items() if origin in BEFORE_STEPS[kind])
    print(f"  of which the API and the tasks that {kind} ran on 9d6a5da: {same} (before: {before}, "
          f"{same / before - 1:+.0%})")
    standard, express = tally.cost() * 1000, tally.cost(express=True) * 1000
    print(f"  per 1,000: ${standard:.4f} as a Standard workflow", end="")
    print(f" (Express would be ${express:.4f}, but the workflow waits for task tokens, which Express"
          " does not support)")
    return {"status": outcome["status"], "transitions": tally.transitions, "aws_requests_before": before,
            "aws_requests_of_the_steps_then": same, "by_origin": dict(tally.by_origin),
            "invocations": dict(tally.invocations), "aws_requests": tally.aws_requests(),
            "per_service": per_service, "per_1000_usd_standard": f"{standard:.4f}",
            "per_1000_usd_express": f"{express:.4f}"}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--json", action="store_true", help="also print the counts as one JSON line")
    parser.add_argument("--sites", action="store_true", help="print each request with the frames that made it")
    args = parser.parse_args()
    meter = Meter(sites=args.sites)
    with local_api() as (base, _):
        meter.install()
        channel = issue_local_token(Role.CHANNEL, "web-signup")
        run_checkpoint(meter, base, "/v1/onboarding", signup_body(), channel)  # warm-up
        signup, signup_tally = run_checkpoint(meter, base, "/v1/onboarding", signup_body(), channel)
        closure, closure_tally = run_checkpoint(meter, base, "/v1/offboarding",
                                                closure_body(signup["customer_id"]), channel)
        reads = status_read_calls(meter, base, signup["checkpoint_id"], channel)
    print(f"Prices: {REGION}, on-demand, as published on 2026-12-01 (sources in bench/cost.py)")
    figures = {"signup": report("One clean sign-up", "signup", signup, signup_tally),
               "closure": report("One closure with its export", "closure", closure, closure_tally),
               "status_read_aws_requests": reads}
    print(f"\nEach status read by the channel (GET /v1/checkpoints/{{id}}): {reads} AWS request(s)")
    if args.json:
        print(json.dumps(figures))


if __name__ == "__main__":
    main()
