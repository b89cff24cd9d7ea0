"""Cleared matches through the API and the real workflows: a sign-up approved after review
because the listed person is someone else is not sent to review again at closure for the same
unchanged entry; a changed entry or a revoked clearance re-opens it; every grant and revocation
is in the clearance log, whose chain verifies."""
from __future__ import annotations

import json

from chalicelib.domain.screening.result import ScreeningResult
from chalicelib.stores import AWS, clients
from tests.conftest import ROOT
from tests.integration.conftest import applicant_body
from tests.integration.test_offboarding_workflow import closure, start
from tests.integration.test_review_explanation import POSSIBLE_MATCH

SDN = ROOT / "data" / "lists" / "ofac-sdn"
ENTRY = ("ofac-sdn", "4106")  # HERRERA BUITRAGO, Helmer, born 1951: the applicants below are born in 1990


def approved_after_review(http, reason: str = "listed person born 1951; applicant born 1990, other passport") -> str:
    """A sign-up sent to review by a possible sanctions match, approved: its customer id."""
    checkpoint_id = http.post("/v1/onboarding", applicant_body(**POSSIBLE_MATCH)).json_body["checkpoint_id"]
    review = http.wait_final(checkpoint_id)
    assert review["status"] == "IN_REVIEW" and {r["code"] for r in review["review"]["reasons"]} == {
        "SANCTIONS_POSSIBLE_MATCH"}
    assert http.decide(checkpoint_id, "approve", reason).status_code == 200
    final = http.wait_final(checkpoint_id, settled=())
    assert final["status"] == "APPROVED"
    return final["customer_id"]


def clearance_of(http, customer_id: str, status: str = "active") -> dict:
    items = http.get(f"/v1/clearances?customer_id={customer_id}&status={status}", role="compliance").json_body["items"]
    [clearance] = [c for c in items if (c["source"], c["entry_id"]) == ENTRY]
    return clearance


def screening_of(checkpoint_id: str) -> ScreeningResult:
    step = AWS.checkpoints.get(checkpoint_id).steps["screening"]
    return AWS.documents.get_json(step.result_key, ScreeningResult)


def logged(http) -> list[dict]:
    text = http.get("/v1/audit/clearance-log?limit=10000", role="auditor").body.decode()
    return [json.loads(line) for line in text.splitlines()]


def test_a_cleared_match_does_not_send_the_closure_to_review(http):
    customer_id = approved_after_review(http)
    clearance = clearance_of(http, customer_id)
    assert clearance["status"] == "active" and clearance["granted_by"] == "officer-1"
    assert clearance["reason"].startswith("listed person born 1951") and len(clearance["entry_hash"]) == 64
    assert http.get(f"/v1/clearances/{clearance['clearance_id']}", role="compliance").json_body == clearance

    closing = start(http, closure(customer_id))
    final = http.wait_final(closing)
    assert final["status"] == "CLOSED" and "review" not in final  # never queued
    [step] = [s for s in final["steps"] if s["name"] == "screening"]
    assert step["verdict"] == "pass"
    assert [r["code"] for r in step["reasons"]] == ["SANCTIONS_MATCH_CLEARED"]
    assert clearance["clearance_id"] in step["reasons"][0]["detail"]
    [subject] = screening_of(closing).subjects
    [match] = [m for m in subject.matches if (m.source, m.source_id) == ENTRY]
    assert (match.status, match.clearance.id, match.clearance.by) == ("cleared", clearance["clearance_id"], "officer-1")

    schedule = AWS.schedules.schedule_of(f"clearance/{clearance['clearance_id']}")  # kept as screening results
    assert schedule["record_class"] == "screening_results" and schedule["customer_id"] == customer_id

    [entry] = [e for e in logged(http) if e["subject"] == clearance["clearance_id"]]
    assert entry["event"] == "granted" and entry["details"]["customer_id"] == customer_id
    assert "reason" not in entry["details"] and "Helmer" not in json.dumps(entry)
    verified = http.get("/v1/audit/verify?log=clearance", role="auditor").json_body
    assert verified["valid"] is True and verified["checked"] >= 1


def upload(stack, prefix: str, files: dict[str, bytes]) -> None:
    for name, body in files.items():
        clients.client("s3").put_object(Bucket=stack.environment["LISTS_BUCKET"], Key=f"uploads/ofac-sdn/{prefix}/{name}",
                                        Body=body)


def refresh(http, prefix: str, snapshot: str) -> dict:
    response = http.post("/v1/lists/refresh", {"source": "ofac-sdn", "upload_prefix": prefix, "snapshot": snapshot},
                         key=False, role="compliance")
    assert response.status_code == 201, response.body
    return response.json_body


def test_a_changed_entry_reopens_the_match(http, stack):
    customer_id = approved_after_review(http)
    clearance = clearance_of(http, customer_id)
    original = {name: (SDN / name).read_bytes() for name in ("sdn.csv", "alt.csv", "add.csv", "sdn_comments.csv")}
    alt = original["alt.csv"].rstrip(b"\x1a") + b'4106,99901,"aka","HERRERA, Helmer Ramon",-0- \r\n\x1a'
    upload(stack, "new-alias", {**original, "alt.csv": alt})
    upload(stack, "original", original)
    try:
        report = refresh(http, "new-alias", "2021-07-08")
        assert report["diff"]["changed_ids"] == ["4106"]
        closing = start(http, closure(customer_id))
        review = http.wait_final(closing)
        assert review["status"] == "IN_REVIEW" and "SANCTIONS_POSSIBLE_MATCH" in {
            r["code"] for r in review["review"]["reasons"]}
        [match] = [m for m in screening_of(closing).subjects[0].matches if (m.source, m.source_id) == ENTRY]
        assert match.status == "open" and match.entry_hash != clearance["entry_hash"]
        assert http.decide(closing, "reject", "re-check the new alias first").status_code == 200
    finally:
        refresh(http, "original", "2021-07-07")  # the version in force for the other tests again
    assert http.wait_final(closing, settled=())["status"] == "CLOSURE_BLOCKED"


def test_a_revoked_clearance_no_longer_applies(http):
    customer_id = approved_after_review(http)
    clearance_id = clearance_of(http, customer_id)["clearance_id"]
    revoked = http.client.http.delete(f"/v1/clearances/{clearance_id}", headers=http.auth("compliance", "mlro"))
    assert revoked.status_code == 200, revoked.body
    assert (revoked.json_body["status"], revoked.json_body["revoked_by"]) == ("revoked", "mlro")
    again = http.client.http.delete(f"/v1/clearances/{clearance_id}", headers=http.auth("compliance"))
    assert again.status_code == 409
    assert clearance_of(http, customer_id, status="revoked")["clearance_id"] == clearance_id
    assert not [c for c in http.get(f"/v1/clearances?customer_id={customer_id}", role="compliance").json_body["items"]]

    closing = start(http, closure(customer_id))
    assert http.wait_final(closing)["status"] == "IN_REVIEW"
    assert http.decide(closing, "reject", "revoked: needs a fresh look").status_code == 200
    events = [(e["event"], e["details"].get("by")) for e in logged(http) if e["subject"] == clearance_id]
    assert events == [("granted", None), ("revoked", "mlro")]


def test_clearances_are_listed_newest_first_page_by_page(http):
    first, second = approved_after_review(http), approved_after_review(http)
    page = http.get("/v1/clearances?limit=1", role="compliance").json_body
    assert len(page["items"]) == 1 and page["next"]
    newest = [clearance_of(http, second)["clearance_id"], clearance_of(http, first)["clearance_id"]]
    seen, cursor = [], ""
    while True:
        page = http.get(f"/v1/clearances?limit=1{cursor}", role="compliance").json_body
        seen += [c["clearance_id"] for c in page["items"]]
        if not page["next"]:
            break
        cursor = f"&cursor={page['next']}"
    assert seen.index(newest[0]) < seen.index(newest[1]) and len(seen) == len(set(seen))
    bad = http.get("/v1/clearances?cursor=bm90IGEgY3Vyc29y", role="compliance")
    assert bad.status_code == 400 and bad.json_body["error"]["fields"][0]["field"] == "query.cursor"
    assert http.get("/v1/clearances", role="channel").status_code == 403
    assert http.get(f"/v1/clearances/clr_{'0' * 32}", role="compliance").status_code == 404
