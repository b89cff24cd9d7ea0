"""The reviewer's case file, pure: a listed entry's whole record as the list gives it, and the person
the bank knows beside it, attribute by attribute (agrees, differs, unknown, with both values).

An officer deciding a possible match compares names, birth dates, nationalities, places of birth
and documents; the engine's score explains why the case was opened, this comparison is what the
officer reads to decide it. Both values are shown as they are recorded: the bank's validated data
(ISO country codes, a full birth date) and the list's own spelling ("Colombia", "circa 1958").
"""
from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from enum import StrEnum

from chalicelib.domain.models import Applicant, Frozen, IdentityDocument
from chalicelib.domain.screening.countries import iso3
from chalicelib.domain.screening.matches import Match
from chalicelib.domain.screening.entities import (
    AliasStrength,
    BirthDate,
    EntityType,
    Identifier,
    ListEntity,
    ListKind,
    NameKind,
    Precision,
)
from chalicelib.domain.screening.normalise import name_key


class Agreement(StrEnum):
    """How one attribute of the person compares with the listed entry's."""

    AGREES = "agrees"
    DIFFERS = "differs"
    UNKNOWN = "unknown"  # one side (or both) records nothing comparable


class Attribute(StrEnum):
    """What is compared, in the order an officer reads them."""

    NAME = "name"
    BIRTH_DATE = "birth_date"
    NATIONALITY = "nationality"
    PLACE_OF_BIRTH = "place_of_birth"
    DOCUMENT = "document"
    ADDRESS_COUNTRY = "address_country"
    ENTITY_TYPE = "entity_type"


class Comparison(Frozen):
    attribute: Attribute
    agreement: Agreement
    subject: str | None  # the person's value as the bank records it (None: the bank records none)
    listed: tuple[str, ...]  # the entry's values as the list gives them
    detail: str


class ListedName(Frozen):
    name: str
    quality: NameKind  # primary, strong alias or weak alias (a low-quality a.k.a.)


class ListedBirthDate(Frozen):
    value: str  # "1951-08-24", "1951-08", "1951", or "1958 to 1960"
    precision: Precision  # day, month or year (a range: year)
    circa: bool = False


class ListedEntry(Frozen):
    """A listed entry's whole record, from the list version the screening used."""

    source: str
    source_id: str
    list_version: str
    kind: ListKind
    type: EntityType
    names: tuple[ListedName, ...]
    birth_dates: tuple[ListedBirthDate, ...]
    nationalities: tuple[str, ...]
    places_of_birth: tuple[str, ...]
    identifiers: tuple[Identifier, ...]
    programmes: tuple[str, ...]
    address_countries: tuple[str, ...]
    remarks: str
    listed_on: date | None
    positions: tuple[str, ...] = ()  # a PEP's positions (or a designee's), as the list gives them
    entry_hash: str  # the content hash of the entry as read now (the match's, if the list is the same)


def birth_date_text(b: BirthDate) -> ListedBirthDate:
    """A listed birth date as a person reads it, at the precision the list gives it."""
    if b.exact is not None:
        return ListedBirthDate(value=b.exact.isoformat(), precision=Precision.DAY, circa=b.circa)
    if b.year_from is not None:
        return ListedBirthDate(value=f"{b.year_from} to {b.year_to}", precision=Precision.YEAR, circa=b.circa)
    if b.month is not None:
        return ListedBirthDate(value=f"{b.year:04d}-{b.month:02d}", precision=Precision.MONTH, circa=b.circa)
    return ListedBirthDate(value=f"{b.year:04d}", precision=Precision.YEAR, circa=b.circa)


def _shown(b: ListedBirthDate) -> str:
    return f"circa {b.value}" if b.circa else b.value


def listed_entry(entity: ListEntity, list_version: str) -> ListedEntry:
    names = [ListedName(name=entity.primary_name, quality=NameKind.PRIMARY)]
    names += [ListedName(name=a.name, quality=NameKind.STRONG_ALIAS if a.strength is AliasStrength.STRONG
                         else NameKind.WEAK_ALIAS) for a in entity.aliases]
    return ListedEntry(
        source=entity.source, source_id=entity.source_id, list_version=list_version, kind=entity.kind,
        type=entity.type, names=tuple(names),
        birth_dates=tuple(birth_date_text(b) for b in entity.birth_dates if b.exact or b.year or b.year_from),
        nationalities=entity.nationalities, places_of_birth=entity.places_of_birth, identifiers=entity.identifiers,
        programmes=entity.programmes, address_countries=entity.address_countries, remarks=entity.remarks,
        listed_on=entity.listed_on, positions=entity.positions, entry_hash=entity.content_hash())


def _countries(subject: str, listed: Iterable[str], what: str, whats: str) -> tuple[Agreement, str]:
    """An ISO alpha-3 code against the list's spellings; names no list spelling can be read as unknown."""
    listed = tuple(listed)
    if not listed:
        return Agreement.UNKNOWN, f"the list gives no {what}"
    codes = {iso3(c) for c in listed} - {None}
    if subject in codes:
        return Agreement.AGREES, f"{subject} is among the listed {whats}"
    if not codes:
        return Agreement.UNKNOWN, f"the listed {what} cannot be read as a country"
    return Agreement.DIFFERS, f"{subject} is not among the listed {whats} ({', '.join(sorted(codes))})"


def _document(document: IdentityDocument | None, identifiers: tuple[Identifier, ...]) -> Comparison:
    listed = tuple(f"{i.kind} {i.value}" + (f" ({i.country})" if i.country else "") for i in identifiers)
    if document is None:
        return Comparison(attribute=Attribute.DOCUMENT, agreement=Agreement.UNKNOWN, subject=None, listed=listed,
                          detail="the bank records no document for this person")
    shown = f"{document.type.value} {document.number} ({document.issuing_country})"
    number = document.number.replace(" ", "").upper()
    if any(i.value.replace(" ", "").replace("-", "").upper() == number for i in identifiers):
        return Comparison(attribute=Attribute.DOCUMENT, agreement=Agreement.AGREES, subject=shown, listed=listed,
                          detail="the same document number is listed")
    if not identifiers:
        return Comparison(attribute=Attribute.DOCUMENT, agreement=Agreement.UNKNOWN, subject=shown, listed=listed,
                          detail="the list gives no document numbers")
    same_kind = [i for i in identifiers if i.kind == document.type.value]
    if same_kind:
        return Comparison(attribute=Attribute.DOCUMENT, agreement=Agreement.DIFFERS, subject=shown, listed=listed,
                          detail=f"another {document.type.value} number is listed")
    return Comparison(attribute=Attribute.DOCUMENT, agreement=Agreement.UNKNOWN, subject=shown, listed=listed,
                      detail=f"the list gives no {document.type.value} number, only other documents")


def compare(person: Applicant, document: IdentityDocument | None, entity: ListEntity, match: Match
            ) -> tuple[Comparison, ...]:
    """The person beside the listed entry, attribute by attribute."""
    full_name = f"{person.given_names} {person.family_name}"
    names = (entity.primary_name, *(a.name for a in entity.aliases))
    same = name_key(full_name) == name_key(match.matched_name)
    name = Comparison(
        attribute=Attribute.NAME, agreement=Agreement.AGREES if same else Agreement.DIFFERS, subject=full_name,
        listed=names, detail=(f"matched the {match.name_kind.value.replace('_', ' ')} “{match.matched_name}”: "
                              f"{'the same once normalised' if same else 'similar, not the same'} "
                              f"(name score {match.name_scores.name:.2f})"))

    listed_dates = tuple(birth_date_text(b) for b in entity.birth_dates if b.exact or b.year or b.year_from)
    agrees = entity.birth_date_agrees(person.birth_date)
    born = Comparison(
        attribute=Attribute.BIRTH_DATE,
        agreement=Agreement.UNKNOWN if agrees is None else Agreement.AGREES if agrees else Agreement.DIFFERS,
        subject=person.birth_date.isoformat(), listed=tuple(_shown(b) for b in listed_dates),
        detail="the list gives no birth date" if agrees is None else
        "consistent with a listed birth date, at the precision the list gives" if agrees else
        "no listed birth date is consistent with it")

    agreement, detail = _countries(person.nationality, entity.nationalities, "nationality", "nationalities")
    nationality = Comparison(attribute=Attribute.NATIONALITY, agreement=agreement, subject=person.nationality,
                             listed=entity.nationalities, detail=detail)
    place = Comparison(attribute=Attribute.PLACE_OF_BIRTH, agreement=Agreement.UNKNOWN, subject=None,
                       listed=entity.places_of_birth,
                       detail="the bank does not record a place of birth: compare it with the document")
    agreement, detail = _countries(person.address.country, entity.address_countries, "address country",
                                 "address countries")
    address = Comparison(attribute=Attribute.ADDRESS_COUNTRY, agreement=agreement, subject=person.address.country,
                         listed=entity.address_countries, detail=detail)
    person_listed = entity.type is EntityType.PERSON
    kind = Comparison(attribute=Attribute.ENTITY_TYPE,
                      agreement=Agreement.AGREES if person_listed else Agreement.DIFFERS, subject="person",
                      listed=(entity.type.value,),
                      detail="a person is listed" if person_listed else f"a {entity.type.value} is listed, not a person")
    return name, born, nationality, place, _document(document, entity.identifiers), address, kind
