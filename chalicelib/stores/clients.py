"""boto3 clients and resources, built lazily once per process (cheap imports, swappable in tests)."""
from __future__ import annotations

from functools import cache

import boto3
from botocore.config import Config

_CONFIG = Config(retries={"mode": "standard", "max_attempts": 3}, connect_timeout=3, read_timeout=10)


@cache
def client(service: str):
    config = _CONFIG.merge(Config(signature_version="s3v4")) if service == "s3" else _CONFIG  # SigV4 presigned URLs
    return boto3.client(service, config=config)


@cache
def presigner(endpoint: str | None):
    """The S3 client that signs links handed to callers. Deployed (`endpoint` None) that is S3
    itself; locally it is the embedded AWS's loopback endpoint, path style, so that curl and a
    browser outside this process can use the links."""
    config = _CONFIG.merge(Config(signature_version="s3v4", s3={"addressing_style": "path"} if endpoint else {}))
    return boto3.client("s3", endpoint_url=endpoint, config=config)


@cache
def table(name: str):
    return boto3.resource("dynamodb", config=_CONFIG).Table(name)


def reset() -> None:
    """Forget cached clients (after the endpoint or credentials change, e.g. in tests)."""
    client.cache_clear()
    presigner.cache_clear()
    table.cache_clear()
