"""Personal data stays in DynamoDB/S3: Step Functions history and logs carry ids and codes only."""
from __future__ import annotations

import io
import json
import logging
from datetime import date

import pytest

from chalicelib.stores import AWS
from chalicelib.tasks.runner import logger
from tests.integration.conftest import applicant_body
from tests.integration.mrz_builder import td3


def pii_values(body: dict) -> set[str]:
    a, d = body["applicant"], body["document"]
    birth = date.fromisoformat(a["birth_date"])
    values = {a["given_names"], a["family_name"], a["email"], a["phone"], a["address"]["line1"],
              a["address"]["postal_code"], d["number"], a["birth_date"], birth.strftime("%y%m%d"),
              birth.strftime("%d %b %Y")}
    values |= {part for part in f"{a['given_names']} {a['family_name']}".split() if len(part) > 3}
    values |= {v.upper() for v in values}
    values |= set(d.get("mrz") or [])
    return values


@pytest.fixture
def captured_logs():
    """Everything the service's Powertools logger writes (it does not propagate to root)."""
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(logger.registered_formatter)
    target = logging.getLogger(logger.name)
    target.addHandler(handler)
    yield stream
    target.removeHandler(handler)


def test_histories_and_logs_of_every_outcome_hold_no_personal_data(http, captured_logs):
    approved = applicant_body(**{"applicant.given_names": "Ottilie Brunhild", "applicant.family_name": "Vasquez-Oyelaran",
                                 "applicant.birth_date": "1979-11-30", "document.number": "ZP7734120"})
    d = approved["document"]
    d["mrz"] = td3("VASQUEZ<OYELARAN", "OTTILIE<BRUNHILD", d["number"], "SWE", date(1979, 11, 30), "F",
                   date.fromisoformat(d["expiry_date"]))
    rejected = applicant_body(**{"applicant.given_names": "Helmer", "applicant.family_name": "Herrera Buitrago",
                                 "applicant.birth_date": "1951-08-24", "document.number": "CC16247821"})
    reviewed = applicant_body(**{"applicant.given_names": "Helmer", "applicant.family_name": "Herrera Buitrago",
                                 "applicant.birth_date": "1993-06-09", "applicant.email": "hhb@example.net",
                                 "document.number": "PA0099887"})
    bodies = [approved, rejected, reviewed]
    ids = [http.post("/v1/onboarding", body).json_body["checkpoint_id"] for body in bodies]
    assert http.wait_final(ids[0])["status"] == "APPROVED"
    assert http.wait_final(ids[1])["status"] == "REJECTED"
    assert http.wait_final(ids[2])["status"] == "IN_REVIEW"
    assert http.decide(ids[2], "reject", "confirmed").status_code == 200
    assert http.wait_final(ids[2], settled=())["status"] == "REJECTED"

    histories = {cid: json.dumps(list(AWS.workflows.history(AWS.checkpoints.get(cid).execution_arn)), default=str)
                 for cid in ids}
    logs = captured_logs.getvalue()
    assert "task finished" in logs  # the handler does see the tasks' log lines
    leaks = [(where, value) for body in bodies for value in pii_values(body)
             for where, text in [*histories.items(), ("logs", logs)] if value in text]
    assert leaks == []
    assert all(cid in histories[cid] for cid in ids)  # the histories do carry the checkpoint ids


def test_a_closure_under_review_leaves_no_personal_data_in_history_logs_or_timeline(http, captured_logs):
    from tests.integration.test_offboarding_workflow import COUNTERPARTY, PAYEE_IBAN, closure, large_outflow, new_customer

    customer_id = new_customer("Gudrun Ottilie", "Brekke-Villanueva", date(1969, 2, 14))
    checkpoint_id = http.post("/v1/offboarding", closure(customer_id, transactions=large_outflow())).json_body[
        "checkpoint_id"]
    assert http.wait_final(checkpoint_id)["status"] == "IN_REVIEW"
    assert http.decide(checkpoint_id, "approve", "explained by the customer").status_code == 200
    assert http.wait_final(checkpoint_id, settled=())["status"] == "CLOSED"
    history = json.dumps(list(AWS.workflows.history(AWS.checkpoints.get(checkpoint_id).execution_arn)), default=str)
    timeline = json.dumps(http.get(f"/v1/checkpoints/{checkpoint_id}/history", role="compliance").json_body)
    shown = http.get(f"/v1/checkpoints/{checkpoint_id}").json_body
    plan = shown.pop("plan")  # the customer's own plan: their linked services, by name, are the point of it
    assert {s["counterparty"] for s in plan.pop("linked_services")} >= {"Employer AS", "Power Co"}
    view = json.dumps(shown) + json.dumps(plan)
    pii = {"Gudrun", "Ottilie", "Brekke", "Villanueva", "1969-02-14", COUNTERPARTY, PAYEE_IBAN, "Employer AS",
           "Power Co", "Kirkegata"}
    leaks = [(where, value) for value in pii
             for where, text in (("history", history), ("timeline", timeline), ("checkpoint", view),
                                 ("logs", captured_logs.getvalue())) if value in text]
    assert leaks == []


def test_an_unexpected_route_failure_logs_the_request_masked(http, captured_logs, monkeypatch):
    from chalicelib.services import onboarding

    body = applicant_body(**{"applicant.family_name": "Kristoffersen-Aalto"})

    def broken(caller, request, key):
        raise KeyError(request.applicant.family_name)  # a message quoting input

    monkeypatch.setattr(onboarding, "start", broken)
    response = http.post("/v1/onboarding", body)
    assert response.status_code == 500
    assert response.json_body["error"]["code"] == "INTERNAL"
    line = next(json.loads(raw) for raw in captured_logs.getvalue().splitlines()
                if "unhandled error in route" in raw)
    assert line["error"] == "KeyError" and "test_no_pii_leaves_the_vault.py:" in line["at"]
    assert line["request"]["document"]["type"] == "passport"
    assert line["request"]["applicant"]["family_name"] == "*****"
    assert "Kristoffersen" not in captured_logs.getvalue()
