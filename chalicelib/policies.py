"""Load the policy files in `policies/` (shipped inside the Lambda package via vendor/)."""
from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, TypeVar

from pydantic import BaseModel, ValidationError

from chalicelib.settings import POLICIES_DIR

if TYPE_CHECKING:  # the models load with the policy that needs them (a task imports only its own)
    from chalicelib.domain.actors import AccessPolicy
    from chalicelib.domain.case_work import ReviewPolicy
    from chalicelib.domain.closure_policy import ClosurePolicy
    from chalicelib.domain.decisions import DecisionPolicy, OnboardingPolicy
    from chalicelib.domain.export_package import ExportPolicy
    from chalicelib.domain.screening.list_update import ListSourcesPolicy
    from chalicelib.domain.screening.policy import ScreeningPolicy
    from chalicelib.domain.exit_risk import ExitRiskPolicy
    from chalicelib.domain.fraud import FraudPolicy
    from chalicelib.domain.risk_rating import CountryRiskLists, RiskRatingPolicy
    from chalicelib.domain.logging_policy import LoggingPolicy
    from chalicelib.domain.monitoring import MonitoringPolicy
    from chalicelib.domain.retention import RuleSet
    from chalicelib.domain.webhooks import WebhookPolicy


M = TypeVar("M", bound=BaseModel)


class PolicyError(ValueError):
    """A policy file is missing, unreadable or invalid; the message names the file and field."""


def load_policy(path: Path, model: type[M]) -> M:
    import yaml  # on the first policy read, not at every cold start

    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise PolicyError(f"{path.name}: cannot be read: {exc}") from exc
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        problems = "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors())
        raise PolicyError(f"{path.name}: {problems}") from exc


@cache
def onboarding_policy() -> OnboardingPolicy:
    from chalicelib.domain.decisions import OnboardingPolicy

    return load_policy(POLICIES_DIR / "onboarding.yaml", OnboardingPolicy)


@cache
def offboarding_policy() -> DecisionPolicy:
    from chalicelib.domain.decisions import DecisionPolicy

    return load_policy(POLICIES_DIR / "offboarding.yaml", DecisionPolicy)


@cache
def closure_policy() -> ClosurePolicy:
    from chalicelib.domain.closure_policy import ClosurePolicy

    return load_policy(POLICIES_DIR / "closure.yaml", ClosurePolicy)


@cache
def exit_risk_policy() -> ExitRiskPolicy:
    from chalicelib.domain.exit_risk import ExitRiskPolicy

    return load_policy(POLICIES_DIR / "exit_risk.yaml", ExitRiskPolicy)


@cache
def retention_rules() -> RuleSet:
    """The retention rules; an invalid rule raises RetentionRuleError naming the file and line."""
    from chalicelib.domain.retention import load_rules

    path = POLICIES_DIR / "retention.yaml"
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise PolicyError(f"{path.name}: cannot be read: {exc}") from exc
    return load_rules(text, path.name)


@cache
def screening_policy() -> ScreeningPolicy:
    from chalicelib.domain.screening.policy import ScreeningPolicy

    return load_policy(POLICIES_DIR / "screening.yaml", ScreeningPolicy)


@cache
def export_policy() -> ExportPolicy:
    from chalicelib.domain.export_package import ExportPolicy

    return load_policy(POLICIES_DIR / "exports.yaml", ExportPolicy)


@cache
def access_policy() -> AccessPolicy:
    from chalicelib.domain.actors import AccessPolicy

    return load_policy(POLICIES_DIR / "access.yaml", AccessPolicy)


@cache
def webhook_policy() -> WebhookPolicy:
    from chalicelib.domain.webhooks import WebhookPolicy

    return load_policy(POLICIES_DIR / "webhooks.yaml", WebhookPolicy)


@cache
def logging_policy() -> LoggingPolicy:
    from chalicelib.domain.logging_policy import LoggingPolicy

    return load_policy(POLICIES_DIR / "logging.yaml", LoggingPolicy)


@cache
def list_sources_policy() -> ListSourcesPolicy:
    from chalicelib.domain.screening.list_update import ListSourcesPolicy

    return load_policy(POLICIES_DIR / "lists.yaml", ListSourcesPolicy)


@cache
def monitoring_policy() -> MonitoringPolicy:
    from chalicelib.domain.monitoring import MonitoringPolicy

    return load_policy(POLICIES_DIR / "monitoring.yaml", MonitoringPolicy)


@cache
def review_policy() -> ReviewPolicy:
    from chalicelib.domain.case_work import ReviewPolicy

    return load_policy(POLICIES_DIR / "reviews.yaml", ReviewPolicy)


@cache
def fraud_policy() -> FraudPolicy:
    from chalicelib.domain.fraud import FraudPolicy

    return load_policy(POLICIES_DIR / "fraud.yaml", FraudPolicy)


@cache
def risk_rating_policy() -> RiskRatingPolicy:
    from chalicelib.domain.risk_rating import RiskRatingPolicy

    return load_policy(POLICIES_DIR / "risk_rating.yaml", RiskRatingPolicy)


@cache
def country_risk_lists() -> CountryRiskLists:
    from chalicelib.domain.risk_rating import CountryRiskLists

    return load_policy(POLICIES_DIR / "country_risk.yaml", CountryRiskLists)


def decision_policy(kind: str) -> DecisionPolicy:
    return onboarding_policy() if kind == "onboarding" else offboarding_policy()


def policy_versions() -> dict[str, str]:
    policies = [onboarding_policy(), offboarding_policy(), closure_policy(), exit_risk_policy(), retention_rules(),
                screening_policy(), list_sources_policy(), export_policy(), webhook_policy(), logging_policy(),
                access_policy(), monitoring_policy(), review_policy(), fraud_policy(), risk_rating_policy(),
                country_risk_lists()]
    return {p.policy: p.version for p in policies}
