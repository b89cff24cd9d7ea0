"""Applications, check results and document images in the documents bucket (SSE-KMS).

Keys are built from the checkpoint id only; the objects themselves hold the personal data.
"""
from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from datetime import datetime
from typing import TypeVar

from botocore.exceptions import ClientError
from pydantic import BaseModel

from chalicelib.aws.clients import client
from chalicelib.domain.record_classes import tagging
from chalicelib.errors import NotFound
from chalicelib.settings import get_settings

M = TypeVar("M", bound=BaseModel)


def application_key(checkpoint_id: str) -> str:
    return f"checkpoints/{checkpoint_id}/application.json"


def closure_request_key(checkpoint_id: str) -> str:
    return f"checkpoints/{checkpoint_id}/closure-request.json"


def transactions_key(customer_id: str, checkpoint_id: str) -> str:
    """Transactions live with the customer's records: retention and exports work on them."""
    return f"customers/{customer_id}/transactions/{checkpoint_id}.jsonl"


def result_key(checkpoint_id: str, name: str) -> str:
    return f"checkpoints/{checkpoint_id}/results/{name}.json"


def upload_key(checkpoint_id: str, side: str) -> str:
    return f"checkpoints/{checkpoint_id}/documents/{side}"


def put_json(key: str, model: BaseModel) -> None:
    settings = get_settings()
    client("s3").put_object(
        Bucket=settings.documents_bucket, Key=key, Body=model.model_dump_json().encode(),
        ContentType="application/json", ServerSideEncryption="aws:kms", SSEKMSKeyId=settings.data_key_id,
        Tagging=tagging(key),
    )


def get_json(key: str, model: type[M]) -> M:
    try:
        body = client("s3").get_object(Bucket=get_settings().documents_bucket, Key=key)["Body"].read()
    except ClientError as exc:
        if exc.response["Error"]["Code"] in ("NoSuchKey", "404"):
            raise NotFound(key) from exc
        raise
    return model.model_validate(json.loads(body))


def put_jsonl(key: str, models: Iterable[BaseModel]) -> None:
    settings = get_settings()
    body = b"".join(m.model_dump_json().encode() + b"\n" for m in models)
    client("s3").put_object(Bucket=settings.documents_bucket, Key=key, Body=body, ContentType="application/x-ndjson",
                            ServerSideEncryption="aws:kms", SSEKMSKeyId=settings.data_key_id, Tagging=tagging(key))


def iter_lines(key: str) -> Iterator[tuple[int, bytes]]:
    """(line number, raw line) of an S3 object, streamed; blank lines skipped."""
    try:
        body = client("s3").get_object(Bucket=get_settings().documents_bucket, Key=key)["Body"]
    except ClientError as exc:
        if exc.response["Error"]["Code"] in ("NoSuchKey", "404"):
            raise NotFound(key) from exc
        raise
    for number, line in enumerate(body.iter_lines(), start=1):
        if line.strip():
            yield number, line


def exists(key: str) -> bool:
    try:
        client("s3").head_object(Bucket=get_settings().documents_bucket, Key=key)
        return True
    except ClientError as exc:
        if exc.response["Error"]["Code"] in ("NoSuchKey", "404", "NotFound"):
            return False
        raise


def copy(source_key: str, target_key: str) -> None:
    settings = get_settings()
    client("s3").copy_object(Bucket=settings.documents_bucket, Key=target_key,
                             CopySource={"Bucket": settings.documents_bucket, "Key": source_key},
                             ServerSideEncryption="aws:kms", SSEKMSKeyId=settings.data_key_id,
                             TaggingDirective="REPLACE", Tagging=tagging(target_key))


def delete(key: str) -> None:
    client("s3").delete_object(Bucket=get_settings().documents_bucket, Key=key)


def presigned_upload(key: str, content_type: str, size: int, expires_in: int) -> str:
    """A PUT URL bound to this key, content type and exact size (all signed)."""
    settings = get_settings()
    return client("s3").generate_presigned_url(
        "put_object",
        Params={"Bucket": settings.documents_bucket, "Key": key, "ContentType": content_type, "ContentLength": size,
                "ServerSideEncryption": "aws:kms", "SSEKMSKeyId": settings.data_key_id, "Tagging": tagging(key)},
        ExpiresIn=expires_in,
    )


def keys_under(prefix: str) -> Iterator[tuple[str, datetime]]:
    """(key, last modified) of every object under a prefix, page by page."""
    kwargs = {"Bucket": get_settings().documents_bucket, "Prefix": prefix}
    while True:
        page = client("s3").list_objects_v2(**kwargs)
        for obj in page.get("Contents", []):
            yield obj["Key"], obj["LastModified"]
        if not page.get("IsTruncated"):
            return
        kwargs["ContinuationToken"] = page["NextContinuationToken"]


def stamp_retention(key: str, tags: dict[str, str], lock_until: datetime | None) -> None:
    """Tag the object with its retention schedule; lock it (Object Lock, governance mode) until
    `lock_until` when its class must stay immutable."""
    s3, bucket = client("s3"), get_settings().documents_bucket
    s3.put_object_tagging(Bucket=bucket, Key=key,
                          Tagging={"TagSet": [{"Key": k, "Value": v} for k, v in tags.items()]})
    if lock_until is not None:
        s3.put_object_retention(Bucket=bucket, Key=key,
                                Retention={"Mode": "GOVERNANCE", "RetainUntilDate": lock_until})


def erase(key: str) -> None:
    """Remove every version of the object (a delete marker alone would keep the data). The
    governance-mode lock set at scheduling protects it until its keep-until date; the sweep
    acts only after that date, so it may bypass the lock."""
    s3, bucket = client("s3"), get_settings().documents_bucket
    versions = s3.list_object_versions(Bucket=bucket, Prefix=key)
    for version in [*versions.get("Versions", []), *versions.get("DeleteMarkers", [])]:
        if version["Key"] == key:
            s3.delete_object(Bucket=bucket, Key=key, VersionId=version["VersionId"], BypassGovernanceRetention=True)


def read_bytes(key: str) -> bytes:
    return client("s3").get_object(Bucket=get_settings().documents_bucket, Key=key)["Body"].read()


def replace(key: str, body: bytes) -> None:
    """Erase every version of the object, then store `body` in its place."""
    settings = get_settings()
    erase(key)
    client("s3").put_object(Bucket=settings.documents_bucket, Key=key, Body=body,
                            ServerSideEncryption="aws:kms", SSEKMSKeyId=settings.data_key_id, Tagging=tagging(key))
