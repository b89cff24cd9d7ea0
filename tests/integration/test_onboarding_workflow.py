"""Sign-ups driven through the API and the real onboarding state machine on moto."""
from __future__ import annotations

import json
import time
from datetime import date, timedelta

from chalicelib.stores import AWS, clients
from chalicelib.domain.decisions import OnboardingPolicy
from chalicelib.errors import TransientError
from chalicelib.services import onboarding
from tests.integration.conftest import applicant_body
from tests.integration.mrz_builder import td3

EXPIRY = date.today() + timedelta(days=900)


def start(http, body) -> str:
    response = http.post("/v1/onboarding", body)
    assert response.status_code == 202, response.body
    assert response.json_body["status"] == "RUNNING"
    assert response.headers["Location"] == f"/v1/checkpoints/{response.json_body['checkpoint_id']}"
    return response.json_body["checkpoint_id"]


def history_of(checkpoint_id: str) -> list[dict]:
    return list(AWS.workflows.history(AWS.checkpoints.get(checkpoint_id).execution_arn))


def execution_ended(checkpoint_id: str, timeout: float = 20.0) -> str:
    """The checkpoint is final as soon as its decision is written; the execution may still be
    retrying the task that wrote it, or running MarkFailed. Wait for the execution's own end."""
    arn = AWS.checkpoints.get(checkpoint_id).execution_arn
    deadline = time.monotonic() + timeout
    while (status := AWS.workflows.describe(arn)["status"]) == "RUNNING" and time.monotonic() < deadline:
        time.sleep(0.05)
    return status


def task_names(events: list[dict]) -> list[str]:
    return [e["stateEnteredEventDetails"]["name"] for e in events if "stateEnteredEventDetails" in e]


def reason_codes(checkpoint: dict) -> set[str]:
    return {r["code"] for r in checkpoint["decision"]["reasons"]}


def with_mrz(body: dict, mutate=None) -> dict:
    a, d = body["applicant"], body["document"]
    lines = td3(a["family_name"].upper(), a["given_names"].upper(), d["number"], "SWE",
                date.fromisoformat(a["birth_date"]), "F", date.fromisoformat(d["expiry_date"]))
    d["mrz"] = mutate(lines) if mutate else lines
    return body


def test_clean_signup_is_approved_and_creates_the_customer(http):
    body = with_mrz(applicant_body())
    checkpoint_id = start(http, body)
    final = http.wait_final(checkpoint_id)

    assert final["status"] == "APPROVED"
    assert final["decision"]["decided_by"] == "policy"
    assert {s["name"]: s["verdict"] for s in final["steps"]} == {"identity": "pass", "screening": "pass"}
    assert "risk_rating" not in final  # the channel's view carries no risk data
    seen_by_compliance = http.get(f"/v1/checkpoints/{checkpoint_id}", role="compliance").json_body
    assert {s["name"]: s["verdict"] for s in seen_by_compliance["steps"]} == {
        "identity": "pass", "screening": "pass", "fraud": "pass", "risk": "pass"}
    assert seen_by_compliance["risk_rating"]["level"] == "low"
    assert final["list_versions"]["ofac-sdn"].startswith("2021-07-07-")
    customer = AWS.customers.get(final["customer_id"])
    assert customer.profile.family_name == "Lindqvist"
    assert customer.onboarding_checkpoint_id == checkpoint_id
    assert {c.code for c in customer.verification.checks} >= {"MRZ_CHECK_DIGITS", "MRZ_NAME_MATCH", "DOCUMENT_EXPIRY"}
    entered = task_names(history_of(checkpoint_id))
    assert entered[:2] == ["Documents", "RunChecks"]
    assert {"VerifyIdentity", "ScreenApplicant", "AssessFraud"} <= set(entered[2:11])
    assert entered[-4:] == ["AfterChecks", "RateRisk", "Decide", "Approve"]


def test_expired_document_is_rejected(http):
    body = applicant_body(**{"document.expiry_date": (date.today() - timedelta(days=1)).isoformat()})
    final = http.wait_final(start(http, body))
    assert final["status"] == "REJECTED"
    assert "DOCUMENT_EXPIRY" in reason_codes(final)
    assert "customer_id" not in final


def test_bad_mrz_check_digit_is_rejected(http):
    def corrupt(lines):
        line2 = lines[1]
        wrong = str((int(line2[9]) + 1) % 10)  # the document number's check digit
        return [lines[0], line2[:9] + wrong + line2[10:]]

    final = http.wait_final(start(http, with_mrz(applicant_body(), corrupt)))
    assert final["status"] == "REJECTED"
    assert "MRZ_CHECK_DIGITS" in reason_codes(final)


def test_exact_sanctions_hit_is_rejected(http):
    # OFAC SDN entry 4106: HERRERA BUITRAGO, Helmer; DOB 24 Aug 1951 (2021-07-07 snapshot)
    body = applicant_body(**{"applicant.given_names": "Helmer", "applicant.family_name": "Herrera Buitrago",
                             "applicant.birth_date": "1951-08-24", "applicant.nationality": "CO"})
    final = http.wait_final(start(http, body))
    assert final["status"] == "REJECTED"
    assert "SANCTIONS_MATCH" in reason_codes(final)
    history = json.dumps(history_of(final["checkpoint_id"]), default=str)
    assert "Herrera" not in history and "HERRERA" not in history


def test_name_match_with_other_birth_date_goes_to_review_and_a_decision_resumes_it(http):
    body = applicant_body(**{"applicant.given_names": "Buitrago Helmer", "applicant.family_name": "Herrera",
                             "applicant.birth_date": "1990-02-03"})
    checkpoint_id = start(http, body)
    in_review = http.wait_final(checkpoint_id)
    assert in_review["status"] == "IN_REVIEW"
    assert {r["code"] for r in in_review["review"]["reasons"]} == {"SANCTIONS_POSSIBLE_MATCH"}
    assert "task_token" not in json.dumps(in_review) and "review_task_token" not in json.dumps(in_review)

    assert http.decide(checkpoint_id, "approve", "different person: DOB").status_code == 200
    final = http.wait_final(checkpoint_id, settled=())
    assert final["status"] == "APPROVED"
    assert final["decision"]["decided_by"] == "reviewer"
    assert "REVIEW_APPROVE" in reason_codes(final)
    assert task_names(history_of(checkpoint_id))[-3:] == ["ManualReview", "ReviewOutcome", "Approve"]
    assert final["review"]["decisions"][0]["outcome"] == "approve"


def test_review_decision_is_accepted_once(http):
    body = applicant_body(**{"applicant.given_names": "Helmer", "applicant.family_name": "Herrera Buitrago",
                             "applicant.birth_date": "1980-01-01"})
    checkpoint_id = start(http, body)
    assert http.wait_final(checkpoint_id)["status"] == "IN_REVIEW"
    assert http.decide(checkpoint_id, "reject", "confirmed match", reviewer="officer-3").status_code == 200
    second = http.decide(checkpoint_id, "approve", "second opinion", reviewer="officer-4")
    assert second.status_code == 409 and second.json_body["error"]["code"] == "CONFLICT"
    final = http.wait_final(checkpoint_id, settled=())
    assert final["status"] == "REJECTED"
    assert "REVIEW_REJECT" in reason_codes(final)


def test_review_that_times_out_is_closed_not_left_waiting(http, monkeypatch):
    monkeypatch.setattr(OnboardingPolicy, "review_timeout_seconds", property(lambda self: 1))
    body = applicant_body(**{"applicant.given_names": "Helmer", "applicant.family_name": "Herrera Buitrago",
                             "applicant.birth_date": "1970-05-05"})
    checkpoint_id = start(http, body)
    final = http.wait_final(checkpoint_id, settled=())
    assert final["status"] == "REJECTED"
    assert final["decision"]["decided_by"] == "review-timeout"
    assert "REVIEW_TIMED_OUT" in reason_codes(final)


class Flaky:
    """A verifier that fails transiently `failures` times, then delegates."""

    def __init__(self, inner, failures: int) -> None:
        self.inner, self.failures, self.calls, self.name = inner, failures, 0, "flaky"

    def verify(self, *args):
        self.calls += 1
        if self.calls <= self.failures:
            raise TransientError("identity provider timed out")
        return self.inner.verify(*args)


def test_transient_task_error_is_retried_and_the_checkpoint_completes(http, monkeypatch):
    flaky = Flaky(onboarding.VERIFIER, failures=2)
    monkeypatch.setattr(onboarding, "VERIFIER", flaky)
    checkpoint_id = start(http, applicant_body())
    final = http.wait_final(checkpoint_id, timeout=30)
    assert final["status"] == "APPROVED"
    assert flaky.calls == 3
    failed = [e for e in history_of(checkpoint_id) if e["type"] == "LambdaFunctionFailed"]
    assert [e["lambdaFunctionFailedEventDetails"]["error"] for e in failed] == ["TransientError", "TransientError"]


def test_permanent_task_error_ends_failed_with_the_reason(http, stack, monkeypatch):
    class Broken:
        name = "broken"

        def verify(self, *args):
            raise ValueError("identity provider rejected the request format")

    monkeypatch.setattr(onboarding, "VERIFIER", Broken())
    checkpoint_id = start(http, applicant_body())
    final = http.wait_final(checkpoint_id)
    assert final["status"] == "FAILED"
    assert final["failure"] == {"error": "ValueError", "cause": "identity provider rejected the request format"}
    assert execution_ended(checkpoint_id) == "FAILED"
    assert task_names(history_of(checkpoint_id))[-2:] == ["MarkFailed", "Failed"]
    tags = clients.client("s3").get_object_tagging(Bucket=stack.environment["DOCUMENTS_BUCKET"],
                                                   Key=f"checkpoints/{checkpoint_id}/application.json")["TagSet"]
    assert {"Key": "record_class", "Value": "abandoned_application"} in tags  # never decided: its own, shorter rule
    assert {"Key": "rule", "Value": "all-abandoned-application"} in tags
