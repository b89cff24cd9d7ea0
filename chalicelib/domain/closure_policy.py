"""The closure journey's policy (policies/closure.yaml): why customers leave (dotted reason
codes, with today's flat codes as aliases), which win-back offer a reason gets, the notice a
bank-initiated closure must give per jurisdiction, account type and contract date, the grounds
for closing without notice, the tipping-off rule, succession, soft exits, the plan's timeline,
linked-service detection and advice, and how retention is worded for the customer. Pure."""
from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from typing import Annotated

from pydantic import Field, StringConstraints, model_validator

from chalicelib.domain.closure import AccountType, LinkedServiceType, PaymentJurisdiction, RequestedBy
from chalicelib.domain.decisions import SourcedValue
from chalicelib.domain.models import Frozen
from chalicelib.domain.retention import Period, RecordClass

ReasonCode = Annotated[str, StringConstraints(pattern=r"^[a-z][a-z_]*(\.[a-z][a-z_]*){1,3}$")]
Word = Annotated[str, StringConstraints(pattern=r"^[a-z][a-z_]*$")]
Text = Annotated[str, StringConstraints(min_length=3, max_length=600)]


class ReasonSpec(Frozen):
    initiated_by: RequestedBy
    label: Text  # what the customer chose, in plain words
    aliases: tuple[Word, ...] = ()  # earlier flat codes that mean this one
    win_back: Word | None = None  # the offer this reason gets (win_back.offers)
    stated_reason: Text | None = None  # bank-initiated: the explanation the notice gives the customer
    ground: Word | None = None  # bank-initiated: the termination ground it relies on
    succession: bool = False  # the customer has died: the succession rules apply


class Offer(SourcedValue):
    description: Text


class WinBack(SourcedValue):
    timeout_hours: int = Field(gt=0, le=24 * 30)
    offers: Mapping[Word, Offer]


class NoticeRule(SourcedValue):
    """One notice rule for an account type in a jurisdiction; with `contracts_from`, it applies
    to contracts made on or after that date only."""

    id: Annotated[str, StringConstraints(pattern=r"^[a-z0-9-]+$")]
    period: Period
    contracts_from: date | None = None
    reasons_required: bool = True
    immediate_grounds: tuple[Word, ...] = ()  # grounds on which the contract may end without notice


class TippingOff(SourcedValue):
    withhold_reason_when_suspicion_reported: bool


class SuccessionRules(SourcedValue):
    required_documents: tuple[Word, ...] = Field(min_length=1)
    documents_timeout_days: int = Field(gt=0, le=365)
    disclosure: Text  # what the representative receives, and why it is not a GDPR Art. 20 export


class StatementsAccess(SourcedValue):
    period: Period


class AfterClosure(SourcedValue):
    channel_exports_days: int = Field(ge=0, le=3660)  # without statements access


class SoftExits(Frozen):
    basic_account: SourcedValue
    statements_access: StatementsAccess
    after_closure: AfterClosure


class Timeline(SourcedValue):
    checks_minutes: int = Field(gt=0, le=24 * 60)
    close_hours: int = Field(gt=0, le=24 * 31)
    settlement_business_days: int = Field(ge=0, le=30)


class Cadence(Frozen):
    days: float = Field(gt=0, le=400)
    tolerance_days: float = Field(ge=0, le=60)


class Detection(SourcedValue):
    lookback_days: int = Field(gt=0, le=3660)
    min_occurrences: int = Field(ge=2, le=24)
    max_missed: int = Field(ge=0, le=6)  # periods a series may skip (a month without the payment)
    amount_tolerance: float = Field(ge=0, le=1)  # relative to the series' median amount
    max_amount_outliers: int = Field(ge=0, le=6)
    due_grace_periods: float = Field(ge=0, le=6)  # a series not seen for longer than this many periods has ended
    cadences: Mapping[Word, Cadence]
    keywords: Mapping[LinkedServiceType, tuple[str, ...]]  # counterparty words that name a credit's kind


class Advice(Frozen):
    what_to_do: Text
    switching: bool  # moved by the account-switching service where it applies


class LinkedServices(Frozen):
    detection: Detection
    advice: Mapping[LinkedServiceType, Advice]
    switching: Mapping[PaymentJurisdiction, Text]  # the switching service, named with its law


class DataAfterClosure(SourcedValue):
    classes: Mapping[RecordClass, Text]  # each record class the customer has, in plain words


class Settlement(SourcedValue):
    minor_units: Mapping[Annotated[str, StringConstraints(pattern=r"^[A-Z]{3}$")], int]  # default: 2
    rounding: Annotated[str, StringConstraints(pattern=r"^ROUND_(HALF_EVEN|HALF_UP|DOWN)$")]


class ClosurePolicy(Frozen):
    policy: str
    version: str
    reasons: Mapping[ReasonCode, ReasonSpec]
    win_back: WinBack
    notice: Mapping[PaymentJurisdiction, Mapping[AccountType, tuple[NoticeRule, ...]]]
    tipping_off: TippingOff
    succession: SuccessionRules
    soft_exit: SoftExits
    timeline: Timeline
    settlement: Settlement
    linked_services: LinkedServices
    data_after_closure: DataAfterClosure

    @model_validator(mode="after")
    def _consistent(self) -> ClosurePolicy:
        seen: dict[str, str] = {}
        for code, spec in self.reasons.items():
            for name in (code, *spec.aliases):
                if name in seen:
                    raise ValueError(f"reasons: {name} names both {seen[name]} and {code}")
                seen[name] = code
            if spec.win_back and spec.win_back not in self.win_back.offers:
                raise ValueError(f"reasons.{code}: no win-back offer {spec.win_back}")
            if spec.initiated_by is RequestedBy.BANK and (spec.win_back or not spec.stated_reason):
                raise ValueError(f"reasons.{code}: a bank-initiated reason has a stated_reason and no win-back")
        for jurisdiction, types in self.notice.items():
            if missing := sorted(set(AccountType) - set(types)):
                raise ValueError(f"notice.{jurisdiction}: no rule for {', '.join(missing)}")
            for kind, rules in types.items():
                if not rules or rules[-1].contracts_from is not None:
                    raise ValueError(f"notice.{jurisdiction}.{kind}: the last rule must cover every contract date")
        if missing := sorted(set(LinkedServiceType) - set(self.linked_services.advice)):
            raise ValueError(f"linked_services.advice: missing {', '.join(missing)}")
        return self

    def canonical_reason(self, code: str) -> str | None:
        """The dotted code `code` names (itself or through an alias), or None."""
        if code in self.reasons:
            return code
        return next((c for c, spec in self.reasons.items() if code in spec.aliases), None)

    def reason(self, code: str) -> ReasonSpec:
        return self.reasons[self.canonical_reason(code) or code]

    def minor_units(self, currency: str) -> int:
        return self.settlement.minor_units.get(currency, 2)
