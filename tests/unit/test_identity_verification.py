"""DocumentChecksVerifier: every check code passing and failing, and PII-free details."""
from __future__ import annotations

import json
from datetime import date, timedelta
from pathlib import Path

import pytest

from chalicelib.domain.identity.mrz import check_digit
from chalicelib.domain.identity.verification import (
    DocumentChecksVerifier,
    IdentityPolicy,
    IdentityVerifier,
    age_on,
)
from chalicelib.domain.models import (
    Address,
    Applicant,
    Application,
    Channel,
    CheckResult,
    DocumentType,
    IdentityDocument,
    VerificationResult,
)

FIXTURES = json.loads((Path(__file__).parent.parent / "fixtures" / "icao_specimens.json").read_text())
TODAY = date(2025, 6, 1)
POLICY = IdentityPolicy(minimum_age_years=18)
MRZ_CODES = {
    "MRZ_FORMAT",
    "MRZ_CHECK_DIGITS",
    "MRZ_SPECIMEN",
    "MRZ_DOCUMENT_NUMBER_MATCH",
    "MRZ_BIRTH_DATE_MATCH",
    "MRZ_EXPIRY_MATCH",
    "MRZ_NATIONALITY_MATCH",
    "MRZ_ISSUING_STATE_MATCH",
    "MRZ_NAME_MATCH",
}

# A fictional applicant and the German passport MRZ that matches them.
GIVEN, FAMILY, BIRTH = "Jürgen", "Müller-Lüdenscheidt", date(1990, 5, 17)
NUMBER, EXPIRY = "C01X00T47", date(2031, 8, 1)
MRZ_NAME = "MUELLER<LUEDENSCHEIDT<<JUERGEN"


def td3_mrz(
    name: str = MRZ_NAME,
    number: str = NUMBER,
    state: str = "D",
    nationality: str = "D",
    birth: str = "900517",
    expiry: str = "310801",
) -> tuple[str, str]:
    """A TD3 MRZ with correct check digits computed by `check_digit`."""
    line1 = f"P<{state.ljust(3, '<')}{name}".ljust(44, "<")[:44]
    number_field = number.ljust(9, "<")
    personal = "<" * 14
    line2 = (
        f"{number_field}{check_digit(number_field)}{nationality.ljust(3, '<')}"
        f"{birth}{check_digit(birth)}M{expiry}{check_digit(expiry)}{personal}{check_digit(personal)}"
    )
    composite = line2[0:10] + line2[13:20] + line2[21:43]
    return line1, line2 + str(check_digit(composite))


def application(
    *,
    given_names: str = GIVEN,
    family_name: str = FAMILY,
    birth_date: date = BIRTH,
    nationality: str = "DEU",
    document_type: DocumentType = DocumentType.PASSPORT,
    number: str = NUMBER,
    issuing_country: str = "DEU",
    expiry_date: date = EXPIRY,
    mrz: tuple[str, ...] | None = td3_mrz(),
) -> Application:
    return Application(
        applicant=Applicant(
            given_names=given_names,
            family_name=family_name,
            birth_date=birth_date,
            nationality=nationality,
            email="applicant@example.test",
            phone="+49 30 0000000",
            address=Address(line1="Teststraße 1", city="Berlin", postal_code="10115", country="DEU"),
        ),
        document=IdentityDocument(
            type=document_type, number=number, issuing_country=issuing_country, expiry_date=expiry_date, mrz=mrz
        ),
        channel=Channel(name="web", reference="ref-0001"),
    )


def verify(app: Application, today: date = TODAY, policy: IdentityPolicy = POLICY) -> VerificationResult:
    return DocumentChecksVerifier().verify(app, today, policy)


def check(result: VerificationResult, code: str) -> CheckResult:
    (found,) = (c for c in result.checks if c.code == code)
    return found


def codes(result: VerificationResult) -> set[str]:
    return {c.code for c in result.checks}


def test_verifier_satisfies_the_provider_interface() -> None:
    verifier: IdentityVerifier = DocumentChecksVerifier()

    result = verifier.verify(application(), TODAY, POLICY)

    assert result.provider == verifier.name == "document-checks-v1"


def test_consistent_application_passes_every_check() -> None:
    result = verify(application())

    assert codes(result) == {"DOCUMENT_EXPIRY", "DOCUMENT_VALIDITY_PERIOD", "MINIMUM_AGE"} | MRZ_CODES
    assert result.failed_codes == ()
    assert check(result, "MRZ_FORMAT").detail == "TD3 MRZ"


def test_without_mrz_only_document_checks_run() -> None:
    result = verify(application(mrz=None))

    assert codes(result) == {"DOCUMENT_EXPIRY", "DOCUMENT_VALIDITY_PERIOD", "MINIMUM_AGE"}


@pytest.mark.parametrize(("expiry", "passed"), [
    (date(2040, 6, 1), True),  # exactly the policy's 15 years
    (date(2040, 6, 2), False),  # a day more
    (date(9999, 12, 31), False),
])
def test_an_implausibly_distant_expiry_is_not_passed(expiry: date, passed: bool) -> None:
    result = check(verify(application(expiry_date=expiry, mrz=None)), "DOCUMENT_VALIDITY_PERIOD")
    assert result.passed is passed and (passed or result.detail == "expires more than 15 years from today")


@pytest.mark.parametrize(("expiry", "passed"), [(TODAY, True), (TODAY - timedelta(days=1), False)])
def test_document_expiry(expiry: date, passed: bool) -> None:
    result = check(verify(application(expiry_date=expiry, mrz=None)), "DOCUMENT_EXPIRY")

    assert result.passed is passed
    assert result.detail == ("" if passed else "document expired before the check date")


@pytest.mark.parametrize(
    ("birth", "today", "passed"),
    [
        pytest.param(date(2007, 6, 1), date(2025, 6, 1), True, id="18th-birthday-today"),
        pytest.param(date(2007, 6, 2), date(2025, 6, 1), False, id="18th-birthday-tomorrow"),
        pytest.param(date(2004, 2, 29), date(2022, 2, 28), False, id="leapling-28-feb-common-year"),
        pytest.param(date(2004, 2, 29), date(2022, 3, 1), True, id="leapling-1-mar-common-year"),
        pytest.param(date(2006, 2, 28), date(2024, 2, 28), True, id="28-feb-birthday-in-leap-year"),
        pytest.param(date(2006, 3, 1), date(2024, 2, 29), False, id="day-before-in-leap-year"),
        pytest.param(date(2000, 2, 29), date(2018, 2, 28), False, id="leapling-born-2000"),
        pytest.param(date(2026, 1, 1), date(2025, 6, 1), False, id="born-in-the-future"),
    ],
)
def test_minimum_age(birth: date, today: date, passed: bool) -> None:
    result = check(verify(application(birth_date=birth, mrz=None), today=today), "MINIMUM_AGE")

    assert result.passed is passed
    if not passed:
        assert result.detail == "applicant is younger than the policy minimum age of 18 years"


def test_age_on_leap_day_birthdays() -> None:
    assert age_on(date(2004, 2, 29), date(2024, 2, 29)) == 20
    assert age_on(date(2004, 2, 29), date(2023, 2, 28)) == 18
    assert age_on(date(2004, 2, 29), date(2023, 3, 1)) == 19


def test_zero_minimum_age_policy() -> None:
    result = verify(application(mrz=None), policy=IdentityPolicy(minimum_age_years=0))

    assert check(result, "MINIMUM_AGE").passed


@pytest.mark.parametrize(
    "mrz",
    [
        pytest.param(("P<D<<MUELLER",), id="one-line"),
        pytest.param(tuple(line.lower() for line in td3_mrz()), id="lowercase"),
        pytest.param((td3_mrz()[0], td3_mrz()[1][:40]), id="short-line"),
    ],
)
def test_unparseable_mrz_fails_only_mrz_format(mrz: tuple[str, ...]) -> None:
    result = verify(application(mrz=mrz))

    assert codes(result) & MRZ_CODES == {"MRZ_FORMAT"}
    assert result.failed_codes == ("MRZ_FORMAT",)
    assert check(result, "MRZ_FORMAT").detail.startswith("MRZ could not be parsed: ")


def test_bad_check_digits_are_named() -> None:
    line1, line2 = td3_mrz()
    wrong = str((int(line2[9]) + 1) % 10)

    result = verify(application(mrz=(line1, line2[:9] + wrong + line2[10:])))

    assert result.failed_codes == ("MRZ_CHECK_DIGITS",)
    assert check(result, "MRZ_CHECK_DIGITS").detail == "invalid check digit: document_number, composite"


def test_specimen_is_reported_as_specimen_not_as_bad_digits() -> None:
    specimen = next(s for s in FIXTURES["specimens"] if s["format"] == "TD3")
    app = application(
        given_names="Anna Maria",
        family_name="Eriksson",
        birth_date=date(1974, 8, 12),
        number="L898902C3",
        issuing_country="UTO",
        nationality="UTO",
        expiry_date=date(2012, 4, 15),
        mrz=tuple(specimen["lines"]),
    )

    result = verify(app, today=date(2012, 1, 1))

    assert result.failed_codes == ("MRZ_SPECIMEN",)
    assert check(result, "MRZ_CHECK_DIGITS").passed
    assert "specimen" in check(result, "MRZ_SPECIMEN").detail


@pytest.mark.parametrize(
    ("number", "passed"),
    [("C01X00T47", True), ("c01x-00t47", True), ("C01X 00T 47", True), ("C01X00T48", False), ("C01X00T4", False)],
)
def test_document_number_match(number: str, passed: bool) -> None:
    result = check(verify(application(number=number)), "MRZ_DOCUMENT_NUMBER_MATCH")

    assert result.passed is passed


def test_birth_date_match() -> None:
    assert not check(verify(application(mrz=td3_mrz(birth="900518"))), "MRZ_BIRTH_DATE_MATCH").passed
    assert not check(verify(application(mrz=td3_mrz(birth="9005<<"))), "MRZ_BIRTH_DATE_MATCH").passed
    assert check(verify(application(mrz=td3_mrz(birth="900517"))), "MRZ_BIRTH_DATE_MATCH").passed


def test_birth_date_match_ignores_the_century() -> None:
    """A 105-year-old: the MRZ only says '20', which must not be read as 2020."""
    app = application(birth_date=date(1920, 3, 4), mrz=td3_mrz(birth="200304"))

    assert check(verify(app), "MRZ_BIRTH_DATE_MATCH").passed


def test_expiry_match() -> None:
    assert not check(verify(application(mrz=td3_mrz(expiry="310802"))), "MRZ_EXPIRY_MATCH").passed
    assert check(verify(application(mrz=td3_mrz(expiry="310801"))), "MRZ_EXPIRY_MATCH").passed


@pytest.mark.parametrize(
    ("mrz_code", "application_code", "passed"),
    [
        ("D", "DEU", True),
        ("DEU", "DEU", True),
        ("D", "AUT", False),
        ("GBR", "GBR", True),
        ("GBD", "GBR", True),
        ("GBN", "GBR", True),
        ("GBO", "GBR", True),
        ("GBS", "GBR", True),
        ("GBP", "GBR", True),
        ("GBD", "IRL", False),
        ("D", "deu", True),
    ],
)
def test_nationality_match(mrz_code: str, application_code: str, passed: bool) -> None:
    app = application(nationality=application_code, mrz=td3_mrz(nationality=mrz_code))

    assert check(verify(app), "MRZ_NATIONALITY_MATCH").passed is passed


@pytest.mark.parametrize(("mrz_state", "passed"), [("D", True), ("DEU", True), ("AUT", False), ("UTO", False)])
def test_issuing_state_match(mrz_state: str, passed: bool) -> None:
    result = check(verify(application(mrz=td3_mrz(state=mrz_state))), "MRZ_ISSUING_STATE_MATCH")

    assert result.passed is passed


@pytest.mark.parametrize(
    ("mrz_name", "given_names", "family_name", "passed"),
    [
        pytest.param(MRZ_NAME, GIVEN, FAMILY, True, id="umlauts-as-ae-oe-ue"),
        pytest.param("MULLER<LUDENSCHEIDT<<JURGEN", GIVEN, FAMILY, True, id="umlauts-as-plain-vowels"),
        pytest.param(MRZ_NAME, "JÜRGEN", "müller lüdenscheidt", True, id="case-and-space"),
        pytest.param("MUELLER<LUEDENSCHEIDT<<JUERGEN<KARL", "Jürgen  Karl", FAMILY, True, id="two-given-names"),
        pytest.param("MUELLER<LUEDENSCHEIDT<<KARL<JUERGEN", "Jürgen Karl", FAMILY, False, id="given-names-swapped"),
        pytest.param("MUELLER<<JUERGEN", GIVEN, FAMILY, False, id="surname-component-missing"),
        pytest.param("MUELLER<LUEDENSCHEIDT<<JUERGEN", "Jürgen Karl", FAMILY, False, id="given-name-missing"),
        pytest.param("SCHMIDT<<JUERGEN", GIVEN, FAMILY, False, id="other-surname"),
        pytest.param(
            # 39 characters: the name fills the field, so the last token may be cut off.
            "MUELLER<LUEDENSCHEIDT<<JUERGEN<KARL<FRI",
            "Jürgen Karl-Friedrich Maximilian",
            FAMILY,
            True,
            id="truncated-at-line-length",
        ),
        pytest.param(
            "MUELLER<LUEDENSCHEIDT<<JUERGEN<KARL<FRX",
            "Jürgen Karl-Friedrich Maximilian",
            FAMILY,
            False,
            id="truncated-but-different",
        ),
        pytest.param("MUELLER<LUEDENSCHEIDT<<JUERGEN<KARL<FRI", "Jürgen Karl Fri", FAMILY, True, id="exact-full"),
        pytest.param("DARTAGNAN<<CHARLES", "Charles", "d'Artagnan", True, id="apostrophe-dropped"),
        pytest.param("DARTAGNAN<<CHARLES", "Charles", "D’Artagnan", True, id="typographic-apostrophe"),
        pytest.param("STRASSER<<HEINZ", "Heinz", "Straßer", True, id="sharp-s"),
        pytest.param("OESTERGAARD<<SOEREN", "Søren", "Østergaard", True, id="o-slash-as-oe"),
        pytest.param("IVANOV<<DMITRIY", "Дмитрий", "Иванов", True, id="cyrillic"),
        pytest.param("NUNEZ<<JOSE<MARIA", "José María", "Núñez", True, id="accents"),
    ],
)
def test_name_match(mrz_name: str, given_names: str, family_name: str, passed: bool) -> None:
    app = application(given_names=given_names, family_name=family_name, mrz=td3_mrz(name=mrz_name))

    assert check(verify(app), "MRZ_NAME_MATCH").passed is passed


@pytest.mark.parametrize(
    ("document_type", "country", "number", "expected"),
    [
        pytest.param(DocumentType.ID_CARD, "BEL", "591-1917064-58", True, id="bel-valid"),
        pytest.param(DocumentType.ID_CARD, "BEL", "000-0011032-25", False, id="bel-bad-checksum"),
        pytest.param(DocumentType.ID_CARD, "PRT", "00000000 0 ZZ4", True, id="prt-valid"),
        pytest.param(DocumentType.ID_CARD, "PRT", "00000000 0 ZZ3", False, id="prt-bad-checksum"),
        pytest.param(DocumentType.PASSPORT, "BEL", "000-0011032-25", None, id="passport-not-checked"),
        pytest.param(DocumentType.ID_CARD, "DEU", "T22000129", None, id="no-validator-for-country"),
    ],
)
def test_national_id_number(document_type: DocumentType, country: str, number: str, expected: bool | None) -> None:
    app = application(document_type=document_type, issuing_country=country, number=number, mrz=None)

    result = verify(app)

    if expected is None:
        assert "NATIONAL_ID_NUMBER" not in codes(result)
    else:
        assert check(result, "NATIONAL_ID_NUMBER").passed is expected


def test_details_never_contain_applicant_values() -> None:
    """Fail every check at once and look for any applicant or document value in the details."""
    birth = date(2010, 2, 3)
    line1, line2 = td3_mrz(name="MUELLER<<JUERGEN", number="X1234567", state="AUT", nationality="AUT")
    mrz = (line1, line2[:9] + "9" + line2[10:])
    app = application(birth_date=birth, expiry_date=TODAY - timedelta(days=3), mrz=mrz)

    result = verify(app)

    assert set(result.failed_codes) == {
        "DOCUMENT_EXPIRY",
        "MINIMUM_AGE",
        "MRZ_CHECK_DIGITS",
        "MRZ_DOCUMENT_NUMBER_MATCH",
        "MRZ_BIRTH_DATE_MATCH",
        "MRZ_EXPIRY_MATCH",
        "MRZ_NATIONALITY_MATCH",
        "MRZ_ISSUING_STATE_MATCH",
        "MRZ_NAME_MATCH",
    }
    forbidden = _personal_values(app) | {"X1234567", "100203", "JUERGEN", "MUELLER", "AUT"}
    _assert_no_personal_values(result, forbidden)


def test_parse_error_detail_has_no_mrz_content() -> None:
    app = application(mrz=tuple(line.lower() for line in td3_mrz()))

    result = verify(app)

    _assert_no_personal_values(result, _personal_values(app) | {"mueller", "c01x00t47"})


def _personal_values(app: Application) -> set[str]:
    applicant, document = app.applicant, app.document
    dates = (applicant.birth_date, document.expiry_date)
    return (
        {applicant.given_names, applicant.family_name, document.number}
        | set(applicant.given_names.split())
        | set(applicant.family_name.replace("-", " ").split())
        | {d.isoformat() for d in dates}
        | {d.strftime(fmt) for d in dates for fmt in ("%y%m%d", "%d.%m.%Y", "%d/%m/%Y", "%Y")}
    )


def _assert_no_personal_values(result: VerificationResult, forbidden: set[str]) -> None:
    for c in result.checks:
        for value in forbidden:
            assert value.lower() not in c.detail.lower(), (c.code, value)


def test_policy_rejects_negative_age_and_unknown_keys() -> None:
    with pytest.raises(ValueError):
        IdentityPolicy(minimum_age_years=-1)
    with pytest.raises(ValueError):
        IdentityPolicy.model_validate({"minimum_age_years": 18, "minimum_age": 21})
