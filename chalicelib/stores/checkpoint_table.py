"""The checkpoints table (DynamoDB). Status changes are conditional writes: a checkpoint only
moves along `ALLOWED_FROM`, and repeating a change that already happened is a no-op (tasks retry)."""
from __future__ import annotations

import re
from datetime import datetime
from typing import Any, Protocol

from botocore.exceptions import ClientError

from chalicelib.domain.alert import ReportCase
from chalicelib.domain.checkpoint import (
    ALLOWED_FROM,
    CaseEvent,
    CaseEventKind,
    Checkpoint,
    CheckpointStatus,
    Correction,
    Decision,
    Failure,
    Reason,
    ReviewDecision,
    Step,
    WinBackState,
    iso,
    utc_now,
)
from chalicelib.domain.models import Frozen
from chalicelib.domain.risk_rating import RiskRating
from chalicelib.errors import Conflict, NotFound
from chalicelib.settings import get_settings
from chalicelib.stores.clients import table
from chalicelib.stores.stored import RetainedItems, RetainedItemStore, is_condition_failure, parse, put_new, record_fields


# A review nobody holds: never claimed, released, or claimed before the claim lapse (:lapsed).
_UNCLAIMED = "(attribute_not_exists(assignee) OR assigned_at < :lapsed)"
# The task tokens a waiting checkpoint holds (and `actions`, what a correction waits for): a final
# checkpoint keeps none.
WAITING_TOKENS = ("review_task_token", "win_back_task_token", "correction_task_token", "actions")


class ReviewQueueEntry(Frozen):
    """What the status index holds about a checkpoint in review (enough to rank the queue)."""

    checkpoint_id: str
    kind: str
    created_at: str
    review_level: int = 1
    review_since: str | None = None
    review_reasons: tuple[Reason, ...] = ()
    awaiting_decision: bool = False
    status: str = CheckpointStatus.IN_REVIEW.value


class CheckpointStore(RetainedItemStore, Protocol):
    def create(self, checkpoint: Checkpoint) -> None: ...
    def get(self, checkpoint_id: str, *, consistent: bool = True) -> Checkpoint: ...
    def status_of(self, checkpoint_id: str) -> CheckpointStatus: ...
    def record_step(self, checkpoint_id: str, step: Step, *, list_versions: dict[str, str] | None = None,
                    risk_rating: RiskRating | None = None) -> None: ...
    def transition(self, checkpoint_id: str, to: CheckpointStatus, *, set_fields: dict[str, Any] | None = None,
                   remove_fields: tuple[str, ...] = (), from_: CheckpointStatus | None = None) -> bool: ...
    def offer_win_back(self, checkpoint_id: str, task_token: str, offer: WinBackState) -> None: ...
    def answer_win_back(self, checkpoint_id: str, answer: str, at: str, by: str) -> str: ...
    def enter_review(self, checkpoint_id: str, task_token: str, reasons: tuple[Reason, ...], level: int) -> None: ...
    def record_review_decision(self, checkpoint_id: str, decision: ReviewDecision, claims_lapse_before: str = ""
                               ) -> str: ...
    def claim(self, checkpoint_id: str, by: str, at: str, claims_lapse_before: str) -> bool: ...
    def release(self, checkpoint_id: str, by: str, at: str) -> bool: ...
    def record_case_event(self, checkpoint_id: str, event: CaseEvent) -> None: ...
    def decide(self, checkpoint_id: str, decision: Decision, customer_id: str | None = None,
               report_case: ReportCase | None = None) -> Checkpoint | None: ...
    def fail(self, checkpoint_id: str, failure: Failure) -> bool: ...
    def in_review(self, limit: int, start_key: dict[str, Any] | None
                  ) -> tuple[list[ReviewQueueEntry], dict[str, Any] | None]: ...
    def retention_anchor(self, checkpoint_id: str, now: datetime) -> datetime: ...
    def version_of(self, checkpoint_id: str) -> tuple[CheckpointStatus, str]: ...
    def await_documents(self, checkpoint_id: str, task_token: str) -> None: ...
    def await_correction(self, checkpoint_id: str, task_token: str, actions: tuple[Reason, ...]) -> None: ...
    def correct(self, checkpoint_id: str, correction: Correction, request_key: str | None = None) -> str: ...
    def complete_documents(self, checkpoint_id: str, completed_at: str) -> str: ...
    def mark_events_published(self, checkpoint_id: str, count: int) -> None: ...


class CheckpointTable(RetainedItems):
    """`CheckpointStore` on DynamoDB (the table named by the CHECKPOINTS_TABLE setting)."""

    _KEY = "checkpoint_id"

    @staticmethod
    def _table():
        return table(get_settings().checkpoints_table)

    def create(self, checkpoint: Checkpoint) -> None:
        """Conflict if a checkpoint with this id exists."""
        put_new(self._table(), checkpoint.model_dump(mode="json", exclude_none=True), "checkpoint_id", "checkpoint")

    def get(self, checkpoint_id: str, *, consistent: bool = True) -> Checkpoint:
        item = self._table().get_item(Key={"checkpoint_id": checkpoint_id}, ConsistentRead=consistent).get("Item")
        if item is None:
            raise NotFound(checkpoint_id)
        return parse(Checkpoint, record_fields(item), "checkpoint", checkpoint_id)

    def status_of(self, checkpoint_id: str) -> CheckpointStatus:
        return self.version_of(checkpoint_id)[0]

    def version_of(self, checkpoint_id: str) -> tuple[CheckpointStatus, str]:
        """(status, updated_at): what a long-poll watches, without reading the whole item."""
        item = self._table().get_item(Key={"checkpoint_id": checkpoint_id}, ConsistentRead=True,
                                      ProjectionExpression="#s, updated_at",
                                      ExpressionAttributeNames={"#s": "status"}).get("Item")
        if item is None:
            raise NotFound(checkpoint_id)
        return CheckpointStatus(item["status"]), item["updated_at"]

    def mark_events_published(self, checkpoint_id: str, count: int) -> None:
        """Advance the published-events watermark (never backwards; a concurrent publisher that
        got further wins)."""
        try:
            self._table().update_item(
                Key={"checkpoint_id": checkpoint_id}, UpdateExpression="SET events_published = :n",
                ConditionExpression="attribute_not_exists(events_published) OR events_published < :n",
                ExpressionAttributeValues={":n": count})
        except ClientError as exc:
            if not is_condition_failure(exc):
                raise

    def record_step(self, checkpoint_id: str, step: Step, *, list_versions: dict[str, str] | None = None,
                    risk_rating: RiskRating | None = None) -> None:
        """Store a task's step summary under its name (a retried task overwrites, never duplicates);
        a screening step also records the list versions it used, the rating step the rating."""
        update = "SET steps.#name = :step, updated_at = :now"
        extra: dict[str, Any] = {}
        if list_versions is not None:
            update += ", list_versions = :versions"
            extra[":versions"] = list_versions
        if risk_rating is not None:
            update += ", risk_rating = :rating"
            extra[":rating"] = risk_rating.model_dump(mode="json", exclude_none=True)
        try:
            self._table().update_item(
                Key={"checkpoint_id": checkpoint_id},
                UpdateExpression=update,
                ConditionExpression="attribute_exists(checkpoint_id) AND #status IN (:running, :review)",
                ExpressionAttributeNames={"#name": step.name, "#status": "status"},
                ExpressionAttributeValues={":step": step.model_dump(mode="json", exclude_none=True),
                                           ":now": iso(utc_now()), ":running": CheckpointStatus.RUNNING.value,
                                           ":review": CheckpointStatus.IN_REVIEW.value, **extra},
            )
        except ClientError as exc:
            if is_condition_failure(exc):
                raise Conflict(f"checkpoint {checkpoint_id} is final or missing; step {step.name} not recorded") \
                    from exc
            raise

    def transition(self, checkpoint_id: str, to: CheckpointStatus, *, set_fields: dict[str, Any] | None = None,
                   remove_fields: tuple[str, ...] = (), from_: CheckpointStatus | None = None) -> bool:
        """Move the checkpoint to `to` if its status allows it (and is `from_`, when given). Returns
        True if this call changed it, False if it already was in `to` (a retried task); raises
        Conflict otherwise."""
        return self._transition(checkpoint_id, to, set_fields, remove_fields, from_) is not None

    def _transition(self, checkpoint_id: str, to: CheckpointStatus, set_fields: dict[str, Any] | None,
                    remove_fields: tuple[str, ...], from_: CheckpointStatus | None) -> dict[str, Any] | None:
        """`transition`, giving the item as this call left it (None: it already was in `to`)."""
        now = iso(utc_now())
        fields = {"status": to.value, "updated_at": now, **(set_fields or {})}
        names = {f"#f{i}": k for i, k in enumerate(fields)} | {"#status": "status"}
        values = {f":v{i}": v for i, v in enumerate(fields.values())}
        allowed = sorted(s.value for s in ALLOWED_FROM[to] if from_ is None or s is from_)
        if not allowed:
            raise Conflict(f"checkpoint {checkpoint_id} cannot become {to.value} from {from_.value if from_ else '?'}")
        values |= {f":from{i}": s for i, s in enumerate(allowed)}
        values |= {":change": [{"status": to.value, "at": now}], ":none": []}
        update = "SET " + ", ".join(f"#f{i} = :v{i}" for i in range(len(fields))) + \
            ", status_history = list_append(if_not_exists(status_history, :none), :change)"
        if remove_fields:
            names |= {f"#r{i}": k for i, k in enumerate(remove_fields)}
            update += " REMOVE " + ", ".join(f"#r{i}" for i in range(len(remove_fields)))
        try:
            return self._table().update_item(
                Key={"checkpoint_id": checkpoint_id},
                UpdateExpression=update,
                ConditionExpression=f"#status IN ({', '.join(f':from{i}' for i in range(len(allowed)))})",
                ExpressionAttributeNames=names,
                ExpressionAttributeValues=values,
                ReturnValues="ALL_NEW",
            )["Attributes"]
        except ClientError as exc:
            if not is_condition_failure(exc):
                raise
        current = self.status_of(checkpoint_id)
        if current == to:
            return None
        raise Conflict(f"checkpoint {checkpoint_id} is {current.value}; it cannot become {to.value}")

    def enter_review(self, checkpoint_id: str, task_token: str, reasons: tuple[Reason, ...], level: int) -> None:
        """Put the checkpoint in review at `level` (1, or 2 once escalated) with the task token that
        resumes its workflow. A retried task replaces the token with the current one. Entering
        review from RUNNING is a status change (recorded in the history); a level-2 review of a
        checkpoint already IN_REVIEW is not."""
        now = iso(utc_now())
        update = ("SET #status = :review, review_task_token = :token, review_reasons = :reasons, "
                  "review_level = :level, awaiting_decision = :true, review_since = :now, updated_at = :now")
        values = {":review": CheckpointStatus.IN_REVIEW.value, ":token": task_token,
                  ":reasons": [r.model_dump() for r in reasons], ":level": level, ":true": True, ":now": now}
        unheld = " REMOVE assignee, assigned_at"  # a new level (an escalation, a timeout) starts unclaimed
        attempts = (
            (update + ", status_history = list_append(if_not_exists(status_history, :none), :change)" + unheld,
             "#status = :running", {":running": CheckpointStatus.RUNNING.value, ":none": [],
                                    ":change": [{"status": CheckpointStatus.IN_REVIEW.value, "at": now}]}),
            (update + unheld, "#status = :review", {}),
        )
        self._first_that_holds(checkpoint_id, attempts, values, "enter review")

    def offer_win_back(self, checkpoint_id: str, task_token: str, offer: WinBackState) -> None:
        """RUNNING -> WIN_BACK_OFFERED with the offer and the task token the customer's answer
        resumes the workflow with (a retried task replaces the token, the offer stays as made)."""
        self._wait_with_token(checkpoint_id, CheckpointStatus.WIN_BACK_OFFERED, "win_back_task_token", task_token,
                              {"win_back": offer.model_dump(exclude_none=True)}, "offer a win-back")

    def answer_win_back(self, checkpoint_id: str, answer: str, at: str, by: str) -> str:
        """WIN_BACK_OFFERED -> RUNNING with the answer (accept, decline, or lapsed); returns the task
        token that resumes the workflow. Of two answers (the customer's, the timeout's) one wins; the
        other gets Conflict."""
        return self._resume(checkpoint_id, CheckpointStatus.WIN_BACK_OFFERED, "win_back_task_token", at,
                            "an answer to an offer", "win_back.answer = :answer, win_back.answered_at = :at, "
                            "win_back.answered_by = :by, ", {":answer": answer, ":by": by})

    def await_documents(self, checkpoint_id: str, task_token: str) -> None:
        """RUNNING -> AWAITING_DOCUMENTS with the task token that resumes the workflow once the
        channel has uploaded them (a retried task replaces the token)."""
        self._wait_with_token(checkpoint_id, CheckpointStatus.AWAITING_DOCUMENTS, "documents_task_token", task_token, {},
                              "wait for documents")

    def await_correction(self, checkpoint_id: str, task_token: str, actions: tuple[Reason, ...]) -> None:
        """RUNNING -> ACTION_REQUIRED with what the customer must correct and the task token their
        correction resumes the workflow with (a retried task replaces the token)."""
        self._wait_with_token(checkpoint_id, CheckpointStatus.ACTION_REQUIRED, "correction_task_token", task_token,
                              {"actions": [a.model_dump(exclude_none=True) for a in actions]},
                              "wait for a correction")

    def correct(self, checkpoint_id: str, correction: Correction, request_key: str | None = None) -> str:
        """ACTION_REQUIRED -> RUNNING with the correction appended (and the corrected application's
        key, when it names one); returns the task token that resumes the workflow. Of two
        concurrent corrections one wins; the other gets Conflict."""
        return self._resume(checkpoint_id, CheckpointStatus.ACTION_REQUIRED, "correction_task_token", correction.at,
                            "a correction", ("request_key = :key, " if request_key else "")
                            + "corrections = list_append(if_not_exists(corrections, :none), :correction), ",
                            {":correction": [correction.model_dump(mode="json")]}
                            | ({":key": request_key} if request_key else {}), remove=("actions",))

    def _resume(self, checkpoint_id: str, waiting: CheckpointStatus, token_field: str, at: str, what: str,
                set_fields: str = "", values: dict[str, Any] | None = None, remove: tuple[str, ...] = ()) -> str:
        """`waiting` -> RUNNING in one conditional write that also sets `set_fields` (an update
        expression's SET items, each followed by ", ") and records the change in the history; returns
        the task token that resumes the workflow. Of two concurrent resumptions one wins; the other
        gets Conflict."""
        try:
            old = self._table().update_item(
                Key={"checkpoint_id": checkpoint_id},
                UpdateExpression="SET #status = :running, updated_at = :at, " + set_fields
                                 + "status_history = list_append(if_not_exists(status_history, :none), :change) "
                                 "REMOVE " + ", ".join((token_field, *remove)),
                ConditionExpression=f"#status = :waiting AND attribute_exists({token_field})",
                ExpressionAttributeNames={"#status": "status"},
                ExpressionAttributeValues={":running": CheckpointStatus.RUNNING.value, ":at": at,
                                           ":waiting": waiting.value, ":none": [],
                                           ":change": [{"status": CheckpointStatus.RUNNING.value, "at": at}],
                                           **(values or {})},
                ReturnValues="ALL_OLD")["Attributes"]
        except ClientError as exc:
            if is_condition_failure(exc):
                raise Conflict(f"checkpoint {checkpoint_id} is not waiting for {what}") from exc
            raise
        return old[token_field]

    def _wait_with_token(self, checkpoint_id: str, waiting: CheckpointStatus, token_field: str, task_token: str,
                         fields: dict[str, Any], what: str) -> None:
        """RUNNING -> `waiting`, storing the task token (and `fields`) in the same write that records
        the change in the history; a retried task that finds it waiting only replaces the token."""
        now = iso(utc_now())
        sets = "".join(f", {name} = :set_{name}" for name in fields)
        attempts = (
            (f"SET #status = :waiting, {token_field} = :token, updated_at = :now{sets}, "
             "status_history = list_append(if_not_exists(status_history, :none), :change)",
             "#status = :running", {":running": CheckpointStatus.RUNNING.value, ":none": [],
                                    ":change": [{"status": waiting.value, "at": now}],
                                    **{f":set_{name}": value for name, value in fields.items()}}),
            (f"SET {token_field} = :token", "#status = :waiting", {}),
        )
        self._first_that_holds(checkpoint_id, attempts, {":waiting": waiting.value, ":token": task_token, ":now": now},
                               what)

    def _first_that_holds(self, checkpoint_id: str, attempts: tuple[tuple[str, str, dict[str, Any]], ...],
                          values: dict[str, Any], what: str) -> None:
        """Write the first (update, condition, its own values) whose condition holds: entering a
        waiting status from RUNNING (recorded in the history), or refreshing the task token of a
        retried task that finds it already waiting. Each attempt is given only the values its
        expressions name (DynamoDB refuses unused ones). Conflict if none holds."""
        for expression, condition, extra in attempts:
            named = {k: v for k, v in {**values, **extra}.items()
                     if re.search(re.escape(k) + r"\b", expression + " " + condition)}
            try:
                self._table().update_item(Key={"checkpoint_id": checkpoint_id}, UpdateExpression=expression,
                                          ConditionExpression=condition, ExpressionAttributeNames={"#status": "status"},
                                          ExpressionAttributeValues=named)
                return
            except ClientError as exc:
                if not is_condition_failure(exc):
                    raise
        raise Conflict(f"checkpoint {checkpoint_id} cannot {what} from its current status")

    def complete_documents(self, checkpoint_id: str, completed_at: str) -> str:
        """AWAITING_DOCUMENTS -> RUNNING; returns the task token that resumes the workflow. Of two
        concurrent completions one wins; the other gets Conflict."""
        return self._resume(checkpoint_id, CheckpointStatus.AWAITING_DOCUMENTS, "documents_task_token", completed_at,
                            "documents", "documents_completed_at = :at, ")

    def record_review_decision(self, checkpoint_id: str, decision: ReviewDecision, claims_lapse_before: str = ""
                               ) -> str:
        """Append a reviewer's decision to a checkpoint that is waiting for one at that level, and
        return the task token that resumes its workflow. A claimed review is decided only by its
        assignee until the claim lapses (claimed before `claims_lapse_before`); the decision ends
        the claim. Of two concurrent decisions one wins; the other gets Conflict."""
        try:
            old = self._table().update_item(
                Key={"checkpoint_id": checkpoint_id},
                UpdateExpression="SET review_decisions = list_append(if_not_exists(review_decisions, :none), "
                                 ":decision), awaiting_decision = :false, updated_at = :now "
                                 "REMOVE review_task_token, assignee, assigned_at",
                ConditionExpression="#status = :review AND awaiting_decision = :true AND review_level = :level AND "
                                    f"({_UNCLAIMED} OR assignee = :by)",
                ExpressionAttributeNames={"#status": "status"},
                ExpressionAttributeValues={":decision": [decision.model_dump(mode="json")], ":none": [],
                                           ":now": iso(utc_now()), ":review": CheckpointStatus.IN_REVIEW.value,
                                           ":true": True, ":false": False, ":level": decision.level,
                                           ":by": decision.reviewer, ":lapsed": claims_lapse_before},
                ReturnValues="ALL_OLD",
            )["Attributes"]
        except ClientError as exc:
            if is_condition_failure(exc):
                raise Conflict(f"checkpoint {checkpoint_id} is not waiting for a level {decision.level} review "
                               "decision by this reviewer") from exc
            raise
        return old["review_task_token"]

    def claim(self, checkpoint_id: str, by: str, at: str, claims_lapse_before: str) -> bool:
        """`by` holds the review from `at`, if it waits for a decision and nobody holds it (or the
        claim lapsed: made before `claims_lapse_before`). False if not: the caller reads the
        checkpoint to learn why (not waiting, held by another, or already held by `by`)."""
        return self._case_write(
            checkpoint_id, ("assignee = :by", "assigned_at = :at"), (),
            f"#status = :review AND awaiting_decision = :true AND {_UNCLAIMED}",
            {":review": CheckpointStatus.IN_REVIEW.value, ":true": True, ":lapsed": claims_lapse_before},
            CaseEvent(event=CaseEventKind.CLAIMED, by=by, at=at))

    def release(self, checkpoint_id: str, by: str, at: str) -> bool:
        """Give up `by`'s claim; False if `by` holds none on it."""
        return self._case_write(checkpoint_id, (), ("assignee", "assigned_at"), "assignee = :by", {},
                                CaseEvent(event=CaseEventKind.RELEASED, by=by, at=at))

    def record_case_event(self, checkpoint_id: str, event: CaseEvent) -> None:
        if not self._case_write(checkpoint_id, (), (), "attribute_exists(checkpoint_id)", {}, event):
            raise NotFound(checkpoint_id)

    def _case_write(self, checkpoint_id: str, sets: tuple[str, ...], removes: tuple[str, ...], condition: str,
                    values: dict[str, Any], event: CaseEvent) -> bool:
        """The `sets` and `removes`, and the event appended to the case's events, in one write if
        `condition` holds; False if it does not."""
        update = "SET " + ", ".join([*sets, "case_events = list_append(if_not_exists(case_events, :none), :event)"])
        if removes:
            update += " REMOVE " + ", ".join(removes)
        values = {**values, ":none": [], ":event": [event.model_dump(mode="json", exclude_none=True)],
                  ":by": event.by, ":at": event.at}
        used = {k: v for k, v in values.items() if re.search(re.escape(k) + r"\b", update + " " + condition)}
        names = {"ExpressionAttributeNames": {"#status": "status"}} if "#status" in condition else {}
        try:
            self._table().update_item(Key={"checkpoint_id": checkpoint_id}, UpdateExpression=update,
                                      ConditionExpression=condition, ExpressionAttributeValues=used, **names)
            return True
        except ClientError as exc:
            if is_condition_failure(exc):
                return False
            raise

    def decide(self, checkpoint_id: str, decision: Decision, customer_id: str | None = None,
               report_case: ReportCase | None = None) -> Checkpoint | None:
        """Record the final decision (and a confirmed match's report case); the checkpoint as decided
        (None if it already was: a retried task)."""
        fields: dict[str, Any] = {"decision": decision.model_dump(mode="json")}
        if customer_id:
            fields["customer_id"] = customer_id
        if report_case:
            fields["report_case"] = report_case.model_dump(mode="json", exclude_none=True)
        item = self._transition(checkpoint_id, decision.outcome, fields | {"awaiting_decision": False},
                                WAITING_TOKENS, None)
        return None if item is None else parse(Checkpoint, record_fields(item), "checkpoint", checkpoint_id)

    def fail(self, checkpoint_id: str, failure: Failure) -> bool:
        return self.transition(checkpoint_id, CheckpointStatus.FAILED,
                               set_fields={"failure": failure.model_dump(), "awaiting_decision": False},
                               remove_fields=WAITING_TOKENS)

    def in_review(self, limit: int, start_key: dict[str, Any] | None
                  ) -> tuple[list[ReviewQueueEntry], dict[str, Any] | None]:
        """Checkpoints waiting for a review decision, oldest first (index by-status), one page."""
        kwargs: dict[str, Any] = {
            "IndexName": "by-status", "KeyConditionExpression": "#status = :review", "ScanIndexForward": True,
            "ExpressionAttributeNames": {"#status": "status"},
            "ExpressionAttributeValues": {":review": CheckpointStatus.IN_REVIEW.value}, "Limit": limit,
        }
        if start_key:
            kwargs["ExclusiveStartKey"] = start_key
        page = self._table().query(**kwargs)
        entries = [parse(ReviewQueueEntry, item, "checkpoint", item.get("checkpoint_id", "?")) for item in page["Items"]]
        return entries, page.get("LastEvaluatedKey")

    def retention_anchor(self, checkpoint_id: str, now: datetime) -> datetime:
        """The instant the checkpoint's retention was first decided (`now` if this is the first time).
        A retried retention task gets its first attempt's instant, so the keep-until dates, tags and
        log entries it derives come out the same, not a few seconds later."""
        stored = self._table().update_item(
            Key={"checkpoint_id": checkpoint_id},
            UpdateExpression="SET retention_decided_at = if_not_exists(retention_decided_at, :now)",
            ConditionExpression="attribute_exists(checkpoint_id)",
            ExpressionAttributeValues={":now": iso(now)},
            ReturnValues="ALL_NEW",
        )["Attributes"]["retention_decided_at"]
        return datetime.fromisoformat(stored.replace("Z", "+00:00"))
