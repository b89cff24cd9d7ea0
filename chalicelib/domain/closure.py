"""What a channel submits to close a relationship: accounts, recent transactions, linked
services. Amounts are Decimals (never floats); timestamps are timezone-aware UTC."""
from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from enum import StrEnum

from chalicelib.domain.models import Frozen


class ClosureReason(StrEnum):
    CUSTOMER_DISSATISFIED = "customer_dissatisfied"
    COMPETITOR = "competitor"
    RELOCATION = "relocation"
    LIFE_EVENT = "life_event"
    DECEASED = "deceased"
    BANK_INITIATED_RISK = "bank_initiated_risk"
    BANK_INITIATED_STRATEGY = "bank_initiated_strategy"
    OTHER = "other"


class RequestedBy(StrEnum):
    CUSTOMER = "customer"
    BANK = "bank"


class Direction(StrEnum):
    DEBIT = "debit"  # money leaving the customer's account
    CREDIT = "credit"  # money coming in


class LinkedServiceType(StrEnum):
    SALARY = "salary"
    DIRECT_DEBIT = "direct_debit"
    STANDING_ORDER = "standing_order"
    CARD = "card"
    SUBSCRIPTION = "subscription"


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


class Account(Frozen):
    account_id: str
    balance: Decimal  # negative = the customer owes the bank (debit balance)
    currency: str
    holders: tuple[str, ...]  # customer ids


class LinkedService(Frozen):
    type: LinkedServiceType
    counterparty: str
    reference: str


class ExportRequest(Frozen):
    requested: bool = False
    formats: tuple[str, ...] = ()


class ClosureRequest(Frozen):
    """The closure as submitted (stored in S3 with the customer's records)."""

    customer_id: str
    reason: ClosureReason
    reason_detail: str | None = None
    requested_by: RequestedBy
    requested_at: datetime
    accounts: tuple[Account, ...]
    holder_consents: tuple[str, ...] = ()  # customer ids of joint holders who agreed to the closure
    linked_services: tuple[LinkedService, ...] = ()
    export: ExportRequest = ExportRequest()
    transactions_key: str  # S3 key of the transactions (JSON lines), stored with the customer's records
