"""What every workflow task entry point shares: parse the event into its model, bind the ids to
the logs, and report AWS trouble as TransientError so the state machine retries it."""
from __future__ import annotations

import traceback
from collections.abc import Callable
from typing import Any, TypeVar

from aws_lambda_powertools import Logger
from botocore.exceptions import BotoCoreError, ClientError, ConnectionError as BotoConnectionError
from pydantic import BaseModel, ValidationError

from chalicelib.errors import PermanentTaskError, TransientError

logger = Logger(service="checkpoint")

E = TypeVar("E", bound=BaseModel)
_TRANSIENT_CODES = frozenset({
    "ThrottlingException", "Throttling", "ProvisionedThroughputExceededException", "RequestLimitExceeded",
    "InternalServerError", "InternalError", "ServiceUnavailable", "SlowDown", "TransactionConflictException",
    "KMSInternalException", "RequestTimeout",
})
_LOGGED_IDS = ("checkpoint_id", "export_id")


def parse_event(name: str, model: type[E], event: Any) -> E:
    try:
        return model.model_validate(event)
    except ValidationError as exc:
        fields = ", ".join(sorted({".".join(map(str, e["loc"])) or "(event)" for e in exc.errors()}))
        raise PermanentTaskError(f"{name}: the task event is invalid ({fields})") from None


def run_task(name: str, model: type[E], task: Callable[[E], dict[str, Any]], event: Any) -> dict[str, Any]:
    parsed = parse_event(name, model, event)
    ids = {k: getattr(parsed, k) for k in _LOGGED_IDS if getattr(parsed, k, None)}
    logger.append_keys(task=name, **ids)
    try:
        result = task(parsed)
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
        logger.remove_keys(["task", *_LOGGED_IDS])
    logger.info("task finished", extra={"task": name, **ids,
                                        "verdict": result.get("verdict") or result.get("status")})
    return result
