"""What one screening run concluded, stored in S3 next to the checkpoint (it names list
entries, never more of the applicant than the checkpoint already references)."""
from __future__ import annotations

from chalicelib.domain.models import CheckResult, Frozen
from chalicelib.domain.screening.exact_matcher import ScreeningMatch


class ScreeningResult(Frozen):
    engine: str
    screened_at: str
    list_versions: dict[str, str]
    matches: tuple[ScreeningMatch, ...] = ()
    checks: tuple[CheckResult, ...] = ()
