"""Exit-risk checks: every threshold at, just below and just above its value, the window
boundaries (a debit exactly N days before the request is inside the window), currencies never
summed, and evidence free of counterparty names and full IBANs."""
from __future__ import annotations

import itertools
from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from chalicelib.domain.closure import (
    Account,
    ClosureRequest,
    Counterparty,
    Direction,
    LinkedService,
    LinkedServiceType,
    RequestedBy,
    Transaction,
)
from chalicelib.domain.exit_risk import (
    CODES,
    DEBIT_BALANCE,
    JOINT_ACCOUNT,
    LARGE_OUTFLOW,
    NEW_PAYEE_TRANSFER,
    ExitRiskPolicy,
    Finding,
    assess,
    credit_balance,
    debit_balance,
    joint_account,
    large_outflow,
    linked_services,
    mask_iban,
    new_payee_transfers,
)
from chalicelib.domain.models import Verdict
from chalicelib.policies import PolicyError, exit_risk_policy, load_policy, policy_versions
from chalicelib.settings import POLICIES_DIR

POLICY_FILE = POLICIES_DIR / "exit_risk.yaml"
POLICY = load_policy(POLICY_FILE, ExitRiskPolicy)
T = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)  # requested_at
US = timedelta(microseconds=1)
CUSTOMER = "cust-1"
SENTINEL_NAME = "Zebulon Quaxworth-Sentinel"
SENTINEL_IBAN = "DE89370400440532013000"
_ids = itertools.count(1)


# --- factories ----------------------------------------------------------------------------

def tx(amount: str, *, days: float = 1, at: datetime | None = None, currency: str = "EUR",
       direction: Direction = Direction.DEBIT, name: str = "Old Payee", iban: str | None = None,
       tx_id: str | None = None) -> Transaction:
    """A transaction booked `days` days before T (or at `at`)."""
    return Transaction(transaction_id=tx_id or f"tx-{next(_ids)}", booked_at=at or T - timedelta(days=days),
                       amount=Decimal(amount), currency=currency, direction=direction,
                       counterparty=Counterparty(name=name, iban=iban))


def account(balance: str = "0", *, account_id: str = "acc-1", currency: str = "EUR",
            holders: tuple[str, ...] = (CUSTOMER,)) -> Account:
    return Account(account_id=account_id, balance=Decimal(balance), currency=currency, holders=holders)


def request(*accounts: Account, consents: tuple[str, ...] = (), services: tuple[LinkedService, ...] = (),
            at: datetime = T) -> ClosureRequest:
    return ClosureRequest(customer_id=CUSTOMER, reason="external.relocation", requested_by=RequestedBy.CUSTOMER,
                          requested_at=at, accounts=accounts or (account(),), holder_consents=consents,
                          linked_services=services, transactions_key="closures/c-1/transactions.jsonl")


def baseline(total: str, currency: str = "EUR") -> Transaction:
    """Debits in the baseline period (before the 30-day window) totalling `total`."""
    return tx(total, days=100, currency=currency)


def policy_with(path: str, value: Any) -> ExitRiskPolicy:
    """The shipped policy with one value replaced (dotted path)."""
    data = yaml.safe_load(POLICY_FILE.read_text(encoding="utf-8"))
    *parents, last = path.split(".")
    node = data
    for key in parents:
        node = node[key]
    node[last] = value
    return ExitRiskPolicy.model_validate(data)


def outflow(*transactions: Transaction) -> Finding:
    return large_outflow(request(), transactions, POLICY)


def new_payees(*transactions: Transaction) -> Finding:
    return new_payee_transfers(request(), transactions, POLICY)


# --- policy -------------------------------------------------------------------------------

def test_policy_file_loads_with_its_values() -> None:
    rule = POLICY.large_outflow
    assert POLICY.policy == "exit-risk"
    assert rule.window.days == 30 and rule.ratio.baseline_days == 180
    assert rule.absolute.threshold.of("EUR") == Decimal("10000") and rule.absolute.threshold.of("GBP") == 8500
    assert rule.absolute.threshold.of("SEK") == 100000 and rule.absolute.threshold.of("NOK") == 10000  # default
    assert rule.ratio.threshold == Decimal("3.0") and rule.ratio.minimum_window_outflow.of("EUR") == 2000
    assert POLICY.new_payee.first_seen_days == 30 and POLICY.new_payee.minimum_amount.of("EUR") == 1000
    assert POLICY.debit_balance.tolerance.of("EUR") == 0
    assert {c for c in CODES if POLICY.is_red_flag(c)} == {LARGE_OUTFLOW, NEW_PAYEE_TRANSFER, DEBIT_BALANCE,
                                                            JOINT_ACCOUNT}
    assert exit_risk_policy() == POLICY
    assert policy_versions()["exit-risk"] == POLICY.version


@pytest.mark.parametrize(("path", "value", "message"), [
    ("checks.CREDIT_BALANCE.red_flag", True, "informational"),
    ("checks.LINKED_SERVICES.red_flag", True, "informational"),
    ("checks.UNHEARD_OF", {"red_flag": True, "source": "x"}, "unknown UNHEARD_OF"),
    ("large_outflow.absolute.threshold.default", "0", "positive"),
    ("large_outflow.absolute.threshold.currencies", {"eur": "1"}, "currencies.eur"),
    ("new_payee.minimum_amount.default", "-1", "greater than or equal to 0"),
    ("large_outflow.ratio.threshold", "0", "greater than 0"),
])
def test_invalid_policy_is_rejected_naming_the_problem(tmp_path, path: str, value: Any, message: str) -> None:
    data = yaml.safe_load(POLICY_FILE.read_text(encoding="utf-8"))
    *parents, last = path.split(".")
    node = data
    for key in parents:
        node = node[key]
    node[last] = value
    bad = tmp_path / "exit_risk.yaml"
    bad.write_text(yaml.safe_dump(data), encoding="utf-8")
    with pytest.raises(PolicyError, match=message):
        load_policy(bad, ExitRiskPolicy)


def test_policy_missing_a_check_is_rejected(tmp_path) -> None:
    data = yaml.safe_load(POLICY_FILE.read_text(encoding="utf-8"))
    del data["checks"]["JOINT_ACCOUNT"]
    bad = tmp_path / "exit_risk.yaml"
    bad.write_text(yaml.safe_dump(data), encoding="utf-8")
    with pytest.raises(PolicyError, match="missing JOINT_ACCOUNT"):
        load_policy(bad, ExitRiskPolicy)


# --- LARGE_OUTFLOW: absolute --------------------------------------------------------------

@pytest.mark.parametrize(("amount", "flagged"), [("9999.99", False), ("10000.00", True), ("10000.01", True)])
def test_absolute_outflow_threshold(amount: str, flagged: bool) -> None:
    finding = outflow(tx(amount), baseline("60000"))  # usual outflow 10000: the ratio stays below 3
    assert finding.flagged is flagged
    assert finding.evidence["absolute_exceeded"] == (["EUR"] if flagged else [])
    assert finding.evidence["ratio_exceeded"] == []


def test_absolute_threshold_is_per_currency_with_a_default() -> None:
    assert not outflow(tx("99999.99", currency="SEK"), baseline("600000", "SEK")).flagged
    assert outflow(tx("100000", currency="SEK"), baseline("600000", "SEK")).flagged
    assert not outflow(tx("8499.99", currency="GBP"), baseline("60000", "GBP")).flagged
    assert outflow(tx("8500", currency="GBP"), baseline("60000", "GBP")).flagged
    assert outflow(tx("10000", currency="NOK"), baseline("60000", "NOK")).flagged  # `default`


def test_currencies_are_never_summed() -> None:
    history = [tx("6000", currency="EUR"), tx("6000", currency="USD"), tx("6000", currency="CHF"),
               baseline("60000", "EUR"), baseline("60000", "USD"), baseline("60000", "CHF")]
    finding = outflow(*history)
    assert not finding.flagged
    assert finding.evidence["totals"] == {"EUR": "6000 EUR", "USD": "6000 USD", "CHF": "6000 CHF"}


def test_window_totals_add_up_debits_of_one_currency_and_ignore_credits() -> None:
    finding = outflow(tx("5000"), tx("5000"), tx("50000", direction=Direction.CREDIT), baseline("60000"))
    assert finding.flagged and finding.evidence["totals"] == {"EUR": "10000 EUR"}


# --- LARGE_OUTFLOW: ratio -----------------------------------------------------------------

@pytest.mark.parametrize(("amount", "flagged", "ratio"),
                         [("2999.99", False, "3.00"), ("3000.00", True, "3.00"), ("3000.01", True, "3.00")])
def test_ratio_threshold(amount: str, flagged: bool, ratio: str) -> None:
    finding = outflow(tx(amount), baseline("6000"))  # usual outflow: 6000 / 180 days * 30 days = 1000
    assert finding.flagged is flagged
    assert finding.evidence["ratio_exceeded"] == (["EUR"] if flagged else [])
    assert finding.evidence["absolute_exceeded"] == []
    assert finding.evidence["baseline_averages"] == {"EUR": "1000.00 EUR"}
    assert finding.evidence["ratios"] == {"EUR": ratio}  # displayed to the cent; compared exactly


@pytest.mark.parametrize(("amount", "flagged"), [("1999.99", False), ("2000.00", True), ("2000.01", True)])
def test_ratio_minimum_window_outflow(amount: str, flagged: bool) -> None:
    finding = outflow(tx(amount), baseline("600"))  # usual 100: every amount here is ~20x usual
    assert finding.flagged is flagged
    assert finding.evidence["ratio_exceeded"] == (["EUR"] if flagged else [])


def test_no_baseline_debit_makes_the_ratio_unbounded() -> None:
    finding = outflow(tx("2000"), tx("9000", days=100, direction=Direction.CREDIT))
    assert finding.flagged and finding.evidence["ratios"] == {"EUR": "unbounded"}
    assert not outflow(tx("1999.99")).flagged  # below the ratio minimum: not applied


def test_ratio_minimum_is_per_currency() -> None:
    assert not outflow(tx("19999.99", currency="SEK")).flagged
    assert outflow(tx("20000", currency="SEK")).flagged


# --- LARGE_OUTFLOW: window boundaries -----------------------------------------------------

def test_a_debit_exactly_window_days_before_is_inside_the_window() -> None:
    at_start = outflow(tx("10000", at=T - timedelta(days=30)), baseline("60000"))
    assert at_start.flagged and at_start.evidence["window_start"] == "2026-10-21T12:00:00.000Z"
    assert at_start.evidence["window_end"] == "2026-11-20T12:00:00.000Z"
    assert not outflow(tx("10000", at=T - timedelta(days=30) - US), baseline("60000")).flagged


def test_a_debit_at_requested_at_counts_and_one_after_is_ignored() -> None:
    assert outflow(tx("10000", at=T), baseline("60000")).flagged
    after = outflow(tx("10000", at=T + US), baseline("60000"))
    assert not after.flagged and after.evidence["totals"] == {}


def test_baseline_starts_inclusive_and_ends_before_the_window() -> None:
    start = T - timedelta(days=30)
    # 6000.03 in the baseline makes the usual outflow 1000.005, so 3000 is just under 3x.
    assert not outflow(tx("3000"), tx("6000.03", at=start - timedelta(days=180))).flagged
    assert outflow(tx("3000"), tx("6000.03", at=start - timedelta(days=180) - US)).flagged  # no baseline
    # A debit at the window start belongs to the window, not to the baseline.
    in_window = outflow(tx("1000"), tx("6000.03", at=start))
    assert in_window.evidence["totals"] == {"EUR": "7000.03 EUR"}
    assert in_window.evidence["baseline_averages"] == {"EUR": "0.00 EUR"}


def test_largest_debits_are_listed_at_most_ten_biggest_first() -> None:
    debits = [tx(str(1000 + i), tx_id=f"d-{i:02}") for i in range(12)]
    finding = outflow(*debits, tx("19999", currency="SEK", tx_id="sek"))  # SEK exceeds nothing
    assert finding.evidence["absolute_exceeded"] == ["EUR"]
    assert finding.evidence["largest_debit_ids"] == [f"d-{i:02}" for i in range(11, 1, -1)]


def test_largest_debits_of_several_currencies_rank_by_size_relative_to_the_threshold() -> None:
    # SEK 150000 is 1.5x its threshold, EUR 12000 1.2x: amounts are never compared as such.
    finding = outflow(tx("12000", tx_id="eur"), tx("150000", currency="SEK", tx_id="sek"))
    assert finding.evidence["absolute_exceeded"] == ["EUR", "SEK"]
    assert finding.evidence["largest_debit_ids"] == ["sek", "eur"]


def test_largest_debits_come_from_the_currencies_that_exceeded() -> None:
    finding = outflow(tx("50000", currency="SEK", tx_id="sek"), tx("12000", tx_id="eur"), baseline("60000"),
                      baseline("6000000", "SEK"))
    assert finding.evidence["absolute_exceeded"] == ["EUR"]
    assert finding.evidence["largest_debit_ids"] == ["eur"]


# --- NEW_PAYEE_TRANSFER -------------------------------------------------------------------

@pytest.mark.parametrize(("amount", "flagged"), [("999.99", False), ("1000.00", True), ("1000.01", True)])
def test_new_payee_minimum_amount(amount: str, flagged: bool) -> None:
    finding = new_payees(tx(amount, iban="GB29NWBK60161331926819", tx_id="t1"))
    assert finding.flagged is flagged
    assert finding.evidence["transaction_ids"] == (["t1"] if flagged else [])


def test_new_payee_minimum_is_per_currency() -> None:
    assert not new_payees(tx("849.99", currency="GBP")).flagged
    assert new_payees(tx("850", currency="GBP")).flagged


def test_payee_first_seen_exactly_at_the_window_start_is_new() -> None:
    start = T - timedelta(days=30)
    iban = "FR1420041010050500013M02606"
    assert new_payees(tx("10", at=start, iban=iban), tx("1000", days=1, iban=iban)).flagged
    assert not new_payees(tx("10", at=start - US, iban=iban), tx("1000", days=1, iban=iban)).flagged


def test_a_payee_known_from_an_incoming_payment_is_not_new() -> None:
    iban = "FR1420041010050500013M02606"
    history = [tx("10", days=90, iban=iban, direction=Direction.CREDIT), tx("5000", iban=iban)]
    assert not new_payees(*history).flagged


def test_payee_is_the_iban_when_present_else_the_normalised_name() -> None:
    assert not new_payees(tx("10", days=90, name="ACME Ltd."), tx("5000", name="acme")).flagged
    same_name_new_iban = [tx("10", days=90, name="Acme", iban="FR1420041010050500013M02606"),
                          tx("5000", name="Acme", iban="ES9121000418450200051332", tx_id="t2")]
    finding = new_payees(*same_name_new_iban)
    assert finding.flagged and finding.evidence["payee_ibans"] == ["ES**1332"]
    assert new_payees(tx("10", days=90, name="Acme"), tx("5000", name="Acme",
                                                           iban="ES9121000418450200051332")).flagged


def test_new_payee_evidence() -> None:
    finding = new_payees(tx("1500", days=3, iban=SENTINEL_IBAN, tx_id="a"), tx("2000.50", days=2, iban=SENTINEL_IBAN,
                                                                                tx_id="b"),
                         tx("1200", days=1, name="Somebody New", tx_id="c"))
    assert finding.flagged
    assert finding.evidence == {"window_start": "2026-10-21T12:00:00.000Z", "transaction_ids": ["a", "b", "c"],
                                "amounts": ["1500 EUR", "2000.50 EUR", "1200 EUR"],
                                "payee_ibans": ["DE**3000", "DE**3000", "(no IBAN)"], "new_payee_count": 2}


def test_new_payee_ignores_transactions_after_the_request() -> None:
    assert not new_payees(tx("5000", at=T + US)).flagged
    assert new_payees(tx("5000", at=T)).flagged


def test_mask_iban() -> None:
    assert mask_iban("DE89 3704 0044 0532 0130 00") == "DE**3000"
    assert mask_iban("de12") == "DE**"


# --- balances -----------------------------------------------------------------------------

@pytest.mark.parametrize(("balance", "flagged"), [("-0.01", True), ("0", False), ("0.01", False)])
def test_debit_balance_with_zero_tolerance(balance: str, flagged: bool) -> None:
    finding = debit_balance(request(account(balance, account_id="acc-9")), [], POLICY)
    assert finding.flagged is flagged
    assert finding.evidence == ({"account_ids": ["acc-9"], "balances": [f"{balance} EUR"]} if flagged
                                else {"account_ids": [], "balances": []})


@pytest.mark.parametrize(("balance", "flagged"), [("-10.01", True), ("-10.00", False), ("-9.99", False)])
def test_debit_balance_tolerance(balance: str, flagged: bool) -> None:
    policy = policy_with("debit_balance.tolerance", {"default": "10.00"})
    assert debit_balance(request(account(balance)), [], policy).flagged is flagged


def test_credit_balance_informs_about_the_payout_without_flagging() -> None:
    accounts = (account("120.50", account_id="a1"), account("-5", account_id="a2"),
                account("30", account_id="a3"), account("1000", account_id="a4", currency="CHF"))
    finding = credit_balance(request(*accounts), [], POLICY)
    assert not finding.flagged
    assert finding.evidence == {"account_ids": ["a1", "a3", "a4"], "balances": ["120.50 EUR", "30 EUR", "1000 CHF"],
                                "totals": {"EUR": "150.50 EUR", "CHF": "1000 CHF"}}


# --- JOINT_ACCOUNT ------------------------------------------------------------------------

def test_sole_accounts_are_not_joint() -> None:
    finding = joint_account(request(account()), [], POLICY)
    assert not finding.flagged and finding.evidence["joint_account_ids"] == []


def test_joint_account_with_every_consent_is_not_flagged() -> None:
    req = request(account(holders=(CUSTOMER, "cust-2")), consents=("cust-2",))
    finding = joint_account(req, [], POLICY)
    assert not finding.flagged and finding.evidence["joint_account_ids"] == ["acc-1"]


def test_joint_account_without_consent_is_flagged_with_the_count() -> None:
    accounts = (account(account_id="j1", holders=(CUSTOMER, "cust-2", "cust-3")),
                account(account_id="j2", holders=("cust-3", CUSTOMER)),
                account(account_id="j3", holders=(CUSTOMER, "cust-2")))
    finding = joint_account(request(*accounts, consents=("cust-2",)), [], POLICY)
    assert finding.flagged
    assert finding.evidence == {"joint_account_ids": ["j1", "j2", "j3"], "account_ids": ["j1", "j2"],
                                "non_consenting_holders": ["cust-3"], "non_consenting_holder_count": 1}


# --- LINKED_SERVICES ----------------------------------------------------------------------

def test_linked_services_are_listed_by_type_and_never_flagged() -> None:
    services = (LinkedService(type=LinkedServiceType.DIRECT_DEBIT, counterparty=SENTINEL_NAME, reference="DD-1"),
                LinkedService(type=LinkedServiceType.SALARY, counterparty="Employer GmbH", reference="PAY-7"),
                LinkedService(type=LinkedServiceType.DIRECT_DEBIT, counterparty="Power Co", reference="DD-2"),
                LinkedService(type=LinkedServiceType.CARD, counterparty="Bank", reference="CARD-1"))
    finding = linked_services(request(services=services), [], POLICY)
    assert not finding.flagged
    assert finding.evidence == {"salary": ["PAY-7"], "direct_debit": ["DD-1", "DD-2"], "card": ["CARD-1"],
                                "service_count": 4}
    assert "Employer" not in finding.model_dump_json() and SENTINEL_NAME not in finding.model_dump_json()


# --- assess -------------------------------------------------------------------------------

def test_a_quiet_closure_passes() -> None:
    result = assess(request(account("250")), [tx("100", days=5), baseline("600")], POLICY)
    assert result.verdict is Verdict.PASS and result.flagged_codes == ()
    assert tuple(f.code for f in result.findings) == CODES
    assert result.policy_version == POLICY.version


def test_red_flags_send_the_closure_to_review() -> None:
    req = request(account("-50"), account(account_id="j", holders=(CUSTOMER, "cust-2")))
    result = assess(req, [tx("12000", iban=SENTINEL_IBAN)], POLICY)
    assert result.verdict is Verdict.REVIEW
    assert result.flagged_codes == (LARGE_OUTFLOW, NEW_PAYEE_TRANSFER, DEBIT_BALANCE, JOINT_ACCOUNT)


def test_a_check_the_policy_does_not_flag_only_informs() -> None:
    policy = policy_with("checks.DEBIT_BALANCE.red_flag", False)
    result = assess(request(account("-50")), [], policy)
    debit = next(f for f in result.findings if f.code == DEBIT_BALANCE)
    assert result.verdict is Verdict.PASS and not debit.flagged and debit.evidence["account_ids"] == ["acc-1"]


def test_transactions_after_the_request_are_ignored() -> None:
    late = [tx("50000", at=T + timedelta(seconds=1), iban=SENTINEL_IBAN), tx("50000", at=T + timedelta(days=3))]
    result = assess(request(), late, POLICY)
    assert result.verdict is Verdict.PASS


def test_other_timezones_are_compared_as_instants() -> None:
    cet = timezone(timedelta(hours=1))
    booked = (T - timedelta(days=30)).astimezone(cet)  # the window start, written in CET
    assert outflow(tx("10000", at=booked), baseline("60000")).flagged


def test_naive_timestamps_are_an_error() -> None:
    naive = datetime(2026, 11, 1, 12, 0)
    with pytest.raises(ValueError, match="booked_at must be timezone-aware"):
        assess(request(), [tx("10", at=naive)], POLICY)
    with pytest.raises(ValueError, match="requested_at must be timezone-aware"):
        assess(request(at=naive), [], POLICY)
    with pytest.raises(ValueError, match="timezone-aware"):
        new_payee_transfers(request(), [tx("10", at=naive)], POLICY)


def test_evidence_never_holds_counterparty_names_or_full_ibans() -> None:
    history = [tx("60000", days=100, name=SENTINEL_NAME),
               tx("20000", days=2, name=SENTINEL_NAME, iban=SENTINEL_IBAN),
               tx("3000", name=SENTINEL_NAME),
               tx("4000", name=SENTINEL_NAME, iban="DE89 3704 0044 0532 0130 00")]
    services = (LinkedService(type=LinkedServiceType.SUBSCRIPTION, counterparty=SENTINEL_NAME, reference="SUB-1"),)
    result = assess(request(account("-1"), services=services), history, POLICY)
    dumped = result.model_dump_json()
    assert result.verdict is Verdict.REVIEW and "DE**3000" in dumped
    for secret in (SENTINEL_NAME, "Zebulon", "quaxworth", "sentinel", SENTINEL_IBAN, "370400440532013000"):
        assert secret.casefold() not in dumped.casefold()


# --- property -----------------------------------------------------------------------------

_amounts = st.decimals(min_value=Decimal("0.01"), max_value=Decimal("1000000000"), places=2)
_currencies = st.sampled_from(["EUR", "USD", "GBP", "SEK", "NOK"])
_zones = st.sampled_from([UTC, timezone(timedelta(hours=2)), timezone(timedelta(hours=-5, minutes=-30))])
_transactions = st.builds(
    Transaction,
    transaction_id=st.text("abc0123456789-", min_size=1, max_size=8),
    booked_at=st.builds(lambda s, z: (T - timedelta(seconds=s)).astimezone(z),
                        st.integers(-10 * 86400, 400 * 86400), _zones),
    amount=_amounts,
    currency=_currencies,
    direction=st.sampled_from(Direction),
    counterparty=st.builds(Counterparty, name=st.sampled_from([SENTINEL_NAME, "Acme Ltd", "ACME", "", "x"]),
                           iban=st.sampled_from([None, SENTINEL_IBAN, "FR1420041010050500013M02606", "", "DE"])),
)
_holders = st.lists(st.sampled_from([CUSTOMER, "cust-2", "cust-3"]), min_size=1, max_size=3).map(tuple)
_accounts = st.builds(Account, account_id=st.sampled_from(["a1", "a2", "a3"]),
                      balance=st.decimals(min_value=-10**7, max_value=10**7, places=2),
                      currency=_currencies, holders=_holders)
_services = st.builds(LinkedService, type=st.sampled_from(LinkedServiceType),
                      counterparty=st.just(SENTINEL_NAME), reference=st.sampled_from(["R1", "R2"]))
_requests = st.builds(
    ClosureRequest, customer_id=st.just(CUSTOMER), reason=st.sampled_from(["external.relocation", "competitor.price", "bank.de_banking.dormancy"]),
    requested_by=st.sampled_from(RequestedBy), requested_at=st.just(T),
    accounts=st.lists(_accounts, min_size=1, max_size=4).map(tuple),
    holder_consents=st.lists(st.sampled_from(["cust-2", "cust-3"]), max_size=2).map(tuple),
    linked_services=st.lists(_services, max_size=4).map(tuple), transactions_key=st.just("t.jsonl"),
)


@settings(max_examples=300, suppress_health_check=[HealthCheck.too_slow])
@given(req=_requests, transactions=st.lists(_transactions, max_size=30))
def test_assess_never_raises_and_reviews_iff_a_finding_is_flagged(req: ClosureRequest,
                                                                  transactions: list[Transaction]) -> None:
    result = assess(req, transactions, POLICY)
    assert tuple(f.code for f in result.findings) == CODES
    assert (result.verdict is Verdict.REVIEW) == any(f.flagged for f in result.findings)
    assert set(result.flagged_codes) <= {c for c in CODES if POLICY.is_red_flag(c)}
    dumped = result.model_dump_json()
    assert SENTINEL_NAME not in dumped and SENTINEL_IBAN not in dumped
    assert len(result.findings[0].evidence["largest_debit_ids"]) <= 10
