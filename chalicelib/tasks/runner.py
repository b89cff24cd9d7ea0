"""What every workflow task entry point shares: parse the event, bind the checkpoint id to
the logs, and report AWS trouble as TransientError so the state machine retries it."""
from __future__ import annotations

import re
import traceback
from collections.abc import Callable
from typing import Any

from aws_lambda_powertools import Logger
from botocore.exceptions import BotoCoreError, ClientError, ConnectionError as BotoConnectionError

from chalicelib.errors import PermanentTaskError, TransientError

logger = Logger(service="checkpoint")

_CHECKPOINT_ID = re.compile(r"^cp_[0-9a-f]{32}$")
_TRANSIENT_CODES = frozenset({
    "ThrottlingException", "Throttling", "ProvisionedThroughputExceededException", "RequestLimitExceeded",
    "InternalServerError", "InternalError", "ServiceUnavailable", "SlowDown", "TransactionConflictException",
    "KMSInternalException", "RequestTimeout",
})


def checkpoint_id_of(event: dict[str, Any]) -> str:
    checkpoint_id = event.get("checkpoint_id") if isinstance(event, dict) else None
    if not isinstance(checkpoint_id, str) or not _CHECKPOINT_ID.match(checkpoint_id):
        raise PermanentTaskError("task event has no valid checkpoint_id")
    return checkpoint_id


def run_task(name: str, task: Callable[[str, dict[str, Any]], dict[str, Any]], event: dict[str, Any]) -> dict[str, Any]:
    checkpoint_id = checkpoint_id_of(event)
    logger.append_keys(checkpoint_id=checkpoint_id, task=name)
    try:
        result = task(checkpoint_id, event)
    except ClientError as exc:
        code = exc.response.get("Error", {}).get("Code", "")
        status = exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode", 0)
        if code in _TRANSIENT_CODES or status >= 500:
            logger.warning("transient AWS error", extra={"aws_error": code})
            raise TransientError(f"{name}: AWS error {code}") from exc
        raise
    except (BotoConnectionError, BotoCoreError) as exc:
        logger.warning("AWS unreachable", extra={"aws_error": type(exc).__name__})
        raise TransientError(f"{name}: {type(exc).__name__}") from exc
    except Exception as exc:
        # The exception's message may quote input (pydantic does); log where it happened, not what it says.
        where = traceback.extract_tb(exc.__traceback__)[-1]
        logger.error("task failed", extra={"error": type(exc).__name__, "at": f"{where.filename}:{where.lineno}"})
        raise
    finally:
        logger.remove_keys(["checkpoint_id", "task"])
    logger.info("task finished", extra={"checkpoint_id": checkpoint_id, "task": name,
                                        "verdict": result.get("verdict") or result.get("status")})
    return result
