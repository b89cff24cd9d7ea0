"""Data-portability exports (GDPR Art. 20): request, build (streamed to S3), download links, and
the export a closure asks for (for a deceased customer, the estate's disclosure to the personal
representative instead). After closure a customer's channel may fetch statements only until the
customer's `statements_until` (policies/closure.yaml: longer with the statements-access soft exit).
Every export created or failed, every link issued, every package download (from CloudTrail) and
every link that lapsed unused is appended to the export log."""
from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from datetime import datetime, timedelta
from typing import Any

from chalicelib.api.models import ExportRequestBody
from chalicelib.domain.actors import Caller, Role, StatedPurpose, system_actor
from chalicelib.domain.audit_log import LogName
from chalicelib.domain.checkpoint import Reason, Step, iso, utc_now
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
from chalicelib.domain.export_record import SECTIONS, ExportRecord, ExportStatus, Recipient
from chalicelib.domain.ids import new_id
from chalicelib.domain.link_events import download_of, lapsed_unused
from chalicelib.domain.models import Verdict
from chalicelib.domain.screening.result import ScreeningResult
from chalicelib.errors import CustomerFrozen, Conflict, NotFound
from chalicelib.policies import export_policy
from chalicelib.services import access, data_access, events, retention
from chalicelib.services.data_access import DataAccess
from chalicelib.settings import get_settings
from chalicelib.stores import AWS, Stores
from chalicelib.stores.document_bucket import closure_request_key, package_key

STEP = "export"
CLOSURE_WORKFLOW = system_actor("offboarding")


class StatementsAccessEnded(Conflict):
    """A former customer's channel asks for statements after the access the closure left them."""

    code = "STATEMENTS_ACCESS_ENDED"


def _create(customer_id: str, formats: Iterable[str], include: Iterable[str], requested_by: str,
            stores: Stores, checkpoint_id: str | None = None,
            recipient: Recipient = Recipient.CUSTOMER) -> ExportRecord:
    record = ExportRecord(export_id=new_id("exp"), customer_id=customer_id, status=ExportStatus.RUNNING,
                          formats=tuple(formats), include=tuple(include), requested_by=requested_by,
                          created_at=iso(utc_now()), checkpoint_id=checkpoint_id, recipient=recipient)
    stores.exports.create(record)
    return record


def _statements_still_open(caller: Caller, customer: CustomerRecord) -> None:
    """A closed customer's channel may fetch statements until `statements_until` (compliance always)."""
    if caller.role is not Role.CHANNEL or customer.status != "closed" or not customer.statements_until:
        return
    if iso(utc_now()) >= customer.statements_until:
        raise StatementsAccessEnded(f"Access to statements after closure ended on {customer.statements_until}; "
                                    "the bank (compliance) can provide a copy.")


def _granted(caller: Caller, customer: CustomerRecord, stated: StatedPurpose | None,
             reference: str) -> data_access.Granted | None:
    """Staff reading a former customer's data do so for a purpose that opens it (PurposeRequired
    otherwise); None when no purpose is needed: a current customer, or the channel, the customer's own
    agent (held to its statements date instead)."""
    if not data_access.needs_purpose(caller) or customer.status != data_access.CLOSED:
        return None
    return data_access.grant(stated, (customer.customer_id,), reference)


def _log_read(caller: Caller, granted: data_access.Granted | None, what: DataAccess, record: ExportRecord,
              stores: Stores) -> None:
    if granted is not None:
        data_access.record(caller, what, record.export_id, granted, (record.customer_id,),
                           (f"export.{s}" for s in record.include), stores)


def request(caller: Caller, body: ExportRequestBody, stated: StatedPurpose | None = None,
            stores: Stores = AWS) -> ExportRecord:
    """Record an export of a customer the caller may act for and build it in the background
    (the build_export function, invoked as an event)."""
    customer = access.customer(caller, body.customer_id, stores)
    _statements_still_open(caller, customer)
    if customer.status == "frozen":
        raise CustomerFrozen("The customer is frozen: a monitoring alert confirmed a sanctions match "
                             f"({customer.frozen_by}); nothing is exported until compliance decides on the relationship.")
    granted = _granted(caller, customer, stated, customer.customer_id)
    record = _create(customer.customer_id, body.formats, body.include, caller.subject, stores)
    _log_read(caller, granted, DataAccess.EXPORT_REQUESTED, record, stores)
    stores.functions.invoke_async(get_settings().export_function_name, {"export_id": record.export_id})
    return record


def _transactions(customer_id: str, stores: Stores) -> Iterator[dict[str, Any]]:
    for key, _ in stores.documents.keys_under(f"customers/{customer_id}/transactions/"):
        for _, line in stores.documents.iter_lines(key):
            yield transaction_record(Transaction.model_validate_json(line))


def _accounts(customer: CustomerRecord, record: ExportRecord, stores: Stores) -> Iterable[dict[str, Any]]:
    """The accounts of the closure that asked for the export, else of the closure that ended the
    relationship (the product holds account figures only from closure requests)."""
    closure_id = record.checkpoint_id or customer.offboarding_checkpoint_id
    if not closure_id:
        return []
    closure = stores.documents.get_json(closure_request_key(closure_id), ClosureRequest)
    return [account_record(a) for a in closure.accounts]


def _screening_summary(customer: CustomerRecord, stores: Stores) -> Iterable[dict[str, Any]]:
    try:
        return screening_summary_records(stores.documents.get_json(customer.screening_result_key, ScreeningResult))
    except NotFound:
        return []  # a customer migrated without a stored screening result


def _sections(customer: CustomerRecord, record: ExportRecord,
              stores: Stores) -> dict[str, Callable[[], Iterable[dict[str, Any]]]]:
    return {
        "profile": lambda: [profile_record(customer)],
        "kyc": lambda: [kyc_record(customer)],
        "accounts": lambda: _accounts(customer, record, stores),
        "transactions": lambda: _transactions(customer.customer_id, stores),
        "consents": lambda: [],  # no consents are collected by this product yet
        "screening_summary": lambda: _screening_summary(customer, stores),
    }


def build(export_id: str, stores: Stores = AWS) -> ExportRecord:
    """Build the package and store it; idempotent (a READY export is returned as it is)."""
    record = stores.exports.get(export_id)
    if record.status is ExportStatus.READY:
        events.publish_export_ready(record, stores)  # a retried build: its event may not have left
        return record
    customer = stores.customers.get(record.customer_id)
    spec = ExportSpec(export_id=export_id, customer_id=customer.customer_id, created_at=record.created_at,
                      formats=record.formats, include=record.include,
                      generator_version=export_policy().generator_version, recipient=record.recipient)
    key = package_key(customer.customer_id, export_id)
    sections = _sections(customer, record, stores)
    try:
        size, sha256 = stores.documents.upload_stream(key, build_package(spec, {s: sections[s] for s in spec.include}),
                                                      "application/zip")
    except Exception as exc:
        stores.exports.update(export_id, {"status": ExportStatus.FAILED.value, "failure": type(exc).__name__,
                                          "failed_at": iso(utc_now())})
        stores.audit.append(LogName.EXPORT, "export_failed", export_id,
                            {"customer_id": customer.customer_id, "error": type(exc).__name__})
        raise
    ready = stores.exports.update(export_id, {"status": ExportStatus.READY.value, "size": size, "sha256": sha256,
                                              "package_key": key, "ready_at": iso(utc_now())})
    stores.audit.append(LogName.EXPORT, "export_created", export_id,
                        {"customer_id": customer.customer_id, "size": str(size), "sha256": sha256,
                         "formats": ",".join(spec.formats), "include": ",".join(spec.include)})
    retention.schedule_export(ready, stores)
    events.publish_export_ready(ready, stores)
    return ready


def view(caller: Caller, export_id: str, stated: StatedPurpose | None = None,
         stores: Stores = AWS) -> tuple[ExportRecord, dict[str, str] | None]:
    """The export, and when it is ready a fresh short-lived download link (logged)."""
    record = access.export(caller, export_id, stores)
    if record.status is not ExportStatus.READY:
        return record, None
    customer = stores.customers.get(record.customer_id)
    _statements_still_open(caller, customer)
    granted = _granted(caller, customer, stated, export_id)
    minutes = export_policy().download_link.minutes
    expires_at = iso(utc_now() + timedelta(minutes=minutes))
    link = {"url": stores.documents.download_link(record.package_key, minutes * 60), "expires_at": expires_at}
    stores.audit.append(LogName.EXPORT, "link_issued", export_id,
                        {"customer_id": record.customer_id, "issued_to": caller.subject, "expires_at": expires_at,
                         "recipient": record.recipient.value})
    _log_read(caller, granted, DataAccess.EXPORT_LINK_ISSUED, record, stores)
    return record, link


def export_for_closure(checkpoint_id: str, stores: Stores = AWS) -> Step:
    """The closure's ExportData step: every section, in the formats the closure asked for (JSON and
    CSV for an estate's disclosure, addressed to the personal representative). A retried task
    reuses the export it created."""
    closure = stores.documents.get_json(closure_request_key(checkpoint_id), ClosureRequest)
    existing = stores.checkpoints.get(checkpoint_id).steps.get(STEP)
    export_id = existing.result_key if existing else None
    if export_id is None:
        estate = closure.succession is not None
        export_id = _create(closure.customer_id, closure.export.formats or ("json", "csv"), SECTIONS, CLOSURE_WORKFLOW,
                            stores, checkpoint_id,
                            Recipient.REPRESENTATIVE if estate else Recipient.CUSTOMER).export_id
        stores.checkpoints.record_step(checkpoint_id, Step(
            name=STEP, verdict=Verdict.PASS, finished_at=iso(utc_now()), result_key=export_id,
            reasons=(Reason(code="EXPORT_STARTED", detail=export_id),)))
    build(export_id, stores)
    step = Step(name=STEP, verdict=Verdict.PASS, finished_at=iso(utc_now()), result_key=export_id,
                reasons=(Reason(code="EXPORT_READY", detail=export_id),))
    stores.checkpoints.record_step(checkpoint_id, step)
    return step


def record_link_events(now: datetime, stores: Stores = AWS) -> dict[str, int]:
    """The scheduled export_link_events task: each package download CloudTrail delivered in the
    lookback window becomes a `link_downloaded` entry, then each link that lapsed unused a
    `link_expired` entry. Replays append nothing twice (one once key per CloudTrail event and per
    link): the same file read again, an event CloudTrail delivered twice, an overlapping window."""
    policy = export_policy().link_events
    since, bucket = now - timedelta(hours=policy.lookback_hours), get_settings().documents_bucket
    counts = {"files": 0, "downloaded": 0, "expired": 0}
    for key in stores.trail.log_files(since, now):
        counts["files"] += 1
        for record in stores.trail.object_reads(key):
            download = download_of(record, bucket, policy.downloader_network)
            if download and stores.audit.append_all(LogName.EXPORT, [download.entry()],
                                                    once_key=f"downloaded#{download.event_id}"):
                counts["downloaded"] += 1
    # A link issued before the window began expired before it too (links live minutes, the window days).
    recent = stores.audit.entries(LogName.EXPORT, since=since)
    for link in lapsed_unused(recent, now, timedelta(minutes=policy.delivery_grace_minutes)):
        if stores.audit.append_all(LogName.EXPORT, [link.expired_entry()], once_key=f"expired#{link.sequence}"):
            counts["expired"] += 1
    return counts
