"""Sanctions and PEP screening: the people a checkpoint concerns (the workflow's ScreenApplicant
and ScreenHolders steps: the applicant, or the customer and every joint holder), and ad hoc
screening of a name or of a batch of names. The manifests are read on every run (one small S3
read each); the prebuilt indexes are loaded once per process and list version.

A workflow screening marks the matches a compliance officer cleared for the person (see
`services.clearances`): a cleared match fails no check, and the step says which were cleared.
Ad hoc screenings screen names, not known persons: no clearance applies to them."""
from __future__ import annotations

from typing import Any

from aws_lambda_powertools import Logger

from chalicelib.api.models import BatchScreeningRequest, ScreeningQuery, ScreeningRequest
from chalicelib.domain.actors import Caller
from chalicelib.domain.checkpoint import CheckpointKind, Reason, Step, iso, utc_now
from chalicelib.domain.closure import ClosureRequest
from chalicelib.domain.decisions import judge
from chalicelib.domain.models import Applicant, CheckResult
from chalicelib.domain.screening.clearance import cleared_detail
from chalicelib.domain.screening.engine import Screener, classify
from chalicelib.domain.screening.formats import iter_list
from chalicelib.domain.screening.index import IndexFormatError, NameIndex
from chalicelib.domain.screening.result import APPLICANT, ScreeningResult, SubjectScreening, combine_checks
from chalicelib.errors import NotFound
from chalicelib.policies import decision_policy, list_sources_policy, screening_policy
from chalicelib.services import clearances
from chalicelib.services.onboarding import application_of
from chalicelib.stores import AWS, Stores
from chalicelib.stores.document_bucket import closure_request_key, result_key
from chalicelib.stores.list_bucket import ListManifest

STEP = "screening"
HOLDER_UNKNOWN = "HOLDER_UNKNOWN"
SANCTIONS_MATCH_CLEARED = "SANCTIONS_MATCH_CLEARED"

logger = Logger(service="checkpoint")
_screeners: dict[tuple[tuple[str, str], ...], Screener] = {}


def current_screener(stores: Stores = AWS) -> Screener:
    """The engine over every list in force; rebuilt only when a list version changes. A required
    list with no version fails it (NotFound); one not required is screened once it has one."""
    manifests = []
    for source, config in list_sources_policy().in_force().items():
        try:
            manifests.append(stores.lists.current(source))
        except NotFound:
            if config.required:
                raise
    versions = tuple((m.source, m.version) for m in manifests)
    if versions not in _screeners:
        indexes = [_index(m, stores) for m in manifests]
        _screeners.clear()
        _screeners[versions] = Screener(indexes, screening_policy())
    return _screeners[versions]


def _index(manifest: ListManifest, stores: Stores) -> NameIndex:
    """The version's prebuilt index; one built by an older release is rebuilt from the version's
    own files (in memory, once per process, until the next refresh stores the new format)."""
    try:
        return NameIndex.from_bytes(stores.lists.read_index(manifest))
    except IndexFormatError:
        logger.warning("stored index is of an older format: rebuilding it from the list files",
                       extra={"source": manifest.source, "version": manifest.version})
    entities = iter_list(manifest.format, stores.lists.read_files(manifest), manifest.source)
    return NameIndex.build(manifest.source, manifest.version, entities)  # indexed one entry at a time


def _subjects(checkpoint_id: str, kind: CheckpointKind, stores: Stores, application_key: str | None = None
              ) -> tuple[list[tuple[str, str, Applicant]], list[CheckResult]]:
    """(subject id, customer id, profile) of each person to screen, and checks about subjects that
    cannot be screened. A sign-up's applicant is known by the customer id its approval creates."""
    if kind is CheckpointKind.ONBOARDING:
        application = application_of(checkpoint_id, stores, application_key)
        return [(APPLICANT, clearances.applicant_identity(checkpoint_id), application.applicant)], []
    request = stores.documents.get_json(closure_request_key(checkpoint_id), ClosureRequest)
    holder_ids = dict.fromkeys([request.customer_id, *(h for a in request.accounts for h in a.holders)])
    found, missing = [], []
    for customer_id in holder_ids:
        try:
            found.append((customer_id, customer_id, stores.customers.get(customer_id).profile))
        except NotFound:
            missing.append(customer_id)
    unknown = CheckResult(code=HOLDER_UNKNOWN, passed=not missing,
                          detail=f"no customer record for holder(s) {', '.join(missing)}" if missing else "")
    return found, [unknown]


def screen_checkpoint(checkpoint_id: str, kind: CheckpointKind, stores: Stores = AWS,
                      application_key: str | None = None) -> Step:
    """Screen everyone the checkpoint concerns, store the explained result, record the verdict (a
    sign-up's application at `application_key` when the workflow passes it)."""
    subjects, extra = _subjects(checkpoint_id, kind, stores, application_key)
    screener = current_screener(stores)
    screened = []
    for subject_id, customer_id, person in subjects:
        matches = screener.screen_person(f"{person.given_names} {person.family_name}", person.birth_date,
                                         person.nationality)
        matches = clearances.cleared(customer_id, matches, stores)
        screened.append(SubjectScreening(subject=subject_id, matches=matches, checks=tuple(classify(matches))))
    now = iso(utc_now())
    result = ScreeningResult(engine=screener.engine, screened_at=now, list_versions=screener.list_versions,
                             subjects=tuple(screened), checks=combine_checks(screened, extra))
    key = result_key(checkpoint_id, STEP)
    stores.documents.put_json(key, result)
    verdict, reasons = judge(result.checks, decision_policy(kind.value))
    if detail := "; ".join(d for s in screened if (d := cleared_detail(s.matches))):
        reasons = (*reasons, Reason(code=SANCTIONS_MATCH_CLEARED, detail=detail))
    step = Step(name=STEP, verdict=verdict, reasons=reasons, finished_at=now, result_key=key)
    stores.checkpoints.record_step(checkpoint_id, step, list_versions=screener.list_versions)
    return step


def screen_name(caller: Caller, request: ScreeningRequest, stores: Stores = AWS) -> dict[str, Any]:
    """Ad hoc screening of one name: the ranked, explained matches and the checks they fail."""
    screener = current_screener(stores)
    return {"engine": screener.engine, "list_versions": screener.list_versions,
            **_answer(screener, request, request.limit, request.threshold)}


def screen_batch(caller: Caller, request: BatchScreeningRequest, stores: Stores = AWS) -> dict[str, Any]:
    """Ad hoc screening of many names at once, each answered exactly as `screen_name` would."""
    return batch_answer(current_screener(stores), request)


def batch_answer(screener: Screener, request: BatchScreeningRequest) -> dict[str, Any]:
    return {"engine": screener.engine, "list_versions": screener.list_versions,
            "results": [{"index": i, **_answer(screener, query, request.limit, request.threshold)}
                        for i, query in enumerate(request.queries)]}


def _answer(screener: Screener, query: ScreeningQuery, limit: int, threshold: float | None) -> dict[str, Any]:
    matches = screener.screen(query.name, query.birth_date, query.nationality, query.type, limit=limit,
                              threshold=threshold)
    return {"matches": matches, "checks": [c.model_dump(exclude_none=True) for c in classify(matches)]}
