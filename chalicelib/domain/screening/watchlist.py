"""The bank's internal watchlist: the persons the bank itself screens for (exited for fraud, refused
by the MLRO, named by law enforcement), published by compliance as a whole list at a time
(POST /v1/lists/internal/versions) and stored as one canonical JSON file, `entries.json`:

    {"entries": [{"entry_id", "name", "aliases": [..], "birth_date": "YYYY[-MM[-DD]]",
                  "nationality": "ISO alpha-3", "reason"}, ...]}

sorted by entry id, so the same list published twice is the same file (the same version). Each
entry is a person screened as a sanctions entry is (a hit in the review band goes to review, one in
the block band blocks); its aliases are strong (the bank wrote them), the reason is what a reviewer
reads (descriptive: outside the entry's content hash).
"""
from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any

from chalicelib.domain.screening.entities import Alias, AliasStrength, EntityType, ListEntity, ListKind, listed_birth_date

FILE_NAME = "entries.json"
FIELDS = ("entry_id", "name", "aliases", "birth_date", "nationality", "reason")


def canonical_file(entries: Sequence[Mapping[str, Any]]) -> bytes:
    """The stored file of a version: the entries (each with the fields of FIELDS it has) by entry id."""
    kept = [{k: e[k] for k in FIELDS if e.get(k) not in (None, "", [])} for e in entries]
    kept.sort(key=lambda e: e["entry_id"])
    return json.dumps({"entries": kept}, ensure_ascii=False, sort_keys=True, separators=(",", ":")).encode()


def parse_watchlist(data: bytes, source: str) -> list[ListEntity]:
    """The entities of a stored version, in entry id order."""
    document = json.loads(data.decode("utf-8"))
    entities = []
    for entry in document["entries"]:
        birth = listed_birth_date(entry["birth_date"]) if entry.get("birth_date") else None
        entities.append(ListEntity(
            source=source, source_id=str(entry["entry_id"]), type=EntityType.PERSON, kind=ListKind.SANCTIONS,
            primary_name=entry["name"],
            aliases=tuple(Alias(name=a, strength=AliasStrength.STRONG) for a in entry.get("aliases", ())),
            birth_dates=(birth,) if birth else (), nationalities=(entry["nationality"],) if entry.get("nationality") else (),
            programmes=("internal watchlist",), remarks=entry.get("reason", "")))
    return entities
