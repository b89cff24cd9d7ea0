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
def table(name: str):
    return boto3.resource("dynamodb", config=_CONFIG).Table(name)


def reset() -> None:
    """Forget cached clients (after the endpoint or credentials change, e.g. in tests)."""
    client.cache_clear()
    table.cache_clear()
