"""List parsers by published format: files (name -> bytes) in, entities out.

| format                | files                                                        | kind         |
|-----------------------|--------------------------------------------------------------|--------------|
| ofac-legacy-csv       | sdn.csv, alt.csv, add.csv, sdn_comments.csv                  | sanctions    |
| ofac-consolidated-csv | cons_prim.csv, cons_alt.csv, cons_add.csv, cons_comments.csv | sanctions    |
| ofac-advanced-xml     | one .xml file (SDN_ADVANCED.XML or CONS_ADVANCED.XML)        | sanctions    |
| un-consolidated-xml   | consolidated.xml                                             | sanctions    |
| eu-fsf-xml            | one .xml file (FSF export)                                   | sanctions    |
| uk-fcdo-xml           | one .xml file (UK-Sanctions-List.xml, FCDO)                  | sanctions    |
| uk-fcdo-csv           | one .csv file (UK-Sanctions-List.csv, FCDO)                  | sanctions    |
| uk-ofsi-csv           | one .csv file (ConList.csv, 2022 format; retired 2026-01-28) | sanctions    |
| senzing-json          | one .json/.jsonl file (OpenSanctions Senzing export)         | pep *        |
| ftm-json              | one .json/.jsonl file (OpenSanctions FollowTheMoney entities) | by topic **  |
| internal-watchlist-json | entries.json (the bank's own, see watchlist.py)            | sanctions    |

* a Senzing record with a "sanction" risk topic is a sanctions entry.
** `sanction*` → sanctions, `role.pep`/`role.rca` → pep, `crime*` → crime; other entities are
   not screened (see ftm.py).
"""
from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping

from chalicelib.domain.screening.entities import ListEntity
from chalicelib.domain.screening.eu import parse_eu_fsf
from chalicelib.domain.screening.ftm import iter_ftm, parse_ftm
from chalicelib.domain.screening.ofac import parse_ofac_sdn
from chalicelib.domain.screening.ofac_advanced import parse_ofac_advanced
from chalicelib.domain.screening.senzing import parse_senzing
from chalicelib.domain.screening.uk import parse_uk_ofsi
from chalicelib.domain.screening.uk_fcdo import parse_uk_fcdo, parse_uk_fcdo_csv
from chalicelib.domain.screening.un import parse_un_consolidated
from chalicelib.domain.screening.watchlist import FILE_NAME, parse_watchlist

Parser = Callable[[Mapping[str, bytes], str], list[ListEntity]]


def _ofac_csv(prefix: str, main: str) -> Parser:
    """The legacy CSV set, whose file names differ between the SDN and consolidated lists."""

    def parse(files: Mapping[str, bytes], source: str) -> list[ListEntity]:
        entities, _report = parse_ofac_sdn(
            files[main],
            files.get(f"{prefix}alt.csv", b""),
            files.get(f"{prefix}add.csv", b""),
            files.get(f"{prefix}comments.csv" if prefix else "sdn_comments.csv", b""),
            source=source,
        )
        return entities

    return parse


def _only(files: Mapping[str, bytes], suffixes: tuple[str, ...]) -> bytes:
    """The only file whose name ends with one of `suffixes`."""
    matching = [name for name in files if name.casefold().endswith(suffixes)]
    if len(matching) != 1:
        raise ValueError(f"expected one {'/'.join(suffixes)} file, got {sorted(files)}")
    return files[matching[0]]


def _single(suffixes: tuple[str, ...], parse: Callable[[bytes, str], list[ListEntity]]) -> Parser:
    """A format published as one file: the only file whose name ends with one of `suffixes`."""
    return lambda files, source: parse(_only(files, suffixes), source)


PARSERS: dict[str, Parser] = {
    "ofac-legacy-csv": _ofac_csv("", "sdn.csv"),
    "ofac-consolidated-csv": _ofac_csv("cons_", "cons_prim.csv"),
    "ofac-advanced-xml": _single((".xml",), parse_ofac_advanced),
    "un-consolidated-xml": _single((".xml",), parse_un_consolidated),
    "eu-fsf-xml": _single((".xml",), parse_eu_fsf),
    "uk-fcdo-xml": _single((".xml",), parse_uk_fcdo),
    "uk-fcdo-csv": _single((".csv",), parse_uk_fcdo_csv),
    "uk-ofsi-csv": _single((".csv",), parse_uk_ofsi),
    "senzing-json": _single((".json", ".jsonl"), parse_senzing),
    "ftm-json": _single((".json", ".jsonl"), parse_ftm),
    "internal-watchlist-json": lambda files, source: parse_watchlist(files[FILE_NAME], source),
}


# Formats whose parser yields one entity at a time (a consolidated dataset of a million entities):
# the caller indexes each as it comes instead of holding the whole list.
STREAMED: dict[str, Callable[[Mapping[str, bytes], str], Iterator[ListEntity]]] = {
    "ftm-json": lambda files, source: iter_ftm(_only(files, (".json", ".jsonl")), source),
}


def iter_list(fmt: str, files: Mapping[str, bytes], source: str) -> Iterator[ListEntity]:
    """The entities of `parse_list`, in the same order, one at a time where the format's parser
    can (STREAMED); the files are checked (the one file a format needs) before the first."""
    if fmt in STREAMED:
        return STREAMED[fmt](files, source)
    return iter(parse_list(fmt, files, source))


def parse_list(fmt: str, files: Mapping[str, bytes], source: str) -> list[ListEntity]:
    try:
        parser = PARSERS[fmt]
    except KeyError:
        raise ValueError(f"unknown list format {fmt!r}") from None
    return parser(files, source)
