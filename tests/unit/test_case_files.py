"""The case file's pure parts (the person beside the listed entry, service levels, claims) and its
services on in-memory stores: claims and notes, the queue's filters, purpose-bound reads of former
customers and their entries in the data access log."""
from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from chalicelib import clock
from chalicelib.api.models import Assigned
from chalicelib.domain.actors import AccessPurpose, Caller, Role, StatedPurpose
from chalicelib.domain.audit_log import LogName, verify
from chalicelib.domain.case_file import Agreement, Attribute, birth_date_text, compare
from chalicelib.domain.case_work import claim_holds, due_at
from chalicelib.domain.checkpoint import CheckpointKind, ReviewOutcome
from chalicelib.domain.models import Address, Applicant, DocumentType, IdentityDocument
from chalicelib.domain.screening.engine import Band, Match, NameScores
from chalicelib.domain.screening.entities import (
    BirthDate,
    EntityType,
    Identifier,
    ListEntity,
    ListKind,
    NameKind,
    Precision,
)
from chalicelib.errors import Conflict, PurposeRequired
from chalicelib.policies import review_policy
from chalicelib.services import case_files, data_access, reviews
from tests.unit.test_services import OFFICER, customer, in_review
from tests.unit.fakes import fake_stores

PERSON = Applicant(given_names="Helmer", family_name="Herrera Buitrago", birth_date=date(1990, 2, 3),
                   nationality="COL", email="h@example.org", phone="+46701234567",
                   address=Address(line1="Storgatan 12", city="Uppsala", postal_code="753 20", country="SWE"))
PASSPORT = IdentityDocument(type=DocumentType.PASSPORT, number="XK4419027", issuing_country="SWE",
                            expiry_date=date(2036, 4, 16))
ENTRY = ListEntity(source="ofac-sdn", source_id="4106", type=EntityType.PERSON, primary_name="Helmer HERRERA BUITRAGO",
                   birth_dates=(BirthDate(exact=date(1951, 8, 24)), BirthDate(year=1951, month=7)),
                   nationalities=("Colombia",), identifiers=(Identifier(kind="passport", value="J287011",
                                                                        country="Colombia"),),
                   address_countries=("Colombia",), places_of_birth=("Medellin, Colombia",))
MATCH = Match(source="ofac-sdn", list_version="v1", source_id="4106", kind=ListKind.SANCTIONS,
              entity_type=EntityType.PERSON, primary_name=ENTRY.primary_name, matched_name=ENTRY.primary_name,
              name_kind=NameKind.PRIMARY, score=0.85, band=Band.REVIEW, rule="review",
              name_scores=NameScores(token_pairs=1, token_sort=1, token_set=1, name=1, tokens_paired=3,
                                     listed_tokens=3))
BEN = Caller(subject="officer-ben", role=Role.COMPLIANCE)


def by_attribute(person=PERSON, document=PASSPORT, entry=ENTRY):
    return {c.attribute: c for c in compare(person, document, entry, MATCH)}


# ---- the comparison ----

def test_each_attribute_is_compared_with_both_values_shown():
    compared = by_attribute()
    assert list(compared) == list(Attribute)
    born = compared[Attribute.BIRTH_DATE]
    assert (born.agreement, born.subject, born.listed) == (Agreement.DIFFERS, "1990-02-03", ("1951-08-24", "1951-07"))
    assert compared[Attribute.NATIONALITY].agreement is Agreement.AGREES  # "Colombia" read as COL
    assert compared[Attribute.NAME].agreement is Agreement.AGREES
    assert compared[Attribute.DOCUMENT].agreement is Agreement.DIFFERS
    assert compared[Attribute.ADDRESS_COUNTRY].detail == "SWE is not among the listed address countries (COL)"
    assert compared[Attribute.PLACE_OF_BIRTH].listed == ("Medellin, Colombia",)


def test_what_one_side_does_not_record_is_unknown_not_a_difference():
    bare = ENTRY.model_copy(update={"birth_dates": (), "nationalities": (), "identifiers": ()})
    compared = by_attribute(document=None, entry=bare)
    assert {a: compared[a].agreement for a in (Attribute.BIRTH_DATE, Attribute.NATIONALITY, Attribute.DOCUMENT)} == {
        Attribute.BIRTH_DATE: Agreement.UNKNOWN, Attribute.NATIONALITY: Agreement.UNKNOWN,
        Attribute.DOCUMENT: Agreement.UNKNOWN}
    assert compared[Attribute.DOCUMENT].subject is None


def test_the_same_document_number_listed_agrees_whatever_its_spacing():
    listed = ENTRY.model_copy(update={"identifiers": (Identifier(kind="passport", value="xk 441-9027"),)})
    assert by_attribute(entry=listed)[Attribute.DOCUMENT].agreement is Agreement.AGREES


@given(st.dates(min_value=date(1900, 1, 1), max_value=date(2010, 12, 31)))
def test_a_birth_date_agrees_exactly_when_the_list_has_a_consistent_one(born):
    compared = by_attribute(person=PERSON.model_copy(update={"birth_date": born}))[Attribute.BIRTH_DATE]
    consistent = born == date(1951, 8, 24) or (born.year, born.month) == (1951, 7)
    assert compared.agreement is (Agreement.AGREES if consistent else Agreement.DIFFERS)


@pytest.mark.parametrize("listed, text, precision", [
    (BirthDate(exact=date(1951, 8, 24)), "1951-08-24", Precision.DAY),
    (BirthDate(year=1951, month=7), "1951-07", Precision.MONTH),
    (BirthDate(year=1951), "1951", Precision.YEAR),
    (BirthDate(year_from=1958, year_to=1960, circa=True), "1958 to 1960", Precision.YEAR),
])
def test_a_listed_birth_date_is_shown_at_the_precision_the_list_gives(listed, text, precision):
    shown = birth_date_text(listed)
    assert (shown.value, shown.precision, shown.circa) == (text, precision, listed.circa)


# ---- service levels and claims ----

def test_a_case_is_due_its_kinds_service_level_after_it_entered_review():
    policy = review_policy()
    for kind in CheckpointKind:
        due = due_at(kind, "2026-12-01T08:00:00.000Z", policy)
        assert due == datetime(2026, 12, 1, 8, tzinfo=UTC) + timedelta(hours=policy.service_levels[kind].hours)


def test_a_claim_holds_for_the_policys_hours_only():
    policy, claimed = review_policy(), datetime(2026, 12, 1, 8, tzinfo=UTC)
    lapse = claimed + timedelta(hours=policy.claim.hours)
    assert claim_holds("2026-12-01T08:00:00.000Z", lapse - timedelta(seconds=1), policy)
    assert not claim_holds("2026-12-01T08:00:00.000Z", lapse, policy)
    assert not claim_holds(None, claimed, policy)


# ---- case work on in-memory stores ----

@pytest.fixture
def stores(unit_settings):
    return fake_stores()


@pytest.fixture
def moved_clock():
    yield clock
    clock.reset()


def test_a_held_case_is_decided_by_its_holder_and_by_anyone_once_released(stores):
    checkpoint_id = in_review(stores)
    assert reviews.claim(OFFICER, checkpoint_id, stores)["assignee"]["subject"] == OFFICER.subject
    with pytest.raises(reviews.CaseHeld, match=OFFICER.subject):
        reviews.claim(BEN, checkpoint_id, stores)
    with pytest.raises(reviews.CaseHeld):
        reviews.decide(BEN, checkpoint_id, ReviewOutcome.APPROVE, "different person", stores)
    with pytest.raises(reviews.NotHeld):
        reviews.release(BEN, checkpoint_id, stores)
    assert "assignee" not in reviews.release(OFFICER, checkpoint_id, stores)
    assert reviews.decide(BEN, checkpoint_id, ReviewOutcome.APPROVE, "different person", stores)[0].review_decisions
    with pytest.raises(Conflict):
        reviews.claim(OFFICER, checkpoint_id, stores)  # decided: nothing left to hold


def test_a_lapsed_claim_lets_another_officer_claim_and_decide(stores, moved_clock):
    checkpoint_id = in_review(stores)
    reviews.claim(OFFICER, checkpoint_id, stores)
    moved_clock.move_to(datetime.now(UTC) + timedelta(hours=review_policy().claim.hours, minutes=1))
    assert reviews.claim(BEN, checkpoint_id, stores)["assignee"]["subject"] == BEN.subject
    with pytest.raises(reviews.CaseHeld, match=BEN.subject):
        reviews.decide(OFFICER, checkpoint_id, ReviewOutcome.REJECT, "still mine?", stores)


def test_the_queue_filters_by_holder_kind_and_level(stores):
    mine, free, escalated = in_review(stores), in_review(stores), in_review(stores, level=2)
    reviews.claim(OFFICER, mine, stores)

    def ids(**filters):
        return [i["checkpoint_id"] for i in reviews.queue(OFFICER, 50, None, stores=stores, **filters)["items"]]

    assert ids(assigned=Assigned.ME) == [mine]
    assert ids(assigned=Assigned.NONE) == [free, escalated]
    assert ids(level=2) == [escalated]
    assert ids(kind=CheckpointKind.OFFBOARDING) == []
    assert reviews.queue(BEN, 50, None, assigned=Assigned.ME, stores=stores)["items"] == []
    first = reviews.queue(OFFICER, 1, None, assigned=Assigned.NONE, stores=stores)
    rest = reviews.queue(OFFICER, 1, first["next"], assigned=Assigned.NONE, stores=stores)
    assert [i["checkpoint_id"] for i in first["items"] + rest["items"]] == [free, escalated] and rest["next"] is None


def test_notes_are_numbered_in_order_and_kept_as_written(stores):
    checkpoint_id = in_review(stores)
    reviews.add_note(OFFICER, checkpoint_id, "first", stores)
    reviews.add_note(BEN, checkpoint_id, "second\nline", stores)
    assert [(n.sequence, n.author, n.text) for n in case_files.notes(checkpoint_id, stores)] == [
        (1, OFFICER.subject, "first"), (2, BEN.subject, "second\nline")]
    assert [e.note for e in stores.checkpoints.get(checkpoint_id).case_events] == [1, 2]


# ---- purpose-bound access ----

REGULATOR = StatedPurpose(purpose=AccessPurpose.REGULATORY_REQUEST, reference="FIU-1")


def test_a_former_customers_data_needs_a_purpose_that_opens_it(stores):
    former, current = customer(stores, status="closed"), customer(stores)
    ended = data_access.former_customers([current, former, "cus_unknown"], stores)
    assert ended == (former,)
    with pytest.raises(PurposeRequired) as refused:
        data_access.grant(None, ended, "cp_1")
    assert "regulatory_request" in refused.value.purposes
    default = data_access.grant(None, (), "cp_1")  # a current case read without a purpose
    assert (default.purpose, default.reference) == (AccessPurpose.CASE_REVIEW, "cp_1")
    with pytest.raises(PurposeRequired):
        data_access.grant(StatedPurpose(purpose=AccessPurpose.CASE_REVIEW, reference="x"), ended, "cp_1")
    granted = data_access.grant(REGULATOR, ended, "cp_1")
    assert (granted.purpose, granted.reference, granted.former_customers) == (
        AccessPurpose.REGULATORY_REQUEST, "FIU-1", (former,))


def test_every_read_is_a_chained_entry_naming_fields_never_values(stores):
    granted = data_access.grant(REGULATOR, ("cus_1",), "cp_1")
    first = data_access.record(OFFICER, data_access.DataAccess.CASE_FILE_READ, "cp_1", granted, ["cus_1"],
                               ["subjects.birth_date", "subjects.name", "subjects.name"], stores)
    second = data_access.record(OFFICER, data_access.DataAccess.CASE_FILE_READ, "cp_1", granted, ["cus_1"], [], stores)
    assert (first.sequence, second.prev_hash) == (1, first.hash)
    assert first.details["fields"] == "subjects.birth_date,subjects.name"
    assert first.details["purpose"] == "regulatory_request" and first.details["former_customers"] == "cus_1"
    assert verify(stores.audit.entries(LogName.DATA_ACCESS), stores.audit.head(LogName.DATA_ACCESS).hash).valid
