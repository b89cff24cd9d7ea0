"""Documents inside the sign-up and succession flows.

A sign-up that says which images it will send (`document.images`) first waits for them (the
workflow's AwaitDocuments step: status AWAITING_DOCUMENTS); so does a deceased customer's closure,
for the death certificate and the personal representative's authority (policies/closure.yaml).
The channel (or compliance) asks for a presigned S3 PUT per document (bound to the side, content
type, exact size, SSE-KMS with the stack's key and the record-class tag), uploads it straight to
S3, and completes: the workflow resumes with the documents' S3 keys in its input, never their
content. The policy's timeout ends the sign-up REJECTED (the closure CLOSURE_BLOCKED) with
DOCUMENTS_NOT_RECEIVED."""
from __future__ import annotations

from typing import Any

from chalicelib.api.models import DocumentUploadRequest
from chalicelib.domain.actors import Caller
from chalicelib.domain.checkpoint import Checkpoint, CheckpointKind, CheckpointStatus, iso, utc_now
from chalicelib.domain.models import ImageSide
from chalicelib.errors import CheckpointClosed, Conflict, InvalidField
from chalicelib.domain.closure_plan import ClosurePlan
from chalicelib.services import access, corrections, events, offboarding
from chalicelib.stores import AWS, Stores
from chalicelib.stores.document_bucket import upload_key
from chalicelib.stores.workflows import TaskTokenExpired

UPLOAD_URL_SECONDS = 300


class DocumentsMissing(Conflict):
    """Completing before every announced image has arrived."""

    code = "DOCUMENTS_MISSING"

    def __init__(self, sides: list[str]) -> None:
        super().__init__(f"Not uploaded yet: {', '.join(sides)}.")
        self.fields = tuple((f"document.images.{side}", "has not been uploaded") for side in sides)


def upload(caller: Caller, checkpoint_id: str, request: DocumentUploadRequest, stores: Stores = AWS) -> dict[str, Any]:
    checkpoint = access.checkpoint(caller, checkpoint_id, stores)
    if checkpoint.status.is_final:
        raise CheckpointClosed(f"The checkpoint is {checkpoint.status.value}; no uploads.")
    asked = checkpoint.images if checkpoint.kind is CheckpointKind.OFFBOARDING else tuple(ImageSide)
    if request.side not in asked:
        raise InvalidField("side", f"is not a document this checkpoint asks for ({', '.join(asked) or 'none'})")
    key = upload_key(checkpoint.checkpoint_id, request.side)
    signed = stores.documents.presigned_upload(key, request.content_type, request.size, UPLOAD_URL_SECONDS)
    return {"upload": {"method": signed.method, "url": signed.url, "expires_in": UPLOAD_URL_SECONDS,
                       "headers": signed.headers}, "side": request.side}


def arrived(checkpoint: Checkpoint, stores: Stores = AWS) -> dict[str, bool]:
    """For each announced side, whether its image is in the bucket (all once the channel completed)."""
    if checkpoint.documents_completed_at:
        return dict.fromkeys(checkpoint.images, True)
    return {side: stores.documents.exists(upload_key(checkpoint.checkpoint_id, side)) for side in checkpoint.images}


def await_documents(checkpoint_id: str, task_token: str, stores: Stores = AWS) -> None:
    """The workflow's AwaitDocuments step: wait (AWAITING_DOCUMENTS) with the token the channel's
    completion resumes."""
    stores.checkpoints.await_documents(checkpoint_id, task_token)
    events.publish_checkpoint_changes(checkpoint_id, stores)


def complete(caller: Caller, checkpoint_id: str, stores: Stores = AWS) -> tuple[Checkpoint, ClosurePlan | None]:
    """Every announced document is in: resume the workflow with their keys (409 naming each missing
    side). A sign-up in ACTION_REQUIRED whose actions name an image: the side was uploaded again,
    and its checks run again (services/corrections.py). Returns the checkpoint and, for a closure,
    its plan."""
    checkpoint = access.checkpoint(caller, checkpoint_id, stores)
    if checkpoint.status is CheckpointStatus.ACTION_REQUIRED:
        return corrections.resubmit_images(caller, checkpoint, stores), None
    if checkpoint.status is not CheckpointStatus.AWAITING_DOCUMENTS:
        raise Conflict(f"checkpoint {checkpoint_id} is {checkpoint.status.value}, not waiting for documents")
    missing = [side for side, present in arrived(checkpoint, stores).items() if not present]
    if missing:
        raise DocumentsMissing(missing)
    token = stores.checkpoints.complete_documents(checkpoint_id, iso(utc_now()))
    try:
        stores.workflows.send_task_success(
            token, {"images": {side: upload_key(checkpoint_id, side) for side in checkpoint.images}})
    except TaskTokenExpired:
        raise Conflict("the wait for documents had already timed out; the sign-up was not approved") from None
    finally:
        events.publish_checkpoint_changes(checkpoint_id, stores)
    checkpoint = stores.checkpoints.get(checkpoint_id)
    return checkpoint, offboarding.plan(caller, checkpoint, stores)
