"""Cleared matches (see `chalicelib.domain.screening.clearance`): granted by a review approval,
applied to every later screening of the customer, listed and revoked by compliance. Every grant
and revocation is an entry of the clearance log (ids and list references only).

`cleared` is the lookup a screening calls for each customer it screens: the workflows' screening
steps, and ongoing monitoring."""
from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from chalicelib.domain.actors import Caller
from chalicelib.domain.audit_log import LogName
from chalicelib.domain.checkpoint import Checkpoint, iso, utc_now
from chalicelib.domain.customer import customer_id_for
from chalicelib.domain.models import Verdict
from chalicelib.domain.screening.clearance import Clearance, ClearanceStatus, apply, clearable, granted
from chalicelib.domain.screening.engine import Match
from chalicelib.domain.screening.result import APPLICANT, ScreeningResult
from chalicelib.services import cursors
from chalicelib.stores import AWS, Stores

SCREENING_STEP = "screening"
_CURSOR_KEYS = ({"clearance_id", "granted_at", "status"}, {"clearance_id", "granted_at", "customer_id"})


def applicant_identity(checkpoint_id: str) -> str:
    """A sign-up's applicant is cleared as the customer its approval creates: the clearance follows
    the person to closure and monitoring, and no name is part of any key."""
    return customer_id_for(checkpoint_id)


def identity(checkpoint: Checkpoint, subject: str) -> str:
    """Whom a screened subject's clearances belong to: a holder's customer id, or the applicant's."""
    return applicant_identity(checkpoint.checkpoint_id) if subject == APPLICANT else subject


def cleared(customer_id: str, matches: Sequence[Match], stores: Stores = AWS) -> tuple[Match, ...]:
    """The matches, those a compliance officer cleared for this customer against the entry as it
    is still listed marked `cleared` with their clearance. Reads nothing if no match could be."""
    if not any(clearable(m) for m in matches):
        return tuple(matches)
    return apply(matches, stores.clearances.for_customer(customer_id))


def grant_for_review(caller: Caller, checkpoint: Checkpoint, reason: str, stores: Stores = AWS) -> list[Clearance]:
    """An approval clears the sanctions matches in the review band of the screening that sent
    the checkpoint to review (each subject's); granting twice changes nothing."""
    step = checkpoint.steps.get(SCREENING_STEP)
    if step is None or step.verdict is not Verdict.REVIEW or not step.result_key:
        return []
    result = stores.documents.get_json(step.result_key, ScreeningResult)
    now = iso(utc_now())
    clearances = [c for subject in result.subjects
                  for c in granted(checkpoint.checkpoint_id, identity(checkpoint, subject.subject), subject.matches,
                                   caller.subject, now, reason)]
    for clearance in clearances:
        stores.clearances.create(clearance)
        stores.audit.append_all(LogName.CLEARANCE, [("granted", clearance.clearance_id, _logged(clearance))],
                                once_key=f"granted:{clearance.clearance_id}")
    return clearances


def listing(caller: Caller, status: ClearanceStatus, customer_id: str | None, limit: int, cursor: str | None,
            stores: Stores = AWS) -> dict[str, Any]:
    """Clearances with this status (of one customer), newest first, a page at a time."""
    items, last = stores.clearances.page(status, customer_id, limit,
                                         cursors.decode(cursor, *_CURSOR_KEYS) if cursor else None)
    return {"items": items, "next": cursors.encode(last)}


def get(caller: Caller, clearance_id: str, stores: Stores = AWS) -> Clearance:
    return stores.clearances.get(clearance_id)


def revoke(caller: Caller, clearance_id: str, stores: Stores = AWS) -> Clearance:
    """Revoke a clearance: the next screening of the customer reports the match open again."""
    clearance = stores.clearances.revoke(clearance_id, caller.subject, iso(utc_now()))
    stores.audit.append(LogName.CLEARANCE, "revoked", clearance_id, {**_logged(clearance), "by": caller.subject})
    return clearance


def _logged(clearance: Clearance) -> dict[str, str]:
    """What the clearance log records: ids, the list entry and its hash, who granted it; never
    the reviewer's free-text reason (it may name the person; it stays with the checkpoint)."""
    return {"customer_id": clearance.customer_id, "source": clearance.source, "entry_id": clearance.entry_id,
            "entry_hash": clearance.entry_hash, "list_version": clearance.list_version,
            "checkpoint_id": clearance.checkpoint_id, "granted_by": clearance.granted_by}


