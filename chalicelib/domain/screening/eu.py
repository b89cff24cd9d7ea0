"""Parser for the EU Financial Sanctions Files XML (FSF, namespace
http://eu.europa.ec/fpi/fsd/export), as described by OpenSanctions' zavod/shed/fsf.py.

`export/sanctionEntity@{logicalId, euReferenceNumber}` with `subjectType@code` (person |
enterprise), `nameAlias@{wholeName, firstName, middleName, lastName, strong}`, `citizenship`,
`birthdate@{birthdate, year, circa, yearRangeFrom, yearRangeTo}`, `identification`,
`regulation@{programme, publicationDate}` (the first publication is the listing date), `address`,
`remark` and the birthdate's `city`/`place` and `countryDescription` (the place of birth). The
first strong name is the primary name; names with strong="false", or whose own `remark` says
"low quality", are weak aliases; a person's nameAlias `function` ("(a) ..., (b) ...") gives
the positions. A birthdate is exact (`birthdate`, or year, monthOfYear and dayOfMonth), a
month or a year, a yearRangeFrom..yearRangeTo range, each possibly `circa`. "00" and "UNKNOWN"
countries are blanks. A root other than `export` is refused (ValueError). Tested on snippets
and on a fabricated multi-entity specimen (tests/unit/data/lists/), no real file shipped.
"""
from __future__ import annotations

import io
import re
import xml.etree.ElementTree as ET
from datetime import date

from chalicelib.domain.screening.entities import (
    Alias,
    AliasStrength,
    BirthDate,
    EntityType,
    Identifier,
    ListEntity,
    calendar_date,
    listed_birth_date,
)

SOURCE = "eu-fsf"

_TYPES = {"person": EntityType.PERSON, "enterprise": EntityType.ORGANISATION}
_UNKNOWN_COUNTRIES = frozenset({"00", "UNKNOWN"})
# FSF identificationTypeCode → the identifier kinds the other parsers use; other codes kept as given.
_DOCUMENT_KINDS = {"id": "national_id", "tin": "tax_number", "regnumber": "registration_number"}
_LETTERED = re.compile(r"\([a-h]\)")


def parse_eu_fsf(xml: bytes | str, source: str = SOURCE) -> list[ListEntity]:
    """Every sanctionEntity with an id and a name, in file order. Streamed: each entity's element
    is cleared once read."""
    stream = io.BytesIO(xml if isinstance(xml, bytes) else xml.encode("utf-8"))
    root_seen, entities = False, []
    for event, element in ET.iterparse(stream, events=("start", "end")):
        if event == "start":
            if not root_seen and _local(element.tag) != "export":
                raise ValueError(f"not an EU Financial Sanctions File: the root element is <{_local(element.tag)}>, "
                                 "not <export>")
            root_seen = True
        elif _local(element.tag) == "sanctionEntity":
            if entity := _entity(element, source):
                entities.append(entity)
            element.clear()
    return entities


def _entity(e: ET.Element, source: str) -> ListEntity | None:
    children: dict[str, list[dict[str, str]]] = {}
    weak_remarks: list[bool] = []  # per nameAlias: its own remark says "low quality"
    for child in e:
        attributes = {k: " ".join(v.split()) for k, v in child.attrib.items()}
        children.setdefault(_local(child.tag), []).append(attributes)
        if _local(child.tag) == "nameAlias":
            remark = " ".join(c.text or "" for c in child if _local(c.tag) == "remark").casefold()
            weak_remarks.append("low quality" in remark or "lo quality" in remark)
    names = [(n, a.get("strong", "true").casefold() != "false" and not weak)
             for a, weak in zip(children.get("nameAlias", []), weak_remarks) if (n := _name(a))]
    entity_id = e.get("logicalId") or e.get("euReferenceNumber")
    if not names or not entity_id:
        return None
    primary = next((n for n, strong in names if strong), names[0][0])
    aliases: dict[str, AliasStrength] = {}
    for name, strong in names:
        if name != primary and aliases.get(name) is not AliasStrength.STRONG:
            aliases[name] = AliasStrength.STRONG if strong else AliasStrength.WEAK
    subject = (children.get("subjectType") or [{}])[0].get("code", "").casefold()
    published = sorted(d for a in children.get("regulation", []) if (d := calendar_date(a.get("publicationDate", ""))))
    remarks = [" ".join(c.text.split()) for c in e if _local(c.tag) == "remark" and c.text and c.text.strip()]
    return ListEntity(
        source=source,
        source_id=entity_id,
        type=_TYPES.get(subject, EntityType.ORGANISATION),
        primary_name=primary,
        aliases=tuple(Alias(name=n, strength=s) for n, s in aliases.items()),
        birth_dates=tuple(dict.fromkeys(b for a in children.get("birthdate", []) if (b := _birth_date(a)))),
        nationalities=_countries(children.get("citizenship", [])),
        identifiers=tuple(dict.fromkeys(i for a in children.get("identification", []) if (i := _identifier(a)))),
        programmes=tuple(dict.fromkeys(p for a in children.get("regulation", []) if (p := a.get("programme")))),
        address_countries=_countries(children.get("address", [])),
        places_of_birth=tuple(dict.fromkeys(p for a in children.get("birthdate", []) if (p := _place(a)))),
        remarks=" ".join(remarks),
        listed_on=published[0] if published else None,
        positions=tuple(dict.fromkeys(p for a in children.get("nameAlias", []) for p in _functions(a)))
        if subject == "person" else (),
    )


def _functions(a: dict[str, str]) -> list[str]:
    """A person's positions from a nameAlias's function: "(a) Minister of X, (b) General" → two."""
    return [p for part in _LETTERED.split(a.get("function", "")) if (p := part.strip(" ,;"))]


def _place(a: dict[str, str]) -> str:
    """"Giza, Egypt" from a birthdate's city (or place) and country."""
    return ", ".join(p for k in ("city", "place", "countryDescription") if (p := a.get(k)) and p != "UNKNOWN")


def _name(a: dict[str, str]) -> str:
    if whole := a.get("wholeName"):
        return whole
    return " ".join(p for k in ("firstName", "middleName", "lastName") if (p := a.get(k)))


def _birth_date(a: dict[str, str]) -> BirthDate | None:
    circa = a.get("circa", "").casefold() == "true"
    if given := listed_birth_date(a.get("birthdate", ""), circa):
        return given
    low, high = _int(a.get("yearRangeFrom")), _int(a.get("yearRangeTo"))
    if low and high and low <= high:
        return BirthDate(year_from=low, year_to=high, circa=circa)
    if (year := _int(a.get("year"))) and 1800 <= year <= 2100:
        month = _int(a.get("monthOfYear") or a.get("month"))
        month = month if month and 1 <= month <= 12 else None
        if month and (day := _int(a.get("dayOfMonth"))):  # the parts without the "birthdate" attribute
            try:
                return BirthDate(exact=date(year, month, day), circa=circa)
            except ValueError:
                pass
        return BirthDate(year=year, month=month, circa=circa)
    return None


def _identifier(a: dict[str, str]) -> Identifier | None:
    number = a.get("number") or a.get("latinNumber")
    kind = a.get("identificationTypeCode") or a.get("identificationTypeDescription")
    if not (number and kind):
        return None
    return Identifier(kind=_DOCUMENT_KINDS.get(kind.casefold(), kind.casefold()), value=number, country=_country(a, "countryDescription", "countryIso2Code"))


def _countries(items: list[dict[str, str]]) -> tuple[str, ...]:
    return tuple(dict.fromkeys(c for a in items if (c := _country(a, "countryIso2Code", "countryDescription"))))


def _country(a: dict[str, str], *keys: str) -> str | None:
    """The first known of the keys' values: "00" and "UNKNOWN" are the file's blanks."""
    return next((v for k in keys if (v := a.get(k)) and v not in _UNKNOWN_COUNTRIES), None)


def _int(text: str | None) -> int | None:
    return int(text) if text and text.isdigit() and int(text) > 0 else None


def _local(tag: str) -> str:
    """The element name without its "{namespace}"."""
    return tag.rpartition("}")[2]
