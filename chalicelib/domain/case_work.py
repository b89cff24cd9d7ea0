"""Case work on a review, pure: how long a case may wait (a service level per kind of checkpoint),
how long an officer's claim holds, and the notes officers add to a case (append-only)."""
from __future__ import annotations

from datetime import datetime, timedelta

from pydantic import Field, model_validator

from chalicelib.domain.checkpoint import CheckpointKind
from chalicelib.domain.models import Frozen


class ServiceLevel(Frozen):
    hours: int = Field(gt=0, le=24 * 90)
    source: str


class ClaimRule(Frozen):
    hours: int = Field(gt=0, le=24 * 7)
    source: str


class ImageLinks(Frozen):
    seconds: int = Field(gt=0, le=3600)
    source: str


class NoteRule(Frozen):
    max_length: int = Field(gt=0, le=10000)
    max_per_case: int = Field(gt=0, le=1000)
    source: str


class ReviewPolicy(Frozen):
    policy: str
    version: str
    service_levels: dict[CheckpointKind, ServiceLevel]
    claim: ClaimRule
    image_links: ImageLinks
    notes: NoteRule

    @model_validator(mode="after")
    def _every_kind(self) -> ReviewPolicy:
        missing = sorted(set(CheckpointKind) - set(self.service_levels))
        if missing:
            raise ValueError(f"service_levels: no service level for {', '.join(missing)}")
        return self


def parse_time(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def due_at(kind: CheckpointKind, in_review_since: str, policy: ReviewPolicy) -> datetime:
    """When the case should be decided: its service level counted from when it entered review (a
    level-2 review from its escalation), in calendar hours."""
    return parse_time(in_review_since) + timedelta(hours=policy.service_levels[kind].hours)


def claim_holds(assigned_at: str | None, now: datetime, policy: ReviewPolicy) -> bool:
    """A claim holds for the policy's hours; after that anyone may claim or decide the case."""
    return assigned_at is not None and now < parse_time(assigned_at) + timedelta(hours=policy.claim.hours)


def claim_lapses_before(now: datetime, policy: ReviewPolicy) -> datetime:
    """A claim made before this instant no longer holds."""
    return now - timedelta(hours=policy.claim.hours)


class CaseNote(Frozen):
    """A note an officer added to a case: numbered from 1, never changed or removed."""

    checkpoint_id: str
    sequence: int = Field(ge=1)
    author: str
    at: str
    text: str
