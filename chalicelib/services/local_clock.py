"""The local stage's clock (POST /v1/local/clock): move what the product and the embedded AWS read
as now, to watch periods pass on `make run`. Every deployed stage answers as if it did not exist."""
from __future__ import annotations

from datetime import datetime

from chalicelib import clock
from chalicelib.domain.actors import Caller
from chalicelib.errors import InvalidField, NotFound
from chalicelib.settings import get_settings


def move(caller: Caller, to: datetime) -> tuple[datetime, float]:
    """(the product's now, seconds ahead of real time)."""
    if not get_settings().is_local:
        raise NotFound("local clock")
    try:
        offset = clock.move_to(to)
    except ValueError as exc:
        raise InvalidField("now", str(exc)) from None
    return clock.now(), offset.total_seconds()
