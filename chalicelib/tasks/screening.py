"""Workflow task: screen the people a checkpoint concerns against the lists in force
(state ScreenApplicant for a sign-up; ScreenHolders for a closure: the customer and every
joint holder). The lists' manifests are read on every run (one small S3 read each); the
parsed index is kept per process for as long as the versions stay the same."""
from __future__ import annotations

from typing import Any

from chalicelib.aws import checkpoints, customers, documents, lists
from chalicelib.domain.checkpoint import CheckpointKind, Step, iso, utc_now
from chalicelib.domain.closure import ClosureRequest
from chalicelib.domain.decisions import judge
from chalicelib.domain.models import Applicant, Application, CheckResult
from chalicelib.domain.screening.exact_matcher import ListIndex, classify, screen_person
from chalicelib.domain.screening.formats import parse_list
from chalicelib.domain.screening.result import ScreeningResult, SubjectScreening, combine_checks
from chalicelib.errors import NotFound, PermanentTaskError
from chalicelib.policies import decision_policy

STEP = "screening"
ENGINE = "exact-name-v0"
SOURCES = ("ofac-sdn",)
HOLDER_UNKNOWN = "HOLDER_UNKNOWN"

_index_cache: dict[tuple[tuple[str, str], ...], ListIndex] = {}


def current_index() -> tuple[dict[str, str], ListIndex]:
    manifests = [lists.current(source) for source in SOURCES]
    versions = tuple((m.source, m.version) for m in manifests)
    if versions not in _index_cache:
        entities = [entity for m in manifests for entity in parse_list(m.format, lists.read_files(m), m.source)]
        _index_cache.clear()
        _index_cache[versions] = ListIndex.build(entities)
    return dict(versions), _index_cache[versions]


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
    versions, index = current_index()
    screened = []
    for subject_id, person in subjects:
        matches = screen_person(index, f"{person.given_names} {person.family_name}", person.birth_date)
        screened.append(SubjectScreening(subject=subject_id, matches=tuple(matches), checks=tuple(classify(matches))))
    now = iso(utc_now())
    result = ScreeningResult(engine=ENGINE, screened_at=now, list_versions=versions, subjects=tuple(screened),
                             checks=combine_checks(screened, extra))
    key = documents.result_key(checkpoint_id, STEP)
    documents.put_json(key, result)
    verdict, reasons = judge(result.checks, decision_policy(kind))
    checkpoints.record_step(checkpoint_id, Step(name=STEP, verdict=verdict, reasons=reasons, finished_at=now,
                                                result_key=key), list_versions=versions)
    return {"verdict": verdict.value, "codes": [r.code for r in reasons]}
