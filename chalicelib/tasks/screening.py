"""Workflow task: screen the applicant against the sanctions lists in force (state ScreenApplicant).

The lists' manifests are read on every run (one small S3 read each), the parsed index is
kept per process for as long as the versions stay the same."""
from __future__ import annotations

from typing import Any

from chalicelib.aws import checkpoints, documents, lists
from chalicelib.domain.checkpoint import Step, iso, utc_now
from chalicelib.domain.decisions import judge
from chalicelib.domain.models import Application
from chalicelib.domain.screening.exact_matcher import ListIndex, classify, screen_person
from chalicelib.domain.screening.formats import parse_list
from chalicelib.domain.screening.result import ScreeningResult
from chalicelib.policies import onboarding_policy

STEP = "screening"
ENGINE = "exact-name-v0"
SOURCES = ("ofac-sdn",)

_index_cache: dict[tuple[tuple[str, str], ...], ListIndex] = {}


def current_index() -> tuple[dict[str, str], ListIndex]:
    manifests = [lists.current(source) for source in SOURCES]
    versions = tuple((m.source, m.version) for m in manifests)
    if versions not in _index_cache:
        entities = [entity for m in manifests for entity in parse_list(m.format, lists.read_files(m), m.source)]
        _index_cache.clear()
        _index_cache[versions] = ListIndex.build(entities)
    return dict(versions), _index_cache[versions]


def run(checkpoint_id: str, event: dict[str, Any]) -> dict[str, Any]:
    applicant = documents.get_json(documents.application_key(checkpoint_id), Application).applicant
    versions, index = current_index()
    matches = screen_person(index, f"{applicant.given_names} {applicant.family_name}", applicant.birth_date)
    now = iso(utc_now())
    result = ScreeningResult(engine=ENGINE, screened_at=now, list_versions=versions, matches=tuple(matches),
                             checks=tuple(classify(matches)))
    key = documents.result_key(checkpoint_id, STEP)
    documents.put_json(key, result)
    verdict, reasons = judge(result.checks, onboarding_policy())
    checkpoints.record_step(checkpoint_id, Step(name=STEP, verdict=verdict, reasons=reasons, finished_at=now,
                                                result_key=key), list_versions=versions)
    return {"verdict": verdict.value, "codes": [r.code for r in reasons]}
