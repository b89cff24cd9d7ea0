"""Sign-up: start the checkpoint (POST /v1/onboarding) and verify the applicant's identity
(the workflow's VerifyIdentity step). The application a step reads is the checkpoint's current
one (`application_of`): the first as sent, or the latest correction (services/corrections.py);
the workflow carries its S3 key (`$.correction.application_key`), so a step need not read the
checkpoint to find it."""
from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from chalicelib.api.models import OnboardingRequest
from chalicelib.domain.actors import Caller
from chalicelib.domain.checkpoint import Checkpoint, CheckpointKind, CheckpointStatus, StatusChange, Step, iso, utc_now
from chalicelib.domain.decisions import judge
from chalicelib.domain.corrections import CheckStep, rerun_flags
from chalicelib.domain.identity.images import ImageLimits, UploadedImage
from chalicelib.domain.identity.verification import DocumentChecksVerifier, IdentityPolicy, IdentityVerifier
from chalicelib.domain.identity_graph import Hasher, channel_hashes
from chalicelib.domain.ids import new_id
from chalicelib.domain.models import Application
from chalicelib.errors import InvalidField
from chalicelib.policies import fraud_policy, onboarding_policy
from chalicelib.services.idempotency import call_once
from chalicelib.settings import get_settings
from chalicelib.stores import AWS, Stores
from chalicelib.stores.document_bucket import application_key, result_key
from chalicelib.stores.workflows import execution_arn

IDENTITY_STEP = "identity"
VERIFIER: IdentityVerifier = DocumentChecksVerifier()  # a vendor adapter (Onfido, Jumio...) would go here


def new_checkpoint_id() -> str:
    return new_id("cp")


def _start(identity: dict[str, Any], *, caller: Caller, request: OnboardingRequest, stores: Stores,
           made: list[Checkpoint]) -> dict[str, str]:
    """Store the application, create the checkpoint, start its workflow (and put it in `made`). If
    starting fails, the checkpoint and application are removed again so nothing half-written remains."""
    device, ip_prefix = None, None
    if request.channel.device_id or request.channel.ip:
        bits = fraud_policy().velocity.ip_prefix_bits
        device, ip_prefix = channel_hashes(request.channel.device_id, request.channel.ip,
                                           Hasher(stores.hash_key.key()), bits.ipv4, bits.ipv6)
    application = request.to_application(device, ip_prefix)
    checkpoint_id, now, policy = new_checkpoint_id(), iso(utc_now()), onboarding_policy()
    key = application_key(checkpoint_id)
    stores.documents.put_json(key, application)
    state_machine_arn = get_settings().onboarding_state_machine_arn
    images = tuple(side.value for side in application.document.images)
    checkpoint = Checkpoint(checkpoint_id=checkpoint_id, kind=CheckpointKind.ONBOARDING,
                            status=CheckpointStatus.RUNNING, created_at=now, updated_at=now,
                            channel_name=application.channel.name, channel_reference=application.channel.reference,
                            owner=caller.subject, request_key=key, policy_version=policy.version,
                            execution_arn=execution_arn(state_machine_arn, checkpoint_id), images=images,
                            status_history=(StatusChange(status=CheckpointStatus.RUNNING, at=now),))
    try:
        stores.checkpoints.create(checkpoint)
        stores.workflows.start(state_machine_arn, checkpoint_id, {
            "checkpoint_id": checkpoint_id, "review_timeout_seconds": policy.review_timeout_seconds,
            "documents_expected": bool(images),
            "documents_timeout_seconds": policy.document_images.await_timeout_seconds,
            "documents": {"images": {}},
            "correction_timeout_seconds": policy.corrections.timeout_seconds,
            "correction": {"rerun": rerun_flags(CheckStep), "limit_reached": False, "application_key": key}})
    except Exception:
        stores.checkpoints.delete(checkpoint_id)
        stores.documents.delete(key)
        raise
    made.append(checkpoint)
    return {"checkpoint_id": checkpoint_id}


def start(caller: Caller, request: OnboardingRequest, idempotency_key: str, stores: Stores = AWS) -> Checkpoint:
    """Start (or, for a repeated Idempotency-Key with the same request, return) a sign-up checkpoint."""
    document = request.document
    missing = [side.value for side in onboarding_policy().document_images.required[document.type]
               if side not in document.images]
    if missing:
        raise InvalidField("document.images", f"must include {', '.join(missing)} for a {document.type.value}")
    made: list[Checkpoint] = []  # what this call created; a repeated request reads what the first one did
    started = call_once(_start, stores.idempotency.persistence(), caller.subject, idempotency_key, request,
                        caller=caller, request=request, stores=stores, made=made)
    return made[0] if made else stores.checkpoints.get(started["checkpoint_id"])


def application_of(checkpoint_id: str, stores: Stores = AWS, key: str | None = None) -> Application:
    """The sign-up's application as it stands (its latest correction): at `key` when the caller
    has it (the workflow's state, a checkpoint just read), else where the checkpoint says."""
    return stores.documents.get_json(key or stores.checkpoints.get(checkpoint_id).request_key, Application)


def uploaded_images(images: Mapping[str, str] | None, stores: Stores = AWS) -> dict[str, UploadedImage]:
    """The uploaded images by side, with the type each was declared as (the workflow passes keys)."""
    uploaded = {}
    for side, key in (images or {}).items():
        content, declared = stores.documents.read_upload(key)
        uploaded[side] = UploadedImage(content=content, declared_type=declared)
    return uploaded


def verify_identity(checkpoint_id: str, images: Mapping[str, str] | None = None, stores: Stores = AWS,
                    verifier: IdentityVerifier | None = None, application_key: str | None = None) -> Step:
    """Check the applicant's document (expiry, age, MRZ; the uploaded images, whose S3 keys the
    workflow passes, as it passes the current application's) and record the step's verdict."""
    policy = onboarding_policy()
    application = application_of(checkpoint_id, stores, application_key)
    uploaded = uploaded_images(images, stores)
    now = utc_now()
    image_rules = policy.document_images.checks
    rules = IdentityPolicy(minimum_age_years=policy.minimum_age.years,
                           max_document_validity_years=policy.document_validity.max_years,
                           images=ImageLimits(min_width=image_rules.min_width, min_height=image_rules.min_height,
                                              same_image_max_distance=image_rules.same_image_max_distance))
    result = (verifier or VERIFIER).verify(application, now.date(), rules, uploaded)
    key = result_key(checkpoint_id, IDENTITY_STEP)
    stores.documents.put_json(key, result)
    verdict, reasons = judge(result.checks, policy)
    step = Step(name=IDENTITY_STEP, verdict=verdict, reasons=reasons, finished_at=iso(now), result_key=key,
                verification=result)
    stores.checkpoints.record_step(checkpoint_id, step)
    return step
