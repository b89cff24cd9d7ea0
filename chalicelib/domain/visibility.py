"""What of a checkpoint a caller may see. Risk data (the customer risk rating, the fraud and risk
steps, the reason codes of fraud patterns and of a high rating) is compliance's alone: a channel is
never told which fraud pattern was noticed, which would tell a fraudster. Pure: the checkpoint in,
the checkpoint as that caller sees it out (chalicelib/api/views.py `CheckpointView.of` applies it)."""
from __future__ import annotations

from chalicelib.domain.actors import Caller, Role
from chalicelib.domain.checkpoint import Checkpoint, Reason
from chalicelib.domain.fraud_signals import PATTERN_SIGNALS
from chalicelib.domain.ratings import RISK_HIGH


# The steps and reason codes that are risk data (services/fraud.py, services/risk.py).
RISK_STEPS = frozenset({"fraud", "risk"})
RISK_CODES = frozenset({*PATTERN_SIGNALS, RISK_HIGH})


def sees_risk(caller: Caller) -> bool:
    return caller.role is Role.COMPLIANCE


def as_seen_by(caller: Caller, found: Checkpoint) -> Checkpoint:
    """The checkpoint as the caller may see it: without risk data for anyone but compliance (the
    rating, the fraud and risk steps, their reason codes wherever they appear)."""
    if sees_risk(caller):
        return found

    def plain(reasons: tuple[Reason, ...]) -> tuple[Reason, ...]:
        return tuple(r for r in reasons if r.code not in RISK_CODES)

    decision = found.decision.model_copy(update={"reasons": plain(found.decision.reasons)}) if found.decision else None
    return found.model_copy(update={
        "risk_rating": None, "steps": {name: step for name, step in found.steps.items() if name not in RISK_STEPS},
        "decision": decision, "review_reasons": plain(found.review_reasons), "actions": plain(found.actions)})
