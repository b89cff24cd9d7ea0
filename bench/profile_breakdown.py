"""Where the embedded stack's time goes: a breakdown of py-spy's samples (raw, collapsed stacks) of
the stack's process by whose code each sample is in, and by what the thread was doing.

Record the steady load of the sign-up bench (the README's figures: concurrency 20, 150 sign-ups,
40 s of samples attached after the warm-up, only the thread holding the interpreter lock):

    .venv/bin/python bench/onboarding_latency.py --count 150 &
    py-spy record --pid <its pid> --gil -r 20 -d 40 -f raw -o samples.txt
    .venv/bin/python bench/profile_breakdown.py samples.txt --rate 20 --signups <sign-ups in the 40 s>

py-spy is not a dependency of the project (`pip install py-spy`). A sample is counted for the
innermost frame that belongs to a known layer (moto's services, botocore, the local server, the
embedded stack's glue, our code); pydantic and Powertools count for whoever called them. Moto's
response serializer counts for the service whose response it writes.
"""
from __future__ import annotations

import argparse
import re
from collections import Counter

OURS = "our code (routes, services, stores, domain; the pydantic work they call)"


def _service(frames: list[str]) -> str:
    names = [m.group(1) for f in frames if (m := re.search(r"\(moto/(\w+)/responses", f)) and m.group(1) != "core"]
    return names[-1] if names else "other"


def layer(frames: list[str]) -> str:
    serializing = any("moto/core/serialize.py" in f for f in frames)
    for frame in reversed(frames):
        match = re.search(r"\(([^()]*):\d+\)$", frame)
        path = match.group(1) if match else ""
        if serializing and path.startswith("moto/core/") or path.startswith(("moto/s3", "moto/awslambda", "moto/kms",
                                                                               "moto/sqs", "moto/events", "moto/sns")):
            service = _service(frames) if serializing else path.split("/")[1]
            return "moto DynamoDB" if service == "dynamodb" else "moto S3, Lambda and other services"
        if path.startswith("moto/dynamodb"):
            return "moto DynamoDB"
        if path.startswith(("moto/stepfunctions", "jsonpath_ng", "antlr4")):
            return "moto Step Functions interpreter"
        if path.startswith("moto/"):
            return "moto request dispatch"
        if path.startswith(("botocore/", "boto3/", "s3transfer/")):
            return "botocore/boto3 (client side of each call)"
        if path.startswith(("werkzeug/", "chalice/", "http/server", "socketserver")):
            return "local HTTP server"
        if path.startswith("chalicelib/local/"):
            return "embedded stack's glue (chalicelib/local)"
        if path.startswith(("chalicelib/", "app.py")):
            return OURS
    return "no Python frame"


def activity(frames: list[str]) -> str:
    stack = " ".join(frames)
    if "lambda_dispatch" in stack or "chalicelib/tasks/" in stack:
        return "the workflow's tasks"
    if "moto/stepfunctions" in stack:
        return "Step Functions interpreter"
    if "version_of" in stack:
        return "the long-poll's status reads"
    if "chalicelib/api/" in stack or "app.py" in stack:
        return "the API's other work"
    return "other"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("samples")
    parser.add_argument("--rate", type=float, default=20, help="py-spy's sampling rate (Hz)")
    parser.add_argument("--signups", type=float, help="sign-ups done while sampling: prints ms per sign-up")
    args = parser.parse_args()
    layers, activities = Counter(), Counter()
    for line in open(args.samples, encoding="utf-8"):
        if line.strip():
            stack, count = line.rstrip("\n").rsplit(" ", 1)
            frames = stack.split(";")
            layers[layer(frames)] += int(count)
            activities[activity(frames)] += int(count)
    total = sum(layers.values())
    per = (lambda n: f" {1000 * n / args.rate / args.signups:5.0f} ms/sign-up") if args.signups else (lambda n: "")
    print(f"{total} samples = {total / args.rate:.1f} s" + per(total))
    for title, counts in (("whose code", layers), ("doing what", activities)):
        print(f"-- {title}")
        for name, n in counts.most_common():
            print(f"{100 * n / total:5.1f}%{per(n)}  {name}")


if __name__ == "__main__":
    main()
