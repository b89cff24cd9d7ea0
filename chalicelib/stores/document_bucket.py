"""The documents bucket (S3, SSE-KMS): applications, check results, document images,
transactions and export packages.

    checkpoints/<checkpoint id>/application.json | closure-request.json
    checkpoints/<checkpoint id>/applications/<correction id>.json   a sign-up's corrected application
    checkpoints/<checkpoint id>/results/<step>.json | plan.json (a closure's plan basis)
    checkpoints/<checkpoint id>/documents/<side>
    checkpoints/<checkpoint id>/notes/<sequence>.json   a reviewer's note on the case (written once)
    customers/<customer id>/transactions/<checkpoint id>.jsonl
    customers/<customer id>/exports/<export id>.zip
    inbox/...                                   files the core banking system drops

Keys are built from checkpoint, customer and export ids only; the objects hold the personal data.
Every object is written with its retention record class as a tag.
"""
from __future__ import annotations

import hashlib
from collections.abc import Iterable, Iterator
from urllib.parse import parse_qs, urlsplit
from datetime import datetime
from typing import Protocol, TypeVar

from botocore.exceptions import ClientError
from pydantic import BaseModel

from chalicelib.domain.models import Frozen
from chalicelib.domain.record_classes import tagging
from chalicelib.errors import Conflict, NotFound
from chalicelib.settings import get_settings
from chalicelib.stores.clients import client, presigner
from chalicelib.stores.stored import parse_json

M = TypeVar("M", bound=BaseModel)
PART_SIZE = 8 * 1024 * 1024  # S3 needs >= 5 MiB per part but the last; 8 MiB reaches ~80 GB in 10k parts


def application_key(checkpoint_id: str) -> str:
    return f"checkpoints/{checkpoint_id}/application.json"


def corrected_application_key(checkpoint_id: str, correction_id: str) -> str:
    """Each correction's application is a new object (the checkpoint's request_key moves to it in
    the write that wins the correction), so a correction that loses a race changes nothing."""
    return f"checkpoints/{checkpoint_id}/applications/{correction_id}.json"


def closure_request_key(checkpoint_id: str) -> str:
    return f"checkpoints/{checkpoint_id}/closure-request.json"


def transactions_key(customer_id: str, checkpoint_id: str) -> str:
    """Transactions live with the customer's records: retention and exports work on them."""
    return f"customers/{customer_id}/transactions/{checkpoint_id}.jsonl"


def result_key(checkpoint_id: str, name: str) -> str:
    return f"checkpoints/{checkpoint_id}/results/{name}.json"


def plan_key(checkpoint_id: str) -> str:
    """What a closure's start fixed of its plan (amounts, counterparties: never in the workflow)."""
    return result_key(checkpoint_id, "plan")


def upload_key(checkpoint_id: str, side: str) -> str:
    return f"checkpoints/{checkpoint_id}/documents/{side}"


def notes_prefix(checkpoint_id: str) -> str:
    return f"checkpoints/{checkpoint_id}/notes/"


def note_key(checkpoint_id: str, sequence: int) -> str:
    return f"{notes_prefix(checkpoint_id)}{sequence:06d}.json"


def package_key(customer_id: str, export_id: str) -> str:
    return f"customers/{customer_id}/exports/{export_id}.zip"


class PresignedRequest(Frozen):
    """A request a caller makes to S3 directly: every signed header with the value it must carry."""

    method: str
    url: str
    headers: dict[str, str]


def _signed_headers(url: str, values: dict[str, str]) -> dict[str, str]:
    """The headers the URL's signature covers (but host, which every client sends), with their
    values; a signed header this function was not given a value for is a bug, not a 403 later."""
    signed = parse_qs(urlsplit(url).query)["X-Amz-SignedHeaders"][0].split(";")
    missing = [name for name in signed if name != "host" and name not in values]
    if missing:
        raise ValueError(f"no value for signed header(s) {', '.join(missing)}")
    return {name: values[name] for name in signed if name != "host"}


class DocumentStore(Protocol):
    def put_json(self, key: str, model: BaseModel) -> None: ...
    def get_json(self, key: str, model: type[M]) -> M: ...
    def put_jsonl(self, key: str, models: Iterable[BaseModel]) -> None: ...
    def iter_lines(self, key: str) -> Iterator[tuple[int, bytes]]: ...
    def exists(self, key: str) -> bool: ...
    def put_new(self, key: str, body: bytes, content_type: str) -> bool: ...
    def copy(self, source_key: str, target_key: str) -> None: ...
    def delete(self, key: str) -> None: ...
    def presigned_upload(self, key: str, content_type: str, size: int, expires_in: int) -> PresignedRequest: ...
    def upload_stream(self, key: str, chunks: Iterable[bytes], content_type: str) -> tuple[int, str]: ...
    def download_link(self, key: str, seconds: int) -> str: ...
    def keys_under(self, prefix: str) -> Iterator[tuple[str, datetime]]: ...
    def stamp_retention(self, key: str, tags: dict[str, str], lock_until: datetime | None) -> None: ...
    def erase(self, key: str) -> None: ...
    def set_legal_hold(self, key: str, on: bool) -> None: ...
    def read_bytes(self, key: str) -> bytes: ...
    def read_upload(self, key: str) -> tuple[bytes, str]: ...
    def replace(self, key: str, body: bytes) -> None: ...


def _missing(exc: ClientError) -> bool:
    return exc.response["Error"]["Code"] in ("NoSuchKey", "404", "NotFound")


class DocumentBucket:
    """`DocumentStore` on S3 (the bucket named by the DOCUMENTS_BUCKET setting), SSE-KMS with the
    stack's data key."""

    @staticmethod
    def _encryption() -> dict[str, str]:
        return {"ServerSideEncryption": "aws:kms", "SSEKMSKeyId": get_settings().data_key_id}

    @staticmethod
    def _bucket() -> str:
        return get_settings().documents_bucket

    def put_json(self, key: str, model: BaseModel) -> None:
        client("s3").put_object(Bucket=self._bucket(), Key=key, Body=model.model_dump_json().encode(),
                                ContentType="application/json", Tagging=tagging(key), **self._encryption())

    def get_json(self, key: str, model: type[M]) -> M:
        return parse_json(model, self.read_bytes(key), "document", key)

    def put_jsonl(self, key: str, models: Iterable[BaseModel]) -> None:
        body = b"".join(m.model_dump_json().encode() + b"\n" for m in models)
        client("s3").put_object(Bucket=self._bucket(), Key=key, Body=body, ContentType="application/x-ndjson",
                                Tagging=tagging(key), **self._encryption())

    def iter_lines(self, key: str) -> Iterator[tuple[int, bytes]]:
        """(line number, raw line) of an S3 object, streamed; blank lines skipped."""
        try:
            body = client("s3").get_object(Bucket=self._bucket(), Key=key)["Body"]
        except ClientError as exc:
            if _missing(exc):
                raise NotFound(key) from exc
            raise
        for number, line in enumerate(body.iter_lines(), start=1):
            if line.strip():
                yield number, line

    def exists(self, key: str) -> bool:
        try:
            client("s3").head_object(Bucket=self._bucket(), Key=key)
            return True
        except ClientError as exc:
            if _missing(exc):
                return False
            raise

    def put_new(self, key: str, body: bytes, content_type: str) -> bool:
        """Store `body` at `key` only if no object is there (S3 conditional write); False if one is."""
        try:
            client("s3").put_object(Bucket=self._bucket(), Key=key, Body=body, ContentType=content_type,
                                    IfNoneMatch="*", Tagging=tagging(key), **self._encryption())
            return True
        except ClientError as exc:
            if exc.response["Error"]["Code"] in ("PreconditionFailed", "ConditionalRequestConflict", "412", "409"):
                return False
            raise

    def copy(self, source_key: str, target_key: str) -> None:
        bucket = self._bucket()
        client("s3").copy_object(Bucket=bucket, Key=target_key, CopySource={"Bucket": bucket, "Key": source_key},
                                 TaggingDirective="REPLACE", Tagging=tagging(target_key), **self._encryption())

    def delete(self, key: str) -> None:
        client("s3").delete_object(Bucket=self._bucket(), Key=key)

    def presigned_upload(self, key: str, content_type: str, size: int, expires_in: int) -> PresignedRequest:
        """A PUT bound to this key, content type, exact size, SSE-KMS with the stack's key and the
        record-class tag, all signed: the caller must send every header returned, as returned."""
        encryption = self._encryption()
        headers = {"content-type": content_type, "content-length": str(size),
                   "x-amz-server-side-encryption": encryption["ServerSideEncryption"],
                   "x-amz-server-side-encryption-aws-kms-key-id": encryption["SSEKMSKeyId"],
                   "x-amz-tagging": tagging(key)}
        url = presigner(get_settings().public_endpoint).generate_presigned_url(
            "put_object",
            Params={"Bucket": self._bucket(), "Key": key, "ContentType": content_type, "ContentLength": size,
                    "ServerSideEncryption": encryption["ServerSideEncryption"],
                    "SSEKMSKeyId": encryption["SSEKMSKeyId"], "Tagging": tagging(key)},
            ExpiresIn=expires_in,
        )
        return PresignedRequest(method="PUT", url=url, headers=_signed_headers(url, headers))

    def upload_stream(self, key: str, chunks: Iterable[bytes], content_type: str) -> tuple[int, str]:
        """Stream `chunks` to S3 as a multipart upload; returns (size, SHA-256 hex). The object only
        exists once the upload completed: on any error the upload is aborted and the error re-raised."""
        s3, bucket = client("s3"), self._bucket()
        upload_id = s3.create_multipart_upload(Bucket=bucket, Key=key, ContentType=content_type,
                                               Tagging=tagging(key), **self._encryption())["UploadId"]
        digest, size, parts, buffer = hashlib.sha256(), 0, [], bytearray()

        def flush() -> None:
            number = len(parts) + 1
            etag = s3.upload_part(Bucket=bucket, Key=key, UploadId=upload_id, PartNumber=number,
                                  Body=bytes(buffer))["ETag"]
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

    def download_link(self, key: str, seconds: int) -> str:
        return presigner(get_settings().public_endpoint).generate_presigned_url(
            "get_object", Params={"Bucket": self._bucket(), "Key": key}, ExpiresIn=seconds)

    def keys_under(self, prefix: str) -> Iterator[tuple[str, datetime]]:
        """(key, last modified) of every object under a prefix, page by page."""
        kwargs = {"Bucket": self._bucket(), "Prefix": prefix}
        while True:
            page = client("s3").list_objects_v2(**kwargs)
            for obj in page.get("Contents", []):
                yield obj["Key"], obj["LastModified"]
            if not page.get("IsTruncated"):
                return
            kwargs["ContinuationToken"] = page["NextContinuationToken"]

    def stamp_retention(self, key: str, tags: dict[str, str], lock_until: datetime | None) -> None:
        """Tag the object with its retention schedule; lock it (Object Lock, governance mode) until
        `lock_until` when its class must stay immutable."""
        s3, bucket = client("s3"), self._bucket()
        s3.put_object_tagging(Bucket=bucket, Key=key,
                              Tagging={"TagSet": [{"Key": k, "Value": v} for k, v in tags.items()]})
        if lock_until is not None:
            s3.put_object_retention(Bucket=bucket, Key=key,
                                    Retention={"Mode": "GOVERNANCE", "RetainUntilDate": lock_until})

    def erase(self, key: str) -> None:
        """Remove every version of the object (a delete marker alone would keep the data). Never
        bypasses Object Lock: a version still retained or under legal hold is a Conflict, and
        nothing of the object is removed after it (the versions are removed oldest first, so the
        current one, if anything, is what remains)."""
        s3, bucket = client("s3"), self._bucket()
        versions = s3.list_object_versions(Bucket=bucket, Prefix=key)
        found = [v for v in [*versions.get("Versions", []), *versions.get("DeleteMarkers", [])] if v["Key"] == key]
        for version in sorted(found, key=lambda v: v["LastModified"]):
            try:
                s3.delete_object(Bucket=bucket, Key=key, VersionId=version["VersionId"])
            except ClientError as exc:
                if exc.response["Error"]["Code"] == "AccessDenied":
                    raise Conflict(f"{key} is still locked (Object Lock retention or legal hold)") from exc
                raise

    def set_legal_hold(self, key: str, on: bool) -> None:
        """An S3 Object Lock legal hold on every version of the object (a hold is per version: an
        older version left without one could be erased): while it is on, no version can be
        deleted, by anyone, whatever its retention date. An object already erased holds nothing."""
        s3, bucket = client("s3"), self._bucket()
        versions = s3.list_object_versions(Bucket=bucket, Prefix=key).get("Versions", [])
        for version in (v for v in versions if v["Key"] == key):
            try:
                s3.put_object_legal_hold(Bucket=bucket, Key=key, VersionId=version["VersionId"],
                                         LegalHold={"Status": "ON" if on else "OFF"})
            except ClientError as exc:
                if not _missing(exc):
                    raise

    def read_bytes(self, key: str) -> bytes:
        try:
            return client("s3").get_object(Bucket=self._bucket(), Key=key)["Body"].read()
        except ClientError as exc:
            if _missing(exc):
                raise NotFound(key) from exc
            raise

    def read_upload(self, key: str) -> tuple[bytes, str]:
        """An uploaded object's bytes and the Content-Type it was uploaded with (signed into its
        presigned PUT: what the channel declared it to be)."""
        try:
            answer = client("s3").get_object(Bucket=self._bucket(), Key=key)
        except ClientError as exc:
            if _missing(exc):
                raise NotFound(key) from exc
            raise
        return answer["Body"].read(), answer.get("ContentType", "")

    def replace(self, key: str, body: bytes) -> None:
        """Erase every version of the object, then store `body` in its place."""
        self.erase(key)
        client("s3").put_object(Bucket=self._bucket(), Key=key, Body=body, Tagging=tagging(key), **self._encryption())
