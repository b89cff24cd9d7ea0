"""Closure as a journey, through the API and the real closure state machine on moto: the plan with
the linked services found in the history and the settlement, the export the closure builds,
a bank-initiated closure that waits its notice, tipping-off, succession, the offer to stay, soft
exits and the churn analytics. Where a date matters the closure's clock is fixed (an instant in
the past, so a notice period is already over when the workflow's Wait looks at it: no test sleeps
through one), and every expected figure is computed here from the request and the policy."""
from __future__ import annotations

import io
import json
import urllib.request
import uuid
import zipfile
from datetime import UTC, date, datetime, timedelta

import pytest

from chalicelib.domain.retention import Period
from chalicelib.services import exports as export_service
from chalicelib.services import offboarding
from chalicelib.stores import AWS, clients
from chalicelib.settings import get_settings
from tests.integration.test_onboarding_workflow import execution_ended
from tests.integration.test_offboarding_workflow import new_customer, start

IBAN = "NO9386011117947"
ESTATE_IBAN = "DE89370400440532013000"


def at(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def iso(ts: datetime) -> str:
    return ts.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


@pytest.fixture
def clock(monkeypatch):
    """Fix the instant a closure is requested (the notice, the plan's dates and the history's windows
    count from it)."""
    def fix(instant: datetime) -> datetime:
        monkeypatch.setattr(offboarding, "utc_now", lambda: instant)
        return instant
    return fix


def booked(day: date, amount: str, direction: str, name: str, method: str | None = None, iban: str | None = None):
    tx = {"transaction_id": uuid.uuid4().hex[:12], "booked_at": f"{day.isoformat()}T09:00:00Z", "amount": amount,
          "currency": "EUR", "direction": direction, "counterparty": {"name": name} | ({"iban": iban} if iban else {})}
    return tx | ({"method": method} if method else {})


def last_business_day(year: int, month: int) -> date:
    day = date(year + month // 12, month % 12 + 1, 1) - timedelta(days=1)
    while day.weekday() >= 5:
        day -= timedelta(days=1)
    return day


def account(account_id: str, customer_id: str, balance: str, **more) -> dict:
    return {"account_id": account_id, "balance": balance, "currency": "EUR", "holders": [customer_id], **more}


def closure_body(customer_id: str, **more) -> dict:
    body = {"customer_id": customer_id, "reason": "external.new_job", "requested_by": "customer",
            "accounts": [account("acc-main", customer_id, "1250.40", accrued_interest="1.27", fees_due="4.50",
                                 cards=["card-77"])],
            "payout_iban": IBAN, "recent_transactions": [], "linked_services": []}
    return body | more


# Staff read a former customer's data for a stated purpose (services.data_access).
LEGAL_CLAIM = {"X-Access-Purpose": "legal_claim", "X-Access-Reference": "claim-2026-77"}


def staff_get(http, path: str, role: str):
    """A GET as `role`; compliance states a purpose (a former customer's data needs one)."""
    return http.client.http.get(path, headers={**http.auth(role), **(LEGAL_CLAIM if role == "compliance" else {})})


def plan_of(http, checkpoint_id: str, role: str = "channel") -> dict:
    response = staff_get(http, f"/v1/checkpoints/{checkpoint_id}", role)
    assert response.status_code == 200, response.body
    return response.json_body["plan"]


def steps(plan: dict) -> dict:
    return {s["name"]: s for s in plan["steps"]}


def download(http, export_id: str, role: str = "channel") -> zipfile.ZipFile:
    view = staff_get(http, f"/v1/exports/{export_id}", role).json_body
    assert view["status"] == "READY", view
    with urllib.request.urlopen(view["download"]["url"], timeout=10) as answer:  # plain HTTP, as curl would
        return zipfile.ZipFile(io.BytesIO(answer.read()))


def exits(http, by: str = "reason") -> dict[str, dict]:
    response = http.get(f"/v1/analytics/exits?by={by}", role="compliance")
    assert response.status_code == 200, response.body
    return {g["key"]: g for g in response.json_body["groups"]}


# --- the plan: linked services found, the settlement, the export -----------------------------------

def test_a_salary_and_two_subscriptions_in_the_history_are_in_the_plan_with_the_settlement(http, clock):
    clock(datetime(2026, 11, 16, 9, 0, tzinfo=UTC))  # a Monday
    customer_id = new_customer("Torunn", "Eikeland")
    history = [booked(last_business_day(2026, m), "3200.00", "credit", "Fjord Logistics AS") for m in range(5, 11)]
    history += [booked(date(2026, m, 3), "12.99", "debit", "Streamio", "card") for m in range(6, 12)]
    history += [booked(date(2026, m, 11), price, "debit", "CloudBox Storage", "card")
                for m, price in zip(range(6, 12), ["2.99", "2.99", "2.99", "2.99", "3.49", "3.49"])]
    history += [booked(date(2026, 10, d), amount, "debit", "Corner Grocer")  # shopping: no pattern
                for d, amount in ((2, "41.20"), (9, "17.85"), (13, "63.10"), (24, "8.40"), (29, "35.00"))]
    body = closure_body(customer_id, recent_transactions=history, export={"requested": True, "formats": ["json"]})
    response = http.post("/v1/offboarding", body)
    assert response.status_code == 202, response.body
    checkpoint_id, first = response.json_body["checkpoint_id"], response.json_body["plan"]

    # From the start: the settlement, the dates and the access that ends, computed from the request.
    assert first["final_settlement"] == [{"account_id": "acc-main", "currency": "EUR", "balance": "1250.40",
                                          "accrued_interest": "1.27", "fees_due": "4.50", "amount": "1247.17",
                                          "outcome": "pay_out", "payout_iban": "NO**7947"}]
    assert first["close_by"] == "2026-11-17T09:00:00.000Z"  # requested + 24 h (policies/closure.yaml timeline)
    assert {s["name"]: s["expected_by"] for s in first["steps"]} == {
        "rescreen": "2026-11-16T09:15:00.000Z", "settlement": "2026-11-18T09:00:00.000Z",
        "close": "2026-11-17T09:00:00.000Z", "export": "2026-11-17T09:00:00.000Z"}
    assert [(a["kind"], a["id"], a["ends_at"]) for a in first["access_ends"]] == [
        ("account", "acc-main", "2026-11-17T09:00:00.000Z"), ("card", "card-77", "2026-11-17T09:00:00.000Z"),
        ("online_access", "online_banking", "2026-11-17T09:00:00.000Z")]
    assert first["reason"] == {"code": "external.new_job", "label": "A new job (salary paid elsewhere)",
                               "initiated_by": "customer", "withheld": False}
    cdd = next(d for d in first["data_after_closure"] if d["record_class"] == "cdd_identity")
    assert (cdd["kept_until"], cdd["then"], cdd["rule"]) == ("2031-11-17", "then deleted", "eu-cdd-identity")

    final = http.wait_final(checkpoint_id)
    assert final["status"] == "CLOSED", final
    plan = final["plan"]
    found = {s["counterparty"]: (s["type"], s["cadence"], s["last_seen"], s["next_expected"], s["typical_amount"],
                                 s["source"]) for s in plan["linked_services"]}
    assert found == {  # last seen + 30.44 days (the policy's month) gives the next expected date
        "Fjord Logistics AS": ("salary", "monthly", "2026-10-30", "2026-11-29", "3200.00", "detected"),
        "CloudBox Storage": ("subscription", "monthly", "2026-11-11", "2026-12-11", "2.99", "detected"),
        "Streamio": ("subscription", "monthly", "2026-11-03", "2026-12-03", "12.99", "detected")}
    salary = next(s for s in plan["linked_services"] if s["type"] == "salary")
    assert salary["what_to_do"].startswith("Give your employer") and "Art. 10" in salary["switching"]
    closed_at = at(final["decision"]["decided_at"])
    assert steps(plan)["close"] == {"name": "close", "status": "done", "expected_by": iso(closed_at),
                                    "done_at": final["decision"]["decided_at"],
                                    "detail": "the accounts, cards and online access end"}
    assert plan["state"] == "closed" and steps(plan)["export"]["status"] == "done"

    # The closure's own package holds its accounts and the customer's final, closed status.
    export_id = next(s for s in final["steps"] if s["name"] == "export")["reasons"][0]["detail"]
    package = download(http, export_id)
    accounts = json.loads(package.read("accounts.json"))
    assert accounts == [{"AccountId": "acc-main", "Currency": "EUR",
                         "Balance": {"Amount": {"Amount": "1250.40", "Currency": "EUR"}, "CreditDebitIndicator": "Credit"}}]
    profile = json.loads(package.read("profile.json"))[0]
    record = AWS.customers.get(customer_id)
    assert (profile["Status"], profile["ClosedAt"]) == ("closed", record.closed_at)
    assert record.closed_at == iso(at(AWS.checkpoints._table().get_item(Key={"checkpoint_id": checkpoint_id})[
        "Item"]["retention_decided_at"]))  # the relationship ends when retention starts counting


# --- bank-initiated: notice, reasons, tipping-off ------------------------------------------------

def test_a_bank_initiated_closure_waits_its_notice_then_closes(http, clock):
    requested = clock(datetime(2026, 8, 3, 8, 0, tzinfo=UTC))  # the notice (computed below) is over by now
    customer_id = new_customer("Halvard", "Tangen")
    body = {"customer_id": customer_id, "reason": "bank.de_banking.risk_appetite", "requested_by": "bank",
            "accounts": [account("eu-current", customer_id, "310.00", opened_on="2019-05-10", jurisdiction="EU"),
                         account("uk-current", customer_id, "75.00", opened_on="2026-06-01", jurisdiction="UK")],
            "payout_iban": IBAN, "recent_transactions": []}
    refused = http.post("/v1/offboarding", body)  # a channel cannot de-bank
    assert (refused.status_code, refused.json_body["error"]["code"]) == (422, "REQUESTER_NOT_ALLOWED")
    response = http.post("/v1/offboarding", body, role="compliance")
    assert response.status_code == 202, response.body
    checkpoint_id, plan = response.json_body["checkpoint_id"], response.json_body["plan"]
    eu_end = Period(months=2).after(requested)  # PSD2 Art. 55(3)
    uk_end = Period(days=90).after(requested)  # PSRs 2017 reg. 51 as amended by SI 2025/688: contract of 2026-06-01
    assert [(t["account_id"], t["rule"], t["period"], t["ends_at"]) for t in plan["notice"]["accounts"]] == [
        ("eu-current", "eu-psd2-55", "2 months", iso(eu_end)), ("uk-current", "uk-psrs-51-2026", "90 days", iso(uk_end))]
    assert (plan["notice"]["ends_at"], plan["close_by"]) == ("2026-11-01T08:00:00.000Z", "2026-11-01T08:00:00.000Z")
    assert steps(plan)["notice_period"]["expected_by"] == "2026-11-01T08:00:00.000Z"
    assert steps(plan)["settlement"]["expected_by"] == "2026-11-03T08:00:00.000Z"  # Sun 1 Nov counts from Monday
    assert plan["reason"]["stated_reason"].startswith("The bank has reviewed the relationship")  # told to the customer

    final = http.wait_final(checkpoint_id)
    assert final["status"] == "CLOSED", final
    history = [h.status.value for h in AWS.checkpoints.get(checkpoint_id).status_history]
    assert history == ["RUNNING", "NOTICE_PERIOD", "RUNNING", "CLOSED"]
    assert steps(final["plan"])["notice_period"]["status"] == "done"


def test_the_reason_is_withheld_from_the_channel_when_a_suspicion_was_reported(http, clock):
    clock(datetime(2026, 9, 1, 8, 0, tzinfo=UTC))
    customer_id = new_customer("Sigve", "Lunde")
    body = {"customer_id": customer_id, "reason": "bank.de_banking.compliance_review", "requested_by": "bank",
            "accounts": [account("acc-1", customer_id, "0.00", opened_on="2021-02-01")], "recent_transactions": [],
            "suspicion_reported": True, "immediate_ground": "illegal_use"}
    refused = http.post("/v1/offboarding", body, role="compliance")  # not a ground for a current account
    assert refused.status_code == 422 and refused.json_body["error"]["code"] == "NOT_AN_IMMEDIATE_GROUND"
    assert refused.json_body["error"]["fields"][0]["field"] == "immediate_ground"
    body["immediate_ground"] = "cdd_not_possible"  # AMLD Art. 14(4): listed for current accounts
    checkpoint_id = http.post("/v1/offboarding", body, role="compliance").json_body["checkpoint_id"]
    final = http.wait_final(checkpoint_id)
    assert final["status"] == "CLOSED"
    seen_by_channel = final["plan"]
    assert "reason" not in seen_by_channel and "withheld" not in json.dumps(seen_by_channel)
    assert seen_by_channel["notice"]["ends_at"] == seen_by_channel["notice"]["given_at"] == "2026-09-01T08:00:00.000Z"
    officer = plan_of(http, checkpoint_id, role="compliance")["reason"]
    assert (officer["code"], officer["withheld"]) == ("bank.de_banking.compliance_review", True)
    assert "333A" in officer["withheld_because"]
    assert "NOTICE_PERIOD" not in [h.status.value for h in AWS.checkpoints.get(checkpoint_id).status_history]


# --- succession -----------------------------------------------------------------------------------

def put(url: str, headers: dict, body: bytes) -> None:
    request = urllib.request.Request(url, data=body, method="PUT", headers=headers)
    with urllib.request.urlopen(request, timeout=10) as answer:
        assert answer.status == 200


def test_a_succession_freezes_hands_the_joint_account_to_the_survivor_and_discloses_to_the_representative(http):
    deceased, survivor = new_customer("Ragnhild", "Aasen"), new_customer("Eivind", "Aasen")
    body = {"customer_id": deceased, "reason": "deceased", "requested_by": "bank",  # the old code, an alias
            "accounts": [account("sole", deceased, "2500.00", accrued_interest="3.10", cards=["card-r"]),
                         {"account_id": "joint", "balance": "900.00", "currency": "EUR",
                          "holders": [deceased, survivor]}],
            "payout_iban": ESTATE_IBAN, "recent_transactions": [],
            "succession": {"date_of_death": "2026-11-20",
                           "representative": {"name": "Marit Aasen-Hole", "capacity": "executor"}}}
    response = http.post("/v1/offboarding", body, role="compliance")
    assert response.status_code == 202, response.body
    checkpoint_id = response.json_body["checkpoint_id"]
    created = response.json_body["created_at"]
    waiting = http.wait_final(checkpoint_id, settled=("AWAITING_DOCUMENTS",))
    assert waiting["status"] == "AWAITING_DOCUMENTS"
    assert waiting["required_documents"] == [{"side": "death_certificate", "received": False},
                                             {"side": "representative_authority", "received": False}]
    assert AWS.customers.get(deceased).payments_blocked_at == created  # blocked at once
    assert [(a["id"], a["ends_at"]) for a in waiting["plan"]["access_ends"]] == [
        ("sole", created), ("card-r", created), ("joint", None), ("online_banking", created)]
    assert "final_settlement" not in waiting["plan"]  # the estate's figures are not the deceased's channel's

    wrong = http.post(f"/v1/checkpoints/{checkpoint_id}/documents", {"side": "selfie", "content_type": "image/jpeg",
                                                                      "size": 10}, key=False, role="compliance")
    assert wrong.status_code == 400 and wrong.json_body["error"]["fields"][0]["field"] == "side"
    for side in ("death_certificate", "representative_authority"):
        pdf = b"%PDF-1.7\n" + side.encode() * 40
        upload = http.post(f"/v1/checkpoints/{checkpoint_id}/documents",
                           {"side": side, "content_type": "application/pdf", "size": len(pdf)}, key=False,
                           role="compliance")
        assert upload.status_code == 201, upload.body
        put(upload.json_body["upload"]["url"], upload.json_body["upload"]["headers"], pdf)
    completed = http.client.http.post(f"/v1/checkpoints/{checkpoint_id}/documents/complete",
                                      headers={"Content-Type": "application/json", **http.auth("compliance")}, body=b"")
    assert completed.status_code == 200, completed.body
    in_review = http.wait_final(checkpoint_id)
    assert in_review["status"] == "IN_REVIEW"
    assert {r["code"] for r in in_review["review"]["reasons"]} == {"SUCCESSION_DOCUMENTS"}
    assert http.decide(checkpoint_id, "approve", "certificate and grant of probate checked").status_code == 200
    final = http.wait_final(checkpoint_id, settled=())
    assert final["status"] == "CLOSED", final

    officer_plan = plan_of(http, checkpoint_id, role="compliance")
    assert {s["account_id"]: (s["amount"], s["outcome"]) for s in officer_plan["final_settlement"]} == {
        "sole": ("2503.10", "pay_out"), "joint": ("900.00", "to_surviving_holders")}
    assert officer_plan["succession"]["passes_to_surviving_holders"] == [
        {"account_id": "joint", "type": "current", "cards": [], "other_holders": [survivor]}]
    assert AWS.customers.get(survivor).status == "active"
    closed = AWS.customers.get(deceased)
    assert closed.status == "closed"  # the estate's accounts are settled: the relationship ends now, not at death
    schedule = AWS.schedules.schedule_of(f"customer/{deceased}")
    assert at(schedule["keep_until"]) == Period(years=5).after(at(closed.closed_at))

    export_id = next(s for s in final["steps"] if s["name"] == "export")["reasons"][0]["detail"]
    assert http.get(f"/v1/exports/{export_id}").status_code == 404  # never to the deceased customer's channel
    package = download(http, export_id, role="compliance")
    readme = package.read("README.txt").decode()
    assert readme.startswith("THE RECORDS OF THE ESTATE") and "Recital 27" in readme
    assert [a["AccountId"] for a in json.loads(package.read("accounts.json"))] == ["sole", "joint"]


# --- win-back, analytics ---------------------------------------------------------------------------

def offer(http, customer_id: str) -> str:
    checkpoint_id = start(http, closure_body(customer_id, reason="competitor.price"))
    waiting = http.wait_final(checkpoint_id, settled=("WIN_BACK_OFFERED",))
    assert waiting["status"] == "WIN_BACK_OFFERED", waiting
    assert waiting["plan"]["win_back"]["offer"] == "fee_waiver"
    assert steps(waiting["plan"])["win_back"]["status"] == "waiting"
    return checkpoint_id


def answer(http, checkpoint_id: str, decision: str):
    return http.client.http.post(f"/v1/checkpoints/{checkpoint_id}/win-back",
                                 headers={"Content-Type": "application/json", **http.auth("channel")},
                                 body=json.dumps({"decision": decision}))


def test_a_competitor_price_closure_gets_the_offer_accepting_it_stays_and_the_analytics_count_it(http):
    before = exits(http).get("competitor.price", {})
    stays = offer(http, new_customer())
    accepted = answer(http, stays, "accept")
    assert accepted.status_code == 200, accepted.body
    assert accepted.json_body["plan"]["win_back"]["answer"] == "accept"
    assert answer(http, stays, "decline").status_code == 409  # answered once
    stayed = http.wait_final(stays, settled=())
    assert stayed["status"] == "STAYED" and stayed["decision"]["reasons"][0]["code"] == "WIN_BACK_ACCEPTED"
    assert AWS.customers.get(stayed["customer_id"]).status == "active"
    leaves = offer(http, new_customer())
    assert answer(http, leaves, "decline").status_code == 200
    assert http.wait_final(leaves, settled=())["status"] == "CLOSED"
    assert execution_ended(stays) == execution_ended(leaves) == "SUCCEEDED"  # the fact follows the final status

    after = exits(http)["competitor.price"]
    for field, more in (("ended", 2), ("stayed", 1), ("closed", 1), ("win_back_offered", 2), ("win_back_accepted", 1)):
        assert after[field] - before.get(field, 0) == more, field
    assert after["median_seconds_to_close"] is not None

    # The facts name no one: erasing the closures' records leaves the counts as they are.
    settings = get_settings()
    for checkpoint_id in (stays, leaves):
        customer_id = AWS.checkpoints.get(checkpoint_id).customer_id
        clients.table(settings.checkpoints_table).delete_item(Key={"checkpoint_id": checkpoint_id})
        clients.table(settings.customers_table).delete_item(Key={"customer_id": customer_id})
    assert exits(http)["competitor.price"] == after
    facts = clients.table(settings.exit_facts_table).scan()["Items"]
    assert not any(stays in json.dumps(f, default=str) or leaves in json.dumps(f, default=str) for f in facts)
    assert {"reason", "channel", "outcome", "ended_on"} <= set(facts[0])


def test_an_offer_nobody_answers_lapses_and_the_closure_goes_on(http, monkeypatch):
    quick = offboarding._workflow_input
    monkeypatch.setattr(offboarding, "_workflow_input",
                        lambda checkpoint_id, basis: quick(checkpoint_id, basis) | {"win_back_timeout_seconds": 2})
    checkpoint_id = start(http, closure_body(new_customer(), reason="competitor.digital_experience"))
    final = http.wait_final(checkpoint_id, timeout=30, settled=())
    assert final["status"] == "CLOSED", final
    assert final["plan"]["win_back"]["answer"] == "lapsed"
    assert [h.status.value for h in AWS.checkpoints.get(checkpoint_id).status_history] == [
        "RUNNING", "WIN_BACK_OFFERED", "RUNNING", "CLOSED"]


# --- soft exits --------------------------------------------------------------------------------------

def test_keeping_a_basic_account_ends_downgraded_and_starts_no_retention_clock(http):
    customer_id = new_customer()
    body = closure_body(customer_id, soft_exit="basic_account",
                        accounts=[account("acc-main", customer_id, "40.00"),
                                  account("acc-save", customer_id, "1000.00", type="savings")])
    final = http.wait_final(start(http, body))
    assert final["status"] == "DOWNGRADED", final
    assert final["plan"]["kept_account_id"] == "acc-main" and final["plan"]["state"] == "downgraded"
    assert {s["account_id"]: s["outcome"] for s in final["plan"]["final_settlement"]} == {
        "acc-main": "to_basic_account", "acc-save": "to_basic_account"}
    record = AWS.customers.get(customer_id)
    assert record.status == "active" and record.basic_account.account_id == "acc-main"
    assert record.closed_at is None  # the relationship goes on: nothing of it is scheduled
    assert not [s for s in AWS.schedules.of_customer(customer_id) if s["record_class"] != "webhook_delivery"]
    assert "retention" not in {s["name"] for s in final["steps"]}


def test_statements_access_gives_fresh_links_until_its_period_ends_and_refuses_after(http, monkeypatch):
    customer_id = new_customer()
    final = http.wait_final(start(http, closure_body(customer_id, soft_exit="statements_access")))
    assert final["status"] == "CLOSED"
    record = AWS.customers.get(customer_id)
    assert record.statements_until == iso(Period(months=12).after(at(record.closed_at)))
    assert final["plan"]["statements_until"] == record.statements_until[:10]
    request = {"customer_id": customer_id, "include": ["transactions", "accounts"]}
    accepted = http.post("/v1/exports", request, key=False)
    assert accepted.status_code == 202, accepted.body
    export_id = accepted.json_body["export_id"]
    assert download(http, export_id).read("accounts.json")
    later = at(record.statements_until) + timedelta(seconds=1)
    monkeypatch.setattr(export_service, "utc_now", lambda: later)
    for refused in (http.post("/v1/exports", request, key=False), http.get(f"/v1/exports/{export_id}")):
        assert (refused.status_code, refused.json_body["error"]["code"]) == (409, "STATEMENTS_ACCESS_ENDED")
    assert http.get(f"/v1/exports/{export_id}", role="compliance").json_body["error"]["code"] == "PURPOSE_REQUIRED"
    assert staff_get(http, f"/v1/exports/{export_id}", "compliance").status_code == 200
