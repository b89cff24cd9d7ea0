"""Customer risk rating: the sign-up's RateRisk step (after the checks, before the decision) and the
re-rating monitoring asks for when it opens an alert (`rerate`). The rating is stored on the
checkpoint (compliance sees it in the checkpoint view; a channel never does) and on the customer,
whose record keeps every earlier rating; it is kept as the customer's CDD records are.

How monitoring calls it, when it opens an alert on a customer:

    from chalicelib.services import risk
    rating = risk.rerate(customer_id, "STRUCTURING", stores, alert_id=alert.alert_id)
    if rating.level is RiskLevel.HIGH: ...   # e.g. open an enhanced-due-diligence review

`reason_code` is the alert's code (A-Z, 0-9, _); `alert_id` makes a retried call count the alert
once. The answer is the customer's new rating (factors, score, level)."""
from __future__ import annotations

import re

from chalicelib.domain.checkpoint import Reason, Step, iso, utc_now
from chalicelib.domain.customer import CustomerRecord
from chalicelib.domain.fraud import FraudAssessment
from chalicelib.domain.models import Applicant, IdentityDocument, Product, Verdict
from chalicelib.domain.ratings import RISK_HIGH, MonitoringAlert, RatingReason, RiskFactorCode, RiskRating
from chalicelib.domain.risk_rating import RatingFacts, rate
from chalicelib.domain.screening.engine import PEP_MATCH
from chalicelib.domain.screening.result import ScreeningResult
from chalicelib.errors import Conflict, TransientError
from chalicelib.policies import country_risk_lists, fraud_policy, risk_rating_policy
from chalicelib.services.onboarding import application_of
from chalicelib.stores import AWS, Stores
from chalicelib.stores.document_bucket import result_key

STEP = "risk"
_ALERT_CODE = re.compile(r"^[A-Z][A-Z0-9_]{1,63}$")
_ATTEMPTS = 3


def _facts(applicant: Applicant, document: IdentityDocument, product: Product, pep: bool,
           fraud: tuple[str, ...], informational: tuple[str, ...],
           alerts: tuple[MonitoringAlert, ...] = ()) -> RatingFacts:
    return RatingFacts(nationality=applicant.nationality, residence=applicant.address.country, product=product,
                       document_expiry=document.expiry_date, document_issued=document.issue_date, pep=pep,
                       fraud_signals=fraud, informational_signals=informational, alerts=alerts)


def _rate(facts: RatingFacts, reason: RatingReason = RatingReason.ONBOARDING, alert: str | None = None) -> RiskRating:
    now = utc_now()
    return rate(facts, now.date(), risk_rating_policy(), country_risk_lists(), iso(now), reason, alert)


def _fraud_signals(assessment: FraudAssessment | None) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """The flagged fraud signals the policy sends further (review, reject, action) and those it passes."""
    if assessment is None:
        return (), ()
    rules = fraud_policy()
    flagged = [s.code.value for s in assessment.flagged()]
    passed = {code for code in flagged if code in rules.checks and rules.checks[code].verdict is Verdict.PASS}
    return tuple(c for c in flagged if c not in passed), tuple(c for c in flagged if c in passed)


def rate_checkpoint(checkpoint_id: str, stores: Stores = AWS) -> Step:
    """The sign-up's RateRisk step: rate the applicant from the application and the checks' results;
    a rating at the policy's enhanced-due-diligence level sends the sign-up to review (RISK_HIGH)
    even when every check passed."""
    checkpoint = stores.checkpoints.get(checkpoint_id)
    application = application_of(checkpoint_id, stores, checkpoint.request_key)
    screening, fraud = checkpoint.steps.get("screening"), checkpoint.steps.get("fraud")
    pep = bool(screening and any(r.code == PEP_MATCH for r in screening.reasons))
    assessment = stores.documents.get_json(fraud.result_key, FraudAssessment) if fraud and fraud.result_key else None
    rating = _rate(_facts(application.applicant, application.document, application.product, pep,
                          *_fraud_signals(assessment)))
    key = result_key(checkpoint_id, STEP)
    stores.documents.put_json(key, rating)
    edd = risk_rating_policy().needs_enhanced_due_diligence(rating)
    reasons = (Reason(code=RISK_HIGH, detail=f"customer risk rating {rating.level.value} (score {rating.score}): "
                      + ", ".join(f.code.value for f in rating.factors if f.weight)),) if edd else ()
    step = Step(name=STEP, verdict=Verdict.REVIEW if edd else Verdict.PASS, reasons=reasons,
                finished_at=rating.rated_at, result_key=key)
    stores.checkpoints.record_step(checkpoint_id, step, risk_rating=rating)
    return step


def _carried(rating: RiskRating | None, code: RiskFactorCode) -> tuple[str, ...]:
    """The fraud signals an earlier rating counted (they were found at sign-up: a re-rating keeps them)."""
    return tuple(c for f in (rating.factors if rating else ()) if f.code is code for c in f.detail.split(", ") if c)


def _pep(customer: CustomerRecord, stores: Stores) -> bool:
    screened = stores.documents.get_json(customer.screening_result_key, ScreeningResult)
    return any(c.code == PEP_MATCH and not c.passed for c in screened.checks)


def rerate(customer_id: str, reason_code: str, stores: Stores = AWS, *, alert_id: str | None = None) -> RiskRating:
    """Rate the customer again because monitoring opened an alert (`reason_code`): the factors as
    they stand today (the country lists in force, the PEP result, the document's dates), the
    fraud signals found at sign-up, and every alert counted so far plus this one. Stored on the
    customer (the earlier rating kept in its history); returned. With `alert_id`, an alert already
    counted is not counted again (the current rating is returned). A closed relationship: Conflict.
    A customer who does not exist: NotFound."""
    if not _ALERT_CODE.match(reason_code):
        raise ValueError("reason_code must be an alert code: A-Z, 0-9 and _, 2 to 64 characters")
    for _ in range(_ATTEMPTS):
        customer = stores.customers.get(customer_id)
        if customer.status == "closed":
            raise Conflict(f"customer {customer_id} is closed; there is nothing to monitor")
        if alert_id and customer.risk_rating and any(a.alert_id == alert_id for a in customer.risk_alerts):
            return customer.risk_rating
        alert = MonitoringAlert(reason_code=reason_code, at=iso(utc_now()), alert_id=alert_id)
        previous = customer.risk_rating
        facts = _facts(customer.profile, customer.document, customer.product, _pep(customer, stores),
                       _carried(previous, RiskFactorCode.FRAUD_SIGNALS),
                       _carried(previous, RiskFactorCode.FRAUD_SIGNALS_INFORMATIONAL),
                       (*customer.risk_alerts, alert))
        rating = _rate(facts, RatingReason.MONITORING_ALERT, reason_code)
        try:
            stores.customers.rate(customer_id, rating, previous, alert)
            return rating
        except Conflict:
            continue  # rated at the same moment by another alert: rate again from what it stored
    raise TransientError(f"customer {customer_id} kept being re-rated concurrently")
