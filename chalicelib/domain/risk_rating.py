"""Customer risk rating: which risk factors apply to a customer, their weights and sources, and
the level they add up to. Pure: the policy (policies/risk_rating.yaml), the country lists
(policies/country_risk.yaml) and the facts about the customer come in; a rating comes out.

The score is the sum of the weights of the factors that apply; the level is low, medium or high by
the policy's thresholds, raised to a factor's `minimum_level` when it has one (a customer of a
country on the FATF call-for-action list is high whatever else is true). Factors name what they
looked at ("nationality", "residence"), never the customer's values."""
from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import date, timedelta

from iso3166 import countries
from pydantic import Field, field_validator, model_validator

from chalicelib.domain.models import Frozen, Product
from chalicelib.domain.ratings import (
    MonitoringAlert,
    RatingReason,
    RiskFactor,
    RiskFactorCode,
    RiskLevel,
    RiskRating,
)


_ORDER = {RiskLevel.LOW: 0, RiskLevel.MEDIUM: 1, RiskLevel.HIGH: 2}


# ---- policies ----

class CountryList(Frozen):
    title: str
    publisher: str
    published: date
    statement: str
    url: str
    countries: tuple[str, ...] = Field(min_length=1)

    @field_validator("countries")
    @classmethod
    def _alpha3(cls, codes: tuple[str, ...]) -> tuple[str, ...]:
        for code in codes:
            if len(code) != 3 or countries.get(code, None) is None:
                raise ValueError(f"{code} is not an ISO 3166-1 alpha-3 code")
        return codes


class CountryRiskLists(Frozen):
    policy: str
    version: str
    lists: Mapping[str, CountryList]

    @model_validator(mode="after")
    def _the_lists_the_rating_reads(self) -> CountryRiskLists:
        missing = set(COUNTRY_FACTORS) - set(self.lists)
        if missing:
            raise ValueError(f"missing lists: {', '.join(sorted(missing))}")
        return self


# country list -> the factor it raises
COUNTRY_FACTORS = {
    "fatf_call_for_action": RiskFactorCode.COUNTRY_FATF_CALL_FOR_ACTION,
    "eu_high_risk_third_countries": RiskFactorCode.COUNTRY_EU_HIGH_RISK_THIRD_COUNTRY,
    "fatf_increased_monitoring": RiskFactorCode.COUNTRY_FATF_INCREASED_MONITORING,
}


class FactorRule(Frozen):
    weight: int = Field(ge=0, le=100)
    minimum_level: RiskLevel | None = None
    days: int | None = Field(default=None, gt=0, le=3650)
    source: str


class Levels(Frozen):
    medium: int = Field(gt=0)
    high: int = Field(gt=0)
    source: str

    @model_validator(mode="after")
    def _ordered(self) -> Levels:
        if self.high <= self.medium:
            raise ValueError("high must be above medium")
        return self


class EnhancedDueDiligence(Frozen):
    level: RiskLevel
    source: str


class ProductWeights(Frozen):
    weights: Mapping[Product, int]
    source: str

    @model_validator(mode="after")
    def _every_product(self) -> ProductWeights:
        if missing := set(Product) - set(self.weights):
            raise ValueError(f"no weight for: {', '.join(sorted(missing))}")
        return self


class RiskRatingPolicy(Frozen):
    policy: str
    version: str
    levels: Levels
    enhanced_due_diligence: EnhancedDueDiligence
    factors: Mapping[RiskFactorCode, FactorRule]
    products: ProductWeights

    @model_validator(mode="after")
    def _every_factor(self) -> RiskRatingPolicy:
        if missing := set(RiskFactorCode) - {RiskFactorCode.PRODUCT} - set(self.factors):
            raise ValueError(f"no rule for factors: {', '.join(sorted(missing))}")
        for code in (RiskFactorCode.DOCUMENT_RECENTLY_ISSUED, RiskFactorCode.DOCUMENT_NEAR_EXPIRY):
            if self.factors[code].days is None:
                raise ValueError(f"{code} needs days")
        return self

    def level_of(self, score: int) -> RiskLevel:
        if score >= self.levels.high:
            return RiskLevel.HIGH
        return RiskLevel.MEDIUM if score >= self.levels.medium else RiskLevel.LOW

    def needs_enhanced_due_diligence(self, rating: RiskRating) -> bool:
        return _ORDER[rating.level] >= _ORDER[self.enhanced_due_diligence.level]


# ---- the rating ----

class RatingFacts(Frozen):
    """What the rating looks at: no names, only the attributes the factors read."""

    nationality: str  # ISO 3166-1 alpha-3
    residence: str  # the address's country, alpha-3
    product: Product
    document_expiry: date
    document_issued: date | None = None
    pep: bool = False
    fraud_signals: tuple[str, ...] = ()  # flagged signals the fraud policy does not pass
    informational_signals: tuple[str, ...] = ()  # flagged signals it passes
    face_to_face: bool = False
    alerts: tuple[MonitoringAlert, ...] = ()


def rate(facts: RatingFacts, today: date, policy: RiskRatingPolicy, lists: CountryRiskLists, rated_at: str,
         reason: RatingReason = RatingReason.ONBOARDING, alert: str | None = None) -> RiskRating:
    factors: list[tuple[RiskFactor, RiskLevel | None]] = []

    def add(code: RiskFactorCode, detail: str, weight: int | None = None) -> None:
        rule = policy.factors[code]
        factors.append((RiskFactor(code=code, weight=rule.weight if weight is None else weight, source=rule.source,
                                   detail=detail), rule.minimum_level))

    for name, code in COUNTRY_FACTORS.items():
        listed = set(lists.lists[name].countries)
        where = [what for what, country in (("nationality", facts.nationality), ("residence", facts.residence))
                 if country.upper() in listed]
        if where:
            add(code, f"{' and '.join(where)} on {lists.lists[name].title} ({lists.lists[name].published})")
    if facts.pep:
        add(RiskFactorCode.PEP, "a politically exposed person (screening: PEP_MATCH)")
    if facts.fraud_signals:
        add(RiskFactorCode.FRAUD_SIGNALS, ", ".join(sorted(set(facts.fraud_signals))))
    if facts.informational_signals:
        add(RiskFactorCode.FRAUD_SIGNALS_INFORMATIONAL, ", ".join(sorted(set(facts.informational_signals))))
    factors.append((RiskFactor(code=RiskFactorCode.PRODUCT, weight=policy.products.weights[facts.product],
                               source=policy.products.source, detail=facts.product.value), None))
    if not facts.face_to_face:
        add(RiskFactorCode.CHANNEL_NON_FACE_TO_FACE, "remote sign-up through a digital channel")
    recent = policy.factors[RiskFactorCode.DOCUMENT_RECENTLY_ISSUED].days or 0
    if facts.document_issued is not None and facts.document_issued > today - timedelta(days=recent):
        add(RiskFactorCode.DOCUMENT_RECENTLY_ISSUED, f"document issued less than {recent} days ago")
    near = policy.factors[RiskFactorCode.DOCUMENT_NEAR_EXPIRY].days or 0
    if facts.document_expiry < today + timedelta(days=near):
        add(RiskFactorCode.DOCUMENT_NEAR_EXPIRY, f"document expires within {near} days")
    for open_alert in facts.alerts:
        add(RiskFactorCode.MONITORING_ALERT, f"monitoring alert {open_alert.reason_code}")
    applied = [f for f, _ in factors if f.weight > 0 or f.code is not RiskFactorCode.PRODUCT]
    score = sum(f.weight for f in applied)
    level = max([policy.level_of(score), *(m for _, m in factors if m is not None)], key=_ORDER.__getitem__)
    return RiskRating(level=level, score=score, factors=tuple(applied), rated_at=rated_at, reason=reason,
                      policy_version=f"{policy.version}; {lists.version}", alert=alert,
                      lists={name: lists.lists[name].published.isoformat() for name in COUNTRY_FACTORS})


def factors_of(rating: RiskRating | None, codes: Iterable[RiskFactorCode]) -> tuple[RiskFactor, ...]:
    wanted = set(codes)
    return tuple(f for f in (rating.factors if rating else ()) if f.code in wanted)
