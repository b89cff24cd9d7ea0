"""Document images a channel uploads for a checkpoint it started: a presigned S3 PUT bound to the
side, content type and exact size, stored SSE-KMS with its record class."""
from __future__ import annotations

from typing import Any

from chalicelib.api.models import DocumentUploadRequest
from chalicelib.domain.actors import Caller
from chalicelib.domain.record_classes import tagging
from chalicelib.errors import CheckpointClosed
from chalicelib.services import access
from chalicelib.stores import AWS, Stores
from chalicelib.stores.document_bucket import upload_key

UPLOAD_URL_SECONDS = 300


def upload(caller: Caller, checkpoint_id: str, request: DocumentUploadRequest, stores: Stores = AWS) -> dict[str, Any]:
    checkpoint = access.checkpoint(caller, checkpoint_id, stores)
    if checkpoint.status.is_final:
        raise CheckpointClosed(f"The checkpoint is {checkpoint.status.value}; no uploads.")
    key = upload_key(checkpoint.checkpoint_id, request.side)
    url = stores.documents.presigned_upload(key, request.content_type, request.size, UPLOAD_URL_SECONDS)
    return {"upload": {"method": "PUT", "url": url, "expires_in": UPLOAD_URL_SECONDS,
                       "headers": {"Content-Type": request.content_type, "Content-Length": str(request.size),
                                   "x-amz-tagging": tagging(key)}},
            "side": request.side}
