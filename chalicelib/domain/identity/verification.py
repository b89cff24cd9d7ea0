"""Deterministic identity verification behind a small provider interface.

`DocumentChecksVerifier` checks the submitted identity document against the applicant's
data and the policy, and, when the channel supplies the MRZ text, the MRZ against both.
Check details describe the problem only: they never carry names, dates or numbers.
"""
from __future__ import annotations

import re
from datetime import date
from enum import StrEnum
from collections.abc import Mapping
from types import ModuleType
from typing import Protocol

from anyascii import anyascii
from pydantic import Field
from stdnum.be import eid as be_eid
from stdnum.pt import cc as pt_cc

from chalicelib.domain.identity.mrz import MRZ, MRZError, parse_mrz
from chalicelib.domain.models import (
    Application,
    CheckResult,
    DocumentType,
    Frozen,
    IdentityDocument,
    VerificationResult,
)


class IdentityPolicy(Frozen):
    """Product rules the identity checks apply."""

    minimum_age_years: int = Field(ge=0)
    max_document_validity_years: int = Field(default=15, gt=0, le=100)


class IdentityVerifier(Protocol):
    """An identity verification provider."""

    name: str

    def verify(self, application: Application, today: date, policy: IdentityPolicy,
               images: Mapping[str, bytes] | None = None) -> VerificationResult:
        """`images`: the uploaded document images by side (front, back, selfie), when there are any."""


class IdentityCheck(StrEnum):
    """Stable check codes reported by `DocumentChecksVerifier`."""

    DOCUMENT_EXPIRY = "DOCUMENT_EXPIRY"
    DOCUMENT_VALIDITY_PERIOD = "DOCUMENT_VALIDITY_PERIOD"
    MINIMUM_AGE = "MINIMUM_AGE"
    NATIONAL_ID_NUMBER = "NATIONAL_ID_NUMBER"
    MRZ_FORMAT = "MRZ_FORMAT"
    MRZ_CHECK_DIGITS = "MRZ_CHECK_DIGITS"
    MRZ_SPECIMEN = "MRZ_SPECIMEN"
    MRZ_DOCUMENT_NUMBER_MATCH = "MRZ_DOCUMENT_NUMBER_MATCH"
    MRZ_BIRTH_DATE_MATCH = "MRZ_BIRTH_DATE_MATCH"
    MRZ_EXPIRY_MATCH = "MRZ_EXPIRY_MATCH"
    MRZ_NATIONALITY_MATCH = "MRZ_NATIONALITY_MATCH"
    MRZ_ISSUING_STATE_MATCH = "MRZ_ISSUING_STATE_MATCH"
    MRZ_NAME_MATCH = "MRZ_NAME_MATCH"
    DOCUMENT_IMAGES = "DOCUMENT_IMAGES"


# ID cards whose *card number* (what IdentityDocument.number holds) has a python-stdnum
# validator. Deliberately small: stdnum's es.dni, za.idnr, cn.ric etc. validate personal
# numbers, which are not the document number on an MRZ-bearing card.
#   BEL: stdnum.be.eid, "Belgian electronic Identity Card Number" (12 digits, mod 97).
#   PRT: stdnum.pt.cc, "Número de Cartão de Cidadão" (civil number, version letters, check).
_ID_CARD_NUMBER_VALIDATORS: dict[str, ModuleType] = {"BEL": be_eid, "PRT": pt_cc}

# ICAO state codes that are not ISO 3166-1 alpha-3 -> the alpha-3 code they correspond to.
_ICAO_TO_ISO3 = {
    "D": "DEU",  # Germany
    "GBD": "GBR",  # British Overseas Territories citizen
    "GBN": "GBR",  # British National (Overseas)
    "GBO": "GBR",  # British Overseas citizen
    "GBP": "GBR",  # British protected person
    "GBS": "GBR",  # British subject
}

# Doc 9303 Part 3 §6 transliterations with two accepted forms: (recommended, simple).
# ß→SS, Æ→AE and Þ→TH need no entry: anyascii already produces them.
_TRANSLITERATION_VARIANTS = {"Ä": ("AE", "A"), "Ö": ("OE", "O"), "Ü": ("UE", "U"), "Ø": ("OE", "O")}
_APOSTROPHES = re.compile(r"['`]")
_NAME_SEPARATORS = re.compile(r"[^A-Z]+")


class DocumentChecksVerifier:
    """Document validity, minimum age, national ID number and MRZ consistency checks."""

    name = "document-checks-v1"

    def verify(self, application: Application, today: date, policy: IdentityPolicy,
               images: Mapping[str, bytes] | None = None) -> VerificationResult:
        document = application.document
        checks = [
            _expiry_check(document, today),
            _validity_period_check(document, today, policy.max_document_validity_years),
            _age_check(application.applicant.birth_date, today, policy.minimum_age_years),
        ]
        if (id_number := _national_id_check(document)) is not None:
            checks.append(id_number)
        if document.mrz is not None:
            checks.extend(_mrz_checks(application, document.mrz))
        if document.images:
            checks.append(_images_check(document, images or {}))
        return VerificationResult(provider=self.name, checks=tuple(checks))


def _result(code: IdentityCheck, passed: bool, failure: str, success: str = "") -> CheckResult:
    return CheckResult(code=code, passed=passed, detail=success if passed else failure)


def _expiry_check(document: IdentityDocument, today: date) -> CheckResult:
    return _result(
        IdentityCheck.DOCUMENT_EXPIRY, document.expiry_date >= today, "document expired before the check date"
    )


def age_on(birth_date: date, today: date) -> int:
    """Completed years on `today`. A 29 February birthday is reached on 1 March in common
    years, so the applicant is never treated as older than they are."""
    return today.year - birth_date.year - ((today.month, today.day) < (birth_date.month, birth_date.day))


def _age_check(birth_date: date, today: date, minimum: int) -> CheckResult:
    return _result(
        IdentityCheck.MINIMUM_AGE,
        age_on(birth_date, today) >= minimum,
        f"applicant is younger than the policy minimum age of {minimum} years",
    )


def _national_id_check(document: IdentityDocument) -> CheckResult | None:
    validator = _ID_CARD_NUMBER_VALIDATORS.get(document.issuing_country.upper())
    if document.type is not DocumentType.ID_CARD or validator is None:
        return None
    return _result(
        IdentityCheck.NATIONAL_ID_NUMBER,
        validator.is_valid(document.number),
        "document number fails the issuing country's ID card number validation",
    )


def _mrz_checks(application: Application, lines: tuple[str, ...]) -> list[CheckResult]:
    try:
        mrz = parse_mrz(lines)
    except MRZError as error:
        return [_result(IdentityCheck.MRZ_FORMAT, False, f"MRZ could not be parsed: {error}")]

    applicant, document = application.applicant, application.document
    failed_digits = ", ".join(mrz.failed_checks)
    return [
        _result(IdentityCheck.MRZ_FORMAT, True, "", f"{mrz.format} MRZ"),
        _result(IdentityCheck.MRZ_CHECK_DIGITS, not failed_digits, f"invalid check digit: {failed_digits}"),
        _result(IdentityCheck.MRZ_SPECIMEN, not mrz.is_specimen, "MRZ is an ICAO specimen (state code UTO)"),
        _result(
            IdentityCheck.MRZ_DOCUMENT_NUMBER_MATCH,
            _document_number(document.number) == _document_number(mrz.document_number),
            "MRZ document number does not match the application",
        ),
        # Compare as YYMMDD: the MRZ has no century, so guessing one could only add errors.
        _result(
            IdentityCheck.MRZ_BIRTH_DATE_MATCH,
            applicant.birth_date.strftime("%y%m%d") == mrz.birth_date_raw,
            "MRZ birth date does not match the application",
        ),
        _result(
            IdentityCheck.MRZ_EXPIRY_MATCH,
            document.expiry_date.strftime("%y%m%d") == mrz.expiry_date_raw,
            "MRZ expiry date does not match the application",
        ),
        _result(
            IdentityCheck.MRZ_NATIONALITY_MATCH,
            _iso3(mrz.nationality) == applicant.nationality.upper(),
            "MRZ nationality does not match the application",
        ),
        _result(
            IdentityCheck.MRZ_ISSUING_STATE_MATCH,
            _iso3(mrz.issuing_state) == document.issuing_country.upper(),
            "MRZ issuing state does not match the application",
        ),
        _result(
            IdentityCheck.MRZ_NAME_MATCH,
            _name_matches(mrz, applicant.family_name, applicant.given_names),
            "MRZ name does not match the application",
        ),
    ]


def _document_number(number: str) -> str:
    return re.sub(r"[\s\-<]", "", number).upper()


def _iso3(icao_code: str) -> str:
    return _ICAO_TO_ISO3.get(icao_code, icao_code)


def _name_matches(mrz: MRZ, family_name: str, given_names: str) -> bool:
    """Match surname and given names token by token under either transliteration variant.

    When the MRZ name fills its whole field it may be truncated, and then each MRZ token
    only has to be a prefix of the application's token in the same place.
    """
    mrz_surname, mrz_given = mrz.surname.split(), mrz.given_names.split()
    return any(
        _tokens_match(mrz_surname, _mrz_tokens(family_name, variant), mrz.name_may_be_truncated)
        and _tokens_match(mrz_given, _mrz_tokens(given_names, variant), mrz.name_may_be_truncated)
        for variant in (0, 1)
    )


def _mrz_tokens(name: str, variant: int) -> list[str]:
    """A name as MRZ tokens: transliterated, uppercased, apostrophes dropped, split on the rest."""
    text = "".join(_TRANSLITERATION_VARIANTS.get(ch.upper(), (ch, ch))[variant] for ch in name)
    ascii_text = _APOSTROPHES.sub("", anyascii(text).upper())
    return [token for token in _NAME_SEPARATORS.split(ascii_text) if token]


def _tokens_match(mrz_tokens: list[str], tokens: list[str], truncated: bool) -> bool:
    if not truncated:
        return mrz_tokens == tokens
    return len(mrz_tokens) <= len(tokens) and all(t.startswith(m) for m, t in zip(mrz_tokens, tokens))


def _images_check(document: IdentityDocument, images: Mapping[str, bytes]) -> CheckResult:
    """Every image the channel announced reached the verifier. (What each image is checked for
    belongs to the image checks; a vendor adapter would compare the selfie with the document.)"""
    missing = [side.value for side in document.images if not images.get(side.value)]
    return CheckResult(code=IdentityCheck.DOCUMENT_IMAGES, passed=not missing,
                       detail=f"image(s) not received: {', '.join(missing)}" if missing else
                       f"{len(document.images)} image(s) received")


def _validity_period_check(document: IdentityDocument, today: date, max_years: int) -> CheckResult:
    """No document is issued for longer than the policy's maximum: an expiry further away (9999-12-31)
    is a typing error or a forgery, for a person to look at, never an approval."""
    try:
        latest = today.replace(year=today.year + max_years)
    except ValueError:  # 29 February
        latest = today.replace(year=today.year + max_years, day=28)
    plausible = document.expiry_date <= latest
    return CheckResult(code=IdentityCheck.DOCUMENT_VALIDITY_PERIOD, passed=plausible,
                       detail="" if plausible else f"expires more than {max_years} years from today")
