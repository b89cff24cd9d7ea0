"""Scheduled functions on `make run`: nothing on the embedded AWS fires EventBridge schedules, so
a timer calls the webhook retry poller (the same handler `chalice package` deploys as a
rate(1 minute) schedule) with the current time, as EventBridge would."""
from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

from chalicelib.domain.checkpoint import iso, utc_now


def every(seconds: float, handler: Callable[[dict[str, Any], Any], Any]) -> threading.Event:
    """Call `handler` with a scheduled event every `seconds` from a daemon thread; set the returned
    event to stop it."""
    stopped = threading.Event()

    def loop() -> None:
        while not stopped.wait(seconds):
            handler({"version": "0", "id": "local-schedule", "detail-type": "Scheduled Event", "source": "aws.events",
                     "account": "123456789012", "time": iso(utc_now()), "region": "local",
                     "resources": [], "detail": {}}, None)

    threading.Thread(target=loop, name="local-schedule", daemon=True).start()
    return stopped
