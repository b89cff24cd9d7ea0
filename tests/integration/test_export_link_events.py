"""Export-link events on the embedded stack. CloudTrail's data-event records of a package download
are delivered the way CloudTrail delivers them (a gzipped `{"Records": [...]}` log file under
cloudtrail/AWSLogs/<account>/CloudTrail/<region>/<yyyy>/<mm>/<dd>/ in the trail bucket); the
scheduled export_link_events task reads them into the export log as `link_downloaded`, and a link
that lapsed unused becomes `link_expired`. Both hash-chained, neither written twice on replays."""
from __future__ import annotations

import gzip
import json
import time
import uuid
from datetime import UTC, datetime, timedelta

import requests

from app import export_link_events
from chalicelib.domain.audit_log import LogName, computed_hash
from chalicelib.stores import AWS, clients
from chalicelib.stores.document_bucket import package_key
from tests.integration.conftest import applicant_body
from tests.integration.test_retention_schedule import scheduled_event

ACCOUNT = "123456789012"


def ready_export(http, customer_id: str) -> str:
    export_id = http.post("/v1/exports", {"customer_id": customer_id, "include": ["profile"]}, key=False
                          ).json_body["export_id"]
    deadline = time.monotonic() + 20
    while http.get(f"/v1/exports/{export_id}").json_body["status"] != "READY":
        assert time.monotonic() < deadline, "the export was not built"
        time.sleep(0.1)
    return export_id


def get_object_record(bucket: str, key: str, region: str, at: datetime, source_ip: str) -> dict:
    """An S3 data event as CloudTrail records a GET through a presigned URL (record contents,
    eventVersion 1.10): the signer's identity is the API function's role; the address is the
    downloader's."""
    request_id = uuid.uuid4().hex[:16].upper()
    return {
        "eventVersion": "1.10",
        "userIdentity": {
            "type": "AssumedRole", "principalId": "AROA3EXAMPLEAPIHANDLER:checkpoint-prod-APIHandler",
            "arn": f"arn:aws:sts::{ACCOUNT}:assumed-role/checkpoint-prod-ApiHandlerRole-1X2Y3Z/checkpoint-prod-APIHandler",
            "accountId": ACCOUNT, "accessKeyId": "ASIA3EXAMPLEKEYID",
            "sessionContext": {
                "sessionIssuer": {"type": "Role", "principalId": "AROA3EXAMPLEAPIHANDLER",
                                  "arn": f"arn:aws:iam::{ACCOUNT}:role/checkpoint-prod-ApiHandlerRole-1X2Y3Z",
                                  "accountId": ACCOUNT, "userName": "checkpoint-prod-ApiHandlerRole-1X2Y3Z"},
                "attributes": {"creationDate": (at - timedelta(minutes=3)).strftime("%Y-%m-%dT%H:%M:%SZ"),
                               "mfaAuthenticated": "false"}},
        },
        "eventTime": at.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "eventSource": "s3.amazonaws.com",
        "eventName": "GetObject",
        "awsRegion": region,
        "sourceIPAddress": source_ip,
        "userAgent": "Mozilla/5.0 (X11; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0",
        "requestParameters": {"bucketName": bucket, "Host": f"{bucket}.s3.{region}.amazonaws.com", "key": key,
                              "X-Amz-Date": (at - timedelta(minutes=1)).strftime("%Y%m%dT%H%M%SZ"),
                              "X-Amz-Algorithm": "AWS4-HMAC-SHA256", "X-Amz-SignedHeaders": "host",
                              "X-Amz-Expires": "900"},
        "responseElements": None,
        "additionalEventData": {"SignatureVersion": "SigV4", "CipherSuite": "TLS_AES_128_GCM_SHA256",
                                "bytesTransferredIn": 0, "AuthenticationMethod": "QueryString",
                                "x-amz-id-2": "Jx7jV2yqCzGvG3pQ1kq0yKpY0E8bX2mQ9W2x3Vb4nM5cT6yU7i8O9p0A1s2D3f4G",
                                "bytesTransferredOut": 2741},
        "requestID": request_id,
        "eventID": str(uuid.uuid4()),
        "readOnly": True,
        "resources": [{"type": "AWS::S3::Object", "ARN": f"arn:aws:s3:::{bucket}/{key}"},
                      {"accountId": ACCOUNT, "type": "AWS::S3::Bucket", "ARN": f"arn:aws:s3:::{bucket}"}],
        "eventType": "AwsApiCall",
        "managementEvent": False,
        "recipientAccountId": ACCOUNT,
        "eventCategory": "Data",
        "tlsDetails": {"tlsVersion": "TLSv1.3", "cipherSuite": "TLS_AES_128_GCM_SHA256",
                       "clientProvidedHostHeader": f"{bucket}.s3.{region}.amazonaws.com"},
    }


def deliver(stack, records: list[dict], at: datetime) -> str:
    """Write a log file where and as CloudTrail writes it."""
    prefix, region = stack.environment["TRAIL_LOG_PREFIX"], stack.region
    key = (f"{prefix}{at:%Y/%m/%d}/{ACCOUNT}_CloudTrail_{region}_{at:%Y%m%dT%H%MZ}_{uuid.uuid4().hex[:16]}.json.gz")
    clients.client("s3").put_object(Bucket=stack.environment["TRAIL_BUCKET"], Key=key,
                                    Body=gzip.compress(json.dumps({"Records": records}).encode()))
    return key


def test_a_download_is_logged_from_cloudtrail_and_a_link_that_lapsed_unused_as_expired(http, stack):
    customer_id = http.wait_final(http.post("/v1/onboarding", applicant_body()).json_body["checkpoint_id"]
                                  )["customer_id"]
    downloaded, unused = ready_export(http, customer_id), ready_export(http, customer_id)
    link = http.get(f"/v1/exports/{downloaded}").json_body["download"]
    assert requests.get(link["url"], timeout=10).status_code == 200  # what CloudTrail would record
    http.get(f"/v1/exports/{unused}")  # a link nobody uses
    issued = {e.sequence: e for e in AWS.audit.entries(LogName.EXPORT) if e.event == "link_issued"
              and e.subject == unused}  # the polling in ready_export issued links too: each one lapses

    now = datetime.now(UTC)
    bucket = stack.environment["DOCUMENTS_BUCKET"]
    download = get_object_record(bucket, package_key(customer_id, downloaded), stack.region, now, "203.0.113.77")
    refused = {**get_object_record(bucket, package_key(customer_id, unused), stack.region, now, "198.51.100.9"),
               "errorCode": "AccessDenied", "errorMessage": "Request has expired"}  # a stale link, answered 403
    other_bucket = get_object_record("someone-elses-bucket", package_key(customer_id, unused), stack.region, now,
                                     "198.51.100.9")
    deliver(stack, [download, refused, other_bucket], now)

    later = now + timedelta(minutes=15 + 61)  # the links expired, and CloudTrail's delivery grace passed
    first = export_link_events(scheduled_event(later), None)
    assert first["downloaded"] == 1 and first["expired"] >= 1

    log = list(AWS.audit.entries(LogName.EXPORT))
    downloads = [e for e in log if e.event == "link_downloaded" and e.subject in (downloaded, unused)]
    assert [(e.subject, e.details["downloaded_at"]) for e in downloads] == [(downloaded, download["eventTime"].replace(
        "Z", ".000Z"))]
    details = downloads[0].details
    assert details == {"customer_id": customer_id, "downloaded_at": details["downloaded_at"],
                       "source_network": "203.0.113.0/24", "via": "presigned_link",
                       "cloudtrail_event_id": download["eventID"], "bytes": "2741"}
    expired = [e for e in log if e.event == "link_expired" and e.subject in (downloaded, unused)]
    assert {e.subject for e in expired} == {unused} and len(issued) >= 1
    assert {int(e.details["issued_sequence"]): e.details["expires_at"] for e in expired} == {
        sequence: entry.details["expires_at"] for sequence, entry in issued.items()}
    text = "\n".join(e.model_dump_json() for e in log)
    assert "203.0.113.77" not in text and "198.51.100.9" not in text and "ApiHandlerRole" not in text

    for entry in (*downloads, *expired):  # hash-chained onto the entry before, like every other entry
        previous = next(e for e in log if e.sequence == entry.sequence - 1)
        assert entry.prev_hash == previous.hash and computed_hash(entry) == entry.hash

    deliver(stack, [download], now + timedelta(minutes=2))  # CloudTrail may deliver an event twice
    replay = export_link_events(scheduled_event(later + timedelta(minutes=15)), None)
    assert replay["downloaded"] == 0 and replay["expired"] == 0 and replay["files"] >= 2
    again = [(e.event, e.subject) for e in AWS.audit.entries(LogName.EXPORT)
             if e.event in ("link_downloaded", "link_expired") and e.subject in (downloaded, unused)]
    assert sorted(again) == [("link_downloaded", downloaded)] + [("link_expired", unused)] * len(issued)

    log_view = http.get("/v1/audit/export-log?format=jsonl", role="auditor")
    lines = [json.loads(line) for line in log_view.body.decode().splitlines()]
    assert {(line["event"], line["subject"]) for line in lines} >= {("link_downloaded", downloaded),
                                                                     ("link_expired", unused)}
