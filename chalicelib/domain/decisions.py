"""Onboarding decision rules: which failed check leads to which verdict (a policy file),
and how per-task verdicts combine. Pure: no I/O."""
from __future__ import annotations

from collections.abc import Iterable, Mapping

from pydantic import Field, model_validator

from chalicelib.domain.checkpoint import Reason
from chalicelib.domain.models import CheckResult, DocumentType, Frozen, ImageSide, Verdict

# A check the customer can correct comes before a person's review (the review then sees the corrected
# application); a rejection wins over both.
_SEVERITY = {Verdict.PASS: 0, Verdict.REVIEW: 1, Verdict.ACTION: 2, Verdict.REJECT: 3}


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
    # `action` (the customer corrects it): the application field the action names, unless the
    # check names its own (a document image names its side).
    field: str | None = Field(default=None, pattern=r"^(applicant|document)(\.[a-z0-9_]+)+$")

    @model_validator(mode="after")
    def _action_names_a_field(self) -> CheckRule:
        if self.verdict is Verdict.ACTION and not self.field:
            raise ValueError("a check the customer corrects (verdict action) names the field to correct")
        return self


class CheckRules(Frozen):
    """Which failed check leads to which verdict; an unlisted one gets `default_verdict`."""

    policy: str
    version: str
    default_verdict: Verdict
    checks: Mapping[str, CheckRule]


class DecisionPolicy(CheckRules):
    """Which failed check leads to which verdict (reject = reject a sign-up / block a closure)."""

    manual_review: ManualReview

    @property
    def review_timeout_seconds(self) -> int:
        return self.manual_review.timeout_hours * 3600


class ImageRules(SourcedValue):
    """What an uploaded image must be to be looked at (chalicelib/domain/identity/images.py)."""

    min_width: int = Field(gt=0, le=10_000)  # pixels, of the longer side
    min_height: int = Field(gt=0, le=10_000)  # pixels, of the shorter side
    same_image_max_distance: int = Field(ge=0, le=16)  # perceptual-hash bits: front and back "the same image"


class DocumentImages(SourcedValue):
    """Which document images a sign-up must upload, per document type, and how long it may take."""

    await_timeout_hours: int = Field(gt=0, le=24 * 30)
    required: Mapping[DocumentType, tuple[ImageSide, ...]]
    checks: ImageRules

    @property
    def await_timeout_seconds(self) -> int:
        return self.await_timeout_hours * 3600


class Corrections(SourcedValue):
    """How a customer corrects a sign-up instead of starting again (ACTION_REQUIRED)."""

    max_corrections: int = Field(gt=0, le=10)
    timeout_hours: int = Field(gt=0, le=24 * 30)

    @property
    def timeout_seconds(self) -> int:
        return self.timeout_hours * 3600


class OnboardingPolicy(DecisionPolicy):
    minimum_age: MinimumAge
    document_validity: DocumentValidity
    document_images: DocumentImages
    corrections: Corrections


def worst(verdicts: Iterable[Verdict]) -> Verdict:
    return max(verdicts, key=_SEVERITY.__getitem__, default=Verdict.PASS)


def judge(checks: Iterable[CheckResult], policy: CheckRules) -> tuple[Verdict, tuple[Reason, ...]]:
    """The verdict for one task's checks, and a reason per failed check (worst first). A check the
    customer can correct (verdict action) names its field: the check's own, else the rule's."""
    failed = [c for c in checks if not c.passed]
    rules = {c.code: policy.checks.get(c.code) for c in failed}
    verdicts = {code: rule.verdict if rule else policy.default_verdict for code, rule in rules.items()}
    ordered = sorted(failed, key=lambda c: -_SEVERITY[verdicts[c.code]])

    def reason(check: CheckResult) -> Reason:
        rule = rules[check.code]
        field = (check.field or rule.field) if rule and rule.verdict is Verdict.ACTION else None
        return Reason(code=check.code, detail=check.detail, field=field)

    return worst(verdicts.values()), tuple(reason(c) for c in ordered)
