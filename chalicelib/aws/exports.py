"""Export records (DynamoDB) and export packages (S3, streamed with multipart upload, SSE-KMS).

A package object only exists once its upload completed: a failed build aborts the upload, so
nothing half-written is ever visible, and the record says FAILED."""
from __future__ import annotations

import hashlib
from collections.abc import Iterable
from typing import Any

from botocore.exceptions import ClientError

from chalicelib.aws.clients import client, table
from chalicelib.domain.record_classes import tagging
from chalicelib.errors import NotFound
from chalicelib.settings import get_settings

PART_SIZE = 8 * 1024 * 1024  # S3 needs >= 5 MiB per part but the last; 8 MiB reaches ~80 GB in 10k parts


def package_key(customer_id: str, export_id: str) -> str:
    return f"customers/{customer_id}/exports/{export_id}.zip"


def _table():
    return table(get_settings().exports_table)


def create(record: dict[str, Any]) -> None:
    _table().put_item(Item=record, ConditionExpression="attribute_not_exists(export_id)")


def get(export_id: str) -> dict[str, Any]:
    item = _table().get_item(Key={"export_id": export_id}, ConsistentRead=True).get("Item")
    if item is None:
        raise NotFound(export_id)
    return item


def update(export_id: str, fields: dict[str, Any]) -> None:
    names = {f"#f{i}": k for i, k in enumerate(fields)}
    values = {f":v{i}": v for i, v in enumerate(fields.values())}
    _table().update_item(Key={"export_id": export_id}, ExpressionAttributeNames=names, ExpressionAttributeValues=values,
                         UpdateExpression="SET " + ", ".join(f"#f{i} = :v{i}" for i in range(len(fields))))


def upload(key: str, chunks: Iterable[bytes]) -> tuple[int, str]:
    """Stream `chunks` to S3 as a multipart upload; returns (size, SHA-256 hex). On any error the
    upload is aborted and the error re-raised."""
    settings = get_settings()
    s3, bucket = client("s3"), settings.documents_bucket
    upload_id = s3.create_multipart_upload(Bucket=bucket, Key=key, ContentType="application/zip",
                                           ServerSideEncryption="aws:kms", SSEKMSKeyId=settings.data_key_id,
                                           Tagging=tagging(key))["UploadId"]
    digest, size, parts, buffer = hashlib.sha256(), 0, [], bytearray()

    def flush() -> None:
        number = len(parts) + 1
        etag = s3.upload_part(Bucket=bucket, Key=key, UploadId=upload_id, PartNumber=number, Body=bytes(buffer))["ETag"]
        parts.append({"PartNumber": number, "ETag": etag})
        buffer.clear()

    try:
        for chunk in chunks:
            digest.update(chunk)
            size += len(chunk)
            buffer += chunk
            if len(buffer) >= PART_SIZE:
                flush()
        if buffer or not parts:
            flush()
        s3.complete_multipart_upload(Bucket=bucket, Key=key, UploadId=upload_id, MultipartUpload={"Parts": parts})
    except BaseException:
        try:
            s3.abort_multipart_upload(Bucket=bucket, Key=key, UploadId=upload_id)
        except ClientError:
            pass  # the bucket's lifecycle rule aborts what is left
        raise
    return size, digest.hexdigest()


def download_link(key: str, seconds: int) -> str:
    return client("s3").generate_presigned_url("get_object", Params={"Bucket": get_settings().documents_bucket,
                                                                     "Key": key}, ExpiresIn=seconds)


def exists(key: str) -> bool:
    try:
        client("s3").head_object(Bucket=get_settings().documents_bucket, Key=key)
        return True
    except ClientError:
        return False
