"""Onboarding decision rules: which failed check leads to which verdict (a policy file),
and how per-task verdicts combine. Pure: no I/O."""
from __future__ import annotations

from collections.abc import Iterable, Mapping

from pydantic import Field

from chalicelib.domain.checkpoint import Reason
from chalicelib.domain.models import CheckResult, DocumentType, Frozen, ImageSide, Verdict

_SEVERITY = {Verdict.PASS: 0, Verdict.REVIEW: 1, Verdict.REJECT: 2}


class SourcedValue(Frozen):
    source: str


class MinimumAge(SourcedValue):
    years: int = Field(ge=0, le=120)


class DocumentValidity(SourcedValue):
    max_years: int = Field(gt=0, le=100)


class ManualReview(SourcedValue):
    timeout_hours: int = Field(gt=0, le=24 * 365)


class CheckRule(SourcedValue):
    verdict: Verdict


class DecisionPolicy(Frozen):
    """Which failed check leads to which verdict (reject = reject a sign-up / block a closure)."""

    policy: str
    version: str
    manual_review: ManualReview
    default_verdict: Verdict
    checks: Mapping[str, CheckRule]

    @property
    def review_timeout_seconds(self) -> int:
        return self.manual_review.timeout_hours * 3600


class DocumentImages(SourcedValue):
    """Which document images a sign-up must upload, per document type, and how long it may take."""

    await_timeout_hours: int = Field(gt=0, le=24 * 30)
    required: Mapping[DocumentType, tuple[ImageSide, ...]]

    @property
    def await_timeout_seconds(self) -> int:
        return self.await_timeout_hours * 3600


class OnboardingPolicy(DecisionPolicy):
    minimum_age: MinimumAge
    document_validity: DocumentValidity
    document_images: DocumentImages


def worst(verdicts: Iterable[Verdict]) -> Verdict:
    return max(verdicts, key=_SEVERITY.__getitem__, default=Verdict.PASS)


def judge(checks: Iterable[CheckResult], policy: DecisionPolicy) -> tuple[Verdict, tuple[Reason, ...]]:
    """The verdict for one task's checks, and a reason per failed check (worst first)."""
    failed = [c for c in checks if not c.passed]
    verdicts = {c.code: (policy.checks[c.code].verdict if c.code in policy.checks else policy.default_verdict)
                for c in failed}
    ordered = sorted(failed, key=lambda c: -_SEVERITY[verdicts[c.code]])
    return worst(verdicts.values()), tuple(Reason(code=c.code, detail=c.detail) for c in ordered)
