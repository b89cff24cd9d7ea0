"""The closure plan the customer sees: the steps with their status and the date each is expected
by, when access to each account, card and online banking ends, the final settlement of each
account, the linked services to move, and what happens to the data afterwards. Pure: no I/O. The
plan's parts are chalicelib.domain.closure_plan_parts; this module works them out.

Two halves. `plan_basis` fixes, when the closure starts, what the request and the policy decide:
the reason as told to the customer, the notice a bank-initiated closure gives (each account's
rule, by jurisdiction, account type and contract date), the planned closing time, the settlement
of each account, the linked services (the channel's list, merged with what the history shows).
`plan_of` turns that basis and the checkpoint as it stands into the plan shown, so the plan is
always current: statuses from the checkpoint, dates moved by a review or an offer, the real
closing time once closed, and each retention rule's date counted from it.

Conventions: final settlement = balance + accrued interest - fees due, rounded to the
currency's minor unit (ISO 4217) with the policy's rounding, never across currencies; amounts are
decimal strings next to their currency; timestamps UTC ISO-8601 with a Z; dates YYYY-MM-DD; a
payout IBAN shows as its country code and last four characters.
"""
from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import date, datetime, timedelta
from decimal import Decimal

from chalicelib.domain.checkpoint import Checkpoint, CheckpointStatus, iso
from chalicelib.domain.closure import (
    Account,
    ClosureRequest,
    LinkedServiceType,
    PaymentJurisdiction,
    RequestedBy,
    SoftExit,
)
from chalicelib.domain.closure_plan_parts import (
    AccessEnd,
    AccountBasis,
    ClosurePlan,
    DataRule,
    Notice,
    NoticeTerm,
    Outcome,
    PlanBasis,
    PlannedService,
    PlanStep,
    ReasonInfo,
    SettlementLine,
    StepStatus,
    SuccessionPlan,
    WinBackOffer,
    WinBackView,
)
from chalicelib.domain.closure_policy import ClosurePolicy, NoticeRule
from chalicelib.domain.exit_risk import mask_iban
from chalicelib.domain.models import Verdict
from chalicelib.domain.recurring import RecurringSeries
from chalicelib.domain.retention import RecordRef, RuleSet, decide
from chalicelib.domain.retention import Events as RetentionEvents
from chalicelib.domain.screening.normalise import normalise_name

UK_COUNTRY = "GBR"


class NotAnImmediateGround(ValueError):
    """The request names a ground for closing without notice that the rule of some account does
    not list."""

    def __init__(self, ground: str, account_ids: Sequence[str]) -> None:
        super().__init__(f"{ground} is not a ground for closing without notice for account(s) "
                         f"{', '.join(account_ids)} under their notice rule")
        self.account_ids = tuple(account_ids)


def settlement_amount(account: Account, policy: ClosurePolicy) -> Decimal:
    """balance + accrued interest - fees due, rounded to the currency's minor unit."""
    exponent = Decimal(1).scaleb(-policy.minor_units(account.currency))
    return (account.balance + account.accrued_interest - account.fees_due).quantize(
        exponent, rounding=policy.settlement.rounding)


def _text(amount: Decimal) -> str:
    return f"{amount:f}"


def jurisdiction_of(account: Account, customer_country: str) -> PaymentJurisdiction:
    """The account's own, else UK for a customer living in the UK, else the EU."""
    if account.jurisdiction:
        return PaymentJurisdiction(account.jurisdiction)
    return PaymentJurisdiction.UK if customer_country == UK_COUNTRY else PaymentJurisdiction.EU


def notice_rule(account: Account, jurisdiction: PaymentJurisdiction, policy: ClosurePolicy) -> NoticeRule:
    """The first rule for the account's type whose contract date it meets (the last covers all)."""
    rules = policy.notice[jurisdiction][account.type]
    return next(r for r in rules if r.contracts_from is None
                or (account.opened_on is not None and account.opened_on >= r.contracts_from))


def _period_text(rule: NoticeRule) -> str:
    p = rule.period
    parts = [(p.years, "year"), (p.months, "month"), (p.days, "day")]
    return ", ".join(f"{n} {unit}{'s' if n != 1 else ''}" for n, unit in parts if n) or "none"


def notice(request: ClosureRequest, customer_country: str, policy: ClosurePolicy) -> Notice | None:
    """A bank-initiated closure's notice: each account's rule, period and end (the request date
    plus the period), ending at once on an immediate ground every account's rule lists. None for a
    customer's own closure and for succession (death ends the contract)."""
    reason = policy.reason(request.reason)
    if request.requested_by is not RequestedBy.BANK or reason.succession:
        return None
    given = request.requested_at
    terms, refused = [], []
    for account in request.accounts:
        jurisdiction = jurisdiction_of(account, customer_country)
        rule = notice_rule(account, jurisdiction, policy)
        immediate = request.immediate_ground is not None
        if immediate and request.immediate_ground not in rule.immediate_grounds:
            refused.append(account.account_id)
        terms.append(NoticeTerm(
            account_id=account.account_id, jurisdiction=jurisdiction, account_type=account.type.value,
            opened_on=account.opened_on, rule=rule.id, period="none (immediate)" if immediate else _period_text(rule),
            ends_at=iso(given if immediate else rule.period.after(given)),
            reasons_required=rule.reasons_required, source=rule.source))
    if refused:
        raise NotAnImmediateGround(request.immediate_ground or "", refused)
    return Notice(given_at=iso(given), ends_at=max(t.ends_at for t in terms), immediate_ground=request.immediate_ground,
                  accounts=tuple(terms))


def _reason(request: ClosureRequest, policy: ClosurePolicy) -> ReasonInfo:
    code = policy.canonical_reason(request.reason) or request.reason
    spec = policy.reasons[code]
    withheld = (request.suspicion_reported and spec.initiated_by is RequestedBy.BANK
                and policy.tipping_off.withhold_reason_when_suspicion_reported)
    return ReasonInfo(code=code, label=spec.label, initiated_by=spec.initiated_by, stated_reason=spec.stated_reason,
                      withheld=withheld, withheld_because=policy.tipping_off.source if withheld else None)


def kept_account(request: ClosureRequest) -> str | None:
    """The account a soft exit to a basic account keeps: a basic account if there is one, else
    the first current account (converted)."""
    if request.soft_exit is not SoftExit.BASIC_ACCOUNT:
        return None
    for kind in ("basic", "current"):
        if found := next((a for a in request.accounts if a.type.value == kind), None):
            return found.account_id
    return request.accounts[0].account_id


def _settlement_line(account: Account, request: ClosureRequest, policy: ClosurePolicy, *, frozen: bool,
                     kept: str | None, succession: bool) -> SettlementLine:
    amount = settlement_amount(account, policy)
    others = set(account.holders) - {request.customer_id}
    if succession and others:
        outcome = Outcome.TO_SURVIVING_HOLDERS
    elif amount < 0:
        outcome = Outcome.OWED
    elif amount == 0 or account.account_id == kept:
        outcome = Outcome.NIL if account.account_id != kept else Outcome.TO_BASIC_ACCOUNT
    elif frozen:
        outcome = Outcome.WITHHELD
    elif kept:
        outcome = Outcome.TO_BASIC_ACCOUNT
    else:
        outcome = Outcome.PAY_OUT
    payout = mask_iban(request.payout_iban) if outcome is Outcome.PAY_OUT and request.payout_iban else None
    return SettlementLine(account_id=account.account_id, currency=account.currency, balance=_text(account.balance),
                          accrued_interest=_text(account.accrued_interest), fees_due=_text(account.fees_due),
                          amount=_text(amount), outcome=outcome, payout_iban=payout)


def plan_basis(request: ClosureRequest, *, customer_country: str, jurisdictions: Iterable[str], frozen: bool,
               policy: ClosurePolicy, detected: Sequence[RecurringSeries] = ()) -> PlanBasis:
    """What the request and the policy fix when the closure starts. `frozen`: the customer's funds
    are frozen (monitoring): nothing is paid out. Raises NotAnImmediateGround."""
    spec = policy.reason(request.reason)
    terms = notice(request, customer_country, policy)
    requested = request.requested_at
    # A later step (documents, a review, an offer) moves it as the checkpoint goes: see plan_of.
    close_by = terms.ends_at if terms else iso(requested + timedelta(hours=policy.timeline.close_hours))
    kept = kept_account(request)
    offer = None
    if spec.win_back and request.requested_by is RequestedBy.CUSTOMER:
        offer = WinBackOffer(offer=spec.win_back, description=policy.win_back.offers[spec.win_back].description,
                             timeout_hours=policy.win_back.timeout_hours)
    home = PaymentJurisdiction.UK if customer_country == UK_COUNTRY else PaymentJurisdiction.EU
    return PlanBasis(
        policy_version=policy.version, requested_at=iso(requested), requested_by=request.requested_by,
        reason=_reason(request, policy), close_by=close_by, notice=terms,
        accounts=tuple(AccountBasis(account_id=a.account_id, type=a.type.value, cards=a.cards,
                                    other_holders=tuple(h for h in a.holders if h != request.customer_id))
                       for a in request.accounts),
        settlement=tuple(_settlement_line(a, request, policy, frozen=frozen, kept=kept, succession=spec.succession)
                         for a in request.accounts),
        linked_services=merge_services(request, detected, policy, home),
        services_detected=bool(detected), jurisdictions=tuple(sorted(jurisdictions)), payment_jurisdiction=home,
        soft_exit=request.soft_exit,
        kept_account_id=kept, succession=spec.succession,
        required_documents=policy.succession.required_documents if spec.succession else (),
        win_back=offer, export_requested=request.export.requested)


def merge_services(request: ClosureRequest, detected: Sequence[RecurringSeries], policy: ClosurePolicy,
                   jurisdiction: PaymentJurisdiction) -> tuple[PlannedService, ...]:
    """The channel's list and the detected series as one list: a listed service and a detected
    series with the same counterparty (normalised name) are one entry, with the listed type."""
    advice, switching = policy.linked_services.advice, policy.linked_services.switching[jurisdiction]
    by_name = {normalise_name(s.counterparty): s for s in detected}
    merged: list[PlannedService] = []
    for listed in request.linked_services:
        series = by_name.pop(normalise_name(listed.counterparty), None)
        merged.append(_service(listed.type, listed.counterparty, series, advice, switching,
                               source="both" if series else "listed", reference=listed.reference))
    for series in by_name.values():
        merged.append(_service(series.type, series.counterparty, series, advice, switching, source="detected"))
    return tuple(merged)


def _service(kind: LinkedServiceType, counterparty: str, series: RecurringSeries | None, advice, switching: str, *,
             source: str, reference: str | None = None) -> PlannedService:
    tip = advice[kind]
    found = {}
    if series:
        found = {"cadence": series.cadence, "last_seen": series.last_seen, "next_expected": series.next_expected,
                 "typical_amount": _text(series.typical_amount), "currency": series.currency}
    return PlannedService(type=kind, counterparty=counterparty, source=source, reference=reference,
                          what_to_do=tip.what_to_do, switching=switching if tip.switching else None, **found)


def with_detected(basis: PlanBasis, request: ClosureRequest, detected: Sequence[RecurringSeries],
                  policy: ClosurePolicy) -> PlanBasis:
    """The basis once the history has been read: the listed services merged with the detected."""
    return basis.model_copy(update={"linked_services": merge_services(request, detected, policy,
                                                                      basis.payment_jurisdiction),
                                    "services_detected": True})


_THEN = {"delete": "then deleted",
         "review": "then reviewed by the bank before anything is deleted"}


def add_business_days(ts: datetime, days: int) -> datetime:
    """`ts` moved `days` working days (Monday to Friday) later; a weekend start counts from Monday."""
    while ts.weekday() >= 5:
        ts += timedelta(days=1)
    for _ in range(days):
        ts += timedelta(days=1)
        while ts.weekday() >= 5:
            ts += timedelta(days=1)
    return ts


def _at(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def data_after_closure(basis: PlanBasis, relationship_end: datetime | None, rules: RuleSet,
                       policy: ClosurePolicy) -> tuple[DataRule, ...]:
    """The retention rule that will govern each kind of record, its date counted from the end of
    the relationship (None while it continues: a basic account kept starts no clock)."""
    out = []
    for record_class, what in policy.data_after_closure.classes.items():
        anchor = relationship_end or _at(basis.requested_at)
        record = RecordRef(record_id=f"plan/{record_class.value}", record_class=record_class, created_at=anchor)
        decision = decide(record, RetentionEvents(relationship_end=relationship_end), basis.jurisdictions, rules,
                          anchor)
        out.append(DataRule(record_class=record_class, what=what,
                            kept_until=decision.keep_until.date() if decision.keep_until else None,
                            then=_THEN[decision.action.value], rule=decision.rule_id, source=decision.source))
    return tuple(out)


def _screening_blocked(checkpoint: Checkpoint) -> bool:
    return any(s.verdict is Verdict.REJECT for s in checkpoint.steps.values())


def plan_of(basis: PlanBasis, checkpoint: Checkpoint, *, policy: ClosurePolicy, rules: RuleSet,
            review_timeout: timedelta, for_channel: bool) -> ClosurePlan:
    """The plan as the checkpoint stands. For a channel: a reason the policy withholds is left out
    (tipping-off), and a succession shows neither the estate's settlement nor its services (they
    go to the personal representative, not to the deceased customer's login)."""
    status = checkpoint.status
    final = status.is_final
    ended_at = _at(checkpoint.decision.decided_at) if checkpoint.decision else None
    closed = status in (CheckpointStatus.CLOSED, CheckpointStatus.DOWNGRADED)
    blocked = status in (CheckpointStatus.CLOSURE_BLOCKED, CheckpointStatus.FAILED)
    history = [h.status for h in checkpoint.status_history]
    timeline = policy.timeline
    steps: list[PlanStep] = []

    start = _at(basis.requested_at)
    if basis.succession:
        docs_by = start + timedelta(days=policy.succession.documents_timeout_days)
        done_at = checkpoint.documents_completed_at
        docs_status = (StepStatus.DONE if done_at else StepStatus.WAITING if status is CheckpointStatus.AWAITING_DOCUMENTS
                       else StepStatus.BLOCKED if blocked else StepStatus.PENDING)
        steps.append(PlanStep(name="documents", status=docs_status, expected_by=iso(docs_by), done_at=done_at,
                              detail="the death certificate and the personal representative's authority"))
        start = _at(done_at) if done_at else docs_by

    checked = [s for name, s in checkpoint.steps.items() if name in ("screening", "exit_risk")]
    checks_done = len(checked) == 2
    checks_by = start + timedelta(minutes=timeline.checks_minutes)
    steps.append(PlanStep(
        name="rescreen", expected_by=iso(checks_by),
        status=(StepStatus.BLOCKED if blocked and _screening_blocked(checkpoint) else StepStatus.DONE if checks_done
                else StepStatus.BLOCKED if blocked else StepStatus.PENDING if basis.succession and not
                checkpoint.documents_completed_at else StepStatus.IN_PROGRESS),
        done_at=max(s.finished_at for s in checked) if checks_done else None,
        detail="sanctions and PEP screening of every holder, and the exit-risk checks"))
    expected = checks_by

    if checkpoint.review_level or basis.succession:
        since = _at(checkpoint.review_since) if checkpoint.review_since else checks_by
        review_by = since + review_timeout
        last = checkpoint.last_review_decision
        review_status = (StepStatus.IN_PROGRESS if status is CheckpointStatus.IN_REVIEW
                         else StepStatus.DONE if last and last.outcome.value == "approve"
                         else StepStatus.BLOCKED if blocked and checkpoint.review_level else StepStatus.PENDING)
        steps.append(PlanStep(name="review", status=review_status, expected_by=iso(review_by),
                              done_at=last.decided_at if review_status is StepStatus.DONE and last else None,
                              detail="a compliance officer reviews the closure"))
        expected = review_by if review_status is not StepStatus.DONE else _at(last.decided_at)

    win_back_view = None
    if basis.win_back:
        state = checkpoint.win_back
        offer_by = _at(state.expires_at) if state else expected + timedelta(hours=basis.win_back.timeout_hours)
        answered = state is not None and state.answer is not None
        offer_status = (StepStatus.WAITING if status is CheckpointStatus.WIN_BACK_OFFERED
                        else StepStatus.DONE if answered else StepStatus.SKIPPED if final else StepStatus.PENDING)
        steps.append(PlanStep(name="win_back", status=offer_status, expected_by=iso(offer_by),
                              done_at=state.answered_at if answered else None,
                              detail=f"{basis.win_back.description}" + (f" (answer: {state.answer})" if answered else "")))
        win_back_view = WinBackView(offer=basis.win_back.offer, description=basis.win_back.description,
                                    expires_at=state.expires_at if state else None,
                                    answer=state.answer if state else None)
        if not answered:
            expected = max(expected, offer_by)

    close_by = max(_at(basis.close_by), expected)
    if basis.notice and basis.notice.ends_at != basis.notice.given_at:
        in_notice = status is CheckpointStatus.NOTICE_PERIOD
        notice_done = CheckpointStatus.NOTICE_PERIOD in history and not in_notice
        steps.append(PlanStep(
            name="notice_period", expected_by=basis.notice.ends_at,
            status=(StepStatus.IN_PROGRESS if in_notice else StepStatus.DONE if notice_done
                    else StepStatus.BLOCKED if blocked else StepStatus.PENDING),
            done_at=_left(checkpoint, CheckpointStatus.NOTICE_PERIOD) if notice_done else None,
            detail=f"notice given on {basis.notice.given_at[:10]}, as the rule of each account requires"))
    if ended_at and closed:
        close_by = ended_at
    end_status = (StepStatus.DONE if closed else StepStatus.SKIPPED if status is CheckpointStatus.STAYED
                  else StepStatus.BLOCKED if blocked else StepStatus.PENDING)
    settle_by = add_business_days(close_by, timeline.settlement_business_days)
    steps.append(PlanStep(name="settlement", status=end_status, expected_by=iso(settle_by),
                          detail="the final balance of each account is paid out or settled"))
    steps.append(PlanStep(name="close", status=end_status, expected_by=iso(close_by),
                          done_at=checkpoint.decision.decided_at if closed and checkpoint.decision else None,
                          detail="a basic account is kept; the other products close" if basis.kept_account_id
                          else "the accounts, cards and online access end"))
    if basis.export_requested:
        export = checkpoint.steps.get("export")
        ready = export is not None and any(r.code == "EXPORT_READY" for r in export.reasons)
        steps.append(PlanStep(
            name="export", expected_by=iso(close_by), done_at=export.finished_at if ready else None,
            status=(StepStatus.DONE if ready else StepStatus.IN_PROGRESS if export else StepStatus.BLOCKED if blocked
                    else StepStatus.SKIPPED if status is CheckpointStatus.STAYED else StepStatus.PENDING),
            detail="the records go to the personal representative" if basis.succession
            else "your data, ready to download"))

    relationship_end = None if basis.kept_account_id else close_by
    statements_until = None
    if basis.soft_exit is SoftExit.STATEMENTS_ACCESS:
        statements_until = policy.soft_exit.statements_access.period.after(close_by).date()
    state, summary = _state(checkpoint, basis)
    succession = None
    if basis.succession:
        succession = SuccessionPlan(documents=basis.required_documents,
                                    passes_to_surviving_holders=tuple(a for a in basis.accounts if a.other_holders),
                                    disclosure=policy.succession.disclosure)
    hide_estate = for_channel and basis.succession
    return ClosurePlan(
        state=state, summary=summary, requested_by=basis.requested_by, requested_at=basis.requested_at,
        reason=None if for_channel and basis.reason.withheld else basis.reason,
        close_by=iso(close_by), steps=tuple(steps), notice=basis.notice,
        access_ends=_access_ends(basis, close_by, statements_until, status),
        final_settlement=None if hide_estate else basis.settlement,
        linked_services=None if hide_estate else basis.linked_services,
        data_after_closure=() if status is CheckpointStatus.STAYED else
        data_after_closure(basis, relationship_end, rules, policy),
        soft_exit=basis.soft_exit, kept_account_id=basis.kept_account_id, statements_until=statements_until,
        win_back=win_back_view, succession=succession)


def _left(checkpoint: Checkpoint, left: CheckpointStatus) -> str | None:
    """When the checkpoint moved on from `left` the last time."""
    history = checkpoint.status_history
    return next((history[i + 1].at for i in range(len(history) - 2, -1, -1) if history[i].status is left), None)


def _access_ends(basis: PlanBasis, close_by: datetime, statements_until: date | None,
                 status: CheckpointStatus) -> tuple[AccessEnd, ...]:
    if status is CheckpointStatus.STAYED:
        return ()
    ends = iso(_at(basis.requested_at) if basis.succession else close_by)
    out = []
    for account in basis.accounts:
        passes = basis.succession and account.other_holders
        kept = account.account_id == basis.kept_account_id
        what = ("passes to the surviving holders" if passes else "kept as a basic account" if kept
                else "payments stopped now; closed when the estate is settled" if basis.succession
                else "payments in and out stop; the account closes")
        out.append(AccessEnd(kind="account", id=account.account_id, account_id=account.account_id,
                             ends_at=None if passes or kept else ends, what=what))
        out += [AccessEnd(kind="card", id=card, account_id=account.account_id, ends_at=ends,
                          what="the card stops working and is cancelled") for card in account.cards]
    if not basis.kept_account_id:
        out.append(AccessEnd(kind="online_access", id="online_banking", ends_at=ends, read_only_until=statements_until,
                             what="online banking ends" + ("; past statements stay readable until "
                                                           f"{statements_until.isoformat()}" if statements_until else "")))
    return tuple(out)


# What the plan says where the closure stands ({kept} and {notice_end} are filled in).
_STATES = {
    CheckpointStatus.CLOSED: ("closed", "The relationship is closed."),
    CheckpointStatus.DOWNGRADED: ("downgraded", "The other products are closed; account {kept} stays open as a basic "
                                                "account."),
    CheckpointStatus.STAYED: ("stayed", "The offer was accepted: nothing is closed."),
    CheckpointStatus.CLOSURE_BLOCKED: ("blocked", "The closure cannot go ahead at the moment; the bank will contact "
                                                  "the customer."),
    CheckpointStatus.FAILED: ("failed", "The closure stopped on a technical fault; the bank is looking into it."),
    CheckpointStatus.IN_REVIEW: ("in_review", "A compliance officer is reviewing the closure; the dates after the "
                                              "review may move."),
    CheckpointStatus.AWAITING_DOCUMENTS: ("waiting_for_documents", "Waiting for the death certificate and the "
                                                                   "representative's authority."),
    CheckpointStatus.WIN_BACK_OFFERED: ("offer_made", "An offer to stay is waiting for the customer's answer."),
    CheckpointStatus.NOTICE_PERIOD: ("notice_period", "The notice period runs until {notice_end}."),
}


def _state(checkpoint: Checkpoint, basis: PlanBasis) -> tuple[str, str]:
    state, summary = _STATES.get(checkpoint.status, ("in_progress", "The closure is under way."))
    return state, summary.format(kept=basis.kept_account_id, notice_end=basis.notice.ends_at if basis.notice else "")
