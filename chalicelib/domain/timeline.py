"""Step Functions execution history -> a readable timeline for compliance officers.

Pure: takes the history events as GetExecutionHistory returns them. Task results are cut
down to their codes (verdict, codes, status, level, outcome); task parameters (which hold the
review task token) are never shown."""
from __future__ import annotations

import json
from collections.abc import Iterable
from datetime import datetime
from typing import Any

from chalicelib.domain.checkpoint import iso

SHOWN_RESULT_KEYS = ("verdict", "codes", "status", "level", "outcome")
_MAX_CAUSE = 300


def _details(event: dict[str, Any]) -> dict[str, Any]:
    for key, value in event.items():
        if key.endswith("EventDetails") and isinstance(value, dict):
            return value
    return {}


def _result(output: str | None) -> dict[str, Any] | None:
    try:
        parsed = json.loads(output) if output else None
    except ValueError:
        return None
    if not isinstance(parsed, dict):
        return None
    shown = {k: parsed[k] for k in SHOWN_RESULT_KEYS if k in parsed}
    return shown or None


def _error(details: dict[str, Any]) -> dict[str, str] | None:
    if "error" not in details:
        return None
    cause = str(details.get("cause") or "")
    try:
        parsed = json.loads(cause)
        cause = str(parsed.get("errorMessage", cause)) if isinstance(parsed, dict) else cause
    except ValueError:
        pass
    return {"error": str(details["error"]), "cause": cause[:_MAX_CAUSE]}


def _ms(start: datetime, end: datetime) -> int:
    return int((end - start).total_seconds() * 1000)


def build_timeline(events: Iterable[dict[str, Any]]) -> dict[str, Any]:
    """{"events": [...], "states": [...], "started_at", "stopped_at", "duration_ms", "status"}:
    every event with its state, and per state visit its timing, attempts, result and errors."""
    state_of: dict[int, str | None] = {}
    visits: list[dict[str, Any]] = []
    open_visit: dict[str, dict[str, Any]] = {}
    timeline: list[dict[str, Any]] = []
    started = stopped = None
    status = "RUNNING"
    for event in events:
        kind, at, details = event["type"], event["timestamp"], _details(event)
        started = started or at
        if kind.endswith("StateEntered"):
            state = details.get("name")
            visit = {"state": state, "type": kind.removesuffix("StateEntered"), "entered_at": iso(at),
                     "_entered": at, "attempts": 0, "errors": []}
            visits.append(visit)
            open_visit[state] = visit
        elif kind.endswith("StateExited"):
            state = details.get("name")
        else:
            state = state_of.get(event.get("previousEventId", 0))
        state_of[event["id"]] = state
        entry: dict[str, Any] = {"id": event["id"], "at": iso(at), "type": kind, "state": state}
        visit = open_visit.get(state) if state else None
        if kind in ("LambdaFunctionScheduled", "TaskScheduled") and visit:
            visit["attempts"] += 1
        if (result := _result(details.get("output"))) and not kind.endswith("StateExited"):
            entry["result"] = result
            if visit:
                visit["result"] = result
        if error := _error(details):
            entry |= error
            if visit:
                visit["errors"].append(error["error"])
        if kind == "TaskSubmitted" and visit:
            entry["waiting"] = "for a review decision"
        if kind.endswith("StateExited") and visit:
            visit["exited_at"] = iso(at)
            visit["duration_ms"] = _ms(visit.pop("_entered"), at)
            open_visit.pop(state, None)
        if kind.startswith("Execution") and kind != "ExecutionStarted":
            stopped, status = at, kind.removeprefix("Execution").upper()
        timeline.append(entry)
    for visit in visits:
        visit.pop("_entered", None)
    return {"status": status, "started_at": iso(started) if started else None,
            "stopped_at": iso(stopped) if stopped else None,
            "duration_ms": _ms(started, stopped) if started and stopped else None,
            "states": visits, "events": timeline}
