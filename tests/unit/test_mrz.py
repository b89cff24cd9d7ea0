"""ICAO 9303 MRZ parser: specimens, check digits, corruption and fuzzing."""
from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from chalicelib.domain.identity.mrz import (
    MRZ,
    MRZError,
    check_digit,
    mrz_birth_date,
    mrz_expiry_date,
    parse_mrz,
)

FIXTURES = json.loads((Path(__file__).parent.parent / "fixtures" / "icao_specimens.json").read_text())
SPECIMENS = {s["id"]: s for s in FIXTURES["specimens"]}
TD1_LINES = SPECIMENS["icao_td1_utopia_eriksson"]["lines"]
TD3_LINES = SPECIMENS["icao_td3_utopia_eriksson"]["lines"]

# Where each check digit sits: (0-based line, 0-based column).
DIGIT_POSITIONS = {
    "TD1": {"document_number": (0, 14), "birth_date": (1, 6), "expiry_date": (1, 14), "composite": (1, 29)},
    "TD2": {"document_number": (1, 9), "birth_date": (1, 19), "expiry_date": (1, 27), "composite": (1, 35)},
    "TD3": {
        "document_number": (1, 9),
        "birth_date": (1, 19),
        "expiry_date": (1, 27),
        "personal_number": (1, 42),
        "composite": (1, 43),
    },
    "MRVA": {"document_number": (1, 9), "birth_date": (1, 19), "expiry_date": (1, 27)},
    "MRVB": {"document_number": (1, 9), "birth_date": (1, 19), "expiry_date": (1, 27)},
}
# The first character of each check digit's data, for the formats' own field checks.
DATA_POSITIONS = {
    "TD1": {"document_number": (0, 5), "birth_date": (1, 0), "expiry_date": (1, 8)},
    **{
        fmt: {"document_number": (1, 0), "birth_date": (1, 13), "expiry_date": (1, 21)}
        for fmt in ("TD2", "MRVA", "MRVB")
    },
    "TD3": {"document_number": (1, 0), "birth_date": (1, 13), "expiry_date": (1, 21), "personal_number": (1, 28)},
}
# fixture key -> MRZ attribute
FIELD_NAMES = {
    "document_number": "document_number",
    "nationality": "nationality",
    "birth_date": "birth_date_raw",
    "sex": "sex",
    "expiry_date": "expiry_date_raw",
    "personal_number": "optional_data",
    "optional_data": "optional_data",
    "surname": "surname",
    "given_names": "given_names",
}
# fixture key -> DigitCheck.field
DIGIT_NAMES = {
    "document_number_cd": "document_number",
    "birth_date_cd": "birth_date",
    "expiry_date_cd": "expiry_date",
    "personal_number_cd": "personal_number",
    "composite_cd": "composite",
}


def replace(lines: list[str], line: int, column: int, char: str) -> list[str]:
    out = list(lines)
    out[line] = out[line][:column] + char + out[line][column + 1 :]
    return out


def bump(char: str) -> str:
    """A different MRZ character whose check-digit value differs by a unit (mod 10 non-zero)."""
    alphabet = "0123456789" if char.isdigit() else "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
    return "1" if char == "<" else alphabet[(alphabet.index(char) + 1) % len(alphabet)]


def digits(mrz: MRZ) -> dict[str, str]:
    return {c.field: c.expected for c in mrz.checks}


@pytest.mark.parametrize("specimen", FIXTURES["specimens"], ids=lambda s: s["id"])
def test_specimens_parse_with_expected_fields(specimen: dict) -> None:
    mrz = parse_mrz(specimen["lines"])

    assert mrz.format == specimen["format"]
    assert mrz.issuing_state == "UTO"
    assert mrz.surname == "ERIKSSON"
    assert mrz.given_names == "ANNA MARIA"
    for key, value in specimen.get("expected_fields", {}).items():
        if key in DIGIT_NAMES:
            assert digits(mrz)[DIGIT_NAMES[key]] == value, key
        else:
            assert getattr(mrz, FIELD_NAMES[key]) == value, key
    assert all(c.valid for c in mrz.checks)
    assert {c.field for c in mrz.checks} == set(DIGIT_POSITIONS[mrz.format])
    assert mrz.is_specimen


def test_visa_fields_and_no_composite() -> None:
    mrz = parse_mrz(SPECIMENS["icao_mrva_utopia_eriksson"]["lines"])

    assert mrz.document_code == "V"
    assert mrz.document_number == "L8988901C"
    assert mrz.nationality == "XXX"
    assert mrz.birth_date_raw == "400907"
    assert mrz.expiry_date_raw == "961210"
    assert "composite" not in digits(mrz)


@pytest.mark.parametrize("example", FIXTURES["check_digit_examples"], ids=lambda e: e["id"])
def test_check_digit_examples(example: dict) -> None:
    assert check_digit(example["input"]) == example["check_digit"]


@pytest.mark.parametrize("bad", ["abc", "AB-1", "AB 1", "É", "٣"])
def test_check_digit_rejects_other_characters(bad: str) -> None:
    with pytest.raises(MRZError):
        check_digit(bad)


def test_check_digit_rejects_non_strings() -> None:
    with pytest.raises(MRZError):
        check_digit(123)  # type: ignore[arg-type]


def test_td1_long_document_number() -> None:
    """Doc 9303 Part 5: '<' in the check position, the number continues in the optional data."""
    line1 = "I<UTOD23145890<1233<<<<<<<<<<<"
    covered = line1[5:30] + TD1_LINES[1][0:7] + TD1_LINES[1][8:15] + TD1_LINES[1][18:29]
    line2 = TD1_LINES[1][:29] + str(check_digit(covered))

    mrz = parse_mrz([line1, line2, TD1_LINES[2]])

    assert mrz.document_number == "D23145890123"
    assert digits(mrz)["document_number"] == "3"
    assert mrz.optional_data == ""
    assert all(c.valid for c in mrz.checks)


def test_td1_filler_check_digit_without_overflow_is_an_invalid_check() -> None:
    mrz = parse_mrz(replace(TD1_LINES, 0, 14, "<"))

    assert mrz.document_number == "D23145890"
    assert set(mrz.failed_checks) == {"document_number", "composite"}


@pytest.mark.parametrize("personal_digit", ["<", "0"])
def test_td3_empty_personal_number_accepts_filler_or_zero_check(personal_digit: str) -> None:
    line2 = "L898902C36UTO7408122F1204159" + "<" * 14 + personal_digit
    line2 += str(check_digit(line2[0:10] + line2[13:20] + line2[21:43]))

    mrz = parse_mrz([TD3_LINES[0], line2])

    assert mrz.optional_data == ""
    assert all(c.valid for c in mrz.checks)


def test_filler_personal_number_check_with_data_is_invalid() -> None:
    mrz = parse_mrz(replace(TD3_LINES, 1, 42, "<"))

    assert set(mrz.failed_checks) == {"personal_number", "composite"}


def _digit_cases() -> list[tuple[str, str, tuple[int, int]]]:
    return [
        (sid, field, position)
        for sid, s in SPECIMENS.items()
        for field, position in DIGIT_POSITIONS[s["format"]].items()
    ]


@pytest.mark.parametrize(("specimen_id", "field", "position"), _digit_cases())
def test_flipped_check_digit_fails_that_check(specimen_id: str, field: str, position: tuple[int, int]) -> None:
    """A flipped digit fails its own check, and the composite too when the composite covers it."""
    lines = SPECIMENS[specimen_id]["lines"]
    line, column = position

    mrz = parse_mrz(replace(lines, line, column, bump(lines[line][column])))

    has_composite = "composite" in DIGIT_POSITIONS[mrz.format]
    assert set(mrz.failed_checks) == ({field, "composite"} if has_composite else {field})


def _data_cases() -> list[tuple[str, str, tuple[int, int]]]:
    return [
        (sid, field, position)
        for sid, s in SPECIMENS.items()
        for field, position in DATA_POSITIONS[s["format"]].items()
    ]


@pytest.mark.parametrize(("specimen_id", "field", "position"), _data_cases())
def test_changed_data_fails_its_check_and_the_composite(
    specimen_id: str, field: str, position: tuple[int, int]
) -> None:
    lines = SPECIMENS[specimen_id]["lines"]
    line, column = position

    mrz = parse_mrz(replace(lines, line, column, bump(lines[line][column])))

    has_composite = "composite" in DIGIT_POSITIONS[mrz.format]
    assert set(mrz.failed_checks) == ({field, "composite"} if has_composite else {field})


def test_non_digit_in_check_position_is_an_invalid_check() -> None:
    mrz = parse_mrz(replace(TD3_LINES, 1, 19, "A"))

    birth = next(c for c in mrz.checks if c.field == "birth_date")
    assert (birth.expected, birth.computed, birth.valid) == ("A", 2, False)


def test_surrounding_whitespace_is_ignored() -> None:
    mrz = parse_mrz([f"  {TD3_LINES[0]}\n", f"\t{TD3_LINES[1]} "])

    assert mrz.document_number == "L898902C3"


def test_name_without_given_names_and_full_name_field() -> None:
    long_name = "P<UTO" + "NILAVADHANANANDA<<CHAYAPA<DEJTHAMRONG<K"
    mrz = parse_mrz([long_name, TD3_LINES[1]])
    assert (mrz.given_names, mrz.name_may_be_truncated) == ("CHAYAPA DEJTHAMRONG K", True)

    mononym = parse_mrz(["P<UTOERIKSSON".ljust(44, "<"), TD3_LINES[1]])
    assert (mononym.surname, mononym.given_names, mononym.name_may_be_truncated) == ("ERIKSSON", "", False)


def test_german_d_code_is_unfilled() -> None:
    mrz = parse_mrz(
        ["P<D<<MUSTERMANN<<ERIKA".ljust(44, "<"), "C01X0006H1D<<6408125F1710319<<<<<<<<<<<<<<<0"]
    )

    assert (mrz.issuing_state, mrz.nationality, mrz.is_specimen) == ("D", "D", False)
    assert mrz.failed_checks == ()


@pytest.mark.parametrize(
    "lines",
    [
        pytest.param([], id="no-lines"),
        pytest.param([TD3_LINES[0]], id="one-line"),
        pytest.param([*TD1_LINES, TD1_LINES[0]], id="four-lines"),
        pytest.param([TD3_LINES[0], TD3_LINES[1][:-1]], id="short-line"),
        pytest.param([TD3_LINES[0] + "<", TD3_LINES[1] + "<"], id="45-chars"),
        pytest.param(TD1_LINES[:2], id="td1-missing-line"),
        pytest.param([TD3_LINES[0], TD3_LINES[1].lower()], id="lowercase"),
        pytest.param([TD3_LINES[0], TD3_LINES[1].replace("<", " ")], id="spaces-as-fillers"),
        pytest.param([TD3_LINES[0].replace("ERIKSSON", "ERİKSSON"), TD3_LINES[1]], id="non-ascii"),
        pytest.param([TD3_LINES[0], TD3_LINES[1].replace("F", "Q")], id="bad-sex"),
        pytest.param("\n".join(TD3_LINES), id="single-string"),
        pytest.param([TD3_LINES[0], 42], id="non-str-item"),
        pytest.param([TD3_LINES[0].encode(), TD3_LINES[1].encode()], id="bytes-items"),
        pytest.param(None, id="none"),
        pytest.param(42, id="int"),
        pytest.param({0: TD3_LINES[0], 1: TD3_LINES[1]}, id="dict"),
    ],
)
def test_malformed_input_raises_mrz_error(lines: object) -> None:
    with pytest.raises(MRZError):
        parse_mrz(lines)  # type: ignore[arg-type]


def test_error_messages_do_not_echo_the_input() -> None:
    with pytest.raises(MRZError) as error:
        parse_mrz([TD3_LINES[0], TD3_LINES[1].lower()])

    assert "l898902c3" not in str(error.value).lower()


MRZ_ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789<"
# Near-valid shapes so the fuzzer also reaches the field and check-digit code.
shaped_lines = st.sampled_from([(3, 30), (2, 36), (2, 44)]).flatmap(
    lambda shape: st.lists(
        st.text(MRZ_ALPHABET, min_size=shape[1], max_size=shape[1]), min_size=shape[0], max_size=shape[0]
    )
)
anything = st.one_of(
    st.text(),
    st.lists(st.text(), max_size=4),
    st.lists(st.text(MRZ_ALPHABET + "abc \t\n", min_size=28, max_size=46), min_size=2, max_size=3),
    st.lists(st.one_of(st.text(), st.integers(), st.none(), st.binary()), max_size=4),
    shaped_lines,
    st.none(),
    st.integers(),
)


@given(anything)
def test_parse_mrz_raises_only_mrz_error(lines: object) -> None:
    try:
        result = parse_mrz(lines)  # type: ignore[arg-type]
    except MRZError:
        return
    assert isinstance(result, MRZ)


@given(shaped_lines)
def test_well_shaped_lines_always_parse_unless_sex_is_invalid(lines: list[str]) -> None:
    sex = lines[1][7] if len(lines) == 3 else lines[1][20]
    if sex not in "FMX<":
        with pytest.raises(MRZError):
            parse_mrz(lines)
        return
    mrz = parse_mrz(lines)
    assert len(mrz.checks) == (3 if mrz.format.startswith("MRV") else 5 if mrz.format == "TD3" else 4)


@given(st.text())
def test_check_digit_raises_only_mrz_error(field: str) -> None:
    try:
        assert 0 <= check_digit(field) <= 9
    except MRZError:
        pass


@pytest.mark.parametrize(
    ("raw", "today", "expected"),
    [
        ("740812", date(2025, 6, 1), date(1974, 8, 12)),
        ("250601", date(2025, 6, 1), date(2025, 6, 1)),  # born today
        ("250602", date(2025, 6, 1), date(1925, 6, 2)),  # tomorrow would be in the future
        ("000229", date(2025, 6, 1), date(2000, 2, 29)),
        ("960229", date(2025, 6, 1), date(1996, 2, 29)),
        ("740230", date(2025, 6, 1), None),
        ("7408<<", date(2025, 6, 1), None),
        ("74O812", date(2025, 6, 1), None),
        ("74081", date(2025, 6, 1), None),
    ],
)
def test_mrz_birth_date(raw: str, today: date, expected: date | None) -> None:
    assert mrz_birth_date(raw, today) == expected


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("120415", date(2012, 4, 15)),
        ("691231", date(2069, 12, 31)),
        ("700101", date(1970, 1, 1)),
        ("961210", date(1996, 12, 10)),
        ("280229", date(2028, 2, 29)),
        ("270229", None),
        ("<<<<<<", None),
        ("12041", None),
    ],
)
def test_mrz_expiry_date(raw: str, expected: date | None) -> None:
    assert mrz_expiry_date(raw) == expected
