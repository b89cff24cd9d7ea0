"""Cleared matches: a compliance officer's finding that a subject is not a listed entry.

A review decision "approve" on a checkpoint whose screening sent it to review clears each
sanctions match in the review band that put it there: for that customer, that list's entry, and
the entry exactly as it was listed (its content hash). A later screening of the same customer
against the same unchanged entry reports the match as cleared and does not send the checkpoint
to review; a new alias, birth date or programme makes it another entry, and the clearance no
longer applies. A match in the block band is never cleared (near-certain matches are not a
reviewer's to wave through), nor a PEP match (approving a PEP is enhanced due diligence done,
not a finding that the person is someone else).

The identity is the customer id: a sign-up's applicant is cleared under the customer id its
approval creates (`customer.customer_id_for`), so the clearance follows the person from sign-up
to closure (and to ongoing monitoring) without a name in any key. Pure: storing clearances is
the clearance table's job.
"""
from __future__ import annotations

import hashlib
from collections.abc import Iterable, Sequence
from enum import StrEnum

from chalicelib.domain.models import Frozen
from chalicelib.domain.screening.matches import Band, ClearanceRef, Match, MatchStatus
from chalicelib.domain.screening.entities import ListKind

class ClearanceStatus(StrEnum):
    ACTIVE = "active"  # applies to the customer's screenings
    REVOKED = "revoked"  # no longer does


class Clearance(Frozen):
    clearance_id: str
    status: ClearanceStatus = ClearanceStatus.ACTIVE
    customer_id: str
    source: str
    entry_id: str
    entry_hash: str  # the listed entry's content hash when it was cleared
    list_version: str
    primary_name: str  # the listed entry's name (list data, not the customer's)
    checkpoint_id: str  # the review it was granted in
    granted_by: str
    granted_at: str
    reason: str  # the reviewer's reason for the decision
    revoked_by: str | None = None
    revoked_at: str | None = None

    def applies_to(self, match: Match) -> bool:
        return self.status is ClearanceStatus.ACTIVE and (self.source, self.entry_id, self.entry_hash) == (
            match.source, match.source_id, match.entry_hash)

    @property
    def ref(self) -> ClearanceRef:
        return ClearanceRef(id=self.clearance_id, by=self.granted_by, at=self.granted_at, reason=self.reason)


def clearable(match: Match) -> bool:
    """A match a review approval clears: an open sanctions match in the review band."""
    return match.status is MatchStatus.OPEN and match.kind is ListKind.SANCTIONS and match.band is Band.REVIEW


def clearance_id_for(checkpoint_id: str, customer_id: str, match: Match) -> str:
    """Deterministic: the same review clearing the same match twice (a retry) is one clearance."""
    key = "|".join((checkpoint_id, customer_id, match.source, match.source_id, match.entry_hash))
    return f"clr_{hashlib.sha256(key.encode()).hexdigest()[:32]}"


def granted(checkpoint_id: str, customer_id: str, matches: Iterable[Match], by: str, at: str,
            reason: str) -> list[Clearance]:
    """The clearances an approval grants for one subject's matches."""
    return [Clearance(clearance_id=clearance_id_for(checkpoint_id, customer_id, m), customer_id=customer_id,
                      source=m.source, entry_id=m.source_id, entry_hash=m.entry_hash, list_version=m.list_version,
                      primary_name=m.primary_name, checkpoint_id=checkpoint_id, granted_by=by, granted_at=at,
                      reason=reason)
            for m in matches if clearable(m) and m.entry_hash]


def apply(matches: Sequence[Match], clearances: Iterable[Clearance]) -> tuple[Match, ...]:
    """The matches, each clearable one an active clearance applies to marked cleared."""
    active = [c for c in clearances if c.status is ClearanceStatus.ACTIVE]
    out = []
    for match in matches:
        clearance = next((c for c in active if c.applies_to(match)), None) if clearable(match) else None
        out.append(match.model_copy(update={"status": MatchStatus.CLEARED, "clearance": clearance.ref})
                   if clearance else match)
    return tuple(out)


def cleared_detail(matches: Iterable[Match]) -> str:
    """"ofac-sdn: entry 6365, clearance clr_…" per cleared match: list references only."""
    return "; ".join(f"{m.source}: entry {m.source_id}, clearance {m.clearance.id}"
                     for m in matches if m.status is MatchStatus.CLEARED and m.clearance)
