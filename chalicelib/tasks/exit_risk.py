"""Workflow task: exit-risk checks on the closure (state AssessExitRisk)."""
from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from pydantic import ValidationError

from chalicelib.aws import checkpoints, documents
from chalicelib.domain.checkpoint import Step, iso, utc_now
from chalicelib.domain.closure import ClosureRequest, Transaction
from chalicelib.domain.decisions import judge
from chalicelib.domain.exit_risk import assess, relevant_history
from chalicelib.domain.models import CheckResult
from chalicelib.errors import PermanentTaskError
from chalicelib.policies import exit_risk_policy, offboarding_policy

STEP = "exit_risk"


def _transactions(key: str) -> Iterator[Transaction]:
    """The stored transactions, streamed line by line from S3."""
    for number, line in documents.iter_lines(key):
        try:
            yield Transaction.model_validate_json(line)
        except ValidationError as exc:
            fields = ", ".join(".".join(map(str, e["loc"])) or "(line)" for e in exc.errors())
            raise PermanentTaskError(f"transactions line {number} is invalid ({fields})") from None


def run(checkpoint_id: str, event: dict[str, Any]) -> dict[str, Any]:
    request = documents.get_json(documents.closure_request_key(checkpoint_id), ClosureRequest)
    policy = exit_risk_policy()
    history = relevant_history(request, _transactions(request.transactions_key), policy)
    assessment = assess(request, history, policy)
    now = iso(utc_now())
    key = documents.result_key(checkpoint_id, STEP)
    documents.put_json(key, assessment)
    checks = [CheckResult(code=f.code, passed=not f.flagged, detail=f.detail) for f in assessment.findings]
    verdict, reasons = judge(checks, offboarding_policy())
    checkpoints.record_step(checkpoint_id, Step(name=STEP, verdict=verdict, reasons=reasons, finished_at=now,
                                                result_key=key))
    return {"verdict": verdict.value, "codes": [r.code for r in reasons]}
