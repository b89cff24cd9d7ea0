"""ICAO Doc 9303 machine-readable zone (MRZ) parser.

Parses the TD1, TD2 and TD3 document formats and the MRV-A/MRV-B visa formats, and
reports every check digit instead of failing on a bad one. `MRZError` is the only
exception it raises, whatever the input; its messages never echo the input text.
"""
from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Literal, NamedTuple

from chalicelib.domain.models import Frozen

MRZFormat = Literal["TD1", "TD2", "TD3", "MRVA", "MRVB"]
CheckedField = Literal["document_number", "birth_date", "expiry_date", "personal_number", "composite"]

FILLER = "<"
SPECIMEN_STATE = "UTO"  # Doc 9303 Part 3 §5 Part G: reserved for specimen documents
_CHAR_VALUES = {c: v for v, c in enumerate("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ")} | {FILLER: 0}
_WEIGHTS = (7, 3, 1)
_MRZ_LINE = re.compile(r"[0-9A-Z<]*")
_SEXES = frozenset("FMX<")  # '<' = unspecified; 'X' is issued by some states


class MRZError(ValueError):
    """The input is not a well-formed MRZ."""


def check_digit(field: str) -> int:
    """ICAO 9303 check digit: weights 7-3-1, 0-9 as is, A-Z = 10..35, '<' = 0, sum mod 10."""
    if not isinstance(field, str):
        raise MRZError("check digit input must be a string")
    try:
        return sum(_CHAR_VALUES[c] * _WEIGHTS[i % 3] for i, c in enumerate(field)) % 10
    except KeyError:
        raise MRZError("check digit input contains a character outside A-Z, 0-9 and '<'") from None


class DigitCheck(Frozen):
    """One check digit as printed on the MRZ and as recomputed from its data."""

    field: CheckedField
    expected: str
    computed: int
    valid: bool


class MRZ(Frozen):
    """The fields of a parsed MRZ with fillers removed; dates stay raw YYMMDD."""

    format: MRZFormat
    document_code: str
    issuing_state: str
    surname: str
    given_names: str
    name_may_be_truncated: bool  # the name fills its whole field, so it may have been cut off
    document_number: str
    nationality: str
    birth_date_raw: str
    sex: str  # 'F', 'M', 'X' or '<' (unspecified)
    expiry_date_raw: str
    optional_data: str  # the personal number on a TD3 passport
    optional_data_2: str  # TD1 only, else empty
    checks: tuple[DigitCheck, ...]

    @property
    def is_specimen(self) -> bool:
        """True for ICAO specimen documents (state code UTO)."""
        return SPECIMEN_STATE in (self.issuing_state, self.nationality)

    @property
    def failed_checks(self) -> tuple[CheckedField, ...]:
        return tuple(c.field for c in self.checks if not c.valid)


class _Span(NamedTuple):
    """A field's place: 0-based line, then a Python slice (ICAO position p..q is p-1:q)."""

    line: int
    start: int
    stop: int


@dataclass(frozen=True)
class _Layout:
    format: MRZFormat
    fields: Mapping[str, _Span]
    composite: tuple[_Span, ...] = ()  # the data the composite check digit covers


_TWO_LINE = {
    "document_code": _Span(0, 0, 2),
    "issuing_state": _Span(0, 2, 5),
    "document_number": _Span(1, 0, 9),
    "document_number_cd": _Span(1, 9, 10),
    "nationality": _Span(1, 10, 13),
    "birth_date": _Span(1, 13, 19),
    "birth_date_cd": _Span(1, 19, 20),
    "sex": _Span(1, 20, 21),
    "expiry_date": _Span(1, 21, 27),
    "expiry_date_cd": _Span(1, 27, 28),
}

_TD1 = _Layout(
    "TD1",
    {
        "document_code": _Span(0, 0, 2),
        "issuing_state": _Span(0, 2, 5),
        "document_number": _Span(0, 5, 14),
        "document_number_cd": _Span(0, 14, 15),
        "optional_data": _Span(0, 15, 30),
        "birth_date": _Span(1, 0, 6),
        "birth_date_cd": _Span(1, 6, 7),
        "sex": _Span(1, 7, 8),
        "expiry_date": _Span(1, 8, 14),
        "expiry_date_cd": _Span(1, 14, 15),
        "nationality": _Span(1, 15, 18),
        "optional_data_2": _Span(1, 18, 29),
        "composite_cd": _Span(1, 29, 30),
        "name": _Span(2, 0, 30),
    },
    composite=(_Span(0, 5, 30), _Span(1, 0, 7), _Span(1, 8, 15), _Span(1, 18, 29)),
)
_TD2 = _Layout(
    "TD2",
    _TWO_LINE | {"name": _Span(0, 5, 36), "optional_data": _Span(1, 28, 35), "composite_cd": _Span(1, 35, 36)},
    composite=(_Span(1, 0, 10), _Span(1, 13, 20), _Span(1, 21, 35)),
)
_TD3 = _Layout(
    "TD3",
    _TWO_LINE
    | {
        "name": _Span(0, 5, 44),
        "optional_data": _Span(1, 28, 42),
        "optional_data_cd": _Span(1, 42, 43),
        "composite_cd": _Span(1, 43, 44),
    },
    composite=(_Span(1, 0, 10), _Span(1, 13, 20), _Span(1, 21, 43)),
)
_MRVA = _Layout("MRVA", _TWO_LINE | {"name": _Span(0, 5, 44), "optional_data": _Span(1, 28, 44)})
_MRVB = _Layout("MRVB", _TWO_LINE | {"name": _Span(0, 5, 36), "optional_data": _Span(1, 28, 36)})

# (line count, line length) -> (document layout, visa layout); visas have a document code 'V…'.
_SHAPES: dict[tuple[int, int], tuple[_Layout, _Layout]] = {
    (3, 30): (_TD1, _TD1),
    (2, 36): (_TD2, _MRVB),
    (2, 44): (_TD3, _MRVA),
}

# Check name -> (data field, check-digit field). The composite is handled separately.
_DIGIT_CHECKS: tuple[tuple[CheckedField, str, str], ...] = (
    ("document_number", "document_number", "document_number_cd"),
    ("birth_date", "birth_date", "birth_date_cd"),
    ("expiry_date", "expiry_date", "expiry_date_cd"),
    ("personal_number", "optional_data", "optional_data_cd"),
)


def parse_mrz(lines: Sequence[str]) -> MRZ:
    """Parse MRZ lines (surrounding whitespace ignored; no case folding).

    Raises MRZError for anything that is not a structurally valid MRZ. Bad check digits
    are reported in `MRZ.checks`, not raised.
    """
    text = _clean_lines(lines)
    layout = _detect(text)
    raw = {name: text[span.line][span.start : span.stop] for name, span in layout.fields.items()}
    if layout.format == "TD1":
        raw |= _td1_document_number(raw["document_number"], raw["document_number_cd"], raw["optional_data"])
    if raw["sex"] not in _SEXES:
        raise MRZError("sex field must be 'F', 'M', 'X' or '<'")

    checks = [
        _digit_check(check, raw[data], raw[digit])
        for check, data, digit in _DIGIT_CHECKS
        if digit in raw
    ]
    if layout.composite:
        covered = "".join(text[s.line][s.start : s.stop] for s in layout.composite)
        checks.append(_digit_check("composite", covered, raw["composite_cd"]))

    surname, _, given_names = raw["name"].partition(FILLER * 2)
    return MRZ(
        format=layout.format,
        document_code=_unfill(raw["document_code"]),
        issuing_state=_unfill(raw["issuing_state"]),
        surname=_words(surname),
        given_names=_words(given_names),
        name_may_be_truncated=not raw["name"].endswith(FILLER),
        document_number=raw["document_number"].replace(FILLER, ""),
        nationality=_unfill(raw["nationality"]),
        birth_date_raw=raw["birth_date"],
        sex=raw["sex"],
        expiry_date_raw=raw["expiry_date"],
        optional_data=_unfill(raw["optional_data"]),
        optional_data_2=_unfill(raw.get("optional_data_2", "")),
        checks=tuple(checks),
    )


def _clean_lines(lines: object) -> list[str]:
    if isinstance(lines, str) or not isinstance(lines, Sequence):
        raise MRZError("MRZ must be a sequence of lines")
    if not 2 <= len(lines) <= 3:
        raise MRZError("MRZ must have 2 or 3 lines")
    if not all(isinstance(line, str) for line in lines):
        raise MRZError("MRZ lines must be strings")
    cleaned = [line.strip() for line in lines]
    if not all(_MRZ_LINE.fullmatch(line) for line in cleaned):
        raise MRZError("MRZ lines may only contain A-Z, 0-9 and '<'")
    return cleaned


def _detect(lines: list[str]) -> _Layout:
    widths = {len(line) for line in lines}
    shape = (len(lines), min(widths))
    if len(widths) != 1 or shape not in _SHAPES:
        raise MRZError("MRZ must be 3x30 (TD1), 2x36 (TD2/MRV-B) or 2x44 (TD3/MRV-A) characters")
    document, visa = _SHAPES[shape]
    return visa if lines[0].startswith("V") else document


def _td1_document_number(number: str, digit: str, optional: str) -> dict[str, str]:
    """Doc 9303 Part 5: a number longer than 9 characters has '<' in the check-digit place
    and continues in the optional data, ending with its own check digit."""
    overflow = optional.split(FILLER, 1)[0]
    if digit != FILLER or not overflow:
        return {}
    return {
        "document_number": number + overflow[:-1],
        "document_number_cd": overflow[-1],
        "optional_data": optional[len(overflow) :],
    }


def _digit_check(name: CheckedField, data: str, expected: str) -> DigitCheck:
    computed = check_digit(data)
    # A TD3 personal number that is all fillers may carry '<' instead of '0' as its check digit.
    filler_ok = name == "personal_number" and expected == FILLER and not data.strip(FILLER)
    return DigitCheck(field=name, expected=expected, computed=computed, valid=filler_ok or expected == str(computed))


def _unfill(value: str) -> str:
    return value.strip(FILLER)


def _words(value: str) -> str:
    return " ".join(value.replace(FILLER, " ").split())


def mrz_birth_date(raw: str, today: date) -> date | None:
    """A YYMMDD birth date in the latest century that does not put it after `today`."""
    parts = _yymmdd(raw)
    if parts is None:
        return None
    yy, month, day = parts
    year = today.year - today.year % 100 + yy
    if (year, month, day) > (today.year, today.month, today.day):
        year -= 100
    return _date(year, month, day)


def mrz_expiry_date(raw: str) -> date | None:
    """A YYMMDD expiry date: 2000+YY for YY <= 69, else 1900+YY (the POSIX %y pivot).

    Expiry dates lie within about ten years of issue, so a fixed pivot is enough until 2069.
    """
    parts = _yymmdd(raw)
    if parts is None:
        return None
    yy, month, day = parts
    return _date((2000 if yy <= 69 else 1900) + yy, month, day)


def _yymmdd(raw: str) -> tuple[int, int, int] | None:
    if not (isinstance(raw, str) and len(raw) == 6 and all(c in "0123456789" for c in raw)):
        return None
    return int(raw[:2]), int(raw[2:4]), int(raw[4:])


def _date(year: int, month: int, day: int) -> date | None:
    try:
        return date(year, month, day)
    except ValueError:
        return None
