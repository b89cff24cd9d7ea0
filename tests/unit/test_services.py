"""The use cases behind the routes and the workflow tasks, on in-memory stores (no moto): who may
act, what is written, what is started, and what a retry or a race does."""
from __future__ import annotations

import pickle
import time
import uuid
from datetime import UTC, date, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from chalicelib.api.models import (
    DocumentUploadRequest,
    ExportRequestBody,
    LegalHoldRequest,
    ListRefreshRequest,
    OffboardingRequest,
    OnboardingRequest,
)
from chalicelib.domain.actors import Caller, Role, system_actor
from chalicelib.domain.audit_log import LogName
from chalicelib.domain.checkpoint import CheckpointKind, CheckpointStatus, ReviewOutcome
from chalicelib.domain.export_record import ExportStatus
from chalicelib.domain.models import Verdict
from chalicelib.domain.screening.index import INDEX_FORMAT, NameIndex


from chalicelib.domain.retention import Events, RecordClass, RecordRef
from chalicelib.errors import (
    CheckpointClosed,
    Conflict,
    IdempotencyKeyReused,
    InvalidField,
    NotFound,
    PermanentTaskError,
    Refused,
    UnknownCustomer,
)
from chalicelib.services import (
    access,
    checkpoints,
    documents,
    exports,
    lists,
    offboarding,
    onboarding,
    outcomes,
    retention,
    reviews,
)
from chalicelib.stores.document_bucket import application_key
from tests.conftest import ROOT
from tests.records import customer_record
from tests.unit.fakes import fake_stores

WEB, MOBILE = Caller(subject="web-signup", role=Role.CHANNEL), Caller(subject="mobile-app", role=Role.CHANNEL)
OFFICER, AUDITOR = Caller(subject="officer-1", role=Role.COMPLIANCE), Caller(subject="auditor-1", role=Role.AUDITOR)


@pytest.fixture
def stores(unit_settings):
    return fake_stores()


def signup(**applicant) -> OnboardingRequest:
    return OnboardingRequest.model_validate({
        "applicant": {"given_names": "Maren Elise", "family_name": "Lindqvist", "birth_date": "1988-04-17",
                      "nationality": "SE", "email": "maren@example.org", "phone": "+46 70 123 45 67",
                      "address": {"line1": "Storgatan 12", "city": "Uppsala", "postal_code": "753 20",
                                  "country": "SWE"}, **applicant},
        "document": {"type": "passport", "number": "XK4419027", "issuing_country": "SWE",
                     "expiry_date": (date.today() + timedelta(days=900)).isoformat()},
        "channel": {"name": "web-signup", "reference": "session-1"}})


def customer(stores, owner: str = WEB.subject, status: str = "active") -> str:
    customer_id = f"cus_{uuid.uuid4().hex}"
    stores.customers.create_once(customer_record(customer_id, owner=owner, status=status))
    return customer_id


def closure(customer_id: str, **changes) -> OffboardingRequest:
    return OffboardingRequest.model_validate({
        "customer_id": customer_id, "reason": "relocation", "requested_by": "customer",
        "accounts": [{"account_id": "acc-1", "balance": "10.00", "currency": "EUR", "holders": [customer_id]}],
        "recent_transactions": [], **changes})


def key() -> str:
    return str(uuid.uuid4())


# ---- the access rule ----

@given(role=st.sampled_from(list(Role)), subject=st.sampled_from(["web-signup", "mobile-app", "officer-1"]),
       owner=st.sampled_from(["web-signup", "mobile-app"]))
def test_compliance_acts_on_everything_a_channel_on_its_own_an_auditor_on_nothing(role, subject, owner):
    allowed = access.may_act_for(Caller(subject=subject, role=role), owner)
    assert allowed == (role is Role.COMPLIANCE or (role is Role.CHANNEL and subject == owner))


def test_a_checkpoint_another_channel_started_does_not_exist_for_it(stores):
    checkpoint = onboarding.start(WEB, signup(), key(), stores)
    assert access.checkpoint(WEB, checkpoint.checkpoint_id, stores) == checkpoint
    assert access.checkpoint(OFFICER, checkpoint.checkpoint_id, stores) == checkpoint
    for stranger in (MOBILE, AUDITOR):
        with pytest.raises(NotFound):
            access.checkpoint(stranger, checkpoint.checkpoint_id, stores)


def bank_closure(customer_id: str, **changes) -> OffboardingRequest:
    return closure(customer_id, reason="bank.de_banking.risk_appetite", requested_by="bank",
                   accounts=[{"account_id": "acc-1", "balance": "10.00", "currency": "EUR", "holders": [customer_id],
                              "opened_on": "2020-05-04"}], **changes)


def test_a_closure_is_visible_to_the_channel_that_on_boarded_the_customer(stores):
    customer_id = customer(stores, owner=WEB.subject)
    closing, _ = offboarding.start(OFFICER, bank_closure(customer_id), key(), stores)  # a bank-initiated closure
    assert access.checkpoint(WEB, closing.checkpoint_id, stores).customer_id == customer_id
    with pytest.raises(NotFound):
        access.checkpoint(MOBILE, closing.checkpoint_id, stores)


def test_another_channels_customer_is_an_unknown_customer(stores):
    customer_id = customer(stores, owner=WEB.subject)
    assert access.customer(WEB, customer_id, stores).customer_id == customer_id
    for stranger in (MOBILE, AUDITOR):
        with pytest.raises(UnknownCustomer) as refused:
            access.customer(stranger, customer_id, stores)
        assert (refused.value.code, refused.value.field) == ("UNKNOWN_CUSTOMER", "customer_id")


# ---- sign-up ----

def test_a_sign_up_stores_the_application_and_starts_its_workflow_with_ids_only(stores):
    checkpoint = onboarding.start(WEB, signup(), key(), stores)
    assert checkpoint.status is CheckpointStatus.RUNNING and checkpoint.owner == WEB.subject
    assert stores.documents.exists(application_key(checkpoint.checkpoint_id))
    payload = stores.workflows.started[checkpoint.checkpoint_id]
    assert payload == {"checkpoint_id": checkpoint.checkpoint_id, "review_timeout_seconds": 168 * 3600,
                       "documents_expected": False, "documents_timeout_seconds": 24 * 3600,
                       "documents": {"images": {}}, "correction_timeout_seconds": 72 * 3600,
                       "correction": {"rerun": {"identity": True, "screening": True, "fraud": True},
                                      "limit_reached": False,
                                      "application_key": application_key(checkpoint.checkpoint_id)}}


def test_a_retried_sign_up_returns_the_same_checkpoint_and_starts_nothing_new(stores):
    idempotency_key = key()
    first = onboarding.start(WEB, signup(), idempotency_key, stores)
    again = onboarding.start(WEB, signup(), idempotency_key, stores)
    assert again.checkpoint_id == first.checkpoint_id and len(stores.workflows.started) == 1
    with pytest.raises(IdempotencyKeyReused):
        onboarding.start(WEB, signup(family_name="Someone Else"), idempotency_key, stores)
    theirs = onboarding.start(MOBILE, signup(), idempotency_key, stores)  # keys are the caller's own
    assert theirs.checkpoint_id != first.checkpoint_id
    assert len(stores.checkpoints.items) == 2


def test_a_sign_up_whose_workflow_does_not_start_leaves_nothing_and_can_be_retried(stores):
    stores.workflows.fail_start = RuntimeError("Step Functions unavailable")
    idempotency_key = key()
    with pytest.raises(RuntimeError):
        onboarding.start(WEB, signup(), idempotency_key, stores)
    assert stores.checkpoints.items == {} and stores.documents.objects == {}
    retried = onboarding.start(WEB, signup(), idempotency_key, stores)
    assert retried.status is CheckpointStatus.RUNNING and list(stores.workflows.started) == [retried.checkpoint_id]


def test_identity_verification_reads_the_application_the_workflow_names_without_reading_the_checkpoint(
        stores, monkeypatch):
    checkpoint = onboarding.start(WEB, signup(), key(), stores)
    carried = stores.workflows.started[checkpoint.checkpoint_id]["correction"]["application_key"]
    assert carried == checkpoint.request_key  # an S3 key, no personal data in the workflow's state
    read = []
    monkeypatch.setattr(stores.checkpoints, "get", lambda *args, **kwargs: read.append(args))
    step = onboarding.verify_identity(checkpoint.checkpoint_id, stores=stores, application_key=carried)
    assert step.verdict is Verdict.PASS and read == []


def test_a_task_event_may_name_only_its_own_checkpoints_application():
    from pydantic import ValidationError

    from chalicelib.tasks.steps import IdentityEvent, ScreenEvent

    own, other = f"cp_{'a' * 32}", f"cp_{'b' * 32}"
    corrected = f"checkpoints/{own}/applications/cor_{'c' * 32}.json"
    assert ScreenEvent.model_validate({"checkpoint_id": own, "kind": "onboarding",
                                       "application_key": corrected}).application_key == corrected
    assert IdentityEvent.model_validate({"checkpoint_id": own}).application_key is None  # started before the key
    for key_ in (f"checkpoints/{other}/application.json", f"checkpoints/{own}/result/identity.json"):
        with pytest.raises(ValidationError, match="application_key"):
            IdentityEvent.model_validate({"checkpoint_id": own, "application_key": key_})


def test_identity_verification_records_the_steps_verdict(stores):
    clean = onboarding.start(WEB, signup(), key(), stores)
    assert onboarding.verify_identity(clean.checkpoint_id, stores=stores).verdict is Verdict.PASS
    too_young = onboarding.start(WEB, signup(birth_date=(date.today() - timedelta(days=365 * 10)).isoformat()),
                                 key(), stores)
    step = onboarding.verify_identity(too_young.checkpoint_id, stores=stores)
    assert step.verdict is Verdict.REJECT and "MINIMUM_AGE" in {r.code for r in step.reasons}
    assert stores.checkpoints.get(too_young.checkpoint_id).steps["identity"].verdict is Verdict.REJECT


# ---- closure ----

def test_a_closure_of_another_channels_customer_starts_nothing(stores):
    customer_id = customer(stores, owner=WEB.subject)
    for stranger, target in ((MOBILE, customer_id), (WEB, f"cus_{uuid.uuid4().hex}")):
        with pytest.raises(UnknownCustomer):
            offboarding.start(stranger, closure(target), key(), stores)
    assert stores.checkpoints.items == {} and stores.workflows.started == {}


def test_a_closure_stores_its_request_and_transactions_and_starts_the_workflow(stores):
    customer_id = customer(stores)
    checkpoint, plan = offboarding.start(WEB, closure(customer_id), key(), stores)
    assert checkpoint.kind is CheckpointKind.OFFBOARDING and checkpoint.customer_id == customer_id
    assert plan is not None and plan.reason.code == "external.relocation"  # stored as the code the alias names
    assert stores.workflows.started[checkpoint.checkpoint_id]["export_requested"] is False
    assert any(k.startswith(f"customers/{customer_id}/transactions/") for k in stores.documents.objects)


def test_a_closed_relationship_cannot_be_closed_again(stores):
    with pytest.raises(Conflict):
        offboarding.start(WEB, closure(customer(stores, status="closed")), key(), stores)


def test_a_transactions_drop_must_exist(stores):
    request = closure(customer(stores), recent_transactions=None, transactions_s3_key="inbox/none.jsonl")
    with pytest.raises(InvalidField) as refused:
        offboarding.start(WEB, request, key(), stores)
    assert refused.value.field == "transactions_s3_key"


# ---- reading a checkpoint ----

def test_the_long_poll_returns_once_the_status_moves(stores, monkeypatch):
    checkpoint = onboarding.start(WEB, signup(), key(), stores)
    polls = []
    real_version = stores.checkpoints.version_of

    def moving(checkpoint_id):
        polls.append(checkpoint_id)
        if len(polls) == 3:
            stores.checkpoints.transition(checkpoint_id, CheckpointStatus.REJECTED)
        return real_version(checkpoint_id)

    monkeypatch.setattr(stores.checkpoints, "version_of", moving)
    read, _, _ = checkpoints.get(WEB, checkpoint.checkpoint_id, 5, stores=stores)
    assert read.status is CheckpointStatus.REJECTED and len(polls) == 3
    again, _, _ = checkpoints.get(WEB, checkpoint.checkpoint_id, 5, stores=stores)  # not RUNNING: at once
    assert again.status is CheckpointStatus.REJECTED and len(polls) == 3


def test_a_long_poll_with_seen_waits_for_any_change_and_answers_at_once_if_there_was_one(stores, monkeypatch):
    checkpoint = onboarding.start(WEB, signup(), key(), stores)
    time.sleep(0.002)  # updated_at has millisecond precision
    stores.checkpoints.transition(checkpoint.checkpoint_id, CheckpointStatus.REJECTED)
    changed = stores.checkpoints.get(checkpoint.checkpoint_id)
    seen_before = datetime.fromisoformat(checkpoint.updated_at.replace("Z", "+00:00"))
    started = time.monotonic()
    assert checkpoints.get(WEB, checkpoint.checkpoint_id, 5, seen_before, stores=stores)[0] == changed
    assert time.monotonic() - started < 1
    seen_now = datetime.fromisoformat(changed.updated_at.replace("Z", "+00:00"))
    started = time.monotonic()
    assert checkpoints.get(WEB, checkpoint.checkpoint_id, 1, seen_now, stores=stores)[0] == changed  # nothing new: waits
    assert time.monotonic() - started >= 0.9


def test_a_foreign_execution_cursor_names_the_query_field(stores):
    with pytest.raises(InvalidField) as refused:
        checkpoints.executions(OFFICER, CheckpointKind.ONBOARDING, None, None, 10, "0" * 300, stores)
    assert refused.value.field == "query.cursor"


# ---- review ----

def in_review(stores, level: int = 1) -> str:
    time.sleep(0.002)  # created_at has millisecond precision: keep the order of creation
    checkpoint_id = onboarding.start(WEB, signup(), key(), stores).checkpoint_id
    reviews.enter_review(checkpoint_id, f"token-{checkpoint_id}-{level}", level, stores)
    return checkpoint_id


def test_a_decision_resumes_the_workflow_once(stores):
    checkpoint_id = in_review(stores)
    decided, _ = reviews.decide(OFFICER, checkpoint_id, ReviewOutcome.APPROVE, "different person", stores)
    assert [d.reviewer for d in decided.review_decisions] == [OFFICER.subject]
    assert stores.workflows.resumed == [(f"token-{checkpoint_id}-1", {"outcome": "approve", "level": 1})]
    with pytest.raises(Conflict):
        reviews.decide(Caller(subject="officer-2", role=Role.COMPLIANCE), checkpoint_id, ReviewOutcome.REJECT,
                       "second opinion", stores)


def test_the_officer_who_escalated_cannot_decide_the_escalated_review(stores):
    checkpoint_id = in_review(stores)
    reviews.decide(OFFICER, checkpoint_id, ReviewOutcome.ESCALATE, "needs the MLRO", stores)
    reviews.enter_review(checkpoint_id, "token-level-2", 2, stores)
    with pytest.raises(Conflict, match="four-eyes"):
        reviews.decide(OFFICER, checkpoint_id, ReviewOutcome.APPROVE, "mine", stores)
    mlro = Caller(subject="mlro", role=Role.COMPLIANCE)
    with pytest.raises(Conflict, match="already escalated"):
        reviews.decide(mlro, checkpoint_id, ReviewOutcome.ESCALATE, "further", stores)
    assert reviews.decide(mlro, checkpoint_id, ReviewOutcome.REJECT, "confirmed", stores)[0].review_level == 2


def test_a_decision_after_the_review_timed_out_is_a_conflict(stores):
    checkpoint_id = in_review(stores)
    stores.workflows.expired_tokens.add(f"token-{checkpoint_id}-1")
    with pytest.raises(Conflict, match="timed out"):
        reviews.decide(OFFICER, checkpoint_id, ReviewOutcome.APPROVE, "late", stores)


def test_the_queue_is_oldest_first_and_pages_with_its_cursor(stores):
    ids = [in_review(stores) for _ in range(3)]
    first = reviews.queue(OFFICER, 2, None, stores=stores)
    second = reviews.queue(OFFICER, 2, first["next"], stores=stores)
    assert [i["checkpoint_id"] for i in first["items"] + second["items"]] == ids and second["next"] is None
    with pytest.raises(InvalidField):
        reviews.queue(OFFICER, 2, "bm90IGEgY3Vyc29y", stores=stores)


# ---- outcomes ----

def test_an_approval_creates_one_customer_owned_by_the_channel_that_started_the_sign_up(stores):
    checkpoint_id = onboarding.start(WEB, signup(), key(), stores).checkpoint_id
    onboarding.verify_identity(checkpoint_id, stores=stores)
    stores.checkpoints.record_step(checkpoint_id, onboarding.verify_identity(checkpoint_id, stores=stores).model_copy(
        update={"name": "screening"}))
    assert outcomes.record(checkpoint_id, "APPROVED", stores=stores) is CheckpointStatus.APPROVED
    assert outcomes.record(checkpoint_id, "APPROVED", stores=stores) is CheckpointStatus.APPROVED  # a retried task
    [record] = stores.customers.items.values()
    assert record["owner"] == WEB.subject and stores.checkpoints.get(checkpoint_id).customer_id == record["customer_id"]
    with pytest.raises(PermanentTaskError):
        outcomes.record(checkpoint_id, "CLOSED", stores=stores)


def test_an_approval_keeps_the_identity_checks_from_the_step_and_a_retry_republishes_the_same_events(stores):
    checkpoint_id = onboarding.start(WEB, signup(), key(), stores).checkpoint_id
    step = onboarding.verify_identity(checkpoint_id, stores=stores)
    stores.checkpoints.record_step(checkpoint_id, step.model_copy(update={"name": "screening", "verification": None}))
    stores.documents.delete(step.result_key)  # the approval does not read the result back from S3
    outcomes.record(checkpoint_id, "APPROVED", stores=stores)
    [record] = stores.customers.items.values()
    assert record["verification"] == step.verification.model_dump(mode="json", exclude_none=True)
    first = [routed.event.event_id for routed in stores.events.published]
    assert len(first) == 1 and stores.checkpoints.get(checkpoint_id).events_published == 0  # final: no watermark
    outcomes.record(checkpoint_id, "APPROVED", stores=stores)  # the task retried after its publication
    assert [routed.event.event_id for routed in stores.events.published] == first * 2  # same ids: delivered once


def test_a_failure_on_a_final_checkpoint_changes_nothing(stores):
    checkpoint_id = onboarding.start(WEB, signup(), key(), stores).checkpoint_id
    stores.checkpoints.transition(checkpoint_id, CheckpointStatus.REJECTED)
    assert outcomes.mark_failed(checkpoint_id, {"Error": "Boom", "Cause": "x"}, stores) is CheckpointStatus.REJECTED
    assert stores.checkpoints.get(checkpoint_id).failure is None


# ---- documents and exports ----

def test_an_upload_is_for_an_open_checkpoint_of_the_callers_own(stores):
    checkpoint_id = onboarding.start(WEB, signup(), key(), stores).checkpoint_id
    request = DocumentUploadRequest(side="front", content_type="image/png", size=10)
    with pytest.raises(NotFound):
        documents.upload(MOBILE, checkpoint_id, request, stores)
    assert stores.documents.presigned == []
    assert documents.upload(WEB, checkpoint_id, request, stores)["upload"]["method"] == "PUT"
    stores.checkpoints.transition(checkpoint_id, CheckpointStatus.APPROVED)
    with pytest.raises(CheckpointClosed):
        documents.upload(WEB, checkpoint_id, request, stores)


def test_an_export_is_built_and_its_links_logged_for_its_customers_channel_only(stores, unit_settings):
    customer_id = customer(stores)
    body = ExportRequestBody(customer_id=customer_id, include=["profile"])
    with pytest.raises(UnknownCustomer):
        exports.request(MOBILE, body, stores=stores)
    assert stores.functions.invoked == []
    record = exports.request(WEB, body, stores=stores)
    assert stores.functions.invoked == [(unit_settings.export_function_name, {"export_id": record.export_id})]
    assert exports.build(record.export_id, stores).status is ExportStatus.READY
    with pytest.raises(NotFound):
        exports.view(MOBILE, record.export_id, stores=stores)
    ready, link = exports.view(WEB, record.export_id, stores=stores)
    assert ready.size and link["url"]
    assert ("link_issued", record.export_id) in stores.audit.events(LogName.EXPORT)
    assert exports.build(record.export_id, stores).status is ExportStatus.READY  # built once
    assert stores.audit.events(LogName.EXPORT).count(("export_created", record.export_id)) == 1


def test_a_closures_export_is_requested_by_a_system_actor_and_reused_on_retry(stores):
    customer_id = customer(stores)
    checkpoint_id = offboarding.start(WEB, closure(customer_id, export={"requested": True}), key(), stores)[0].checkpoint_id
    first = exports.export_for_closure(checkpoint_id, stores)
    again = exports.export_for_closure(checkpoint_id, stores)
    assert first.result_key == again.result_key and len(stores.exports.items) == 1
    assert stores.exports.get(first.result_key).requested_by == system_actor("offboarding")


# ---- retention and lists ----

def test_holds_name_a_known_customer_or_a_scheduled_record(stores):
    with pytest.raises(UnknownCustomer):
        retention.place_hold(OFFICER, LegalHoldRequest(customer_id=f"cus_{uuid.uuid4().hex}", reason="case",
                                                       case_reference="C-1"), stores)
    with pytest.raises(Refused) as refused:
        retention.place_hold(OFFICER, LegalHoldRequest(record_id="checkpoints/x", reason="case",
                                                       case_reference="C-1"), stores)
    assert (refused.value.code, refused.value.field) == ("UNKNOWN_RECORD", "record_id")
    customer_id = customer(stores)
    stores.customers.stamp_retention(customer_id, {"action": "delete"}, 1_900_000_000)
    hold = retention.place_hold(OFFICER, LegalHoldRequest(customer_id=customer_id, reason="litigation",
                                                          case_reference="C-2"), stores)
    assert stores.customers.ttl_of(customer_id) is None  # a held item has no TTL
    assert retention.release_hold(OFFICER, hold.hold_id, stores).released_by == OFFICER.subject
    with pytest.raises(Conflict):
        retention.release_hold(OFFICER, hold.hold_id, stores)
    assert [e for e, _ in stores.audit.events(LogName.RETENTION)] == ["held", "released"]


def test_a_refresh_names_the_field_it_cannot_use(stores):
    with pytest.raises(InvalidField) as unknown:
        lists.refresh(OFFICER, ListRefreshRequest(source="no-such-list"), stores)
    assert unknown.value.field == "source"
    with pytest.raises(InvalidField) as missing:
        lists.refresh(OFFICER, ListRefreshRequest(source="un-sc", upload_prefix="nothing-here"), stores)
    assert missing.value.field == "upload_prefix"


def test_a_refresh_of_the_version_in_force_rebuilds_an_index_of_an_older_format(stores):
    xml = (ROOT / "data" / "lists" / "un-sc" / "consolidated.xml").read_bytes()
    first = lists.publish("un-sc", {"consolidated.xml": xml}, "2026-02-27", stores)
    assert first["status"] == "published"
    manifest = stores.lists.current("un-sc")
    assert manifest.index_format == INDEX_FORMAT
    stores.lists.manifests["un-sc"] = manifest.model_copy(update={"index_format": None})  # as an older release stored it
    stores.lists.indexes[("un-sc", manifest.version)] = pickle.dumps(("screening-index/1", "old"))
    assert lists.publish("un-sc", {"consolidated.xml": xml}, "2026-02-27", stores)["status"] == "reindexed"
    rebuilt = stores.lists.current("un-sc")
    assert (rebuilt.version, rebuilt.index_format) == (manifest.version, INDEX_FORMAT)
    assert len(NameIndex.from_bytes(stores.lists.read_index(rebuilt))) > 1000
    assert lists.publish("un-sc", {"consolidated.xml": xml}, "2026-02-27", stores)["status"] == "unchanged"


def _customer_with_records(stores, ended_years_ago: int) -> tuple[str, str, list[RecordRef]]:
    customer_id = customer(stores)
    signup_id = stores.customers.get(customer_id).onboarding_checkpoint_id
    application = f"checkpoints/{signup_id}/application.json"
    stores.documents.put_json(application, signup())
    created = datetime.now(UTC) - timedelta(days=365 * (ended_years_ago + 1))
    refs = [RecordRef(record_id=application, record_class=RecordClass.CDD_IDENTITY, created_at=created,
                      customer_id=customer_id),
            RecordRef(record_id=f"customer/{customer_id}", record_class=RecordClass.CDD_IDENTITY, created_at=created,
                      customer_id=customer_id)]
    return customer_id, application, refs


def test_a_hold_suspends_ttl_and_object_lock_and_its_release_lets_the_sweep_erase(stores):
    customer_id, application, refs = _customer_with_records(stores, ended_years_ago=0)
    ended = datetime.now(UTC) - timedelta(days=5 * 365 + 30)  # five years and a month ago
    retention.record(refs, Events(relationship_end=ended), ended, {"test": "1"}, stores)
    assert stores.customers.ttl_of(customer_id) and stores.documents.locked_until[application] < datetime.now(UTC)
    hold = retention.place_hold(OFFICER, LegalHoldRequest(customer_id=customer_id, reason="litigation",
                                                          case_reference="C-9"), stores)
    assert stores.customers.ttl_of(customer_id) is None and application in stores.documents.legal_holds
    assert retention.sweep(datetime.now(UTC), stores=stores) == {"evaluated": 2, "skipped": 2}
    assert stores.documents.exists(application) and stores.customers.get(customer_id)
    report = retention.report(AUDITOR, customer_id, stores)
    assert report["held"] and {r["state"] for r in report["records"]} == {"held"}

    retention.release_hold(OFFICER, hold.hold_id, stores)
    assert stores.customers.ttl_of(customer_id) and application not in stores.documents.legal_holds
    assert retention.sweep(datetime.now(UTC), stores=stores) == {"evaluated": 2, "erased": 2}
    assert not stores.documents.exists(application) and customer_id not in stores.customers.items
    report = retention.report(AUDITOR, customer_id, stores)
    assert {r["state"] for r in report["records"]} == {"erased"}
    assert all([e["event"] for e in r["log_entries"]] == ["scheduled", "skipped", "erased"] for r in report["records"])
    assert [e["event"] for e in report["holds"]] == ["held", "released"]


def test_a_record_scheduled_while_held_gets_no_ttl_and_a_locked_one_is_left(stores):
    customer_id, application, refs = _customer_with_records(stores, ended_years_ago=0)
    retention.place_hold(OFFICER, LegalHoldRequest(customer_id=customer_id, reason="case", case_reference="C-1"),
                         stores)
    now = datetime.now(UTC)
    retention.record(refs, Events(relationship_end=now), now, {"test": "2"}, stores)
    assert stores.customers.ttl_of(customer_id) is None and application in stores.documents.legal_holds

    other, locked, other_refs = _customer_with_records(stores, ended_years_ago=0)
    retention.record(other_refs, Events(relationship_end=now), now, {"test": "3"}, stores)
    later = now + timedelta(days=6 * 365)  # a replay ahead of the clock: S3 still holds the lock
    swept = retention.sweep(later, stores=stores)
    assert swept["still_locked"] == 1 and stores.documents.exists(locked)
    assert stores.schedules.schedule_of(locked)["sweep_status"] == "scheduled"
    assert ("erase_refused", locked) in stores.audit.events(LogName.RETENTION)


def test_the_report_lists_an_active_customers_records_as_pending_and_knows_no_stranger(stores):
    customer_id, application, _ = _customer_with_records(stores, ended_years_ago=0)
    report = retention.report(AUDITOR, customer_id, stores)
    by_id = {r["record_id"]: r for r in report["records"]}
    assert by_id[application]["state"] == "pending" and by_id[application]["keep_until"] is None
    assert by_id[application]["rule"] == "eu-cdd-identity" and report["jurisdictions"] == ["EU"]
    with pytest.raises(UnknownCustomer):
        retention.report(AUDITOR, f"cus_{uuid.uuid4().hex}", stores)
