"""Parser for the UK Sanctions List published by the FCDO (UK-Sanctions-List.xml), the sole
authoritative UK list since 28 January 2026 (it replaced OFSI's Consolidated List, `uk.py`).

`Designations/Designation` (one per designated person, entity or ship) with `UniqueID` (e.g.
"RUS0251", the source id), `OFSIGroupID`, `UNReferenceNumber`, `IndividualEntityShip`
(Individual | Entity | Ship), `RegimeName` (the programme), `DateDesignated` (dd/mm/yyyy, the
listing date), `OtherInformation` (remarks) and:
- `Names/Name` with `Name1`..`Name5` (given and other names) and `Name6` (surname, or the
  whole name of an entity or ship), `NameType` ("Primary Name", "Primary Name Variation",
  "Alias") and `AliasStrength` ("Good quality a.k.a" | "Low quality a.k.a"). The first primary
  name is the primary name; a low-quality alias is weak; an alias with no strength is strong
  unless it is one word for a person (a nickname, weak as OpenSanctions reads it).
- `NonLatinNames/NonLatinName/NameNonLatinScript` (with `NonLatinScriptLanguage`): strong aliases.
- `IndividualDetails/Individual`: `DOBs/DOB` ("dd/mm/yyyy", with "dd"/"mm" or "00" for an
  unknown day or month), `Nationalities/Nationality`, `PassportDetails/Passport/PassportNumber`,
  `NationalIdentifierDetails/NationalIdentifier/NationalIdentifierNumber`, `Positions/Position`,
  `BirthDetails/Location/{TownOfBirth, CountryOfBirth}`.
- `EntityDetails/Entity/BusinessRegistrationNumbers/BusinessRegistrationNumber`,
  `ShipDetails/Ship/IMONumbers/IMONumber`, `Addresses/Address/AddressCountry`.
Element names are matched without their namespace. The standard library's expat parser does
not fetch external entities and refuses entity-expansion bombs.

The same list as CSV (UK-Sanctions-List.csv, `parse_uk_fcdo_csv`): a first line with the report
date, a header, then one row per name (and per address) of a designation, grouped by "Unique ID";
the columns are found by header name ("Name 1".."Name 6", "Name type", "Alias strength", "Name
non-latin script", "Regime Name", "Designation Type", "Date Designated", "D.O.B",
"Nationality(/ies)", "Passport number", "National Identifier number", "Position", "Town of birth",
"Country of birth", "Address Country", "Business registration number (s)", "IMO number", "Other
Information"), as OpenSanctions' `gb_fcdo_sanctions` crawler reads them. Both tested on fabricated
specimen files (tests/unit/data/lists/), no real list version shipped.
"""
from __future__ import annotations

import csv
import io
import re
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from datetime import date

from chalicelib.domain.screening.entities import (
    Alias,
    AliasStrength,
    BirthDate,
    EntityType,
    Identifier,
    ListEntity,
)

SOURCE = "uk-fcdo"

_TYPES = {"individual": EntityType.PERSON, "entity": EntityType.ORGANISATION, "ship": EntityType.VESSEL}
_NAME_PARTS = ("Name1", "Name2", "Name3", "Name4", "Name5", "Name6")
_DOB = re.compile(r"(\w{1,2})/(\w{1,2})/(\d{4})")
_YEAR = re.compile(r"\d{4}")


def parse_uk_fcdo(xml: bytes | str, source: str = SOURCE) -> list[ListEntity]:
    """Every designation with a unique id and a name, in file order. ET.ParseError if the file
    is not well-formed XML, ValueError if it is XML but not a UK Sanctions List. Streamed: each
    designation's element is cleared once read."""
    stream = io.BytesIO(xml if isinstance(xml, bytes) else xml.encode("utf-8"))
    root_tag, designations, entities = None, 0, []
    for event, element in ET.iterparse(stream, events=("start", "end")):
        if event == "start":
            root_tag = root_tag or _local(element.tag)
            continue
        element.tag = _local(element.tag)  # children end first: a designation's subtree is local already
        if element.tag == "Designation":
            designations += 1
            if (entity := _entity(element, source)) is not None:
                entities.append(entity)
            element.clear()
    if root_tag != "Designations" and not designations:
        raise ValueError(f"not a UK Sanctions List: the root element is <{root_tag}>, no <Designation>")
    return entities


def _entity(d: ET.Element, source: str) -> ListEntity | None:
    unique_id = _text(d, "UniqueID")
    kind = _TYPES.get(_text(d, "IndividualEntityShip").casefold(), EntityType.ORGANISATION)
    primary, names = _names(d, kind)
    if not (unique_id and primary):
        return None
    individuals = d.findall("IndividualDetails/Individual")
    identifiers = [Identifier(kind="passport", value=n) for i in individuals
                   for n in _texts(i, "PassportDetails/Passport/PassportNumber")]
    identifiers += [Identifier(kind="national_id", value=n) for i in individuals
                    for n in _texts(i, "NationalIdentifierDetails/NationalIdentifier/NationalIdentifierNumber")]
    identifiers += [Identifier(kind="registration_number", value=n)
                    for n in _texts(d, "EntityDetails/Entity/BusinessRegistrationNumbers/BusinessRegistrationNumber")]
    identifiers += [Identifier(kind="imo", value=n) for n in _texts(d, "ShipDetails/Ship/IMONumbers/IMONumber")]
    return ListEntity(
        source=source,
        source_id=unique_id,
        type=kind,
        primary_name=primary,
        aliases=tuple(Alias(name=n, strength=s) for n, s in names.items() if n != primary),
        birth_dates=tuple(dict.fromkeys(b for i in individuals for t in _texts(i, "DOBs/DOB") if (b := _birth_date(t)))),
        nationalities=tuple(dict.fromkeys(n for i in individuals for n in _texts(i, "Nationalities/Nationality"))),
        identifiers=tuple(dict.fromkeys(identifiers)),
        programmes=tuple(dict.fromkeys(_texts(d, "RegimeName"))),
        address_countries=tuple(dict.fromkeys(_texts(d, "Addresses/Address/AddressCountry"))),
        places_of_birth=tuple(dict.fromkeys(p for i in individuals for loc in i.findall("BirthDetails/Location")
                                            if (p := ", ".join(_texts(loc, "TownOfBirth") + _texts(loc, "CountryOfBirth"))))),
        remarks=_text(d, "OtherInformation"),
        listed_on=_day(_text(d, "DateDesignated")),
        positions=tuple(dict.fromkeys(p for i in individuals for p in _texts(i, "Positions/Position"))),
    )


def _names(d: ET.Element, kind: EntityType) -> tuple[str, dict[str, AliasStrength]]:
    """The primary name and every name → strength (strong wins over weak)."""
    primary = ""
    names: dict[str, AliasStrength] = {}
    for n in d.findall("Names/Name"):
        name = _text(n, "Name") or " ".join(p for tag in _NAME_PARTS if (p := _text(n, tag)))
        if not name:
            continue
        name_type = _text(n, "NameType").casefold()
        if name_type == "primary name" and not primary:
            primary = name
        strength_text = _text(n, "AliasStrength").casefold()
        weak = name_type == "alias" and (strength_text.startswith("low") or (
            not strength_text and kind is EntityType.PERSON and " " not in name))
        if names.get(name) is not AliasStrength.STRONG:
            names[name] = AliasStrength.WEAK if weak else AliasStrength.STRONG
    for original in _texts(d, "NonLatinNames/NonLatinName/NameNonLatinScript"):
        names[original] = AliasStrength.STRONG
    if not primary:  # no name typed primary: the first strong one
        primary = next((n for n, s in names.items() if s is AliasStrength.STRONG), next(iter(names), ""))
    return primary, names


@dataclass(slots=True)
class _Rows:
    """One designation's CSV rows, folded."""

    type: EntityType
    primary: str = ""
    names: dict[str, AliasStrength] = field(default_factory=dict)
    originals: list[str] = field(default_factory=list)  # non-Latin names: after the others, as in the XML
    birth_dates: list[BirthDate] = field(default_factory=list)
    nationalities: list[str] = field(default_factory=list)
    identifiers: list[Identifier] = field(default_factory=list)
    programmes: list[str] = field(default_factory=list)
    countries: list[str] = field(default_factory=list)
    places_of_birth: list[str] = field(default_factory=list)
    remarks: list[str] = field(default_factory=list)
    positions: list[str] = field(default_factory=list)
    listed_on: date | None = None


_CSV_NAMES = ("Name 1", "Name 2", "Name 3", "Name 4", "Name 5", "Name 6")
_CSV_IDENTIFIERS = (("Passport number", "passport"), ("National Identifier number", "national_id"),
                    ("Business registration number (s)", "registration_number"), ("IMO number", "imo"))


def parse_uk_fcdo_csv(data: bytes | str, source: str = SOURCE) -> list[ListEntity]:
    """One entity per Unique ID, in order of first appearance; ValueError if the header lacks the
    columns that make an entry (Unique ID, Designation Type, Name 6, Name type)."""
    text = data.decode("utf-8-sig") if isinstance(data, bytes) else data
    lines = io.StringIO(text, newline="")
    if "Unique ID" in lines.readline():  # no report-date line: the first line is the header
        lines.seek(0)
    reader = csv.DictReader(lines)
    missing = {"Unique ID", "Designation Type", "Name 6", "Name type"} - {h.strip() for h in reader.fieldnames or []}
    if missing:
        raise ValueError(f"not a UK Sanctions List CSV: no {', '.join(sorted(missing))} column")
    groups: dict[str, _Rows] = {}
    for raw in reader:
        row = {k.strip(): " ".join((v or "").split()) for k, v in raw.items() if isinstance(k, str) and isinstance(v, str)}
        if not (unique_id := row.get("Unique ID")):
            continue
        kind = _TYPES.get(row.get("Designation Type", "").casefold(), EntityType.ORGANISATION)
        _fold(groups.setdefault(unique_id, _Rows(type=kind)), row)
    entities = []
    for unique_id, g in groups.items():
        for original in g.originals:
            g.names[original] = AliasStrength.STRONG
        primary = g.primary or next((n for n, st in g.names.items() if st is AliasStrength.STRONG), "")
        if not primary:
            continue
        entities.append(ListEntity(
            source=source, source_id=unique_id, type=g.type, primary_name=primary,
            aliases=tuple(Alias(name=n, strength=st) for n, st in g.names.items() if n != primary),
            birth_dates=tuple(dict.fromkeys(g.birth_dates)), nationalities=tuple(dict.fromkeys(g.nationalities)),
            identifiers=tuple(dict.fromkeys(g.identifiers)), programmes=tuple(dict.fromkeys(g.programmes)),
            address_countries=tuple(dict.fromkeys(g.countries)), places_of_birth=tuple(dict.fromkeys(g.places_of_birth)),
            remarks=" ".join(dict.fromkeys(g.remarks)), listed_on=g.listed_on, positions=tuple(dict.fromkeys(g.positions))))
    return entities


def _fold(g: _Rows, row: dict[str, str]) -> None:
    if name := " ".join(p for c in _CSV_NAMES if (p := row.get(c))):
        name_type = row.get("Name type", "").casefold()
        if name_type == "primary name" and not g.primary:
            g.primary = name
        strength_text = row.get("Alias strength", "").casefold()
        weak = name_type == "alias" and (strength_text.startswith("low") or (
            not strength_text and g.type is EntityType.PERSON and " " not in name))
        if g.names.get(name) is not AliasStrength.STRONG:
            g.names[name] = AliasStrength.WEAK if weak else AliasStrength.STRONG
    if original := row.get("Name non-latin script"):
        g.originals.append(original)
    if birth_date := _birth_date(row.get("D.O.B", "")):
        g.birth_dates.append(birth_date)
    g.nationalities += [n for n in (row.get("Nationality(/ies)"),) if n]
    g.identifiers += [Identifier(kind=kind, value=v) for column, kind in _CSV_IDENTIFIERS if (v := row.get(column))]
    g.programmes += [p for p in (row.get("Regime Name"),) if p]
    g.countries += [c for c in (row.get("Address Country"),) if c]
    g.positions += [p for p in (row.get("Position"),) if p]
    g.remarks += [r for r in (row.get("Other Information"),) if r]
    if place := ", ".join(p for c in ("Town of birth", "Country of birth") if (p := row.get(c))):
        g.places_of_birth.append(place)
    if (listed := _day(row.get("Date Designated", ""))) and (g.listed_on is None or listed < g.listed_on):
        g.listed_on = listed


def _birth_date(text: str) -> BirthDate | None:
    """"12/04/1965" exact, "dd/04/1965" or "00/04/1965" April 1965, "dd/mm/1965" 1965."""
    text = text.strip().lstrip("'")
    if _YEAR.fullmatch(text):
        return BirthDate(year=int(text))
    if (m := _DOB.fullmatch(text)) is None:
        return None
    day, month, year = (int(p) if p.isdigit() else 0 for p in m.groups())
    if not 1800 <= year <= 2100:
        return None
    month = month if 1 <= month <= 12 else 0
    if day and month:
        try:
            return BirthDate(exact=date(year, month, day))
        except ValueError:
            pass  # "31/02/1965": the month is still known
    return BirthDate(year=year, month=month or None)


def _day(text: str) -> date | None:
    """dd/mm/yyyy, None otherwise."""
    if (m := _DOB.fullmatch(text)) is None or not all(p.isdigit() for p in m.groups()):
        return None
    day, month, year = (int(p) for p in m.groups())
    try:
        return date(year, month, day)
    except ValueError:
        return None


def _text(e: ET.Element, path: str) -> str:
    return " ".join((e.findtext(path) or "").split())


def _texts(e: ET.Element, path: str) -> list[str]:
    return [t for v in e.findall(path) if (t := " ".join((v.text or "").split()))]


def _local(tag: str) -> str:
    """The element name without its "{namespace}"."""
    return tag.rpartition("}")[2]
