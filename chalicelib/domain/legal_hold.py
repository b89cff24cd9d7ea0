"""A legal hold: while it is active, nothing it covers is erased, whatever its keep-until date."""
from __future__ import annotations

from chalicelib.domain.models import Frozen


class LegalHold(Frozen):
    hold_id: str
    customer_id: str | None = None  # a whole customer, or
    record_id: str | None = None  # one record (an S3 key, or customer/<id> for the customer item)
    reason: str
    case_reference: str
    placed_by: str
    placed_at: str
    released_by: str | None = None
    released_at: str | None = None

    @property
    def target(self) -> str:
        return self.customer_id or self.record_id or ""
