"""The checkpoint: one compliance decision point (a sign-up or a closure) and its life cycle.

A sign-up moves (AWAITING_DOCUMENTS -> RUNNING ->) RUNNING (-> ACTION_REQUIRED -> RUNNING, once per
correction) -> (IN_REVIEW ->) APPROVED | REJECTED;
a closure RUNNING -> (AWAITING_DOCUMENTS -> RUNNING ->) (IN_REVIEW ->) (WIN_BACK_OFFERED -> RUNNING ->
STAYED, or on) (NOTICE_PERIOD -> RUNNING ->) CLOSED | DOWNGRADED | CLOSURE_BLOCKED; a monitoring alert
RUNNING -> IN_REVIEW -> CLEARED | CONFIRMED; any goes to FAILED from any non-final status. A final status never changes again; the store enforces these
transitions with conditional writes built from `ALLOWED_FROM`, and records each one in `status_history` in the
same write (what the status-change events are published from).
"""
from __future__ import annotations

from datetime import UTC, datetime
from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field

from chalicelib import clock
from chalicelib.domain.alert import AlertOf, ReportCase
from chalicelib.domain.models import Frozen, Verdict, VerificationResult
from chalicelib.domain.ratings import RiskRating


class CheckpointKind(StrEnum):
    ONBOARDING = "onboarding"
    OFFBOARDING = "offboarding"
    MONITORING = "monitoring"  # an alert: a list entry matched an existing customer

    @property
    def outcomes(self) -> frozenset[CheckpointStatus]:
        """The final decisions a checkpoint of this kind may end with (FAILED aside)."""
        if self is CheckpointKind.ONBOARDING:
            return frozenset({CheckpointStatus.APPROVED, CheckpointStatus.REJECTED})
        if self is CheckpointKind.MONITORING:
            return frozenset({CheckpointStatus.CLEARED, CheckpointStatus.CONFIRMED})
        return frozenset({CheckpointStatus.CLOSED, CheckpointStatus.CLOSURE_BLOCKED, CheckpointStatus.STAYED,
                          CheckpointStatus.DOWNGRADED})


class CheckpointStatus(StrEnum):
    RUNNING = "RUNNING"
    AWAITING_DOCUMENTS = "AWAITING_DOCUMENTS"
    ACTION_REQUIRED = "ACTION_REQUIRED"  # a sign-up waits for the customer to correct what failed
    IN_REVIEW = "IN_REVIEW"
    WIN_BACK_OFFERED = "WIN_BACK_OFFERED"  # a closure: an offer to stay waits for the customer's answer
    NOTICE_PERIOD = "NOTICE_PERIOD"  # a bank-initiated closure waits for its notice to run out
    APPROVED = "APPROVED"
    REJECTED = "REJECTED"
    CLOSED = "CLOSED"
    CLOSURE_BLOCKED = "CLOSURE_BLOCKED"
    STAYED = "STAYED"  # the customer accepted the offer: nothing closed
    DOWNGRADED = "DOWNGRADED"  # products closed, a basic account kept (the relationship goes on)
    CLEARED = "CLEARED"  # an alert decided a false positive (the match is cleared for the customer)
    CONFIRMED = "CONFIRMED"  # an alert decided a true match (a sanctions match freezes the customer)
    FAILED = "FAILED"

    @property
    def is_final(self) -> bool:
        return self in FINAL_STATUSES


OPEN_STATUSES = frozenset({CheckpointStatus.RUNNING, CheckpointStatus.AWAITING_DOCUMENTS, CheckpointStatus.IN_REVIEW,
                           CheckpointStatus.WIN_BACK_OFFERED, CheckpointStatus.NOTICE_PERIOD,
                           CheckpointStatus.ACTION_REQUIRED})

FINAL_STATUSES = frozenset({CheckpointStatus.APPROVED, CheckpointStatus.REJECTED, CheckpointStatus.CLOSED,
                            CheckpointStatus.CLOSURE_BLOCKED, CheckpointStatus.STAYED, CheckpointStatus.DOWNGRADED,
                            CheckpointStatus.CLEARED, CheckpointStatus.CONFIRMED, CheckpointStatus.FAILED})

ALLOWED_FROM: dict[CheckpointStatus, frozenset[CheckpointStatus]] = {
    CheckpointStatus.AWAITING_DOCUMENTS: frozenset({CheckpointStatus.RUNNING}),
    CheckpointStatus.RUNNING: frozenset({CheckpointStatus.AWAITING_DOCUMENTS, CheckpointStatus.WIN_BACK_OFFERED,
                                         CheckpointStatus.NOTICE_PERIOD, CheckpointStatus.ACTION_REQUIRED}),
    CheckpointStatus.ACTION_REQUIRED: frozenset({CheckpointStatus.RUNNING}),
    CheckpointStatus.IN_REVIEW: frozenset({CheckpointStatus.RUNNING}),
    CheckpointStatus.WIN_BACK_OFFERED: frozenset({CheckpointStatus.RUNNING}),
    CheckpointStatus.NOTICE_PERIOD: frozenset({CheckpointStatus.RUNNING}),
    **{final: OPEN_STATUSES for final in FINAL_STATUSES},
    CheckpointStatus.STAYED: frozenset({CheckpointStatus.RUNNING}),  # after the accepted offer, nothing else
}


def utc_now() -> datetime:
    """The product's now (chalicelib/clock.py: the system clock, or the local stage's moved one)."""
    return clock.now()


def iso(ts: datetime) -> str:
    """UTC ISO-8601 with millisecond precision and a Z suffix."""
    return ts.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


class Reason(Frozen):
    code: str
    detail: str = ""
    field: str | None = None  # for a check the customer can correct: the field (or image) to correct


class Decision(Frozen):
    outcome: CheckpointStatus
    reasons: tuple[Reason, ...] = ()
    decided_by: str  # "policy" or "reviewer"
    decided_at: str


class Step(Frozen):
    """What one workflow task concluded: its verdict and the codes of the checks that failed (and
    of what a reviewer cleared, e.g. SANCTIONS_MATCH_CLEARED, which fails nothing)."""

    name: str
    verdict: Verdict
    reasons: tuple[Reason, ...] = ()
    finished_at: str
    result_key: str | None = None  # S3 key of the full result (may hold personal data)
    # the identity step's checks (codes and details, no personal data): the approval copies them onto
    # the customer record without reading the result back from S3
    verification: VerificationResult | None = None


class ReviewOutcome(StrEnum):
    APPROVE = "approve"
    REJECT = "reject"
    ESCALATE = "escalate"


class ReviewDecision(Frozen):
    """A compliance officer's decision on a checkpoint in review (level 1, or 2 once escalated)."""

    outcome: ReviewOutcome
    reviewer: str
    reason: str
    decided_at: str
    level: int = 1


class CaseEventKind(StrEnum):
    CLAIMED = "claimed"
    RELEASED = "released"
    NOTE_ADDED = "note_added"


class CaseEvent(Frozen):
    """One step of the case work on a checkpoint in review (ids only: a note's text stays in the note)."""

    event: CaseEventKind
    by: str
    at: str
    note: int | None = None  # the note's sequence number, for note_added


class Failure(Frozen):
    error: str
    cause: str


class WinBackState(Frozen):
    """A closure's offer to stay, as made, and the customer's answer."""

    offer: str
    offered_at: str
    expires_at: str
    answer: str | None = None  # accept | decline | lapsed (no answer in time)
    answered_at: str | None = None
    answered_by: str | None = None


class Correction(Frozen):
    """One correction of a sign-up's application by the customer: which fields (or re-uploaded
    images) changed and which checks ran again. Names only, never the values."""

    at: str
    by: str
    fields: tuple[str, ...]
    rerun: tuple[str, ...]  # the steps the correction ran again (the others kept their result)


class StatusChange(Frozen):
    """One entry of a checkpoint's status history (the first is its creation)."""

    status: CheckpointStatus
    at: str


class Checkpoint(BaseModel):
    model_config = ConfigDict(defer_build=True, extra="ignore")

    checkpoint_id: str
    kind: CheckpointKind
    status: CheckpointStatus
    created_at: str
    updated_at: str
    channel_name: str
    channel_reference: str
    owner: str  # the channel (caller identity) that started it; channels see only their own
    request_key: str  # S3 key of the submitted application or closure request
    policy_version: str
    execution_arn: str | None = None
    customer_id: str | None = None
    decision: Decision | None = None
    failure: Failure | None = None
    steps: dict[str, Step] = Field(default_factory=dict)
    review_reasons: tuple[Reason, ...] = ()
    review_level: int = 0
    review_since: str | None = None
    awaiting_decision: bool = False
    review_decisions: tuple[ReviewDecision, ...] = ()
    assignee: str | None = None  # the officer who claimed the review: only they decide it until released
    assigned_at: str | None = None
    case_events: tuple[CaseEvent, ...] = ()
    list_versions: dict[str, str] = Field(default_factory=dict)
    images: tuple[str, ...] = ()  # the document image sides the sign-up said it would upload
    documents_completed_at: str | None = None
    status_history: tuple[StatusChange, ...] = ()
    events_published: int = 0  # entries of status_history whose change event has been published
    win_back: WinBackState | None = None
    alert: AlertOf | None = None  # a monitoring alert: the listed entry and the run that found it
    report_case: ReportCase | None = None  # a confirmed sanctions match: the reports owed
    actions: tuple[Reason, ...] = ()  # ACTION_REQUIRED: what the customer must correct (field, code, reason)
    corrections: tuple[Correction, ...] = ()
    risk_rating: RiskRating | None = None  # compliance's eyes only (services/access.py)

    @property
    def last_review_decision(self) -> ReviewDecision | None:
        return self.review_decisions[-1] if self.review_decisions else None

