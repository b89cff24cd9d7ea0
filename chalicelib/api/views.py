"""Response models of the public API: what each operation answers, built from the domain objects
the services return. The operation declarations name these models, so the OpenAPI document
describes exactly what is rendered. Views carry ids, statuses and codes; the only personal data in
a checkpoint's view is a closure's plan, the customer's own (amounts, linked services by name, a
masked payout IBAN), shown to the channel that on-boarded them and to compliance."""
from __future__ import annotations

from datetime import date
from enum import StrEnum
from typing import TYPE_CHECKING, Annotated, Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    GetJsonSchemaHandler,
    SerializerFunctionWrapHandler,
    model_serializer,
)
from pydantic.json_schema import JsonSchemaValue
from pydantic_core import CoreSchema

from chalicelib.domain.actors import AccessPurpose, Caller
from chalicelib.domain.audit_log import LogName, Verification
from chalicelib.domain.case_file import Comparison, ListedEntry
from chalicelib.domain.case_work import CaseNote
from chalicelib.domain.checkpoint import CaseEventKind, Checkpoint, CheckpointKind, CheckpointStatus, ReviewOutcome
from chalicelib.domain.closure import Transaction
from chalicelib.domain.corrections import CheckStep
from chalicelib.domain.fraud_signals import FraudSignal
from chalicelib.domain.ratings import RatingReason, RiskFactorCode, RiskLevel, RiskRating
from chalicelib.domain.closure_plan_parts import ClosurePlan
from chalicelib.domain.exit_analytics import ExitGroup, GroupBy
from chalicelib.domain.exit_risk_findings import Finding
from chalicelib.domain.legal_hold import LegalHold
from chalicelib.domain.export_record import ExportRecord, ExportStatus, Format, Recipient, Section
from chalicelib.domain.models import DocumentKind, DocumentType, Verdict
from chalicelib.domain.monitoring_states import RunMode, RunStatus, RunTrigger
from chalicelib.domain.screening.clearance import Clearance
from chalicelib.domain.retention_terms import Action, RecordClass
from chalicelib.domain.screening.matches import Match
from chalicelib.domain.screening.list_update import ListRefresh, RefreshStage, RefreshState, SourceKind
from chalicelib.domain.webhooks import Delivery, DeliveryStatus, EventType, Subscription
from chalicelib.domain.visibility import as_seen_by

if TYPE_CHECKING:
    from chalicelib.domain.monitoring import RunSummary

Timestamp = Annotated[str, Field(description="UTC ISO-8601 with a Z, e.g. 2026-01-31T00:00:00.000Z")]


class View(BaseModel):
    """A response body. An optional field (default None) is left out when it has no value; a
    required field that may be null (no default) is always there, as null when empty. Its JSON
    Schema says so: every other field is required, and an optional one is never null."""

    model_config = ConfigDict(defer_build=True, extra="forbid", populate_by_name=True)

    @classmethod
    def _left_out_when_none(cls) -> dict[str, str]:
        """{name in the JSON: attribute name} of the fields left out when they are None."""
        return {field.alias or name: name for name, field in cls.model_fields.items()
                if not field.is_required() and field.default is None}

    @model_serializer(mode="wrap")
    def _omit_absent(self, handler: SerializerFunctionWrapHandler) -> Any:
        data = handler(self)
        if isinstance(data, dict):
            for key, name in self._left_out_when_none().items():
                if data.get(key, 0) is None:
                    del data[key]
                elif data.get(name, 0) is None:
                    del data[name]
        return data

    @classmethod
    def __get_pydantic_json_schema__(cls, core_schema: CoreSchema, handler: GetJsonSchemaHandler) -> JsonSchemaValue:
        schema = handler(core_schema)
        target = handler.resolve_ref_schema(schema)
        properties = target.get("properties", {})
        absent = cls._left_out_when_none()
        for key in absent:
            prop = properties[key]
            prop.pop("default", None)
            values = [s for s in prop.pop("anyOf", []) if s != {"type": "null"}]
            if len(values) == 1:
                prop.update(values[0])
            elif values:
                prop["anyOf"] = values
        target["required"] = [key for key in properties if key not in absent]
        return schema


class ReasonView(View):
    code: str = Field(description="Stable; branch on it.")
    detail: str = ""
    field: str | None = Field(None, description="A check the customer can correct: the field (or document image) "
                                                "to correct.")


class DecisionView(View):
    outcome: CheckpointStatus
    decided_by: str = Field(description="policy, reviewer, customer (an accepted offer, a basic account kept), "
                                        "review-timeout or documents-timeout")
    decided_at: Timestamp
    reasons: list[ReasonView]


class StepView(View):
    name: str
    verdict: Verdict
    reasons: list[ReasonView]
    finished_at: Timestamp


class ReviewDecisionView(View):
    outcome: ReviewOutcome
    level: int
    decided_at: Timestamp


class ReviewStateView(View):
    level: int = Field(description="1, or 2 once escalated")
    awaiting_decision: bool
    reasons: list[ReasonView]
    decisions: list[ReviewDecisionView]


class FailureView(View):
    error: str
    cause: str


class CheckpointLinks(View):
    self_: str = Field(alias="self")


class RequiredDocument(View):
    side: DocumentKind
    received: bool


class ActionView(View):
    """Something the customer must correct before the sign-up goes on (ACTION_REQUIRED)."""

    field: str = Field(description="The application field to correct (PATCH /v1/checkpoints/{id}), or "
                                   "document.images.<side>: upload that side again, then complete the documents")
    code: str = Field(description="The check that failed; stable, branch on it")
    reason: str


class CorrectionView(View):
    at: Timestamp
    by: str
    fields: list[str] = Field(description="The fields corrected (names only), or the images uploaded again")
    rerun: list[CheckStep] = Field(description="The checks that ran again; the others kept their result")


class RiskFactorView(View):
    code: RiskFactorCode
    weight: int
    source: str
    detail: str


class RiskRatingView(View):
    """The customer risk rating (policies/risk_rating.yaml): compliance only."""

    level: RiskLevel
    score: int = Field(description="The sum of the factors' weights; the level may be raised by a factor's minimum")
    factors: list[RiskFactorView]
    rated_at: Timestamp
    reason: RatingReason = Field(description="onboarding, or monitoring_alert (a re-rating)")
    policy_version: str
    lists: dict[str, str] = Field(description="The country lists used, each with its publication date")
    alert: str | None = Field(None, description="The monitoring alert's code (a re-rating)")

    @classmethod
    def of(cls, rating: RiskRating) -> RiskRatingView:
        return cls(**rating.model_dump(exclude={"factors"}), factors=[RiskFactorView(**f.model_dump())
                                                                        for f in rating.factors])


class CheckpointView(View):
    """A checkpoint as the API shows it: status, decision and step codes, no personal data (and no
    risk data but for compliance)."""

    checkpoint_id: str
    kind: CheckpointKind
    status: CheckpointStatus
    decision: DecisionView | None
    steps: list[StepView]
    created_at: Timestamp
    updated_at: Timestamp
    links: CheckpointLinks
    customer_id: str | None = Field(None, description="Once the sign-up is approved; always for a closure.")
    review: ReviewStateView | None = None
    failure: FailureView | None = None
    list_versions: dict[str, str] | None = None
    required_documents: list[RequiredDocument] | None = Field(
        None, description="The images the sign-up announced (or the documents a succession needs), and whether "
                          "each has arrived.")
    plan: ClosurePlan | None = Field(
        None, description="A closure's plan: steps with status and expected_by, when access ends, the final "
                          "settlement, linked services, what happens to the data afterwards.")
    actions: list[ActionView] | None = Field(
        None, description="ACTION_REQUIRED: what the customer must correct, each naming its field.")
    corrections: list[CorrectionView] | None = Field(
        None, description="Every correction of the sign-up's application, oldest first (field names, never values).")
    risk_rating: RiskRatingView | None = Field(
        None, description="Compliance only: the customer risk rating (level, score, factors with weights and sources).")

    @classmethod
    def of(cls, cp: Checkpoint, arrived: dict[str, bool] | None = None,
           plan: ClosurePlan | None = None, *, caller: Caller) -> CheckpointView:
        """`arrived`: for each announced document, whether it is in (known once completed without it).
        The caller decides what is shown (domain/visibility.py: risk data to compliance only)."""
        cp = as_seen_by(caller, cp)
        view: dict[str, Any] = {
            "checkpoint_id": cp.checkpoint_id, "kind": cp.kind, "status": cp.status,
            "decision": DecisionView(outcome=cp.decision.outcome, decided_by=cp.decision.decided_by,
                                     decided_at=cp.decision.decided_at,
                                     reasons=[ReasonView(**r.model_dump()) for r in cp.decision.reasons])
            if cp.decision else None,
            "steps": [StepView(name=s.name, verdict=s.verdict, finished_at=s.finished_at,
                               reasons=[ReasonView(**r.model_dump()) for r in s.reasons])
                      for s in sorted(cp.steps.values(), key=lambda s: s.finished_at)],
            "created_at": cp.created_at, "updated_at": cp.updated_at,
            "links": CheckpointLinks(self_=f"/v1/checkpoints/{cp.checkpoint_id}"),
        }
        if cp.customer_id and (cp.status == CheckpointStatus.APPROVED or cp.kind is CheckpointKind.OFFBOARDING):
            view["customer_id"] = cp.customer_id
        if cp.review_level:
            view["review"] = ReviewStateView(
                level=cp.review_level, awaiting_decision=cp.awaiting_decision,
                reasons=[ReasonView(**r.model_dump()) for r in cp.review_reasons],
                decisions=[ReviewDecisionView(outcome=d.outcome, level=d.level, decided_at=d.decided_at)
                           for d in cp.review_decisions])
        if cp.failure:
            view["failure"] = FailureView(**cp.failure.model_dump())
        if cp.list_versions:
            view["list_versions"] = cp.list_versions
        if cp.images:
            view["required_documents"] = [
                RequiredDocument(side=side, received=(arrived or {}).get(side, bool(cp.documents_completed_at)))
                for side in cp.images]
        if plan is not None:
            view["plan"] = plan
        if cp.status is CheckpointStatus.ACTION_REQUIRED:
            view["actions"] = [ActionView(field=a.field or "", code=a.code, reason=a.detail) for a in cp.actions]
        if cp.corrections:
            view["corrections"] = [CorrectionView(at=c.at, by=c.by, fields=list(c.fields),
                                                  rerun=[CheckStep(r) for r in c.rerun]) for c in cp.corrections]
        if cp.risk_rating is not None:
            view["risk_rating"] = RiskRatingView.of(cp.risk_rating)
        return cls(**view)


# ---- review queue ----

class SubjectMatch(Match):
    subject: str = Field(description='"applicant" or the customer id of the holder the match concerns')


class ScreeningExplanation(View):
    step: Literal["screening"]
    list_versions: dict[str, str]
    matches: list[SubjectMatch]


class ExitRiskExplanation(View):
    step: Literal["exit_risk"]
    policy_version: str
    flags: list[Finding]


class EvidenceView(View):
    attribute: str = Field(description="What matched: document, image:<side>, email, phone, device, ip_prefix")
    checkpoint_ids: list[str] = Field(description="The other sign-ups that matched, by checkpoint id (newest or "
                                                  "closest first)")
    count: int | None = Field(None, description="Velocity: sign-ups in the window, this one included")
    window_minutes: int | None = None
    distance: int | None = Field(None, description="Images: the closest perceptual-hash distance, in bits")


class SignalView(View):
    code: FraudSignal
    verdict: Verdict
    detail: str
    evidence: list[EvidenceView]


class FraudExplanation(View):
    step: Literal["fraud"]
    policy_version: str
    signals: list[SignalView] = Field(description="The signals raised, each with what policies/fraud.yaml does "
                                                  "with it and its evidence")


class RiskExplanation(View):
    step: Literal["risk"]
    rating: RiskRatingView


Explanation = Annotated[ScreeningExplanation | ExitRiskExplanation | FraudExplanation | RiskExplanation,
                        Field(discriminator="step")]


class ReviewLinks(View):
    checkpoint: str
    history: str
    case_file: str
    decision: str


class Holder(View):
    """The officer who claimed a review: only they decide it until they release it or the claim lapses."""

    subject: str
    claimed_at: Timestamp
    lapses_at: Timestamp


class ReviewQueueItem(View):
    checkpoint_id: str
    kind: CheckpointKind
    customer_id: str | None = Field(None, description="The customer the checkpoint concerns, once there is one (a closure's, a monitoring alert's)")
    created_at: Timestamp
    level: int
    awaiting_decision: bool
    in_review_since: Timestamp
    age_seconds: int
    due_at: Timestamp = Field(description="in_review_since plus the kind's service level (policies/reviews.yaml)")
    overdue: bool
    assignee: Holder | None = Field(None, description="Who holds the case; absent when nobody does")
    reasons: list[ReasonView]
    explanation: list[Explanation]
    links: ReviewLinks


class ReviewQueue(View):
    items: list[ReviewQueueItem]
    next: str | None = Field(description="The cursor of the following page; null on the last page.")


# ---- execution history and executions ----

class TimelineState(View):
    model_config = ConfigDict(defer_build=True, extra="allow")
    state: str | None
    type: str
    entered_at: Timestamp
    attempts: int
    errors: list[str]
    exited_at: Timestamp | None = None
    duration_ms: int | None = None
    result: dict[str, Any] | None = None


class TimelineEvent(View):
    model_config = ConfigDict(defer_build=True, extra="allow")
    id: int
    at: Timestamp
    type: str
    state: str | None


class CheckpointHistory(View):
    checkpoint_id: str
    kind: CheckpointKind
    status: str = Field(description="The execution's status: RUNNING, SUCCEEDED, FAILED, TIMED_OUT or ABORTED")
    started_at: Timestamp | None
    stopped_at: Timestamp | None
    duration_ms: int | None
    states: list[TimelineState]
    events: list[TimelineEvent]
    console_url: str | None = Field(description="The execution in the AWS console (deployed stages only)")


class ExecutionItem(View):
    checkpoint_id: str
    workflow: CheckpointKind
    status: str
    started_at: Timestamp
    stopped_at: Timestamp | None


class Executions(View):
    items: list[ExecutionItem]
    next: str | None


# ---- lists, screening, health ----

class ListStatus(StrEnum):
    """in_force: screened (from its first version on); retired: its publisher stopped it, no longer
    screened nor refreshed (`replaced_by` names the source that replaces it)."""

    IN_FORCE = "in_force"
    RETIRED = "retired"


class ListInForce(View):
    source: str
    kind: SourceKind = Field(description="what the source lists; mixed: a consolidated dataset whose entries "
                                         "each carry their own kind (sanctions, pep, crime)")
    format: str = Field(description="the parser of the list's files (policies/lists.yaml)")
    publisher: str | None = Field(None, description="the publisher's page for the list")
    status: ListStatus
    required: bool = Field(description="screening needs a version of it (health is degraded without one)")
    retired_on: date | None = Field(None, description="since when the list is retired (no longer updated)")
    replaced_by: str | None = Field(None, description="the source that replaces a retired list")
    retirement: str | None = Field(None, description="why the list was retired, and on whose word")
    version: str | None = Field(description="the version in force (a retired list: its last), null before the first")
    snapshot: str | None = None
    published_at: Timestamp | None = None
    entries: int | None = None
    files: dict[str, str] | None = Field(None, description="file name -> SHA-256 (hex)")
    index_sha256: str | None = None


class ListsInForce(View):
    items: list[ListInForce]


class ListDiffView(View):
    """Counts of the entries added, removed and changed, and the first 50 ids (in order) of each:
    a first version of a million entries is `added: 1000000` and 50 ids."""

    added: int
    removed: int
    changed: int
    added_ids: list[str] = Field(description="the first 50 ids added, in order (added counts them all)")
    removed_ids: list[str] = Field(description="the first 50 ids removed, in order")
    changed_ids: list[str] = Field(description="the first 50 ids changed, in order")


class RefreshStatus(StrEnum):
    """published: a new version is in force; unchanged: the files are the version in force;
    reindexed: the version in force, its index (stored by an older release) rebuilt in this one's format;
    accepted: the refresh runs in the background (202: follow links.self)."""

    PUBLISHED = "published"
    UNCHANGED = "unchanged"
    REINDEXED = "reindexed"
    ACCEPTED = "accepted"


class RefreshLinks(View):
    self_: str = Field(alias="self")


class ListRefreshReport(View):
    status: RefreshStatus
    source: str
    version: str | None = Field(None, description="The version in force after the refresh (not yet known when "
                                                  "accepted)")
    refresh_id: str | None = Field(None, description="Accepted: the refresh in the background")
    links: RefreshLinks | None = None
    previous_version: str | None = None
    entries: int | None = None
    diff: ListDiffView | None = None
    monitoring_run_id: str | None = Field(None, description="The delta monitoring run screening the version's added "
                                                            "and changed entries against every customer "
                                                            "(GET /v1/monitoring/runs/{run_id})")


class ListRefreshView(View):
    """A refresh in the background: its state, the stage it is at, and once it has ended the
    report a synchronous refresh answers (published, unchanged, reindexed) or why it was refused."""

    refresh_id: str
    source: str
    state: RefreshState
    stage: RefreshStage | None = None
    requested_by: str
    requested_at: Timestamp
    updated_at: Timestamp
    finished_at: Timestamp | None = None
    report: ListRefreshReport | None = None
    error_code: str | None = Field(None, description="Refused: the refusal's code (e.g. SUSPICIOUS_SHRINK); "
                                                     "failed: REFRESH_FAILED")
    error: str | None = None
    links: RefreshLinks

    @classmethod
    def of(cls, refresh: ListRefresh) -> ListRefreshView:
        return cls(**refresh.model_dump(exclude={"upload_prefix", "snapshot", "report"}),
                   report=ListRefreshReport(**refresh.report) if refresh.report else None,
                   links=RefreshLinks(self=f"/v1/lists/refreshes/{refresh.refresh_id}"))


class CheckView(View):
    code: str
    passed: bool
    detail: str = ""


class ScreeningView(View):
    engine: str
    list_versions: dict[str, str]
    matches: list[Match]
    checks: list[CheckView]


class BatchScreeningResult(View):
    index: int = Field(description="The query's position in `queries`, from 0")
    matches: list[Match]
    checks: list[CheckView]


class BatchScreeningView(View):
    """Each result exactly as POST /v1/screenings would answer its query."""

    engine: str
    list_versions: dict[str, str]
    results: list[BatchScreeningResult]


class ClearanceView(Clearance):
    """A cleared match: the customer, the listed entry as it was when cleared (its content hash),
    who cleared it in which review and why; once revoked, by whom and when."""


class Clearances(View):
    items: list[ClearanceView]
    next: str | None = Field(description="The cursor of the following page; null on the last page.")


# ---- the case file ----

class Relationship(StrEnum):
    """Where the person stands with the bank: an applicant (not, or not yet, a customer), or a
    customer whose relationship is active, frozen or closed (ended: a former customer)."""

    APPLICANT = "applicant"
    ACTIVE = "active"
    FROZEN = "frozen"
    CLOSED = "closed"


class SubjectRole(StrEnum):
    APPLICANT = "applicant"
    CUSTOMER = "customer"
    JOINT_HOLDER = "joint_holder"


class AddressView(View):
    line1: str
    city: str
    postal_code: str
    country: str


class DocumentImage(View):
    side: DocumentKind
    url: str = Field(description="A presigned GET of the image, valid until expires_at; each read of the case "
                                 "file issues new ones")
    expires_at: Timestamp


class SubjectDocument(View):
    type: DocumentType
    number: str
    issuing_country: str
    expiry_date: date


class CaseSubject(View):
    """A person the checkpoint concerns, as the bank knows them."""

    subject: str = Field(description='As the screening names them: "applicant", or a customer id')
    role: SubjectRole
    customer_id: str = Field(description="A sign-up's applicant: the customer id its approval creates")
    relationship: Relationship
    relationship_ended_at: Timestamp | None = None
    given_names: str
    family_name: str
    birth_date: date
    nationality: str
    email: str
    phone: str
    address: AddressView
    document: SubjectDocument | None = Field(None, description="The identity document relied on")
    images: list[DocumentImage] = Field(description="The document's images (and a succession's documents) uploaded")


class CaseMatch(View):
    """A screening match, the listed entry's whole record, and the person beside it."""

    subject: str
    match: Match
    listed: ListedEntry | None = Field(None, description="Absent if the list version the screening used can no "
                                                         "longer be read")
    comparison: list[Comparison]


class ExitRiskSection(View):
    policy_version: str
    flags: list[Finding]
    transactions: list[Transaction] = Field(description="The transactions the flags' evidence names")


class CaseReview(View):
    level: int = Field(description="1, or 2 once escalated")
    awaiting_decision: bool
    in_review_since: Timestamp
    age_seconds: int
    due_at: Timestamp
    overdue: bool
    service_level_hours: int
    assignee: Holder | None = None
    reasons: list[ReasonView]


class CaseDecision(View):
    outcome: ReviewOutcome
    level: int
    reviewer: str
    reason: str
    decided_at: Timestamp


class EarlierCheckpointLinks(View):
    case_file: str


class EarlierCheckpoint(View):
    """Another checkpoint of the same customer (their sign-up, their closure)."""

    checkpoint_id: str
    kind: CheckpointKind
    status: CheckpointStatus
    created_at: Timestamp
    customer_id: str
    decision: DecisionView | None
    review_decisions: list[CaseDecision]
    links: EarlierCheckpointLinks


class CaseNoteView(View):
    sequence: int
    author: str
    at: Timestamp
    text: str

    @classmethod
    def of(cls, note: CaseNote) -> CaseNoteView:
        return cls(sequence=note.sequence, author=note.author, at=note.at, text=note.text)


class CaseEventView(View):
    event: CaseEventKind
    by: str
    at: Timestamp
    note: int | None = Field(None, description="The note's sequence number, for note_added")


class CaseAccess(View):
    """This read, as the data access log records it."""

    purpose: AccessPurpose
    reference: str
    read_by: str
    read_at: Timestamp
    former_customers: list[str] = Field(description="Those read whose relationship has ended")
    fields: list[str] = Field(description="The names of the personal fields this case file shows")
    log_sequence: int = Field(description="The read's entry in GET /v1/audit/data-access-log")


class CaseLinks(View):
    self_: str = Field(alias="self")
    checkpoint: str
    history: str
    decision: str
    claim: str
    release: str
    notes: str


class CaseFile(View):
    """Everything an officer needs to decide a review, on one page. Sections a step adds are there
    only when the checkpoint has that step's result."""

    checkpoint_id: str
    kind: CheckpointKind
    status: CheckpointStatus
    created_at: Timestamp
    updated_at: Timestamp
    review: CaseReview | None = Field(None, description="Absent for a checkpoint never in review")
    subjects: list[CaseSubject]
    matches: list[CaseMatch]
    exit_risk: ExitRiskSection | None = None
    decisions: list[CaseDecision] = Field(description="This checkpoint's review decisions")
    clearances: list[ClearanceView] = Field(description="Screening matches cleared for these people, revoked ones too")
    earlier_checkpoints: list[EarlierCheckpoint]
    notes: list[CaseNoteView]
    activity: list[CaseEventView] = Field(description="Claims, releases and notes, in order")
    access: CaseAccess
    links: CaseLinks


class ReviewClaimLinks(View):
    case_file: str


class ReviewClaim(View):
    checkpoint_id: str
    assignee: Holder | None = Field(None, description="Who holds the case now; absent once released")
    activity: list[CaseEventView]
    links: ReviewClaimLinks


class OpenApiDocument(View):
    """An OpenAPI 3.1 document: this API's, generated from its operation declarations."""

    model_config = ConfigDict(defer_build=True, extra="allow")
    openapi: str
    info: dict[str, Any]
    servers: list[dict[str, Any]]
    paths: dict[str, Any]
    components: dict[str, Any]


class ListVersionView(View):
    version: str
    snapshot: str
    published_at: Timestamp


class HealthStatus(StrEnum):
    """degraded: a required list source has no version in force."""

    OK = "ok"
    DEGRADED = "degraded"


class Health(View):
    status: HealthStatus
    checked_at: Timestamp
    lists: dict[str, ListVersionView | None]
    policies: dict[str, str] = Field(description="policy name -> version loaded")


# ---- retention, audit, exports ----

class LegalHoldView(LegalHold):
    """A legal hold as placed (and, once released, by whom and when)."""


class VerificationView(Verification):
    """An audit log's hash chain recomputed: valid, or the first broken entry and why."""

    log: LogName


class RetentionState(StrEnum):
    KEPT = "kept"
    PENDING = "pending"
    HELD = "held"
    REVIEW_DUE = "review_due"
    ERASED = "erased"


class RetentionLogRef(View):
    """A retention-log entry (GET /v1/audit/retention-log) about the record."""

    sequence: int
    event: str = Field(description="scheduled, held, released, skipped, erase_refused, erased, review_due")
    at: Timestamp


class RetainedRecord(View):
    record_id: str = Field(description="An S3 key, or <table>/<id> for a DynamoDB item (customer/, checkpoint/, "
                                       "export/, webhook-delivery/)")
    record_class: RecordClass
    rule: str = Field(description="The governing rule of policies/retention.yaml")
    source: str = Field(description="Its legal source")
    action: Action
    keep_until: Timestamp | None = Field(None, description="Absent while the rule's trigger has not happened")
    state: RetentionState = Field(description="pending: waiting for its trigger (the relationship runs); kept: "
                                              "until keep_until; held: a legal hold stands; review_due: a person "
                                              "decides; erased: gone, at erased_at")
    erased_at: Timestamp | None = None
    log_entries: list[RetentionLogRef]


class RetentionReport(View):
    """What the product keeps of a customer, under which rule, until when, and what it has erased."""

    customer_id: str
    held: bool
    holds: list[RetentionLogRef] = Field(description="Holds placed and released on the customer")
    jurisdictions: list[str] = Field(description="Whose rules apply: where the bank is established")
    policy_version: str
    records: list[RetainedRecord]


class ExportLinks(View):
    self_: str = Field(alias="self")


class ExportAccepted(View):
    export_id: str
    status: ExportStatus
    links: ExportLinks


class DownloadLink(View):
    url: str = Field(description="A presigned GET, valid until expires_at; each call issues a fresh one (logged)")
    expires_at: Timestamp


class ExportView(View):
    export_id: str
    customer_id: str
    recipient: Recipient = Field(description="customer (GDPR Art. 20), or representative: a deceased customer's "
                                             "records for the personal representative (compliance only)")
    status: ExportStatus
    formats: list[Format]
    include: list[Section]
    created_at: Timestamp
    failure: str | None = None
    size: int | None = None
    sha256: str | None = None
    ready_at: Timestamp | None = None
    download: DownloadLink | None = None

    @classmethod
    def of(cls, record: ExportRecord, download: DownloadLink | None = None) -> ExportView:
        view: dict[str, Any] = {k: getattr(record, k) for k in
                                ("export_id", "customer_id", "recipient", "status", "formats", "include", "created_at")}
        if record.status is ExportStatus.FAILED:
            view["failure"] = record.failure
        if record.status is ExportStatus.READY:
            view |= {"size": record.size, "sha256": record.sha256, "ready_at": record.ready_at, "download": download}
        return cls(**view)


class UploadInstructions(View):
    method: Literal["PUT"]
    url: str
    expires_in: int = Field(description="seconds")
    headers: dict[str, str] = Field(description="Every header the PUT must carry, exactly as given")


class DocumentUpload(View):
    upload: UploadInstructions
    side: str



# ---- analytics ----

class ExitAnalytics(View):
    since: str = Field(alias="from", description="First day counted (YYYY-MM-DD, UTC)")
    until: str = Field(alias="to", description="Last day counted (YYYY-MM-DD, UTC)")
    by: GroupBy
    groups: list[ExitGroup]
    total: ExitGroup


# ---- webhooks ----

class WebhookView(View):
    webhook_id: str
    url: str
    events: list[EventType]
    created_at: Timestamp
    secret_rotations: int

    @classmethod
    def of(cls, subscription: Subscription, **extra: Any) -> WebhookView:
        return cls(webhook_id=subscription.webhook_id, url=subscription.url, events=list(subscription.events),
                   created_at=subscription.created_at, secret_rotations=subscription.rotation, **extra)


class WebhookCreated(WebhookView):
    secret: str = Field(description="whsec_...: shown only now; verify every delivery's webhook-signature with it")


class Webhooks(View):
    items: list[WebhookView]


class RotatedSecret(View):
    webhook_id: str
    secret: str = Field(description="The new whsec_... secret, shown only now")
    previous_secret_retires_at: Timestamp = Field(
        description="Until then the previous secret signs too (two v1 signatures in the header)")


class AttemptView(View):
    at: Timestamp
    status_code: int | None
    error: str | None
    duration_ms: int


class DeliveryView(View):
    delivery_id: str
    webhook_id: str
    event_id: str = Field(description="The webhook-id header of every attempt: deduplicate by it")
    event_type: EventType
    status: DeliveryStatus
    created_at: Timestamp
    next_attempt_at: Timestamp | None
    attempts: list[AttemptView]

    @classmethod
    def of(cls, delivery: Delivery) -> DeliveryView:
        return cls(delivery_id=delivery.delivery_id, webhook_id=delivery.webhook_id, event_id=delivery.event_id,
                   event_type=delivery.event_type, status=delivery.status, created_at=delivery.created_at,
                   next_attempt_at=delivery.next_attempt_at,
                   attempts=[AttemptView(**a.model_dump()) for a in delivery.attempts])


class Deliveries(View):
    items: list[DeliveryView]
    next: str | None


class LocalClock(View):
    now: Timestamp
    ahead_of_real_time_seconds: float


# ---- ongoing monitoring ----

class FailedShardView(View):
    shard_id: str
    customers: int
    attempts: int = Field(description="How many times the shard's screening ran")
    error: str = Field(description="The error's name (NoOutcomeRecorded: its child execution recorded nothing)")


class RunLinks(View):
    self_: str = Field(alias="self")


class MonitoringRunView(View):
    run_id: str
    mode: RunMode
    trigger: RunTrigger
    status: RunStatus
    requested_by: str
    started_at: Timestamp
    finished_at: Timestamp | None = None
    customers_total: int | None = Field(default=None, description="Known once the run's manifest is written")
    customers_screened: int
    shards_total: int | None = None
    shards_done: int
    alerts_opened: int
    failed_shards: list[FailedShardView]
    failure: str | None = None
    list_source: str | None = Field(default=None, description="A delta run: the list whose version it screens")
    list_version: str | None = Field(default=None, description="A delta run: that version")
    entries: int | None = Field(default=None, description="A delta run: the version's added and changed entries")
    links: RunLinks

    @classmethod
    def of(cls, summary: RunSummary) -> MonitoringRunView:
        run = summary.run
        return cls(run_id=run.run_id, mode=run.mode, trigger=run.trigger, status=summary.status,
                   requested_by=run.requested_by, started_at=run.started_at, finished_at=run.finished_at,
                   customers_total=run.customers_total, customers_screened=summary.customers_screened,
                   shards_total=run.shards_total, shards_done=summary.shards_done,
                   alerts_opened=summary.alerts_opened,
                   failed_shards=[FailedShardView(**f.model_dump()) for f in summary.failed_shards],
                   list_source=run.list_source, list_version=run.list_version, entries=run.entries,
                   failure=run.failure, links={"self": f"/v1/monitoring/runs/{run.run_id}"})


class MonitoringRuns(View):
    items: list[MonitoringRunView]
    next: str | None = Field(description="The cursor of the following page; null on the last page.")
