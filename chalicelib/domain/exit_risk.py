"""Exit-risk checks run when a customer closes the relationship. Pure: no I/O.

Each check reads the closure request, the customer's transaction history and the exit-risk
policy (policies/exit_risk.yaml) and reports a `Finding`: a stable code, whether it is a red
flag that sends the closure to manual review, and evidence made of ids, amounts, counts and
dates. Evidence never holds counterparty names or full IBANs (an IBAN shows as "DE**1234").

Conventions shared by every check:
- transactions booked after `requested_at` are ignored; timestamps must be timezone-aware
  (a naive one raises ValueError) and are reported as UTC ISO-8601;
- a window of N days is [requested_at - N days, requested_at], both ends included: a debit
  booked exactly N days before the request is inside it;
- amounts are Decimals compared within one currency, never converted or summed across
  currencies; evidence shows them as "<decimal> <currency>".
"""
from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Annotated

from pydantic import Field, StringConstraints, field_validator, model_validator

from chalicelib.domain.checkpoint import iso
from chalicelib.domain.closure import Account, ClosureRequest, Direction, LinkedServiceType, Transaction
from chalicelib.domain.decisions import SourcedValue
from chalicelib.domain.exit_risk_findings import EvidenceValue, Finding
from chalicelib.domain.models import Frozen, Verdict
from chalicelib.domain.screening.normalise import normalise_name

LARGE_OUTFLOW = "LARGE_OUTFLOW"
NEW_PAYEE_TRANSFER = "NEW_PAYEE_TRANSFER"
DEBIT_BALANCE = "DEBIT_BALANCE"
JOINT_ACCOUNT = "JOINT_ACCOUNT"
CREDIT_BALANCE = "CREDIT_BALANCE"
LINKED_SERVICES = "LINKED_SERVICES"
CODES = (LARGE_OUTFLOW, NEW_PAYEE_TRANSFER, DEBIT_BALANCE, JOINT_ACCOUNT, CREDIT_BALANCE, LINKED_SERVICES)
INFORMATIONAL = frozenset({CREDIT_BALANCE, LINKED_SERVICES})  # never red flags, whatever the policy

MAX_LISTED_DEBITS = 10
_CENT = Decimal("0.01")

CurrencyCode = Annotated[str, StringConstraints(pattern=r"^[A-Z]{3}$")]
Amount = Annotated[Decimal, Field(ge=0, allow_inf_nan=False)]
Days = Annotated[int, Field(gt=0, le=3660)]


# --- policy -------------------------------------------------------------------------------

class PerCurrency(Frozen):
    """An amount per ISO 4217 currency, `default` for any other one (never converted)."""

    default: Amount
    currencies: Mapping[CurrencyCode, Amount] = Field(default_factory=dict)

    def of(self, currency: str) -> Decimal:
        return self.currencies.get(currency, self.default)


class Window(SourcedValue):
    days: Days


class AbsoluteOutflow(SourcedValue):
    threshold: PerCurrency

    @field_validator("threshold")
    @classmethod
    def _positive(cls, value: PerCurrency) -> PerCurrency:
        if min(value.default, *value.currencies.values()) <= 0:
            raise ValueError("absolute outflow thresholds must be positive")
        return value


class OutflowRatio(SourcedValue):
    threshold: Annotated[Decimal, Field(gt=0, allow_inf_nan=False)]
    baseline_days: Days
    minimum_window_outflow: PerCurrency


class LargeOutflowRule(Frozen):
    window: Window
    absolute: AbsoluteOutflow
    ratio: OutflowRatio


class NewPayeeRule(SourcedValue):
    first_seen_days: Days
    minimum_amount: PerCurrency


class DebitBalanceRule(SourcedValue):
    tolerance: PerCurrency


class RedFlag(SourcedValue):
    red_flag: bool


class ExitRiskPolicy(Frozen):
    """The exit-risk thresholds and which findings are red flags (policies/exit_risk.yaml)."""

    policy: str
    version: str
    large_outflow: LargeOutflowRule
    new_payee: NewPayeeRule
    debit_balance: DebitBalanceRule
    checks: Mapping[str, RedFlag]

    @model_validator(mode="after")
    def _every_check_listed_once(self) -> ExitRiskPolicy:
        if missing := sorted(set(CODES) - set(self.checks)):
            raise ValueError(f"checks: missing {', '.join(missing)}")
        if unknown := sorted(set(self.checks) - set(CODES)):
            raise ValueError(f"checks: unknown {', '.join(unknown)}")
        if flagged := sorted(code for code in INFORMATIONAL if self.checks[code].red_flag):
            raise ValueError(f"checks: {', '.join(flagged)} are informational and cannot be red flags")
        return self

    def is_red_flag(self, code: str) -> bool:
        return self.checks[code].red_flag


# --- results ------------------------------------------------------------------------------

class ExitRiskAssessment(Frozen):
    """Every exit-risk finding for one closure, under one policy version."""

    policy_version: str
    findings: tuple[Finding, ...]

    @property
    def verdict(self) -> Verdict:
        return Verdict.REVIEW if self.flagged_codes else Verdict.PASS

    @property
    def flagged_codes(self) -> tuple[str, ...]:
        return tuple(f.code for f in self.findings if f.flagged)


# --- checks -------------------------------------------------------------------------------

def large_outflow(request: ClosureRequest, transactions: Sequence[Transaction],
                  policy: ExitRiskPolicy) -> Finding:
    """Debits in the window, per currency: at or above the absolute threshold, or at least
    `ratio.threshold` times the usual outflow (mean per window length over the baseline before
    the window) when they reach the ratio minimum. No baseline debit = unbounded ratio."""
    rule = policy.large_outflow
    history = _history(request, transactions)
    end = request.requested_at
    start = end - timedelta(days=rule.window.days)
    baseline_start = start - timedelta(days=rule.ratio.baseline_days)
    window = [t for t in history if t.direction is Direction.DEBIT and t.booked_at >= start]
    totals = _totals((t.currency, t.amount) for t in window)
    baseline = _totals((t.currency, t.amount) for t in history
                       if t.direction is Direction.DEBIT and baseline_start <= t.booked_at < start)

    def above_ratio(currency: str) -> bool:
        total = totals[currency]
        return (total > 0 and total >= rule.ratio.minimum_window_outflow.of(currency)
                and total * rule.ratio.baseline_days
                >= rule.ratio.threshold * rule.window.days * baseline.get(currency, Decimal(0)))

    absolute = sorted(c for c, total in totals.items() if total >= rule.absolute.threshold.of(c))
    ratio = sorted(c for c in totals if above_ratio(c))
    exceeded = set(absolute) | set(ratio)
    listed = sorted((t for t in window if not exceeded or t.currency in exceeded),
                    key=lambda t: (-t.amount / rule.absolute.threshold.of(t.currency), t.booked_at,
                                   t.transaction_id))[:MAX_LISTED_DEBITS]
    averages = {c: baseline.get(c, Decimal(0)) * rule.window.days / rule.ratio.baseline_days for c in totals}
    if exceeded:
        reasons = [f"{c} reaches the absolute threshold" for c in absolute]
        reasons += [f"{c} reaches {rule.ratio.threshold}x the usual outflow" for c in ratio]
        detail = f"Debits in the {rule.window.days} days before the request: {'; '.join(reasons)}."
    else:
        detail = f"Debits in the {rule.window.days} days before the request stay below every threshold."
    return Finding(
        code=LARGE_OUTFLOW,
        flagged=bool(exceeded) and policy.is_red_flag(LARGE_OUTFLOW),
        detail=detail,
        evidence={
            "window_start": iso(start),
            "window_end": iso(end),
            "baseline_start": iso(baseline_start),
            "totals": {c: _money(total, c) for c, total in totals.items()},
            "baseline_averages": {c: _money(avg.quantize(_CENT), c) for c, avg in averages.items()},
            "ratios": {c: (str((totals[c] / avg).quantize(_CENT)) if avg else "unbounded")
                       for c, avg in averages.items()},
            "absolute_exceeded": absolute,
            "ratio_exceeded": ratio,
            "largest_debit_ids": [t.transaction_id for t in listed],
        },
    )


def new_payee_transfers(request: ClosureRequest, transactions: Sequence[Transaction],
                        policy: ExitRiskPolicy) -> Finding:
    """Debits of at least the minimum amount to payees whose first transaction in the history
    (either direction) falls in the new-payee window. Payee = IBAN, else normalised name."""
    rule = policy.new_payee
    history = _history(request, transactions)
    since = request.requested_at - timedelta(days=rule.first_seen_days)
    first_seen: dict[tuple[str, str], datetime] = {}
    for t in history:
        key = payee_key(t)
        first_seen[key] = min(first_seen.get(key, t.booked_at), t.booked_at)
    hits = sorted((t for t in history
                   if t.direction is Direction.DEBIT and first_seen[payee_key(t)] >= since
                   and t.amount >= rule.minimum_amount.of(t.currency)),
                  key=lambda t: (t.booked_at, t.transaction_id))
    payees = {payee_key(t) for t in hits}
    detail = (f"{len(hits)} debit(s) to {len(payees)} payee(s) first seen in the {rule.first_seen_days} days "
              "before the request." if hits else
              f"No debit of at least the minimum amount to a payee first seen in the {rule.first_seen_days} days "
              "before the request.")
    return Finding(
        code=NEW_PAYEE_TRANSFER,
        flagged=bool(hits) and policy.is_red_flag(NEW_PAYEE_TRANSFER),
        detail=detail,
        evidence={
            "window_start": iso(since),
            "transaction_ids": [t.transaction_id for t in hits],
            "amounts": [_money(t.amount, t.currency) for t in hits],
            "payee_ibans": [mask_iban(iban) if (iban := _iban(t)) else "(no IBAN)" for t in hits],
            "new_payee_count": len(payees),
        },
    )


def debit_balance(request: ClosureRequest, transactions: Sequence[Transaction],
                  policy: ExitRiskPolicy) -> Finding:
    """Accounts whose balance is below minus the tolerance: the customer owes the bank."""
    tolerance = policy.debit_balance.tolerance
    owing = [a for a in request.accounts if a.balance < -tolerance.of(a.currency)]
    return Finding(
        code=DEBIT_BALANCE,
        flagged=bool(owing) and policy.is_red_flag(DEBIT_BALANCE),
        detail=(f"{len(owing)} account(s) with a debit balance beyond the tolerance to settle before closure."
                if owing else "No account has a debit balance beyond the tolerance."),
        evidence=_balances(owing),
    )


def credit_balance(request: ClosureRequest, transactions: Sequence[Transaction],
                   policy: ExitRiskPolicy) -> Finding:
    """Accounts with a positive balance, to be paid out on closure (informational)."""
    positive = [a for a in request.accounts if a.balance > 0]
    totals = _totals((a.currency, a.balance) for a in positive)
    return Finding(
        code=CREDIT_BALANCE,
        flagged=False,
        detail=(f"{len(positive)} account(s) with a positive balance to pay out on closure."
                if positive else "No positive balance to pay out."),
        evidence={**_balances(positive), "totals": {c: _money(total, c) for c, total in totals.items()}},
    )


def joint_account(request: ClosureRequest, transactions: Sequence[Transaction],
                  policy: ExitRiskPolicy) -> Finding:
    """Accounts held with other customers who have not consented to the closure. A deceased
    customer's joint account passes to the surviving holders instead of closing: no consent needed."""
    agreed = {request.customer_id, *request.holder_consents}
    joint = [a for a in request.accounts if set(a.holders) - {request.customer_id}]
    if request.succession is not None:
        agreed |= {h for a in joint for h in a.holders}
    missing = {a.account_id: set(a.holders) - agreed for a in joint}
    blocked = [a.account_id for a in joint if missing[a.account_id]]
    holders = sorted(set().union(*missing.values()))
    if blocked:
        detail = f"{len(blocked)} joint account(s) lack the consent of {len(holders)} other holder(s)."
    elif joint and request.succession is not None:
        detail = f"{len(joint)} joint account(s) pass to the surviving holders."
    elif joint:
        detail = f"{len(joint)} joint account(s); every other holder consented."
    else:
        detail = "No joint account."
    return Finding(
        code=JOINT_ACCOUNT,
        flagged=bool(blocked) and policy.is_red_flag(JOINT_ACCOUNT),
        detail=detail,
        evidence={
            "joint_account_ids": [a.account_id for a in joint],
            "account_ids": blocked,
            "non_consenting_holders": holders,
            "non_consenting_holder_count": len(holders),
        },
    )


def linked_services(request: ClosureRequest, transactions: Sequence[Transaction],
                    policy: ExitRiskPolicy) -> Finding:
    """The salary, direct debits, standing orders, subscriptions and cards that will stop
    (informational). Evidence: references per service type, never the counterparty."""
    grouped: dict[str, list[str]] = {}
    for kind in LinkedServiceType:
        if references := [s.reference for s in request.linked_services if s.type is kind]:
            grouped[kind.value] = references
    services = len(request.linked_services)
    summary = ", ".join(f"{len(refs)} {kind}" for kind, refs in grouped.items())
    return Finding(
        code=LINKED_SERVICES,
        flagged=False,
        detail=f"{services} linked service(s) stop at closure: {summary}." if services
        else "No linked service.",
        evidence={**grouped, "service_count": services},
    )


Check = Callable[[ClosureRequest, Sequence[Transaction], ExitRiskPolicy], Finding]
CHECKS: tuple[Check, ...] = (large_outflow, new_payee_transfers, debit_balance, joint_account,
                             credit_balance, linked_services)


def assess(request: ClosureRequest, transactions: Sequence[Transaction],
           policy: ExitRiskPolicy) -> ExitRiskAssessment:
    """Every exit-risk check, in `CODES` order; REVIEW when any finding is a red flag."""
    _history(request, transactions)  # reject naive timestamps before any check runs
    return ExitRiskAssessment(policy_version=policy.version,
                              findings=tuple(check(request, transactions, policy) for check in CHECKS))


def mask_iban(iban: str) -> str:
    """Country code and last four characters ("DE**1234"); short values keep the country only."""
    compact = "".join(iban.split()).upper()
    return f"{compact[:2]}**{compact[-4:]}" if len(compact) > 8 else f"{compact[:2]}**"


# --- helpers ------------------------------------------------------------------------------

def _history(request: ClosureRequest, transactions: Sequence[Transaction]) -> list[Transaction]:
    """The transactions booked up to the request; raises ValueError on a naive timestamp."""
    _require_aware(request.requested_at, "requested_at")
    for t in transactions:
        _require_aware(t.booked_at, f"transaction {t.transaction_id}: booked_at")
    return [t for t in transactions if t.booked_at <= request.requested_at]


def _require_aware(ts: datetime, what: str) -> None:
    if ts.tzinfo is None or ts.tzinfo.utcoffset(ts) is None:
        raise ValueError(f"{what} must be timezone-aware")


def _totals(amounts: Iterable[tuple[str, Decimal]]) -> dict[str, Decimal]:
    """(currency, amount) pairs summed per currency (never across currencies), in order of first
    appearance."""
    totals: dict[str, Decimal] = defaultdict(Decimal)
    for currency, amount in amounts:
        totals[currency] += amount
    return dict(totals)


def _balances(accounts: Sequence[Account]) -> dict[str, EvidenceValue]:
    return {"account_ids": [a.account_id for a in accounts],
            "balances": [_money(a.balance, a.currency) for a in accounts]}


def _money(amount: Decimal, currency: str) -> str:
    return f"{amount:f} {currency}"


def _iban(t: Transaction) -> str:
    return "".join((t.counterparty.iban or "").split()).upper()


def payee_key(t: Transaction) -> tuple[str, str]:
    """Payee identity: the IBAN when there is one, else the normalised counterparty name."""
    if iban := _iban(t):
        return ("iban", iban)
    return ("name", normalise_name(t.counterparty.name) or t.counterparty.name.strip().casefold())


def relevant_history(request: ClosureRequest, transactions: Iterable[Transaction],
                     policy: ExitRiskPolicy) -> list[Transaction]:
    """The part of a (possibly very long, streamed) history the checks can see a difference in:
    every transaction of the outflow window and its baseline, plus, for each payee, its
    earliest transaction before that (which is all "first seen" needs). The checks give the
    same findings on it as on the whole history, in memory bounded by recent activity and
    the number of payees instead of the history's length."""
    _require_aware(request.requested_at, "requested_at")
    rule = policy.large_outflow
    horizon = request.requested_at - timedelta(days=rule.window.days + rule.ratio.baseline_days)
    horizon = min(horizon, request.requested_at - timedelta(days=policy.new_payee.first_seen_days))
    recent: list[Transaction] = []
    earliest: dict[tuple[str, str], Transaction] = {}
    for t in transactions:
        _require_aware(t.booked_at, f"transaction {t.transaction_id}: booked_at")
        if t.booked_at > request.requested_at:
            continue
        if t.booked_at >= horizon:
            recent.append(t)
            continue
        key = payee_key(t)
        if key not in earliest or t.booked_at < earliest[key].booked_at:
            earliest[key] = t
    return [*earliest.values(), *recent]
