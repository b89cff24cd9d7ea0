"""What screening finds: a match of a list entry, its band, scores and explanation (the engine,
chalicelib.domain.screening.engine, makes them). Apart from the engine so that what only reads or
shows matches (clearances, the case file, the API's views) loads no fuzzy matching."""
from __future__ import annotations

from enum import StrEnum

from chalicelib.domain.models import Frozen
from chalicelib.domain.screening.entities import EntityType, ListKind, NameKind, Precision


class BirthDateLevel(StrEnum):
    """How the best of an entry's listed birth dates compares with the subject's, best first."""

    EXACT = "exact"  # same day
    YEAR = "year"  # the same year (and month, where both give one), short of the same day
    RANGE = "range"  # inside a listed range or circa window
    NEAR = "near"  # within near_years of one: no opinion
    MISMATCH = "mismatch"  # further from every listed date
    UNKNOWN = "unknown"  # no listed birth date, or no date given


class Band(StrEnum):
    BLOCK = "block"
    REVIEW = "review"
    PASS = "pass"


class NameScores(Frozen):
    """How the matched name compares with the screened one (each 0..1)."""

    token_pairs: float
    token_sort: float
    token_set: float
    name: float  # the policy's weighted blend of the three
    tokens_paired: int
    listed_tokens: int


class Adjustment(Frozen):
    factor: str  # weak_alias | birth_date | nationality | entity_type
    delta: float
    detail: str


class Joined(StrEnum):
    """Whose words a pair joined: the screened name's ("Usa ma") or the listed name's ("bin laden")."""

    SCREENED = "screened"
    LISTED = "listed"


class Resegmentation(Frozen):
    """A pair the match needed words joined for: some of the screened name's words joined
    ("Usa ma" for the listed "usama"), or the listed name's ("bin laden" for "binladen")."""

    joined: Joined
    screened_words: tuple[int, ...]  # 1-based positions in the screened name, as normalised
    listed: str  # the listed word(s), normalised
    detail: str


class MatchStatus(StrEnum):
    OPEN = "open"
    CLEARED = "cleared"  # a compliance officer cleared this entry for this subject (see clearance)


class ClearanceRef(Frozen):
    """The clearance that applies to a match: who cleared the entry, when and why."""

    id: str
    by: str
    at: str
    reason: str


class Match(Frozen):
    """One list entry the screened name matched, on its best-scoring name, explained."""

    source: str
    list_version: str
    source_id: str
    kind: ListKind
    entity_type: EntityType
    primary_name: str
    matched_name: str
    name_kind: NameKind
    programmes: tuple[str, ...] = ()
    score: float
    band: Band
    rule: str
    name_scores: NameScores
    adjustments: tuple[Adjustment, ...] = ()
    birth_date: BirthDateLevel = BirthDateLevel.UNKNOWN
    birth_date_precision: Precision | None = None  # what the dates were compared at
    resegmented: tuple[Resegmentation, ...] = ()
    entry_hash: str = ""  # the listed entry's content hash (a changed entry is another entry)
    status: MatchStatus = MatchStatus.OPEN
    clearance: ClearanceRef | None = None
