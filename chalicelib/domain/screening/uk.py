"""Parser for the UK OFSI Consolidated List CSV (ConList.csv, "2022 format").

Row 1 is "Last Updated,<date>", row 2 the header, then one row per name variant, grouped into
one entity by "Group ID". Names are "Name 1".."Name 5" (given names) then "Name 6" (surname);
"Alias Type" "Primary Name" marks the primary name, "Alias Quality" "Low quality" a weak alias;
"Name Non-Latin Script" is a strong alias. DOB is dd/mm/yyyy with 00 for an unknown day or
month. "Town of Birth" and "Country of Birth" are the place of birth, "Other Information" the
remarks, "Listed On" (dd/mm/yyyy) the listing date. Columns are found by header name, so reordered or added columns do no harm. Tested on
hand-written snippets only (no real file shipped).
"""
from __future__ import annotations

import csv
import io
import re
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

SOURCE = "uk-ofsi"

_TYPES = {"individual": EntityType.PERSON, "entity": EntityType.ORGANISATION, "ship": EntityType.VESSEL}
_NAME_COLUMNS = ("Name 1", "Name 2", "Name 3", "Name 4", "Name 5", "Name 6")
_DOB = re.compile(r"(\d{2})/(\d{2})/(\d{4})")
_NUMBERED = re.compile(r"\(\d+\)\s*")


@dataclass(slots=True)
class _Group:
    type: EntityType
    primary: str = ""
    names: dict[str, AliasStrength] = field(default_factory=dict)
    birth_dates: list[BirthDate] = field(default_factory=list)
    nationalities: list[str] = field(default_factory=list)
    identifiers: list[Identifier] = field(default_factory=list)
    programmes: list[str] = field(default_factory=list)
    countries: list[str] = field(default_factory=list)
    places_of_birth: list[str] = field(default_factory=list)
    remarks: list[str] = field(default_factory=list)
    listed_on: date | None = None


def parse_uk_ofsi(data: bytes | str, source: str = SOURCE) -> list[ListEntity]:
    """One entity per Group ID, in order of first appearance."""
    text = data.decode("utf-8-sig", errors="replace") if isinstance(data, bytes) else data
    lines = io.StringIO(text, newline="")
    first = lines.readline()
    if not first.startswith("Last Updated"):
        lines.seek(0)  # tolerate a file without the "Last Updated" line
    groups: dict[str, _Group] = {}
    for row in csv.DictReader(lines):
        row = {k.strip(): " ".join((v or "").split()) for k, v in row.items() if k}
        if not (group_id := row.get("Group ID")):
            continue
        kind = _TYPES.get(row.get("Group Type", "").casefold(), EntityType.ORGANISATION)
        _add_row(groups.setdefault(group_id, _Group(type=kind)), row)
    return [
        ListEntity(
            source=source,
            source_id=group_id,
            type=g.type,
            primary_name=g.primary,
            aliases=tuple(Alias(name=n, strength=s) for n, s in g.names.items() if n != g.primary),
            birth_dates=tuple(dict.fromkeys(g.birth_dates)),
            nationalities=tuple(dict.fromkeys(g.nationalities)),
            identifiers=tuple(dict.fromkeys(g.identifiers)),
            programmes=tuple(dict.fromkeys(g.programmes)),
            address_countries=tuple(dict.fromkeys(g.countries)),
            places_of_birth=tuple(dict.fromkeys(g.places_of_birth)),
            remarks=" ".join(dict.fromkeys(g.remarks)),
            listed_on=g.listed_on,
        )
        for group_id, g in groups.items()
        if g.primary
    ]


def _add_row(g: _Group, row: dict[str, str]) -> None:
    name = " ".join(p for c in _NAME_COLUMNS if (p := row.get(c)))
    if name:
        if row.get("Alias Type", "").casefold() == "primary name" or not g.primary:
            g.primary = name
        weak = row.get("Alias Quality", "").casefold().startswith("low")
        if g.names.get(name) is not AliasStrength.STRONG:
            g.names[name] = AliasStrength.WEAK if weak else AliasStrength.STRONG
    if original := row.get("Name Non-Latin Script"):
        g.names[original] = AliasStrength.STRONG
    if birth_date := _birth_date(row.get("DOB", "")):
        g.birth_dates.append(birth_date)
    g.nationalities += _split(row.get("Nationality", ""))
    if passport := row.get("Passport Number"):
        g.identifiers.append(Identifier(kind="passport", value=passport))
    if national_id := row.get("National Identification Number"):
        g.identifiers.append(Identifier(kind="national_id", value=national_id))
    if regime := row.get("Regime"):
        g.programmes.append(regime)
    if country := row.get("Country"):
        g.countries.append(country)
    if place := ", ".join(p for c in ("Town of Birth", "Country of Birth") if (p := row.get(c))):
        g.places_of_birth.append(place)
    if remark := row.get("Other Information"):
        g.remarks.append(remark)
    if (listed := _day(row.get("Listed On", ""))) and (g.listed_on is None or listed < g.listed_on):
        g.listed_on = listed


def _birth_date(text: str) -> BirthDate | None:
    if (m := _DOB.fullmatch(text)) is None:
        return None
    day, month, year = (int(g) for g in m.groups())
    if day and month:
        try:
            return BirthDate(exact=date(year, month, day))
        except ValueError:
            pass
    return BirthDate(year=year, month=month if 1 <= month <= 12 else None) if year else None


def _day(text: str) -> date | None:
    """dd/mm/yyyy, None otherwise."""
    if (m := _DOB.fullmatch(text)) is None:
        return None
    day, month, year = (int(g) for g in m.groups())
    try:
        return date(year, month, day)
    except ValueError:
        return None


def _split(text: str) -> list[str]:
    """"(1) Afghan (2) Pakistani" or "Afghan, Pakistani" → ["Afghan", "Pakistani"]."""
    parts = _NUMBERED.split(text) if "(" in text else text.split(",")
    return [p.strip(" ,.") for p in parts if p.strip(" ,.")]
