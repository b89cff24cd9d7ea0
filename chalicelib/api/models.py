"""Request models of the public API: bodies, query strings and path parameters, each validated
strictly at the edge into a model, then turned into plain domain models. Every enum, limit and
id pattern of a request is written here (or in the domain type it names) once: the operation
declarations in app.py point at these models, and the OpenAPI document is generated from them."""
from __future__ import annotations

import csv
import io
import ipaddress
import re
import unicodedata
from datetime import UTC, date, datetime
from decimal import Decimal
from enum import StrEnum
from typing import Annotated, Any, ClassVar, Literal

from iso3166 import countries
from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    PlainSerializer,
    PlainValidator,
    StrictBool,
    StrictFloat,
    StrictInt,
    StringConstraints,
    ValidationError,
    WithJsonSchema,
    model_validator,
)
from pydantic_core import InitErrorDetails, PydanticCustomError

from chalicelib.domain.actors import AccessPurpose, StatedPurpose
from chalicelib.domain.audit_log import LogName
from chalicelib.domain.checkpoint import CheckpointKind, ReviewOutcome
from chalicelib.domain.export_record import Format, Section
from chalicelib.domain.ids import CheckpointId, ClearanceId, CustomerId, DeliveryId, ExportId, LegalHoldId, WebhookId
from chalicelib.domain.screening.clearance import ClearanceStatus
from chalicelib.domain.screening.entities import EntityType, PartialDate
from chalicelib.domain.webhooks import EventType
from chalicelib.domain.closure import (
    Account,
    AccountType,
    ClosureRequest,
    Counterparty,
    Direction,
    ExportRequest,
    LinkedService,
    LinkedServiceType,
    PaymentJurisdiction,
    PaymentMethod,
    Representative,
    RequestedBy,
    SoftExit,
    Succession,
    Transaction,
)
from chalicelib.domain.exit_analytics import GroupBy
from chalicelib.domain.models import (
    Address,
    Applicant,
    Application,
    Channel,
    DocumentKind,
    DocumentType,
    IdentityDocument,
    ImageSide,
    Product,
)
from chalicelib.policies import closure_policy

_EMAIL = re.compile(r"^[^@\s]{1,64}@[^@\s]+\.[^@\s]{2,}$")
_PHONE_SEPARATORS = re.compile(r"[\s().-]")
_E164 = re.compile(r"^\+[1-9][0-9]{6,14}$")
# What the API accepts, as a JSON Schema pattern: E.164 once the separators are left out.
_PHONE_PATTERN = r"^[\s().-]*\+[\s().-]*[1-9](?:[\s().-]*[0-9]){6,14}[\s().-]*$"
_DOCUMENT_NUMBER = re.compile(r"^[A-Z0-9]{1,30}$")


def _country(code: str) -> str:
    code = code.strip().upper()
    if len(code) in (2, 3) and code.isalpha():
        try:
            return countries.get(code).alpha3
        except KeyError:
            pass
    raise ValueError("must be an ISO 3166-1 alpha-2 or alpha-3 country code")


# Bidirectional embedding, override and isolate controls: they can make a reviewer read another
# text than the one stored and screened (U+202E shows "Mallory" as "yrollaM"). Other format
# characters stay as written: ZWNJ/ZWJ belong to Persian and Indic names, a soft hyphen is harmless
# (the screening normaliser ignores them all).
_BIDI_CONTROLS = re.compile("[\u202a-\u202e\u2066-\u2069]")
_CONTROL_CHARACTERS = re.compile("[\x00-\x1f\x7f-\x9f]")


def _plain_text(value: str) -> str:
    """Free text as stored: NFC, no control characters, no bidirectional controls."""
    if _CONTROL_CHARACTERS.search(value):
        raise ValueError("must not contain control characters")
    if _BIDI_CONTROLS.search(value):
        raise ValueError("must not contain bidirectional control characters (U+202A-U+202E, U+2066-U+2069)")
    return unicodedata.normalize("NFC", value)


def _name(value: str) -> str:
    value = _plain_text(value)
    if not any(ch.isalpha() for ch in value):
        raise ValueError("must contain at least one letter")
    return " ".join(value.split())


def _iso_date(value: object) -> object:
    """A date is YYYY-MM-DD: not a timestamp ("1984-08-12T00:00:00"), not a number of seconds."""
    if isinstance(value, str) and not re.fullmatch(r"\d{4}-\d{2}-\d{2}", value):
        raise PydanticCustomError("date_format", "must be a date (YYYY-MM-DD)")
    if not isinstance(value, (str, date)):
        raise PydanticCustomError("date_format", "must be a date (YYYY-MM-DD)")
    return value


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


def _timestamp_text(value: object) -> object:
    """A timestamp is ISO-8601 text, not a number of seconds (pydantic would read 0 as 1970-01-01)."""
    if not isinstance(value, str):
        raise PydanticCustomError("datetime_type", "must be a UTC ISO-8601 timestamp")
    return value


IsoDateTime = Annotated[datetime, BeforeValidator(_timestamp_text)]


def _not_in_future(value: date) -> date:
    if value > date.today():
        raise ValueError("must not be in the future")
    return value


def _past_birth_date(value: date) -> date:
    _not_in_future(value)
    if value.year < 1900:
        raise ValueError("must be after 1900-01-01")
    return value


def _partial_birth_date(value: object) -> PartialDate:
    try:
        parsed = PartialDate.parse(value) if isinstance(value, str) else None
    except ValueError:
        parsed = None
    if parsed is None:
        raise PydanticCustomError("partial_date", "must be a date known to the year, month or day: YYYY, YYYY-MM "
                                                  "or YYYY-MM-DD")
    if parsed.earliest > date.today():
        raise PydanticCustomError("partial_date", "must not be in the future")
    if parsed.year < 1900:
        raise PydanticCustomError("partial_date", "must be after 1900")
    return parsed


BirthDateOfScreening = Annotated[
    PartialDate, PlainValidator(_partial_birth_date), PlainSerializer(str, return_type=str),
    WithJsonSchema({"type": "string", "pattern": "^[0-9]{4}(-[0-9]{2}(-[0-9]{2})?)?$",
                    "description": "A birth date known to the year, the month or the day; compared at the "
                                   "precision both it and the listed date give",
                    "examples": ["1965", "1965-04", "1965-04-12"]})]


def _text(max_length: int) -> Any:
    return Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=max_length),
                     AfterValidator(_plain_text)]


Text = _text(200)
PersonName = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100), AfterValidator(_name)]
IsoDate = Annotated[date, BeforeValidator(_iso_date)]
Country = Annotated[str, AfterValidator(_country),
                    WithJsonSchema({"type": "string", "pattern": "^[A-Za-z]{2,3}$",
                                    "description": "ISO 3166-1 alpha-2 or alpha-3", "examples": ["SE", "SWE"]})]
MrzLine = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=44)]


class Strict(BaseModel):
    """A request body's model. Numbers and booleans are taken only as JSON numbers and booleans
    (StrictInt, StrictFloat, StrictBool), never converted from false, "1" or "yes"."""

    model_config = ConfigDict(defer_build=True, extra="forbid", str_strip_whitespace=True)


Email = Annotated[str, StringConstraints(strip_whitespace=True, max_length=254), AfterValidator(_email),
                  WithJsonSchema({"type": "string", "format": "email", "maxLength": 254})]
Phone = Annotated[str, StringConstraints(max_length=32), AfterValidator(_phone),
                  WithJsonSchema({"type": "string", "maxLength": 32, "pattern": _PHONE_PATTERN,
                                  "description": "E.164; spaces, dots, dashes and brackets are ignored",
                                  "examples": ["+46701234567"]})]
BirthDate = Annotated[IsoDate, AfterValidator(_past_birth_date)]
City, PostalCode = _text(100), _text(20)
DocumentNumber = Annotated[str, StringConstraints(max_length=40), AfterValidator(_document_number)]
MrzLines = Annotated[list[MrzLine], Field(min_length=2, max_length=3)]


IssueDate = Annotated[IsoDate, AfterValidator(_not_in_future),
                      Field(description="When the document was issued (a factor of the risk rating)")]


class AddressIn(Strict):
    line1: Text
    city: City
    postal_code: PostalCode
    country: Country


class ApplicantIn(Strict):
    given_names: PersonName
    family_name: PersonName
    birth_date: BirthDate
    nationality: Country
    email: Email
    phone: Phone
    address: AddressIn


def _distinct(values: list) -> list:
    if len(set(values)) != len(values):
        raise ValueError("must not name a side twice")
    return values


class DocumentIn(Strict):
    type: DocumentType
    number: DocumentNumber
    issuing_country: Country
    expiry_date: IsoDate
    issue_date: IssueDate | None = None
    mrz: MrzLines | None = None
    images: Annotated[list[ImageSide], Field(max_length=len(ImageSide),
                                             description="The images the channel will upload before the checks "
                                                         "run; the sign-up waits for them (AWAITING_DOCUMENTS)."),
                      AfterValidator(_distinct)] = Field(default_factory=list)


def _ip_address(value: str) -> str:
    try:
        return str(ipaddress.ip_address(value))
    except ValueError:
        raise ValueError("must be an IPv4 or IPv6 address") from None


class ChannelIn(Strict):
    name: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=64,
                                           pattern=r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")]
    reference: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=128)]
    device_id: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=128,
                                                pattern=r"^[\x21-\x7e]+$"),
                         Field(description="The channel's identifier of the applicant's device (app install id, "
                                           "device fingerprint). Stored only as a keyed hash; counted by the "
                                           "fraud checks' velocity rule.")] | None = None
    ip: Annotated[str, StringConstraints(strip_whitespace=True, max_length=45), AfterValidator(_ip_address),
                  WithJsonSchema({"type": "string", "maxLength": 45, "description":
                                  "The applicant's IP address as the channel saw it. Only its network prefix (/24, "
                                  "/48) is kept, as a keyed hash; counted by the velocity rule.",
                                  "examples": ["203.0.113.7"]})] | None = None


class OnboardingRequest(Strict):
    applicant: ApplicantIn
    document: DocumentIn
    channel: ChannelIn
    product: Annotated[Product, Field(description="What the customer signs up for (a factor of the risk "
                                                  "rating)")] = Product.CURRENT_ACCOUNT

    def to_application(self, device: str | None = None, ip_prefix: str | None = None) -> Application:
        """The application as stored: the channel's device id and IP address only as the keyed
        hashes given (never in clear)."""
        a, d = self.applicant, self.document
        return Application(
            applicant=Applicant(given_names=a.given_names, family_name=a.family_name, birth_date=a.birth_date,
                                nationality=a.nationality, email=a.email, phone=a.phone,
                                address=Address(**a.address.model_dump())),
            document=IdentityDocument(type=d.type, number=d.number, issuing_country=d.issuing_country,
                                      expiry_date=d.expiry_date, issue_date=d.issue_date,
                                      mrz=tuple(d.mrz) if d.mrz else None, images=tuple(d.images)),
            channel=Channel(name=self.channel.name, reference=self.channel.reference, device=device,
                            ip_prefix=ip_prefix),
            product=self.product,
        )


# ---- correcting a sign-up (PATCH /v1/checkpoints/{id}) ----
# A JSON merge patch (RFC 7396) of the application: only the members sent change. Each field is
# validated as in OnboardingRequest; a required field cannot be removed (null is refused), an
# optional one (issue_date, mrz) is removed by null. The channel and the announced images are not
# part of what a customer corrects (a side is uploaded again through the documents operations).

class Patch(Strict):
    """A merge patch's object: every member optional, none nullable unless it may be removed (its
    JSON Schema has no `default: null` for a member that only has to be absent)."""

    @classmethod
    def __get_pydantic_json_schema__(cls, core_schema: Any, handler: Any) -> dict[str, Any]:
        schema = handler(core_schema)
        for prop in handler.resolve_ref_schema(schema).get("properties", {}).values():
            if prop.get("default", 0) is None and not any(s == {"type": "null"} for s in prop.get("anyOf", [])):
                del prop["default"]
        return schema


class AddressPatch(Patch):
    line1: Text = None
    city: City = None
    postal_code: PostalCode = None
    country: Country = None


class ApplicantPatch(Patch):
    given_names: PersonName = None
    family_name: PersonName = None
    birth_date: BirthDate = None
    nationality: Country = None
    email: Email = None
    phone: Phone = None
    address: AddressPatch = None


class DocumentPatch(Patch):
    type: DocumentType = None
    number: DocumentNumber = None
    issuing_country: Country = None
    expiry_date: IsoDate = None
    issue_date: IssueDate | None = None
    mrz: MrzLines | None = None


class ApplicationPatch(Patch):
    """The corrected fields of a sign-up's application (`application/merge-patch+json`)."""

    applicant: ApplicantPatch = None
    document: DocumentPatch = None

    @model_validator(mode="after")
    def _something(self) -> ApplicationPatch:
        if not self.members():
            raise PydanticCustomError("empty_patch", "must correct at least one field of the application")
        return self

    def members(self) -> dict[str, Any]:
        """The members sent, nested, as domain values (None: remove)."""
        return self.model_dump(mode="python", exclude_unset=True)


MAX_UPLOAD_BYTES = 10 * 1024 * 1024


class DocumentMediaType(StrEnum):
    JPEG = "image/jpeg"
    PNG = "image/png"
    PDF = "application/pdf"


class DocumentUploadRequest(Strict):
    side: Annotated[DocumentKind, Field(description="An image of the sign-up's identity document (front, back, "
                                                    "selfie) or a succession document of a closure "
                                                    "(death_certificate, representative_authority)")]
    content_type: DocumentMediaType
    size: Annotated[StrictInt, Field(gt=0, le=MAX_UPLOAD_BYTES)]


# ---- closure (offboarding) ----

Currency = Annotated[str, StringConstraints(pattern=r"^[A-Z]{3}$")]
MAX_INLINE_TRANSACTIONS = 5000


def _decimal_string(value: str) -> Decimal:
    if not isinstance(value, str) or not re.fullmatch(r"-?\d{1,15}(\.\d{1,4})?", value):
        raise ValueError("must be a decimal string such as \"1250.00\"")
    return Decimal(value)


def _positive(value: Decimal) -> Decimal:
    if value <= 0:
        raise ValueError("must be greater than zero")
    return value


def _utc_timestamp(value: datetime) -> datetime:
    if value.tzinfo is None:
        raise ValueError("must include a time zone (UTC ISO-8601, e.g. 2026-11-20T14:03:00Z)")
    return value.astimezone(UTC)


def _iban(value: str) -> str:
    from stdnum import iban  # loaded when a request names an IBAN, not on the API handler's cold start

    compact = iban.compact(value)
    if not iban.is_valid(compact):
        raise ValueError("must be a valid IBAN")
    return compact


DecimalString = Annotated[Decimal, BeforeValidator(_decimal_string),
                          WithJsonSchema({"type": "string", "pattern": r"^-?\d{1,15}(\.\d{1,4})?$",
                                          "description": "A decimal amount as a string", "examples": ["1250.00"]})]


class CounterpartyIn(Strict):
    name: _text(140)
    iban: Annotated[str, AfterValidator(_iban)] | None = None


class TransactionIn(Strict):
    transaction_id: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=64)]
    booked_at: Annotated[IsoDateTime, AfterValidator(_utc_timestamp)]
    amount: Annotated[DecimalString, AfterValidator(_positive)]
    currency: Currency
    direction: Direction
    counterparty: CounterpartyIn
    method: Annotated[PaymentMethod | None, Field(description="How it was paid, when the core banking system "
                                                              "knows (card, direct_debit, standing_order, transfer)")] = None


Identifier = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=64)]


class AccountIn(Strict):
    account_id: Identifier
    type: AccountType = AccountType.CURRENT
    balance: DecimalString
    accrued_interest: Annotated[DecimalString, Field(description="Interest up to closure not yet booked "
                                                                 "(negative: debit interest)")] = Decimal("0")
    fees_due: Annotated[DecimalString, Field(description="Fees due at closure, as a positive amount")] = Decimal("0")
    currency: Currency
    holders: Annotated[list[CustomerId], Field(min_length=1, max_length=10)]
    opened_on: Annotated[IsoDate | None, Field(description="The contract's date; required when requested_by is bank "
                                                        "(the UK notice rule changed on 2026-04-28)")] = None
    jurisdiction: Annotated[PaymentJurisdiction | None, Field(
        description="Whose payment-account rules govern the contract; default UK for a customer living in the "
                    "UK, else EU")] = None
    cards: Annotated[list[Identifier], Field(max_length=10, description="Card ids issued on the account (never "
                                                                         "card numbers)")] = Field(default_factory=list)


class LinkedServiceIn(Strict):
    type: LinkedServiceType
    counterparty: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=140)]
    reference: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=64)]


class ExportIn(Strict):
    requested: StrictBool = False
    formats: list[Format] = Field(default_factory=lambda: [Format.JSON], min_length=1)


def _reason_code(value: str) -> str:
    """A dotted code of policies/closure.yaml, or an alias of one: stored as the code it names."""
    code = closure_policy().canonical_reason(value)
    if code is None:
        raise ValueError("must be a reason code of policies/closure.yaml (e.g. external.relocation, competitor.price)")
    return code


def _past_date(value: date) -> date:
    if value > date.today():
        raise ValueError("must not be in the future")
    return value


class RepresentativeCapacity(StrEnum):
    EXECUTOR = "executor"
    ADMINISTRATOR = "administrator"
    HEIR = "heir"
    OTHER = "other"


class RepresentativeIn(Strict):
    name: PersonName
    capacity: RepresentativeCapacity


class SuccessionIn(Strict):
    date_of_death: Annotated[IsoDate, AfterValidator(_past_date)]
    representative: RepresentativeIn


ReasonCode = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=64),
                       AfterValidator(_reason_code),
                       WithJsonSchema({"type": "string", "pattern": r"^[a-z][a-z_.]*$",
                                       "description": "A dotted reason code of policies/closure.yaml (earlier flat "
                                                      "codes such as relocation are aliases)",
                                       "examples": ["competitor.price", "external.relocation"]})]


def _problem(loc: tuple[str | int, ...], message: str) -> InitErrorDetails:
    return InitErrorDetails(type=PydanticCustomError("closure", message), loc=loc, input=None)


class OffboardingRequest(Strict):
    customer_id: CustomerId
    reason: ReasonCode
    reason_detail: Annotated[str, StringConstraints(strip_whitespace=True, max_length=500),
                             Field(description="Free-text feedback (deleted with the closure record)")] | None = None
    requested_by: Annotated[RequestedBy, Field(description="customer (a channel's token) or bank (a compliance "
                                                           "token: de-banking, succession)")]
    accounts: Annotated[list[AccountIn], Field(min_length=1, max_length=50)]
    holder_consents: Annotated[list[CustomerId], Field(max_length=20)] = Field(default_factory=list)
    recent_transactions: Annotated[list[TransactionIn], Field(max_length=MAX_INLINE_TRANSACTIONS)] | None = None
    transactions_s3_key: Annotated[str, StringConstraints(pattern=r"^inbox/[A-Za-z0-9!_.*'()/-]{1,900}$")] | None = None
    linked_services: Annotated[list[LinkedServiceIn], Field(max_length=100)] = Field(default_factory=list)
    export: ExportIn = Field(default_factory=ExportIn)
    payout_iban: Annotated[str, AfterValidator(_iban), Field(description="Where a positive final settlement is "
                                                                         "paid (masked in every answer)")] | None = None
    soft_exit: Annotated[SoftExit, Field(description="none, basic_account (keep a basic account: DOWNGRADED) or "
                                                     "statements_access (past statements after closure)")] = SoftExit.NONE
    immediate_ground: Annotated[str, StringConstraints(pattern=r"^[a-z][a-z_]{1,40}$"), Field(
        description="Bank-initiated: the ground for closing without notice (one the notice rule lists)")] | None = None
    suspicion_reported: Annotated[bool, Field(description="Bank-initiated: a suspicion report exists; the reason is "
                                                          "then withheld from the customer (tipping-off)")] = False
    succession: Annotated[SuccessionIn | None, Field(description="Required with reason bank.succession")] = None

    @model_validator(mode="after")
    def _consistent(self) -> OffboardingRequest:
        if self.recent_transactions is not None and self.transactions_s3_key is not None:
            raise PydanticCustomError("one_source", "give recent_transactions or transactions_s3_key, not both")
        if self.customer_id not in {h for a in self.accounts for h in a.holders}:
            raise PydanticCustomError("not_holder", "the customer must hold at least one of the accounts")
        spec = closure_policy().reason(self.reason)
        problems = []
        if spec.initiated_by is not self.requested_by:
            problems.append(_problem(("requested_by",), f"must be {spec.initiated_by.value} for reason {self.reason}"))
        bank = self.requested_by is RequestedBy.BANK
        if bank and not spec.succession:
            problems += [_problem(("accounts", i, "opened_on"), "is required for a bank-initiated closure (the notice "
                                  "rule depends on the contract's date)")
                         for i, a in enumerate(self.accounts) if a.opened_on is None]
        if not bank:
            for name in ("immediate_ground", "suspicion_reported"):
                if name in self.model_fields_set:
                    problems.append(_problem((name,), "is only for a bank-initiated closure"))
        elif self.soft_exit is not SoftExit.NONE:
            problems.append(_problem(("soft_exit",), "is the customer's choice: only for requested_by customer"))
        if spec.succession and self.succession is None:
            problems.append(_problem(("succession",), "is required with reason bank.succession"))
        if self.succession is not None and not spec.succession:
            problems.append(_problem(("succession",), "is only for reason bank.succession"))
        if spec.succession and (self.immediate_ground or self.soft_exit is not SoftExit.NONE):
            problems.append(_problem(("reason",), "a succession has no notice and no soft exit"))
        if problems:
            raise ValidationError.from_exception_data(type(self).__name__, problems)
        return self

    def to_closure(self, requested_at: datetime, transactions_key: str) -> ClosureRequest:
        return ClosureRequest(
            customer_id=self.customer_id, reason=self.reason, reason_detail=self.reason_detail,
            requested_by=self.requested_by, requested_at=requested_at,
            accounts=tuple(Account(**a.model_dump(exclude={"holders", "cards"}), holders=tuple(a.holders),
                                   cards=tuple(a.cards)) for a in self.accounts),
            holder_consents=tuple(self.holder_consents),
            linked_services=tuple(LinkedService(**s.model_dump()) for s in self.linked_services),
            export=ExportRequest(requested=self.export.requested, formats=tuple(self.export.formats)),
            transactions_key=transactions_key, payout_iban=self.payout_iban, soft_exit=self.soft_exit,
            immediate_ground=self.immediate_ground, suspicion_reported=self.suspicion_reported,
            succession=Succession(date_of_death=self.succession.date_of_death,
                                  representative=Representative(**self.succession.representative.model_dump()))
            if self.succession else None,
        )

    def transactions(self) -> list[Transaction]:
        return [Transaction(transaction_id=t.transaction_id, booked_at=t.booked_at, amount=t.amount,
                            currency=t.currency, direction=t.direction, method=t.method,
                            counterparty=Counterparty(name=t.counterparty.name, iban=t.counterparty.iban))
                for t in self.recent_transactions or ()]


class WinBackDecision(StrEnum):
    ACCEPT = "accept"
    DECLINE = "decline"


class WinBackAnswer(Strict):
    decision: Annotated[WinBackDecision, Field(description="The customer's answer to the offer")]


class ReviewDecisionRequest(Strict):
    outcome: ReviewOutcome
    reason: Annotated[str, StringConstraints(strip_whitespace=True, min_length=3, max_length=1000)]


def _note_text(value: str) -> str:
    """Free text that may run over several lines (a line break is the one control character kept)."""
    lines = value.replace("\r\n", "\n").split("\n")
    return "\n".join(_plain_text(line) for line in lines)


class NoteRequest(Strict):
    text: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=2000),
                    AfterValidator(_note_text), Field(description="Kept with the case as written, never edited "
                                                                  "(line breaks are kept)")]


# ---- lists and ad hoc screening ----

class ListRefreshRequest(Strict):
    source: Annotated[str, StringConstraints(pattern=r"^[a-z0-9-]{1,40}$")]
    upload_prefix: Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9._/-]{1,200}$")] | None = None
    snapshot: IsoDate | None = None
    asynchronous: StrictBool | None = Field(None, description="Refresh in the background (202, then GET "
                                                              "/v1/lists/refreshes/{refresh_id}); default: the "
                                                              "source's policy (a list too large for 29 s)")


MAX_WATCHLIST_ENTRIES = 50_000
# A watchlist comes in one request: below Lambda's 6 MB synchronous payload limit, which also counts
# the event around the body. 50,000 entries of about 100 bytes fit as CSV.
MAX_WATCHLIST_BODY_BYTES = 5_000_000
ListedName = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=300), AfterValidator(_name)]


class WatchlistEntry(Strict):
    entry_id: Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9][A-Za-z0-9._:-]{0,63}$"),
                        Field(description="The bank's own id of the entry, unique in the list")]
    name: ListedName
    aliases: list[ListedName] = Field(default_factory=list, max_length=20,
                                      description="Other names of the person (in CSV: one cell, separated by ';')")
    birth_date: BirthDateOfScreening | None = None
    nationality: Country | None = None
    reason: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=500),
                      AfterValidator(_plain_text), Field(description="Why the bank lists the person: what a reviewer "
                                                                        "reads with a hit")] | None = None


class WatchlistVersionRequest(Strict):
    """The whole internal watchlist: each call publishes a new version of it."""

    CSV_DESCRIPTION: ClassVar[str] = (
        "UTF-8 CSV (RFC 4180): a header line naming the columns, entry_id and name and any of aliases, "
        "birth_date, nationality, reason, then one line per entry; aliases in one cell, separated by ';'. "
        "An error names the entry as entries.<i>: the i-th line after the header, from 0.")

    entries: list[WatchlistEntry] = Field(max_length=MAX_WATCHLIST_ENTRIES)

    @classmethod
    def csv_of(cls, body: dict[str, Any]) -> str:
        """A JSON-shaped body written as the CSV body that reads as it (the document's example)."""
        out = io.StringIO()
        writer = csv.writer(out, lineterminator="\r\n")
        columns = list(WatchlistEntry.model_fields)
        writer.writerow(columns)
        for entry in body["entries"]:
            writer.writerow([";".join(entry.get(c) or ()) if c == "aliases" else entry.get(c) or "" for c in columns])
        return out.getvalue()

    @classmethod
    def of_csv_rows(cls, rows: list[dict[str, str]]) -> dict[str, Any]:
        """The JSON-shaped body of a CSV one: columns named as the fields, aliases separated by ';'."""
        entries = []
        for row in rows:
            entry: dict[str, Any] = dict(row)
            if "aliases" in entry:
                entry["aliases"] = [a.strip() for a in entry["aliases"].split(";") if a.strip()]
            entries.append(entry)
        return {"entries": entries}


MatchLimit = Annotated[StrictInt, Field(ge=1, le=50, description="At most this many matches, best first.")]
Threshold = Annotated[StrictFloat, Field(ge=0.0, le=1.0, description="Matches scoring at least this (default: the "
                                                               "review band).")]
MAX_BATCH_QUERIES = 1000


class ScreeningQuery(Strict):
    name: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=300), AfterValidator(_name)]
    birth_date: BirthDateOfScreening | None = None
    nationality: Country | None = None
    type: EntityType | None = None


class ScreeningRequest(ScreeningQuery):
    limit: MatchLimit = 10
    threshold: Threshold | None = None


class BatchScreeningRequest(Strict):
    queries: Annotated[list[ScreeningQuery], Field(min_length=1, max_length=MAX_BATCH_QUERIES)]
    limit: MatchLimit = 10
    threshold: Threshold | None = None


class LegalHoldRequest(Strict):
    customer_id: CustomerId | None = None
    record_id: Annotated[str, StringConstraints(min_length=1, max_length=1024)] | None = None
    reason: Annotated[str, StringConstraints(strip_whitespace=True, min_length=3, max_length=1000)]
    case_reference: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100)]

    @model_validator(mode="after")
    def _one_selector(self) -> LegalHoldRequest:
        if (self.customer_id is None) == (self.record_id is None):
            raise PydanticCustomError("one_selector", "give either customer_id or record_id")
        return self


class ExportRequestBody(Strict):
    customer_id: CustomerId
    formats: Annotated[list[Format], Field(min_length=1, max_length=2)] = Field(
        default_factory=lambda: list(Format))
    include: Annotated[list[Section], Field(min_length=1, max_length=6)]


# ---- query strings ----

def _whole_number(value: object) -> object:
    """Query values are text: only plain ASCII digits make a whole number (not "1e3", "٣" or "²")."""
    if isinstance(value, str) and not (value.isascii() and value.isdigit() and len(value) <= 15):
        raise PydanticCustomError("whole_number", "must be a whole number")
    return value


def _iso_timestamp(value: object) -> datetime:
    """Only ISO-8601 text with a zone (never a number of seconds, which pydantic would accept)."""
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00")) if isinstance(value, str) else None
    except ValueError:
        parsed = None
    if parsed is None:
        raise PydanticCustomError("timestamp", "must be a UTC ISO-8601 timestamp")
    if parsed.tzinfo is None:
        raise PydanticCustomError("timestamp", "must include a time zone (e.g. Z)")
    return parsed.astimezone(UTC)


def whole_number(**constraints: Any) -> Any:
    """A whole-number query parameter with its bounds (Field constraints before the text check,
    so the JSON Schema says minimum/maximum)."""
    return Annotated[int, Field(**constraints), BeforeValidator(_whole_number)]


Timestamp = Annotated[datetime, PlainValidator(_iso_timestamp),
                      WithJsonSchema({"type": "string", "format": "date-time",
                                      "description": "UTC ISO-8601 with a zone, e.g. 2026-01-31T00:00:00Z"})]
Cursor = Annotated[str, StringConstraints(min_length=1, max_length=2048)]
MAX_WAIT_SECONDS = 20


class Query(BaseModel):
    model_config = ConfigDict(defer_build=True, extra="forbid")


class CheckpointQuery(Query):
    wait: whole_number(ge=0, le=MAX_WAIT_SECONDS,
                       description="Seconds to wait: while the checkpoint is RUNNING, or, with `seen`, until its "
                                   "updated_at is no longer the one given.") = 0
    seen: Annotated[Timestamp | None, Field(description="The updated_at the client last saw: answer as soon as the "
                                                        "checkpoint has changed since (at once if it already has).")] = None


class Assigned(StrEnum):
    """Whose cases: the caller's (claimed by them), or those nobody holds."""

    ME = "me"
    NONE = "none"


class ReviewQueueQuery(Query):
    status: Annotated[Literal["open"], Field(description="The queue lists checkpoints waiting for a decision.")] = "open"
    kind: Annotated[CheckpointKind | None, Field(description="Only checkpoints of this kind.")] = None
    level: Annotated[whole_number(ge=1, le=2) | None, Field(description="Only reviews at this level (2: escalated).")
                     ] = None
    assigned: Annotated[Assigned | None, Field(description="me: the cases the caller holds; none: those nobody holds "
                                                           "(claims that lapsed count as held by nobody).")] = None
    limit: whole_number(ge=1, le=100) = 50
    cursor: Annotated[Cursor | None, Field(description="The `next` of the previous page.")] = None


class AccessHeaders(Query):
    """Why a member of staff reads a person's data, and the request it answers: required (one that
    opens a former customer's data) once the customer's relationship has ended."""

    purpose: Annotated[AccessPurpose | None, Field(
        alias="X-Access-Purpose", description="The purpose of the read (policies/access.yaml); a current case read "
                                              "without one is case_review.")] = None
    reference: Annotated[Text | None, Field(
        alias="X-Access-Reference", description="The request, claim, sample or case the read answers, e.g. a "
                                                "regulator's reference.")] = None

    @model_validator(mode="after")
    def _paired(self) -> AccessHeaders:
        if (self.purpose is None) != (self.reference is None):
            missing = "X-Access-Reference" if self.reference is None else "X-Access-Purpose"
            raise ValidationError.from_exception_data(type(self).__name__, [
                _problem((missing,), "is required with the other access header")])
        return self

    def stated(self) -> StatedPurpose | None:
        return StatedPurpose(purpose=self.purpose, reference=self.reference) if self.purpose else None


class ExecutionStatus(StrEnum):
    """A Step Functions execution's status."""

    RUNNING = "RUNNING"
    SUCCEEDED = "SUCCEEDED"
    FAILED = "FAILED"
    TIMED_OUT = "TIMED_OUT"
    ABORTED = "ABORTED"


class ExecutionsQuery(Query):
    workflow: CheckpointKind = CheckpointKind.ONBOARDING
    status: ExecutionStatus | None = None
    since: Annotated[Timestamp | None, Field(description="Executions started at or after this instant.")] = None
    limit: whole_number(ge=1, le=100) = 50
    cursor: Annotated[Cursor | None, Field(description="The `next` of the previous page.")] = None


class LogFormat(StrEnum):
    """How an audit log page is written: JSON lines or CSV."""

    JSONL = "jsonl"
    CSV = "csv"


class AuditLogQuery(Query):
    since: Annotated[Timestamp | None, Field(alias="from", description="Entries at or after this instant.")] = None
    until: Annotated[Timestamp | None, Field(alias="to", description="Entries before this instant.")] = None
    format: LogFormat = LogFormat.JSONL
    cursor: whole_number(ge=0, le=10**12, description="The X-Next-Cursor header of the previous page.") = 0
    limit: whole_number(ge=1, le=10000) = 1000


class ExitsQuery(Query):
    since: Annotated[IsoDate | None, Field(alias="from", description="First day counted (UTC); default a year before "
                                                                     "to")] = None
    until: Annotated[IsoDate | None, Field(alias="to", description="Last day counted (UTC); default today")] = None
    by: GroupBy = GroupBy.REASON


class AuditVerifyQuery(Query):
    log: LogName


class ClearancesQuery(Query):
    status: Annotated[ClearanceStatus, Field(description="Active clearances apply to screenings; revoked ones no "
                                                         "longer do.")] = ClearanceStatus.ACTIVE
    customer_id: Annotated[CustomerId | None, Field(description="Only this customer's clearances.")] = None
    limit: whole_number(ge=1, le=100) = 50
    cursor: Annotated[Cursor | None, Field(description="The `next` of the previous page.")] = None


class RetentionReportQuery(Query):
    customer_id: CustomerId


# ---- path parameters (an id that cannot exist answers 404, like one that does not) ----

class CheckpointPath(Query):
    checkpoint_id: CheckpointId


class MonitoringRunsQuery(Query):
    limit: whole_number(ge=1, le=100) = 20
    cursor: Annotated[Cursor | None, Field(description="The `next` of the previous page.")] = None


class ListRefreshPath(Query):
    refresh_id: Annotated[str, StringConstraints(pattern=r"^lrf_[0-9a-f]{32}$"),
                          Field(description="A list refresh's id (lrf_ and 32 hex digits)")]


class MonitoringRunPath(Query):
    run_id: Annotated[str, StringConstraints(pattern=r"^mon_[0-9a-f]{32}$"),
                      Field(description="A monitoring run's id (mon_ and 32 hex digits)")]


class ExportPath(Query):
    export_id: ExportId


class LegalHoldPath(Query):
    hold_id: LegalHoldId


class ClearancePath(Query):
    clearance_id: ClearanceId


class AssetPath(Query):
    """A file of the console or of the reference page, by its name."""

    asset: Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9_.-]{1,64}$")]


# ---- webhooks ----

class WebhookRequest(Strict):
    url: Annotated[str, StringConstraints(min_length=8, max_length=2048),
                   Field(description="Where events are POSTed: https (locally also http://127.0.0.1...)")]
    events: Annotated[list[EventType], Field(min_length=1, max_length=len(EventType)), AfterValidator(_distinct)]


class WebhookPath(Query):
    webhook_id: WebhookId


class DeliveryPath(Query):
    webhook_id: WebhookId
    delivery_id: DeliveryId


class DeliveriesQuery(Query):
    limit: whole_number(ge=1, le=100) = 50
    cursor: Annotated[Cursor | None, Field(description="The `next` of the previous page.")] = None


# ---- the local stage ----

class LocalClockRequest(Strict):
    now: Annotated[Timestamp, Field(description="The instant the product and the embedded AWS take as now "
                                                "(forward only), e.g. 2032-01-01T00:00:00Z")]
