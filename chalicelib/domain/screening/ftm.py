"""Parser for OpenSanctions' FollowTheMoney entities (entities.ftm.json: one JSON object a line,
`{"id", "schema", "properties": {prop: [values]}, "datasets", "referents", "target", ...}`), the
format yente ingests: sanctions, PEP and crime datasets in one file.

Screened schemas: Person, Organization, Company, LegalEntity, PublicBody (organisations),
Vessel, Airplane. Names: `name` (the first is the primary name, the others strong aliases),
`alias` and `previousName` strong, `weakAlias` weak. `birthDate` at its precision ("1965",
"1965-04", "1965-04-12"); `nationality` and `citizenship` (ISO alpha-2, as given); `country`,
`jurisdiction` and linked Address entities' `country` (address countries); `idNumber`,
`passportNumber`, `taxNumber`, `registrationNumber`, `innCode`, `ogrnCode`, `imoNumber`, `mmsi`
and linked Identification/Passport entities (identifiers); `position` and the linked
Occupancy → Position names (positions); `birthPlace`, `notes`.

The kind comes from `topics` (in `properties`, or top level): `sanction*` (`sanction`,
`sanction.linked`; not `sanction.counter`, a retaliatory listing) or a linked Sanction entity →
sanctions, else `role.pep` / `role.rca` → PEP, else `crime*` → crime; an entity with none of
these (an owner, a debarment, a counter-sanctioned official) is not screened; `target` is not
read (the topics say why an entity is there). Programmes are the linked
Sanction entities' `program` (or `programId`), the earliest `listingDate`/`startDate` the listing
date. Other schemas (Address, Sanction, Occupancy, Position, Identification, Passport, relations)
only enrich the entities that reference them. A line that is not a JSON entity raises ValueError
naming the line. Tested on a fabricated specimen file (tests/unit/data/lists/).
"""
from __future__ import annotations

import codecs
import io
import json
from collections import defaultdict
from collections.abc import Iterable, Iterator
from typing import Any

from chalicelib.domain.screening.entities import (
    Alias,
    AliasStrength,
    EntityType,
    Identifier,
    ListEntity,
    ListKind,
    calendar_date,
    listed_birth_date,
)

SOURCE = "opensanctions"

_TYPES = {
    "Person": EntityType.PERSON,
    "Organization": EntityType.ORGANISATION,
    "Company": EntityType.ORGANISATION,
    "LegalEntity": EntityType.ORGANISATION,
    "PublicBody": EntityType.ORGANISATION,
    "Vessel": EntityType.VESSEL,
    "Airplane": EntityType.AIRCRAFT,
}
_IDENTIFIER_PROPS = {
    "idNumber": "national_id",
    "passportNumber": "passport",
    "taxNumber": "tax_number",
    "registrationNumber": "registration_number",
    "innCode": "inn",
    "ogrnCode": "ogrn",
    "imoNumber": "imo",
    "mmsi": "mmsi",
}
# Sanctions a state imposes in retaliation on foreign officials (e.g. Russia's on EU MPs): not a
# designation a bank screens its customers against.
_COUNTER_SANCTION = "sanction.counter"
_DOCUMENT_SCHEMAS = {"Passport": "passport", "Identification": "identification"}
# What the first pass keeps (schema and properties only): the entities a screened one names
# (addressEntity → Address, Occupancy.post → Position) and those that name it. Relations
# (Ownership, Family, Directorship, ...) and the rest enrich nothing read here and are not kept.
_LOOKED_UP = {"Address", "Position"}
_LINKING = {"Sanction", "Occupancy", *_DOCUMENT_SCHEMAS}


def parse_ftm(data: bytes | str, source: str = SOURCE) -> list[ListEntity]:
    """The screened entities (see the module docstring), in file order."""
    return list(iter_ftm(data, source))


def iter_ftm(data: bytes | str, source: str = SOURCE) -> Iterator[ListEntity]:
    """The screened entities, in file order, one at a time: what a list of a million entities
    is read with (the caller indexes each and keeps what it needs, not every entity at once).
    Two passes over the lines: the first keeps only the entities that enrich others (Sanction,
    Occupancy, Address, ...: they may come after the entity they point at), the second parses
    each screened entity again and yields it; the file is never decoded nor split whole."""
    by_id: dict[str, dict[str, Any]] = {}
    linked: dict[str, list[dict[str, Any]]] = defaultdict(list)  # entity id → entities pointing at it
    for record in _records(data):
        schema = record["schema"]
        if schema in _LOOKED_UP:
            by_id[record["id"]] = {"schema": schema, "properties": record.get("properties", {})}
        elif schema in _LINKING:
            kept = {"schema": schema, "properties": record.get("properties", {})}
            for prop in ("entity", "holder"):  # Sanction.entity, Occupancy/Identification.holder
                for target in _values(record, prop):
                    linked[target].append(kept)
    for record in _records(data):
        if record["schema"] in _TYPES and (
                entity := _entity(record, by_id, linked.get(record["id"], []), source)) is not None:
            yield entity


def _lines(data: bytes | str) -> Iterator[bytes | str]:
    """The file's lines, split at line feeds only (a JSON string may hold U+2028 or a form feed),
    without a leading byte order mark; neither decoded nor copied whole."""
    if isinstance(data, str):
        yield from io.StringIO(data.removeprefix("\ufeff"), newline="\n")
        return
    stream = io.BytesIO(data)  # shares the bytes (no copy) until written to
    if data.startswith(codecs.BOM_UTF8):
        stream.seek(len(codecs.BOM_UTF8))
    yield from stream


def _records(data: bytes | str) -> Iterator[dict[str, Any]]:
    for number, line in enumerate(_lines(data), 1):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
        except json.JSONDecodeError as exc:
            raise ValueError(f"line {number}: not JSON ({exc.msg})") from None
        except UnicodeDecodeError:
            raise ValueError(f"line {number}: not UTF-8") from None
        if not (isinstance(record, dict) and isinstance(record.get("id"), str) and isinstance(record.get("schema"), str)
                and isinstance(record.get("properties", {}), dict)):
            raise ValueError(f"line {number}: not a FollowTheMoney entity (needs an id, a schema and properties)")
        yield record


def _entity(r: dict[str, Any], by_id: dict[str, dict[str, Any]], linked: list[dict[str, Any]],
            source: str) -> ListEntity | None:
    sanctions = [e for e in linked if e["schema"] == "Sanction"]
    top_level = r.get("topics") if isinstance(r.get("topics"), list) else []
    kind = _kind(_values(r, "topics") + [t for t in top_level if isinstance(t, str)], bool(sanctions))
    names = _values(r, "name")
    if kind is None or not names:
        return None
    aliases: dict[str, AliasStrength] = {}
    for prop, strength in (("name", AliasStrength.STRONG), ("alias", AliasStrength.STRONG),
                           ("previousName", AliasStrength.STRONG), ("weakAlias", AliasStrength.WEAK)):
        for name in _values(r, prop):
            if name != names[0] and aliases.get(name) is not AliasStrength.STRONG:
                aliases[name] = strength
    identifiers = [Identifier(kind=k, value=v) for prop, k in _IDENTIFIER_PROPS.items() for v in _values(r, prop)]
    identifiers += [Identifier(kind=_DOCUMENT_SCHEMAS[e["schema"]], value=v, country=_first(e, "country"))
                    for e in linked if e["schema"] in _DOCUMENT_SCHEMAS for v in _values(e, "number")]
    addresses = [by_id[a] for a in _values(r, "addressEntity") if a in by_id]
    positions = _values(r, "position")
    for occupancy in (e for e in linked if e["schema"] == "Occupancy"):
        positions += [n for post in _values(occupancy, "post") if post in by_id for n in _values(by_id[post], "name")]
    listed = sorted(d for s in sanctions for p in ("listingDate", "startDate") for v in _values(s, p)
                    if (d := calendar_date(v[:10])))
    return ListEntity(
        source=source,
        source_id=r["id"],
        type=_TYPES[r["schema"]],
        kind=kind,
        primary_name=names[0],
        aliases=tuple(Alias(name=n, strength=s) for n, s in aliases.items()),
        birth_dates=tuple(dict.fromkeys(b for v in _values(r, "birthDate") if (b := listed_birth_date(v[:10])))),
        nationalities=tuple(dict.fromkeys(_values(r, "nationality") + _values(r, "citizenship"))),
        identifiers=tuple(dict.fromkeys(identifiers)),
        programmes=tuple(dict.fromkeys(p for s in sanctions for p in (_values(s, "program") or _values(s, "programId")))),
        address_countries=tuple(dict.fromkeys(_values(r, "country") + _values(r, "jurisdiction") +
                                              [c for a in addresses for c in _values(a, "country")])),
        places_of_birth=tuple(dict.fromkeys(_values(r, "birthPlace"))),
        remarks=" ".join(_values(r, "notes")),
        listed_on=listed[0] if listed else None,
        positions=tuple(dict.fromkeys(positions)),
    )


def _kind(topics: Iterable[str], sanctioned: bool) -> ListKind | None:
    topics = set(topics)
    if _COUNTER_SANCTION in topics:  # its Sanction entities are the counter-sanctions
        topics.discard(_COUNTER_SANCTION)
        sanctioned = False
    if sanctioned or any(t.startswith("sanction") for t in topics):
        return ListKind.SANCTIONS
    if topics & {"role.pep", "role.rca"}:
        return ListKind.PEP
    if any(t.startswith("crime") for t in topics):
        return ListKind.CRIME
    return None


def _values(r: dict[str, Any], prop: str) -> list[str]:
    """A property's values, whitespace-normalised, blanks dropped (a lone string taken as one)."""
    values = r.get("properties", {}).get(prop, [])
    if isinstance(values, str):
        values = [values]
    elif not isinstance(values, list):
        return []
    return [t for v in values if isinstance(v, str) and (t := " ".join(v.split()))]


def _first(r: dict[str, Any], prop: str) -> str | None:
    values = _values(r, prop)
    return values[0] if values else None
