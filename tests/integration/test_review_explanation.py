"""The review queue says why each checkpoint waits: a screening match with its explanation, or the
exit-risk red flags with their evidence (ids, amounts, masked IBANs; no counterparty names)."""
from __future__ import annotations

import dataclasses
import json

from chalicelib.services import checkpoints as checkpoint_service
from tests.integration.conftest import applicant_body
from tests.integration.test_offboarding_workflow import COUNTERPARTY, PAYEE_IBAN, closure, large_outflow, new_customer

# OFAC SDN entry 4106: HERRERA BUITRAGO, Helmer, born 1951; the same name born in 1990 -> review band.
POSSIBLE_MATCH = {"applicant.given_names": "Helmer", "applicant.family_name": "Herrera Buitrago",
                  "applicant.birth_date": "1990-02-03", "applicant.nationality": "CO"}


def queued(http, checkpoint_id: str) -> dict:
    cursor = ""
    while True:
        page = http.get(f"/v1/reviews?limit=100{cursor}", role="compliance").json_body
        found = [item for item in page["items"] if item["checkpoint_id"] == checkpoint_id]
        if found or not page["next"]:
            assert found, f"{checkpoint_id} is not in the queue"
            return found[0]
        cursor = f"&cursor={page['next']}"


def test_a_possible_sanctions_match_is_explained_in_the_queue(http):
    checkpoint_id = http.post("/v1/onboarding", applicant_body(**POSSIBLE_MATCH)).json_body["checkpoint_id"]
    assert http.wait_final(checkpoint_id)["status"] == "IN_REVIEW"

    explanation = queued(http, checkpoint_id)["explanation"]
    [screening] = [e for e in explanation if e["step"] == "screening"]
    [rating] = [e for e in explanation if e["step"] == "risk"]  # the customer risk rating, always explained
    assert rating["rating"]["level"] in {"low", "medium"} and all(f["source"] for f in rating["rating"]["factors"])
    assert screening["step"] == "screening" and screening["list_versions"]["ofac-sdn"].startswith("2021-07-07-")
    [match] = [m for m in screening["matches"] if m["source"] == "ofac-sdn" and m["source_id"] == "4106"]
    assert match["subject"] == "applicant" and match["band"] == "review"
    assert match["matched_name"] and match["list_version"] == screening["list_versions"]["ofac-sdn"]
    assert set(match["name_scores"]) >= {"token_pairs", "token_sort", "token_set", "name"}
    assert "birth_date" in {a["factor"] for a in match["adjustments"]}
    assert http.decide(checkpoint_id, "reject", "confirmed by the explanation").status_code == 200


def test_exit_risk_flags_come_with_their_evidence_and_no_counterparty_names(http):
    checkpoint_id = http.post("/v1/offboarding", closure(new_customer(), transactions=large_outflow())).json_body[
        "checkpoint_id"]
    assert http.wait_final(checkpoint_id)["status"] == "IN_REVIEW"

    item = queued(http, checkpoint_id)
    [exit_risk] = item["explanation"]
    flags = {flag["code"]: flag for flag in exit_risk["flags"]}
    assert exit_risk["step"] == "exit_risk" and exit_risk["policy_version"]
    assert "tx-large-1" in flags["LARGE_OUTFLOW"]["evidence"]["largest_debit_ids"]
    assert all(flag["evidence"] and flag["detail"] for flag in flags.values())
    assert COUNTERPARTY not in json.dumps(item) and PAYEE_IBAN not in json.dumps(item)
    assert http.decide(checkpoint_id, "approve", "outflow explained").status_code == 200


def test_the_timeline_links_to_the_aws_console_only_when_deployed(http, monkeypatch):
    checkpoint_id = http.post("/v1/onboarding", applicant_body()).json_body["checkpoint_id"]
    assert http.wait_final(checkpoint_id)["status"] == "APPROVED"
    path = f"/v1/checkpoints/{checkpoint_id}/history"
    assert http.get(path, role="compliance").json_body["console_url"] is None

    settings = checkpoint_service.get_settings()
    monkeypatch.setattr(checkpoint_service, "get_settings", lambda: dataclasses.replace(settings, stage="prod"))
    url = http.get(path, role="compliance").json_body["console_url"]
    assert url.startswith("https://eu-west-1.console.aws.amazon.com/states/") and url.endswith(f":{checkpoint_id}")
