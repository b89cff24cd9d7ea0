"""Sanctions and PEP screening: the people a checkpoint concerns (the workflow's ScreenApplicant
and ScreenHolders steps: the applicant, or the customer and every joint holder), and ad hoc
screening of a name. The manifests are read on every run (one small S3 read each); the prebuilt
indexes are loaded once per process and list version."""
from __future__ import annotations

from typing import Any

from chalicelib.api.models import ScreeningRequest
from chalicelib.domain.actors import Caller
from chalicelib.domain.checkpoint import CheckpointKind, Step, iso, utc_now
from chalicelib.domain.closure import ClosureRequest
from chalicelib.domain.decisions import judge
from chalicelib.domain.models import Applicant, Application, CheckResult
from chalicelib.domain.screening.engine import Screener, classify
from chalicelib.domain.screening.index import NameIndex
from chalicelib.domain.screening.result import ScreeningResult, SubjectScreening, combine_checks
from chalicelib.errors import NotFound
from chalicelib.policies import decision_policy, list_sources_policy, screening_policy
from chalicelib.stores import AWS, Stores
from chalicelib.stores.document_bucket import application_key, closure_request_key, result_key

STEP = "screening"
HOLDER_UNKNOWN = "HOLDER_UNKNOWN"

_screeners: dict[tuple[tuple[str, str], ...], Screener] = {}


def current_screener(stores: Stores = AWS) -> Screener:
    """The engine over every list in force; rebuilt only when a list version changes."""
    manifests = [stores.lists.current(source) for source in list_sources_policy().sources]
    versions = tuple((m.source, m.version) for m in manifests)
    if versions not in _screeners:
        indexes = [NameIndex.from_bytes(stores.lists.read_index(m)) for m in manifests]
        _screeners.clear()
        _screeners[versions] = Screener(indexes, screening_policy())
    return _screeners[versions]


def _subjects(checkpoint_id: str, kind: CheckpointKind, stores: Stores
              ) -> tuple[list[tuple[str, Applicant]], list[CheckResult]]:
    """(subject id, profile) pairs to screen, and checks about subjects that cannot be screened."""
    if kind is CheckpointKind.ONBOARDING:
        application = stores.documents.get_json(application_key(checkpoint_id), Application)
        return [("applicant", application.applicant)], []
    request = stores.documents.get_json(closure_request_key(checkpoint_id), ClosureRequest)
    holder_ids = dict.fromkeys([request.customer_id, *(h for a in request.accounts for h in a.holders)])
    found, missing = [], []
    for customer_id in holder_ids:
        try:
            found.append((customer_id, stores.customers.get(customer_id).profile))
        except NotFound:
            missing.append(customer_id)
    unknown = CheckResult(code=HOLDER_UNKNOWN, passed=not missing,
                          detail=f"no customer record for holder(s) {', '.join(missing)}" if missing else "")
    return found, [unknown]


def screen_checkpoint(checkpoint_id: str, kind: CheckpointKind, stores: Stores = AWS) -> Step:
    """Screen everyone the checkpoint concerns, store the explained result, record the verdict."""
    subjects, extra = _subjects(checkpoint_id, kind, stores)
    screener = current_screener(stores)
    screened = []
    for subject_id, person in subjects:
        matches = screener.screen_person(f"{person.given_names} {person.family_name}", person.birth_date,
                                         person.nationality)
        screened.append(SubjectScreening(subject=subject_id, matches=tuple(matches), checks=tuple(classify(matches))))
    now = iso(utc_now())
    result = ScreeningResult(engine=screener.engine, screened_at=now, list_versions=screener.list_versions,
                             subjects=tuple(screened), checks=combine_checks(screened, extra))
    key = result_key(checkpoint_id, STEP)
    stores.documents.put_json(key, result)
    verdict, reasons = judge(result.checks, decision_policy(kind.value))
    step = Step(name=STEP, verdict=verdict, reasons=reasons, finished_at=now, result_key=key)
    stores.checkpoints.record_step(checkpoint_id, step, list_versions=screener.list_versions)
    return step


def screen_name(caller: Caller, request: ScreeningRequest, stores: Stores = AWS) -> dict[str, Any]:
    """Ad hoc screening of one name: the ranked, explained matches and the checks they fail."""
    screener = current_screener(stores)
    matches = screener.screen(request.name, request.birth_date, request.nationality, request.type,
                              limit=request.limit, threshold=request.threshold)
    return {"engine": screener.engine, "list_versions": screener.list_versions,
            "matches": [m.model_dump(mode="json") for m in matches], "checks": [c.model_dump() for c in
                                                                                 classify(matches)]}
