"""A new version of a list against the one in force: the diff, and when to refuse it."""
from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping
from datetime import date
from enum import StrEnum
from typing import Any

from pydantic import Field, model_validator

from chalicelib.domain.models import Frozen
from chalicelib.domain.screening.entities import ListEntity, ListKind
from chalicelib.errors import Refused

MAX_LISTED_IDS = 50


class ListOrigin(StrEnum):
    """Who publishes a list's versions."""

    PUBLISHER = "publisher"  # downloaded from the publisher's URLs, or uploaded (POST /v1/lists/refresh)
    BANK = "bank"  # the bank's own list, published whole by compliance (POST /v1/lists/internal/versions)


class SourceKind(StrEnum):
    """What a source lists: one kind of entry (each entry is of the source's kind, unless its
    format says otherwise: a Senzing record's sanction topic), or `mixed`, a consolidated
    dataset whose entries each carry their own kind (OpenSanctions' FtM topics: sanctions, PEP,
    crime; see ftm.py). Shown by GET /v1/lists; screening reads each entry's own kind."""

    SANCTIONS = ListKind.SANCTIONS.value
    PEP = ListKind.PEP.value
    CRIME = ListKind.CRIME.value
    MIXED = "mixed"


class ListSource(Frozen):
    """One list the product reads. In force unless `retired_on` is set: a retired source (its
    publisher stopped it, `replaced_by` names the source that replaces it) is never screened
    nor refreshed again; its versions stay readable (case files show the entries they matched).
    A `required` source in force must have a version: screening fails without one and health
    reports degraded; one not required (a source added before its first version is loaded) is
    screened from its first version on, and shows version None until then."""

    kind: SourceKind
    format: str
    origin: ListOrigin = ListOrigin.PUBLISHER
    files: Mapping[str, str] = {}  # file name -> URL where the publisher puts it
    publisher: str | None = None  # the publisher's page for the list
    required: bool = True
    retired_on: date | None = None
    replaced_by: str | None = None
    retirement: str | None = None  # why and on whose word, for the reviewer
    # Refreshed in the background (POST /v1/lists/refresh answers 202 and the list refresh workflow
    # publishes it): a list too large to download, parse and index within API Gateway's 29 s.
    asynchronous: bool = False

    @property
    def retired(self) -> bool:
        return self.retired_on is not None

    @property
    def screens_first_version(self) -> bool:
        """Whether a list's first version is screened against the customers at once (delta run).
        An official list's first version comes with the installation and is screened by the next
        full re-screen; the bank's own list is published to find its customers, from the first."""
        return self.origin is ListOrigin.BANK

    @model_validator(mode="after")
    def _retirement(self) -> ListSource:
        if (self.replaced_by or self.retirement) and self.retired_on is None:
            raise ValueError("replaced_by and retirement need retired_on")
        if self.retired_on is not None and self.required:
            raise ValueError("a retired source cannot be required (set required: false)")
        return self


class MaxShrink(Frozen):
    percent: float = Field(ge=0, le=100)
    source: str


RESERVED_SOURCE = "refreshes"  # lists/refreshes/<refresh_id>.json: the refreshes in the background


class ListSourcesPolicy(Frozen):
    policy: str
    version: str
    max_shrink: MaxShrink
    sources: Mapping[str, ListSource]

    @model_validator(mode="after")
    def _replacements_exist(self) -> ListSourcesPolicy:
        for name, source in self.sources.items():
            if source.replaced_by is not None and (source.replaced_by == name or source.replaced_by not in self.sources
                                                   or self.sources[source.replaced_by].retired):
                raise ValueError(f"{name}: replaced_by must name another source in force")
        if RESERVED_SOURCE in self.sources:
            raise ValueError(f"{RESERVED_SOURCE!r} is no source's name: lists/{RESERVED_SOURCE}/ holds the refreshes")
        return self

    def in_force(self) -> dict[str, ListSource]:
        """The sources screened (every one not retired), in policy order."""
        return {name: source for name, source in self.sources.items() if not source.retired}


class RefreshRefused(Refused):
    """A new list version that must not replace the one in force; `code` is stable."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(f"{message.rstrip('.')}. The version in force keeps serving.", code=code)


class ListDiff(Frozen):
    added: int
    removed: int
    changed: int
    added_ids: tuple[str, ...] = ()
    removed_ids: tuple[str, ...] = ()
    changed_ids: tuple[str, ...] = ()


Fingerprints = Mapping[str, bytes]  # source id -> the entry's fingerprint


def fingerprint(entity: ListEntity) -> bytes:
    """A digest of every field of the entry (descriptive ones included): two entries have the
    same fingerprint when they are equal. What a version's diff is worked out from, so that a
    list of a million entries is never held twice (the version in force and the new one)."""
    return hashlib.blake2b(entity.model_dump_json().encode(), digest_size=16).digest()


def fingerprints(entities: Iterable[ListEntity]) -> dict[str, bytes]:
    return {e.source_id: fingerprint(e) for e in entities}


def diff_of(before: Fingerprints, after: Fingerprints) -> ListDiff:
    """The diff of two versions from their entries' fingerprints: the counts, and the first 50 ids
    (in order) of each change, whatever the list's size: a first version of a million entries is
    1,000,000 added and 50 ids, so the refresh record and the API's answer stay small. The full
    sets are in the versions' files (and the added and changed ids in the delta run's entries)."""
    added = sorted(k for k in after if k not in before)
    removed = sorted(k for k in before if k not in after)
    changed = sorted(k for k, f in after.items() if k in before and before[k] != f)
    return ListDiff(added=len(added), removed=len(removed), changed=len(changed),
                    added_ids=tuple(added[:MAX_LISTED_IDS]), removed_ids=tuple(removed[:MAX_LISTED_IDS]),
                    changed_ids=tuple(changed[:MAX_LISTED_IDS]))


def screened_of(before: Fingerprints, after: Fingerprints) -> list[str]:
    """Every entry a new version adds or changes, by source id: what ongoing monitoring screens
    every customer against (a removed entry screens nobody)."""
    return sorted(k for k, f in after.items() if before.get(k) != f)


def check_size(previous_count: int | None, new_count: int, max_shrink_percent: float) -> None:
    """Refuse an empty list, and one that lost more than the policy's share of entries."""
    if new_count == 0:
        raise RefreshRefused("EMPTY_LIST", "the new version has no entries")
    if previous_count and new_count < previous_count * (1 - max_shrink_percent / 100):
        lost = 100 * (previous_count - new_count) / previous_count
        raise RefreshRefused("SUSPICIOUS_SHRINK",
                             f"the new version has {new_count} entries, {lost:.1f}% fewer than the {previous_count} "
                             f"in force (policy: at most {max_shrink_percent:g}%); it was not published")


class RefreshState(StrEnum):
    """Where a refresh in the background is: accepted (its workflow starts), running (at `stage`),
    and how it ended: published, unchanged or reindexed (as a synchronous refresh answers),
    refused (the version in force keeps serving: `error_code` says why), or failed (a fault)."""

    ACCEPTED = "accepted"
    RUNNING = "running"
    PUBLISHED = "published"
    UNCHANGED = "unchanged"
    REINDEXED = "reindexed"
    REFUSED = "refused"
    FAILED = "failed"


class RefreshStage(StrEnum):
    READING = "reading"  # downloading from the publisher, or reading the upload
    PARSING = "parsing"  # parsing the files, each entry indexed as it is read
    INDEXING = "indexing"  # the index serialised, the diff, storing the version and starting its delta run


class ListRefresh(Frozen):
    """A refresh in the background: what was asked, by whom, and how far it got. Ids, codes and
    counts only (the entries' diff is in `report`)."""

    refresh_id: str
    source: str
    upload_prefix: str | None = None
    snapshot: str | None = None
    requested_by: str
    requested_at: str
    state: RefreshState = RefreshState.ACCEPTED
    stage: RefreshStage | None = None
    updated_at: str
    finished_at: str | None = None
    report: dict[str, Any] | None = None  # the publish's report, as a synchronous refresh answers it
    error_code: str | None = None
    error: str | None = None

    @property
    def ended(self) -> bool:
        return self.state not in (RefreshState.ACCEPTED, RefreshState.RUNNING)
