"""Data-portability exports (GDPR Art. 20): request, build (streamed to S3), download links.
Every export created or failed and every link issued is appended to the export log."""
from __future__ import annotations

import json
import uuid
from collections.abc import Callable, Iterable, Iterator
from datetime import timedelta
from typing import Any

from chalicelib.aws import audit, customers, documents, exports
from chalicelib.aws.clients import client
from chalicelib.domain.audit_log import LogName
from chalicelib.domain.checkpoint import iso, utc_now
from chalicelib.domain.closure import ClosureRequest, Transaction
from chalicelib.domain.customer import CustomerRecord
from chalicelib.domain.export_package import (
    ExportSpec,
    account_record,
    build_package,
    kyc_record,
    profile_record,
    screening_summary_records,
    transaction_record,
)
from chalicelib.domain.screening.result import ScreeningResult
from chalicelib.errors import NotFound
from chalicelib.policies import export_policy
from chalicelib.settings import get_settings

RUNNING, READY, FAILED = "RUNNING", "READY", "FAILED"


def request(customer_id: str, formats: list[str], include: list[str], requested_by: str,
            checkpoint_id: str | None = None) -> dict[str, Any]:
    record = {"export_id": f"exp_{uuid.uuid4().hex}", "customer_id": customer_id, "status": RUNNING,
              "formats": formats, "include": include, "requested_by": requested_by, "created_at": iso(utc_now())}
    if checkpoint_id:
        record["checkpoint_id"] = checkpoint_id
    exports.create(record)
    return record


def start_async(export_id: str) -> None:
    """Build in the background (the build_export function, invoked as an event)."""
    client("lambda").invoke(FunctionName=get_settings().export_function_name, InvocationType="Event",
                            Payload=json.dumps({"export_id": export_id}).encode())


def _transactions(customer_id: str) -> Iterator[dict[str, Any]]:
    for key, _ in documents.keys_under(f"customers/{customer_id}/transactions/"):
        for _, line in documents.iter_lines(key):
            yield transaction_record(Transaction.model_validate_json(line))


def _accounts(customer: CustomerRecord) -> Iterable[dict[str, Any]]:
    if not customer.offboarding_checkpoint_id:
        return []
    closure = documents.get_json(documents.closure_request_key(customer.offboarding_checkpoint_id), ClosureRequest)
    return [account_record(a) for a in closure.accounts]


def _sections(customer: CustomerRecord) -> dict[str, Callable[[], Iterable[dict[str, Any]]]]:
    return {
        "profile": lambda: [profile_record(customer)],
        "kyc": lambda: [kyc_record(customer)],
        "accounts": lambda: _accounts(customer),
        "transactions": lambda: _transactions(customer.customer_id),
        "consents": lambda: [],  # no consents are collected by this product yet
        "screening_summary": lambda: _screening_summary(customer),
    }


def _screening_summary(customer: CustomerRecord) -> Iterable[dict[str, Any]]:
    try:
        return screening_summary_records(documents.get_json(customer.screening_result_key, ScreeningResult))
    except NotFound:
        return []  # a customer migrated without a stored screening result


def build(export_id: str) -> dict[str, Any]:
    """Build the package and store it; idempotent (a READY export is returned as it is)."""
    record = exports.get(export_id)
    if record["status"] == READY:
        return record
    customer = customers.get(record["customer_id"])
    spec = ExportSpec(export_id=export_id, customer_id=customer.customer_id, created_at=record["created_at"],
                      formats=tuple(record["formats"]), include=tuple(record["include"]),
                      generator_version=export_policy().generator_version)
    key = exports.package_key(customer.customer_id, export_id)
    sections = _sections(customer)
    try:
        size, sha256 = exports.upload(key, build_package(spec, {s: sections[s] for s in spec.include}))
    except Exception as exc:
        exports.update(export_id, {"status": FAILED, "failure": type(exc).__name__, "failed_at": iso(utc_now())})
        audit.append(LogName.EXPORT, "export_failed", export_id,
                     {"customer_id": customer.customer_id, "error": type(exc).__name__})
        raise
    fields = {"status": READY, "size": size, "sha256": sha256, "package_key": key, "ready_at": iso(utc_now())}
    exports.update(export_id, fields)
    audit.append(LogName.EXPORT, "export_created", export_id,
                 {"customer_id": customer.customer_id, "size": str(size), "sha256": sha256,
                  "formats": ",".join(spec.formats), "include": ",".join(spec.include)})
    return {**record, **fields}


def view(export_id: str, caller: str) -> dict[str, Any]:
    """The export's status; when ready, a fresh short-lived download link (logged)."""
    record = exports.get(export_id)
    body = {k: record[k] for k in ("export_id", "customer_id", "status", "formats", "include", "created_at")}
    if record["status"] == FAILED:
        body["failure"] = record.get("failure")
    if record["status"] != READY:
        return body
    minutes = export_policy().download_link.minutes
    expires_at = iso(utc_now() + timedelta(minutes=minutes))
    body |= {"size": int(record["size"]), "sha256": record["sha256"], "ready_at": record["ready_at"],
             "download": {"url": exports.download_link(record["package_key"], minutes * 60), "expires_at": expires_at}}
    audit.append(LogName.EXPORT, "link_issued", export_id,
                 {"customer_id": record["customer_id"], "issued_to": caller, "expires_at": expires_at})
    return body
