"""The record of one data-portability export: who asked, for which customer, what it holds and
where it stands (RUNNING -> READY | FAILED)."""
from __future__ import annotations

from enum import StrEnum

from chalicelib.domain.models import Frozen


class Format(StrEnum):
    """A file format of an export package."""

    JSON = "json"
    CSV = "csv"


class Section(StrEnum):
    """A part of a customer's data an export may hold."""

    PROFILE = "profile"
    KYC = "kyc"
    ACCOUNTS = "accounts"
    TRANSACTIONS = "transactions"
    CONSENTS = "consents"
    SCREENING_SUMMARY = "screening_summary"


FORMATS: tuple[Format, ...] = tuple(Format)
SECTIONS: tuple[Section, ...] = tuple(Section)


class ExportStatus(StrEnum):
    RUNNING = "RUNNING"
    READY = "READY"
    FAILED = "FAILED"


class ExportRecord(Frozen):
    export_id: str
    customer_id: str
    status: ExportStatus
    formats: tuple[Format, ...]
    include: tuple[Section, ...]
    requested_by: str  # the caller's subject, or a system actor (e.g. the closure workflow)
    created_at: str
    checkpoint_id: str | None = None  # the closure that asked for it, if one did
    size: int | None = None
    sha256: str | None = None
    package_key: str | None = None
    ready_at: str | None = None
    failure: str | None = None
    failed_at: str | None = None
