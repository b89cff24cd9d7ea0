"""Manual review, in both workflows: a checkpoint enters the queue (the ManualReview step), the
compliance queue explains why each one waits, how old it is and when it is due, and who holds it;
officers claim and release cases and add notes to them; a decision resumes the workflow."""
from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

from chalicelib.api.models import Assigned
from chalicelib.domain.actors import Caller
from chalicelib.domain.case_work import CaseNote, claim_lapses_before, due_at, parse_time
from chalicelib.domain.checkpoint import (
    CaseEvent,
    CaseEventKind,
    Checkpoint,
    CheckpointKind,
    CheckpointStatus,
    ReviewDecision,
    ReviewOutcome,
    iso,
    utc_now,
)
from chalicelib.domain.exit_risk import ExitRiskAssessment
from chalicelib.domain.fraud import FraudAssessment
from chalicelib.domain.models import Verdict
from chalicelib.domain.screening.result import ScreeningResult
from chalicelib.errors import Conflict
from chalicelib.domain.closure_plan import ClosurePlan
from chalicelib.policies import fraud_policy, review_policy
from chalicelib.services import access, case_files, clearances, cursors, events, fraud, offboarding, risk
from chalicelib.stores import AWS, Stores
from chalicelib.stores.checkpoint_table import ReviewQueueEntry
from chalicelib.stores.document_bucket import note_key
from chalicelib.stores.workflows import TaskTokenExpired

MAX_LEVEL = 2
_CURSOR_KEYS = {"checkpoint_id", "status", "created_at"}
_NOTE_ATTEMPTS = 5


class CaseHeld(Conflict):
    """Another officer holds the review: only they decide it, until they release it or the claim lapses."""

    code = "CASE_HELD"


class NotHeld(Conflict):
    """Releasing a review the caller does not hold."""

    code = "NOT_HELD"


def enter_review(checkpoint_id: str, task_token: str, level: int, stores: Stores = AWS) -> None:
    """Put the checkpoint in the queue at `level` with the task token that resumes its workflow;
    the reasons are those of the steps whose verdict was review."""
    checkpoint = stores.checkpoints.get(checkpoint_id)
    reasons = tuple(r for step in checkpoint.steps.values() if step.verdict == Verdict.REVIEW for r in step.reasons)
    stores.checkpoints.enter_review(checkpoint_id, task_token, reasons, level)
    events.publish_checkpoint_changes(checkpoint_id, stores)


def _waiting(start: dict[str, Any] | None, stores: Stores) -> Iterator[tuple[ReviewQueueEntry, dict[str, Any]]]:
    """Every checkpoint in review from `start`, oldest first, each with the cursor that follows it."""
    while True:
        entries, last = stores.checkpoints.in_review(100, start)
        for entry in entries:
            yield entry, {"checkpoint_id": entry.checkpoint_id, "status": entry.status, "created_at": entry.created_at}
        if last is None:
            return
        start = last


def _wanted(entry: ReviewQueueEntry, checkpoint: Checkpoint, caller: Caller, kind: CheckpointKind | None,
            level: int | None, assigned: Assigned | None) -> bool:
    if (kind and entry.kind != kind.value) or (level and entry.review_level != level):
        return False
    holder = case_files.holder_of(checkpoint)
    if assigned is Assigned.ME:
        return holder is not None and holder["subject"] == caller.subject
    return assigned is not Assigned.NONE or holder is None


def queue(caller: Caller, limit: int, cursor: str | None, kind: CheckpointKind | None = None, level: int | None = None,
          assigned: Assigned | None = None, stores: Stores = AWS) -> dict[str, Any]:
    """Checkpoints waiting for a decision, oldest first, each with why it waits, its age and due
    date, and who holds it; only those of a kind, a level, or held by the caller or by nobody."""
    start = cursors.decode(cursor, _CURSOR_KEYS) if cursor else None
    now, policy = utc_now(), review_policy()
    items, following, start_of_next = [], None, None
    for entry, after in _waiting(start, stores):
        checkpoint = access.checkpoint(caller, entry.checkpoint_id, stores)
        if not _wanted(entry, checkpoint, caller, kind, level, assigned):
            continue
        if len(items) == limit:
            following = start_of_next
            break
        since = entry.review_since or entry.created_at
        due = due_at(checkpoint.kind, since, policy)
        item = {
            "checkpoint_id": entry.checkpoint_id, "kind": entry.kind, "created_at": entry.created_at,
            "level": entry.review_level, "awaiting_decision": entry.awaiting_decision, "in_review_since": since,
            "age_seconds": int((now - parse_time(since)).total_seconds()), "due_at": iso(due),
            "overdue": entry.awaiting_decision and now >= due,
            "reasons": [r.model_dump() for r in entry.review_reasons],
            "explanation": explanation(checkpoint, stores),
            "links": {"checkpoint": f"/v1/checkpoints/{entry.checkpoint_id}",
                      "history": f"/v1/checkpoints/{entry.checkpoint_id}/history",
                      "case_file": f"/v1/reviews/{entry.checkpoint_id}",
                      "decision": f"/v1/reviews/{entry.checkpoint_id}/decision"},
        }
        if checkpoint.customer_id:
            item["customer_id"] = checkpoint.customer_id
        if holder := case_files.holder_of(checkpoint):
            item["assignee"] = holder
        items.append(item)
        start_of_next = after
    return {"items": items, "next": cursors.encode(following)}


def explanation(checkpoint: Checkpoint, stores: Stores = AWS) -> list[dict[str, Any]]:
    """Why a checkpoint is in review, from the stored results of the steps that sent it there:
    each screening match explained (listed name matched, per-component scores, adjustments, band,
    list version), each exit-risk red flag with its evidence (ids, amounts, masked IBANs), each fraud
    signal raised with its verdict and evidence (other checkpoints by id), and the customer risk
    rating with its factors, weights and sources (whenever there is one: it is why the reviewer
    looks as closely as they do)."""
    why: list[dict[str, Any]] = []
    for step in checkpoint.steps.values():
        if step.name == risk.STEP and checkpoint.risk_rating is not None:
            why.append({"step": step.name, "rating": checkpoint.risk_rating.model_dump(mode="json", exclude_none=True)})
            continue
        if step.verdict is not Verdict.REVIEW or not step.result_key:
            continue
        if step.name == "screening":
            screened = stores.documents.get_json(step.result_key, ScreeningResult)
            why.append({"step": step.name, "list_versions": screened.list_versions, "matches": [
                {"subject": subject.subject, **match.model_dump(mode="json")}
                for subject in screened.subjects for match in subject.matches]})
        elif step.name == fraud.STEP:
            assessment = stores.documents.get_json(step.result_key, FraudAssessment)
            rules = fraud_policy()
            why.append({"step": step.name, "policy_version": assessment.policy_version, "signals": [
                {"code": s.code, "detail": s.detail, "evidence": [e.model_dump(mode="json", exclude_none=True)
                                                                 for e in s.evidence],
                 "verdict": rules.checks[s.code].verdict if s.code in rules.checks else rules.default_verdict}
                for s in assessment.flagged()]})
        elif step.name == "exit_risk":
            assessment = stores.documents.get_json(step.result_key, ExitRiskAssessment)
            why.append({"step": step.name, "policy_version": assessment.policy_version,
                        "flags": [f.model_dump(mode="json") for f in assessment.findings if f.flagged]})
    return why


def _waiting_for_decision(checkpoint: Checkpoint) -> None:
    if checkpoint.status != CheckpointStatus.IN_REVIEW or not checkpoint.awaiting_decision:
        raise Conflict(f"checkpoint {checkpoint.checkpoint_id} is {checkpoint.status.value}, not waiting for a "
                       "review decision")


def _held_by_another(caller: Caller, checkpoint: Checkpoint) -> None:
    holder = case_files.holder_of(checkpoint)
    if holder and holder["subject"] != caller.subject:
        raise CaseHeld(f"{holder['subject']} holds this review since {holder['claimed_at']}: only they decide it, "
                       f"until they release it (or the claim lapses at {holder['lapses_at']}).")


def claim(caller: Caller, checkpoint_id: str, stores: Stores = AWS) -> dict[str, Any]:
    """The caller holds the review (again: a no-op); CaseHeld if another officer does."""
    checkpoint = access.checkpoint(caller, checkpoint_id, stores)
    _waiting_for_decision(checkpoint)
    _held_by_another(caller, checkpoint)
    now = utc_now()
    if not stores.checkpoints.claim(checkpoint_id, caller.subject, iso(now), iso(claim_lapses_before(now,
                                                                                                    review_policy()))):
        checkpoint = stores.checkpoints.get(checkpoint_id)  # someone moved first: say who, or what
        _waiting_for_decision(checkpoint)
        _held_by_another(caller, checkpoint)
    return held(stores.checkpoints.get(checkpoint_id))


def release(caller: Caller, checkpoint_id: str, stores: Stores = AWS) -> dict[str, Any]:
    """Give the review back to the queue; NotHeld unless the caller holds it."""
    checkpoint = access.checkpoint(caller, checkpoint_id, stores)
    if not stores.checkpoints.release(checkpoint_id, caller.subject, iso(utc_now())):
        holder = case_files.holder_of(checkpoint)
        by = f" ({holder['subject']} does)" if holder else ""
        raise NotHeld(f"You do not hold this review{by}.")
    return held(stores.checkpoints.get(checkpoint_id))


def held(checkpoint: Checkpoint) -> dict[str, Any]:
    view: dict[str, Any] = {"checkpoint_id": checkpoint.checkpoint_id,
                            "activity": [e.model_dump(mode="json") for e in checkpoint.case_events],
                            "links": {"case_file": f"/v1/reviews/{checkpoint.checkpoint_id}"}}
    if holder := case_files.holder_of(checkpoint):
        view["assignee"] = holder
    return view


def add_note(caller: Caller, checkpoint_id: str, text: str, stores: Stores = AWS) -> CaseNote:
    """Append a note to the case (numbered; written once, never changed). Notes belong to any
    checkpoint a review concerned or concerns."""
    checkpoint = access.checkpoint(caller, checkpoint_id, stores)
    if not checkpoint.review_level:
        raise Conflict(f"checkpoint {checkpoint_id} has never been in review: it has no case to note")
    rule = review_policy().notes
    sequence = len(case_files.notes(checkpoint_id, stores)) + 1
    for _ in range(_NOTE_ATTEMPTS):
        if sequence > rule.max_per_case:
            raise Conflict(f"the case has {rule.max_per_case} notes, the most it may have")
        note = CaseNote(checkpoint_id=checkpoint_id, sequence=sequence, author=caller.subject, at=iso(utc_now()),
                        text=text)
        if stores.documents.put_new(note_key(checkpoint_id, sequence), json.dumps(note.model_dump()).encode(),
                                    "application/json"):
            stores.checkpoints.record_case_event(checkpoint_id, CaseEvent(
                event=CaseEventKind.NOTE_ADDED, by=caller.subject, at=note.at, note=sequence))
            return note
        sequence += 1  # another officer's note took this number
    raise Conflict("too many notes are being added to this case at once; try again")


def decide(caller: Caller, checkpoint_id: str, outcome: ReviewOutcome, reason: str,
           stores: Stores = AWS) -> tuple[Checkpoint, ClosurePlan | None]:
    """Record a compliance officer's decision and resume the waiting workflow; returns the
    checkpoint and, for a closure, its plan. An approval also clears the sanctions matches that
    sent the checkpoint's screening to review (see services.clearances). A checkpoint that is not
    waiting, a review another officer holds (CaseHeld), a second concurrent decision, an escalation
    beyond level 2, or the same officer deciding the escalated review they escalated: Conflict."""
    checkpoint = access.checkpoint(caller, checkpoint_id, stores)
    _waiting_for_decision(checkpoint)
    _held_by_another(caller, checkpoint)
    level = checkpoint.review_level
    if outcome is ReviewOutcome.ESCALATE and level >= MAX_LEVEL:
        raise Conflict("this review is already escalated; approve or reject it")
    if level > 1 and any(d.reviewer == caller.subject and d.outcome is ReviewOutcome.ESCALATE
                         for d in checkpoint.review_decisions):
        raise Conflict("an escalated review is decided by another officer (four-eyes principle)")
    now = utc_now()
    decision = ReviewDecision(outcome=outcome, reviewer=caller.subject, reason=reason, decided_at=iso(now), level=level)
    try:
        token = stores.checkpoints.record_review_decision(checkpoint_id, decision,
                                                          iso(claim_lapses_before(now, review_policy())))
    except Conflict:
        _held_by_another(caller, stores.checkpoints.get(checkpoint_id))  # claimed meanwhile: say by whom
        raise
    try:
        stores.workflows.send_task_success(token, {"outcome": outcome.value, "level": level})
    except TaskTokenExpired:
        raise Conflict("the review had already timed out; the workflow moved on without this decision") from None
    if outcome is ReviewOutcome.APPROVE:  # after the workflow resumed: a failure here costs a later review, not this one
        clearances.grant_for_review(caller, checkpoint, reason, stores)
    checkpoint = stores.checkpoints.get(checkpoint_id)
    return checkpoint, offboarding.plan(caller, checkpoint, stores)
