"""The store contracts the services rely on, checked the same way on the AWS-backed stores (moto)
and on the in-memory fakes the unit tests use, so a fake cannot drift from what it stands for."""
from __future__ import annotations

import gzip
import json
import time
import uuid
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta

import pytest

from chalicelib.domain.audit_log import LogName, computed_hash
from chalicelib.domain.checkpoint import (
    CaseEvent,
    CaseEventKind,
    Checkpoint,
    CheckpointKind,
    CheckpointStatus,
    Correction,
    Failure,
    Reason,
    ReviewDecision,
    ReviewOutcome,
    Step,
    WinBackState,
    iso,
    utc_now,
)
from chalicelib.domain.exit_analytics import ExitFact
from chalicelib.domain.export_record import ExportRecord, ExportStatus
from chalicelib.domain.identity_graph import GraphEntry, LinkKind
from chalicelib.domain.legal_hold import LegalHold
from chalicelib.domain.models import Verdict
from chalicelib.domain.screening.clearance import Clearance
from chalicelib.domain.risk_rating import MonitoringAlert, RatingReason, RiskLevel, RiskRating
from chalicelib.domain.retention import Action, RecordClass, RetentionDecision, RetentionStatus
from chalicelib.errors import Conflict, NotFound
from chalicelib.settings import get_settings
from chalicelib.stores import AWS, Stores, clients
from chalicelib.stores.list_bucket import ListManifest
from chalicelib.stores.retention_table import decision_of
from tests.unit.fakes import fake_stores


@pytest.fixture(params=["aws", "fake"])
def stores(request, stack) -> Iterator[Stores]:
    chosen = AWS if request.param == "aws" else fake_stores()
    yield chosen
    for checkpoint_id in _created:  # no workflow will ever end these: leave none RUNNING in the shared table
        chosen.checkpoints.delete(checkpoint_id)
    _created.clear()


_created: list[str] = []


def new_checkpoint(stores: Stores, created_at: str | None = None) -> Checkpoint:
    now = created_at or iso(utc_now())
    checkpoint = Checkpoint(checkpoint_id=f"cp_{uuid.uuid4().hex}", kind=CheckpointKind.ONBOARDING,
                            status=CheckpointStatus.RUNNING, created_at=now, updated_at=now, channel_name="web",
                            channel_reference="ref", owner="contract-tests", request_key="k", policy_version="1")
    stores.checkpoints.create(checkpoint)
    _created.append(checkpoint.checkpoint_id)
    return checkpoint


def test_a_checkpoint_is_created_once_and_read_back(stores):
    checkpoint = new_checkpoint(stores)
    assert stores.checkpoints.get(checkpoint.checkpoint_id) == checkpoint
    with pytest.raises(Conflict):
        stores.checkpoints.create(checkpoint)
    with pytest.raises(NotFound):
        stores.checkpoints.get(f"cp_{uuid.uuid4().hex}")


def test_status_changes_follow_the_life_cycle_and_repeat_as_no_ops(stores):
    checkpoint_id = new_checkpoint(stores).checkpoint_id
    assert stores.checkpoints.transition(checkpoint_id, CheckpointStatus.APPROVED) is True
    assert stores.checkpoints.transition(checkpoint_id, CheckpointStatus.APPROVED) is False
    for illegal in (CheckpointStatus.FAILED, CheckpointStatus.IN_REVIEW):
        with pytest.raises(Conflict):
            stores.checkpoints.transition(checkpoint_id, illegal)
    with pytest.raises(Conflict):
        stores.checkpoints.record_step(checkpoint_id, Step(name="late", verdict=Verdict.PASS, finished_at="x"))
    with pytest.raises(Conflict):
        stores.checkpoints.fail(checkpoint_id, Failure(error="E", cause="c"))
    assert stores.checkpoints.status_of(checkpoint_id) is CheckpointStatus.APPROVED


def test_a_review_decision_is_taken_once_at_its_level_and_hands_back_the_token(stores):
    checkpoint_id = new_checkpoint(stores).checkpoint_id
    stores.checkpoints.record_step(checkpoint_id, Step(name="screening", verdict=Verdict.REVIEW, finished_at="t",
                                                      reasons=(Reason(code="PEP_MATCH"),)))
    stores.checkpoints.enter_review(checkpoint_id, "token-1", (Reason(code="PEP_MATCH"),), 1)
    decision = ReviewDecision(outcome=ReviewOutcome.APPROVE, reviewer="o", reason="fine", decided_at="t", level=1)
    with pytest.raises(Conflict):
        stores.checkpoints.record_review_decision(checkpoint_id, decision.model_copy(update={"level": 2}))
    assert stores.checkpoints.record_review_decision(checkpoint_id, decision) == "token-1"
    with pytest.raises(Conflict):
        stores.checkpoints.record_review_decision(checkpoint_id, decision)
    stored = stores.checkpoints.get(checkpoint_id)
    assert stored.review_decisions == (decision,) and not stored.awaiting_decision
    assert stored.steps["screening"].reasons == (Reason(code="PEP_MATCH"),)


def test_a_claimed_review_is_decided_by_its_holder_or_once_the_claim_lapsed(stores):
    checkpoint_id = new_checkpoint(stores).checkpoint_id
    assert not stores.checkpoints.claim(checkpoint_id, "ana", "2026-12-01T10:00:00.000Z", "")  # not in review
    stores.checkpoints.enter_review(checkpoint_id, "token-1", (), 1)
    assert stores.checkpoints.claim(checkpoint_id, "ana", "2026-12-01T10:00:00.000Z", "2026-12-01T02:00:00.000Z")
    assert not stores.checkpoints.claim(checkpoint_id, "ben", "2026-12-01T11:00:00.000Z", "2026-12-01T03:00:00.000Z")
    assert not stores.checkpoints.claim(checkpoint_id, "ana", "2026-12-01T11:00:00.000Z", "2026-12-01T03:00:00.000Z")
    held = stores.checkpoints.get(checkpoint_id)
    assert (held.assignee, held.assigned_at) == ("ana", "2026-12-01T10:00:00.000Z")
    by_ben = ReviewDecision(outcome=ReviewOutcome.APPROVE, reviewer="ben", reason="fine", decided_at="t", level=1)
    with pytest.raises(Conflict):  # ana holds it
        stores.checkpoints.record_review_decision(checkpoint_id, by_ben, "2026-12-01T03:00:00.000Z")
    assert not stores.checkpoints.release(checkpoint_id, "ben", "2026-12-01T11:00:00.000Z")
    assert stores.checkpoints.release(checkpoint_id, "ana", "2026-12-01T12:00:00.000Z")
    assert stores.checkpoints.claim(checkpoint_id, "ana", "2026-12-01T13:00:00.000Z", "2026-12-01T05:00:00.000Z")
    # the claim lapsed (made before 13:00:01): ben may decide, and the decision ends the claim
    assert stores.checkpoints.record_review_decision(checkpoint_id, by_ben, "2026-12-01T13:00:01.000Z") == "token-1"
    decided = stores.checkpoints.get(checkpoint_id)
    assert decided.assignee is None and decided.review_decisions == (by_ben,)
    assert [(e.event.value, e.by) for e in decided.case_events] == [("claimed", "ana"), ("released", "ana"),
                                                                      ("claimed", "ana")]


def test_an_escalated_review_starts_unclaimed(stores):
    checkpoint_id = new_checkpoint(stores).checkpoint_id
    stores.checkpoints.enter_review(checkpoint_id, "token-1", (), 1)
    assert stores.checkpoints.claim(checkpoint_id, "ana", "2026-12-01T10:00:00.000Z", "")
    stores.checkpoints.enter_review(checkpoint_id, "token-2", (), 2)  # the first level timed out
    assert stores.checkpoints.get(checkpoint_id).assignee is None
    stores.checkpoints.record_case_event(checkpoint_id, CaseEvent(event=CaseEventKind.NOTE_ADDED, by="ben", at="t",
                                                                  note=1))
    assert stores.checkpoints.get(checkpoint_id).case_events[-1].note == 1
    with pytest.raises(NotFound):
        stores.checkpoints.record_case_event(f"cp_{uuid.uuid4().hex}", CaseEvent(event=CaseEventKind.NOTE_ADDED,
                                                                                 by="ben", at="t", note=1))


def test_the_review_queue_is_oldest_first_and_pages(stores):
    base = "2001-01-01T00:00:0{}.000Z"  # older than anything else in the shared table
    ids = []
    for second in range(3):
        checkpoint_id = new_checkpoint(stores, created_at=base.format(second)).checkpoint_id
        stores.checkpoints.enter_review(checkpoint_id, f"t{second}", (), 1)
        ids.append(checkpoint_id)
    first, cursor = stores.checkpoints.in_review(2, None)
    rest, _ = stores.checkpoints.in_review(100, cursor)
    assert [e.checkpoint_id for e in first] == ids[:2] and rest[0].checkpoint_id == ids[2]
    assert first[0].awaiting_decision and first[0].review_level == 1


def test_the_retention_anchor_is_the_first_instant_asked(stores):
    checkpoint_id = new_checkpoint(stores).checkpoint_id
    first = stores.checkpoints.retention_anchor(checkpoint_id, datetime(2030, 1, 1, tzinfo=UTC))
    assert stores.checkpoints.retention_anchor(checkpoint_id, datetime(2031, 1, 1, tzinfo=UTC)) == first


def test_exports_are_created_once_and_updated_only_if_they_exist(stores):
    record = ExportRecord(export_id=f"exp_{uuid.uuid4().hex}", customer_id=f"cus_{uuid.uuid4().hex}",
                          status=ExportStatus.RUNNING, formats=("json",), include=("profile",), requested_by="c",
                          created_at=iso(utc_now()))
    stores.exports.create(record)
    with pytest.raises(Conflict):
        stores.exports.create(record)
    assert stores.exports.update(record.export_id, {"status": "READY", "size": 3}).size == 3
    with pytest.raises(NotFound):
        stores.exports.update(f"exp_{uuid.uuid4().hex}", {"status": "READY"})


def test_a_hold_is_released_once(stores):
    hold = LegalHold(hold_id=f"lh_{uuid.uuid4().hex}", customer_id=f"cus_{uuid.uuid4().hex}", reason="r",
                     case_reference="c", placed_by="o", placed_at=iso(utc_now()))
    stores.holds.create(hold)
    assert hold.hold_id in {h.hold_id for h in stores.holds.active()}
    assert stores.holds.release(hold.hold_id, "o2", iso(utc_now())).released_by == "o2"
    with pytest.raises(Conflict):
        stores.holds.release(hold.hold_id, "o2", iso(utc_now()))
    with pytest.raises(NotFound):
        stores.holds.release(f"lh_{uuid.uuid4().hex}", "o2", iso(utc_now()))
    assert hold.hold_id not in {h.hold_id for h in stores.holds.active()}


def clearance(customer_id: str, granted_at: str) -> Clearance:
    return Clearance(clearance_id=f"clr_{uuid.uuid4().hex}", customer_id=customer_id, source="list-a", entry_id="7",
                     entry_hash="h" * 64, list_version="v", primary_name="A B", checkpoint_id=f"cp_{uuid.uuid4().hex}",
                     granted_by="o", granted_at=granted_at, reason="another person")


def test_a_clearance_is_granted_once_and_revoked_once(stores):
    customer_id = f"cus_{uuid.uuid4().hex}"
    granted = clearance(customer_id, iso(utc_now()))
    assert stores.clearances.create(granted) is True
    assert stores.clearances.create(granted) is False  # the same grant retried
    assert stores.clearances.get(granted.clearance_id) == granted
    revoked = stores.clearances.revoke(granted.clearance_id, "o2", "2030-01-01T00:00:00.000Z")
    assert (revoked.status, revoked.revoked_by, revoked.revoked_at) == ("revoked", "o2", "2030-01-01T00:00:00.000Z")
    with pytest.raises(Conflict):
        stores.clearances.revoke(granted.clearance_id, "o2", iso(utc_now()))
    with pytest.raises(NotFound):
        stores.clearances.revoke(f"clr_{uuid.uuid4().hex}", "o2", iso(utc_now()))
    with pytest.raises(NotFound):
        stores.clearances.get(f"clr_{uuid.uuid4().hex}")
    assert stores.clearances.for_customer(customer_id) == [revoked]


def test_clearances_are_listed_newest_first_by_status_and_customer(stores):
    customer_id, other = f"cus_{uuid.uuid4().hex}", f"cus_{uuid.uuid4().hex}"
    base = "2101-01-01T00:00:0{}.000Z"  # newer than anything else in the shared table
    made = [clearance(customer_id if n != 1 else other, base.format(n)) for n in range(4)]
    for c in made:
        stores.clearances.create(c)
    stores.clearances.revoke(made[3].clearance_id, "o", iso(utc_now()))
    assert [c.clearance_id for c in stores.clearances.for_customer(customer_id)] == [
        made[3].clearance_id, made[2].clearance_id, made[0].clearance_id]
    first, cursor = stores.clearances.page("active", customer_id, 1, None)
    rest, end = stores.clearances.page("active", customer_id, 10, cursor)
    assert [c.clearance_id for c in first + rest] == [made[2].clearance_id, made[0].clearance_id] and end is None
    newest, cursor = stores.clearances.page("active", None, 2, None)
    assert [c.clearance_id for c in newest] == [made[2].clearance_id, made[1].clearance_id] and cursor
    assert stores.clearances.page("revoked", None, 1, None)[0][0].clearance_id == made[3].clearance_id


def test_documents_round_trip_and_are_listed_by_prefix(stores):
    prefix = f"checkpoints/cp_{uuid.uuid4().hex}/"
    step = Step(name="identity", verdict=Verdict.PASS, finished_at="t")
    stores.documents.put_json(f"{prefix}results/identity.json", step)
    assert stores.documents.get_json(f"{prefix}results/identity.json", Step) == step
    assert stores.documents.exists(f"{prefix}results/identity.json")
    assert [k for k, _ in stores.documents.keys_under(prefix)] == [f"{prefix}results/identity.json"]
    with pytest.raises(NotFound):
        stores.documents.read_bytes(f"{prefix}missing")
    stores.documents.erase(f"{prefix}results/identity.json")
    assert not stores.documents.exists(f"{prefix}results/identity.json")


def test_a_document_written_once_is_never_overwritten(stores):
    key = f"checkpoints/cp_{uuid.uuid4().hex}/notes/000001.json"
    assert stores.documents.put_new(key, b'{"n": 1}', "application/json")
    assert not stores.documents.put_new(key, b'{"n": 2}', "application/json")
    assert stores.documents.read_bytes(key) == b'{"n": 1}'


def test_every_published_list_version_keeps_its_manifest(stores):
    source = f"contract-{uuid.uuid4().hex[:8]}"
    manifests = [ListManifest(source=source, version=f"2026-0{n}-01-abc", snapshot=f"2026-0{n}-01", format="test",
                              files={"f": "0"}, published_at=f"2026-0{n}-01T00:00:00.000Z") for n in (1, 2)]
    for manifest in manifests:
        stores.lists.publish(manifest, {"f": b"entries"}, b"index")
    assert [stores.lists.manifest(source, m.version) for m in manifests] == manifests
    with pytest.raises(NotFound):
        stores.lists.manifest(source, "2026-03-01-abc")


def test_the_audit_log_chains_and_a_once_key_appends_once(stores):
    subject = f"contract-{uuid.uuid4().hex}"
    once = f"once-{uuid.uuid4().hex}"
    assert len(stores.audit.append_all(LogName.EXPORT, [("a", subject, {}), ("b", subject, {})], once_key=once)) == 2
    assert stores.audit.append_all(LogName.EXPORT, [("a", subject, {})], once_key=once) == []
    time.sleep(0.01)
    mine = [e for e in stores.audit.entries(LogName.EXPORT) if e.subject == subject]
    assert [e.event for e in mine] == ["a", "b"] and mine[1].prev_hash == mine[0].hash
    assert all(computed_hash(e) == e.hash for e in mine)  # (the shared log may hold a tampering test's entry)
    assert stores.audit.head(LogName.EXPORT).sequence >= mine[1].sequence


def test_audit_entries_since_a_time_are_those_appended_from_then_on(stores):
    subject = f"contract-{uuid.uuid4().hex}"
    stores.audit.append(LogName.EXPORT, "before", subject)
    time.sleep(1.1)  # S3's LastModified has whole seconds
    since = utc_now()
    time.sleep(0.01)  # entries are stamped to the millisecond
    stores.audit.append(LogName.EXPORT, "after", subject)
    assert [e.event for e in stores.audit.entries(LogName.EXPORT, since=since) if e.subject == subject] == ["after"]


def _deliver(stores: Stores, key: str, records: list[dict]) -> None:
    if stores is AWS:
        clients.client("s3").put_object(Bucket=get_settings().trail_bucket, Key=key,
                                        Body=gzip.compress(json.dumps({"Records": records}).encode()))
    else:
        stores.trail.deliver(key, records)


def test_trail_files_are_found_by_their_date_folders_and_only_object_reads_come_back(stores):
    day = datetime(2031, 3, 4, 23, 59, tzinfo=UTC)  # a day no other test delivers into
    prefix = get_settings().trail_log_prefix
    read = {"eventID": str(uuid.uuid4()), "eventTime": "2031-03-04T23:58:59Z", "eventSource": "s3.amazonaws.com",
            "eventName": "GetObject", "sourceIPAddress": "192.0.2.1",
            "requestParameters": {"bucketName": "b", "key": "customers/c/exports/e.zip"}}
    inside, outside = f"{prefix}2031/03/04/a.json.gz", f"{prefix}2031/03/06/b.json.gz"
    _deliver(stores, inside, [read, {"eventSource": "s3.amazonaws.com", "eventName": "PutObject"}])
    _deliver(stores, outside, [read])
    found = list(stores.trail.log_files(day - timedelta(hours=1), day + timedelta(days=1)))
    assert found == [inside]
    (record,) = stores.trail.object_reads(inside)
    assert (record.event_id, record.request_parameters.key) == (read["eventID"], "customers/c/exports/e.zip")


def _decision(record_id: str, customer_id: str, keep_until: datetime | None) -> RetentionDecision:
    return RetentionDecision(record_id=record_id, customer_id=customer_id, record_class=RecordClass.CDD_IDENTITY,
                             status=RetentionStatus.SCHEDULED if keep_until else RetentionStatus.PENDING_TRIGGER,
                             keep_until=keep_until, rule_id="eu-cdd-identity", source="s", action=Action.DELETE,
                             erase_now=False, immutable=True, ttl_epoch=None)


def test_schedules_are_due_oldest_first_finished_once_and_found_by_customer(stores):
    customer_id = f"cus_{uuid.uuid4().hex}"
    early, late = datetime(1972, 1, 2, tzinfo=UTC), datetime(1972, 3, 4, tzinfo=UTC)  # a year no other test uses
    ids = [f"checkpoints/{uuid.uuid4().hex}/{n}" for n in ("late", "early", "pending")]
    for record_id, keep_until in zip(ids, (late, early, None), strict=True):
        stores.schedules.save([_decision(record_id, customer_id, keep_until)])
    stores.schedules.save([_decision(f"checkpoints/{uuid.uuid4().hex}/other", None, early)])  # no customer
    due = [d for page in stores.schedules.due(datetime(1972, 6, 1, tzinfo=UTC), 1) for d in page]
    mine_due = [d for d in due if d.customer_id == customer_id]
    assert [d.record_id for d in mine_due] == [ids[1], ids[0]] and mine_due[0].keep_until == early
    assert due == sorted(due, key=lambda d: d.keep_until)
    assert stores.schedules.finish(ids[1], "erased", "1972-06-01T00:00:00.000Z")
    assert not stores.schedules.finish(ids[1], "erased", "1972-06-02T00:00:00.000Z")  # once
    mine = stores.schedules.of_customer(customer_id)
    assert [i["record_id"] for i in mine] == sorted(ids)
    by_id = {i["record_id"]: i for i in mine}
    assert (by_id[ids[1]]["sweep_status"], by_id[ids[1]]["swept_at"]) == ("erased", "1972-06-01T00:00:00.000Z")
    assert by_id[ids[2]]["sweep_status"] == "pending" and decision_of(by_id[ids[2]]).keep_until is None
    assert stores.schedules.schedule_of(ids[0])["sweep_status"] == "scheduled"
    assert stores.schedules.schedule_of("checkpoints/none") is None


def test_an_item_is_stamped_held_and_erased_and_an_erased_item_is_never_recreated(stores):
    record = ExportRecord(export_id=f"exp_{uuid.uuid4().hex}", customer_id=f"cus_{uuid.uuid4().hex}",
                          status=ExportStatus.READY, formats=("json",), include=("profile",), requested_by="c",
                          created_at=iso(utc_now()))
    stores.exports.create(record)
    stores.exports.stamp_retention(record.export_id, {"rule": "all-export-record"}, 1_900_000_000)
    stores.exports.clear_ttl(record.export_id)
    assert stores.exports.get(record.export_id) == record  # the schedule is beside the record's fields
    stores.exports.delete(record.export_id)
    stores.exports.stamp_retention(record.export_id, {"rule": "all-export-record"}, 1_900_000_000)
    stores.exports.clear_ttl(record.export_id)
    with pytest.raises(NotFound):
        stores.exports.get(record.export_id)


def test_an_object_under_lock_or_legal_hold_is_not_erased(stores):
    prefix = f"checkpoints/cp_{uuid.uuid4().hex}/"
    locked, held = f"{prefix}results/identity.json", f"{prefix}results/screening.json"
    step = Step(name="identity", verdict=Verdict.PASS, finished_at="t")
    for key in (locked, held):
        stores.documents.put_json(key, step)
    stores.documents.stamp_retention(locked, {"rule": "eu-cdd-identity"}, utc_now() + timedelta(days=1))
    stores.documents.stamp_retention(held, {"rule": "eu-cdd-identity"}, None)
    stores.documents.set_legal_hold(held, True)
    for key in (locked, held):
        with pytest.raises(Conflict):
            stores.documents.erase(key)
        assert stores.documents.get_json(key, Step) == step
    stores.documents.set_legal_hold(held, False)
    stores.documents.erase(held)
    assert not stores.documents.exists(held)
    stores.documents.set_legal_hold(held, True)  # an erased object holds nothing


def test_an_offer_to_stay_waits_with_its_token_and_takes_one_answer(stores):
    checkpoint_id = new_checkpoint(stores).checkpoint_id
    offer = WinBackState(offer="fee_waiver", offered_at=iso(utc_now()), expires_at=iso(utc_now()))
    stores.checkpoints.offer_win_back(checkpoint_id, "token-1", offer)
    stores.checkpoints.offer_win_back(checkpoint_id, "token-2", offer.model_copy(update={"offer": "other"}))  # a retry
    waiting = stores.checkpoints.get(checkpoint_id)
    assert waiting.status is CheckpointStatus.WIN_BACK_OFFERED and waiting.win_back == offer
    assert stores.checkpoints.answer_win_back(checkpoint_id, "decline", "2026-12-01T10:00:00.000Z", "web") == "token-2"
    with pytest.raises(Conflict):
        stores.checkpoints.answer_win_back(checkpoint_id, "lapsed", "2026-12-01T10:00:01.000Z", "system:offboarding")
    answered = stores.checkpoints.get(checkpoint_id)
    assert (answered.status, answered.win_back.answer, answered.win_back.answered_by) == (
        CheckpointStatus.RUNNING, "decline", "web")
    assert [h.status for h in answered.status_history][-2:] == [CheckpointStatus.WIN_BACK_OFFERED,
                                                                 CheckpointStatus.RUNNING]
    with pytest.raises(Conflict):  # it is RUNNING: a change from another status does not apply
        stores.checkpoints.transition(checkpoint_id, CheckpointStatus.STAYED, from_=CheckpointStatus.WIN_BACK_OFFERED)
    assert stores.checkpoints.transition(checkpoint_id, CheckpointStatus.NOTICE_PERIOD, from_=CheckpointStatus.RUNNING)
    assert not stores.checkpoints.transition(checkpoint_id, CheckpointStatus.NOTICE_PERIOD,
                                             from_=CheckpointStatus.RUNNING)  # a retried task: a no-op


def test_a_customer_is_closed_with_its_statements_access_blocked_once_and_downgraded_once(stores):
    from tests.records import customer_record

    customer_id = f"cus_{uuid.uuid4().hex}"
    stores.customers.create_once(customer_record(customer_id))
    stores.customers.block_payments(customer_id, "2026-12-01T10:00:00.000Z", "cp_1")
    stores.customers.block_payments(customer_id, "2026-12-02T10:00:00.000Z", "cp_2")
    stores.customers.downgrade(customer_id, "2026-12-01T11:00:00.000Z", "cp_1", "acc-1")
    stores.customers.downgrade(customer_id, "2026-12-01T12:00:00.000Z", "cp_2", "acc-2")
    record = stores.customers.get(customer_id)
    assert (record.payments_blocked_at, record.payments_blocked_by) == ("2026-12-01T10:00:00.000Z", "cp_1")
    assert (record.basic_account.account_id, record.status) == ("acc-1", "active")
    assert stores.customers.close(customer_id, "2026-12-03T00:00:00.000Z", "cp_3", "2027-12-03T00:00:00.000Z")
    assert not stores.customers.close(customer_id, "2026-12-04T00:00:00.000Z", "cp_4", "2028-01-01T00:00:00.000Z")
    closed = stores.customers.get(customer_id)
    assert (closed.status, closed.closed_at, closed.statements_until) == (
        "closed", "2026-12-03T00:00:00.000Z", "2027-12-03T00:00:00.000Z")
    with pytest.raises(Conflict):
        stores.customers.downgrade(customer_id, "2026-12-05T00:00:00.000Z", "cp_5", "acc-1")


def test_an_exit_fact_is_recorded_once_per_checkpoint_and_read_back_by_month(stores):
    checkpoint_id = new_checkpoint(stores).checkpoint_id
    month = f"1999-{uuid.uuid4().int % 12 + 1:02d}"  # a month no other test writes
    fact = ExitFact(month=month, fact_id=uuid.uuid4().hex, ended_on=date.fromisoformat(f"{month}-03"),
                    reason="competitor.price", channel="web", requested_by="customer",
                    outcome=CheckpointStatus.STAYED, soft_exit="none", win_back_offered=True,
                    win_back_accepted=True, seconds_to_end=3600)
    assert stores.exit_facts.record_once(checkpoint_id, fact)
    assert not stores.exit_facts.record_once(checkpoint_id, fact.model_copy(update={"fact_id": uuid.uuid4().hex}))
    assert list(stores.exit_facts.in_months([month, "1998-01"])) == [fact]


def test_a_monitoring_run_and_its_shard_rows(stores):
    from chalicelib.domain.monitoring import MonitoringRun, RunMode, RunStatus, RunTrigger, ShardOutcome, ShardStatus

    run_id = f"mon_{uuid.uuid4().hex}"
    run = MonitoringRun(run_id=run_id, mode=RunMode.FULL, trigger=RunTrigger.REQUEST, requested_by="o",
                        started_at="2999-01-01T00:00:00.000Z", execution_arn="arn")
    assert stores.monitoring.create_run(run) and not stores.monitoring.create_run(run)
    stores.monitoring.planned(run_id, 2, 30)
    assert (stores.monitoring.get_run(run_id).shards_total, stores.monitoring.get_run(run_id).customers_total) == (2, 30)
    newest, _ = stores.monitoring.runs(1, None)
    assert [r.run_id for r in newest] == [run_id]
    assert stores.monitoring.shard_started(run_id, "s0000", 20) == 1
    assert stores.monitoring.shard_started(run_id, "s0000", 20) == 2
    assert [(o.shard_id, o.status, o.attempts) for o in stores.monitoring.outcomes(run_id)] == \
        [("s0000", ShardStatus.RUNNING, 2)]
    done = ShardOutcome(shard_id="s0000", status=ShardStatus.SUCCEEDED, customers=20, screened=20, attempts=2)
    assert stores.monitoring.record_outcome(run_id, done)
    failed = ShardOutcome(shard_id="s0000", status=ShardStatus.FAILED, customers=20, error="late")
    assert not stores.monitoring.record_outcome(run_id, failed)  # a succeeded row stays
    with pytest.raises(Conflict):
        stores.monitoring.shard_started(run_id, "s0000", 20)
    assert stores.monitoring.outcomes(run_id) == [done]
    assert stores.monitoring.finish_run(run_id, RunStatus.SUCCEEDED, "2999-01-01T00:01:00.000Z")
    assert not stores.monitoring.finish_run(run_id, RunStatus.FAILED, "2999-01-01T00:02:00.000Z")
    assert stores.monitoring.get_run(run_id).status is RunStatus.SUCCEEDED


def test_a_customer_is_in_the_reverse_index_until_closed_and_is_frozen_once(stores):
    from chalicelib.domain.customer import partition_of
    from chalicelib.policies import monitoring_policy
    from tests.records import customer_record

    customer_id = f"cus_{uuid.uuid4().hex}"
    stores.customers.create_once(customer_record(customer_id))
    partition = partition_of(customer_id, monitoring_policy().shards.partitions)
    assert stores.customers.partition_counts().get(partition, 0) >= 1
    assert customer_id in [c.customer_id for c in stores.customers.in_partitions(partition, partition)]
    assert stores.customers.freeze(customer_id, "2026-12-01T00:00:00.000Z", "cp_alert")
    assert not stores.customers.freeze(customer_id, "2026-12-01T00:00:01.000Z", "cp_alert")
    assert stores.customers.get(customer_id).frozen_at == "2026-12-01T00:00:00.000Z"
    stores.customers.close(customer_id, "2026-12-02T00:00:00.000Z", "cp_x")
    assert customer_id not in [c.customer_id for c in stores.customers.in_partitions(partition, partition)]
    with pytest.raises(Conflict):
        stores.customers.freeze(customer_id, "2026-12-03T00:00:00.000Z", "cp_alert")


def test_a_sign_up_waits_for_one_correction_at_a_time(stores):
    checkpoint_id = new_checkpoint(stores).checkpoint_id
    action = Reason(code="MRZ_DOCUMENT_NUMBER_MATCH", detail="differs", field="document.number")
    stores.checkpoints.await_correction(checkpoint_id, "token-1", (action,))
    stores.checkpoints.await_correction(checkpoint_id, "token-2", (action,))  # a retried task replaces the token
    waiting = stores.checkpoints.get(checkpoint_id)
    assert waiting.status is CheckpointStatus.ACTION_REQUIRED and waiting.actions == (action,)
    correction = Correction(at="2026-12-01T10:00:00.000Z", by="web", fields=("document.number",),
                            rerun=("identity", "fraud"))
    assert stores.checkpoints.correct(checkpoint_id, correction, "checkpoints/x/applications/cor_1.json") == "token-2"
    with pytest.raises(Conflict):  # the second of two concurrent corrections
        stores.checkpoints.correct(checkpoint_id, correction, "checkpoints/x/applications/cor_2.json")
    corrected = stores.checkpoints.get(checkpoint_id)
    assert (corrected.status, corrected.actions, corrected.corrections) == (CheckpointStatus.RUNNING, (), (correction,))
    assert corrected.request_key == "checkpoints/x/applications/cor_1.json"
    assert [h.status for h in corrected.status_history][-2:] == [CheckpointStatus.ACTION_REQUIRED,
                                                                 CheckpointStatus.RUNNING]


def test_the_identity_graph_replaces_a_sign_ups_links_and_finds_every_sign_up_under_a_link(stores):
    first, second = f"cp_{uuid.uuid4().hex}", f"cp_{uuid.uuid4().hex}"
    shared, own, device = f"document#{uuid.uuid4().hex}", f"email#{uuid.uuid4().hex}", uuid.uuid4().hex

    def entry(checkpoint_id: str, link: str, at: str) -> GraphEntry:
        kind, value = link.split("#")
        return GraphEntry(checkpoint_id=checkpoint_id, identity="id-" + checkpoint_id[-4:], kind=LinkKind(kind),
                          value=value, at=at)

    stores.identity_graph.replace(first, [entry(first, shared, "2026-12-01T10:00:00.000Z"),
                                          entry(first, own, "2026-12-01T10:00:00.000Z"),
                                          entry(first, f"device#{device}", "2026-12-01T10:00:00.000Z")])
    stores.identity_graph.replace(second, [entry(second, shared, "2026-12-01T11:00:00.000Z")])
    assert [e.checkpoint_id for e in stores.identity_graph.linked(shared)] == [second, first]  # newest first
    assert [e.checkpoint_id for e in stores.identity_graph.linked(shared, other_than="id-" + first[-4:])] == [second]
    stores.identity_graph.replace(first, [entry(first, shared, "2026-12-01T10:00:00.000Z"),
                                          entry(first, f"device#{device}", "2026-12-01T10:00:00.000Z")])  # corrected
    assert stores.identity_graph.linked(own) == []
    assert {e.key for e in stores.identity_graph.of_checkpoint(first)} == {shared, f"device#{device}"}
    stores.identity_graph.stamp_retention(f"{first}/device", {"rule": "eu-device-data"}, 1_900_000_000)
    stores.identity_graph.delete(f"{first}/device")  # the device record alone
    assert {e.key for e in stores.identity_graph.of_checkpoint(first)} == {shared}
    stores.identity_graph.delete(first)
    assert [e.checkpoint_id for e in stores.identity_graph.linked(shared)] == [second]
    stores.identity_graph.delete(second)


def test_a_customer_is_rated_once_per_rating_it_replaces(stores):
    from tests.records import customer_record

    customer_id = f"cus_{uuid.uuid4().hex}"
    stores.customers.create_once(customer_record(customer_id).model_copy(update={"risk_rating": None}))
    first = RiskRating(level=RiskLevel.LOW, score=5, factors=(), rated_at="2026-12-01T10:00:00.000Z",
                       reason=RatingReason.ONBOARDING, policy_version="1")
    second = first.model_copy(update={"level": RiskLevel.HIGH, "score": 60, "rated_at": "2026-12-02T10:00:00.000Z",
                                      "reason": RatingReason.MONITORING_ALERT, "alert": "STRUCTURING"})
    stores.customers.rate(customer_id, first, None)
    with pytest.raises(Conflict):
        stores.customers.rate(customer_id, first, None)  # rated meanwhile
    alert = MonitoringAlert(reason_code="STRUCTURING", at=second.rated_at, alert_id="al-1")
    stores.customers.rate(customer_id, second, first, alert)
    with pytest.raises(Conflict):
        stores.customers.rate(customer_id, second, first, alert)  # the same re-rating again
    record = stores.customers.get(customer_id)
    assert record.risk_rating == second and record.risk_rating_history == (first,) and record.risk_alerts == (alert,)
