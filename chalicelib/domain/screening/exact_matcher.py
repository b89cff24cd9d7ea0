"""Screening v0: exact, word-order-insensitive name matching against list entities.

A fuzzy matcher will later replace `ListIndex`/`screen_person` behind the same interface;
`ScreeningMatch` and `classify` are matcher-independent.
"""
from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import date
from typing import NamedTuple

from chalicelib.domain.models import CheckResult, Frozen
from chalicelib.domain.screening.entities import AliasStrength, EntityType, ListEntity, NameKind
from chalicelib.domain.screening.normalise import name_key

SANCTIONS_MATCH = "SANCTIONS_MATCH"
SANCTIONS_POSSIBLE_MATCH = "SANCTIONS_POSSIBLE_MATCH"


_ALIAS_KIND = {AliasStrength.STRONG: NameKind.STRONG_ALIAS, AliasStrength.WEAK: NameKind.WEAK_ALIAS}
_RANK = {kind: rank for rank, kind in enumerate(NameKind)}


class ScreeningMatch(Frozen):
    """One list entry an applicant matched, free of the applicant's own data."""

    source: str
    source_id: str
    matched_name: str
    name_kind: NameKind
    score: float
    birth_date_agrees: bool | None
    programmes: tuple[str, ...] = ()

    @property
    def is_strong(self) -> bool:
        """A match on the primary name or a strong alias that the birth date does not contradict."""
        return self.name_kind is not NameKind.WEAK_ALIAS and self.birth_date_agrees is not False


class IndexEntry(NamedTuple):
    """One listed name: its entity, which of the entity's names it is, and as listed."""

    entity: ListEntity
    name_kind: NameKind
    name: str


class ListIndex:
    """Entities' names (primary and aliases) by `name_key`."""

    __slots__ = ("_by_key",)

    def __init__(self, by_key: dict[str, list[IndexEntry]]) -> None:
        self._by_key = by_key

    @classmethod
    def build(cls, entities: Iterable[ListEntity]) -> ListIndex:
        by_key: dict[str, list[IndexEntry]] = {}
        for entity in entities:
            if key := name_key(entity.primary_name):
                by_key.setdefault(key, []).append(
                    IndexEntry(entity, NameKind.PRIMARY, entity.primary_name)
                )
            for alias in entity.aliases:
                if key := name_key(alias.name):
                    by_key.setdefault(key, []).append(
                        IndexEntry(entity, _ALIAS_KIND[alias.strength], alias.name)
                    )
        return cls(by_key)

    def __len__(self) -> int:
        return len(self._by_key)

    def lookup(self, key: str) -> Sequence[IndexEntry]:
        """Entries whose name has exactly this `name_key`."""
        return self._by_key.get(key, ())


def screen_person(
    index: ListIndex, full_name: str, birth_date: date | None
) -> list[ScreeningMatch]:
    """Person entries whose primary name or an alias has the same name key as `full_name`;
    one match per entry, on its strongest matching name."""
    best: dict[tuple[str, str], IndexEntry] = {}
    for entry in index.lookup(name_key(full_name)):
        if entry.entity.type is not EntityType.PERSON:
            continue
        ref = (entry.entity.source, entry.entity.source_id)
        if ref not in best or _RANK[entry.name_kind] < _RANK[best[ref].name_kind]:
            best[ref] = entry
    return [
        ScreeningMatch(
            source=e.entity.source,
            source_id=e.entity.source_id,
            matched_name=e.name,
            name_kind=e.name_kind,
            score=1.0,
            birth_date_agrees=(
                None if birth_date is None else e.entity.birth_date_agrees(birth_date)
            ),
            programmes=e.entity.programmes,
        )
        for e in best.values()
    ]


def classify(matches: Iterable[ScreeningMatch]) -> list[CheckResult]:
    """Both sanctions checks: SANCTIONS_MATCH fails on any strong match; otherwise
    SANCTIONS_POSSIBLE_MATCH fails on any match at all (weak alias or contradicting birth date)."""
    matches = list(matches)
    strong = [m for m in matches if m.is_strong]
    possible = [] if strong else matches
    return [
        CheckResult(code=SANCTIONS_MATCH, passed=not strong, detail=_detail(strong)),
        CheckResult(code=SANCTIONS_POSSIBLE_MATCH, passed=not possible, detail=_detail(possible)),
    ]


def _detail(matches: Sequence[ScreeningMatch]) -> str:
    """"ofac-sdn: 2 entries (7157, 8891)" per source; list references only, no applicant data."""
    by_source: dict[str, list[str]] = {}
    for m in matches:
        by_source.setdefault(m.source, []).append(m.source_id)
    return "; ".join(
        f"{source}: {len(ids)} {'entry' if len(ids) == 1 else 'entries'} ({', '.join(ids)})"
        for source, ids in by_source.items()
    )
