"""What a monitoring alert is about, and the report case a confirmed sanctions match opens: ids,
list references, authorities and deadlines (see `chalicelib.domain.monitoring`)."""
from __future__ import annotations

from chalicelib.domain.models import Frozen


class AlertOf(Frozen):
    """What an alert is about: the list entry as listed and the run that found it (ids only)."""

    run_id: str
    source: str
    entry_id: str
    list_version: str
    entry_hash: str


class Report(Frozen):
    authority: str
    report: str
    due: str  # "within 10 business days", "immediately", "as soon as practicable"
    deadline: str | None = None  # UTC ISO-8601 when the rule gives a number of days
    source: str


class ReportCase(Frozen):
    """Opened when an alert confirms a sanctions match: the customer is frozen and these reports
    are owed. Ids and list references only."""

    case_id: str
    alert_id: str
    customer_id: str
    source: str
    entry_id: str
    opened_at: str
    status: str = "open"
    reports: tuple[Report, ...] = ()
