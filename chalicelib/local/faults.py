"""Fault injection for the embedded AWS (local only): make chosen workflow tasks fail.

    CHECKPOINT_FAULTS="screen=transient:2,verify_identity=permanent,record_decision=crash_after:1"

Each entry names a task (the Chalice function name), optionally `task@subject` for one checkpoint
or one monitoring shard only (`screen_shard@s0001=permanent`), and a fault:
- `transient:N`: the first N invocations per checkpoint fail before the task runs, reported as
  `Lambda.ServiceException` (what AWS reports when the Lambda service fails; the state machines
  retry it);
- `permanent`: every invocation fails with `InjectedFault` (not retried: the workflow's Catch
  marks the checkpoint FAILED);
- `crash_after:N`: the first N invocations per checkpoint run the task, side effects and all,
  then fail as `Lambda.ServiceException` instead of returning: the crash between writing a
  result and reporting it, after which the task is run again.

Read by the local Lambda dispatcher on every invocation; nothing deployed reads it.
"""
from __future__ import annotations

import threading
from dataclasses import dataclass
from enum import StrEnum

VARIABLE = "CHECKPOINT_FAULTS"
TRANSIENT_ERROR = "Lambda.ServiceException"
PERMANENT_ERROR = "InjectedFault"


class FaultKind(StrEnum):
    TRANSIENT = "transient"
    PERMANENT = "permanent"
    CRASH_AFTER = "crash_after"


@dataclass(frozen=True)
class Fault:
    kind: FaultKind
    times: int = 0  # per checkpoint; unused for permanent


class FaultSpecError(ValueError):
    pass


def parse(spec: str) -> dict[str, Fault]:
    """`task=kind[:N],...` -> {task: Fault}; a clear error for anything else."""
    faults: dict[str, Fault] = {}
    for entry in filter(None, (part.strip() for part in spec.split(","))):
        task, _, fault = entry.partition("=")
        kind_name, _, times = fault.partition(":")
        try:
            kind = FaultKind(kind_name)
        except ValueError:
            raise FaultSpecError(f"{VARIABLE}: {entry!r}: the fault must be one of "
                                 f"{', '.join(k.value for k in FaultKind)}") from None
        if not task:
            raise FaultSpecError(f"{VARIABLE}: {entry!r}: name a task before '='")
        if kind is FaultKind.PERMANENT:
            if times:
                raise FaultSpecError(f"{VARIABLE}: {entry!r}: a permanent fault takes no count")
            faults[task] = Fault(kind)
            continue
        if not times.isdigit() or int(times) < 1:
            raise FaultSpecError(f"{VARIABLE}: {entry!r}: give how many times, e.g. {kind.value}:2")
        faults[task] = Fault(kind, int(times))
    return faults


class FaultInjector:
    """Decides, per invocation, whether and how a task fails; counts per (task, checkpoint)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._spec = ""
        self._faults: dict[str, Fault] = {}
        self._counts: dict[tuple[str, str], int] = {}

    def fault_for(self, spec: str, task: str, checkpoint_id: str) -> Fault | None:
        """The fault this invocation suffers under `spec` (the variable's current value), if any."""
        with self._lock:
            if spec != self._spec:
                self._spec, self._faults, self._counts = spec, parse(spec), {}
            named = f"{task}@{checkpoint_id}"
            fault = self._faults.get(named) or self._faults.get(task)
            if fault is None or fault.kind is FaultKind.PERMANENT:
                return fault
            seen = self._counts.get((task, checkpoint_id), 0)
            if seen >= fault.times:
                return None
            self._counts[(task, checkpoint_id)] = seen + 1
            return fault
