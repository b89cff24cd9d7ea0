"""Workflow tasks whose capability has not landed yet (state ExportData).

They take the final task contract ({checkpoint_id} in, {status, ...} out) and answer
NOT_IMPLEMENTED, which the workflow records as a step, so the closure skeleton is honest
about what it did not do."""
from __future__ import annotations

from typing import Any

from chalicelib.aws import checkpoints
from chalicelib.domain.checkpoint import Reason, Step, iso, utc_now
from chalicelib.domain.models import Verdict

NOT_IMPLEMENTED = "NOT_IMPLEMENTED"


def _not_implemented(checkpoint_id: str, step: str, detail: str) -> dict[str, Any]:
    checkpoints.record_step(checkpoint_id, Step(name=step, verdict=Verdict.PASS, finished_at=iso(utc_now()),
                                                reasons=(Reason(code=NOT_IMPLEMENTED, detail=detail),)))
    return {"status": NOT_IMPLEMENTED, "detail": detail}


def export_data(checkpoint_id: str, event: dict[str, Any]) -> dict[str, Any]:
    return _not_implemented(checkpoint_id, "export", "the data-portability export is not implemented yet")
