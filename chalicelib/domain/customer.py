"""The customer record an approved sign-up creates: the profile, the document relied on,
and the verification and screening results, as closure, retention and exports need them."""
from __future__ import annotations

import hashlib
import uuid

from pydantic import AliasChoices, Field

from chalicelib.domain.models import Applicant, Frozen, IdentityDocument, Product, VerificationResult
from chalicelib.domain.risk_rating import MonitoringAlert, RiskRating

_CUSTOMER_NAMESPACE = uuid.UUID("6f1c2d3e-8a4b-4c5d-9e6f-0a1b2c3d4e5f")


def customer_id_for(checkpoint_id: str) -> str:
    """Deterministic, so approving the same checkpoint twice creates one customer."""
    return f"cus_{uuid.uuid5(_CUSTOMER_NAMESPACE, checkpoint_id).hex}"


def partition_of(customer_id: str, partitions: int) -> int:
    """The customer's partition of the monitoring reverse index: stable for the id, spread evenly."""
    return int.from_bytes(hashlib.sha256(customer_id.encode()).digest()[:8], "big") % partitions


class BasicAccount(Frozen):
    """The basic account a customer kept instead of closing (a soft exit)."""

    account_id: str
    since: str
    checkpoint_id: str


class CustomerRecord(Frozen):
    customer_id: str
    status: str = "active"  # active | frozen (monitoring: funds are never paid out) | closed
    created_at: str
    onboarding_checkpoint_id: str
    # The authenticated channel that on-boarded the customer: it alone (and compliance) may act for
    # them. Records written before this field was named `owner` call it `channel_name`.
    owner: str = Field(validation_alias=AliasChoices("owner", "channel_name"))
    profile: Applicant
    document: IdentityDocument
    verification: VerificationResult
    screening_result_key: str
    list_versions: dict[str, str]
    policy_version: str
    closed_at: str | None = None
    offboarding_checkpoint_id: str | None = None
    statements_until: str | None = None  # after closure, the channel may fetch statements until then
    payments_blocked_at: str | None = None  # a succession stopped every payment from then
    payments_blocked_by: str | None = None  # the closure that did
    basic_account: BasicAccount | None = None  # a soft exit kept this account
    # The customer's partition of the monitoring reverse index (the customers table's sparse
    # by-monitoring-partition index): set at approval, removed at closure (a closed customer is
    # not monitored).
    monitoring_partition: int | None = None
    frozen_at: str | None = None  # a monitoring alert confirmed a sanctions match then
    frozen_by: str | None = None  # that alert's id
    expires_at: int | None = None  # DynamoDB TTL (epoch seconds), only when the record is to be deleted
    product: Product = Product.CURRENT_ACCOUNT
    risk_rating: RiskRating | None = None  # the current rating (sign-up, then each re-rating)
    risk_rating_history: tuple[RiskRating, ...] = ()  # the ratings it replaced, oldest first
    risk_alerts: tuple[MonitoringAlert, ...] = ()  # monitoring alerts the ratings count
