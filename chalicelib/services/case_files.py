"""The reviewer's case file (GET /v1/reviews/{id}): everything an officer needs to decide a review,
and the only place the API shows staff a person's data.

A case file holds the people the checkpoint concerns as the bank knows them (a sign-up's applicant;
a closure's customer and every joint holder; any other kind's customer), with short-lived links to
their document images; one part per step that sent the checkpoint to review (SECTIONS: each
screening match with the listed entry's whole record and the attribute-by-attribute comparison,
the exit-risk flags with their transactions); the decisions and clearances made for these people
and their other checkpoints; the notes and the case's events. Reading it is purpose-bound
(services.data_access) and logged before anything is returned.

Adding to it:
- a step's part: a `Section` in SECTIONS (the step whose stored result it reads, the CaseFile field
  it fills, its builder, and the names of the personal fields it shows for the data access log),
  and that field, optional, on `chalicelib.api.views.CaseFile`;
- a kind of checkpoint: whom it concerns in PEOPLE (by default the checkpoint's customer), and
  its service level in policies/reviews.yaml.

Nothing here is logged or handed to a workflow: the file goes to the caller, the log gets names."""
from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace
from datetime import timedelta
from typing import Any

from chalicelib.domain.actors import Caller, StatedPurpose
from chalicelib.domain.case_file import compare, listed_entry
from chalicelib.domain.case_work import CaseNote, claim_holds, due_at, parse_time
from chalicelib.domain.checkpoint import Checkpoint, CheckpointKind, Step, iso, utc_now
from chalicelib.domain.closure import ClosureRequest, Transaction
from chalicelib.domain.customer import CustomerRecord
from chalicelib.domain.exit_risk import ExitRiskAssessment
from chalicelib.domain.models import Applicant, Application, IdentityDocument
from chalicelib.domain.screening.result import APPLICANT, ScreeningResult
from chalicelib.errors import NotFound
from chalicelib.policies import review_policy
from chalicelib.services import access, clearances, data_access, lists
from chalicelib.stores import AWS, Stores
from chalicelib.stores.document_bucket import application_key, closure_request_key, notes_prefix, upload_key
from chalicelib.stores.stored import parse_json

CUSTOMER, JOINT_HOLDER = "customer", "joint_holder"


@dataclass(frozen=True)
class Person:
    """Someone a checkpoint concerns, as the bank knows them."""

    subject: str  # as the screening result names them: "applicant" or a customer id
    role: str  # applicant | customer | joint_holder
    customer_id: str  # a sign-up's applicant: the customer id its approval creates
    profile: Applicant
    document: IdentityDocument | None
    record: CustomerRecord | None = None  # None: not (yet) a customer
    images: dict[str, str] = field(default_factory=dict)  # side -> S3 key of the image, if uploaded


# ---- whom a checkpoint concerns, by kind ----

def _images(checkpoint_id: str, sides: Iterable[str], stores: Stores) -> dict[str, str]:
    return {side: key for side in sides if stores.documents.exists(key := upload_key(checkpoint_id, side))}


def _customer(customer_id: str, role: str, stores: Stores) -> Person | None:
    try:
        record = stores.customers.get(customer_id)
    except NotFound:
        return None  # a holder the bank has no record of (the screening says HOLDER_UNKNOWN)
    return Person(subject=customer_id, role=role, customer_id=customer_id, profile=record.profile,
                  document=record.document, record=record,
                  images=_images(record.onboarding_checkpoint_id, record.document.images, stores))


def _applicant(checkpoint: Checkpoint, stores: Stores) -> list[Person]:
    application = stores.documents.get_json(application_key(checkpoint.checkpoint_id), Application)
    customer_id = checkpoint.customer_id or clearances.applicant_identity(checkpoint.checkpoint_id)
    try:
        record = stores.customers.get(customer_id)
    except NotFound:
        record = None
    return [Person(subject=APPLICANT, role=APPLICANT, customer_id=customer_id, profile=application.applicant,
                   document=application.document, record=record,
                   images=_images(checkpoint.checkpoint_id, checkpoint.images, stores))]


def _holders(checkpoint: Checkpoint, stores: Stores) -> list[Person]:
    """The closing customer (with the documents a succession asked for) and every joint holder."""
    request = stores.documents.get_json(closure_request_key(checkpoint.checkpoint_id), ClosureRequest)
    holders = dict.fromkeys([request.customer_id, *(h for a in request.accounts for h in a.holders)])
    people = [p for h in holders if (p := _customer(h, CUSTOMER if h == request.customer_id else JOINT_HOLDER, stores))]
    closing = _images(checkpoint.checkpoint_id, checkpoint.images, stores)
    return [replace(p, images={**p.images, **closing}) if p.subject == request.customer_id else p for p in people]


def _the_customer(checkpoint: Checkpoint, stores: Stores) -> list[Person]:
    person = _customer(checkpoint.customer_id, CUSTOMER, stores) if checkpoint.customer_id else None
    return [person] if person else []


PEOPLE: dict[CheckpointKind, Callable[[Checkpoint, Stores], list[Person]]] = {
    CheckpointKind.ONBOARDING: _applicant,
    CheckpointKind.OFFBOARDING: _holders,
}  # any other kind: the checkpoint's customer


def people_of(checkpoint: Checkpoint, stores: Stores = AWS) -> list[Person]:
    return PEOPLE.get(checkpoint.kind, _the_customer)(checkpoint, stores)


# ---- the parts the review steps add ----

@dataclass(frozen=True)
class Section:
    """One part of the case file, built from the stored result of the step named `step`."""

    step: str
    field: str  # the CaseFile field it fills
    build: Callable[[Checkpoint, Step, dict[str, Person], Stores], Any]
    personal: tuple[str, ...]  # the field names it shows of the people (logged when it is not empty)


def _matches(checkpoint: Checkpoint, step: Step, people: dict[str, Person], stores: Stores) -> list[dict[str, Any]]:
    """Each match with the listed entry's whole record (from the list version the screening used)
    and the person beside it, attribute by attribute."""
    screened = stores.documents.get_json(step.result_key, ScreeningResult)
    found = []
    for subject in screened.subjects:
        person = people.get(subject.subject)
        for match in subject.matches:
            entity = lists.listed_entry(match.source, match.list_version, match.source_id, stores)
            comparison = compare(person.profile, person.document, entity, match) if entity and person else ()
            found.append({"subject": subject.subject, "match": match,
                          "listed": listed_entry(entity, match.list_version) if entity else None,
                          "comparison": list(comparison)})
    return found


def _transactions(key: str, ids: set[str], stores: Stores) -> list[Transaction]:
    if not ids:
        return []
    found = []
    for number, line in stores.documents.iter_lines(key):
        transaction = parse_json(Transaction, line, "transaction", f"{key}:{number}")
        if transaction.transaction_id in ids:
            found.append(transaction)
    return found


def _exit_risk(checkpoint: Checkpoint, step: Step, people: dict[str, Person], stores: Stores) -> dict[str, Any]:
    """The red flags with their evidence, and the transactions the evidence names."""
    assessment = stores.documents.get_json(step.result_key, ExitRiskAssessment)
    flags = [f for f in assessment.findings if f.flagged]
    named = {i for f in flags for name, value in f.evidence.items() if name.endswith("_ids") and isinstance(value, list)
             for i in value if isinstance(i, str)}
    request = stores.documents.get_json(closure_request_key(checkpoint.checkpoint_id), ClosureRequest)
    return {"policy_version": assessment.policy_version, "flags": flags,
            "transactions": _transactions(request.transactions_key, named, stores)}


SECTIONS: tuple[Section, ...] = (
    Section(step="screening", field="matches", build=_matches, personal=("matches.comparison",)),
    Section(step="exit_risk", field="exit_risk", build=_exit_risk,
            personal=("exit_risk.flags.evidence", "exit_risk.transactions")),
)


# ---- the case file ----

def notes(checkpoint_id: str, stores: Stores = AWS) -> list[CaseNote]:
    return [stores.documents.get_json(key, CaseNote) for key, _ in stores.documents.keys_under(notes_prefix(checkpoint_id))]


def _subject(person: Person, links_for: int, stores: Stores) -> dict[str, Any]:
    profile, record = person.profile, person.record
    expires_at = iso(utc_now() + timedelta(seconds=links_for))
    images = [{"side": side, "url": stores.documents.download_link(key, links_for), "expires_at": expires_at}
              for side, key in person.images.items()]
    view: dict[str, Any] = {
        "subject": person.subject, "role": person.role, "customer_id": person.customer_id,
        "relationship": record.status if record else "applicant", "given_names": profile.given_names,
        "family_name": profile.family_name, "birth_date": profile.birth_date, "nationality": profile.nationality,
        "email": profile.email, "phone": profile.phone, "address": profile.address.model_dump(), "images": images}
    if record and record.closed_at:
        view["relationship_ended_at"] = record.closed_at
    if person.document:
        view["document"] = person.document.model_dump(include={"type", "number", "issuing_country", "expiry_date"})
    return view


def _decisions(checkpoint: Checkpoint) -> list[dict[str, Any]]:
    return [d.model_dump(mode="json") for d in checkpoint.review_decisions]


def _review(checkpoint: Checkpoint) -> dict[str, Any] | None:
    """Where the review stands: its level, age, due date, and who holds it."""
    if not checkpoint.review_level:
        return None
    policy, now = review_policy(), utc_now()
    since = checkpoint.review_since or checkpoint.created_at
    due = due_at(checkpoint.kind, since, policy)
    review = {"level": checkpoint.review_level, "awaiting_decision": checkpoint.awaiting_decision,
              "in_review_since": since, "age_seconds": int((now - parse_time(since)).total_seconds()),
              "due_at": iso(due), "overdue": checkpoint.awaiting_decision and now >= due,
              "service_level_hours": policy.service_levels[checkpoint.kind].hours,
              "reasons": [r.model_dump() for r in checkpoint.review_reasons]}
    if holder := holder_of(checkpoint):
        review["assignee"] = holder
    return review


def holder_of(checkpoint: Checkpoint) -> dict[str, str] | None:
    """Who holds the review, while the claim holds."""
    if not checkpoint.assignee or not claim_holds(checkpoint.assigned_at, utc_now(), review_policy()):
        return None
    lapses = parse_time(checkpoint.assigned_at) + timedelta(hours=review_policy().claim.hours)
    return {"subject": checkpoint.assignee, "claimed_at": checkpoint.assigned_at, "lapses_at": iso(lapses)}


def _earlier(checkpoint: Checkpoint, people: list[Person], stores: Stores) -> list[dict[str, Any]]:
    """The other checkpoints of the same customers (their sign-up, their closure), oldest first."""
    ids = {i: p.customer_id for p in people if p.record
           for i in (p.record.onboarding_checkpoint_id, p.record.offboarding_checkpoint_id) if i}
    ids.pop(checkpoint.checkpoint_id, None)
    earlier = []
    for checkpoint_id, customer_id in ids.items():
        try:
            other = stores.checkpoints.get(checkpoint_id)
        except NotFound:
            continue  # a customer migrated from elsewhere has no sign-up checkpoint here
        earlier.append({"checkpoint_id": other.checkpoint_id, "kind": other.kind, "status": other.status,
                        "created_at": other.created_at, "customer_id": customer_id,
                        "decision": other.decision.model_dump(mode="json") if other.decision else None,
                        "review_decisions": _decisions(other),
                        "links": {"case_file": f"/v1/reviews/{other.checkpoint_id}"}})
    return sorted(earlier, key=lambda c: c["created_at"])


def _personal_fields(case: dict[str, Any]) -> list[str]:
    """The names of the fields of the people the case file shows (for the data access log)."""
    fields = []
    if case["subjects"]:
        fields += ["subjects.name", "subjects.birth_date", "subjects.nationality", "subjects.contact",
                   "subjects.address"]
        fields += ["subjects.document"] if any("document" in s for s in case["subjects"]) else []
        fields += ["subjects.images"] if any(s["images"] for s in case["subjects"]) else []
    for section in SECTIONS:
        if case.get(section.field):
            fields += section.personal
    fields += ["notes"] if case["notes"] else []
    fields += ["decisions.reason"] if case["decisions"] else []
    fields += ["clearances.reason"] if case["clearances"] else []
    fields += ["earlier_checkpoints.review_decisions.reason"] if any(
        c["review_decisions"] for c in case["earlier_checkpoints"]) else []
    return fields


def case_file(caller: Caller, checkpoint_id: str, stated: StatedPurpose | None = None,
              stores: Stores = AWS) -> dict[str, Any]:
    """The case file of a checkpoint, read for a purpose and logged (PurposeRequired for a former
    customer's without one that opens it)."""
    checkpoint = access.checkpoint(caller, checkpoint_id, stores)
    people = people_of(checkpoint, stores)
    customer_ids = [p.customer_id for p in people]
    granted = data_access.grant(stated, data_access.former_customers(customer_ids, stores), checkpoint_id)
    by_subject = {p.subject: p for p in people}
    case: dict[str, Any] = {
        "checkpoint_id": checkpoint.checkpoint_id, "kind": checkpoint.kind, "status": checkpoint.status,
        "created_at": checkpoint.created_at, "updated_at": checkpoint.updated_at, "review": _review(checkpoint),
        "subjects": [_subject(p, review_policy().image_links.seconds, stores) for p in people],
        "matches": [],
        "decisions": _decisions(checkpoint),
        "clearances": [c.model_dump() for customer_id in dict.fromkeys(customer_ids)
                       for c in stores.clearances.for_customer(customer_id)],
        "earlier_checkpoints": _earlier(checkpoint, people, stores),
        "notes": [n.model_dump(exclude={"checkpoint_id"}) for n in notes(checkpoint_id, stores)],
        "activity": [e.model_dump(mode="json") for e in checkpoint.case_events],
        "links": {"self": f"/v1/reviews/{checkpoint_id}", "checkpoint": f"/v1/checkpoints/{checkpoint_id}",
                  "history": f"/v1/checkpoints/{checkpoint_id}/history",
                  "decision": f"/v1/reviews/{checkpoint_id}/decision", "claim": f"/v1/reviews/{checkpoint_id}/claim",
                  "release": f"/v1/reviews/{checkpoint_id}/release", "notes": f"/v1/reviews/{checkpoint_id}/notes"},
    }
    for section in SECTIONS:
        step = checkpoint.steps.get(section.step)
        if step is not None and step.result_key:
            case[section.field] = section.build(checkpoint, step, by_subject, stores)
    fields = _personal_fields(case)
    entry = data_access.record(caller, data_access.DataAccess.CASE_FILE_READ, checkpoint_id, granted, customer_ids,
                               fields, stores)
    case["access"] = {"purpose": granted.purpose, "reference": granted.reference, "read_by": caller.subject,
                      "read_at": entry.at, "former_customers": list(granted.former_customers),
                      "fields": sorted(set(fields)), "log_sequence": entry.sequence}
    return case
