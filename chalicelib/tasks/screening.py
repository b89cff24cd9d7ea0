"""Workflow task: screen the people a checkpoint concerns against the sanctions and PEP lists
in force (state ScreenApplicant for a sign-up; ScreenHolders for a closure: the customer and
every joint holder), with the fuzzy engine. The manifests are read on every run (one small S3
read each); the prebuilt indexes are loaded once per process and list version."""
from __future__ import annotations

from typing import Any

from chalicelib.aws import checkpoints, customers, documents, lists
from chalicelib.domain.checkpoint import CheckpointKind, Step, iso, utc_now
from chalicelib.domain.closure import ClosureRequest
from chalicelib.domain.decisions import judge
from chalicelib.domain.models import Applicant, Application, CheckResult
from chalicelib.domain.screening.engine import Screener, classify
from chalicelib.domain.screening.index import NameIndex
from chalicelib.domain.screening.result import ScreeningResult, SubjectScreening, combine_checks
from chalicelib.errors import NotFound, PermanentTaskError
from chalicelib.policies import decision_policy, list_sources_policy, screening_policy

STEP = "screening"
HOLDER_UNKNOWN = "HOLDER_UNKNOWN"

_screeners: dict[tuple[tuple[str, str], ...], Screener] = {}


def current_screener() -> Screener:
    """The engine over every list in force; rebuilt only when a list version changes."""
    manifests = [lists.current(source) for source in list_sources_policy().sources]
    versions = tuple((m.source, m.version) for m in manifests)
    if versions not in _screeners:
        indexes = [NameIndex.from_bytes(lists.read_index(m)) for m in manifests]
        _screeners.clear()
        _screeners[versions] = Screener(indexes, screening_policy())
    return _screeners[versions]


def _subjects(checkpoint_id: str, kind: CheckpointKind) -> tuple[list[tuple[str, Applicant]], list[CheckResult]]:
    """(subject id, profile) pairs to screen, and checks about subjects that cannot be screened."""
    if kind is CheckpointKind.ONBOARDING:
        application = documents.get_json(documents.application_key(checkpoint_id), Application)
        return [("applicant", application.applicant)], []
    request = documents.get_json(documents.closure_request_key(checkpoint_id), ClosureRequest)
    holder_ids = dict.fromkeys([request.customer_id, *(h for a in request.accounts for h in a.holders)])
    found, missing = [], []
    for customer_id in holder_ids:
        try:
            found.append((customer_id, customers.get(customer_id).profile))
        except NotFound:
            missing.append(customer_id)
    unknown = CheckResult(code=HOLDER_UNKNOWN, passed=not missing,
                          detail=f"no customer record for holder(s) {', '.join(missing)}" if missing else "")
    return found, [unknown]


def run(checkpoint_id: str, event: dict[str, Any]) -> dict[str, Any]:
    try:
        kind = CheckpointKind(event.get("kind"))
    except ValueError:
        raise PermanentTaskError("screening task needs kind onboarding or offboarding") from None
    subjects, extra = _subjects(checkpoint_id, kind)
    screener = current_screener()
    screened = []
    for subject_id, person in subjects:
        matches = screener.screen_person(f"{person.given_names} {person.family_name}", person.birth_date,
                                         person.nationality)
        screened.append(SubjectScreening(subject=subject_id, matches=tuple(matches), checks=tuple(classify(matches))))
    now = iso(utc_now())
    result = ScreeningResult(engine=screener.engine, screened_at=now, list_versions=screener.list_versions,
                             subjects=tuple(screened), checks=combine_checks(screened, extra))
    key = documents.result_key(checkpoint_id, STEP)
    documents.put_json(key, result)
    verdict, reasons = judge(result.checks, decision_policy(kind))
    checkpoints.record_step(checkpoint_id, Step(name=STEP, verdict=verdict, reasons=reasons, finished_at=now,
                                                result_key=key), list_versions=screener.list_versions)
    return {"verdict": verdict.value, "codes": [r.code for r in reasons]}
