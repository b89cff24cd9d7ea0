"""Retention rules as code: which rule governs a record, until when it is kept, and what the daily
sweep does once that date has passed. Pure: no I/O, no AWS.

The rules are data (policies/retention.yaml). `load_rules` validates them and names the file and the
line of any bad rule; `decide` computes one record's retention; `sweep_plan` turns decisions into the
actions the scheduled sweep executes.

Conventions:
- every datetime is timezone-aware (a naive one is rejected) and computed as a UTC instant, so a
  trigger at 00:30 on 1 March in Paris counts from 29 February 23:30 UTC;
- a period adds its years and months as one count of calendar months, clamped to the last day of the
  month reached (29 Feb 2024 + 1 year = 28 Feb 2025; 31 Jan + 1 month = 28/29 Feb), then its days;
- several jurisdictions: the longest mandatory rule governs, and a rule that is not mandatory (a
  maximum, "no longer than necessary") never shortens it. With no mandatory rule, the earliest maximum
  whose trigger has happened governs, since every maximum must be honoured;
- a mandatory rule whose trigger has not happened leaves the date unknown: status pending_trigger;
- ties on the date go to the more cautious action (review, then delete), then to the smaller rule id;
- expiry means erasure: `delete` removes the record (every version, every copy); `review` asks a
  person. There is no "anonymise": a record that keeps the customer's ids is pseudonymised, still
  personal data (GDPR Recital 26). What must survive for statistics is an aggregate with no
  identifier, kept elsewhere;
- the law that applies is where the bank is established (a stage setting), plus what the policy
  configures explicitly with its basis; never the customer's nationality or address. A rule of
  jurisdiction ALL applies wherever the bank is established;
- a rule's `cap` (UK MLR reg. 40(4)) limits its date to the cap date, but never to before the rule's
  own trigger: nothing is purged before the event that starts its clock;
- a record is expired from its keep-until instant on (now >= keep_until).
"""
from __future__ import annotations

import math
from calendar import monthrange
from collections.abc import Iterable, Sequence
from collections.abc import Set as AbstractSet
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Annotated, Any

from pydantic import AfterValidator, AwareDatetime, Field, ValidationError, field_validator, model_validator

from chalicelib.domain.decisions import SourcedValue
from chalicelib.domain.models import Frozen
from chalicelib.domain.retention_terms import Action, Jurisdiction, RecordClass, RetentionStatus, SweepKind, Trigger

if TYPE_CHECKING:
    import yaml


class RetentionRuleError(ValueError):
    """A retention rules file is invalid; the message names the file and the line."""


class NoRuleError(LookupError):
    """No rule covers a record's class in the given jurisdictions."""


_CAUTION = {Action.DELETE: 0, Action.REVIEW: 1}


def _to_utc(ts: datetime) -> datetime:
    return ts.astimezone(UTC)


UtcDatetime = Annotated[AwareDatetime, AfterValidator(_to_utc)]


def _utc(ts: datetime, name: str) -> datetime:
    if ts.tzinfo is None or ts.utcoffset() is None:
        raise ValueError(f"{name} must be timezone-aware")
    return _to_utc(ts)


# --- rules --------------------------------------------------------------------------------

class Period(Frozen):
    """A calendar period; at least one of years, months, days must be stated."""

    years: int = Field(default=0, ge=0, le=100)
    months: int = Field(default=0, ge=0, le=1200)
    days: int = Field(default=0, ge=0, le=36600)

    @model_validator(mode="after")
    def _stated(self) -> Period:
        if not self.model_fields_set:
            raise ValueError("a period needs years, months or days")
        return self

    def after(self, start: datetime) -> datetime:
        """`start` (aware) plus this period, in UTC (see the module docstring for month ends)."""
        start = _utc(start, "start")
        years, month0 = divmod(start.month - 1 + 12 * self.years + self.months, 12)
        year, month = start.year + years, month0 + 1
        day = min(start.day, monthrange(year, month)[1])
        return start.replace(year=year, month=month, day=day) + timedelta(days=self.days)


class Cap(SourcedValue):
    """An upper limit on a rule's date, counted from another event."""

    period: Period
    trigger: Trigger


class RetentionRule(SourcedValue):
    id: Annotated[str, Field(pattern=r"^[a-z0-9][a-z0-9-]*$")]
    jurisdiction: Jurisdiction
    record_class: RecordClass
    period: Period
    trigger: Trigger
    action: Action
    mandatory: bool
    cap: Cap | None = None

    @field_validator("source")
    @classmethod
    def _source_given(cls, value: str) -> str:
        if not value.strip():
            raise ValueError("a rule needs its legal source")
        return value

    @model_validator(mode="after")
    def _cap_from_another_event(self) -> RetentionRule:
        if self.cap is not None and self.cap.trigger is self.trigger:
            raise ValueError("cap: must count from another trigger than the rule's")
        return self


class ImmutableClasses(SourcedValue):
    """Record classes stored under Object Lock until their keep-until date."""

    classes: frozenset[RecordClass]


class AdditionalJurisdiction(Frozen):
    """A jurisdiction whose rules the bank applies besides its establishment's, with the basis."""

    jurisdiction: Jurisdiction
    basis: str = Field(min_length=10)


class ApplicableLaw(SourcedValue):
    establishment: tuple[Jurisdiction, ...] = Field(min_length=1)  # the default; a stage may set its own
    additional: tuple[AdditionalJurisdiction, ...] = ()


class RuleSet(Frozen):
    """The retention policy (policies/retention.yaml)."""

    policy: str
    version: str
    applicable_law: ApplicableLaw
    immutable: ImmutableClasses
    rules: tuple[RetentionRule, ...]

    @model_validator(mode="after")
    def _no_conflict(self) -> RuleSet:
        if conflict := _first_conflict(self.rules):
            first, second, problem = conflict
            raise ValueError(f"rules {self.rules[first].id!r} and {self.rules[second].id!r}: {problem}")
        return self


def _first_conflict(rules: Sequence[RetentionRule]) -> tuple[int, int, str] | None:
    """(index of the earlier rule, index of the later one, problem) for the first conflict, or None."""
    ids: dict[str, int] = {}
    keys: dict[tuple[Jurisdiction, RecordClass, Trigger], int] = {}
    for index, rule in enumerate(rules):
        if rule.id in ids:
            return ids[rule.id], index, f"duplicate rule id {rule.id!r}"
        key = (rule.jurisdiction, rule.record_class, rule.trigger)
        if key in keys:
            return keys[key], index, (f"a second {rule.jurisdiction} rule for {rule.record_class} "
                                      f"counted from {rule.trigger}")
        ids[rule.id] = keys[key] = index
    return None


def load_rules(text: str, filename: str) -> RuleSet:
    """Parse and validate a rules file; raises RetentionRuleError naming `filename` and the line."""
    import yaml  # when the rules are read, not at every cold start

    loader = yaml.SafeLoader(text)
    try:
        root = loader.get_single_node()
        data = loader.construct_document(root) if root is not None else None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None) or getattr(exc, "context_mark", None)
        line = mark.line + 1 if mark is not None else 1
        raise RetentionRuleError(f"{filename} line {line}: not valid YAML: {exc}") from exc
    finally:
        loader.dispose()
    if not isinstance(root, yaml.MappingNode) or not isinstance(data, dict):
        raise RetentionRuleError(f"{filename} line 1: expected a mapping with policy, version, immutable, rules")
    rules_node = _value_node(root, "rules")
    if not isinstance(rules_node, yaml.SequenceNode):
        raise RetentionRuleError(f"{filename} line {_key_line(root, 'rules')}: rules: expected a list of rules")

    lines = [node.start_mark.line + 1 for node in rules_node.value]
    rules = []
    for line, item in zip(lines, data["rules"], strict=True):
        try:
            rules.append(RetentionRule.model_validate(item))
        except ValidationError as exc:
            name = repr(item["id"]) if isinstance(item, dict) and "id" in item else "without id"
            raise RetentionRuleError(f"{filename} line {line}: rule {name}: {_problems(exc)}") from None
    if conflict := _first_conflict(rules):
        first, second, problem = conflict
        raise RetentionRuleError(f"{filename} line {lines[second]}: rule {rules[second].id!r}: {problem} "
                                 f"(rule {rules[first].id!r}, line {lines[first]})")
    try:
        return RuleSet.model_validate({**data, "rules": rules})
    except ValidationError as exc:
        key = str(exc.errors()[0]["loc"][0]) if exc.errors()[0]["loc"] else ""
        raise RetentionRuleError(f"{filename} line {_key_line(root, key)}: {_problems(exc)}") from None


def _value_node(mapping: yaml.MappingNode, key: str) -> yaml.Node | None:
    return next((value for k, value in mapping.value if k.value == key), None)


def _key_line(mapping: yaml.MappingNode, key: str) -> int:
    """1-based line of `key` in `mapping`, or 1 when it is missing."""
    return next((k.start_mark.line + 1 for k, _ in mapping.value if k.value == key), 1)


def _problems(exc: ValidationError) -> str:
    def one(error: Any) -> str:
        where = ".".join(map(str, error["loc"])) or "value"
        given = error.get("input")
        shown = f" (got {given!r})" if isinstance(given, str | int | float) else ""
        return f"{where}: {error['msg']}{shown}"

    return "; ".join(one(error) for error in exc.errors())


# --- records and decisions ----------------------------------------------------------------

class Events(Frozen):
    """Dates of the customer's events that start retention clocks (None: not happened yet)."""

    relationship_end: UtcDatetime | None = None
    transaction_date: UtcDatetime | None = None
    consent_withdrawn: UtcDatetime | None = None
    application_decided: UtcDatetime | None = None


class RecordRef(Frozen):
    """One stored record: its class, creation time and its own event dates, which take precedence
    over the customer's `Events` (a transaction's own date, a consent's own withdrawal)."""

    record_id: str
    record_class: RecordClass
    created_at: UtcDatetime
    customer_id: str | None = None
    transaction_date: UtcDatetime | None = None
    consent_withdrawn: UtcDatetime | None = None
    application_decided: UtcDatetime | None = None


class RetentionDecision(Frozen):
    """One record's retention: until when it is kept, under which rule, and what happens then."""

    record_id: str
    customer_id: str | None
    record_class: RecordClass
    status: RetentionStatus
    keep_until: UtcDatetime | None
    rule_id: str
    source: str
    action: Action
    erase_now: bool
    immutable: bool
    ttl_epoch: int | None


class SweepAction(Frozen):
    """What the sweep does with one expired record."""

    record_id: str
    customer_id: str | None
    kind: SweepKind
    rule_id: str
    keep_until: UtcDatetime


def _event(trigger: Trigger, record: RecordRef, events: Events) -> datetime | None:
    if trigger is Trigger.RECORD_CREATED:
        return record.created_at
    own: datetime | None = getattr(record, trigger.value, None)
    return own or getattr(events, trigger.value)


def rule_date(rule: RetentionRule, record: RecordRef, events: Events) -> datetime | None:
    """The end of `rule`'s period for `record` (UTC), or None while its trigger has not happened."""
    start = _event(rule.trigger, record, events)
    if start is None:
        return None
    end = rule.period.after(start)
    if rule.cap is not None and (cap_start := _event(rule.cap.trigger, record, events)) is not None:
        end = max(start, min(end, rule.cap.period.after(cap_start)))
    return end


def decide(record: RecordRef, events: Events, jurisdictions: Iterable[str], rules: RuleSet,
           now: datetime) -> RetentionDecision:
    """The retention of `record` for a customer under `jurisdictions` (EU, UK, US), as of `now`.

    Raises ValueError for an unknown or empty jurisdiction set or a naive `now`, and NoRuleError when
    no rule covers the record's class there.
    """
    now = _utc(now, "now")
    wanted = {Jurisdiction(j) for j in jurisdictions}
    if not wanted:
        raise ValueError("at least one jurisdiction is needed")
    same_class = (r for r in rules.rules if r.record_class is record.record_class)
    applicable = sorted((r for r in same_class if r.jurisdiction in wanted | {Jurisdiction.ALL}), key=lambda r: r.id)
    if not applicable:
        raise NoRuleError(f"no retention rule for {record.record_class} in {', '.join(sorted(wanted))}")

    dated = [(rule, rule_date(rule, record, events)) for rule in applicable]
    mandatory = [(rule, date) for rule, date in dated if rule.mandatory]
    known = [(rule, date) for rule, date in (mandatory or dated) if date is not None]
    governing: RetentionRule
    keep_until: datetime | None
    if mandatory and len(known) < len(mandatory):
        governing, keep_until = next(rule for rule, date in mandatory if date is None), None
    elif mandatory:
        governing, keep_until = max(known, key=lambda rd: (rd[1], _CAUTION[rd[0].action]))
    elif known:
        governing, keep_until = min(known, key=lambda rd: (rd[1], -_CAUTION[rd[0].action]))
    else:
        governing, keep_until = applicable[0], None

    return RetentionDecision(
        record_id=record.record_id,
        customer_id=record.customer_id,
        record_class=record.record_class,
        status=RetentionStatus.PENDING_TRIGGER if keep_until is None else RetentionStatus.SCHEDULED,
        keep_until=keep_until,
        rule_id=governing.id,
        source=governing.source,
        action=governing.action,
        erase_now=keep_until is not None and keep_until <= now and governing.action is not Action.REVIEW,
        immutable=record.record_class in rules.immutable.classes,
        ttl_epoch=(math.ceil(keep_until.timestamp())
                   if keep_until is not None and governing.action is Action.DELETE else None),
    )


def expired(decision: RetentionDecision, now: datetime) -> bool:
    """Whether the record's keep-until date has been reached (never, while its trigger is pending)."""
    return decision.keep_until is not None and _utc(now, "now") >= decision.keep_until


def sweep_plan(decisions: Iterable[RetentionDecision], holds: AbstractSet[str],
               now: datetime) -> list[SweepAction]:
    """One action per expired record, in input order: its rule's action, or skip_held when the record
    id or its customer id is under legal hold. Records not yet expired need no action."""
    return [
        SweepAction(
            record_id=d.record_id,
            customer_id=d.customer_id,
            kind=SweepKind.SKIP_HELD if _held(d, holds) else SweepKind(d.action.value),
            rule_id=d.rule_id,
            keep_until=d.keep_until,
        )
        for d in decisions
        if d.keep_until is not None and expired(d, now)
    ]


def _held(decision: RetentionDecision, holds: AbstractSet[str]) -> bool:
    return decision.record_id in holds or (decision.customer_id is not None and decision.customer_id in holds)


def applicable_jurisdictions(rules: RuleSet, establishment: Iterable[str] | None = None) -> set[str]:
    """The jurisdictions whose rules apply: where the bank is established (`establishment`, the
    stage's setting, or the policy's default) and those the policy adds explicitly with their basis.
    A legal obligation to keep personal data must be Union or Member State law (GDPR Art. 6(3)):
    never the customer's nationality or address."""
    found = {Jurisdiction(j).value for j in (establishment or rules.applicable_law.establishment)}
    return found | {extra.jurisdiction.value for extra in rules.applicable_law.additional}
