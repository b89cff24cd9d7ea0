"""The reverse index of ongoing monitoring: the customers as the index, a list's entries as the
queries (see `chalicelib.domain.monitoring` for the runs). Pure."""
from __future__ import annotations

import hashlib
from collections.abc import Iterable, Sequence
from datetime import date

from chalicelib.domain.customer import CustomerRecord
from chalicelib.domain.models import Frozen
from chalicelib.domain.screening.engine import Match, Screener
from chalicelib.domain.screening.entities import EntityType, NameKind
from chalicelib.domain.screening.index import IndexedEntity, NameIndex
from chalicelib.domain.screening.policy import ScreeningPolicy

CUSTOMERS = "customers"  # the reverse index's source name (it indexes no list)


class ScreeningProfile(Frozen):
    """What the reverse index keeps of a customer: what screening compares, nothing more."""

    customer_id: str
    name: str  # given names and family name, as the sign-up gave them
    birth_date: date
    nationality: str | None = None  # ISO 3166-1 alpha-3


def profile_of(customer: CustomerRecord) -> ScreeningProfile:
    person = customer.profile
    return ScreeningProfile(customer_id=customer.customer_id, name=f"{person.given_names} {person.family_name}",
                            birth_date=person.birth_date, nationality=person.nationality)


def customer_index(profiles: Sequence[ScreeningProfile]) -> NameIndex:
    """The customers as an index the engine can search with a listed name as the query: entry i
    of the index is profiles[i]."""
    return NameIndex.of_entries(CUSTOMERS, "", (
        (IndexedEntity(source_id=p.customer_id, type=EntityType.PERSON.value, kind=CUSTOMERS, primary_name="",
                       programmes=(), nationalities=(), birth_dates=(), content_hash=""),
         ((NameKind.PRIMARY, p.name),))
        for p in profiles))


Hit = tuple[ScreeningProfile, tuple[Match, ...]]


def delta_hits(profiles: Sequence[ScreeningProfile], customers: NameIndex, entries: NameIndex,
               policy: ScreeningPolicy, min_coverage: float) -> list[Hit]:
    """The customers among `profiles` (indexed as `customers`) that the listed entries of
    `entries` match, each with its matches (review band or above), best first. Every name of every
    entry is a query against the customers; the customers it reaches are screened forward, as a
    sign-up would be, against those entries only."""
    reverse, forward = Screener([customers], policy), Screener([entries], policy)
    reached: set[int] = set()
    for name in {n.name for n in entries.names}:
        for name_id in reverse.reaching(name, min_coverage).get(CUSTOMERS, ()):
            reached.add(customers.names[name_id].entity)
    return screen_all((profiles[i] for i in sorted(reached)), forward)


def screen_all(profiles: Iterable[ScreeningProfile], screener: Screener) -> list[Hit]:
    """Each profile screened as a sign-up's applicant is (review band or above), those with matches."""
    hits = []
    for profile in profiles:
        matches = screener.screen_person(profile.name, profile.birth_date, profile.nationality)
        if matches:
            hits.append((profile, tuple(matches)))
    return hits


def alert_id_for(customer_id: str, match: Match) -> str:
    """One alert per customer and listed entry as listed: the same unchanged entry never opens a
    second one (a retried shard, a later run); a changed entry (another content hash) does."""
    key = f"monitoring|{customer_id}|{match.source}|{match.source_id}|{match.entry_hash}"
    return f"cp_{hashlib.sha256(key.encode()).hexdigest()[:32]}"
