"""List parsers by published format: files (name -> bytes) in, entities out."""
from __future__ import annotations

from collections.abc import Callable, Mapping

from chalicelib.domain.screening.entities import ListEntity
from chalicelib.domain.screening.ofac import parse_ofac_sdn


def _ofac_legacy_csv(files: Mapping[str, bytes], source: str) -> list[ListEntity]:
    entities, _report = parse_ofac_sdn(files["sdn.csv"], files.get("alt.csv", b""), files.get("add.csv", b""),
                                       files.get("sdn_comments.csv", b""), source=source)
    return entities


PARSERS: dict[str, Callable[[Mapping[str, bytes], str], list[ListEntity]]] = {
    "ofac-legacy-csv": _ofac_legacy_csv,
}


def parse_list(fmt: str, files: Mapping[str, bytes], source: str) -> list[ListEntity]:
    try:
        parser = PARSERS[fmt]
    except KeyError:
        raise ValueError(f"unknown list format {fmt!r}") from None
    return parser(files, source)
