"""What one exit-risk check reports (chalicelib.domain.exit_risk makes them). A module of its own,
so that what shows a finding (a closure's view, its case file) does not bring in the exit-risk
policy's models."""
from __future__ import annotations

from pydantic import Field

from chalicelib.domain.models import Frozen

EvidenceValue = str | int | list[str] | dict[str, str]


class Finding(Frozen):
    """One check's outcome: a stable code, whether it is a red flag, and evidence free of PII."""

    code: str
    flagged: bool
    detail: str
    evidence: dict[str, EvidenceValue] = Field(default_factory=dict)
