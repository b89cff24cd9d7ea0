"""`make invoke FUNCTION=<name> [EVENT='{...}']`: invoke one of the stack's functions on the embedded
AWS that `make run` serves, as an operator would with `aws lambda invoke` (which works too, with any
credentials: `aws --endpoint-url http://127.0.0.1:4566 lambda invoke --function-name
checkpoint-local-<name> out.json`). A scheduled function invoked without an event time runs at the
local stage's clock (POST /v1/local/clock)."""
from __future__ import annotations

import json
import os
import sys

import boto3

from chalicelib.local.embedded import LOCAL_REGION


def main() -> None:
    if len(sys.argv) < 2:
        sys.exit("usage: python -m chalicelib.local.invoke <function name> [event JSON]")
    name, event = sys.argv[1], sys.argv[2] if len(sys.argv) > 2 else "{}"
    endpoint = f"http://127.0.0.1:{os.environ.get('AWS_PORT', '4566')}"
    client = boto3.client("lambda", endpoint_url=endpoint, region_name=LOCAL_REGION, aws_access_key_id="local",
                          aws_secret_access_key="local")
    try:
        answer = client.invoke(FunctionName=f"checkpoint-local-{name}", Payload=event.encode())
    except client.exceptions.ResourceNotFoundException:
        sys.exit(f"no function {name!r} on the embedded AWS at {endpoint}")
    except Exception as exc:  # noqa: BLE001 - a person at a terminal: say what failed
        sys.exit(f"the embedded AWS at {endpoint} did not answer ({exc}); is `make run` running?")
    payload = answer["Payload"].read().decode()
    print(json.dumps(json.loads(payload), indent=2) if payload else "")
    if "FunctionError" in answer:
        sys.exit(1)


if __name__ == "__main__":
    main()
