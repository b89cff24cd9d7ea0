"""Export-link events: which CloudTrail records are package downloads, what the export log keeps of
the downloader, when an issued link counts as lapsed unused; and the service on in-memory stores
(replays append nothing twice, a corrupt log file is named)."""
from __future__ import annotations

import ipaddress
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from chalicelib.domain.audit_log import LogName, next_entry
from chalicelib.domain.checkpoint import iso, utc_now
from chalicelib.domain.link_events import (
    DownloaderNetwork,
    TrailRecord,
    download_of,
    lapsed_unused,
    network_of,
)
from chalicelib.errors import CorruptRecord
from chalicelib.services import exports
from chalicelib.settings import get_settings
from tests.unit.fakes import fake_stores

NETWORK = DownloaderNetwork(ipv4_prefix=24, ipv6_prefix=48)
T0 = datetime(2026, 12, 1, 10, 0, 0, 250_000, tzinfo=UTC)
KEY = "customers/cus_1/exports/exp_1.zip"


def record(key: str = KEY, bucket: str = "unit-documents", at: datetime = T0, ip: str = "203.0.113.77",
           event_id: str = "0b6d9c1e-0000-4000-8000-000000000001", **extra) -> dict:
    return {"eventVersion": "1.10", "eventID": event_id, "eventTime": at.strftime("%Y-%m-%dT%H:%M:%SZ"),
            "eventSource": "s3.amazonaws.com", "eventName": "GetObject", "sourceIPAddress": ip,
            "userIdentity": {"type": "AssumedRole", "arn": "arn:aws:sts::123456789012:assumed-role/api/fn"},
            "requestParameters": {"bucketName": bucket, "key": key, "X-Amz-Expires": "900"},
            "additionalEventData": {"AuthenticationMethod": "QueryString", "bytesTransferredOut": 1234},
            "eventCategory": "Data", **extra}


def test_a_presigned_download_keeps_the_network_prefix_and_the_event_id_only():
    download = download_of(TrailRecord.model_validate(record()), "unit-documents", NETWORK)
    event, subject, details = download.entry()
    assert (event, subject) == ("link_downloaded", "exp_1")
    assert details == {"customer_id": "cus_1", "downloaded_at": "2026-12-01T10:00:00.000Z",
                       "source_network": "203.0.113.0/24", "via": "presigned_link",
                       "cloudtrail_event_id": "0b6d9c1e-0000-4000-8000-000000000001", "bytes": "1234"}


@pytest.mark.parametrize("changes", [
    {"bucket": "another-bucket"},
    {"key": "customers/cus_1/transactions/cp_1.jsonl"},
    {"key": "customers/cus_1/exports/exp_1.zip.tmp"},
])
def test_other_objects_are_not_package_downloads(changes):
    assert download_of(TrailRecord.model_validate(record(**changes)), "unit-documents", NETWORK) is None


def test_a_refused_request_is_not_a_download():
    refused = record(errorCode="AccessDenied", errorMessage="Request has expired")
    assert download_of(TrailRecord.model_validate(refused), "unit-documents", NETWORK) is None


def test_a_signed_api_call_and_an_aws_service_are_told_apart():
    signed = record(ip="s3.amazonaws.com", additionalEventData={"AuthenticationMethod": "AuthHeader"})
    download = download_of(TrailRecord.model_validate(signed), "unit-documents", NETWORK)
    assert (download.via, download.source_network, download.bytes) == ("signed_request", "s3.amazonaws.com", None)
    assert network_of("not an address", NETWORK) == "unknown"
    assert network_of("2001:db8:1234:5678::1", NETWORK) == "2001:db8:1234::/48"


@given(st.ip_addresses())
def test_the_network_prefix_contains_the_address_and_never_is_it(address):
    network = ipaddress.ip_network(network_of(str(address), NETWORK))
    assert address in network and network.prefixlen == (24 if address.version == 4 else 48)


def issued(previous, export_id: str, at: datetime, minutes: int = 15):
    return next_entry(previous, LogName.EXPORT, iso(at), "link_issued", export_id,
                      {"customer_id": "cus_1", "issued_to": "web-signup", "expires_at": iso(at + timedelta(minutes=minutes))})


def downloaded(previous, export_id: str, at: datetime):
    return next_entry(previous, LogName.EXPORT, "2026-12-01T11:00:00.000Z", "link_downloaded", export_id,
                      {"downloaded_at": iso(at.replace(microsecond=0))})


def test_a_link_lapses_unused_only_without_a_download_in_its_validity_and_after_the_grace():
    a = issued(None, "exp_a", T0)
    b = issued(a, "exp_b", T0)
    c = issued(b, "exp_c", T0)
    log = [a, b, c, downloaded(c, "exp_a", T0),  # same second as the issue (eventTime has whole seconds)
           downloaded(c, "exp_b", T0 + timedelta(minutes=16))]  # after its link expired: another link's
    grace = timedelta(hours=1)
    expires = T0 + timedelta(minutes=15)
    assert [link.export_id for link in lapsed_unused(log, expires + grace, grace)] == ["exp_b", "exp_c"]
    assert list(lapsed_unused(log, expires + grace - timedelta(seconds=1), grace)) == []  # CloudTrail may be late
    legacy = next_entry(None, LogName.EXPORT, "2026-12-01T10:00:00.000Z", "link_issued", "exp_x", {})
    assert list(lapsed_unused([legacy], expires + grace, grace)) == []  # no expiry recorded: nothing to decide


@pytest.fixture
def stores(unit_settings):
    return fake_stores()


def deliver(stores, records: list[dict], at: datetime = T0) -> str:
    key = f"{get_settings().trail_log_prefix}{at:%Y/%m/%d}/123456789012_CloudTrail_eu-west-1_{at:%Y%m%dT%H%MZ}_x.json.gz"
    stores.trail.deliver(key, records)
    return key


def test_the_task_logs_each_download_and_each_lapsed_link_once_whatever_is_replayed(stores):
    expires_at = iso(utc_now() + timedelta(minutes=15))  # the fake log stamps entries with the real clock
    for export_id in ("exp_1", "exp_2"):
        stores.audit.append(LogName.EXPORT, "link_issued", export_id,
                            {"customer_id": "cus_1", "issued_to": "web-signup", "expires_at": expires_at})
    first_seen = stores.audit.entries(LogName.EXPORT)
    issued_at = {e.subject: datetime.fromisoformat(e.at.replace("Z", "+00:00")) for e in first_seen}
    at = issued_at["exp_1"] + timedelta(seconds=2)
    bucket = get_settings().documents_bucket
    deliver(stores, [record(bucket=bucket, at=at), {"eventSource": "kms.amazonaws.com", "eventName": "Decrypt"}], at)
    deliver(stores, [record(bucket=bucket, at=at)], at + timedelta(minutes=5))  # the same event, delivered twice
    now = max(issued_at.values()) + timedelta(days=1)
    assert exports.record_link_events(now, stores) == {"files": 2, "downloaded": 1, "expired": 1}
    assert exports.record_link_events(now, stores) == {"files": 2, "downloaded": 0, "expired": 0}
    assert stores.audit.events(LogName.EXPORT)[2:] == [("link_downloaded", "exp_1"), ("link_expired", "exp_2")]


def test_a_corrupt_trail_file_is_named_and_nothing_is_logged_from_it(stores):
    key = deliver(stores, [record()])
    stores.trail.files[key] = b"\x1f\x8b not gzip"
    with pytest.raises(CorruptRecord) as caught:
        exports.record_link_events(T0 + timedelta(hours=1), stores)
    assert caught.value.record_id == key
    stores.trail.deliver(key, [{**record(), "eventTime": "yesterday"}])
    with pytest.raises(CorruptRecord):
        exports.record_link_events(T0 + timedelta(hours=1), stores)
    assert stores.audit.events(LogName.EXPORT) == []
