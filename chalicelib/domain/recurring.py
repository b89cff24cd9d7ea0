"""Linked services found in the transaction history: the recurring credits (salary, pension,
benefits) and debits (direct debits, standing orders, card subscriptions) that hang on the
account, detected from their regularity and amounts. Pure: no I/O.

A series is the payments with one counterparty (its IBAN, else its normalised name), in one
direction and currency, over the policy's look-back window before the request. It is recurring
at a cadence (weekly, monthly, quarterly, yearly) when
- it has at least `min_occurrences` payments;
- every gap between two payments is a whole number k >= 1 of the cadence's period, within
  k x its tolerance (month lengths, weekends and bank holidays move a payment by days), and the
  periods it skipped (k - 1 summed) are at most `max_missed` (a month without the payment);
- its amounts stay within `amount_tolerance` of the series' median, at most
  `max_amount_outliers` beyond it (a bonus month, a price change);
- its last payment is no more than `due_grace_periods` periods before the request (a
  subscription cancelled months ago no longer hangs on the account).
The shortest cadence that fits wins. Kinds: a credit is a pension or benefits when its
counterparty holds one of the policy's words, else salary; a debit is what its payment method
says (card: a card subscription), and without one a standing order when it goes to an IBAN for
the same amount each time, a direct debit when it goes to an IBAN for varying amounts, and a card
subscription when no IBAN is known (card merchants have none).
"""
from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from datetime import date, datetime, timedelta
from decimal import Decimal
from statistics import median

from chalicelib.domain.closure import Direction, LinkedServiceType, PaymentMethod, Transaction
from chalicelib.domain.closure_policy import Cadence, Detection
from chalicelib.domain.exit_risk import payee_key
from chalicelib.domain.models import Frozen
from chalicelib.domain.screening.normalise import normalise_name

_DAY = 86400.0
_METHOD_KINDS = {PaymentMethod.DIRECT_DEBIT: LinkedServiceType.DIRECT_DEBIT,
                 PaymentMethod.STANDING_ORDER: LinkedServiceType.STANDING_ORDER,
                 PaymentMethod.TRANSFER: LinkedServiceType.STANDING_ORDER,
                 PaymentMethod.CARD: LinkedServiceType.SUBSCRIPTION}


class RecurringSeries(Frozen):
    """One detected linked service."""

    type: LinkedServiceType
    direction: Direction
    counterparty: str  # as last booked
    cadence: str  # a cadence name of the policy (weekly, monthly, ...)
    occurrences: int
    missed: int  # periods skipped inside the series
    typical_amount: Decimal  # the median
    last_amount: Decimal
    currency: str
    first_seen: date
    last_seen: date
    next_expected: date
    transaction_ids: tuple[str, ...]


def detect(transactions: Iterable[Transaction], as_of: datetime, rules: Detection) -> list[RecurringSeries]:
    """Every recurring series in the history up to `as_of` (aware), newest last payment first."""
    if as_of.tzinfo is None:
        raise ValueError("as_of must be timezone-aware")
    since = as_of - timedelta(days=rules.lookback_days)
    groups: dict[tuple[Direction, tuple[str, str], str], list[Transaction]] = defaultdict(list)
    for t in transactions:
        if since <= t.booked_at <= as_of:
            groups[(t.direction, payee_key(t), t.currency)].append(t)
    cadences = sorted(rules.cadences.items(), key=lambda item: item[1].days)
    found = []
    for (direction, _, currency), series in groups.items():
        series.sort(key=lambda t: (t.booked_at, t.transaction_id))
        if len(series) < rules.min_occurrences or not _steady_amounts(series, rules):
            continue
        for name, cadence in cadences:
            missed = _missed_periods(series, cadence)
            if missed is None or missed > rules.max_missed:
                continue
            last = series[-1].booked_at
            if (as_of - last).total_seconds() > rules.due_grace_periods * cadence.days * _DAY:
                break  # it stopped: not a service that will follow the customer
            found.append(RecurringSeries(
                type=_kind(series, direction, rules), direction=direction, counterparty=series[-1].counterparty.name,
                cadence=name, occurrences=len(series), missed=missed,
                typical_amount=median(t.amount for t in series), last_amount=series[-1].amount, currency=currency,
                first_seen=series[0].booked_at.date(), last_seen=last.date(),
                next_expected=(last + timedelta(days=cadence.days)).date(),
                transaction_ids=tuple(t.transaction_id for t in series)))
            break
    return sorted(found, key=lambda s: (s.last_seen, s.counterparty), reverse=True)


def _missed_periods(series: Sequence[Transaction], cadence: Cadence) -> int | None:
    """The periods skipped between the payments if every gap is a whole number of periods
    (within tolerance); None if some gap is not."""
    missed = 0
    for earlier, later in zip(series, series[1:]):
        gap = (later.booked_at - earlier.booked_at).total_seconds() / _DAY
        periods = round(gap / cadence.days)
        if periods < 1 or abs(gap - periods * cadence.days) > periods * cadence.tolerance_days:
            return None
        missed += periods - 1
    return missed


def _steady_amounts(series: Sequence[Transaction], rules: Detection) -> bool:
    middle = median(t.amount for t in series)
    limit = middle * Decimal(str(rules.amount_tolerance))
    return sum(abs(t.amount - middle) > limit for t in series) <= rules.max_amount_outliers


def _kind(series: Sequence[Transaction], direction: Direction, rules: Detection) -> LinkedServiceType:
    if direction is Direction.CREDIT:
        words = set(normalise_name(series[-1].counterparty.name).split())
        for kind in (LinkedServiceType.PENSION, LinkedServiceType.BENEFITS):
            if any(set(normalise_name(k).split()) <= words for k in rules.keywords.get(kind, ())):
                return kind
        return LinkedServiceType.SALARY
    methods = {t.method for t in series if t.method is not None}
    if len(methods) == 1:
        return _METHOD_KINDS[methods.pop()]
    if series[-1].counterparty.iban:
        same = len({t.amount for t in series}) == 1
        return LinkedServiceType.STANDING_ORDER if same else LinkedServiceType.DIRECT_DEBIT
    return LinkedServiceType.SUBSCRIPTION
