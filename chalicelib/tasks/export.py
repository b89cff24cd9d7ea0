"""Workflow task: the data-portability export of a closing customer (state ExportData)."""
from __future__ import annotations

from typing import Any

from chalicelib.aws import checkpoints, documents
from chalicelib.domain.checkpoint import Reason, Step, iso, utc_now
from chalicelib.domain.closure import ClosureRequest
from chalicelib.domain.export_package import SECTIONS
from chalicelib.domain.models import Verdict
from chalicelib.services import exports

STEP = "export"


def run(checkpoint_id: str, event: dict[str, Any]) -> dict[str, Any]:
    request = documents.get_json(documents.closure_request_key(checkpoint_id), ClosureRequest)
    existing = checkpoints.get(checkpoint_id).steps.get(STEP)
    export_id = existing.result_key if existing else None  # a retried task reuses its export
    if export_id is None:
        export_id = exports.request(request.customer_id, list(request.export.formats), list(SECTIONS),
                                    requested_by="offboarding", checkpoint_id=checkpoint_id)["export_id"]
        checkpoints.record_step(checkpoint_id, Step(name=STEP, verdict=Verdict.PASS, finished_at=iso(utc_now()),
                                                    result_key=export_id,
                                                    reasons=(Reason(code="EXPORT_STARTED", detail=export_id),)))
    record = exports.build(export_id)
    checkpoints.record_step(checkpoint_id, Step(name=STEP, verdict=Verdict.PASS, finished_at=iso(utc_now()),
                                                result_key=export_id,
                                                reasons=(Reason(code="EXPORT_READY", detail=export_id),)))
    return {"status": record["status"], "export_id": export_id}
