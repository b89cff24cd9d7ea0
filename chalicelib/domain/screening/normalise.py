"""Name normalisation shared by list indexing and applicant screening.

`normalise_name` yields lowercase ASCII alphanumeric tokens separated by single spaces, in
"Given SURNAME" order; `name_key` makes it word-order insensitive. Both sides of a
comparison must go through the same function.

Non-Latin scripts are transliterated with anyascii rather than Unidecode: anyascii is ISC
licensed (Unidecode is GPL: copyleft terms a proprietary product would take on), covers more of Unicode
(Arabic, Cyrillic, Greek, Hebrew, CJK, Hangul, Indic scripts...), and has no dependencies.
"""
from __future__ import annotations

import re
import unicodedata

from anyascii import anyascii

# Titles, honorifics and Jr/Sr, dropped wherever they occur (short and explicit on purpose).
HONORIFICS = frozenset(
    "mr mrs ms miss dr prof sir sheikh shaikh haji hajji mullah jr sr".split()
)
# Legal-form words dropped from organisation names ("S.A." becomes "sa" first).
LEGAL_FORMS = frozenset(
    "llc ltd limited jsc ojsc pjsc cjsc oao zao ooo corp corporation inc co company "
    "sa sas sarl gmbh ag plc bv nv srl spa".split()
)
STOPWORDS = HONORIFICS | LEGAL_FORMS

_GENERATIONAL_SUFFIXES = frozenset({"jr", "sr"})
_ACRONYM = re.compile(r"\b[a-z0-9](?:\.[a-z0-9])+\.?(?![a-z0-9])")  # "s.a.", "c.v", "l.l.c."
# For ASCII bytes: non-alphanumerics → space, except apostrophes, which vanish ("o'brien").
_PUNCTUATION = bytes(c if chr(c).isalnum() and c < 128 else ord(" ") for c in range(256))
_APOSTROPHES = b"'`"


def reorder_surname_first(name: str) -> str:
    """"SURNAME, Given" → "Given SURNAME"; a "Jr."/"Sr." part moves to the end.

    Names that are not exactly two parts around the comma(s) are returned unchanged.
    """
    if "," not in name:
        return name
    core: list[str] = []
    suffixes: list[str] = []
    for part in name.split(","):
        if part := part.strip():
            is_suffix = part.rstrip(".").casefold() in _GENERATIONAL_SUFFIXES
            (suffixes if is_suffix else core).append(part)
    if len(core) != 2:
        return name
    return " ".join((core[1], core[0], *suffixes))


def normalise_name(name: str) -> str:
    """Canonical form of a name for comparison (idempotent).

    NFKC, transliterate to ASCII (which also strips accents), reorder "SURNAME, Given",
    casefold, join dotted acronyms ("S.A." → "sa"), drop apostrophes, turn any other
    punctuation into spaces, and drop honorifics and legal forms unless nothing else is left.
    """
    return " ".join(_tokens(reorder_surname_first(_ascii(name))))


def normalised_words(name: str) -> list[tuple[str, bool]]:
    """Every word of the name as `normalise_name` sees it, stopwords included, each with whether
    `normalise_name` keeps it (a "Sa" or "Dr" split off a word is dropped there: the engine glues
    it back to its neighbour)."""
    words = _words(reorder_surname_first(_ascii(name)))
    kept = _without_stopwords(words)
    if len(kept) == len(words):
        return [(w, True) for w in words]
    return [(w, w not in STOPWORDS) for w in words]


def name_key(name: str) -> str:
    """Word-order-insensitive key: the sorted unique tokens of `normalise_name`."""
    return " ".join(sorted(set(_tokens(_ascii(name)))))  # order-free, so no need to reorder


def _ascii(name: str) -> str:
    """NFKC then transliterated to ASCII (ASCII input is already both)."""
    return name if name.isascii() else anyascii(unicodedata.normalize("NFKC", name))


def _tokens(text: str) -> list[str]:
    """The words of an ASCII name, casefolded, without punctuation and stopwords."""
    return _without_stopwords(_words(text))


def _words(text: str) -> list[str]:
    """The words of an ASCII name, casefolded, without punctuation."""
    text = text.casefold()
    if "." in text:
        text = _ACRONYM.sub(lambda m: m.group().replace(".", ""), text)
    return text.encode().translate(_PUNCTUATION, _APOSTROPHES).decode().split()


def _without_stopwords(tokens: list[str]) -> list[str]:
    if STOPWORDS.isdisjoint(tokens):
        return tokens
    return [t for t in tokens if t not in STOPWORDS] or tokens
