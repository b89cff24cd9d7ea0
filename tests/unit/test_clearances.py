"""Cleared matches on in-memory stores: an approval grants them (once), a later screening of the
same customer applies them, a changed entry or a revocation does not; the clearance log records
each grant and revocation; an old-format index is rebuilt from the list's own files."""
from __future__ import annotations

import pickle
import uuid
from datetime import date

import pytest

from chalicelib.domain.actors import Caller, Role
from chalicelib.domain.audit_log import LogName, verify
from chalicelib.domain.checkpoint import CheckpointKind, ReviewOutcome
from chalicelib.domain.customer import customer_id_for
from chalicelib.domain.models import Verdict
from chalicelib.domain.screening.clearance import apply, clearable, granted
from chalicelib.domain.screening.engine import Band, MatchStatus, Screener
from chalicelib.domain.screening.entities import Alias, AliasStrength, BirthDate, EntityType, ListEntity, ListKind
from chalicelib.domain.screening.index import NameIndex
from chalicelib.errors import Conflict, InvalidField
from chalicelib.policies import list_sources_policy, screening_policy
from chalicelib.services import clearances, offboarding, onboarding, outcomes, reviews, screening
from chalicelib.stores.list_bucket import ListManifest
from tests.records import customer_record
from tests.unit.fakes import fake_stores
from tests.unit.test_services import WEB, closure, key, signup

OFFICER = Caller(subject="officer-1", role=Role.COMPLIANCE)
LISTED = ListEntity(source="ofac-sdn", source_id="901", type=EntityType.PERSON, primary_name="Haraldur STEINGRIMSSON",
                    birth_dates=(BirthDate(exact=date(1950, 1, 1)),), programmes=("TEST",))
PEP = ListEntity(source="pep-us-congress", source_id="P1", type=EntityType.PERSON, kind=ListKind.PEP,
                 primary_name="Haraldur Steingrimsson")
# born 1990: the listed person's name, a birth date that contradicts: a possible match (review band)
APPLICANT = {"given_names": "Haraldur", "family_name": "Steingrimsson", "birth_date": "1990-06-01"}


@pytest.fixture
def stores(unit_settings):
    stores = fake_stores()
    publish(stores, [LISTED])
    return stores


def publish(stores, sanctions: list[ListEntity], pep: list[ListEntity] = ()) -> None:
    """Every list in force, with these entries (the rest empty), under versions no other test uses."""
    for source in list_sources_policy().sources:
        entities = [e for e in [*sanctions, *pep] if e.source == source]
        version = f"test-{uuid.uuid4().hex[:8]}"
        index = NameIndex.build(source, version, entities).to_bytes()
        stores.lists.publish(ListManifest(source=source, version=version, snapshot="2026-01-01", format="test",
                                          files={}, published_at="t"), {}, index)


def sign_up_in_review(stores) -> str:
    checkpoint_id = onboarding.start(WEB, signup(**APPLICANT), key(), stores).checkpoint_id
    step = screening.screen_checkpoint(checkpoint_id, CheckpointKind.ONBOARDING, stores)
    assert step.verdict is Verdict.REVIEW and [r.code for r in step.reasons] == ["SANCTIONS_POSSIBLE_MATCH"]
    reviews.enter_review(checkpoint_id, f"token-{checkpoint_id}", 1, stores)
    return checkpoint_id


def approved_customer(stores) -> str:
    """A sign-up approved after review, and the customer its approval created."""
    checkpoint_id = sign_up_in_review(stores)
    reviews.decide(OFFICER, checkpoint_id, ReviewOutcome.APPROVE, "listed person born 1950", stores)
    stores.checkpoints.record_step(checkpoint_id, onboarding.verify_identity(checkpoint_id, stores=stores))
    outcomes.record(checkpoint_id, "APPROVED", stores=stores)
    return stores.checkpoints.get(checkpoint_id).customer_id


def closure_screening(stores, customer_id: str):
    """Screen the customer as a closure's ScreenHolders step does."""
    checkpoint_id = offboarding.start(WEB, closure(customer_id), key(), stores)[0].checkpoint_id
    return checkpoint_id, screening.screen_checkpoint(checkpoint_id, CheckpointKind.OFFBOARDING, stores)


def test_an_approval_clears_the_possible_match_for_the_customer_it_creates(stores):
    checkpoint_id = sign_up_in_review(stores)
    reviews.decide(OFFICER, checkpoint_id, ReviewOutcome.APPROVE, "listed person born 1950", stores)
    [granted_now] = stores.clearances.items.values()
    assert granted_now.customer_id == customer_id_for(checkpoint_id)  # the customer the approval creates
    assert (granted_now.source, granted_now.entry_id, granted_now.entry_hash) == ("ofac-sdn", "901", LISTED.content_hash())
    assert (granted_now.granted_by, granted_now.reason, granted_now.checkpoint_id) == (
        "officer-1", "listed person born 1950", checkpoint_id)
    [entry] = stores.audit.logs[LogName.CLEARANCE]
    assert (entry.event, entry.subject) == ("granted", granted_now.clearance_id)
    assert "reason" not in entry.details and "Haraldur" not in entry.model_dump_json()

    again = clearances.grant_for_review(OFFICER, stores.checkpoints.get(checkpoint_id), "a retry", stores)
    assert [c.clearance_id for c in again] == [granted_now.clearance_id]  # the same clearance, granted once
    assert list(stores.clearances.items.values()) == [granted_now] and len(stores.audit.logs[LogName.CLEARANCE]) == 1


def test_a_rejection_or_an_escalation_clears_nothing(stores):
    for outcome in (ReviewOutcome.REJECT, ReviewOutcome.ESCALATE):
        reviews.decide(OFFICER, sign_up_in_review(stores), outcome, "not sure", stores)
    assert stores.clearances.items == {} and stores.audit.logs[LogName.CLEARANCE] == []


def test_the_customers_next_screening_reports_the_match_cleared_and_passes(stores):
    customer_id = approved_customer(stores)
    [clearance] = stores.clearances.items.values()
    checkpoint_id, step = closure_screening(stores, customer_id)
    assert step.verdict is Verdict.PASS
    assert [(r.code, r.detail) for r in step.reasons] == [
        ("SANCTIONS_MATCH_CLEARED", f"ofac-sdn: entry 901, clearance {clearance.clearance_id}")]
    result = stores.documents.get_json(step.result_key, screening.ScreeningResult)
    [match] = result.subjects[0].matches
    assert (match.status, match.band, match.clearance.id, match.clearance.reason) == (
        MatchStatus.CLEARED, Band.REVIEW, clearance.clearance_id, "listed person born 1950")
    assert all(c.passed for c in result.checks)


def test_a_changed_entry_is_another_entry(stores):
    customer_id = approved_customer(stores)
    publish(stores, [LISTED.model_copy(update={"aliases": (Alias(name="Harald STEIN", strength=AliasStrength.STRONG),)})])
    _, step = closure_screening(stores, customer_id)
    assert step.verdict is Verdict.REVIEW and [r.code for r in step.reasons] == ["SANCTIONS_POSSIBLE_MATCH"]


def test_a_revoked_clearance_no_longer_applies_and_is_logged(stores):
    customer_id = approved_customer(stores)
    [clearance] = stores.clearances.items.values()
    revoked = clearances.revoke(OFFICER, clearance.clearance_id, stores)
    assert (revoked.status, revoked.revoked_by) == ("revoked", "officer-1")
    with pytest.raises(Conflict):
        clearances.revoke(OFFICER, clearance.clearance_id, stores)
    _, step = closure_screening(stores, customer_id)
    assert step.verdict is Verdict.REVIEW
    log = stores.audit.logs[LogName.CLEARANCE]
    assert [e.event for e in log] == ["granted", "revoked"] and verify(log).valid


def test_a_clearance_is_for_its_customer_only(stores):
    approved_customer(stores)
    stranger = f"cus_{uuid.uuid4().hex}"
    stores.customers.create_once(customer_record(stranger, given="Haraldur", family="Steingrimsson",
                                                 birth=date(1990, 6, 1)))
    _, step = closure_screening(stores, stranger)
    assert step.verdict is Verdict.REVIEW


def test_block_band_and_pep_matches_are_never_cleared(stores):
    publish(stores, [LISTED], [PEP])
    checkpoint_id = onboarding.start(WEB, signup(**APPLICANT), key(), stores).checkpoint_id
    screening.screen_checkpoint(checkpoint_id, CheckpointKind.ONBOARDING, stores)
    reviews.enter_review(checkpoint_id, "t", 1, stores)
    reviews.decide(OFFICER, checkpoint_id, ReviewOutcome.APPROVE, "EDD done; not the listed person", stores)
    assert [c.source for c in stores.clearances.items.values()] == ["ofac-sdn"]  # the PEP stays a PEP

    screener = Screener([NameIndex.build("ofac-sdn", "v", [LISTED])], screening_policy())
    [block] = screener.screen_person("Haraldur Steingrimsson", date(1950, 1, 1))
    assert block.band is Band.BLOCK and not clearable(block)
    assert granted("cp", "cus", [block], "o", "t", "r") == []
    [review] = screener.screen_person("Haraldur Steingrimsson", date(1990, 1, 1))
    [clearance] = granted("cp", "cus", [review], "o", "t", "r")
    assert apply([block], [clearance]) == (block,)  # the same entry, near-certain this time: not cleared
    assert apply([review], [clearance])[0].status is MatchStatus.CLEARED


def test_nothing_is_read_when_no_match_could_be_cleared(stores):
    class Unreadable:
        def for_customer(self, customer_id):
            raise AssertionError("read the clearances for nothing")
    stores_without = type(stores)(**{**stores.__dict__, "clearances": Unreadable()})
    assert clearances.cleared("cus_x", (), stores_without) == ()


def test_clearances_are_listed_by_status_and_customer_page_by_page(stores):
    first, second = approved_customer(stores), approved_customer(stores)
    page = clearances.listing(OFFICER, "active", None, 1, None, stores)
    rest = clearances.listing(OFFICER, "active", None, 10, page["next"], stores)
    assert [c.customer_id for c in page["items"] + rest["items"]] == [second, first] and rest["next"] is None
    assert [c.customer_id for c in clearances.listing(OFFICER, "active", first, 10, None, stores)["items"]] == [first]
    assert clearances.listing(OFFICER, "revoked", None, 10, None, stores)["items"] == []
    with pytest.raises(InvalidField):
        clearances.listing(OFFICER, "active", None, 10, "bm90IGEgY3Vyc29y", stores)


def test_an_index_of_an_older_format_is_rebuilt_from_the_list_files(stores, monkeypatch):
    manifest = stores.lists.current("ofac-sdn")
    stores.lists.indexes[(manifest.source, manifest.version)] = pickle.dumps(("screening-index/1", "an old layout"))
    parsed = []
    monkeypatch.setattr(screening, "iter_list", lambda fmt, files, source: parsed.append(source) or [LISTED])
    screening._screeners.clear()
    assert [m.source_id for m in screening.current_screener(stores).screen("Haraldur Steingrimsson")] == ["901"]
    assert parsed == ["ofac-sdn"]  # only the stale index was rebuilt
