"""The parts of a closure plan, as the customer sees it (`ClosurePlan`: its steps, notice, access
ends, settlement, linked services, data after closure) and as the closure's start fixes it
(`PlanBasis`). chalicelib.domain.closure_plan works them out from the request, the checkpoint and
the policies; these are the shapes only, so that what renders a plan (the API's views) does not
bring in the closure, exit-risk and retention policies' models."""
from __future__ import annotations

from datetime import date
from enum import StrEnum
from typing import ClassVar

from pydantic import SerializerFunctionWrapHandler, model_serializer

from chalicelib.domain.closure import LinkedServiceType, PaymentJurisdiction, RequestedBy, SoftExit
from chalicelib.domain.models import Frozen
from chalicelib.domain.retention_terms import RecordClass


class Outcome(StrEnum):
    """What happens to an account's final settlement."""

    PAY_OUT = "pay_out"  # paid to the payout account
    OWED = "owed"  # the customer owes the bank this much
    NIL = "nil"
    WITHHELD = "withheld"  # frozen funds never leave (sanctions, monitoring)
    TO_SURVIVING_HOLDERS = "to_surviving_holders"  # a joint account of a deceased customer carries on
    TO_BASIC_ACCOUNT = "to_basic_account"  # paid into the basic account kept


class StepStatus(StrEnum):
    PENDING = "pending"
    IN_PROGRESS = "in_progress"
    WAITING = "waiting"  # for someone outside the bank (documents, the customer's answer)
    DONE = "done"
    SKIPPED = "skipped"
    BLOCKED = "blocked"


class Shown(Frozen):
    """A part of the plan: a field without a value is left out, not written as null (but those in
    `_null_means`, where null says something: an access that does not end)."""

    _null_means: ClassVar[frozenset[str]] = frozenset()

    @model_serializer(mode="wrap")
    def _omit_none(self, handler: SerializerFunctionWrapHandler) -> object:
        data = handler(self)
        if not isinstance(data, dict):
            return data
        return {k: v for k, v in data.items() if v is not None or k in self._null_means}


# --- what is fixed at the start -----------------------------------------------------------------

class ReasonInfo(Shown):
    code: str
    label: str
    initiated_by: RequestedBy
    stated_reason: str | None = None  # what a bank-initiated closure's notice tells the customer
    withheld: bool = False  # not told to the customer (tipping-off)
    withheld_because: str | None = None


class NoticeTerm(Shown):
    account_id: str
    jurisdiction: PaymentJurisdiction
    account_type: str
    opened_on: date | None
    rule: str
    period: str  # "2 months", "90 days"
    ends_at: str
    reasons_required: bool
    source: str


class Notice(Shown):
    given_at: str
    ends_at: str  # the latest of the accounts' ends: when the relationship closes
    immediate_ground: str | None = None
    accounts: tuple[NoticeTerm, ...]


class SettlementLine(Shown):
    account_id: str
    currency: str
    balance: str
    accrued_interest: str
    fees_due: str
    amount: str  # balance + accrued_interest - fees_due, in the currency's minor unit
    outcome: Outcome
    payout_iban: str | None = None  # masked


class AccountBasis(Shown):
    account_id: str
    type: str
    cards: tuple[str, ...] = ()
    other_holders: tuple[str, ...] = ()


class PlannedService(Shown):
    type: LinkedServiceType
    counterparty: str
    source: str  # listed (by the channel), detected (in the history) or both
    reference: str | None = None
    cadence: str | None = None
    last_seen: date | None = None
    next_expected: date | None = None
    typical_amount: str | None = None
    currency: str | None = None
    what_to_do: str
    switching: str | None = None  # the switching service that moves it, where one applies


class WinBackOffer(Shown):
    offer: str
    description: str
    timeout_hours: int


class PlanBasis(Frozen):
    """What the closure's start fixes (stored with the closure's records, never in the workflow)."""

    policy_version: str
    requested_at: str
    requested_by: RequestedBy
    reason: ReasonInfo
    close_by: str  # the planned closing time (the notice's end, or the service standard)
    notice: Notice | None = None
    accounts: tuple[AccountBasis, ...]
    settlement: tuple[SettlementLine, ...]
    linked_services: tuple[PlannedService, ...] = ()
    services_detected: bool = False  # the history has been read (the exit-risk step)
    jurisdictions: tuple[str, ...]  # the customer's retention jurisdictions
    payment_jurisdiction: PaymentJurisdiction  # where the customer banks: which switching service applies
    soft_exit: SoftExit = SoftExit.NONE
    kept_account_id: str | None = None  # soft exit to a basic account
    succession: bool = False
    required_documents: tuple[str, ...] = ()
    win_back: WinBackOffer | None = None
    export_requested: bool = False


# --- the plan as it stands ----------------------------------------------------------------------

class PlanStep(Shown):
    name: str
    status: StepStatus
    expected_by: str | None = None
    done_at: str | None = None
    detail: str = ""


class AccessEnd(Shown):
    _null_means: ClassVar[frozenset[str]] = frozenset({"ends_at"})

    kind: str  # account | card | online_access
    id: str
    account_id: str | None = None
    ends_at: str | None = None  # None: it does not end (kept, or passed to the surviving holders)
    read_only_until: date | None = None  # online access: statements only, until then
    what: str


class DataRule(Shown):
    record_class: RecordClass
    what: str
    kept_until: date | None = None  # None while the relationship continues
    then: str
    rule: str
    source: str


class SuccessionPlan(Shown):
    documents: tuple[str, ...]
    passes_to_surviving_holders: tuple[AccountBasis, ...]
    disclosure: str


class WinBackView(Shown):
    offer: str
    description: str
    expires_at: str | None = None
    answer: str | None = None


class ClosurePlan(Shown):
    """The plan as shown; for the channel of a succession or a withheld reason, fields are left
    empty as `plan_of` explains."""

    state: str
    summary: str
    requested_by: RequestedBy
    requested_at: str
    reason: ReasonInfo | None = None
    close_by: str
    steps: tuple[PlanStep, ...]
    notice: Notice | None = None
    access_ends: tuple[AccessEnd, ...]
    final_settlement: tuple[SettlementLine, ...] | None = None
    linked_services: tuple[PlannedService, ...] | None = None
    data_after_closure: tuple[DataRule, ...]
    soft_exit: SoftExit
    kept_account_id: str | None = None
    statements_until: date | None = None
    win_back: WinBackView | None = None
    succession: SuccessionPlan | None = None
