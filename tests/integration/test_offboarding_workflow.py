"""Closures driven through the API and the real offboarding state machine on moto, and the
compliance endpoints: review queue, decisions, execution history, executions."""
from __future__ import annotations

import json
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, date, datetime, timedelta

import pytest

from chalicelib.domain.actors import Caller, Role
from chalicelib.stores import AWS
from chalicelib.stores.document_bucket import transactions_key
from chalicelib.domain.checkpoint import ReviewOutcome
from chalicelib.errors import Conflict
from chalicelib.services import reviews
from chalicelib.domain.decisions import DecisionPolicy
from tests import pii
from tests.records import customer_record
from tests.integration.test_onboarding_workflow import execution_ended

COUNTERPARTY = "Ostrava Holdings Sro"
PAYEE_IBAN = "DE89370400440532013000"


def new_customer(given="Ingrid", family="Solberg", birth=date(1981, 3, 9), status="active") -> str:
    """A customer record as an earlier sign-up created it (written directly: fast, and lets a
    test create a customer who was listed only after joining)."""
    customer_id = f"cus_{uuid.uuid4().hex}"
    pii.remember_person(given, family, birth.isoformat(), "Kirkegata 1", "NO1234567")
    AWS.customers.create_once(customer_record(customer_id, status=status, given=given, family=family, birth=birth))
    return customer_id


def closure(customer_id: str, *, holders=None, transactions=None, consents=None, export=False, balance="120.50") -> dict:
    body = {
        "customer_id": customer_id, "reason": "relocation", "requested_by": "customer",
        "accounts": [{"account_id": "acc-001", "balance": balance, "currency": "EUR",
                      "holders": holders or [customer_id]}],
        "recent_transactions": transactions if transactions is not None else routine_transactions(),
        "linked_services": [{"type": "salary", "counterparty": "Employer AS", "reference": "SAL-77"},
                            {"type": "direct_debit", "counterparty": "Power Co", "reference": "DD-12"}],
        "export": {"requested": export, "formats": ["json", "csv"]},
    }
    if consents is not None:
        body["holder_consents"] = consents
    return body


def tx(days_ago: float, amount: str, direction="debit", name="Grocer", iban=None, tid=None) -> dict:
    booked = datetime.now(UTC) - timedelta(days=days_ago)
    counterparty = {"name": name} | ({"iban": iban} if iban else {})
    return {"transaction_id": tid or uuid.uuid4().hex[:12], "booked_at": booked.isoformat().replace("+00:00", "Z"),
            "amount": amount, "currency": "EUR", "direction": direction, "counterparty": counterparty}


def routine_transactions() -> list[dict]:
    """Half a year of ordinary activity: salary in, a few small payments out."""
    txs = []
    for month in range(7):
        txs.append(tx(15 + 30 * month, "3200.00", "credit", "Employer AS"))
        txs += [tx(3 + 30 * month + d, "85.40", name="Grocer") for d in range(0, 20, 5)]
    return txs


def large_outflow() -> list[dict]:
    return routine_transactions() + [tx(2, "25000.00", name=COUNTERPARTY, iban=PAYEE_IBAN, tid="tx-large-1")]


def start(http, body) -> str:
    response = http.post("/v1/offboarding", body)
    assert response.status_code == 202, response.body
    assert response.json_body["kind"] == "offboarding"
    return response.json_body["checkpoint_id"]


def codes(checkpoint: dict) -> set[str]:
    return {r["code"] for r in checkpoint["decision"]["reasons"]}


def wait_for(http, checkpoint_id: str, predicate, timeout: float = 20.0) -> dict:
    deadline = time.monotonic() + timeout
    while True:
        body = http.get(f"/v1/checkpoints/{checkpoint_id}").json_body
        if predicate(body) or time.monotonic() > deadline:
            return body
        time.sleep(0.1)


def test_clean_closure_ends_closed_and_ends_the_relationship(http, stack):
    customer_id = new_customer()
    checkpoint_id = start(http, closure(customer_id, export=True))
    final = http.wait_final(checkpoint_id)
    assert final["status"] == "CLOSED", final
    steps = {s["name"]: s for s in final["steps"]}
    assert steps["screening"]["verdict"] == "pass" and steps["exit_risk"]["verdict"] == "pass"
    assert [r["code"] for r in steps["retention"]["reasons"]] == ["RETENTION_SCHEDULED"]
    assert [r["code"] for r in steps["export"]["reasons"]] == ["EXPORT_READY"]
    record = AWS.customers.get(customer_id)
    assert record.status == "closed" and record.offboarding_checkpoint_id == checkpoint_id and record.closed_at
    stored = list(AWS.documents.iter_lines(transactions_key(customer_id, checkpoint_id)))
    assert len(stored) == len(routine_transactions())

    again = http.post("/v1/offboarding", closure(customer_id))
    assert again.status_code == 409  # a closed relationship cannot be closed twice


def test_large_outflow_before_closure_goes_to_review_and_approval_closes(http):
    checkpoint_id = start(http, closure(new_customer(), transactions=large_outflow()))
    in_review = http.wait_final(checkpoint_id)
    assert in_review["status"] == "IN_REVIEW"
    assert "LARGE_OUTFLOW" in {r["code"] for r in in_review["review"]["reasons"]}
    response = http.decide(checkpoint_id, "approve", "outflow explained: house purchase, contract seen")
    assert response.status_code == 200, response.body
    final = http.wait_final(checkpoint_id, settled=())
    assert final["status"] == "CLOSED"
    assert final["decision"]["decided_by"] == "reviewer" and "REVIEW_APPROVE" in codes(final)


def test_large_outflow_rejected_by_the_reviewer_blocks_the_closure(http):
    customer_id = new_customer()
    checkpoint_id = start(http, closure(customer_id, transactions=large_outflow()))
    assert http.wait_final(checkpoint_id)["status"] == "IN_REVIEW"
    assert http.decide(checkpoint_id, "reject", "unexplained transfer to a new payee; SAR filed").status_code == 200
    final = http.wait_final(checkpoint_id, settled=())
    assert final["status"] == "CLOSURE_BLOCKED"
    assert {"REVIEW_REJECT", "LARGE_OUTFLOW"} <= codes(final)
    assert AWS.customers.get(customer_id).status == "active"


def test_sanctions_hit_on_a_joint_holder_blocks_the_closure(http):
    customer_id = new_customer()
    # OFAC SDN entry 4106 (HERRERA BUITRAGO, Helmer; DOB 24 Aug 1951), listed after joining the bank
    joint = new_customer("Helmer", "Herrera Buitrago", date(1951, 8, 24))
    body = closure(customer_id, holders=[customer_id, joint], consents=[joint])
    final = http.wait_final(start(http, body))
    assert final["status"] == "CLOSURE_BLOCKED"
    assert "SANCTIONS_MATCH" in codes(final)
    screening = next(s for s in final["steps"] if s["name"] == "screening")
    assert joint in screening["reasons"][0]["detail"]


def test_a_review_timeout_escalates_to_a_second_level(http, monkeypatch):
    monkeypatch.setattr(DecisionPolicy, "review_timeout_seconds", property(lambda self: 4))  # the decision must beat level 2's timeout
    checkpoint_id = start(http, closure(new_customer(), transactions=large_outflow()))
    escalated = wait_for(http, checkpoint_id, lambda c: c.get("review", {}).get("level") == 2)
    assert escalated["status"] == "IN_REVIEW" and escalated["review"]["awaiting_decision"]
    response = http.decide(checkpoint_id, "approve", "reviewed at level 2", reviewer="mlro-1")
    assert response.status_code == 200, response.body
    final = http.wait_final(checkpoint_id, settled=())
    assert final["status"] == "CLOSED"


def test_escalation_by_a_reviewer_then_the_same_reviewer_cannot_decide(http):
    checkpoint_id = start(http, closure(new_customer(), transactions=large_outflow()))
    assert http.wait_final(checkpoint_id)["status"] == "IN_REVIEW"
    assert http.decide(checkpoint_id, "escalate", "needs MLRO sign-off", reviewer="officer-5").status_code == 200
    wait_for(http, checkpoint_id, lambda c: c["review"]["level"] == 2 and c["review"]["awaiting_decision"])
    same = http.decide(checkpoint_id, "approve", "approving my own escalation", reviewer="officer-5")
    assert same.status_code == 409
    again = http.decide(checkpoint_id, "escalate", "further", reviewer="mlro-2")
    assert again.status_code == 409
    assert http.decide(checkpoint_id, "reject", "blocked by MLRO", reviewer="mlro-2").status_code == 200
    assert http.wait_final(checkpoint_id, settled=())["status"] == "CLOSURE_BLOCKED"


def test_two_concurrent_decisions_cannot_both_win(http):
    # The service is called from two threads directly: Chalice's test client keeps one
    # current_request per app, so it cannot carry two requests at once (chalice local can).
    checkpoint_id = start(http, closure(new_customer(), transactions=large_outflow()))
    assert http.wait_final(checkpoint_id)["status"] == "IN_REVIEW"
    barrier = threading.Barrier(2)

    def decide(outcome: str) -> str:
        barrier.wait()
        try:
            reviews.decide(Caller(subject=f"officer-{outcome}", role=Role.COMPLIANCE), checkpoint_id,
                           ReviewOutcome(outcome), "race")
            return "won"
        except Conflict:
            return "lost"

    with ThreadPoolExecutor(2) as pool:
        results = list(pool.map(decide, ["approve", "reject"]))
    assert sorted(results) == ["lost", "won"]
    final = http.wait_final(checkpoint_id, settled=())
    assert len(final["review"]["decisions"]) == 1
    assert final["status"] == ("CLOSED" if final["review"]["decisions"][0]["outcome"] == "approve" else "CLOSURE_BLOCKED")


def test_review_queue_lists_open_reviews_oldest_first_and_a_decided_one_leaves(http):
    ids = [start(http, closure(new_customer(), transactions=large_outflow())) for _ in range(3)]
    for checkpoint_id in ids:
        assert http.wait_final(checkpoint_id)["status"] == "IN_REVIEW"
    seen, cursor = [], None
    while True:
        page = http.get("/v1/reviews?status=open&limit=2" + (f"&cursor={cursor}" if cursor else ""), role="compliance")
        assert page.status_code == 200, page.body
        seen += page.json_body["items"]
        cursor = page.json_body["next"]
        if not cursor:
            break
    mine = [item for item in seen if item["checkpoint_id"] in ids]
    assert [item["checkpoint_id"] for item in mine] == ids  # oldest first
    assert all(item["kind"] == "offboarding" and "LARGE_OUTFLOW" in {r["code"] for r in item["reasons"]}
               for item in mine)
    created = [item["created_at"] for item in seen]
    assert created == sorted(created)

    assert http.decide(ids[0], "approve", "explained").status_code == 200
    http.wait_final(ids[0], settled=())
    after = http.get("/v1/reviews?limit=100", role="compliance").json_body["items"]
    assert ids[0] not in {item["checkpoint_id"] for item in after}


def test_decision_on_a_checkpoint_not_waiting_is_409_and_bad_decisions_are_400(http):
    final = http.wait_final(start(http, closure(new_customer())))
    assert final["status"] == "CLOSED"
    response = http.decide(final["checkpoint_id"], "approve", "late")
    assert response.status_code == 409 and response.json_body["error"]["code"] == "CONFLICT"
    bad = http.client.http.post(f"/v1/reviews/{final['checkpoint_id']}/decision",
                                headers={"Content-Type": "application/json", **http.auth("compliance")},
                                body=json.dumps({"outcome": "maybe"}))
    assert bad.status_code == 400
    assert {f["field"] for f in bad.json_body["error"]["fields"]} == {"outcome", "reason"}


@pytest.mark.parametrize("role, status", [(None, 401), ("channel", 403), ("auditor", 403)])
def test_compliance_endpoints_refuse_other_callers(http, role, status):
    checkpoint_id = f"cp_{uuid.uuid4().hex}"
    for response in (http.get("/v1/reviews", role=role), http.get(f"/v1/checkpoints/{checkpoint_id}/history", role=role),
                     http.get("/v1/executions", role=role),
                     http.client.http.post(f"/v1/reviews/{checkpoint_id}/decision",
                                           headers={"Content-Type": "application/json", **http.auth(role)},
                                           body=json.dumps({"outcome": "approve", "reason": "sneaky"}))):
        assert response.status_code == status
        assert set(response.json_body) == {"error"}


def test_history_is_a_timeline_of_the_real_execution_without_personal_data(http):
    customer_id = new_customer("Sigrun", "Haugland-Oyen", date(1975, 6, 30))
    checkpoint_id = start(http, closure(customer_id, transactions=large_outflow()))
    assert http.wait_final(checkpoint_id)["status"] == "IN_REVIEW"
    assert http.decide(checkpoint_id, "approve", "fine").status_code == 200
    http.wait_final(checkpoint_id, settled=())
    assert execution_ended(checkpoint_id) == "SUCCEEDED"  # the task that closed it may still be answering
    response = http.get(f"/v1/checkpoints/{checkpoint_id}/history", role="compliance")
    assert response.status_code == 200, response.body
    history = response.json_body
    assert history["status"] == "SUCCEEDED" and history["duration_ms"] >= 0
    visited = [s["state"] for s in history["states"]]
    assert visited[:2] == ["Succession", "RunChecks"] and visited[-1] == "Close"
    assert {"ScreenHolders", "AssessExitRisk", "ManualReview", "ReviewOutcome", "ScheduleRetention"} <= set(visited)
    review = next(s for s in history["states"] if s["state"] == "ManualReview")
    assert review["result"] == {"outcome": "approve", "level": 1} and review["duration_ms"] > 0
    assert any(e.get("waiting") for e in history["events"])
    exit_risk = next(s for s in history["states"] if s["state"] == "AssessExitRisk")
    assert exit_risk["result"] == {"verdict": "review", "codes": ["LARGE_OUTFLOW", "NEW_PAYEE_TRANSFER"]} or \
        exit_risk["result"]["verdict"] == "review"
    text = json.dumps(history)
    for value in ("Sigrun", "Haugland", "1975", COUNTERPARTY, PAYEE_IBAN, "Employer AS", "Power Co"):
        assert value not in text
    assert "taskToken" not in text and "task_token" not in text


def test_executions_can_be_listed_by_workflow_status_and_date(http):
    checkpoint_id = start(http, closure(new_customer()))
    http.wait_final(checkpoint_id)
    assert execution_ended(checkpoint_id) == "SUCCEEDED"  # the checkpoint is final a step before its execution
    since = (datetime.now(UTC) - timedelta(minutes=10)).isoformat().replace("+00:00", "Z")
    deadline = time.monotonic() + 10  # the checkpoint is final when Close has run; the execution ends just after
    while True:
        response = http.get(f"/v1/executions?workflow=offboarding&status=SUCCEEDED&since={since}", role="compliance")
        assert response.status_code == 200, response.body
        items = response.json_body["items"]
        if checkpoint_id in {i["checkpoint_id"] for i in items} or time.monotonic() > deadline:
            break
        time.sleep(0.1)
    assert checkpoint_id in {i["checkpoint_id"] for i in items}
    assert all(i["status"] == "SUCCEEDED" and i["workflow"] == "offboarding" for i in items)
    assert http.get("/v1/executions?workflow=payments", role="compliance").status_code == 400
    assert http.get("/v1/executions?since=yesterday", role="compliance").status_code == 400


def test_bad_closure_requests_are_4xx_naming_the_field(http):
    customer_id = new_customer()
    unknown = http.post("/v1/offboarding", closure(f"cus_{uuid.uuid4().hex}"))
    assert unknown.status_code == 422 and unknown.json_body["error"]["code"] == "UNKNOWN_CUSTOMER"

    body = closure(customer_id, transactions=[tx(1, "12,50"), tx(1, "10.00") | {"booked_at": "2026-11-20T10:00:00"}])
    body["recent_transactions"][0]["counterparty"]["iban"] = "DE00123"
    body["accounts"][0]["currency"] = "euro"
    response = http.post("/v1/offboarding", body)
    assert response.status_code == 400
    fields = {f["field"] for f in response.json_body["error"]["fields"]}
    assert {"recent_transactions.0.amount", "recent_transactions.0.counterparty.iban",
            "recent_transactions.1.booked_at", "accounts.0.currency"} <= fields

    both = closure(customer_id) | {"transactions_s3_key": "inbox/core/tx.jsonl"}
    assert http.post("/v1/offboarding", both).status_code == 400
    missing = closure(customer_id)
    del missing["recent_transactions"]
    missing["transactions_s3_key"] = "inbox/core/none.jsonl"
    response = http.post("/v1/offboarding", missing)
    assert response.status_code == 400 and response.json_body["error"]["fields"][0]["field"] == "transactions_s3_key"


def test_transactions_can_come_as_a_json_lines_drop(http, stack):
    customer_id = new_customer()
    lines = "".join(json.dumps(t) + "\n" for t in large_outflow())
    from chalicelib.stores.clients import client

    client("s3").put_object(Bucket=stack.environment["DOCUMENTS_BUCKET"], Key=f"inbox/core/{customer_id}.jsonl",
                            Body=lines.encode())
    body = closure(customer_id)
    del body["recent_transactions"]
    body["transactions_s3_key"] = f"inbox/core/{customer_id}.jsonl"
    checkpoint = http.wait_final(start(http, body))
    assert checkpoint["status"] == "IN_REVIEW"
    assert "LARGE_OUTFLOW" in {r["code"] for r in checkpoint["review"]["reasons"]}
