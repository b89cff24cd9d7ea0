"""A customer's risk rating as a checkpoint and the customer's record hold it, and the API shows
it: its level, score and factors (chalicelib.domain.risk_rating works it out from the policy). A
module of its own, so that what holds or shows a rating does not bring in the risk-rating
policy's models."""
from __future__ import annotations

from collections.abc import Mapping
from enum import StrEnum

from pydantic import Field

from chalicelib.domain.models import Frozen


class RiskLevel(StrEnum):
    LOW = "low"
    MEDIUM = "medium"
    HIGH = "high"


class RiskFactorCode(StrEnum):
    COUNTRY_FATF_CALL_FOR_ACTION = "COUNTRY_FATF_CALL_FOR_ACTION"
    COUNTRY_EU_HIGH_RISK_THIRD_COUNTRY = "COUNTRY_EU_HIGH_RISK_THIRD_COUNTRY"
    COUNTRY_FATF_INCREASED_MONITORING = "COUNTRY_FATF_INCREASED_MONITORING"
    PEP = "PEP"
    FRAUD_SIGNALS = "FRAUD_SIGNALS"
    FRAUD_SIGNALS_INFORMATIONAL = "FRAUD_SIGNALS_INFORMATIONAL"
    PRODUCT = "PRODUCT"
    CHANNEL_NON_FACE_TO_FACE = "CHANNEL_NON_FACE_TO_FACE"
    DOCUMENT_RECENTLY_ISSUED = "DOCUMENT_RECENTLY_ISSUED"
    DOCUMENT_NEAR_EXPIRY = "DOCUMENT_NEAR_EXPIRY"
    MONITORING_ALERT = "MONITORING_ALERT"


RISK_HIGH = "RISK_HIGH"  # the reason a sign-up rated high goes to enhanced due diligence


class RatingReason(StrEnum):
    ONBOARDING = "onboarding"
    MONITORING_ALERT = "monitoring_alert"


class RiskFactor(Frozen):
    code: RiskFactorCode
    weight: int
    source: str
    detail: str = ""  # what it looked at (nationality, residence, a product, an alert code): no personal values


class RiskRating(Frozen):
    level: RiskLevel
    score: int
    factors: tuple[RiskFactor, ...]
    rated_at: str
    reason: RatingReason
    policy_version: str
    lists: Mapping[str, str] = Field(default_factory=dict)  # country list -> its publication date
    alert: str | None = None  # the monitoring alert's reason code (reason monitoring_alert)


class MonitoringAlert(Frozen):
    """An alert monitoring opened on the customer, as the rating counts it."""

    reason_code: str
    at: str
    alert_id: str | None = None
