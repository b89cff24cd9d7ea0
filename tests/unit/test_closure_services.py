"""The closure journey's use cases on in-memory stores: who may start which closure, what the
workflow is given (ids, codes, dates: no personal data), the offer to stay and its answer, the
notice period, succession, how a closure ends, the exit facts and statements after closure."""
from __future__ import annotations

import io
import json
import uuid
import zipfile
from datetime import UTC, date, datetime, timedelta

import pytest
from pydantic import ValidationError

from chalicelib.api.models import ExportRequestBody, OffboardingRequest
from chalicelib.domain.actors import AccessPurpose, Caller, Role, StatedPurpose
from chalicelib.domain.audit_log import LogName
from chalicelib.domain.checkpoint import CheckpointStatus, iso
from chalicelib.domain.export_record import Recipient
from chalicelib.errors import Conflict, InvalidField, NotFound, PurposeRequired, Refused
from chalicelib.services import analytics, closure_stages, exports, offboarding, outcomes
from chalicelib.services.closure_stages import Stage
from chalicelib.services.exports import StatementsAccessEnded
from chalicelib.stores.document_bucket import plan_key
from tests.records import customer_record
from tests.unit.fakes import fake_stores

WEB, MOBILE = Caller(subject="web-signup", role=Role.CHANNEL), Caller(subject="mobile-app", role=Role.CHANNEL)
OFFICER = Caller(subject="officer-1", role=Role.COMPLIANCE)
LEGAL_CLAIM = StatedPurpose(purpose=AccessPurpose.LEGAL_CLAIM, reference="claim-7")
IBAN = "DE89370400440532013000"


@pytest.fixture
def stores(unit_settings):
    return fake_stores()


def customer(stores, owner=WEB.subject) -> str:
    customer_id = f"cus_{uuid.uuid4().hex}"
    stores.customers.create_once(customer_record(customer_id, owner=owner))
    return customer_id


def body(customer_id: str, **changes) -> OffboardingRequest:
    return OffboardingRequest.model_validate({
        "customer_id": customer_id, "reason": "competitor.price", "requested_by": "customer",
        "accounts": [{"account_id": "acc-1", "balance": "120.50", "accrued_interest": "0.35", "fees_due": "2.00",
                      "currency": "EUR", "holders": [customer_id]}],
        "payout_iban": IBAN, "recent_transactions": [], **changes})


def bank(customer_id: str, **changes) -> OffboardingRequest:
    accounts = [{"account_id": "acc-1", "balance": "50.00", "currency": "EUR", "holders": [customer_id],
                 "opened_on": "2018-09-01"}]
    return body(customer_id, **{"reason": "bank.de_banking.compliance_review", "requested_by": "bank",
                                "accounts": accounts, **changes})


def succession(customer_id: str, partner: str) -> OffboardingRequest:
    return body(customer_id, reason="bank.succession", requested_by="bank",
                accounts=[{"account_id": "sole", "balance": "2500.00", "currency": "EUR", "holders": [customer_id]},
                          {"account_id": "joint", "balance": "900.00", "currency": "EUR",
                           "holders": [customer_id, partner]}],
                succession={"date_of_death": "2026-11-20",
                            "representative": {"name": "Astrid Holm", "capacity": "executor"}})


def key() -> str:
    return str(uuid.uuid4())


# ---- who may start which closure ----

def test_a_customers_closure_comes_from_its_channel_and_a_bank_initiated_one_from_compliance(stores):
    customer_id = customer(stores)
    for caller, request in ((OFFICER, body(customer_id)), (WEB, bank(customer_id))):
        with pytest.raises(Refused) as refused:
            offboarding.start(caller, request, key(), stores)
        assert (refused.value.code, refused.value.field) == ("REQUESTER_NOT_ALLOWED", "requested_by")
    assert stores.checkpoints.items == {}
    checkpoint, plan = offboarding.start(OFFICER, bank(customer_id), key(), stores)
    assert checkpoint.owner == OFFICER.subject and plan.requested_by.value == "bank"


def test_the_request_model_names_each_inconsistent_field():
    customer_id = f"cus_{uuid.uuid4().hex}"
    with pytest.raises(ValidationError) as refused:
        OffboardingRequest.model_validate({
            "customer_id": customer_id, "reason": "bank.de_banking.dormancy", "requested_by": "customer",
            "accounts": [{"account_id": "a", "balance": "1.00", "currency": "EUR", "holders": [customer_id]}],
            "suspicion_reported": True})
    assert {(".".join(map(str, e["loc"])), e["msg"]) for e in refused.value.errors()} == {
        ("requested_by", "must be bank for reason bank.de_banking.dormancy"),
        ("suspicion_reported", "is only for a bank-initiated closure")}
    with pytest.raises(ValidationError) as refused:
        bank(customer_id, accounts=[{"account_id": "a", "balance": "1.00", "currency": "EUR",
                                     "holders": [customer_id]}], soft_exit="basic_account")
    assert {".".join(map(str, e["loc"])) for e in refused.value.errors()} == {"accounts.0.opened_on", "soft_exit"}
    with pytest.raises(ValidationError) as refused:
        body(customer_id, reason="because")
    assert refused.value.errors()[0]["loc"] == ("reason",)
    with pytest.raises(ValidationError) as refused:
        body(customer_id, reason="bank.succession", requested_by="bank")
    assert {e["loc"] for e in refused.value.errors()} == {("succession",)}


def test_a_bank_initiated_closure_starts_its_notice_with_dates_and_codes_only(stores):
    customer_id = customer(stores)
    checkpoint, plan = offboarding.start(OFFICER, bank(customer_id), key(), stores)
    given = datetime.fromisoformat(checkpoint.created_at.replace("Z", "+00:00"))
    months, year = given.month + 2, given.year
    ends = given.replace(year=year + (months - 1) // 12, month=(months - 1) % 12 + 1)  # EU, PSD2 Art. 55(3): 2 months
    assert plan.notice.ends_at == iso(ends)
    started = stores.workflows.started[checkpoint.checkpoint_id]
    assert started == {"checkpoint_id": checkpoint.checkpoint_id, "review_timeout_seconds": 72 * 3600,
                       "export_requested": False, "succession": False, "win_back_offered": False, "notice": True,
                       "notice_until": iso(ends), "downgrade": False}
    assert "Solberg" not in json.dumps(started) and IBAN not in json.dumps(started)


def test_closing_without_notice_on_a_ground_the_rule_does_not_list_is_refused(stores):
    with pytest.raises(Refused) as refused:
        offboarding.start(OFFICER, bank(customer(stores), immediate_ground="illegal_use"), key(), stores)
    assert (refused.value.code, refused.value.field) == ("NOT_AN_IMMEDIATE_GROUND", "immediate_ground")
    assert stores.checkpoints.items == {} and stores.documents.objects == {}
    checkpoint, plan = offboarding.start(OFFICER, bank(customer(stores), immediate_ground="cdd_not_possible"), key(),
                                         stores)
    assert stores.workflows.started[checkpoint.checkpoint_id]["notice"] is False
    assert plan.notice.ends_at == plan.notice.given_at == checkpoint.created_at


# ---- win-back ----

def offered(stores, customer_id: str) -> str:
    checkpoint, _ = offboarding.start(WEB, body(customer_id), key(), stores)
    assert stores.workflows.started[checkpoint.checkpoint_id]["win_back_offer"] == "fee_waiver"
    closure_stages.offer_win_back(checkpoint.checkpoint_id, "token-1", "fee_waiver", 3600, stores)
    return checkpoint.checkpoint_id


def test_the_channel_that_onboarded_the_customer_answers_the_offer_once(stores):
    checkpoint_id = offered(stores, customer(stores))
    checkpoint = stores.checkpoints.get(checkpoint_id)
    assert checkpoint.status is CheckpointStatus.WIN_BACK_OFFERED and checkpoint.win_back.offer == "fee_waiver"
    with pytest.raises(NotFound):
        closure_stages.answer_win_back(MOBILE, checkpoint_id, "accept", stores)
    answered, plan = closure_stages.answer_win_back(WEB, checkpoint_id, "accept", stores)
    assert answered.status is CheckpointStatus.RUNNING and answered.win_back.answer == "accept"
    assert stores.workflows.resumed == [("token-1", {"decision": "accept"})]
    assert plan.win_back.answer == "accept"
    with pytest.raises(Conflict):
        closure_stages.answer_win_back(WEB, checkpoint_id, "decline", stores)
    assert closure_stages.win_back_lapsed(checkpoint_id, stores) == "accept"  # a late timeout follows the answer
    assert [h.status for h in stores.checkpoints.get(checkpoint_id).status_history] == [
        CheckpointStatus.RUNNING, CheckpointStatus.WIN_BACK_OFFERED, CheckpointStatus.RUNNING]
    actions = [e.event.data for e in stores.events.published if e.event.type.value == "checkpoint.action_required"]
    assert actions == [{"checkpoint_id": checkpoint_id, "kind": "offboarding", "status": "WIN_BACK_OFFERED",
                        "action": "answer_win_back", "offer": "fee_waiver",
                        "expires_at": checkpoint.win_back.expires_at}]


def test_an_unanswered_offer_lapses_and_an_answer_after_the_timeout_still_counts(stores):
    checkpoint_id = offered(stores, customer(stores))
    assert closure_stages.win_back_lapsed(checkpoint_id, stores) == "lapsed"
    with pytest.raises(Conflict):
        closure_stages.answer_win_back(WEB, checkpoint_id, "accept", stores)
    racing = offered(stores, customer(stores))
    stores.workflows.expired_tokens.add("token-1")  # the timeout fired just before the answer reached the workflow
    closure_stages.answer_win_back(WEB, racing, "accept", stores)
    assert closure_stages.win_back_lapsed(racing, stores) == "accept"


def test_staying_ends_the_closure_stayed_and_is_counted_once(stores):
    customer_id = customer(stores)
    checkpoint_id = offered(stores, customer_id)
    closure_stages.answer_win_back(WEB, checkpoint_id, "accept", stores)
    assert outcomes.record(checkpoint_id, "STAYED", stores=stores) is CheckpointStatus.STAYED
    outcomes.record(checkpoint_id, "STAYED", stores=stores)  # a retried task
    ended = stores.checkpoints.get(checkpoint_id)
    assert ended.decision.decided_by == "customer" and ended.decision.reasons[0].code == "WIN_BACK_ACCEPTED"
    assert stores.customers.get(customer_id).status == "active"
    [fact] = stores.exit_facts.facts.values()
    assert (fact.reason, fact.channel, fact.outcome, fact.win_back_offered, fact.win_back_accepted) == (
        "competitor.price", WEB.subject, CheckpointStatus.STAYED, True, True)
    text = fact.model_dump_json()
    assert checkpoint_id not in text and customer_id not in text
    report = analytics.exits(OFFICER, None, None, "reason", stores)
    assert [(g.key, g.ended, g.stayed, g.win_back_offered, g.win_back_accepted) for g in report["groups"]] == [
        ("competitor.price", 1, 1, 1, 1)]


def test_analytics_group_by_channel_and_month_and_refuse_a_reversed_range(stores):
    for owner in (WEB.subject, MOBILE.subject, MOBILE.subject):
        checkpoint, _ = offboarding.start(Caller(subject=owner, role=Role.CHANNEL),
                                          body(customer(stores, owner), reason="external.relocation"), key(), stores)
        outcomes.record(checkpoint.checkpoint_id, "CLOSED", stores=stores)
    by_channel = analytics.exits(OFFICER, None, None, "channel", stores)
    assert [(g.key, g.closed) for g in by_channel["groups"]] == [("mobile-app", 2), ("web-signup", 1)]
    assert by_channel["total"].closed == 3 and by_channel["total"].median_seconds_to_close is not None
    month = datetime.now(UTC).strftime("%Y-%m")
    assert [g.key for g in analytics.exits(OFFICER, None, None, "month", stores)["groups"]] == [month]
    assert analytics.exits(OFFICER, date(2020, 1, 1), date(2020, 12, 31), "reason", stores)["total"].ended == 0
    with pytest.raises(InvalidField) as refused:
        analytics.exits(OFFICER, date(2026, 2, 1), date(2026, 1, 1), "reason", stores)
    assert refused.value.field == "query.from"


# ---- notice period ----

def test_the_notice_period_is_entered_and_left_once(stores):
    checkpoint, _ = offboarding.start(OFFICER, bank(customer(stores)), key(), stores)
    checkpoint_id = checkpoint.checkpoint_id
    assert closure_stages.advance(checkpoint_id, Stage.NOTICE_BEGINS, stores) == {"status": "NOTICE_PERIOD"}
    closure_stages.advance(checkpoint_id, Stage.NOTICE_BEGINS, stores)  # a retried task changes nothing
    assert stores.checkpoints.status_of(checkpoint_id) is CheckpointStatus.NOTICE_PERIOD
    closure_stages.advance(checkpoint_id, Stage.NOTICE_ENDS, stores)
    closure_stages.advance(checkpoint_id, Stage.NOTICE_ENDS, stores)
    assert [h.status for h in stores.checkpoints.get(checkpoint_id).status_history] == [
        CheckpointStatus.RUNNING, CheckpointStatus.NOTICE_PERIOD, CheckpointStatus.RUNNING]
    changes = [e.event.data["status"] for e in stores.events.published
               if e.event.type.value == "checkpoint.status_changed"]
    assert changes == ["NOTICE_PERIOD", "RUNNING"]


# ---- succession ----

def test_a_succession_waits_for_its_documents_blocks_payments_and_is_always_reviewed(stores):
    customer_id, partner = customer(stores), customer(stores)
    checkpoint, plan = offboarding.start(OFFICER, succession(customer_id, partner), key(), stores)
    assert checkpoint.images == ("death_certificate", "representative_authority")
    assert checkpoint.steps["succession"].reasons[0].code == "SUCCESSION_DOCUMENTS"
    started = stores.workflows.started[checkpoint.checkpoint_id]
    assert (started["succession"], started["export_requested"], started["documents_timeout_seconds"],
            started["notice"]) == (True, True, 90 * 86400, False)
    assert "Astrid" not in json.dumps(started)
    closure_stages.advance(checkpoint.checkpoint_id, Stage.BLOCK_PAYMENTS, stores)
    blocked = stores.customers.get(customer_id)
    assert (blocked.payments_blocked_at, blocked.payments_blocked_by) == (checkpoint.created_at,
                                                                         checkpoint.checkpoint_id)
    assert [a.account_id for a in plan.succession.passes_to_surviving_holders] == ["joint"]
    seen_by_channel = offboarding.plan(WEB, checkpoint, stores)
    assert seen_by_channel.final_settlement is None and seen_by_channel.linked_services is None


def test_the_estates_disclosure_is_for_compliance_to_hand_over_never_the_deceaseds_channel(stores):
    customer_id, partner = customer(stores), customer(stores)
    checkpoint, _ = offboarding.start(OFFICER, succession(customer_id, partner), key(), stores)
    step = exports.export_for_closure(checkpoint.checkpoint_id, stores)
    record = stores.exports.get(step.result_key)
    assert record.recipient is Recipient.REPRESENTATIVE and record.formats == ("json",)
    with pytest.raises(NotFound):
        exports.view(WEB, record.export_id, stores=stores)
    _, link = exports.view(OFFICER, record.export_id, stores=stores)
    assert link["url"]
    ready = [e for e in stores.events.published if e.event.type.value == "export.ready"]
    assert [e.owners for e in ready] == [(OFFICER.subject,)]
    package = zipfile.ZipFile(io.BytesIO(stores.documents.objects[stores.exports.get(record.export_id).package_key]))
    readme = package.read("README.txt").decode()
    assert readme.startswith("THE RECORDS OF THE ESTATE") and "Recital 27" in readme
    assert [a["AccountId"] for a in json.loads(package.read("accounts.json"))] == ["sole", "joint"]


# ---- soft exits, statements ----

def test_a_downgrade_keeps_the_customer_with_a_basic_account(stores):
    customer_id = customer(stores)
    checkpoint, plan = offboarding.start(WEB, body(customer_id, reason="external.relocation",
                                                   soft_exit="basic_account"), key(), stores)
    assert stores.workflows.started[checkpoint.checkpoint_id]["downgrade"] is True and plan.kept_account_id == "acc-1"
    outcomes.record(checkpoint.checkpoint_id, "DOWNGRADED", stores=stores)
    kept = stores.customers.get(customer_id)
    assert kept.status == "active" and kept.basic_account.account_id == "acc-1"
    assert not stores.schedules.of_customer(customer_id)
    assert stores.checkpoints.get(checkpoint.checkpoint_id).decision.reasons[0].code == "BASIC_ACCOUNT_KEPT"


def test_after_closure_the_channel_gets_statements_until_the_access_ends_and_compliance_after(stores, monkeypatch):
    customer_id = customer(stores)
    stores.customers.close(customer_id, "2026-01-01T00:00:00.000Z", "cp_x", "2026-02-01T00:00:00.000Z")
    request = ExportRequestBody(customer_id=customer_id, include=["profile"])
    with pytest.raises(StatementsAccessEnded) as refused:
        exports.request(WEB, request, stores=stores)
    assert refused.value.code == "STATEMENTS_ACCESS_ENDED" and "2026-02-01" in str(refused.value)
    with pytest.raises(PurposeRequired):  # the bank reads a former customer's data for a stated purpose only
        exports.request(OFFICER, request, stores=stores)
    record = exports.request(OFFICER, request, LEGAL_CLAIM, stores=stores)
    exports.build(record.export_id, stores)
    with pytest.raises(StatementsAccessEnded):
        exports.view(WEB, record.export_id, stores=stores)
    with pytest.raises(PurposeRequired):
        exports.view(OFFICER, record.export_id, stores=stores)
    assert exports.view(OFFICER, record.export_id, LEGAL_CLAIM, stores=stores)[1]["url"]
    assert [(e.event, e.details["purpose"], e.details["reference"]) for e in stores.audit.entries(
        LogName.DATA_ACCESS)] == [("export_requested", "legal_claim", "claim-7"),
                                  ("export_link_issued", "legal_claim", "claim-7")]
    later = customer(stores)
    stores.customers.close(later, iso(datetime.now(UTC)), "cp_y", iso(datetime.now(UTC) + timedelta(days=365)))
    assert exports.request(WEB, ExportRequestBody(customer_id=later, include=["profile"]), stores=stores).export_id


def test_a_plan_is_stored_with_the_closure_and_never_in_the_workflow(stores):
    checkpoint, plan = offboarding.start(WEB, body(customer(stores)), key(), stores)
    stored = stores.documents.objects[plan_key(checkpoint.checkpoint_id)]
    assert b'"amount":"118.85"' in stored and stores.documents.tags[plan_key(checkpoint.checkpoint_id)] == {
        "record_class": "closure_record"}
    assert [(s.amount, s.payout_iban) for s in plan.final_settlement] == [("118.85", "DE**3000")]
