"""What one screening run concluded, stored in S3 next to the checkpoint. It names list
entries and pseudonymous subject ids (customer ids, "applicant"), never more personal data."""
from __future__ import annotations

from collections.abc import Sequence

from chalicelib.domain.models import CheckResult, Frozen
from chalicelib.domain.screening.engine import Match


APPLICANT = "applicant"  # the subject of a sign-up's screening (a closure's are customer ids)


class SubjectScreening(Frozen):
    subject: str  # APPLICANT or a customer id
    matches: tuple[Match, ...] = ()
    checks: tuple[CheckResult, ...] = ()


class ScreeningResult(Frozen):
    engine: str
    screened_at: str
    list_versions: dict[str, str]
    subjects: tuple[SubjectScreening, ...] = ()
    checks: tuple[CheckResult, ...] = ()  # combined: a check fails if it fails for any subject


def combine_checks(subjects: Sequence[SubjectScreening], extra: Sequence[CheckResult] = ()) -> tuple[CheckResult, ...]:
    """One result per check code across subjects; the detail says which subjects failed it."""
    combined: dict[str, list[tuple[str, CheckResult]]] = {}
    for subject in subjects:
        for check in subject.checks:
            combined.setdefault(check.code, []).append((subject.subject, check))
    results = []
    for code, entries in combined.items():
        failed = [(who, c) for who, c in entries if not c.passed]
        detail = "; ".join(f"{who}: {c.detail}" for who, c in failed) if len(subjects) > 1 else \
            "; ".join(c.detail for _, c in failed)
        results.append(CheckResult(code=code, passed=not failed, detail=detail))
    return (*results, *extra)
