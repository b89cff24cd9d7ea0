"""Parser for the UN Security Council Consolidated List XML (consolidated.xml).

`CONSOLIDATED_LIST/INDIVIDUALS/INDIVIDUAL` and `ENTITIES/ENTITY`; the name is FIRST_NAME to
FOURTH_NAME in order. Alias QUALITY "Low" is weak, "Good", "a.k.a." and "f.k.a." are strong;
an ALIAS_NAME may hold several names ("Qasim Soleimani; Qasem Sulaimani", "a) ... b) ...").
NAME_ORIGINAL_SCRIPT becomes a strong alias. Birth dates: TYPE_OF_DATE EXACT (DATE or YEAR),
APPROXIMATELY (circa) and BETWEEN (FROM_YEAR..TO_YEAR); an alias's own DATE_OF_BIRTH is kept
too. The programme is UN_LIST_TYPE (e.g. "Al-Qaida", "DPRK"); the source id is REFERENCE_NUMBER.
What a reviewer reads besides: INDIVIDUAL_PLACE_OF_BIRTH, COMMENTS1 (remarks) and LISTED_ON.

The standard library's expat parser does not fetch external entities and (expat >= 2.4.1)
refuses entity-expansion bombs, so the untrusted download is safe to parse.
"""
from __future__ import annotations

import re
import xml.etree.ElementTree as ET

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
from chalicelib.domain.screening.normalise import reorder_surname_first

SOURCE = "un-sc"

_NAME_PARTS = ("FIRST_NAME", "SECOND_NAME", "THIRD_NAME", "FOURTH_NAME")
_ALIAS_SPLIT = re.compile(r";|\s+[a-z]\)\s+")
_ALIAS_MARK = re.compile(r"^[a-z]\)\s+")
_DOCUMENT_KINDS = {
    "passport": "passport",
    "numéro de passeport": "passport",
    "número de pasaporte": "passport",
    "national identification number": "national_id",
}


def parse_un_consolidated(xml: bytes | str, source: str = SOURCE) -> list[ListEntity]:
    """All individuals then all entities, in file order. Records without a name are skipped."""
    root = ET.fromstring(xml)
    entities = []
    for tag, kind in (("INDIVIDUAL", EntityType.PERSON), ("ENTITY", EntityType.ORGANISATION)):
        for element in root.iter(tag):
            if (entity := _entity(element, kind, source)) is not None:
                entities.append(entity)
    return entities


def _entity(e: ET.Element, kind: EntityType, source: str) -> ListEntity | None:
    name = " ".join(p for tag in _NAME_PARTS if (p := _text(e, tag)))
    ref = _text(e, "REFERENCE_NUMBER") or _text(e, "DATAID")
    if not (name and ref):
        return None
    prefix = "INDIVIDUAL" if kind is EntityType.PERSON else "ENTITY"
    aliases = _aliases(e.findall(f"{prefix}_ALIAS"), kind)
    if original := _text(e, "NAME_ORIGINAL_SCRIPT"):
        aliases.setdefault(original, AliasStrength.STRONG)
    aliases.pop(name, None)
    birth_dates = [b for d in e.findall("INDIVIDUAL_DATE_OF_BIRTH") if (b := _birth_date(d))]
    birth_dates += [
        b for a in e.findall("INDIVIDUAL_ALIAS") if (b := listed_birth_date(_text(a, "DATE_OF_BIRTH")))
    ]
    programme = _text(e, "UN_LIST_TYPE")
    return ListEntity(
        source=source,
        source_id=ref,
        type=kind,
        primary_name=name,
        aliases=tuple(Alias(name=n, strength=s) for n, s in aliases.items()),
        birth_dates=tuple(dict.fromkeys(birth_dates)),
        nationalities=tuple(dict.fromkeys(_values(e, "NATIONALITY/VALUE"))),
        identifiers=tuple(dict.fromkeys(_documents(e.findall("INDIVIDUAL_DOCUMENT")))),
        programmes=(programme,) if programme else (),
        address_countries=tuple(dict.fromkeys(_values(e, f"{prefix}_ADDRESS/COUNTRY"))),
        places_of_birth=tuple(dict.fromkeys(p for b in e.findall("INDIVIDUAL_PLACE_OF_BIRTH") if (p := _place(b)))),
        remarks=_text(e, "COMMENTS1"),
        listed_on=calendar_date(_text(e, "LISTED_ON")),
    )


def _place(b: ET.Element) -> str:
    """"Kinshasa, Democratic Republic of the Congo" from CITY, STATE_PROVINCE and COUNTRY."""
    return ", ".join(p for tag in ("CITY", "STATE_PROVINCE", "COUNTRY") if (p := _text(b, tag)))


def _aliases(elements: list[ET.Element], kind: EntityType) -> dict[str, AliasStrength]:
    """Alias names (split where one ALIAS_NAME lists several) → strength; strong wins."""
    aliases: dict[str, AliasStrength] = {}
    for a in elements:
        strength = AliasStrength.WEAK if _text(a, "QUALITY").casefold() == "low" else AliasStrength.STRONG
        for part in _ALIAS_SPLIT.split(_text(a, "ALIAS_NAME")):
            if name := _ALIAS_MARK.sub("", part.strip()):
                name = reorder_surname_first(name) if kind is EntityType.PERSON else name
                if aliases.get(name) is not AliasStrength.STRONG:
                    aliases[name] = strength
    return aliases


def _birth_date(d: ET.Element) -> BirthDate | None:
    kind = _text(d, "TYPE_OF_DATE").upper()
    circa = kind == "APPROXIMATELY"
    if kind == "BETWEEN":
        low, high = _year(_text(d, "FROM_YEAR")), _year(_text(d, "TO_YEAR"))
        if low and high and low <= high:
            return BirthDate(year_from=low, year_to=high)
        return None
    if given := listed_birth_date(_text(d, "DATE"), circa):  # "1965-04-12", or "1965-04", "1965-00-00"
        return given
    if year := _year(_text(d, "YEAR")):
        return BirthDate(year=year, circa=circa)
    return None


def _documents(elements: list[ET.Element]) -> list[Identifier]:
    documents = []
    for d in elements:
        number, label = _text(d, "NUMBER"), " ".join(_text(d, "TYPE_OF_DOCUMENT").split())
        if number and label:
            kind = _DOCUMENT_KINDS.get(label.casefold(), "_".join(label.casefold().split()))
            country = _text(d, "ISSUING_COUNTRY") or _text(d, "COUNTRY_OF_ISSUE") or None
            documents.append(Identifier(kind=kind, value=number, country=country))
    return documents


def _year(text: str) -> int | None:
    return int(text) if text.isdigit() and 1800 <= int(text) <= 2100 else None


def _text(e: ET.Element, path: str) -> str:
    return " ".join((e.findtext(path) or "").split())


def _values(e: ET.Element, path: str) -> list[str]:
    return [t for v in e.findall(path) if (t := " ".join((v.text or "").split()))]
