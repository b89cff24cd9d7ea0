"""Retention rules: the shipped policy loads and covers every class in every jurisdiction; a bad rule
is an error naming the file and line; keep-until dates for each shipped rule and jurisdiction mix
(longest mandatory wins, a maximum never shortens a minimum, the UK ten-year cap, leap days and time
zones, all UTC); TTL only for delete; and the sweep plan skips whatever is under legal hold."""
from __future__ import annotations

import math
from datetime import UTC, datetime, timedelta, timezone
from itertools import product

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

from chalicelib.domain.retention import (
    Action,
    AdditionalJurisdiction,
    ApplicableLaw,
    Cap,
    Events,
    ImmutableClasses,
    Jurisdiction,
    NoRuleError,
    Period,
    RecordClass,
    RecordRef,
    RetentionDecision,
    RetentionRule,
    RetentionRuleError,
    RetentionStatus,
    RuleSet,
    SweepKind,
    Trigger,
    applicable_jurisdictions,
    decide,
    expired,
    load_rules,
    rule_date,
    sweep_plan,
)
from chalicelib.policies import policy_versions, retention_rules
from chalicelib.settings import POLICIES_DIR

RULES = load_rules((POLICIES_DIR / "retention.yaml").read_text(encoding="utf-8"), "retention.yaml")
ALL = {"EU", "UK", "US"}

CREATED = datetime(2020, 1, 10, 9, 0, tzinfo=UTC)
TRANSACTION = datetime(2020, 6, 15, 12, 0, tzinfo=UTC)
DECIDED = datetime(2020, 2, 1, 8, 0, tzinfo=UTC)
ENDED = datetime(2026, 3, 31, 17, 0, tzinfo=UTC)
NOW = datetime(2026, 4, 1, tzinfo=UTC)
CLOSED = Events(relationship_end=ENDED, application_decided=DECIDED)
OPEN = Events(application_decided=DECIDED)


def utc(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=UTC)


def record(record_class: RecordClass | str, **kwargs: object) -> RecordRef:
    return RecordRef.model_validate({"record_id": "rec-1", "customer_id": "cus-1", "created_at": CREATED,
                                     "transaction_date": TRANSACTION, "record_class": record_class, **kwargs})


# --- loading ------------------------------------------------------------------------------

def test_shipped_rules_load_and_cover_every_class_in_every_jurisdiction():
    assert RULES.policy == "retention"
    covered = {(r.jurisdiction, r.record_class) for r in RULES.rules}
    everywhere = {c for j, c in covered if j is Jurisdiction.ALL}
    assert everywhere  # records about running the product: one rule wherever the bank is established
    local = set(product([Jurisdiction.EU, Jurisdiction.UK, Jurisdiction.US], set(RecordClass) - everywhere))
    assert covered == local | {(Jurisdiction.ALL, c) for c in everywhere}
    assert RULES.applicable_law.establishment == (Jurisdiction.EU,)
    assert all(r.source.strip() for r in RULES.rules)
    assert RULES.immutable.classes == {RecordClass.AUDIT_LOGS, RecordClass.CDD_IDENTITY,
                                       RecordClass.TRANSACTIONS, RecordClass.SCREENING_RESULTS}
    assert [r.id for r in RULES.rules if r.cap] == ["uk-transactions"]
    assert retention_rules() == RULES
    assert policy_versions()["retention"] == RULES.version


def test_shipped_rules_carry_the_required_law():
    by_id = {r.id: r for r in RULES.rules}
    assert "Art. 40(1)(a)" in by_id["eu-cdd-identity"].source
    assert "Art. 40(1)(b)" in by_id["eu-transactions"].source
    assert "Art. 5(1)(e)" in by_id["eu-marketing-consent-at-end"].source
    assert "Art. 17" in by_id["eu-device-data"].source
    assert "reg. 40" in by_id["uk-cdd-identity"].source and "reg. 40(4)" in by_id["uk-transactions"].cap.source
    assert "1020.220(a)(3)(i)(A)" in by_id["us-cip-identifying-information"].source
    assert "1020.220(a)(3)(i)(B)" in by_id["us-cip-verification-records"].source
    assert "1010.430(d)" in by_id["us-transactions"].source
    assert by_id["eu-marketing-consent-at-end"].period == Period(days=0)
    assert not by_id["eu-marketing-consent-at-end"].mandatory and by_id["eu-cdd-identity"].mandatory


HEADER = """\
policy: retention
version: "test"
applicable_law: {establishment: [EU], source: test}
immutable:
  classes: [audit_logs]
  source: test
rules:
"""
HEADER_LINES = HEADER.count("\n")


def rule_yaml(rule_id: str, *, record_class: str = "cdd_identity", trigger: str = "relationship_end",
              period: str = "{years: 5}", jurisdiction: str = "EU") -> str:
    return (f"  - id: {rule_id}\n    jurisdiction: {jurisdiction}\n    record_class: {record_class}\n"
            f"    period: {period}\n    trigger: {trigger}\n    action: delete\n    mandatory: true\n"
            f"    source: test source\n")


RULE_LINES = rule_yaml("x").count("\n")
SECOND_RULE_LINE = HEADER_LINES + RULE_LINES + 1


def test_a_valid_snippet_loads():
    rules = load_rules(HEADER + rule_yaml("a") + rule_yaml("b", trigger="record_created"), "x.yaml")
    assert [r.id for r in rules.rules] == ["a", "b"]


@pytest.mark.parametrize(("second", "expected"), [
    (rule_yaml("b", record_class="kyc_documents"), "record_class"),
    (rule_yaml("b", trigger="account_opened"), "trigger"),
    (rule_yaml("b", period="{years: -5}"), "period.years"),
    (rule_yaml("b", period="{days: -1}"), "period.days"),
    (rule_yaml("b", period="{}"), "period"),
    (rule_yaml("b", jurisdiction="FR"), "jurisdiction"),
    (rule_yaml("b").replace("action: delete", "action: shred"), "action"),
    (rule_yaml("b").replace("    source: test source\n", "    source: ' '\n"), "legal source"),
    (rule_yaml("b") + "    keep_forever: true\n", "keep_forever"),
])
def test_an_invalid_rule_names_the_file_and_its_line(second: str, expected: str):
    with pytest.raises(RetentionRuleError) as raised:
        load_rules(HEADER + rule_yaml("a") + second, "retention-eu.yaml")
    message = str(raised.value)
    assert message.startswith(f"retention-eu.yaml line {SECOND_RULE_LINE}: rule 'b': ")
    assert expected in message


def test_unknown_class_and_trigger_show_the_value_given():
    with pytest.raises(RetentionRuleError, match="kyc_documents"):
        load_rules(HEADER + rule_yaml("a", record_class="kyc_documents"), "x.yaml")
    with pytest.raises(RetentionRuleError, match=f"x.yaml line {HEADER_LINES + 1}: .*account_opened"):
        load_rules(HEADER + rule_yaml("a", trigger="account_opened"), "x.yaml")


def test_a_duplicate_rule_names_both_lines():
    text = HEADER + rule_yaml("a") + rule_yaml("b", trigger="record_created") + rule_yaml("c")
    third = HEADER_LINES + 2 * RULE_LINES + 1
    with pytest.raises(RetentionRuleError) as raised:
        load_rules(text, "x.yaml")
    assert str(raised.value) == (f"x.yaml line {third}: rule 'c': a second EU rule for cdd_identity counted "
                                 f"from relationship_end (rule 'a', line {HEADER_LINES + 1})")


def test_same_class_and_trigger_in_another_jurisdiction_is_no_conflict():
    rules = load_rules(HEADER + rule_yaml("a") + rule_yaml("b", jurisdiction="UK"), "x.yaml")
    assert len(rules.rules) == 2


def test_a_duplicate_rule_id_names_its_line():
    with pytest.raises(RetentionRuleError, match=f"x.yaml line {SECOND_RULE_LINE}: rule 'a': duplicate rule id"):
        load_rules(HEADER + rule_yaml("a") + rule_yaml("a", trigger="record_created"), "x.yaml")


def test_a_cap_from_the_rules_own_trigger_is_refused():
    capped = rule_yaml("b") + "    cap: {period: {years: 1}, trigger: relationship_end, source: s}\n"
    with pytest.raises(RetentionRuleError, match=f"line {SECOND_RULE_LINE}: rule 'b': .*another trigger"):
        load_rules(HEADER + rule_yaml("a", jurisdiction="UK") + capped, "x.yaml")


def test_broken_yaml_and_top_level_errors_name_a_line():
    with pytest.raises(RetentionRuleError, match=r"^x\.yaml line \d+: not valid YAML"):
        load_rules(HEADER + rule_yaml("a") + "  - id: [unclosed\n", "x.yaml")
    with pytest.raises(RetentionRuleError, match=r"^x\.yaml line 7: rules: expected a list"):
        load_rules(HEADER + "  a: b\n", "x.yaml")
    with pytest.raises(RetentionRuleError, match=r"^x\.yaml line 1: version: Field required"):
        load_rules(HEADER.replace('version: "test"\n', "") + rule_yaml("a"), "x.yaml")
    with pytest.raises(RetentionRuleError, match=r"^x\.yaml line 4: immutable\.classes\.0"):
        load_rules(HEADER.replace("[audit_logs]", "[logs]") + rule_yaml("a"), "x.yaml")
    with pytest.raises(RetentionRuleError, match=r"^x\.yaml line 1: expected a mapping"):
        load_rules("- just a list\n", "x.yaml")


# --- keep-until per shipped rule ----------------------------------------------------------

EXPECTED = [
    # jurisdiction, class, keep until, governing rule, action
    ("EU", "cdd_identity", utc(2031, 3, 31, 17), "eu-cdd-identity", Action.DELETE),
    ("EU", "screening_results", utc(2031, 3, 31, 17), "eu-screening-results", Action.DELETE),
    ("EU", "transactions", utc(2031, 3, 31, 17), "eu-transactions", Action.DELETE),
    ("EU", "correspondence", utc(2031, 3, 31, 17), "eu-correspondence", Action.REVIEW),
    ("EU", "marketing_consent", ENDED, "eu-marketing-consent-at-end", Action.DELETE),
    ("EU", "device_data", ENDED, "eu-device-data", Action.DELETE),
    ("EU", "export_packages", utc(2020, 2, 9, 9), "eu-export-packages", Action.DELETE),
    ("EU", "audit_logs", utc(2030, 1, 10, 9), "eu-audit-logs", Action.REVIEW),
    ("EU", "closure_record", utc(2031, 3, 31, 17), "eu-closure-record", Action.DELETE),
    ("EU", "rejected_application", utc(2025, 2, 1, 8), "eu-rejected-application", Action.DELETE),
    ("UK", "cdd_identity", utc(2031, 3, 31, 17), "uk-cdd-identity", Action.DELETE),
    ("UK", "screening_results", utc(2031, 3, 31, 17), "uk-screening-results", Action.DELETE),
    ("UK", "transactions", utc(2030, 6, 15, 12), "uk-transactions", Action.DELETE),  # 10-year cap
    ("UK", "correspondence", utc(2031, 3, 31, 17), "uk-correspondence", Action.REVIEW),
    ("UK", "marketing_consent", ENDED, "uk-marketing-consent-at-end", Action.DELETE),
    ("UK", "device_data", ENDED, "uk-device-data", Action.DELETE),
    ("UK", "export_packages", utc(2020, 2, 9, 9), "uk-export-packages", Action.DELETE),
    ("UK", "audit_logs", utc(2030, 1, 10, 9), "uk-audit-logs", Action.REVIEW),
    ("UK", "closure_record", utc(2031, 3, 31, 17), "uk-closure-record", Action.DELETE),
    ("UK", "rejected_application", utc(2025, 2, 1, 8), "uk-rejected-application", Action.DELETE),
    ("US", "cdd_identity", utc(2031, 3, 31, 17), "us-cip-identifying-information", Action.DELETE),
    ("US", "screening_results", utc(2025, 1, 10, 9), "us-screening-results", Action.DELETE),
    ("US", "transactions", utc(2025, 6, 15, 12), "us-transactions", Action.DELETE),
    ("US", "correspondence", utc(2031, 3, 31, 17), "us-correspondence", Action.REVIEW),
    ("US", "marketing_consent", ENDED, "us-marketing-consent-at-end", Action.DELETE),
    ("US", "device_data", ENDED, "us-device-data", Action.DELETE),
    ("US", "export_packages", utc(2020, 2, 9, 9), "us-export-packages", Action.DELETE),
    ("US", "audit_logs", utc(2030, 1, 10, 9), "us-audit-logs", Action.REVIEW),
    ("US", "closure_record", utc(2031, 3, 31, 17), "us-closure-record", Action.DELETE),
    ("US", "rejected_application", utc(2025, 2, 1, 8), "us-rejected-application", Action.DELETE),
    # ALL rules: the same wherever the bank is established
    ("EU", "abandoned_application", utc(2020, 5, 1, 8), "all-abandoned-application", Action.DELETE),
    ("UK", "export_record", utc(2020, 2, 9, 9), "all-export-record", Action.DELETE),
    ("US", "webhook_delivery", utc(2020, 2, 9, 9), "all-webhook-delivery", Action.DELETE),
    ("EU", "channel_configuration", utc(2030, 1, 10, 9), "all-channel-configuration", Action.REVIEW),
    ("UK", "retention_control", utc(2030, 1, 10, 9), "all-retention-control", Action.REVIEW),
    ("US", "request_fingerprint", utc(2020, 1, 11, 9), "all-request-fingerprint", Action.DELETE),
    ("EU", "sanctions_lists", utc(2030, 1, 10, 9), "all-sanctions-lists", Action.REVIEW),
    ("UK", "access_logs", utc(2021, 2, 13, 9), "all-access-logs", Action.DELETE),
]


def test_every_shipped_rule_is_exercised():
    governing = {rule_id for *_, rule_id, _ in EXPECTED}
    # Not governing on these dates: the US verification-records rule (shorter than identifying info)
    # and the consent-withdrawn rules (no withdrawal); both are exercised below.
    not_governing = {"us-cip-verification-records", "eu-marketing-consent-withdrawn",
                     "uk-marketing-consent-withdrawn", "us-marketing-consent-withdrawn"}
    assert {r.id for r in RULES.rules} - governing == not_governing


@pytest.mark.parametrize(("jurisdiction", "record_class", "keep_until", "rule_id", "action"), EXPECTED)
def test_keep_until_for_each_shipped_rule(jurisdiction, record_class, keep_until, rule_id, action):
    decision = decide(record(record_class), CLOSED, {jurisdiction}, RULES, NOW)
    assert (decision.keep_until, decision.rule_id, decision.action) == (keep_until, rule_id, action)
    assert decision.status is RetentionStatus.SCHEDULED
    assert decision.keep_until.tzinfo is UTC
    assert decision.source == next(r.source for r in RULES.rules if r.id == rule_id)
    assert decision.immutable == (decision.record_class in RULES.immutable.classes)


@pytest.mark.parametrize(("jurisdictions", "record_class", "keep_until", "rule_id"), [
    (ALL, "transactions", utc(2031, 3, 31, 17), "eu-transactions"),
    ({"UK", "US"}, "transactions", utc(2030, 6, 15, 12), "uk-transactions"),
    ({"EU", "US"}, "screening_results", utc(2031, 3, 31, 17), "eu-screening-results"),
    ({"UK", "US"}, "screening_results", utc(2031, 3, 31, 17), "uk-screening-results"),
    (ALL, "cdd_identity", utc(2031, 3, 31, 17), "eu-cdd-identity"),  # a tie: the smaller id
    ({"US", "UK"}, "cdd_identity", utc(2031, 3, 31, 17), "uk-cdd-identity"),
    (ALL, "marketing_consent", ENDED, "eu-marketing-consent-at-end"),
    ({"EU", "US"}, "rejected_application", utc(2025, 2, 1, 8), "eu-rejected-application"),  # maxima tie: smaller id
])
def test_longest_mandatory_retention_wins_across_jurisdictions(jurisdictions, record_class, keep_until, rule_id):
    decision = decide(record(record_class), CLOSED, jurisdictions, RULES, NOW)
    assert (decision.keep_until, decision.rule_id) == (keep_until, rule_id)


def test_uk_cap_never_falls_before_the_end_of_the_relationship():
    old = record("transactions", transaction_date=utc(2010, 1, 5))
    assert decide(old, CLOSED, {"UK"}, RULES, NOW).keep_until == ENDED  # capped in 2020, kept while it ran
    assert decide(old, CLOSED, {"UK", "EU"}, RULES, NOW).keep_until == utc(2031, 3, 31, 17)
    recent = record("transactions", transaction_date=utc(2025, 12, 1))
    assert decide(recent, CLOSED, {"UK"}, RULES, NOW).keep_until == utc(2031, 3, 31, 17)  # cap 2035 not reached


def test_us_cdd_identity_keeps_the_longer_of_the_two_cip_periods():
    verification = next(r for r in RULES.rules if r.id == "us-cip-verification-records")
    assert rule_date(verification, record("cdd_identity"), CLOSED) == utc(2025, 1, 10, 9)
    assert decide(record("cdd_identity"), CLOSED, {"US"}, RULES, NOW).rule_id == "us-cip-identifying-information"
    made_at_closure = record("cdd_identity", created_at=ENDED + timedelta(hours=1))
    decision = decide(made_at_closure, CLOSED, {"US"}, RULES, NOW)
    assert (decision.keep_until, decision.rule_id) == (utc(2031, 3, 31, 18), "us-cip-verification-records")


def small_rules(*rules: RetentionRule) -> RuleSet:
    return RuleSet(policy="retention", version="test", rules=rules,
                   applicable_law=ApplicableLaw(establishment=(Jurisdiction.EU,), source="test"),
                   immutable=ImmutableClasses(classes=frozenset(), source="test"))


def rule(rule_id: str, jurisdiction: str, period: Period, *, mandatory: bool, action: str = "delete",
         trigger: str = "relationship_end", record_class: str = "transactions") -> RetentionRule:
    return RetentionRule(id=rule_id, jurisdiction=Jurisdiction(jurisdiction), record_class=RecordClass(record_class),
                         period=period, trigger=Trigger(trigger), action=Action(action), mandatory=mandatory,
                         source=f"source of {rule_id}")


def test_erasure_is_never_earlier_than_a_mandatory_retention():
    rules = small_rules(rule("eu-erase-at-end", "EU", Period(days=0), mandatory=False),
                        rule("us-keep", "US", Period(years=5), trigger="transaction_date", mandatory=True,
                             action="delete"))
    recent = record("transactions", transaction_date=utc(2024, 6, 15, 12))
    both = decide(recent, CLOSED, {"EU", "US"}, rules, NOW)
    assert (both.keep_until, both.rule_id, both.erase_now) == (utc(2029, 6, 15, 12), "us-keep", False)
    both_later = decide(recent, CLOSED, {"EU", "US"}, rules, utc(2029, 6, 15, 12))
    assert both_later.erase_now and both_later.action is Action.DELETE
    eu_only = decide(recent, CLOSED, {"EU"}, rules, NOW)
    assert (eu_only.keep_until, eu_only.rule_id, eu_only.erase_now) == (ENDED, "eu-erase-at-end", True)


def test_with_only_maxima_the_earliest_governs_and_ties_go_to_the_cautious_action():
    rules = small_rules(rule("a-delete", "EU", Period(years=1), mandatory=False),
                        rule("b-review", "UK", Period(years=1), mandatory=False, action="review"),
                        rule("c-late", "US", Period(years=3), mandatory=False))
    assert decide(record("transactions"), CLOSED, ALL, rules, NOW).rule_id == "b-review"
    assert decide(record("transactions"), CLOSED, {"EU", "US"}, rules, NOW).rule_id == "a-delete"


def test_marketing_consent_and_device_data_are_erased_at_relationship_end():
    for record_class in ("marketing_consent", "device_data"):
        decision = decide(record(record_class), CLOSED, ALL, RULES, ENDED)
        assert decision.keep_until == ENDED and decision.erase_now and decision.action is Action.DELETE
        assert decision.ttl_epoch == int(ENDED.timestamp())
        assert not decision.immutable


def test_withdrawn_consent_is_erased_at_once_even_during_the_relationship():
    withdrawn = utc(2024, 5, 2, 10)
    decision = decide(record("marketing_consent", consent_withdrawn=withdrawn), OPEN, {"UK"}, RULES, withdrawn)
    assert (decision.keep_until, decision.rule_id, decision.erase_now) == (
        withdrawn, "uk-marketing-consent-withdrawn", True)
    for jurisdiction in ("EU", "US"):
        by_customer = decide(record("marketing_consent"), Events(consent_withdrawn=withdrawn), {jurisdiction},
                             RULES, NOW)
        assert by_customer.rule_id == f"{jurisdiction.lower()}-marketing-consent-withdrawn"
        assert by_customer.erase_now


@pytest.mark.parametrize(("record_class", "jurisdictions", "rule_id"), [
    ("cdd_identity", {"EU"}, "eu-cdd-identity"),
    ("cdd_identity", {"US"}, "us-cip-identifying-information"),  # record_created rule known, not enough
    ("transactions", ALL, "eu-transactions"),  # the US date is known, the EU one is not
    ("marketing_consent", ALL, "eu-marketing-consent-at-end"),
    ("closure_record", {"UK"}, "uk-closure-record"),
])
def test_pending_trigger_while_the_relationship_runs(record_class, jurisdictions, rule_id):
    decision = decide(record(record_class), OPEN, jurisdictions, RULES, NOW)
    assert decision.status is RetentionStatus.PENDING_TRIGGER
    assert decision.rule_id == rule_id
    assert (decision.keep_until, decision.ttl_epoch, decision.erase_now) == (None, None, False)
    assert not expired(decision, utc(9999, 1, 1))


def test_rules_whose_trigger_has_happened_are_scheduled_during_the_relationship():
    assert decide(record("export_packages"), OPEN, ALL, RULES, NOW).keep_until == utc(2020, 2, 9, 9)
    assert decide(record("rejected_application"), OPEN, ALL, RULES, NOW).keep_until == utc(2025, 2, 1, 8)


# --- calendar arithmetic and time zones ---------------------------------------------------

@pytest.mark.parametrize(("start", "period", "expected"), [
    (utc(2024, 2, 29, 12), Period(years=1), utc(2025, 2, 28, 12)),
    (utc(2024, 2, 29, 12), Period(years=4), utc(2028, 2, 29, 12)),
    (utc(2024, 2, 29, 12), Period(years=5), utc(2029, 2, 28, 12)),
    (utc(2023, 1, 31), Period(months=1), utc(2023, 2, 28)),
    (utc(2024, 1, 31), Period(months=1), utc(2024, 2, 29)),
    (utc(2024, 11, 30), Period(years=1, months=3), utc(2026, 2, 28)),
    (utc(2024, 2, 28), Period(days=1), utc(2024, 2, 29)),
    (utc(2024, 2, 29), Period(years=1, days=1), utc(2025, 3, 1)),
    (datetime(2024, 3, 1, 0, 30, tzinfo=timezone(timedelta(hours=1))), Period(years=5), utc(2029, 2, 28, 23, 30)),
    (datetime(2024, 2, 28, 20, 0, tzinfo=timezone(timedelta(hours=-5))), Period(years=1), utc(2025, 2, 28, 1)),
])
def test_calendar_arithmetic_in_utc(start: datetime, period: Period, expected: datetime):
    result = period.after(start)
    assert result == expected and result.tzinfo is UTC


def test_leap_day_relationship_end_given_in_local_time():
    paris_midnight = datetime(2024, 3, 1, 0, 30, tzinfo=timezone(timedelta(hours=1)))  # 29 Feb 23:30 UTC
    decision = decide(record("cdd_identity"), Events(relationship_end=paris_midnight), {"EU"}, RULES, NOW)
    assert decision.keep_until == utc(2029, 2, 28, 23, 30) and decision.keep_until.tzinfo is UTC
    assert decision.ttl_epoch == int(utc(2029, 2, 28, 23, 30).timestamp())


def test_naive_datetimes_and_unknown_jurisdictions_are_refused():
    with pytest.raises(ValidationError):
        RecordRef(record_id="r", record_class="transactions", created_at=datetime(2024, 1, 1))
    with pytest.raises(ValidationError):
        Events(relationship_end=datetime(2024, 1, 1))
    with pytest.raises(ValueError, match="timezone-aware"):
        decide(record("transactions"), CLOSED, {"EU"}, RULES, datetime(2026, 1, 1))
    with pytest.raises(ValueError):
        decide(record("transactions"), CLOSED, {"FR"}, RULES, NOW)
    with pytest.raises(ValueError, match="at least one"):
        decide(record("transactions"), CLOSED, set(), RULES, NOW)
    transactions_only = small_rules(rule("a", "EU", Period(years=1), mandatory=True))
    with pytest.raises(NoRuleError, match="device_data in EU"):
        decide(record("device_data"), CLOSED, {"EU"}, transactions_only, NOW)


# --- TTL, immutability, expiry ------------------------------------------------------------

@pytest.mark.parametrize(("jurisdiction", "record_class"), [(j, c) for j, c, *_ in EXPECTED])
def test_ttl_only_when_the_action_is_delete(jurisdiction, record_class):
    decision = decide(record(record_class), CLOSED, {jurisdiction}, RULES, NOW)
    if decision.action is Action.DELETE:
        assert decision.ttl_epoch == math.ceil(decision.keep_until.timestamp())
    else:
        assert decision.ttl_epoch is None


def test_ttl_is_never_before_keep_until():
    end = datetime(2026, 3, 31, 17, 0, 0, 250_000, tzinfo=UTC)
    decision = decide(record("device_data"), Events(relationship_end=end), {"EU"}, RULES, NOW)
    assert decision.ttl_epoch == int(end.timestamp()) + 1


def test_immutable_classes_are_flagged():
    flagged = {c for c in RecordClass if decide(record(c), CLOSED, ALL, RULES, NOW).immutable}
    assert flagged == {RecordClass.AUDIT_LOGS, RecordClass.CDD_IDENTITY, RecordClass.TRANSACTIONS,
                       RecordClass.SCREENING_RESULTS}


def test_expired_from_the_keep_until_instant_on():
    decision = decide(record("cdd_identity"), CLOSED, {"EU"}, RULES, NOW)
    assert not expired(decision, decision.keep_until - timedelta(microseconds=1))
    assert expired(decision, decision.keep_until)
    assert expired(decision, decision.keep_until.astimezone(timezone(timedelta(hours=-8))))
    assert not decision.erase_now


def test_review_is_never_erased_now():
    decision = decide(record("audit_logs"), CLOSED, {"EU"}, RULES, utc(2040, 1, 1))
    assert expired(decision, utc(2040, 1, 1)) and not decision.erase_now and decision.ttl_epoch is None


# --- sweep plan ---------------------------------------------------------------------------

def test_sweep_plan_acts_on_expired_records_and_skips_held_ones():
    later = utc(2032, 1, 1)

    def decided(record_id: str, record_class: str, customer_id: str = "cus-1", events: Events = CLOSED
                ) -> RetentionDecision:
        return decide(record(record_class, record_id=record_id, customer_id=customer_id), events, {"EU"}, RULES,
                      NOW)

    decisions = [
        decided("cdd-1", "cdd_identity"),
        decided("tx-1", "transactions"),
        decided("corr-1", "correspondence"),
        decided("held-record", "cdd_identity"),
        decided("held-customer", "screening_results", customer_id="cus-held"),
        decided("audit-1", "audit_logs"),  # until 2030: expired too, review
        decided("pending", "cdd_identity", events=OPEN),
        decided("export-held-not-expired", "export_packages", customer_id="cus-held").model_copy(
            update={"keep_until": utc(2040, 1, 1)}),
    ]
    plan = sweep_plan(decisions, {"held-record", "cus-held"}, later)
    assert [(a.record_id, a.kind) for a in plan] == [
        ("cdd-1", SweepKind.DELETE),
        ("tx-1", SweepKind.DELETE),
        ("corr-1", SweepKind.REVIEW),
        ("held-record", SweepKind.SKIP_HELD),
        ("held-customer", SweepKind.SKIP_HELD),
        ("audit-1", SweepKind.REVIEW),
    ]
    assert plan[0].rule_id == "eu-cdd-identity" and plan[0].keep_until == utc(2031, 3, 31, 17)
    assert sweep_plan(decisions, set(), NOW) == []
    assert sweep_plan(decisions, set(), later) == sweep_plan(decisions, set(), later)  # pure


# --- properties ---------------------------------------------------------------------------

ZONES = st.sampled_from([UTC, timezone(timedelta(hours=-12)), timezone(timedelta(hours=14)),
                         timezone(timedelta(hours=5, minutes=30)), timezone(timedelta(hours=-3, minutes=-30))])
DATES = st.datetimes(min_value=datetime(1970, 1, 1), max_value=datetime(2200, 12, 31), timezones=ZONES)
OPTIONAL_DATES = st.none() | DATES
PERIODS = st.builds(Period, years=st.integers(0, 100), months=st.integers(0, 1200), days=st.integers(0, 36600))
TRIGGERS = st.sampled_from(Trigger)


@st.composite
def rules_strategy(draw: st.DrawFn, jurisdiction: Jurisdiction | None = None,
                   rule_id: str = "r") -> RetentionRule:
    trigger = draw(TRIGGERS)
    cap = draw(st.none() | st.builds(Cap, period=PERIODS, source=st.just("s"),
                                     trigger=TRIGGERS.filter(lambda t: t is not trigger)))
    return RetentionRule(id=rule_id, jurisdiction=jurisdiction or draw(st.sampled_from(Jurisdiction)),
                         record_class=RecordClass.TRANSACTIONS, period=draw(PERIODS), trigger=trigger,
                         action=draw(st.sampled_from(Action)), mandatory=draw(st.booleans()), source="s", cap=cap)


RECORDS = st.builds(RecordRef, record_id=st.just("r"), record_class=st.just(RecordClass.TRANSACTIONS),
                    created_at=DATES, transaction_date=OPTIONAL_DATES, consent_withdrawn=OPTIONAL_DATES)
EVENTS = st.builds(Events, relationship_end=OPTIONAL_DATES, transaction_date=OPTIONAL_DATES,
                   consent_withdrawn=OPTIONAL_DATES, application_decided=OPTIONAL_DATES)


def trigger_date(rule: RetentionRule, ref: RecordRef, events: Events) -> datetime | None:
    if rule.trigger is Trigger.RECORD_CREATED:
        return ref.created_at
    return getattr(ref, rule.trigger.value, None) or getattr(events, rule.trigger.value)


@settings(max_examples=300, deadline=None)
@given(rules_strategy(), RECORDS, EVENTS, DATES)
def test_keep_until_is_never_earlier_than_the_trigger_date(one_rule, ref, events, now):
    decision = decide(ref, events, {one_rule.jurisdiction}, small_rules(one_rule), now)
    start = trigger_date(one_rule, ref, events)
    if start is None:
        assert decision.status is RetentionStatus.PENDING_TRIGGER and decision.keep_until is None
    else:
        assert decision.keep_until >= start and decision.keep_until.tzinfo is UTC
        assert decision.keep_until >= one_rule.period.after(start) or one_rule.cap is not None
        assert decision.erase_now == (decision.keep_until <= now and one_rule.action is not Action.REVIEW)


@settings(max_examples=300, deadline=None)
@given(st.tuples(*(rules_strategy(j, f"r-{j.lower()}") for j in Jurisdiction)), RECORDS, EVENTS, DATES)
def test_never_earlier_than_any_mandatory_retention(three_rules, ref, events, now):
    decision = decide(ref, events, ALL, small_rules(*three_rules), now)
    dates = {r.id: rule_date(r, ref, events) for r in three_rules}
    mandatory = [dates[r.id] for r in three_rules if r.mandatory]
    if mandatory and None in mandatory:
        assert decision.keep_until is None
    elif mandatory:
        assert decision.keep_until == max(mandatory)
    elif known := [d for d in dates.values() if d is not None]:
        assert decision.keep_until == min(known)
    else:
        assert decision.keep_until is None


# --- applicable law -----------------------------------------------------------------------

def test_the_law_is_where_the_bank_is_established_plus_what_the_policy_adds():
    assert applicable_jurisdictions(RULES) == {"EU"}  # the policy's default establishment
    assert applicable_jurisdictions(RULES, ["UK"]) == {"UK"}
    assert applicable_jurisdictions(RULES, ["EU", "UK"]) == {"EU", "UK"}
    with_us_branch = RULES.model_copy(update={"applicable_law": RULES.applicable_law.model_copy(update={
        "additional": (AdditionalJurisdiction(jurisdiction=Jurisdiction.US,
                                              basis="a US branch books these accounts (31 CFR 1020.220)"),)})})
    assert applicable_jurisdictions(with_us_branch, ["EU"]) == {"EU", "US"}
    with pytest.raises(ValueError):
        applicable_jurisdictions(RULES, ["FR"])


def test_a_customer_living_in_the_us_is_kept_under_the_banks_law_not_theirs():
    """Nothing of the customer enters the decision but the record and its events: an EU bank keeps a
    US resident's screening results five years after the relationship, not five after creation."""
    decision = decide(record("screening_results"), CLOSED, applicable_jurisdictions(RULES), RULES, NOW)
    assert (decision.rule_id, decision.keep_until) == ("eu-screening-results", utc(2031, 3, 31, 17))
