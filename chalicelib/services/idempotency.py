"""Powertools Idempotency for the use cases that start something (a checkpoint).

The request is identified by the caller's Idempotency-Key, scoped to the caller (two channels
may choose the same key); the validated request model's JSON dump is hashed, so the same key
with another request is refused (`IdempotencyKeyReused`) and nothing is started. Keys stored
before requests were validated into models hashed the raw body: a retry of such a request after
the upgrade is refused as a reused key (see the README)."""
from __future__ import annotations

from collections.abc import Callable
from functools import cache
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel

from chalicelib.errors import IdempotencyInProgress, IdempotencyKeyReused

if TYPE_CHECKING:  # Powertools' idempotency loads with the first request that starts something
    from aws_lambda_powertools.utilities.idempotency.persistence.base import BasePersistenceLayer

TTL_SECONDS = 24 * 3600
Started = dict[str, str]


@cache
def _idempotent(function: Callable[..., Started], persistence: BasePersistenceLayer) -> Callable[..., Started]:
    from aws_lambda_powertools.utilities.idempotency import IdempotencyConfig, idempotent_function

    config = IdempotencyConfig(event_key_jmespath="idempotency_key", payload_validation_jmespath="request",
                               raise_on_no_idempotency_key=True, expires_after_seconds=TTL_SECONDS,
                               hash_function="sha256")
    return idempotent_function(function, data_keyword_argument="identity", persistence_store=persistence,
                               config=config)


def call_once(function: Callable[..., Started], persistence: BasePersistenceLayer, owner: str, idempotency_key: str,
              validated: BaseModel, **context: Any) -> Started:
    """`function(identity=..., **context)` once per (owner, key); a repeat with the same `validated`
    request returns the first call's answer. `function` must return JSON (a dict of strings)."""
    from aws_lambda_powertools.utilities.idempotency.exceptions import (
        IdempotencyAlreadyInProgressError,
        IdempotencyValidationError,
    )

    identity = {"idempotency_key": f"{owner}/{idempotency_key}", "request": validated.model_dump(mode="json")}
    try:
        return _idempotent(function, persistence)(identity=identity, **context)
    except IdempotencyValidationError:
        raise IdempotencyKeyReused() from None
    except IdempotencyAlreadyInProgressError:
        raise IdempotencyInProgress() from None
