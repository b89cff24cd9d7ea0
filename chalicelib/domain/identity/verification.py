"""Deterministic identity verification behind a small provider interface.

`DocumentChecksVerifier` checks the submitted identity document against the applicant's
data and the policy, when the channel supplies the MRZ text, the MRZ against both, and the
uploaded document images (chalicelib/domain/identity/images.py). A check that compares the MRZ
with a field of the form, or an image, names that field (`CheckResult.field`), so a mismatch can
be corrected by the customer (policies/onboarding.yaml decides which can).
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

from chalicelib.domain.identity.images import ImageLimits, UploadedImage, check_images
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
    images: ImageLimits = ImageLimits(min_width=640, min_height=400, same_image_max_distance=4)


class IdentityVerifier(Protocol):
    """An identity verification provider."""

    name: str

    def verify(self, application: Application, today: date, policy: IdentityPolicy,
               images: Mapping[str, UploadedImage] | None = None) -> VerificationResult:
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
    DOCUMENT_ISSUE_DATE = "DOCUMENT_ISSUE_DATE"


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
               images: Mapping[str, UploadedImage] | None = None) -> VerificationResult:
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
        if issued := _issue_date_check(document, today):
            checks.append(issued)
        if document.images:
            received = {side: image for side, image in (images or {}).items() if image.content}
            checks.extend(_images_check(document, received))
            checks.extend(check_images(received, policy.images)[0])
        return VerificationResult(provider=self.name, checks=tuple(checks))


def _result(code: IdentityCheck, passed: bool, failure: str, success: str = "", field: str | None = None
            ) -> CheckResult:
    return CheckResult(code=code, passed=passed, detail=success if passed else failure,
                       field=None if passed else field)


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
            "MRZ document number does not match the application", field="document.number",
        ),
        # Compare as YYMMDD: the MRZ has no century, so guessing one could only add errors.
        _result(
            IdentityCheck.MRZ_BIRTH_DATE_MATCH,
            applicant.birth_date.strftime("%y%m%d") == mrz.birth_date_raw,
            "MRZ birth date does not match the application", field="applicant.birth_date",
        ),
        _result(
            IdentityCheck.MRZ_EXPIRY_MATCH,
            document.expiry_date.strftime("%y%m%d") == mrz.expiry_date_raw,
            "MRZ expiry date does not match the application", field="document.expiry_date",
        ),
        _result(
            IdentityCheck.MRZ_NATIONALITY_MATCH,
            _iso3(mrz.nationality) == applicant.nationality.upper(),
            "MRZ nationality does not match the application", field="applicant.nationality",
        ),
        _result(
            IdentityCheck.MRZ_ISSUING_STATE_MATCH,
            _iso3(mrz.issuing_state) == document.issuing_country.upper(),
            "MRZ issuing state does not match the application", field="document.issuing_country",
        ),
        *_name_checks(mrz, applicant.family_name, applicant.given_names),
    ]


def _document_number(number: str) -> str:
    return re.sub(r"[\s\-<]", "", number).upper()


def _iso3(icao_code: str) -> str:
    return _ICAO_TO_ISO3.get(icao_code, icao_code)


def _name_checks(mrz: MRZ, family_name: str, given_names: str) -> list[CheckResult]:
    """Match surname and given names token by token under either transliteration variant (one
    variant for both). When the MRZ name fills its whole field it may be truncated, and then each
    MRZ token only has to be a prefix of the application's token in the same place. A mismatch
    names the part that matches under no variant (both, if each matches only alone)."""
    mrz_surname, mrz_given = mrz.surname.split(), mrz.given_names.split()
    truncated = mrz.name_may_be_truncated
    surname = [_tokens_match(mrz_surname, _mrz_tokens(family_name, v), truncated) for v in (0, 1)]
    given = [_tokens_match(mrz_given, _mrz_tokens(given_names, v), truncated) for v in (0, 1)]
    if any(s and g for s, g in zip(surname, given)):
        return [_result(IdentityCheck.MRZ_NAME_MATCH, True, "")]
    fields = [f for f, ok in (("applicant.family_name", any(surname)), ("applicant.given_names", any(given)))
              if not ok] or ["applicant.family_name", "applicant.given_names"]
    return [_result(IdentityCheck.MRZ_NAME_MATCH, False, "MRZ name does not match the application", field=field)
            for field in fields]


def _mrz_tokens(name: str, variant: int) -> list[str]:
    """A name as MRZ tokens: transliterated, uppercased, apostrophes dropped, split on the rest."""
    text = "".join(_TRANSLITERATION_VARIANTS.get(ch.upper(), (ch, ch))[variant] for ch in name)
    ascii_text = _APOSTROPHES.sub("", anyascii(text).upper())
    return [token for token in _NAME_SEPARATORS.split(ascii_text) if token]


def _tokens_match(mrz_tokens: list[str], tokens: list[str], truncated: bool) -> bool:
    if not truncated:
        return mrz_tokens == tokens
    return len(mrz_tokens) <= len(tokens) and all(t.startswith(m) for m, t in zip(mrz_tokens, tokens))


def _images_check(document: IdentityDocument, images: Mapping[str, UploadedImage]) -> list[CheckResult]:
    """Every image the channel announced reached the verifier, one failure per missing side. (What
    each image is checked for belongs to the image checks; a vendor adapter would compare the
    selfie with the document.)"""
    missing = [side.value for side in document.images if side.value not in images]
    if not missing:
        return [CheckResult(code=IdentityCheck.DOCUMENT_IMAGES, passed=True,
                            detail=f"{len(document.images)} image(s) received")]
    return [CheckResult(code=IdentityCheck.DOCUMENT_IMAGES, passed=False, field=f"document.images.{side}",
                        detail=f"image not received: {side}") for side in missing]


def _issue_date_check(document: IdentityDocument, today: date) -> CheckResult | None:
    """A document issued in the future, or after it expires, is a typing error (or worse)."""
    if document.issue_date is None:
        return None
    plausible = document.issue_date <= today and document.issue_date < document.expiry_date
    return _result(IdentityCheck.DOCUMENT_ISSUE_DATE, plausible,
                   "issue date is in the future or not before the expiry date", field="document.issue_date")


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
