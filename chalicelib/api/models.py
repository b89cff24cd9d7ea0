"""Request models of the public API: strict validation at the edge, then plain domain models."""
from __future__ import annotations

import re
from datetime import date
from typing import Annotated, Literal

from iso3166 import countries
from pydantic import AfterValidator, BaseModel, ConfigDict, Field, StringConstraints

from chalicelib.domain.models import (
    Address,
    Applicant,
    Application,
    Channel,
    DocumentType,
    IdentityDocument,
)

_EMAIL = re.compile(r"^[^@\s]{1,64}@[^@\s]+\.[^@\s]{2,}$")
_PHONE_SEPARATORS = re.compile(r"[\s().-]")
_E164 = re.compile(r"^\+[1-9]\d{6,14}$")
_DOCUMENT_NUMBER = re.compile(r"^[A-Z0-9]{1,30}$")


def _country(code: str) -> str:
    code = code.strip().upper()
    if len(code) in (2, 3) and code.isalpha():
        try:
            return countries.get(code).alpha3
        except KeyError:
            pass
    raise ValueError("must be an ISO 3166-1 alpha-2 or alpha-3 country code")


def _name(value: str) -> str:
    if not any(ch.isalpha() for ch in value):
        raise ValueError("must contain at least one letter")
    if any(ord(ch) < 32 for ch in value):
        raise ValueError("must not contain control characters")
    return " ".join(value.split())


def _email(value: str) -> str:
    if not _EMAIL.match(value):
        raise ValueError("must be an email address")
    return value


def _phone(value: str) -> str:
    compact = _PHONE_SEPARATORS.sub("", value)
    if not _E164.match(compact):
        raise ValueError("must be an international number in E.164 form, e.g. +4915112345678")
    return compact


def _document_number(value: str) -> str:
    compact = value.replace(" ", "").replace("-", "").upper()
    if not _DOCUMENT_NUMBER.match(compact):
        raise ValueError("must be 1 to 30 letters and digits")
    return compact


def _past_birth_date(value: date) -> date:
    if value > date.today():
        raise ValueError("must not be in the future")
    if value.year < 1900:
        raise ValueError("must be after 1900-01-01")
    return value


Text = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
PersonName = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100), AfterValidator(_name)]
Country = Annotated[str, AfterValidator(_country)]
MrzLine = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=44)]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class AddressIn(Strict):
    line1: Text
    city: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100)]
    postal_code: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=20)]
    country: Country


class ApplicantIn(Strict):
    given_names: PersonName
    family_name: PersonName
    birth_date: Annotated[date, AfterValidator(_past_birth_date)]
    nationality: Country
    email: Annotated[str, StringConstraints(strip_whitespace=True, max_length=254), AfterValidator(_email)]
    phone: Annotated[str, StringConstraints(max_length=32), AfterValidator(_phone)]
    address: AddressIn


class DocumentIn(Strict):
    type: DocumentType
    number: Annotated[str, StringConstraints(max_length=40), AfterValidator(_document_number)]
    issuing_country: Country
    expiry_date: date
    mrz: Annotated[list[MrzLine], Field(min_length=2, max_length=3)] | None = None


class ChannelIn(Strict):
    name: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=64,
                                           pattern=r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")]
    reference: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=128)]


class OnboardingRequest(Strict):
    applicant: ApplicantIn
    document: DocumentIn
    channel: ChannelIn

    def to_application(self) -> Application:
        a, d = self.applicant, self.document
        return Application(
            applicant=Applicant(given_names=a.given_names, family_name=a.family_name, birth_date=a.birth_date,
                                nationality=a.nationality, email=a.email, phone=a.phone,
                                address=Address(**a.address.model_dump())),
            document=IdentityDocument(type=d.type, number=d.number, issuing_country=d.issuing_country,
                                      expiry_date=d.expiry_date, mrz=tuple(d.mrz) if d.mrz else None),
            channel=Channel(**self.channel.model_dump()),
        )


class DocumentUploadRequest(Strict):
    side: Literal["front", "back", "selfie"]
    content_type: Literal["image/jpeg", "image/png", "application/pdf"]
    size: Annotated[int, Field(gt=0)]
