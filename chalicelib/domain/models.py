"""Domain models shared by the pure core: the application a channel submits and the
results each compliance check reports.

These models carry personal data (names, birth dates, document numbers). They live in
S3/DynamoDB only; Step Functions input/output and logs carry identifiers and codes.
"""
from __future__ import annotations

from datetime import date
from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field


class Frozen(BaseModel):
    model_config = ConfigDict(defer_build=True, frozen=True, extra="forbid")


class Address(Frozen):
    line1: str
    city: str
    postal_code: str
    country: str  # ISO 3166-1 alpha-3 once validated


class Applicant(Frozen):
    given_names: str
    family_name: str
    birth_date: date
    nationality: str  # ISO 3166-1 alpha-3 once validated
    email: str
    phone: str
    address: Address


class DocumentType(StrEnum):
    PASSPORT = "passport"
    ID_CARD = "id_card"
    RESIDENCE_PERMIT = "residence_permit"


class ImageSide(StrEnum):
    """The images of an identity document a channel may upload."""

    FRONT = "front"
    BACK = "back"
    SELFIE = "selfie"


class DocumentKind(StrEnum):
    """What a channel (or compliance) may upload into a checkpoint: an image of a sign-up's identity
    document, or a document a succession closure needs."""

    FRONT = "front"
    BACK = "back"
    SELFIE = "selfie"
    DEATH_CERTIFICATE = "death_certificate"
    REPRESENTATIVE_AUTHORITY = "representative_authority"  # grant of probate, letters of administration, ...


class IdentityDocument(Frozen):
    type: DocumentType
    number: str
    issuing_country: str  # ISO 3166-1 alpha-3 once validated
    expiry_date: date
    issue_date: date | None = None
    mrz: tuple[str, ...] | None = None
    images: tuple[ImageSide, ...] = ()  # the images the channel will upload for this document


class Channel(Frozen):
    name: str
    reference: str
    # Keyed hashes (chalicelib/stores/hash_key.py) of what the channel saw of the applicant's device:
    # the device id and the network prefix of the IP address; the clear values are never stored.
    device: str | None = None
    ip_prefix: str | None = None


class Product(StrEnum):
    """What the customer signs up for (a factor of the customer risk rating)."""

    CURRENT_ACCOUNT = "current_account"
    SAVINGS_ACCOUNT = "savings_account"
    BASIC_ACCOUNT = "basic_account"
    PREMIUM_ACCOUNT = "premium_account"


class Application(Frozen):
    """What a channel submits for a sign-up (validated at the API edge)."""

    applicant: Applicant
    document: IdentityDocument
    channel: Channel
    product: Product = Product.CURRENT_ACCOUNT


class Verdict(StrEnum):
    """A check task's verdict under the decision policy. The workflow's Choice reads it."""

    PASS = "pass"
    REVIEW = "review"
    ACTION = "action"  # the customer can correct what failed (ACTION_REQUIRED): before any review
    REJECT = "reject"


class CheckResult(Frozen):
    """One check: a stable code, whether it passed, and a detail free of personal data."""

    code: str
    passed: bool
    detail: str = ""
    field: str | None = None  # the application field (or document image) the check is about, if one


class VerificationResult(Frozen):
    provider: str
    checks: tuple[CheckResult, ...] = Field(default_factory=tuple)

    @property
    def failed_codes(self) -> tuple[str, ...]:
        return tuple(c.code for c in self.checks if not c.passed)
