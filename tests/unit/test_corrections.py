"""Corrections of a sign-up (chalicelib/domain/corrections.py): which checks a corrected field
makes run again, the merge patch applied to the application, what the customer is asked to
correct; and the corrections service on in-memory stores (the limit from policies/onboarding.yaml)."""
from __future__ import annotations

from datetime import date

import pytest

from chalicelib.api.models import ApplicationPatch
from chalicelib.domain.actors import Caller, Role
from chalicelib.domain.checkpoint import Checkpoint, CheckpointKind, CheckpointStatus, Reason, Step
from chalicelib.domain.corrections import CheckStep, actions_of, apply_patch, rerun_flags, steps_reading
from chalicelib.domain.models import Address, Applicant, Application, Channel, DocumentType, IdentityDocument, Verdict
from chalicelib.errors import InvalidField
from chalicelib.policies import onboarding_policy
from chalicelib.services import corrections
from tests.unit.fakes import fake_stores

APPLICATION = Application(
    applicant=Applicant(given_names="Maren", family_name="Lindqvist", birth_date=date(1988, 4, 17), nationality="SWE",
                        email="m@example.org", phone="+46701234567",
                        address=Address(line1="Storgatan 12", city="Uppsala", postal_code="75320", country="SWE")),
    document=IdentityDocument(type=DocumentType.PASSPORT, number="XK4419028", issuing_country="SWE",
                              expiry_date=date(2034, 1, 1), issue_date=date(2024, 1, 1)),
    channel=Channel(name="web", reference="r"))
CHANNEL = Caller(role=Role.CHANNEL, subject="web")


@pytest.mark.parametrize(("fields", "steps"), [
    (["document.number"], (CheckStep.IDENTITY, CheckStep.FRAUD)),
    (["applicant.family_name"], tuple(CheckStep)),
    (["applicant.phone"], (CheckStep.FRAUD,)),
    (["applicant.address.line1"], ()),  # nothing reads the street
    (["applicant.address.country"], (CheckStep.FRAUD,)),
    (["document.images.front"], (CheckStep.IDENTITY, CheckStep.FRAUD)),
    (["document.expiry_date", "applicant.email"], (CheckStep.IDENTITY, CheckStep.FRAUD)),
    (["something.new"], tuple(CheckStep)),  # a field no rule knows: everything runs again
])
def test_a_corrected_field_runs_again_only_the_checks_that_read_it(fields, steps):
    assert steps_reading(fields) == steps
    assert rerun_flags(steps) == {s.value: s in steps for s in CheckStep}


def test_a_merge_patch_changes_only_its_members_and_null_removes():
    corrected, changed = apply_patch(APPLICATION, {"document": {"number": "XK4419027", "issue_date": None}})
    assert changed == ("document.issue_date", "document.number")
    assert corrected.document.number == "XK4419027" and corrected.document.issue_date is None
    assert corrected.applicant == APPLICATION.applicant
    assert apply_patch(APPLICATION, {"document": {"number": "XK4419028"}})[1] == ()  # the same value: no change


def test_the_patch_model_validates_like_the_application():
    patch = ApplicationPatch.model_validate({"applicant": {"nationality": "se"}, "document": {"number": " xk1 "}})
    members = patch.members()
    assert members["applicant"]["nationality"] == "SWE"
    with pytest.raises(ValueError):
        ApplicationPatch.model_validate({"document": {"expiry_date": "not a date"}})
    with pytest.raises(ValueError):
        ApplicationPatch.model_validate({"document": {"type": None}})  # a required field cannot be removed


def test_the_customer_is_asked_for_the_fields_of_action_steps_only():
    steps = [Step(name="identity", verdict=Verdict.ACTION, finished_at="t", reasons=(
                 Reason(code="MRZ_DOCUMENT_NUMBER_MATCH", detail="d", field="document.number"),
                 Reason(code="DOCUMENT_VALIDITY_PERIOD", detail="d"))),
             Step(name="fraud", verdict=Verdict.REVIEW, finished_at="t", reasons=(
                 Reason(code="PHONE_INVALID", detail="d", field="applicant.phone"),))]
    assert [(a.field, a.code) for a in actions_of(steps)] == [("document.number", "MRZ_DOCUMENT_NUMBER_MATCH")]


def waiting(stores, corrections_so_far: int = 0) -> str:
    checkpoint_id = "cp_" + "c" * 32
    key = f"checkpoints/{checkpoint_id}/application.json"
    stores.documents.put_json(key, APPLICATION)
    stores.checkpoints.create(Checkpoint(
        checkpoint_id=checkpoint_id, kind=CheckpointKind.ONBOARDING, status=CheckpointStatus.RUNNING,
        created_at="2026-12-01T10:00:00.000Z", updated_at="2026-12-01T10:00:00.000Z", channel_name="web",
        channel_reference="r", owner="web", request_key=key, policy_version="1"))
    stores.checkpoints.await_correction(checkpoint_id, "token-0", (
        Reason(code="MRZ_DOCUMENT_NUMBER_MATCH", detail="d", field="document.number"),))
    for n in range(corrections_so_far):
        corrections.correct(CHANNEL, checkpoint_id, ApplicationPatch.model_validate(
            {"document": {"number": f"XK000000{n}"}}), stores)
        stores.checkpoints.await_correction(checkpoint_id, f"token-{n + 1}", ())
    return checkpoint_id


def test_a_correction_resumes_the_workflow_with_what_to_run_again(unit_settings):
    stores = fake_stores()
    checkpoint_id = waiting(stores)
    corrected = corrections.correct(CHANNEL, checkpoint_id,
                                    ApplicationPatch.model_validate({"document": {"number": "XK4419027"}}), stores)
    assert corrected.status is CheckpointStatus.RUNNING and corrected.corrections[0].fields == ("document.number",)
    [(token, output)] = stores.workflows.resumed
    assert token == "token-0"
    assert output == {"rerun": {"identity": True, "screening": False, "fraud": True}, "fields": ["document.number"],
                      "corrections": 1, "limit_reached": False, "application_key": corrected.request_key}
    assert stores.documents.get_json(corrected.request_key, Application).document.number == "XK4419027"
    assert "XK4419027" not in str(corrected.corrections)  # the history names fields, never values


@pytest.mark.parametrize(("before", "limit_reached"), [(1, False), (2, True)])
def test_the_last_correction_the_policy_allows_says_so(unit_settings, before, limit_reached):
    assert onboarding_policy().corrections.max_corrections == 3
    stores = fake_stores()
    checkpoint_id = waiting(stores, corrections_so_far=before)
    corrections.correct(CHANNEL, checkpoint_id, ApplicationPatch.model_validate({"document": {"number": "XK4419027"}}),
                        stores)
    assert stores.workflows.resumed[-1][1]["limit_reached"] is limit_reached


def test_a_correction_that_changes_nothing_is_refused_naming_the_body(unit_settings):
    stores = fake_stores()
    checkpoint_id = waiting(stores)
    with pytest.raises(InvalidField) as refused:
        corrections.correct(CHANNEL, checkpoint_id,
                            ApplicationPatch.model_validate({"document": {"number": "XK4419028"}}), stores)
    assert refused.value.field == "(body)"
    assert stores.checkpoints.get(checkpoint_id).status is CheckpointStatus.ACTION_REQUIRED
