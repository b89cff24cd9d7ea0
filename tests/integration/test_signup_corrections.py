"""Fixing a sign-up instead of starting again, through the API and the real onboarding state
machine on moto: a check the customer can correct waits (AwaitCorrection, a task-token wait) in
ACTION_REQUIRED naming the field; PATCH /v1/checkpoints/{id} (a JSON merge patch) resumes the same
execution, which runs again only the checks the corrected fields affect."""
from __future__ import annotations

from chalicelib.stores import AWS
from tests.integration.conftest import applicant_body
from tests.integration.test_onboarding_workflow import history_of, reason_codes, start, task_names, with_mrz

WAITING = ("IN_REVIEW", "ACTION_REQUIRED")


def mistyped_number() -> tuple[dict, str]:
    """A sign-up whose MRZ is valid and whose form has a typo in the document number."""
    body = with_mrz(applicant_body())
    right = body["document"]["number"]
    body["document"]["number"] = right[:-1] + ("8" if right[-1] != "8" else "3")
    return body, right


def correct(http, checkpoint_id: str, patch: dict, **kwargs):
    return http.patch(f"/v1/checkpoints/{checkpoint_id}", patch, **kwargs)


def test_a_typo_in_the_document_number_is_corrected_and_the_sign_up_approved(http):
    body, right = mistyped_number()
    checkpoint_id = start(http, body)
    waiting = http.wait_final(checkpoint_id, settled=WAITING)
    assert waiting["status"] == "ACTION_REQUIRED", waiting
    assert [(a["field"], a["code"]) for a in waiting["actions"]] == [("document.number", "MRZ_DOCUMENT_NUMBER_MATCH")]

    answer = correct(http, checkpoint_id, {"document": {"number": right}})
    assert answer.status_code == 200, answer.body
    assert answer.json_body["status"] == "RUNNING" and answer.json_body["checkpoint_id"] == checkpoint_id
    final = http.wait_final(checkpoint_id)
    assert final["status"] == "APPROVED", final
    [correction] = final["corrections"]
    assert correction["fields"] == ["document.number"] and correction["rerun"] == ["identity", "fraud"]
    assert AWS.customers.get(final["customer_id"]).onboarding_checkpoint_id == checkpoint_id

    entered = task_names(history_of(checkpoint_id))  # one execution, one history
    assert entered.count("AwaitCorrection") == 1
    assert entered.count("VerifyIdentity") == 2 and entered.count("AssessFraud") == 2
    assert entered.count("ScreenApplicant") == 1 and entered.count("KeepScreenApplicant") == 1
    statuses = [c["status"] for c in AWS.checkpoints.get(checkpoint_id).model_dump()["status_history"]]
    assert statuses[-3:] == ["ACTION_REQUIRED", "RUNNING", "APPROVED"]


def test_a_wrong_correction_still_names_the_field_and_the_limit_ends_it(http):
    body, right = mistyped_number()
    checkpoint_id = start(http, body)
    assert http.wait_final(checkpoint_id, settled=WAITING)["status"] == "ACTION_REQUIRED"
    typed = body["document"]["number"]
    wrong = [right[:-1] + digit for digit in "0123456789" if right[:-1] + digit not in (right, typed)][:3]
    for attempt in (1, 2):  # the policy allows three corrections
        assert correct(http, checkpoint_id, {"document": {"number": wrong[attempt - 1]}},
                       content_type="application/json").status_code == 200
        again = http.wait_final(checkpoint_id, settled=WAITING)
        assert again["status"] == "ACTION_REQUIRED", again
        assert [a["field"] for a in again["actions"]] == ["document.number"]
        assert len(again["corrections"]) == attempt
    assert correct(http, checkpoint_id, {"document": {"number": wrong[2]}}).status_code == 200
    final = http.wait_final(checkpoint_id)
    assert final["status"] == "REJECTED" and "CORRECTIONS_EXHAUSTED" in reason_codes(final)
    assert len(final["corrections"]) == 3
    assert correct(http, checkpoint_id, {"document": {"number": right}}).json_body["error"]["code"] == \
        "NOT_AWAITING_CORRECTION"


def test_a_correction_is_validated_like_the_application_and_guarded_by_its_etag(http):
    body, right = mistyped_number()
    checkpoint_id = start(http, body)
    assert http.wait_final(checkpoint_id, settled=WAITING)["status"] == "ACTION_REQUIRED"
    path = f"/v1/checkpoints/{checkpoint_id}"

    bad = correct(http, checkpoint_id, {"document": {"number": "no spaces!"}})
    assert bad.status_code == 400
    assert [f["field"] for f in bad.json_body["error"]["fields"]] == ["document.number"]
    unknown = correct(http, checkpoint_id, {"document": {"colour": "blue"}})
    assert unknown.status_code == 400 and unknown.json_body["error"]["fields"][0]["field"] == "document.colour"
    unchanged = correct(http, checkpoint_id, {"document": {"number": body["document"]["number"]}})
    assert unchanged.status_code == 400

    stale = correct(http, checkpoint_id, {"document": {"number": right}}, headers={"If-Match": '"0123456789abcdef"'})
    assert stale.status_code == 412 and stale.json_body["error"]["fields"][0]["field"] == "header.If-Match"
    assert http.get(path).json_body["status"] == "ACTION_REQUIRED"  # nothing changed
    etag = http.client.http.get(path, headers=http.auth("channel")).headers["ETag"]
    assert correct(http, checkpoint_id, {"document": {"number": right}}, headers={"If-Match": etag}).status_code == 200
    assert http.wait_final(checkpoint_id)["status"] == "APPROVED"


def test_only_a_waiting_sign_up_takes_a_correction(http):
    checkpoint_id = start(http, with_mrz(applicant_body()))
    assert http.wait_final(checkpoint_id)["status"] == "APPROVED"
    answer = correct(http, checkpoint_id, {"applicant": {"phone": "+46 70 765 43 21"}})
    assert answer.status_code == 409 and answer.json_body["error"]["code"] == "NOT_AWAITING_CORRECTION"
    other = http.patch(f"/v1/checkpoints/{checkpoint_id}", {"applicant": {"phone": "+46 70 765 43 21"}},
                       headers=http.auth("channel", "another-channel"))
    assert other.status_code == 404  # another channel's checkpoint does not exist for it
