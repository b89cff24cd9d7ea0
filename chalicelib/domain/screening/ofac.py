"""Parser for OFAC's legacy SDN CSV files (sdn.csv, alt.csv, add.csv, sdn_comments.csv).

The files have no header row, `-0-` for null, quoted text and a trailing 0x1A byte. Birth
dates, places of birth, nationalities, identity documents and weak aliases exist only in the
free-text Remarks (kept whole as the entry's remarks too), which are parsed clause by clause (clauses are separated by ";"). Country and
programme names, repeated thousands of times, are interned to keep the entities compact.
"""
from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass, field
from datetime import date
from sys import intern

from pydantic import TypeAdapter

from chalicelib.domain.models import Frozen
from chalicelib.domain.screening.entities import AliasStrength, EntityType, ListEntity
from chalicelib.domain.screening.memory import gc_paused
from chalicelib.domain.screening.normalise import reorder_surname_first

SOURCE = "ofac-sdn"

_NULL = "-0-"
_EOF = "\x1a"
_SDN_WIDTH, _ALT_WIDTH, _ADD_WIDTH, _COMMENTS_WIDTH = 12, 5, 6, 2

_TYPES = {
    "individual": EntityType.PERSON,
    "vessel": EntityType.VESSEL,
    "aircraft": EntityType.AIRCRAFT,
}
_MONTHS = {m: i for i, m in enumerate("Jan Feb Mar Apr May Jun Jul Aug Sep Oct Nov Dec".split(), 1)}
# Remarks labels of identity documents → Identifier.kind.
_IDENTIFIER_KINDS = {
    "Passport": "passport",
    "Diplomatic Passport": "diplomatic_passport",
    "National ID No.": "national_id",
    "Cedula No.": "cedula",
    "D.N.I.": "dni",
    "Personal ID Card": "personal_id_card",
    "Identification Number": "identification_number",
    "National Foreign ID Number": "national_foreign_id",
    "Residency Number": "residency_number",
    "C.U.R.P.": "curp",
    "SSN": "ssn",
}

_IDENTIFIER_LABELS = "|".join(map(re.escape, sorted(_IDENTIFIER_KINDS, key=len, reverse=True)))
# One Remarks clause (trailing "." removed) that carries a field; other clauses are ignored.
_CLAUSE = re.compile(
    r"(?:alt\. )?(?:"
    r"DOB (?P<circa>circa )?(?P<dob>.+)"
    r"|(?:nationality|citizen):? (?P<nationality>[A-Z].*)"
    r"|POB (?P<pob>.+)"
    rf"|(?P<id_kind>{_IDENTIFIER_LABELS}) (?P<id_value>[^()]*?\d[^()]*?)"
    r"(?: \((?P<id_country>[^()]+)\))?(?: (?:issued|expires) .*)?"
    r")"
    r"|[af]\.k\.a\. '(?P<weak_aka>.+)'"
)
_DATE = re.compile(r"(?:(?:(?P<day>\d{1,2}) )?(?P<month>[A-Z][a-z]{2}) )?(?P<year>\d{4})")
_RANGE_SEPARATOR = re.compile(r"\s*(?:\bto\b|-)\s*")

_ENTITIES = TypeAdapter(list[ListEntity])


class ParseReport(Frozen):
    """How many rows of each file were skipped as malformed (wrong width, bad id, no name,
    unknown or duplicate entry number, unreadable CSV)."""

    skipped_sdn: int = 0
    skipped_alt: int = 0
    skipped_add: int = 0
    skipped_comments: int = 0

    @property
    def skipped(self) -> int:
        return self.skipped_sdn + self.skipped_alt + self.skipped_add + self.skipped_comments


@dataclass(slots=True)
class _Entry:
    """An sdn.csv row being assembled with its comments/alt/add rows."""

    name: str
    type: EntityType
    programmes: tuple[str, ...]
    remarks: str
    aliases: list[str] = field(default_factory=list)
    countries: list[str] = field(default_factory=list)


def parse_ofac_sdn(
    sdn: bytes | str,
    alt: bytes | str = "",
    add: bytes | str = "",
    comments: bytes | str = "",
    source: str = SOURCE,
) -> tuple[list[ListEntity], ParseReport]:
    """Parse the four SDN files into entities (in sdn.csv order).

    Never raises on bad data: malformed rows are skipped and counted in the ParseReport.
    """
    with gc_paused():
        return _parse(sdn, alt, add, comments, source)


def _parse(
    sdn: bytes | str, alt: bytes | str, add: bytes | str, comments: bytes | str, source: str
) -> tuple[list[ListEntity], ParseReport]:
    entries: dict[str, _Entry] = {}
    sdn_rows, skipped_sdn = _rows(sdn, _SDN_WIDTH)
    for row in sdn_rows:
        ent_num, name, sdn_type = _value(row[0]), _value(row[1]), _value(row[2])
        if not (ent_num and ent_num.isdigit() and name) or ent_num in entries:
            skipped_sdn += 1
            continue
        kind = _TYPES.get(sdn_type or "", EntityType.ORGANISATION)
        entries[ent_num] = _Entry(
            name=reorder_surname_first(name) if kind is EntityType.PERSON else name,
            type=kind,
            programmes=_programmes(_value(row[3])),
            remarks=_text(row[11]),
        )

    comment_rows, skipped_comments = _rows(comments, _COMMENTS_WIDTH)
    for ent_num, text in comment_rows:
        if (entry := entries.get(ent_num.strip())) is None:
            skipped_comments += 1
            continue
        entry.remarks += _text(text)  # spillover: may continue mid-word, so no separator

    alt_rows, skipped_alt = _rows(alt, _ALT_WIDTH)
    for row in alt_rows:
        if (entry := entries.get(row[0].strip())) is None or not (alt_name := _value(row[3])):
            skipped_alt += 1
            continue
        entry.aliases.append(alt_name)

    add_rows, skipped_add = _rows(add, _ADD_WIDTH)
    for row in add_rows:
        if (entry := entries.get(row[0].strip())) is None:
            skipped_add += 1
        elif country := _value(row[4]):
            entry.countries.append(intern(country))

    # Fields are valid by construction; one bulk validation is much faster than one per entity.
    entities = _ENTITIES.validate_python(
        [_entity_fields(source, ent_num, entry) for ent_num, entry in entries.items()]
    )
    report = ParseReport(
        skipped_sdn=skipped_sdn,
        skipped_alt=skipped_alt,
        skipped_add=skipped_add,
        skipped_comments=skipped_comments,
    )
    return entities, report


def _rows(data: bytes | str, width: int) -> tuple[list[list[str]], int]:
    """The raw rows of exactly `width` fields, and the count of other (malformed) rows."""
    records = [row for row in _csv_rows(_decode(data).replace(_EOF, "")) if row != []]  # no blanks
    good = [row for row in records if row is not None and len(row) == width]
    return good, len(records) - len(good)


def _csv_rows(text: str) -> list[list[str] | None]:
    """All csv records, with None (instead of an exception) for one the csv module rejects."""
    reader = csv.reader(io.StringIO(text, newline=""))
    rows: list[list[str] | None] = []
    while True:
        try:
            for row in reader:
                rows.append(row)
            return rows
        except csv.Error:
            rows.append(None)


def _value(raw: str) -> str | None:
    """A stripped field; None for empty or `-0-`."""
    value = raw.strip()
    return None if value in ("", _NULL) else value


def _text(raw: str) -> str:
    """Remarks text, unstripped because sdn_comments.csv may continue it at a space."""
    return "" if raw.strip() == _NULL else raw


def _decode(data: bytes | str) -> str:
    """UTF-8 (as published today), else Windows-1252; never raises."""
    if isinstance(data, str):
        return data
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return data.decode("cp1252", errors="replace")  # the historical encoding of these files


def _programmes(program: str | None) -> tuple[str, ...]:
    """"SDGT] [IRGC" (the Program column of a multi-programme entry) → ("SDGT", "IRGC")."""
    if not program:
        return ()
    return tuple(intern(p) for part in program.split("] [") if (p := part.strip(" []")))


def _entity_fields(source: str, ent_num: str, entry: _Entry) -> dict[str, object]:
    """ListEntity fields of an entry, with its Remarks parsed, as plain data for the bulk
    validation. Empty fields are left to their defaults."""
    fields: dict[str, object] = {
        "source": source,
        "source_id": ent_num,
        "type": entry.type,
        "primary_name": entry.name,
        "programmes": entry.programmes,
    }
    if entry.countries:
        fields["address_countries"] = tuple(dict.fromkeys(entry.countries))
    remarks = _parse_remarks(entry.remarks)
    if entry.aliases or remarks.weak_aliases:
        fields["aliases"] = _aliases(entry, remarks.weak_aliases)
    if remarks.birth_dates:
        fields["birth_dates"] = list(remarks.birth_dates.values())
    if remarks.nationalities:
        fields["nationalities"] = tuple(dict.fromkeys(remarks.nationalities))
    if remarks.identifiers:
        fields["identifiers"] = [
            {"kind": k, "value": v, "country": c} for k, v, c in dict.fromkeys(remarks.identifiers)
        ]
    if remarks.places_of_birth:
        fields["places_of_birth"] = tuple(dict.fromkeys(remarks.places_of_birth))
    if text := " ".join(entry.remarks.split()):
        fields["remarks"] = text
    return fields


@dataclass(slots=True)
class _Remarks:
    """What the Remarks column says about an entry, unique birth dates keyed by their fields."""

    birth_dates: dict[tuple[tuple[str, object], ...], dict[str, object]] = field(
        default_factory=dict
    )
    nationalities: list[str] = field(default_factory=list)
    identifiers: list[tuple[str, str, str | None]] = field(default_factory=list)
    weak_aliases: list[str] = field(default_factory=list)
    places_of_birth: list[str] = field(default_factory=list)


def _parse_remarks(text: str) -> _Remarks:
    remarks = _Remarks()
    for clause in text.split(";") if text else ():
        m = _CLAUSE.fullmatch(clause.strip().removesuffix("."))
        if m is None:
            continue
        if m["dob"] is not None:
            if birth_date := _birth_date(m["dob"], circa=m["circa"] is not None):
                remarks.birth_dates.setdefault(tuple(birth_date.items()), birth_date)
        elif m["nationality"] is not None:
            remarks.nationalities.append(intern(m["nationality"]))
        elif m["weak_aka"] is not None:
            remarks.weak_aliases.append(m["weak_aka"])
        elif m["pob"] is not None:
            remarks.places_of_birth.append(m["pob"])
        else:
            kind = _IDENTIFIER_KINDS[m["id_kind"]]
            country = m["id_country"]
            remarks.identifiers.append((kind, m["id_value"], country and intern(country)))
    return remarks


def _aliases(entry: _Entry, weak: list[str]) -> list[dict[str, str]]:
    """Strong (alt.csv) then weak (Remarks) aliases, persons' reordered, each name once and
    never repeating the primary name."""
    strong = entry.aliases
    if entry.type is EntityType.PERSON:
        strong = [reorder_surname_first(n) for n in strong]
        weak = [reorder_surname_first(n) for n in weak]
    names = dict.fromkeys(strong, AliasStrength.STRONG)
    names.update((n, AliasStrength.WEAK) for n in weak if n not in names)
    names.pop(entry.name, None)
    return [{"name": n, "strength": s} for n, s in names.items()]


def _birth_date(value: str, circa: bool) -> dict[str, object] | None:
    """BirthDate fields of "10 Oct 1957", "Oct 1957", "1958", "1958 to 1960", "1979-1982", ...;
    None if unreadable."""
    pieces = _RANGE_SEPARATOR.split(value)
    parts = [m for piece in pieces if (m := _DATE.fullmatch(piece))]
    if len(parts) != len(pieces) or len(parts) > 2:
        return None
    if len(parts) == 2:
        year_from, year_to = (int(p["year"]) for p in parts)
        if year_from > year_to:
            return None
        return {"year_from": year_from, "year_to": year_to, "circa": circa}
    m = parts[0]
    year, month = int(m["year"]), _MONTHS.get(m["month"] or "")
    if m["month"] and month is None:
        return None
    if m["day"] and month:
        try:
            return {"exact": date(year, month, int(m["day"])), "circa": circa}
        except ValueError:
            pass  # e.g. "31 Feb": keep the month precision
    return {"year": year, "month": month, "circa": circa}
