"""The data-portability package (GDPR Art. 20): a ZIP streamed chunk by chunk, whatever its size.

`build_package(spec, sections)` pulls each section's records lazily, writes them as
`<section>.json` (one JSON array, one record per line) and/or `<section>.csv` (flattened
columns, header row, UTF-8, CRLF), hashing and counting as it goes, then `README.txt` and
last `manifest.json` (name, media type, record count, byte size and SHA-256 of every other
file). Sizes and hashes are of the uncompressed file as the customer extracts it. Members are
Deflate-compressed Zip64 entries with data descriptors (sizes unknown up front); the central
directory at the end lets any reader find `manifest.json` wherever it sits.

Optional AES-256 encryption (WinZip AE-2, the format 7-Zip, WinZip and Keka open; the built-in
Windows and macOS tools do not) is applied by stream-zip while streaming, when a passphrase is
given. File names and sizes stay visible; contents (manifest and README included) do not.
The format fixes the key derivation at PBKDF2-HMAC-SHA1 with 1,000 iterations, so the
passphrase itself must be strong; the API should enforce that and never log or store it.

What goes in: data the customer provided and data observed about their accounts. Never
suspicious-activity reports, risk scores, screening match details or verification check
outcomes (derived by the bank; outside Art. 20, and disclosing some would be tipping off).
The mappers below are the only place records are shaped: give `build_package` their output.

Conventions: amounts are decimal strings (never floats) next to their currency; timestamps
are UTC ISO-8601 with a Z suffix and millisecond precision; dates are YYYY-MM-DD.

Transactions (`transaction_record`) follow UK Open Banking Read/Write API v4.0
OBTransaction6 field names (Transactions.md, GET /transactions):

| field (CSV column)               | from                                   | notes                              |
|----------------------------------|----------------------------------------|------------------------------------|
| AccountId                        | account_id argument                    | omitted when unknown               |
| TransactionId                    | Transaction.transaction_id             |                                    |
| BookingDateTime                  | Transaction.booked_at                  | UTC, Z suffix (OB allows +00:00)   |
| Status                           | constant "BOOK"                        | v4 ISO code; only booked entries   |
| CreditDebitIndicator             | Transaction.direction                  | credit -> Credit, debit -> Debit   |
| Amount.Amount, Amount.Currency   | Transaction.amount, .currency          | positive decimal string, ISO 4217  |
| CreditorAccount.SchemeName       | "UK.OBIE.IBAN" if counterparty IBAN    | Debit only: who was paid           |
| CreditorAccount.Identification   | Counterparty.iban                      | Debit only, when known             |
| CreditorAccount.Name             | Counterparty.name                      | Debit only                         |
| DebtorAccount.SchemeName         | "UK.OBIE.IBAN" if counterparty IBAN    | Credit only: who paid the customer |
| DebtorAccount.Identification     | Counterparty.iban                      | Credit only, when known            |
| DebtorAccount.Name               | Counterparty.name                      | Credit only                        |

Accounts (`account_record`) take OB names too: AccountId, Currency, and Balance
{Amount {Amount, Currency}, CreditDebitIndicator}: the balance's absolute value, Credit when
the customer is in credit or at zero, Debit when they owe the bank (OB: a zero balance is a
credit balance). Other holders of a joint account are not named (Art. 20(4)).

Profile, KYC and screening summary use the same PascalCase style but are this package's own
schema (no OB resource carries them): see `profile_record`, `kyc_record`,
`screening_summary_records`. Consents have no model yet: their records are written as given.
"""
from __future__ import annotations

import csv
import hashlib
import io
import json
import stat
import textwrap
import zlib
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from pydantic import AwareDatetime, Field, field_validator

from chalicelib.domain.checkpoint import iso
from chalicelib.domain.closure import Account, Direction, Transaction
from chalicelib.domain.customer import CustomerRecord
from chalicelib.domain.export_record import FORMATS, SECTIONS, Format, Recipient, Section
from chalicelib.domain.link_events import LinkEventsPolicy
from chalicelib.domain.models import Frozen
from chalicelib.domain.screening.result import ScreeningResult
from chalicelib.domain.spreadsheet import safe_cell

Record = dict[str, Any]
SectionSource = Callable[[], Iterable[Record]]

MANIFEST = "manifest.json"
README = "README.txt"
MEDIA_TYPES = {"json": "application/json", "csv": "text/csv; charset=utf-8", "txt": "text/plain; charset=utf-8"}
IBAN_SCHEME = "UK.OBIE.IBAN"

_CHUNK = 64 * 1024  # bytes gathered before handing a piece of a file to the ZIP writer
_FILE_MODE = stat.S_IFREG | 0o600
_COMPRESSION_LEVEL = 6  # zlib's default; on bench data level 9 took 3x the CPU for 10 % less output
_JSON = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"))

_ACCOUNT_COLUMNS = ("SchemeName", "Identification", "Name")
CSV_COLUMNS: dict[str, tuple[str, ...]] = {
    "transactions": (
        "AccountId", "TransactionId", "BookingDateTime", "Status", "CreditDebitIndicator",
        "Amount.Amount", "Amount.Currency",
        *(f"CreditorAccount.{c}" for c in _ACCOUNT_COLUMNS), *(f"DebtorAccount.{c}" for c in _ACCOUNT_COLUMNS),
    ),
    "accounts": ("AccountId", "Currency", "Balance.Amount.Amount", "Balance.Amount.Currency",
                 "Balance.CreditDebitIndicator"),
    "profile": ("CustomerId", "GivenNames", "FamilyName", "BirthDate", "Nationality", "EmailAddress", "Phone",
                "Address.AddressLine", "Address.TownName", "Address.PostCode", "Address.Country",
                "CustomerSince", "Status", "ClosedAt"),
    "kyc": ("DocumentType", "DocumentNumber", "IssuingCountry", "ExpiryDate", "MachineReadableZone",
            "VerificationProvider"),
    "screening_summary": ("List", "ListVersion", "CheckedAt"),
}
"""CSV header of each section; a section not listed (consents) takes its first record's keys.
A record with a column outside the header fails the export rather than lose data."""

_DESCRIPTIONS: dict[str, str] = {
    "profile": "Your personal details as we hold them: name, date of birth, nationality, email, "
               "phone, address, and since when you have been a customer.",
    "kyc": "The identity document you gave us to open your account (type, number, issuing "
           "country, expiry date) and the service that checked it.",
    "accounts": "Your accounts: account identifier, currency, and the balance we had on record "
                "when this package was made (Credit: the money is yours; Debit: you owe it to "
                "the bank).",
    "transactions": "The transactions on your accounts: when each was booked, the amount and "
                    "currency, whether money came in (Credit) or went out (Debit), and the other "
                    "party (DebtorAccount: who paid you; CreditorAccount: whom you paid). Field "
                    "names follow the UK Open Banking standard (v4.0), which makes them easier for "
                    "other banks and apps to use.",
    "consents": "The consents you gave us, what each covered and when you gave or withdrew it.",
    "screening_summary": "Which official sanctions and politically-exposed-person lists your name "
                         "was checked against, the version of each list, and when. (These checks "
                         "are a legal requirement for every customer.)",
}


class ExportSpec(Frozen):
    """What to export and for whom; formats and include are normalised to canonical order."""

    export_id: str = Field(min_length=1, max_length=128)
    customer_id: str = Field(min_length=1, max_length=128)
    created_at: AwareDatetime
    formats: tuple[Format, ...] = Field(min_length=1)
    include: tuple[Section, ...] = Field(min_length=1)
    generator_version: str = Field(min_length=1, max_length=64)
    recipient: Recipient = Recipient.CUSTOMER

    @field_validator("created_at")
    @classmethod
    def _utc(cls, value: datetime) -> datetime:
        return value.astimezone(UTC)

    @field_validator("formats")
    @classmethod
    def _canonical_formats(cls, value: tuple[Format, ...]) -> tuple[Format, ...]:
        return tuple(f for f in FORMATS if f in value)

    @field_validator("include")
    @classmethod
    def _canonical_include(cls, value: tuple[Section, ...]) -> tuple[Section, ...]:
        return tuple(s for s in SECTIONS if s in value)


# --- record mappers -------------------------------------------------------------------------

def decimal_string(value: Decimal) -> str:
    """Plain decimal notation, never an exponent: Decimal("1E+2") -> "100", "100.50" stays."""
    if not value.is_finite():
        raise ValueError(f"not a finite amount: {value}")
    return format(value, "f")


def money(value: Decimal, currency: str) -> Record:
    """An OB amount: {"Amount": "<decimal string>", "Currency": "<ISO 4217>"}, never signed
    (a CreditDebitIndicator next to it says which way)."""
    amount = decimal_string(value)
    if value < 0:
        raise ValueError(f"a signed amount: {value}")
    return {"Amount": amount, "Currency": currency}


def _timestamp(value: datetime | str) -> str:
    """UTC, Z suffix; a timestamp without a time zone is refused rather than guessed."""
    ts = value if isinstance(value, datetime) else datetime.fromisoformat(value)
    if ts.tzinfo is None:
        raise ValueError(f"a timestamp without a time zone: {value}")
    return iso(ts)


def transaction_record(tx: Transaction, account_id: str | None = None) -> Record:
    """An OB v4 OBTransaction6-like record (mapping in the module docstring)."""
    party: Record = {"Name": tx.counterparty.name}
    if tx.counterparty.iban:
        party = {"SchemeName": IBAN_SCHEME, "Identification": tx.counterparty.iban, **party}
    credit = tx.direction is Direction.CREDIT
    record: Record = {} if account_id is None else {"AccountId": account_id}
    record |= {
        "TransactionId": tx.transaction_id,
        "BookingDateTime": _timestamp(tx.booked_at),
        "Status": "BOOK",
        "CreditDebitIndicator": "Credit" if credit else "Debit",
        "Amount": money(tx.amount, tx.currency),
        "DebtorAccount" if credit else "CreditorAccount": party,
    }
    return record


def account_record(account: Account) -> Record:
    """AccountId, Currency and the balance as an OB amount with its Credit/Debit indicator."""
    return {
        "AccountId": account.account_id,
        "Currency": account.currency,
        "Balance": {"Amount": money(abs(account.balance), account.currency),
                    "CreditDebitIndicator": "Debit" if account.balance < 0 else "Credit"},
    }


def profile_record(customer: CustomerRecord) -> Record:
    """The personal details the customer gave at sign-up, and the relationship's dates."""
    p = customer.profile
    return {
        "CustomerId": customer.customer_id,
        "GivenNames": p.given_names,
        "FamilyName": p.family_name,
        "BirthDate": p.birth_date.isoformat(),
        "Nationality": p.nationality,
        "EmailAddress": p.email,
        "Phone": p.phone,
        "Address": {"AddressLine": p.address.line1, "TownName": p.address.city,
                    "PostCode": p.address.postal_code, "Country": p.address.country},
        "CustomerSince": _timestamp(customer.created_at),
        "Status": customer.status,
        "ClosedAt": _timestamp(customer.closed_at) if customer.closed_at else None,
    }


def kyc_record(customer: CustomerRecord) -> Record:
    """The identity document provided and who verified it; never the checks' outcomes."""
    d = customer.document
    return {
        "DocumentType": d.type.value,
        "DocumentNumber": d.number,
        "IssuingCountry": d.issuing_country,
        "ExpiryDate": d.expiry_date.isoformat(),
        "MachineReadableZone": list(d.mrz) if d.mrz else None,
        "VerificationProvider": customer.verification.provider,
    }


def screening_summary_records(result: ScreeningResult) -> Iterator[Record]:
    """One record per list checked (name, version, when); never subjects, matches or checks."""
    checked_at = _timestamp(result.screened_at)
    for name, version in sorted(result.list_versions.items()):
        yield {"List": name, "ListVersion": version, "CheckedAt": checked_at}


# --- the package ----------------------------------------------------------------------------

@dataclass
class _FileStats:
    name: str
    media_type: str
    counts_records: bool = True  # False for README.txt: prose, not records
    records: int = 0
    size: int = 0
    sha256: Any = field(default_factory=hashlib.sha256)

    def measured(self, chunks: Iterable[bytes]) -> Iterator[bytes]:
        for chunk in chunks:
            self.size += len(chunk)
            self.sha256.update(chunk)
            yield chunk

    def entry(self) -> Record:
        return {"name": self.name, "media_type": self.media_type,
                "records": self.records if self.counts_records else None,
                "bytes": self.size, "sha256": self.sha256.hexdigest()}


def _json_chunks(records: Iterable[Record], stats: _FileStats) -> Iterator[bytes]:
    """A JSON array, one record per line, in pieces of about _CHUNK bytes."""
    parts, size, separator = [b"["], 1, b"\n"
    for record in records:
        part = separator + _JSON.encode(record).encode()
        separator = b",\n"
        stats.records += 1
        parts.append(part)
        size += len(part)
        if size >= _CHUNK:
            yield b"".join(parts)
            parts, size = [], 0
    parts.append(b"\n]\n" if stats.records else b"]\n")
    yield b"".join(parts)


def _flatten(record: Record, prefix: str = "") -> Record:
    """Nested objects become dotted columns; lists a JSON cell; booleans true/false."""
    flat: Record = {}
    for key, value in record.items():
        name = f"{prefix}{key}"
        if type(value) is dict:
            flat |= _flatten(value, f"{name}.")
        elif isinstance(value, (list, tuple)):
            flat[name] = _JSON.encode(value)
        elif isinstance(value, bool):
            flat[name] = "true" if value else "false"
        else:
            flat[name] = value
    return flat


def _csv_chunks(records: Iterable[Record], columns: Sequence[str] | None, stats: _FileStats) -> Iterator[bytes]:
    """A header row then one row per record, in pieces of about _CHUNK bytes."""
    buffer = io.StringIO()
    writer: csv.DictWriter[str] | None = None
    for record in records:
        row = {column: safe_cell(value) for column, value in _flatten(record).items()}
        if writer is None:
            writer = csv.DictWriter(buffer, fieldnames=list(columns or row), extrasaction="raise")
            writer.writeheader()
        writer.writerow(row)
        stats.records += 1
        if buffer.tell() >= _CHUNK:
            yield buffer.getvalue().encode()
            buffer.seek(0)
            buffer.truncate()
    if writer is None and columns:
        csv.DictWriter(buffer, fieldnames=list(columns)).writeheader()
    yield buffer.getvalue().encode()


def readme_text(spec: ExportSpec) -> str:
    """The customer-facing explanation of each file in the package."""
    kinds = {"json": "a .json file (for programs)", "csv": "a .csv file (for spreadsheets)"}
    if spec.recipient is Recipient.REPRESENTATIVE:
        lines = [
            "THE RECORDS OF THE ESTATE",
            "",
            "This package holds the records the bank kept about a customer who has died",
            f"(customer {spec.customer_id}), made on {iso(spec.created_at)} (export {spec.export_id}),",
            "for the personal representative of the estate named in the authority the bank received.",
            "It is not a data-portability export under",
            "GDPR Art. 20: the GDPR does not apply to the personal data of deceased persons (Recital 27);",
            "it is disclosed under the law of succession. The descriptions below speak to the customer.",
            "",
        ]
    else:
        lines = [
            "YOUR DATA",
            "",
            f"This package holds the personal data we keep about you (customer {spec.customer_id}),",
            f"made on {iso(spec.created_at)} (export {spec.export_id}).",
            "",
        ]
    lines += [
        f"Each kind of data comes as {' and as '.join(kinds[f] for f in spec.formats)}.",
        "Text is UTF-8. Amounts are exact decimal numbers with their currency next to them",
        "(for example 100.50 and GBP). Dates and times are in UTC, written like",
        "2024-05-02T14:22:09.000Z (Z means UTC).",
    ]
    if "csv" in spec.formats:
        lines += ["In the .csv files, a dot in a column name shows a detail of a field: Amount.Currency",
                  "is the currency of the amount."]
    lines += ["", "THE FILES", ""]
    for section in spec.include:
        names = " and ".join(f"{section}.{fmt}" for fmt in spec.formats)
        lines += [names, textwrap.fill(_DESCRIPTIONS[section], width=92, initial_indent="    ",
                                       subsequent_indent="    "), ""]
    lines += [
        MANIFEST,
        "    A list of every other file with its size and a SHA-256 checksum, so you can check",
        "    that nothing was changed or lost. To compute a file's checksum: on Windows",
        "    certutil -hashfile FILE SHA256, on macOS shasum -a 256 FILE, on Linux sha256sum FILE.",
        "",
        "WHAT IS NOT HERE",
        "",
        "This package is for taking your data to another provider (data portability). It holds",
        "the information you gave us and the record of your account activity. It does not hold",
        "assessments the bank makes to meet its own legal obligations. You can ask for a full copy",
        "of the personal data we hold about you (a subject access request) at any time.",
        "",
    ]
    return "\n".join(lines)


def build_package(
    spec: ExportSpec,
    sections: Mapping[str, SectionSource],
    *,
    passphrase: str | None = None,
) -> Iterator[bytes]:
    """The package's ZIP bytes, in chunks of about 64 KiB, streamed.

    `sections` maps each included section to a callable returning its records (from the
    mappers above); it is called once per format, and its records are pulled one by one as the
    archive is written, so a generator keeps memory flat whatever the history's length.
    Sections not in `spec.include` are ignored. With a passphrase the archive is AES-256
    encrypted. Raises ValueError at once if an included section has no source.
    """
    missing = [s for s in spec.include if s not in sections]
    if missing:
        raise ValueError(f"no source for included section(s): {', '.join(missing)}")
    if passphrase is not None and not passphrase:
        raise ValueError("the passphrase is empty")

    from stream_zip import ZIP_64, stream_zip  # and with it pycryptodome: only where a package is built

    def members() -> Iterator[tuple[Any, ...]]:  # stream_zip's MemberFile
        written: list[_FileStats] = []
        for section in spec.include:
            for fmt in spec.formats:
                stats = _FileStats(f"{section}.{fmt}", MEDIA_TYPES[fmt])
                records = sections[section]()
                chunks = _json_chunks(records, stats) if fmt == "json" else \
                    _csv_chunks(records, CSV_COLUMNS.get(section), stats)
                written.append(stats)
                yield stats.name, spec.created_at, _FILE_MODE, ZIP_64, stats.measured(chunks)
        readme = _FileStats(README, MEDIA_TYPES["txt"], counts_records=False)
        written.append(readme)
        yield README, spec.created_at, _FILE_MODE, ZIP_64, readme.measured([readme_text(spec).encode()])
        # stream-zip finishes a member before asking for the next, so every count is final here
        yield MANIFEST, spec.created_at, _FILE_MODE, ZIP_64, _manifest_chunks(spec, written)

    return iter(stream_zip(members(), chunk_size=_CHUNK, password=passphrase,
                           get_compressobj=lambda: zlib.compressobj(_COMPRESSION_LEVEL, zlib.DEFLATED,
                                                                    -zlib.MAX_WBITS)))


def _manifest_chunks(spec: ExportSpec, written: Sequence[_FileStats]) -> Iterator[bytes]:
    """manifest.json, built only when the ZIP writer reaches it (after every other file)."""
    manifest = {
        "export_id": spec.export_id,
        "customer_id": spec.customer_id,
        "created_at": iso(spec.created_at),
        "generator_version": spec.generator_version,
        "files": [s.entry() for s in written],
    }
    yield json.dumps(manifest, ensure_ascii=False, indent=2).encode() + b"\n"


class DownloadLink(Frozen):
    minutes: int = Field(ge=1, le=24 * 60)
    source: str


class ExportPolicy(Frozen):
    """policies/exports.yaml"""

    policy: str
    version: str
    download_link: DownloadLink
    generator_version: str
    link_events: LinkEventsPolicy
