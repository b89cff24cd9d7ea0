"""What is submitted to close a relationship: accounts (with the figures the final settlement is
made of), recent transactions, linked services, who asks and why, and how the customer wants to
leave. Amounts are Decimals (never floats); timestamps are timezone-aware UTC."""
from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum

from pydantic import Field

from chalicelib.domain.models import Frozen


class RequestedBy(StrEnum):
    CUSTOMER = "customer"
    BANK = "bank"


class Direction(StrEnum):
    DEBIT = "debit"  # money leaving the customer's account
    CREDIT = "credit"  # money coming in


class PaymentMethod(StrEnum):
    """How a booked payment was made, when the core banking system says (ISO 20022 bank
    transaction codes: PMNT/RDDT direct debit, PMNT/ICDT/STDO standing order, PMNT/CCRD card)."""

    CARD = "card"
    DIRECT_DEBIT = "direct_debit"
    STANDING_ORDER = "standing_order"
    TRANSFER = "transfer"


class LinkedServiceType(StrEnum):
    SALARY = "salary"
    PENSION = "pension"
    BENEFITS = "benefits"
    DIRECT_DEBIT = "direct_debit"
    STANDING_ORDER = "standing_order"
    CARD = "card"
    SUBSCRIPTION = "subscription"


class AccountType(StrEnum):
    CURRENT = "current"  # a payment account (PSD2 framework contract)
    BASIC = "basic"  # a payment account with basic features (Payment Accounts Directive Art. 16-19)
    SAVINGS = "savings"


class PaymentJurisdiction(StrEnum):
    """Whose payment-account rules govern an account's contract."""

    EU = "EU"
    UK = "UK"


class SoftExit(StrEnum):
    NONE = "none"
    BASIC_ACCOUNT = "basic_account"  # products closed, a basic account kept (closure ends DOWNGRADED)
    STATEMENTS_ACCESS = "statements_access"  # closed, past statements readable for the policy's period


class ClosureStage(StrEnum):
    """A step of the closure workflow that only changes the closure's state (ClosureStage task)."""

    BLOCK_PAYMENTS = "block_payments"
    NOTICE_BEGINS = "notice_begins"
    NOTICE_ENDS = "notice_ends"
    WIN_BACK_LAPSED = "win_back_lapsed"


class Counterparty(Frozen):
    name: str
    iban: str | None = None


class Transaction(Frozen):
    transaction_id: str
    booked_at: datetime
    amount: Decimal  # positive; the direction says which way it went
    currency: str  # ISO 4217
    direction: Direction
    counterparty: Counterparty
    method: PaymentMethod | None = None


class Account(Frozen):
    account_id: str
    balance: Decimal  # negative = the customer owes the bank (debit balance)
    currency: str
    holders: tuple[str, ...]  # customer ids
    type: AccountType = AccountType.CURRENT
    accrued_interest: Decimal = Decimal("0")  # credit interest not yet paid (negative: debit interest owed)
    fees_due: Decimal = Decimal("0")  # fees charged at or up to closure
    opened_on: date | None = None  # the contract's date: which notice rule applies (UK, 28 April 2026)
    jurisdiction: str | None = None  # EU | UK: whose payment-account rules govern the contract
    cards: tuple[str, ...] = ()  # the card ids issued on the account (never card numbers)


class LinkedService(Frozen):
    type: LinkedServiceType
    counterparty: str
    reference: str


class ExportRequest(Frozen):
    requested: bool = False
    formats: tuple[str, ...] = ()


class Representative(Frozen):
    """Who acts for the estate of a deceased customer (from the authority document)."""

    name: str
    capacity: str  # executor | administrator | heir | other


class Succession(Frozen):
    date_of_death: date
    representative: Representative


class ClosureRequest(Frozen):
    """The closure as submitted (stored in S3 with the customer's records)."""

    customer_id: str
    reason: str  # a dotted code of policies/closure.yaml (an alias as submitted is stored canonical)
    reason_detail: str | None = None  # free-text feedback; deleted under the closure_record rule
    requested_by: RequestedBy
    requested_at: datetime
    accounts: tuple[Account, ...]
    holder_consents: tuple[str, ...] = ()  # customer ids of joint holders who agreed to the closure
    linked_services: tuple[LinkedService, ...] = ()
    export: ExportRequest = Field(default_factory=ExportRequest)  # built when first used, not on import
    transactions_key: str  # S3 key of the transactions (JSON lines), stored with the customer's records
    payout_iban: str | None = None  # where a positive final settlement is paid (checked with python-stdnum)
    soft_exit: SoftExit = SoftExit.NONE
    immediate_ground: str | None = None  # bank-initiated: a ground the policy lists for closing without notice
    suspicion_reported: bool = False  # bank-initiated: a suspicion report exists (tipping-off rules apply)
    succession: Succession | None = None
