"""The customer risk rating (chalicelib/domain/risk_rating.py, policies/risk_rating.yaml and
country_risk.yaml): each factor and level at, below and above its threshold; the re-rating
monitoring asks for (services/risk.py) on in-memory stores."""
from __future__ import annotations

from datetime import date, timedelta

import pytest

from chalicelib.domain.models import Product
from chalicelib.domain.risk_rating import RatingFacts, RatingReason, RiskFactorCode, RiskLevel, rate
from chalicelib.errors import Conflict
from chalicelib.policies import country_risk_lists, risk_rating_policy
from chalicelib.services import risk
from tests.records import customer_record
from tests.unit.fakes import fake_stores

TODAY = date(2026, 12, 1)


def facts(**changes) -> RatingFacts:
    return RatingFacts(nationality="SWE", residence="SWE", product=Product.CURRENT_ACCOUNT,
                       document_expiry=TODAY + timedelta(days=2000)).model_copy(update=changes)


def rated(**changes):
    return rate(facts(**changes), TODAY, risk_rating_policy(), country_risk_lists(), "2026-12-01T00:00:00.000Z")


def codes(rating) -> set[str]:
    return {f.code.value for f in rating.factors}


def test_an_ordinary_remote_sign_up_is_low_with_its_factors_and_sources():
    rating = rated()
    assert rating.level is RiskLevel.LOW and codes(rating) == {"PRODUCT", "CHANNEL_NON_FACE_TO_FACE"}
    assert rating.score == sum(f.weight for f in rating.factors) == 20
    assert all(f.source for f in rating.factors)
    assert set(rating.lists) == {"fatf_call_for_action", "eu_high_risk_third_countries", "fatf_increased_monitoring"}


@pytest.mark.parametrize(("score", "level"), [(29, "low"), (30, "medium"), (31, "medium"), (59, "medium"),
                                              (60, "high"), (61, "high")])
def test_levels_at_below_and_above_their_thresholds(score, level):
    policy = risk_rating_policy()
    assert (policy.levels.medium, policy.levels.high) == (30, 60)
    assert policy.level_of(score).value == level


@pytest.mark.parametrize(("nationality", "residence", "code", "level"), [
    ("PRK", "SWE", "COUNTRY_FATF_CALL_FOR_ACTION", "high"),
    ("SWE", "IRN", "COUNTRY_FATF_CALL_FOR_ACTION", "high"),
])
def test_a_call_for_action_country_makes_the_customer_high_whatever_else(nationality, residence, code, level):
    rating = rated(nationality=nationality, residence=residence, product=Product.BASIC_ACCOUNT, face_to_face=True)
    assert code in codes(rating) and rating.level.value == level
    [factor] = [f for f in rating.factors if f.code.value == code]
    assert ("nationality" if nationality != "SWE" else "residence") in factor.detail
    assert "PRK" not in factor.detail and "IRN" not in factor.detail  # what it looked at, not the value


def test_an_increased_monitoring_country_adds_its_weight_without_a_minimum():
    lists = country_risk_lists().lists
    monitored = next(c for c in lists["fatf_increased_monitoring"].countries
                     if c not in lists["eu_high_risk_third_countries"].countries)
    rating = rated(residence=monitored)
    assert "COUNTRY_FATF_INCREASED_MONITORING" in codes(rating)
    assert rating.score == 20 + risk_rating_policy().factors[RiskFactorCode.COUNTRY_FATF_INCREASED_MONITORING].weight


def test_a_pep_is_high_and_fraud_signals_raise_the_score():
    assert rated(pep=True).level is RiskLevel.HIGH
    signalled = rated(fraud_signals=("CONTACT_REUSED",))
    assert signalled.level is RiskLevel.MEDIUM and signalled.score == 50
    assert rated(informational_signals=("PHONE_COUNTRY_MISMATCH",)).score == 30


@pytest.mark.parametrize(("days_ago", "counted"), [(89, True), (90, False), (91, False)])
def test_a_recently_issued_document_at_below_and_above_the_policys_days(days_ago, counted):
    assert risk_rating_policy().factors[RiskFactorCode.DOCUMENT_RECENTLY_ISSUED].days == 90
    rating = rated(document_issued=TODAY - timedelta(days=days_ago))
    assert ("DOCUMENT_RECENTLY_ISSUED" in codes(rating)) is counted


@pytest.mark.parametrize(("days_left", "counted"), [(89, True), (90, False), (91, False)])
def test_a_document_near_expiry_at_below_and_above_the_policys_days(days_left, counted):
    rating = rated(document_expiry=TODAY + timedelta(days=days_left))
    assert ("DOCUMENT_NEAR_EXPIRY" in codes(rating)) is counted


def test_the_country_lists_name_their_publisher_and_date():
    lists = country_risk_lists().lists
    assert {"PRK", "IRN"} <= set(lists["fatf_call_for_action"].countries)
    assert all(entry.published and entry.url.startswith("https://") and entry.publisher for entry in lists.values())


def test_monitoring_re_rates_the_customer_once_per_alert(unit_settings):
    stores = fake_stores()
    customer = customer_record("cus_rerated")
    stores.customers.create_once(customer)
    stores.documents.put_json(customer.screening_result_key, _clean_screening())
    first = risk.rerate("cus_rerated", "STRUCTURING", stores, alert_id="al-1")
    assert first.reason is RatingReason.MONITORING_ALERT and first.alert == "STRUCTURING"
    assert "MONITORING_ALERT" in codes(first)
    assert risk.rerate("cus_rerated", "STRUCTURING", stores, alert_id="al-1") == first  # a retried call
    second = risk.rerate("cus_rerated", "UNUSUAL_INFLOW", stores, alert_id="al-2")
    assert second.score == first.score + risk_rating_policy().factors[RiskFactorCode.MONITORING_ALERT].weight
    stored = stores.customers.get("cus_rerated")
    assert stored.risk_rating == second and stored.risk_rating_history[-1] == first
    with pytest.raises(ValueError):
        risk.rerate("cus_rerated", "not a code", stores)
    stores.customers.close("cus_rerated", "2026-12-02T00:00:00.000Z", "cp_close", "2027-12-02T00:00:00.000Z")
    with pytest.raises(Conflict):
        risk.rerate("cus_rerated", "STRUCTURING", stores, alert_id="al-3")


def _clean_screening():
    from chalicelib.domain.screening.result import ScreeningResult

    return ScreeningResult.model_validate({"engine": "test", "screened_at": "2026-12-01T00:00:00.000Z", "list_versions": {},
                                           "checks": [], "subjects": []})
