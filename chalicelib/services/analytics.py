"""Churn insight (GET /v1/analytics/exits): one identifier-free fact kept for every ended closure,
counted by reason, channel or month. The facts outlive the closure records they came from."""
from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, timedelta
from typing import Any

from chalicelib.domain.actors import Caller
from chalicelib.domain.checkpoint import Checkpoint, CheckpointKind
from chalicelib.domain.closure import ClosureRequest
from chalicelib.domain.exit_analytics import EXIT_OUTCOMES, ExitFact, GroupBy, aggregate, months
from chalicelib.errors import InvalidField, NotFound
from chalicelib.policies import closure_policy
from chalicelib.stores import AWS, Stores

DEFAULT_DAYS = 365
MAX_DAYS = 3660


def _at(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def record_exit(checkpoint: Checkpoint, stores: Stores = AWS) -> bool:
    """Keep the fact of an ended closure (once: a retried task adds nothing)."""
    if checkpoint.kind is not CheckpointKind.OFFBOARDING or checkpoint.status not in EXIT_OUTCOMES \
            or not checkpoint.decision:
        return False
    request = stores.documents.get_json(checkpoint.request_key, ClosureRequest)
    try:
        channel = stores.customers.get(checkpoint.customer_id).owner if checkpoint.customer_id else "unknown"
    except NotFound:
        channel = "unknown"
    ended = _at(checkpoint.decision.decided_at)
    offered = checkpoint.win_back
    fact = ExitFact(month=ended.strftime("%Y-%m"), fact_id=uuid.uuid4().hex, ended_on=ended.date(),
                    reason=closure_policy().canonical_reason(request.reason) or request.reason, channel=channel,
                    requested_by=request.requested_by.value, outcome=checkpoint.status,
                    soft_exit=request.soft_exit.value, win_back_offered=offered is not None,
                    win_back_accepted=offered is not None and offered.answer == "accept",
                    seconds_to_end=max(0, int((ended - _at(checkpoint.created_at)).total_seconds())))
    return stores.exit_facts.record_once(checkpoint.checkpoint_id, fact)


def exits(caller: Caller, since: date | None, until: date | None, by: GroupBy, stores: Stores = AWS) -> dict[str, Any]:
    """Closures ended between `since` and `until` (days, UTC, both included; default the last year),
    counted per `by`: ended, closed, downgraded, stayed, blocked, offers made and accepted, the
    median time to close."""
    until = until or datetime.now(UTC).date()
    since = since or until - timedelta(days=DEFAULT_DAYS)
    if since > until:
        raise InvalidField("query.from", "must not be after to")
    if (until - since).days > MAX_DAYS:
        raise InvalidField("query.from", f"the range may span at most {MAX_DAYS} days")
    facts = (f for f in stores.exit_facts.in_months(months(since, until)) if since <= f.ended_on <= until)
    groups, total = aggregate(facts, by)
    return {"from": since.isoformat(), "to": until.isoformat(), "by": by, "groups": groups, "total": total}
