"""Powertools Idempotency on DynamoDB for the use cases that start checkpoints.

The wrapped function receives {"idempotency_key", "owner", "body"}: the key (scoped to the
calling channel) identifies the request, the body's SHA-256 is checked so a reused key with
another body is refused."""
from __future__ import annotations

from collections.abc import Callable
from functools import cache
from typing import Any

from aws_lambda_powertools.utilities.idempotency import (
    DynamoDBPersistenceLayer,
    IdempotencyConfig,
    idempotent_function,
)

from chalicelib.settings import get_settings

TTL_SECONDS = 24 * 3600


@cache
def _persistence() -> DynamoDBPersistenceLayer:
    return DynamoDBPersistenceLayer(table_name=get_settings().idempotency_table)


@cache
def idempotent(function: Callable[[dict[str, Any]], dict[str, str]]) -> Callable[..., dict[str, str]]:
    config = IdempotencyConfig(event_key_jmespath="idempotency_key", payload_validation_jmespath="body",
                               raise_on_no_idempotency_key=True, expires_after_seconds=TTL_SECONDS,
                               hash_function="sha256")
    return idempotent_function(function, data_keyword_argument="request", persistence_store=_persistence(),
                               config=config)


def call_once(function: Callable[[dict[str, Any]], dict[str, str]], owner: str, idempotency_key: str,
              body: dict[str, Any]) -> dict[str, str]:
    return idempotent(function)(request={"idempotency_key": f"{owner}/{idempotency_key}", "owner": owner,
                                         "body": body})
