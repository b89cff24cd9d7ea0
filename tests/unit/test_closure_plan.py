"""The closure plan (chalicelib/domain/closure_plan.py): every figure computed here from the request
and the policy by hand, and compared exactly: settlements, notice ends, expected dates, access
ends, linked services, and the data rules."""
from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest

from chalicelib.domain.checkpoint import (
    Checkpoint,
    CheckpointKind,
    CheckpointStatus,
    Decision,
    Reason,
    StatusChange,
    Step,
    WinBackState,
    iso,
)
from chalicelib.domain.closure import (
    Account,
    AccountType,
    ClosureRequest,
    Counterparty,
    Direction,
    LinkedService,
    LinkedServiceType,
    PaymentMethod,
    Representative,
    RequestedBy,
    SoftExit,
    Succession,
    Transaction,
)
from chalicelib.domain.closure_plan import (
    NotAnImmediateGround,
    Outcome,
    StepStatus,
    add_business_days,
    notice,
    plan_basis,
    plan_of,
    settlement_amount,
    with_detected,
)
from chalicelib.domain.models import Verdict
from chalicelib.domain.recurring import detect
from chalicelib.policies import closure_policy, retention_rules

POLICY, RULES = closure_policy(), retention_rules()
ME, PARTNER = "cus_" + "a" * 32, "cus_" + "b" * 32
T0 = datetime(2026, 12, 1, 10, 0, tzinfo=UTC)  # a Tuesday
REVIEW = timedelta(hours=72)


def account(account_id="acc-1", balance="120.50", interest="0", fees="0", currency="EUR", holders=(ME,), **more):
    return Account(account_id=account_id, balance=Decimal(balance), accrued_interest=Decimal(interest),
                   fees_due=Decimal(fees), currency=currency, holders=holders, **more)


def request(*accounts: Account, reason="external.relocation", requested_by=RequestedBy.CUSTOMER, at=T0, **more):
    return ClosureRequest(customer_id=ME, reason=reason, requested_by=requested_by, requested_at=at,
                          accounts=accounts or (account(),), transactions_key="k", **more)


def basis(req: ClosureRequest, country="NOR", frozen=False, detected=()):
    return plan_basis(req, customer_country=country, jurisdictions={"EU"}, frozen=frozen, policy=POLICY,
                      detected=detected)


def checkpoint(status=CheckpointStatus.RUNNING, at=T0, **more) -> Checkpoint:
    return Checkpoint(checkpoint_id="cp_" + "0" * 32, kind=CheckpointKind.OFFBOARDING, status=status,
                      created_at=iso(at), updated_at=iso(at), channel_name="web", channel_reference="r", owner="web",
                      request_key="k", policy_version="v", customer_id=ME, **more)


def plan(b, cp, channel=True):
    return plan_of(b, cp, policy=POLICY, rules=RULES, review_timeout=REVIEW, for_channel=channel)


def steps(p) -> dict:
    return {s.name: s for s in p.steps}


# --- settlement -------------------------------------------------------------------------------

@pytest.mark.parametrize("balance, interest, fees, currency, expected", [
    ("120.50", "0.35", "2.00", "EUR", "118.85"),  # interest credited, a closing fee taken
    ("-50.00", "0", "5.00", "EUR", "-55.00"),  # an overdraft plus a fee: owed
    ("-50.00", "-1.20", "0", "GBP", "-51.20"),  # debit interest on an overdraft
    ("10.00", "-0.125", "0", "EUR", "9.88"),  # half-even: 9.875 -> 9.88
    ("10.00", "-0.135", "0", "EUR", "9.86"),  # half-even: 9.865 -> 9.86
    ("15000", "12.4", "220", "JPY", "14792"),  # no minor unit
    ("100.125", "0.0005", "1.000", "KWD", "99.126"),  # three decimals: 99.1255 -> 99.126
    ("2.00", "0", "2.00", "EUR", "0.00"),
])
def test_settlement_is_balance_plus_accrued_interest_minus_fees_in_the_currencys_minor_unit(
        balance, interest, fees, currency, expected):
    assert str(settlement_amount(account(balance=balance, interest=interest, fees=fees, currency=currency),
                                 POLICY)) == expected


def test_each_account_settles_in_its_own_currency_with_its_outcome_and_a_masked_payout_iban():
    req = request(account("eur", "120.50", "0.35", "2.00"), account("sek", "-300.00", "0", "0", "SEK"),
                  account("gbp", "5.00", "0", "5.00", "GBP"), payout_iban="DE89370400440532013000")
    lines = {s.account_id: s for s in basis(req).settlement}
    assert [(lines[a].amount, lines[a].currency, lines[a].outcome) for a in ("eur", "sek", "gbp")] == [
        ("118.85", "EUR", Outcome.PAY_OUT), ("-300.00", "SEK", Outcome.OWED), ("0.00", "GBP", Outcome.NIL)]
    assert lines["eur"].payout_iban == "DE**3000" and lines["sek"].payout_iban is None
    assert (lines["eur"].balance, lines["eur"].accrued_interest, lines["eur"].fees_due) == ("120.50", "0.35", "2.00")


def test_a_frozen_customer_is_never_paid_out():
    lines = basis(request(account(balance="800.00")), frozen=True).settlement
    assert [(s.amount, s.outcome, s.payout_iban) for s in lines] == [("800.00", Outcome.WITHHELD, None)]


# --- notice -----------------------------------------------------------------------------------

def bank(*accounts, at=T0, **more):
    return request(*accounts, reason="bank.de_banking.risk_appetite", requested_by=RequestedBy.BANK, at=at, **more)


def test_eu_notice_is_two_months_from_the_request_clamped_at_month_end():
    current = notice(bank(account(opened_on=date(2019, 3, 1))), "NOR", POLICY)
    assert (current.given_at, current.ends_at) == ("2026-12-01T10:00:00.000Z", "2027-02-01T10:00:00.000Z")
    assert current.accounts[0].rule == "eu-psd2-55" and current.accounts[0].period == "2 months"
    new_years_eve = datetime(2026, 12, 31, 16, 0, tzinfo=UTC)
    basic = notice(bank(account(type=AccountType.BASIC, opened_on=date(2021, 1, 1)), at=new_years_eve), "SWE", POLICY)
    assert basic.ends_at == "2027-02-28T16:00:00.000Z" and basic.accounts[0].rule == "eu-pad-19-basic"


def test_uk_notice_is_90_days_only_for_contracts_made_from_28_april_2026():
    old = account("old", opened_on=date(2025, 1, 10), jurisdiction="UK")
    eve = account("eve", opened_on=date(2026, 4, 27), jurisdiction="UK")
    new = account("new", opened_on=date(2026, 4, 28), jurisdiction="UK")
    terms = notice(bank(old, eve, new), "NOR", POLICY)
    by_account = {t.account_id: (t.rule, t.period, t.ends_at) for t in terms.accounts}
    assert by_account == {"old": ("uk-psrs-51", "2 months", "2027-02-01T10:00:00.000Z"),
                          "eve": ("uk-psrs-51", "2 months", "2027-02-01T10:00:00.000Z"),
                          "new": ("uk-psrs-51-2026", "90 days", "2027-03-01T10:00:00.000Z")}
    assert terms.ends_at == "2027-03-01T10:00:00.000Z"  # the relationship closes when the longest notice ends


def test_a_customer_living_in_the_uk_gets_uk_rules_unless_the_account_says_otherwise():
    assert notice(bank(account(opened_on=date(2026, 6, 1))), "GBR", POLICY).accounts[0].rule == "uk-psrs-51-2026"
    assert notice(bank(account(opened_on=date(2026, 6, 1), jurisdiction="EU")), "GBR", POLICY).accounts[0].rule == \
        "eu-psd2-55"


def test_closing_without_notice_only_on_a_ground_every_accounts_rule_lists():
    immediate = notice(bank(account(opened_on=date(2020, 1, 1)), immediate_ground="cdd_not_possible"), "NOR", POLICY)
    assert immediate.ends_at == immediate.given_at == "2026-12-01T10:00:00.000Z"
    basic = account("basic", type=AccountType.BASIC, opened_on=date(2020, 1, 1))
    current = account("current", opened_on=date(2020, 1, 1))
    with pytest.raises(NotAnImmediateGround) as refused:
        notice(bank(basic, current, immediate_ground="illegal_use"), "NOR", POLICY)
    assert refused.value.account_ids == ("current",)  # PAD Art. 19 lists it for basic accounts only


def test_no_notice_for_a_customers_own_closure_or_a_succession():
    assert notice(request(), "NOR", POLICY) is None
    assert notice(succession_request(), "NOR", POLICY) is None


# --- the plan as it stands --------------------------------------------------------------------

def test_a_customers_closure_is_planned_a_day_ahead_and_settled_the_next_business_day():
    req = request(account(cards=("card-7",)), payout_iban="DE89370400440532013000")
    p = plan(basis(req), checkpoint())
    assert p.close_by == "2026-12-02T10:00:00.000Z"  # requested + close_hours (24)
    by_name = steps(p)
    assert list(by_name) == ["rescreen", "settlement", "close"]
    assert (by_name["rescreen"].status, by_name["rescreen"].expected_by) == (StepStatus.IN_PROGRESS,
                                                                             "2026-12-01T10:15:00.000Z")
    assert by_name["settlement"].expected_by == "2026-12-03T10:00:00.000Z"
    assert [(a.kind, a.id, a.ends_at) for a in p.access_ends] == [
        ("account", "acc-1", "2026-12-02T10:00:00.000Z"), ("card", "card-7", "2026-12-02T10:00:00.000Z"),
        ("online_access", "online_banking", "2026-12-02T10:00:00.000Z")]


def test_a_review_moves_the_dates_and_the_plan_says_so():
    review_since = T0 + timedelta(minutes=3)
    cp = checkpoint(CheckpointStatus.IN_REVIEW, review_level=1, review_since=iso(review_since),
                    steps={n: Step(name=n, verdict=Verdict.REVIEW, finished_at=iso(T0 + timedelta(minutes=2)))
                           for n in ("screening", "exit_risk")})
    p = plan(basis(request()), cp)
    assert p.state == "in_review" and "review" in p.summary
    review = steps(p)["review"]
    assert (review.status, review.expected_by) == (StepStatus.IN_PROGRESS, "2026-12-04T10:03:00.000Z")
    assert steps(p)["rescreen"].status is StepStatus.DONE and p.close_by == "2026-12-04T10:03:00.000Z"
    assert steps(p)["settlement"].expected_by == "2026-12-07T10:03:00.000Z"  # Friday + 1 business day


def test_a_blocked_closure_says_so_and_stops_every_step():
    decided = iso(T0 + timedelta(minutes=5))
    cp = checkpoint(CheckpointStatus.CLOSURE_BLOCKED,
                    steps={"screening": Step(name="screening", verdict=Verdict.REJECT, finished_at=decided),
                           "exit_risk": Step(name="exit_risk", verdict=Verdict.PASS, finished_at=decided)},
                    decision=Decision(outcome=CheckpointStatus.CLOSURE_BLOCKED, decided_by="policy",
                                      decided_at=decided, reasons=(Reason(code="SANCTIONS_MATCH"),)))
    p = plan(basis(request()), cp)
    assert p.state == "blocked" and "cannot go ahead" in p.summary
    assert {s.name: s.status for s in p.steps} == {"rescreen": StepStatus.BLOCKED, "settlement": StepStatus.BLOCKED,
                                                   "close": StepStatus.BLOCKED}


def test_a_closed_plan_shows_when_it_closed_and_counts_retention_from_then():
    closed_at = datetime(2026, 12, 1, 10, 9, tzinfo=UTC)
    cp = checkpoint(CheckpointStatus.CLOSED, decision=Decision(outcome=CheckpointStatus.CLOSED, decided_by="policy",
                                                               decided_at=iso(closed_at)))
    p = plan(basis(request(soft_exit=SoftExit.STATEMENTS_ACCESS)), cp)
    assert p.state == "closed" and steps(p)["close"].done_at == "2026-12-01T10:09:00.000Z"
    assert steps(p)["settlement"].expected_by == "2026-12-02T10:09:00.000Z"
    data = {d.record_class.value: (d.kept_until, d.rule) for d in p.data_after_closure}
    assert data["cdd_identity"] == (date(2031, 12, 1), "eu-cdd-identity")  # AMLD Art. 40: 5 years after the end
    assert data["marketing_consent"] == (date(2026, 12, 1), "eu-marketing-consent-at-end")
    assert data["export_packages"] == (date(2026, 12, 31), "eu-export-packages")
    assert p.statements_until == date(2027, 12, 1)  # statements access: 12 months
    online = next(a for a in p.access_ends if a.kind == "online_access")
    assert online.read_only_until == date(2027, 12, 1)


def test_a_downgrade_keeps_a_basic_account_and_starts_no_retention_clock():
    req = request(account("cur", "40.00"), account("sav", "1000.00", type=AccountType.SAVINGS),
                  soft_exit=SoftExit.BASIC_ACCOUNT)
    b = basis(req)
    assert b.kept_account_id == "cur"
    assert {s.account_id: s.outcome for s in b.settlement} == {"cur": Outcome.TO_BASIC_ACCOUNT,
                                                               "sav": Outcome.TO_BASIC_ACCOUNT}
    cp = checkpoint(CheckpointStatus.DOWNGRADED, decision=Decision(outcome=CheckpointStatus.DOWNGRADED,
                                                                   decided_by="customer", decided_at=iso(T0)))
    p = plan(b, cp)
    assert p.state == "downgraded" and "cur" in p.summary
    assert {a.id: a.ends_at for a in p.access_ends} == {"cur": None, "sav": "2026-12-01T10:00:00.000Z"}
    assert all(d.kept_until is None for d in p.data_after_closure if d.rule.endswith("cdd-identity"))


def test_the_notice_period_step_runs_to_the_notice_end():
    req = bank(account(opened_on=date(2020, 1, 1)))
    b = basis(req)
    history = (StatusChange(status=CheckpointStatus.RUNNING, at=iso(T0)),
               StatusChange(status=CheckpointStatus.NOTICE_PERIOD, at=iso(T0 + timedelta(minutes=1))))
    p = plan(b, checkpoint(CheckpointStatus.NOTICE_PERIOD, status_history=history))
    assert p.state == "notice_period"
    notice_step = steps(p)["notice_period"]
    assert (notice_step.status, notice_step.expected_by) == (StepStatus.IN_PROGRESS, "2027-02-01T10:00:00.000Z")
    assert p.close_by == "2027-02-01T10:00:00.000Z" and steps(p)["settlement"].expected_by == "2027-02-02T10:00:00.000Z"
    assert p.reason.stated_reason.startswith("The bank has reviewed")  # reasons are given (PSRs reg. 51B, PAD Art. 19)
    ended = history + (StatusChange(status=CheckpointStatus.RUNNING, at="2027-02-01T10:00:02.000Z"),)
    after = plan(b, checkpoint(status_history=ended))
    assert (steps(after)["notice_period"].status, steps(after)["notice_period"].done_at) == (
        StepStatus.DONE, "2027-02-01T10:00:02.000Z")


def test_the_reason_is_withheld_from_the_channel_when_a_suspicion_was_reported():
    b = basis(bank(account(opened_on=date(2020, 1, 1)), suspicion_reported=True))
    assert plan(b, checkpoint(), channel=True).reason is None
    for_officer = plan(b, checkpoint(), channel=False).reason
    assert for_officer.withheld and "333A" in for_officer.withheld_because
    assert plan(basis(bank(account(opened_on=date(2020, 1, 1)))), checkpoint()).reason.withheld is False


# --- win-back ---------------------------------------------------------------------------------

def test_a_competitor_price_closure_is_offered_the_fee_waiver_and_the_answer_shows():
    b = basis(request(reason="competitor.price"))
    assert (b.win_back.offer, b.win_back.timeout_hours) == ("fee_waiver", 72)
    offered_at = T0 + timedelta(minutes=4)
    state = WinBackState(offer="fee_waiver", offered_at=iso(offered_at), expires_at=iso(offered_at + timedelta(hours=72)))
    waiting = plan(b, checkpoint(CheckpointStatus.WIN_BACK_OFFERED, win_back=state))
    assert waiting.state == "offer_made" and steps(waiting)["win_back"].status is StepStatus.WAITING
    assert steps(waiting)["win_back"].expected_by == "2026-12-04T10:04:00.000Z"
    accepted = state.model_copy(update={"answer": "accept", "answered_at": iso(offered_at + timedelta(hours=1))})
    stayed = plan(b, checkpoint(CheckpointStatus.STAYED, win_back=accepted,
                                decision=Decision(outcome=CheckpointStatus.STAYED, decided_by="customer",
                                                  decided_at=iso(offered_at + timedelta(hours=1)))))
    assert stayed.state == "stayed" and stayed.win_back.answer == "accept" and stayed.access_ends == ()
    assert {s.name: s.status for s in stayed.steps if s.name in ("settlement", "close")} == {
        "settlement": StepStatus.SKIPPED, "close": StepStatus.SKIPPED}
    assert basis(request(reason="external.relocation")).win_back is None
    assert basis(bank(account(opened_on=date(2020, 1, 1)))).win_back is None


# --- linked services --------------------------------------------------------------------------

def _monthly(name: str, amount: str, day: int, direction=Direction.DEBIT, **more) -> list[Transaction]:
    return [Transaction(transaction_id=f"{name}-{m}", booked_at=datetime(2026, m, day, 8, tzinfo=UTC),
                        amount=Decimal(amount), currency="EUR", direction=direction,
                        counterparty=Counterparty(name=name), **more) for m in range(6, 12)]


def test_listed_and_detected_services_merge_with_what_to_do_and_the_switching_service():
    history = _monthly("Employer AS", "3200.00", 25, Direction.CREDIT) + \
        _monthly("Streamio", "12.99", 5, method=PaymentMethod.CARD)
    req = request(linked_services=(LinkedService(type=LinkedServiceType.SALARY, counterparty="EMPLOYER AS",
                                                 reference="SAL-1"),
                                   LinkedService(type=LinkedServiceType.DIRECT_DEBIT, counterparty="Water Board",
                                                 reference="DD-9")))
    b = with_detected(basis(req), req, detect(history, T0, POLICY.linked_services.detection), POLICY)
    services = {s.counterparty: s for s in b.linked_services}
    assert set(services) == {"EMPLOYER AS", "Water Board", "Streamio"}
    salary = services["EMPLOYER AS"]
    assert (salary.source, salary.cadence, salary.last_seen, salary.typical_amount) == (
        "both", "monthly", date(2026, 11, 25), "3200.00")
    assert "Art. 10" in salary.switching
    assert (services["Water Board"].source, services["Water Board"].cadence) == ("listed", None)
    assert (services["Streamio"].source, services["Streamio"].type, services["Streamio"].switching) == (
        "detected", LinkedServiceType.SUBSCRIPTION, None)
    uk = with_detected(basis(req, country="GBR"), req, (), POLICY)
    assert "Current Account Switch Service" in uk.linked_services[0].switching


# --- succession -------------------------------------------------------------------------------

def succession_request():
    return request(account("sole", "2500.00", cards=("card-1",)), account("joint", "900.00", holders=(ME, PARTNER)),
                   reason="bank.succession", requested_by=RequestedBy.BANK, payout_iban="DE89370400440532013000",
                   succession=Succession(date_of_death=date(2026, 11, 20),
                                         representative=Representative(name="Astrid Holm", capacity="executor")))


def test_a_succession_stops_everything_at_once_and_the_joint_account_passes_to_the_survivor():
    b = basis(succession_request())
    assert b.succession and b.required_documents == ("death_certificate", "representative_authority")
    assert {s.account_id: s.outcome for s in b.settlement} == {"sole": Outcome.PAY_OUT,
                                                               "joint": Outcome.TO_SURVIVING_HOLDERS}
    p = plan(b, checkpoint(CheckpointStatus.AWAITING_DOCUMENTS), channel=False)
    assert p.state == "waiting_for_documents" and steps(p)["documents"].status is StepStatus.WAITING
    assert steps(p)["documents"].expected_by == "2027-03-01T10:00:00.000Z"  # 90 days for the documents
    assert p.close_by == "2027-03-04T10:15:00.000Z"  # then the checks (15 min) and the review (72 h)
    arrived = plan(b, checkpoint(documents_completed_at=iso(T0 + timedelta(days=1))), channel=False)
    assert (steps(arrived)["documents"].status, arrived.close_by) == (StepStatus.DONE, "2026-12-05T10:15:00.000Z")
    assert {(a.kind, a.id): a.ends_at for a in p.access_ends} == {
        ("account", "sole"): "2026-12-01T10:00:00.000Z", ("card", "card-1"): "2026-12-01T10:00:00.000Z",
        ("account", "joint"): None, ("online_access", "online_banking"): "2026-12-01T10:00:00.000Z"}
    assert [a.account_id for a in p.succession.passes_to_surviving_holders] == ["joint"]
    assert p.succession.passes_to_surviving_holders[0].other_holders == (PARTNER,)
    assert "Recital 27" in p.succession.disclosure
    channel = plan(b, checkpoint(CheckpointStatus.AWAITING_DOCUMENTS), channel=True)
    assert channel.final_settlement is None and channel.linked_services is None


def test_business_days_skip_the_weekend():
    friday = datetime(2026, 12, 4, 17, 0, tzinfo=UTC)
    assert add_business_days(friday, 1) == datetime(2026, 12, 7, 17, 0, tzinfo=UTC)
    assert add_business_days(friday + timedelta(days=1), 1) == datetime(2026, 12, 8, 17, 0, tzinfo=UTC)
    assert add_business_days(friday, 0) == friday


def test_the_policy_file_is_consistent():
    assert POLICY.canonical_reason("relocation") == "external.relocation"
    assert POLICY.canonical_reason("competitor") == "competitor.price"
    assert POLICY.canonical_reason("deceased") == "bank.succession"
    assert POLICY.canonical_reason("no.such") is None
    assert {code.split(".")[0] for code in POLICY.reasons} == {"dissatisfaction", "competitor", "external", "other",
                                                               "bank"}
    assert all(rule.source for types in POLICY.notice.values() for rules in types.values() for rule in rules)
