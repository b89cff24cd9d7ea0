"""Fixing a sign-up instead of starting it again: which checks a corrected field affects, and the
application as corrected. Pure.

A correction is a JSON merge patch (RFC 7396) of the application the channel sent, already
validated field by field like the original (chalicelib/api/models.py `ApplicationPatch`): a member
sets a value, `null` removes an optional one. The workflow then runs again only the steps whose
checks read a changed field, and keeps the others' results."""
from __future__ import annotations

from collections.abc import Iterable, Mapping
from enum import StrEnum
from typing import Any

from chalicelib.domain.checkpoint import Reason, Step
from chalicelib.domain.models import Application, Verdict


class CheckStep(StrEnum):
    """The branches of the sign-up's RunChecks state (stepfunctions/onboarding.asl.json)."""

    IDENTITY = "identity"
    SCREENING = "screening"
    FRAUD = "fraud"


_I, _S, _F = CheckStep.IDENTITY, CheckStep.SCREENING, CheckStep.FRAUD
# What each application field is read by (the longest matching prefix wins). The risk rating runs
# after the checks every time, so it always sees the corrected application.
READ_BY: dict[str, frozenset[CheckStep]] = {
    "applicant.given_names": frozenset({_I, _S, _F}),  # MRZ name; the name screened; the graph's identity
    "applicant.family_name": frozenset({_I, _S, _F}),
    "applicant.birth_date": frozenset({_I, _S, _F}),  # MRZ, minimum age; screening; identity
    "applicant.nationality": frozenset({_I, _S}),  # MRZ nationality; screening
    "applicant.email": frozenset({_F}),
    "applicant.phone": frozenset({_F}),
    "applicant.address.country": frozenset({_F}),  # the phone's country is compared with it
    "applicant.address": frozenset(),  # street, city, postcode: no check reads them
    "document.type": frozenset({_I}),
    "document.number": frozenset({_I, _F}),  # MRZ, national ID number; the graph's document link
    "document.issuing_country": frozenset({_I, _F}),
    "document.expiry_date": frozenset({_I}),
    "document.issue_date": frozenset({_I}),
    "document.mrz": frozenset({_I}),
    "document.images": frozenset({_I, _F}),  # the image checks; the graph's image links
}


def steps_reading(fields: Iterable[str]) -> tuple[CheckStep, ...]:
    """The check steps that read any of `fields`, in the workflow's order."""
    steps: set[CheckStep] = set()
    for name in fields:
        prefix = max((p for p in READ_BY if name == p or name.startswith(p + ".")), key=len, default=None)
        steps |= READ_BY[prefix] if prefix is not None else set(CheckStep)  # unknown: run everything
    return tuple(s for s in CheckStep if s in steps)


def rerun_flags(steps: Iterable[CheckStep]) -> dict[str, bool]:
    """The workflow's `correction.rerun` input: for each branch, whether it runs again."""
    chosen = set(steps)
    return {step.value: step in chosen for step in CheckStep}


def actions_of(steps: Iterable[Step]) -> tuple[Reason, ...]:
    """What the customer must correct: every reason of a step whose verdict is action that names a
    field (a step's other reasons are for review, which follows once nothing is left to correct)."""
    seen, actions = set(), []
    for step in steps:
        if step.verdict is not Verdict.ACTION:
            continue
        for reason in step.reasons:
            if reason.field and (reason.field, reason.code) not in seen:
                seen.add((reason.field, reason.code))
                actions.append(reason)
    return tuple(actions)


def _flatten(patch: Mapping[str, Any], prefix: str = "") -> dict[str, Any]:
    flat: dict[str, Any] = {}
    for name, value in patch.items():
        path = f"{prefix}{name}"
        if isinstance(value, Mapping):
            flat |= _flatten(value, path + ".")
        else:
            flat[path] = value
    return flat


def apply_patch(application: Application, patch: Mapping[str, Any]) -> tuple[Application, tuple[str, ...]]:
    """The application with `patch` (nested members, None removing a member) merged in, and the
    fields whose value changed (dotted paths, sorted). The patch holds validated domain values."""
    data = application.model_dump()
    changed = []
    for path, value in sorted(_flatten(patch).items()):
        *parents, leaf = path.split(".")
        node = data
        for parent in parents:
            node = node[parent]
        value = tuple(value) if isinstance(value, list) else value
        if node.get(leaf) != value:
            node[leaf] = value
            changed.append(path)
    return Application.model_validate(data), tuple(changed)
