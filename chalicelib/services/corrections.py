"""Fixing a sign-up instead of starting again. A check the customer can correct (verdict action:
an MRZ that disagrees with the form, an unreadable image, an invalid phone number) puts the
sign-up in ACTION_REQUIRED (the workflow's AwaitCorrection step, a task-token wait); the channel
sends the corrected fields (`PATCH /v1/checkpoints/{id}`, a JSON merge patch of the application)
or uploads the named side again and completes the documents; the workflow runs again only the
checks those fields affect, with the same checkpoint id and one history in which every correction
is recorded by field name. After the policy's number of corrections, a sign-up that still has
something to correct ends REJECTED (CORRECTIONS_EXHAUSTED)."""
from __future__ import annotations

from chalicelib.api.models import ApplicationPatch
from chalicelib.domain.actors import Caller
from chalicelib.domain.checkpoint import Checkpoint, CheckpointKind, CheckpointStatus, Correction, iso, utc_now
from chalicelib.domain.corrections import CheckStep, actions_of, apply_patch, rerun_flags, steps_reading
from chalicelib.domain.ids import new_id
from chalicelib.errors import Conflict, InvalidField
from chalicelib.policies import onboarding_policy
from chalicelib.services import access, events
from chalicelib.services.onboarding import application_of
from chalicelib.stores import AWS, Stores
from chalicelib.stores.document_bucket import corrected_application_key
from chalicelib.stores.workflows import TaskTokenExpired

IMAGES_FIELD = "document.images"


class NotAwaitingCorrection(Conflict):
    code = "NOT_AWAITING_CORRECTION"


def await_correction(checkpoint_id: str, task_token: str, stores: Stores = AWS) -> None:
    """The workflow's AwaitCorrection step: ACTION_REQUIRED with what to correct (the reasons of
    the steps whose verdict is action, each naming its field) and the token a correction resumes;
    a `checkpoint.action_required` event goes to the channel."""
    checkpoint = stores.checkpoints.get(checkpoint_id)
    stores.checkpoints.await_correction(checkpoint_id, task_token, actions_of(checkpoint.steps.values()))
    events.publish_checkpoint_changes(checkpoint_id, stores)


def _waiting(caller: Caller, checkpoint_id: str, stores: Stores) -> Checkpoint:
    checkpoint = access.checkpoint(caller, checkpoint_id, stores)
    if checkpoint.kind is not CheckpointKind.ONBOARDING or checkpoint.status is not CheckpointStatus.ACTION_REQUIRED:
        raise NotAwaitingCorrection(f"checkpoint {checkpoint_id} is {checkpoint.status.value}, not waiting for a "
                                    "correction")
    return checkpoint


def correct(caller: Caller, checkpoint_id: str, patch: ApplicationPatch, stores: Stores = AWS) -> Checkpoint:
    """Merge the corrected fields into the application and run again the checks they affect. A
    patch that changes nothing is a 400; a checkpoint not waiting for a correction 409."""
    checkpoint = _waiting(caller, checkpoint_id, stores)
    corrected, fields = apply_patch(application_of(checkpoint_id, stores, checkpoint.request_key), patch.members())
    if not fields:
        raise InvalidField("(body)", "changes no field of the application")
    key = corrected_application_key(checkpoint_id, new_id("cor"))
    stores.documents.put_json(key, corrected)
    return _resume(caller, checkpoint, fields, steps_reading(fields), key, stores)


def resubmit_images(caller: Caller, checkpoint: Checkpoint, stores: Stores = AWS) -> Checkpoint:
    """The channel uploaded again the sides the actions name and completed the documents: the
    identity and fraud checks run again on the images now in place."""
    sides = tuple(sorted({a.field for a in checkpoint.actions if a.field and a.field.startswith(IMAGES_FIELD)}))
    if not sides:
        raise NotAwaitingCorrection("no document image is waiting to be uploaded again; correct the fields named "
                                    "in actions with PATCH")
    return _resume(caller, checkpoint, sides, steps_reading([IMAGES_FIELD]), None, stores)


def _resume(caller: Caller, checkpoint: Checkpoint, fields: tuple[str, ...], steps: tuple[CheckStep, ...],
            request_key: str | None, stores: Stores) -> Checkpoint:
    checkpoint_id = checkpoint.checkpoint_id
    done = len(checkpoint.corrections) + 1
    correction = Correction(at=iso(utc_now()), by=caller.subject, fields=fields, rerun=tuple(s.value for s in steps))
    try:
        token = stores.checkpoints.correct(checkpoint_id, correction, request_key)
    except Conflict:
        raise NotAwaitingCorrection(f"checkpoint {checkpoint_id} is no longer waiting for a correction") from None
    try:
        stores.workflows.send_task_success(token, {  # the workflow's $.correction
            "rerun": rerun_flags(steps), "fields": list(fields), "corrections": done,
            "limit_reached": done >= onboarding_policy().corrections.max_corrections,
            "application_key": request_key or checkpoint.request_key})  # the write above made it current
    except TaskTokenExpired:
        raise NotAwaitingCorrection("the wait for a correction had already timed out; the sign-up was not "
                                    "approved") from None
    finally:
        events.publish_checkpoint_changes(checkpoint_id, stores)
    return stores.checkpoints.get(checkpoint_id)
