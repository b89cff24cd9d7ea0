"""Linked services found in the history (chalicelib/domain/recurring.py): each case states the
series it is built from and the cadence, kind, dates and amount that must come out."""
from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from chalicelib.domain.closure import Counterparty, Direction, LinkedServiceType, PaymentMethod, Transaction
from chalicelib.domain.recurring import detect
from chalicelib.policies import closure_policy

RULES = closure_policy().linked_services.detection
AS_OF = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)


def tx(when: datetime | date, amount: str, direction=Direction.DEBIT, name="Streamio", iban=None, method=None,
       tid=None) -> Transaction:
    booked = when if isinstance(when, datetime) else datetime(when.year, when.month, when.day, 9, 30, tzinfo=UTC)
    return Transaction(transaction_id=tid or f"{name}-{booked.date()}-{amount}", booked_at=booked,
                       amount=Decimal(amount), currency="EUR", direction=direction,
                       counterparty=Counterparty(name=name, iban=iban), method=method)


def last_business_day(year: int, month: int) -> date:
    """Salary day: the last working day of the month (irregular gaps: 28 to 33 days)."""
    day = (date(year + month // 12, month % 12 + 1, 1) - timedelta(days=1))
    while day.weekday() >= 5:
        day -= timedelta(days=1)
    return day


def months_back(n: int) -> list[tuple[int, int]]:
    """(year, month) of the n months before AS_OF's month, oldest first."""
    out, year, month = [], 2026, 12
    for _ in range(n):
        year, month = (year - 1, 12) if month == 1 else (year, month - 1)
        out.append((year, month))
    return out[::-1]


def test_a_salary_on_the_last_business_day_is_monthly_whatever_the_month_lengths():
    days = [last_business_day(y, m) for y, m in months_back(12)]  # December 2025 to November 2026
    gaps = {(b - a).days for a, b in zip(days, days[1:])}
    assert min(gaps) == 28 and max(gaps) == 32  # the test really has irregular months (30 Jan -> 27 Feb -> 31 Mar)
    found = detect([tx(d, "3200.00", Direction.CREDIT, "Nordvik Engineering AS") for d in days], AS_OF, RULES)
    assert len(found) == 1
    salary = found[0]
    assert (salary.type, salary.cadence, salary.occurrences, salary.missed) == (LinkedServiceType.SALARY, "monthly", 12, 0)
    assert (salary.first_seen, salary.last_seen) == (date(2025, 12, 31), date(2026, 11, 30))
    assert salary.next_expected == date(2026, 12, 30)  # last seen + 30.44 days
    assert salary.typical_amount == Decimal("3200.00")


def test_a_subscription_whose_price_drifts_is_still_one_monthly_card_subscription():
    prices = ["9.99", "9.99", "10.49", "10.49", "10.99", "11.49"]  # +15 % over the half year
    series = [tx(date(y, m, 3), price, method=PaymentMethod.CARD) for (y, m), price in zip(months_back(6), prices)]
    [found] = detect(series, AS_OF, RULES)
    assert (found.type, found.cadence, found.occurrences) == (LinkedServiceType.SUBSCRIPTION, "monthly", 6)
    assert (found.typical_amount, found.last_amount, found.last_seen) == (Decimal("10.49"), Decimal("11.49"),
                                                                         date(2026, 11, 3))


def test_a_skipped_month_is_tolerated_once_but_not_twice():
    months = months_back(8)
    once = [tx(date(y, m, 15), "45.00", name="Power Co", iban="DE89370400440532013000")
            for (y, m) in months if (y, m) != (2026, 8)]
    [found] = detect(once, AS_OF, RULES)
    assert (found.cadence, found.missed, found.occurrences) == ("monthly", 1, 7)
    twice = [t for t in once if t.booked_at.month != 6]
    assert detect(twice, AS_OF, RULES) == []


def test_a_direct_debit_of_varying_amounts_to_an_iban_and_a_standing_order_of_one_amount():
    months = months_back(6)
    bills = ["61.20", "58.90", "66.10", "72.40", "63.00", "59.80"]
    energy = [tx(date(y, m, 2), amount, name="Power Co", iban="DE89370400440532013000")
              for (y, m), amount in zip(months, bills)]
    rent = [tx(date(y, m, 1), "950.00", name="Landlord Berg", iban="NO9386011117947") for (y, m) in months]
    kinds = {s.counterparty: (s.type, s.cadence) for s in detect(energy + rent, AS_OF, RULES)}
    assert kinds == {"Power Co": (LinkedServiceType.DIRECT_DEBIT, "monthly"),
                     "Landlord Berg": (LinkedServiceType.STANDING_ORDER, "monthly")}


def test_the_payment_method_when_known_decides_the_kind():
    months = months_back(4)
    series = [tx(date(y, m, 20), "30.00", name="Gym Norte", iban="ES9121000418450200051332",
                 method=PaymentMethod.DIRECT_DEBIT) for (y, m) in months]
    assert [s.type for s in detect(series, AS_OF, RULES)] == [LinkedServiceType.DIRECT_DEBIT]


@pytest.mark.parametrize("name, kind", [("Pensionsmyndigheten", LinkedServiceType.PENSION),
                                        ("Acme Pensions Ltd", LinkedServiceType.PENSION),
                                        ("DWP Universal Credit", LinkedServiceType.BENEFITS),
                                        ("Familienkasse Kindergeld", LinkedServiceType.BENEFITS),
                                        ("Fjord Logistics AS", LinkedServiceType.SALARY)])
def test_recurring_credits_are_pensions_or_benefits_by_the_payers_name_else_salary(name, kind):
    series = [tx(date(y, m, 10), "1200.00", Direction.CREDIT, name) for (y, m) in months_back(4)]
    assert [s.type for s in detect(series, AS_OF, RULES)] == [kind]


def test_weekly_quarterly_and_yearly_cadences():
    weekly = [tx(AS_OF - timedelta(days=7 * k + 1), "25.00", Direction.CREDIT, "Cafe Payroll") for k in range(6)]
    quarterly = [tx(date(2026, m, 5), "120.00", name="Insurer Q", iban="FR1420041010050500013M02606")
                 for m in (2, 5, 8, 11)]
    yearly = [tx(date(y, 10, 1), "89.00", name="Domain Registrar", method=PaymentMethod.CARD) for y in (2024, 2025, 2026)]
    found = {s.counterparty: s.cadence for s in detect(weekly + quarterly + yearly,
                                                       AS_OF, RULES.model_copy(update={"lookback_days": 1000}))}
    assert found == {"Cafe Payroll": "weekly", "Insurer Q": "quarterly", "Domain Registrar": "yearly"}


def test_what_stopped_or_never_repeated_is_not_a_linked_service():
    cancelled = [tx(date(2026, m, 3), "12.99", method=PaymentMethod.CARD) for m in (3, 4, 5, 6)]  # last in June
    two = [tx(date(2026, m, 8), "50.00", name="Only Twice") for m in (10, 11)]
    erratic = [tx(date(2026, m, d), "20.00", name="Corner Shop") for m, d in ((6, 1), (6, 19), (7, 30), (9, 2))]
    bonus_too_often = [tx(date(y, m, 25), amount, Direction.CREDIT, "Sales Ltd")
                       for (y, m), amount in zip(months_back(5), ["2000.00", "5200.00", "2000.00", "6100.00", "2000.00"])]
    future = [tx(AS_OF + timedelta(days=30 * k + 1), "5.00", name="Later") for k in range(4)]
    assert detect(cancelled + two + erratic + bonus_too_often + future, AS_OF, RULES) == []


def test_one_outlier_amount_is_tolerated():
    amounts = ["2000.00", "2000.00", "4500.00", "2000.00", "2000.00"]  # a bonus month
    series = [tx(date(y, m, 25), amount, Direction.CREDIT, "Sales Ltd") for (y, m), amount in zip(months_back(5), amounts)]
    [salary] = detect(series, AS_OF, RULES)
    assert (salary.typical_amount, salary.occurrences) == (Decimal("2000.00"), 5)


def test_a_naive_clock_is_refused():
    with pytest.raises(ValueError):
        detect([], datetime(2026, 12, 1), RULES)


@given(day=st.integers(min_value=1, max_value=28), jitter=st.lists(st.integers(min_value=-2, max_value=2),
                                                                     min_size=6, max_size=6))
def test_a_monthly_payment_moved_two_days_either_way_is_always_monthly(day, jitter):
    series = [tx(date(y, m, day) + timedelta(days=j), "19.90", method=PaymentMethod.CARD)
              for (y, m), j in zip(months_back(6), jitter)]
    series = [t for t in series if t.booked_at <= AS_OF]
    found = detect(series, AS_OF, RULES)
    assert [(s.cadence, s.occurrences) for s in found] == [("monthly", len(series))]
