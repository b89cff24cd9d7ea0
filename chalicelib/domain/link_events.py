"""What happened to the download links of export packages, read from CloudTrail.

A package is fetched with a presigned GET; CloudTrail's S3 data events (object-level `GetObject`
on the packages, `customers/<customer id>/exports/<export id>.zip`) record every fetch. Each
successful one becomes a `link_downloaded` entry of the export log; a link issued (`link_issued`,
with its `expires_at`) during whose validity no download of its export was recorded becomes
`link_expired` once it has lapsed and CloudTrail's delivery delay has passed.

What the entries keep of the downloader: the network prefix of the source address (/24 or /48),
how the request was signed (presigned link or a signed API call) and the CloudTrail event id,
which leads an investigator to the full record in the trail bucket. Never the address itself,
the user agent or the signing principal. Pure: reading the trail files and appending entries
are the service's job.
"""
from __future__ import annotations

import ipaddress
import re
from collections.abc import Iterable, Iterator, Mapping
from datetime import datetime, timedelta
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from chalicelib.domain.audit_log import AuditEntry
from chalicelib.domain.checkpoint import iso
from chalicelib.domain.models import Frozen

PACKAGE_KEY = re.compile(r"^customers/(?P<customer_id>[^/]+)/exports/(?P<export_id>[^/]+)\.zip$")
DOWNLOADED, EXPIRED, ISSUED = "link_downloaded", "link_expired", "link_issued"


class DownloaderNetwork(Frozen):
    ipv4_prefix: int = Field(ge=0, le=32)
    ipv6_prefix: int = Field(ge=0, le=128)


class LinkEventsPolicy(Frozen):
    """policies/exports.yaml, `link_events`."""

    delivery_grace_minutes: int = Field(ge=0)
    lookback_hours: int = Field(ge=1)
    downloader_network: DownloaderNetwork
    source: str


class _Lenient(BaseModel):
    """A part of a CloudTrail record: only the fields read here, the others ignored."""

    model_config = ConfigDict(defer_build=True, frozen=True, extra="ignore", populate_by_name=True)


class _RequestParameters(_Lenient):
    bucket_name: str = Field(alias="bucketName")
    key: str


class TrailRecord(_Lenient):
    """One CloudTrail record of an S3 `GetObject` data event (CloudTrail record contents, 1.08+)."""

    event_id: str = Field(alias="eventID", min_length=1)
    event_time: datetime = Field(alias="eventTime")
    event_source: str = Field(alias="eventSource")
    event_name: str = Field(alias="eventName")
    source_ip_address: str = Field(alias="sourceIPAddress")
    request_parameters: _RequestParameters = Field(alias="requestParameters")
    additional_event_data: Mapping[str, Any] = Field(default_factory=dict, alias="additionalEventData")
    error_code: str | None = Field(default=None, alias="errorCode")


class Download(Frozen):
    event_id: str
    export_id: str
    customer_id: str
    at: str  # UTC ISO-8601, from the record's eventTime
    source_network: str
    via: str  # presigned_link | signed_request
    bytes: int | None = None

    def entry(self) -> tuple[str, str, dict[str, str]]:
        details = {"customer_id": self.customer_id, "downloaded_at": self.at, "source_network": self.source_network,
                   "via": self.via, "cloudtrail_event_id": self.event_id}
        if self.bytes is not None:
            details["bytes"] = str(self.bytes)
        return DOWNLOADED, self.export_id, details


def is_download_event(record: Mapping[str, Any]) -> bool:
    """A GetObject data event of S3 (what the trail's selector asks for); other records are skipped."""
    return record.get("eventSource") == "s3.amazonaws.com" and record.get("eventName") == "GetObject"


def network_of(source: str, policy: DownloaderNetwork) -> str:
    """The source address reduced to its network prefix; an AWS service principal (CloudTrail writes
    its name, e.g. `s3.amazonaws.com`, instead of an address) is kept as it is."""
    try:
        address = ipaddress.ip_address(source)
    except ValueError:
        return source if source.endswith(".amazonaws.com") or source == "AWS Internal" else "unknown"
    prefix = policy.ipv4_prefix if address.version == 4 else policy.ipv6_prefix
    return str(ipaddress.ip_network(f"{address}/{prefix}", strict=False))


def download_of(record: TrailRecord, bucket: str, policy: DownloaderNetwork) -> Download | None:
    """The package download a record shows, or None (another bucket or object, or a refused request:
    an expired or tampered link is answered 403 and logged with an errorCode)."""
    match = PACKAGE_KEY.match(record.request_parameters.key)
    if record.request_parameters.bucket_name != bucket or match is None or record.error_code:
        return None
    sent = record.additional_event_data.get("bytesTransferredOut")
    presigned = record.additional_event_data.get("AuthenticationMethod") == "QueryString"
    return Download(event_id=record.event_id, export_id=match["export_id"], customer_id=match["customer_id"],
                    at=iso(record.event_time), source_network=network_of(record.source_ip_address, policy),
                    via="presigned_link" if presigned else "signed_request",
                    bytes=int(sent) if isinstance(sent, (int, float)) else None)


class IssuedLink(Frozen):
    sequence: int  # of its link_issued entry
    export_id: str
    customer_id: str
    issued_at: str
    expires_at: str

    def expired_entry(self) -> tuple[str, str, dict[str, str]]:
        return EXPIRED, self.export_id, {"customer_id": self.customer_id, "issued_sequence": str(self.sequence),
                                         "issued_at": self.issued_at, "expires_at": self.expires_at}


def _instant(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def lapsed_unused(entries: Iterable[AuditEntry], now: datetime, grace: timedelta) -> Iterator[IssuedLink]:
    """Links issued (in `entries`) that expired more than `grace` before `now` with no download of
    their export recorded between their issue and their expiry. Entries already logged as expired
    are still yielded: appending is idempotent per link (the caller's once key)."""
    issued: list[IssuedLink] = []
    downloads: dict[str, list[datetime]] = {}
    for entry in entries:
        if entry.event == ISSUED and "expires_at" in entry.details:
            issued.append(IssuedLink(sequence=entry.sequence, export_id=entry.subject,
                                     customer_id=entry.details.get("customer_id", ""), issued_at=entry.at,
                                     expires_at=entry.details["expires_at"]))
        elif entry.event == DOWNLOADED and "downloaded_at" in entry.details:
            downloads.setdefault(entry.subject, []).append(_instant(entry.details["downloaded_at"]))
    for link in issued:
        # CloudTrail's eventTime has whole seconds: a download in the second the link was issued counts.
        start, end = _instant(link.issued_at).replace(microsecond=0), _instant(link.expires_at)
        if end + grace <= now and not any(start <= at <= end for at in downloads.get(link.export_id, [])):
            yield link
