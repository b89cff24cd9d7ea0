"""Parser for the Senzing JSON shape in which OpenSanctions publishes its datasets (one JSON
record per line, or one JSON array).

RECORD_TYPE PERSON / ORGANIZATION; NAMES with NAME_TYPE PRIMARY or ALIAS and NAME_FULL,
NAME_ORG or NAME_FIRST/NAME_MIDDLE/NAME_LAST; DATES/DATE_OF_BIRTH as "1972", "1972-03" or
"1972-03-04"; COUNTRIES/NATIONALITY or CITIZENSHIP (ISO alpha-2, lowercase); IDENTIFIERS with
*_ID_TYPE/*_ID_NUMBER pairs, PASSPORT_NUMBER or NATIONAL_ID_NUMBER; RISKS/TOPIC such as
"role.pep" or "sanction". A record with a "sanction" topic is a sanctions entry, any other is
`default_kind` (PEP for a PEP dataset). Records of other types (e.g. the positions a PEP dataset
lists, RECORD_TYPE null) are skipped.
"""
from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

from chalicelib.domain.screening.entities import (
    Alias,
    AliasStrength,
    BirthDate,
    EntityType,
    Identifier,
    ListEntity,
    ListKind,
    listed_birth_date,
)

_TYPES = {"PERSON": EntityType.PERSON, "ORGANIZATION": EntityType.ORGANISATION}
_ID_PAIRS = (("TRUSTED_ID_TYPE", "TRUSTED_ID_NUMBER"), ("OTHER_ID_TYPE", "OTHER_ID_NUMBER"))


def parse_senzing(data: bytes | str, source: str, default_kind: ListKind = ListKind.PEP) -> list[ListEntity]:
    """Entities of the supported record types, in file order; unreadable lines are skipped."""
    entities = []
    for record in _records(data.decode("utf-8-sig") if isinstance(data, bytes) else data):
        if (entity := _entity(record, source, default_kind)) is not None:
            entities.append(entity)
    return entities


def _records(text: str) -> Iterator[dict[str, Any]]:
    if text.lstrip().startswith("["):
        yield from (r for r in json.loads(text) if isinstance(r, dict))
        return
    for line in text.splitlines():
        try:
            record = json.loads(line) if line.strip() else None
        except json.JSONDecodeError:
            continue
        if isinstance(record, dict):
            yield record


def _entity(r: dict[str, Any], source: str, default_kind: ListKind) -> ListEntity | None:
    entity_type = _TYPES.get(str(r.get("RECORD_TYPE")).upper())
    names = [(n.get("NAME_TYPE"), name) for n in _list(r, "NAMES") if (name := _name(n))]
    record_id = str(r.get("RECORD_ID") or "").strip()
    if entity_type is None or not names or not record_id:
        return None
    primary = next((name for kind, name in names if kind == "PRIMARY"), names[0][1])
    topics = [str(t.get("TOPIC")) for t in _list(r, "RISKS") if t.get("TOPIC")]
    kind = ListKind.SANCTIONS if any(t.startswith("sanction") for t in topics) else default_kind
    countries = _list(r, "COUNTRIES") + _list(r, "ADDRESSES")
    return ListEntity(
        source=source,
        source_id=record_id,
        type=entity_type,
        kind=kind,
        primary_name=primary,
        aliases=tuple(
            Alias(name=n, strength=AliasStrength.STRONG)
            for n in dict.fromkeys(name for _, name in names)
            if n != primary
        ),
        birth_dates=tuple(
            dict.fromkeys(b for d in _list(r, "DATES") if (b := _birth_date(d.get("DATE_OF_BIRTH"))))
        ),
        nationalities=tuple(
            dict.fromkeys(v for c in countries for k in ("NATIONALITY", "CITIZENSHIP") if (v := _str(c, k)))
        ),
        identifiers=tuple(dict.fromkeys(i for d in _list(r, "IDENTIFIERS") for i in _identifiers(d))),
        programmes=tuple(dict.fromkeys(topics)),
        address_countries=tuple(dict.fromkeys(v for c in countries if (v := _str(c, "ADDR_COUNTRY")))),
    )


def _name(n: dict[str, Any]) -> str:
    if full := _str(n, "NAME_FULL") or _str(n, "NAME_ORG"):
        return full
    return " ".join(p for k in ("NAME_FIRST", "NAME_MIDDLE", "NAME_LAST") if (p := _str(n, k)))


def _birth_date(value: object) -> BirthDate | None:
    return listed_birth_date(str(value or ""))


def _identifiers(d: dict[str, Any]) -> Iterator[Identifier]:
    for type_key, number_key in _ID_PAIRS:
        if (kind := _str(d, type_key)) and (number := _str(d, number_key)):
            yield Identifier(kind=kind.casefold(), value=number, country=_str(d, "ID_COUNTRY") or None)
    if number := _str(d, "PASSPORT_NUMBER"):
        yield Identifier(kind="passport", value=number, country=_str(d, "PASSPORT_COUNTRY") or None)
    if number := _str(d, "NATIONAL_ID_NUMBER"):
        yield Identifier(kind="national_id", value=number, country=_str(d, "NATIONAL_ID_COUNTRY") or None)


def _list(r: dict[str, Any], key: str) -> list[dict[str, Any]]:
    value = r.get(key)
    return [v for v in value if isinstance(v, dict)] if isinstance(value, list) else []


def _str(d: dict[str, Any], key: str) -> str:
    value = d.get(key)
    return " ".join(value.split()) if isinstance(value, str) else ""
