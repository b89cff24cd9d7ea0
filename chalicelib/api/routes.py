"""The API: each operation is declared once (`@api.operation`: roles, request models, responses)
and does four things: the declaration authenticates, authorizes and parses; the handler calls one
service with the caller and renders the answer. No compliance logic and no storage call here.

The operations are a Chalice blueprint (`routes`) that app.py registers on the app; the
workflows' tasks and the schedules are in app.py.
"""
from __future__ import annotations

import functools
import os
from typing import Any

from chalice import Blueprint, CognitoUserPoolAuthorizer, Response

from chalicelib.api import console, reference
from chalicelib.api.auth import USER_POOL_PLACEHOLDER
from chalicelib.api.errors import framework_errors_in_api_shape
from chalicelib.api.models import (
    MAX_WATCHLIST_BODY_BYTES,
    AccessHeaders,
    ApplicationPatch,
    AssetPath,
    AuditLogQuery,
    AuditVerifyQuery,
    BatchScreeningRequest,
    CheckpointPath,
    CheckpointQuery,
    ClearancePath,
    ClearancesQuery,
    DeliveriesQuery,
    DeliveryPath,
    DocumentUploadRequest,
    ExecutionsQuery,
    ExitsQuery,
    ExportPath,
    ExportRequestBody,
    LegalHoldPath,
    LegalHoldRequest,
    ListRefreshPath,
    ListRefreshRequest,
    LocalClockRequest,
    MonitoringRunPath,
    MonitoringRunsQuery,
    NoteRequest,
    OffboardingRequest,
    OnboardingRequest,
    RetentionReportQuery,
    ReviewDecisionRequest,
    ReviewQueueQuery,
    ScreeningRequest,
    WatchlistVersionRequest,
    WebhookPath,
    WebhookRequest,
    WinBackAnswer,
)
from chalicelib.api.operations import Call, Example, Operations
from chalicelib.api.views import (
    BatchScreeningView,
    CaseFile,
    CaseNoteView,
    CheckpointHistory,
    CheckpointView,
    ClearanceView,
    Clearances,
    Deliveries,
    DeliveryView,
    DocumentUpload,
    DownloadLink,
    Executions,
    ExitAnalytics,
    ExportAccepted,
    ExportView,
    Health,
    LegalHoldView,
    ListRefreshReport,
    ListRefreshView,
    ListsInForce,
    LocalClock,
    MonitoringRunView,
    MonitoringRuns,
    OpenApiDocument,
    RetentionReport,
    ReviewClaim,
    ReviewQueue,
    RotatedSecret,
    ScreeningView,
    VerificationView,
    WebhookCreated,
    WebhookView,
    Webhooks,
)
from chalicelib.domain.actors import Role
from chalicelib.domain.audit_log import MEDIA_TYPES as LOG_MEDIA_TYPES
from chalicelib.domain.audit_log import LogName
from chalicelib.domain.checkpoint import iso
from chalicelib.lazy import lazy

# Loaded on first use: the API handler loads each service on its first request.
analytics = lazy("chalicelib.services.analytics")
audit = lazy("chalicelib.services.audit")
case_files = lazy("chalicelib.services.case_files")
checkpoints = lazy("chalicelib.services.checkpoints")
clearances = lazy("chalicelib.services.clearances")
closure_stages = lazy("chalicelib.services.closure_stages")
corrections = lazy("chalicelib.services.corrections")
documents = lazy("chalicelib.services.documents")
exports = lazy("chalicelib.services.exports")
health = lazy("chalicelib.services.health")
lists = lazy("chalicelib.services.lists")
local_clock = lazy("chalicelib.services.local_clock")
monitoring = lazy("chalicelib.services.monitoring")
offboarding = lazy("chalicelib.services.offboarding")
onboarding = lazy("chalicelib.services.onboarding")
retention = lazy("chalicelib.services.retention")
reviews = lazy("chalicelib.services.reviews")
screening = lazy("chalicelib.services.screening")
webhooks = lazy("chalicelib.services.webhooks")

routes = Blueprint(__name__)
routes.register_middleware(framework_errors_in_api_shape, "http")

# Deployed, API Gateway authenticates callers against the stack's Cognito user pool (its ARN is
# put in by the merge template); the role is the user's group. `make package` switches this on.
# Locally there is no API Gateway: chalicelib.api.auth verifies the local stage's signed tokens.
AUTHORIZER = (CognitoUserPoolAuthorizer("checkpoint-users", provider_arns=[USER_POOL_PLACEHOLDER])
              if os.environ.get("CHECKPOINT_API_AUTH") == "cognito" else None)
api = Operations(routes, AUTHORIZER)

CHANNEL, COMPLIANCE, AUDITOR = {Role.CHANNEL}, {Role.COMPLIANCE}, {Role.AUDITOR}


# ---- checkpoints: sign-up and closure ----

@api.operation("POST", "/v1/onboarding", "Start a sign-up checkpoint", roles=CHANNEL, body=OnboardingRequest,
               idempotent=True, status=202, response=CheckpointView, location=True, errors=(409, 422),
               example=Example("signup-approve.json", "checkpoint-running.json"), tags=("checkpoints",))
def start_onboarding(call: Call[OnboardingRequest, None, None]) -> CheckpointView:
    return CheckpointView.of(onboarding.start(call.caller, call.body, call.idempotency_key), caller=call.caller)


@api.operation("POST", "/v1/offboarding", "Start a closure checkpoint (a customer's through its channel, a "
               "bank-initiated one by compliance)", roles=CHANNEL | COMPLIANCE, body=OffboardingRequest,
               idempotent=True, status=202, response=CheckpointView, location=True, errors=(409, 422),
               example=Example("closure.json", "closure-running.json"), tags=("checkpoints",))
def start_offboarding(call: Call[OffboardingRequest, None, None]) -> CheckpointView:
    checkpoint, plan = offboarding.start(call.caller, call.body, call.idempotency_key)
    return CheckpointView.of(checkpoint, plan=plan, caller=call.caller)


@api.operation("GET", "/v1/checkpoints/{checkpoint_id}", "A checkpoint's status and decision (long-poll with wait)",
               roles=CHANNEL | COMPLIANCE, path_params=CheckpointPath, query=CheckpointQuery, headers=AccessHeaders,
               response=CheckpointView, etag=True, example=Example(response="checkpoint-approved.json"),
               tags=("checkpoints",),
               description="Staff reading a former customer's closure (its plan is personal data) give a purpose that "
                           "opens it and a reference (403 PURPOSE_REQUIRED otherwise); the read is logged.")
def get_checkpoint(call: Call[None, CheckpointQuery, CheckpointPath]) -> CheckpointView:
    return CheckpointView.of(*checkpoints.get(call.caller, call.path.checkpoint_id, call.query.wait, call.query.seen,
                                              call.headers.stated()), caller=call.caller)


@api.operation("PATCH", "/v1/checkpoints/{checkpoint_id}", "Correct a sign-up's application (a JSON merge patch): "
               "only the checks the corrected fields affect run again", roles=CHANNEL | COMPLIANCE,
               path_params=CheckpointPath, body=ApplicationPatch, response=CheckpointView, errors=(409,),
               content_types=("application/merge-patch+json", "application/json"), if_match=True,
               example=Example("correction.json", "checkpoint-corrected.json"), tags=("checkpoints",),
               description="Only while the sign-up is ACTION_REQUIRED (409 NOT_AWAITING_CORRECTION otherwise). The "
                           "body names only the corrected fields, validated as in POST /v1/onboarding; null removes an "
                           "optional field (issue_date, mrz). If-Match (the ETag of GET /v1/checkpoints/{id}) is "
                           "optional: an ETag that is no longer current is 412. The answer is the checkpoint, RUNNING "
                           "again; every correction is listed in its corrections (field names only).")
def correct_application(call: Call[ApplicationPatch, None, CheckpointPath]) -> CheckpointView:
    return CheckpointView.of(corrections.correct(call.caller, call.path.checkpoint_id, call.body), caller=call.caller)


@api.operation("POST", "/v1/checkpoints/{checkpoint_id}/win-back", "The customer's answer to an offer to stay "
               "(accept ends the closure STAYED)", roles=CHANNEL | COMPLIANCE, path_params=CheckpointPath,
               body=WinBackAnswer, response=CheckpointView, errors=(409,),
               example=Example("win-back.json", "win-back-declined.json"), tags=("checkpoints",))
def answer_win_back(call: Call[WinBackAnswer, None, CheckpointPath]) -> CheckpointView:
    checkpoint, plan = closure_stages.answer_win_back(call.caller, call.path.checkpoint_id, call.body.decision)
    return CheckpointView.of(checkpoint, plan=plan, caller=call.caller)


@api.operation("POST", "/v1/checkpoints/{checkpoint_id}/documents", "A presigned upload for a document (a sign-up's "
               "images, a succession's documents)",
               roles=CHANNEL | COMPLIANCE, path_params=CheckpointPath, body=DocumentUploadRequest, status=201,
               response=DocumentUpload, errors=(409,), example=Example("document-upload.json", "document-upload.json"),
               tags=("checkpoints",))
def create_document_upload(call: Call[DocumentUploadRequest, None, CheckpointPath]) -> DocumentUpload:
    return DocumentUpload(**documents.upload(call.caller, call.path.checkpoint_id, call.body))


@api.operation("POST", "/v1/checkpoints/{checkpoint_id}/documents/complete",
               "Every announced document is uploaded: the checks start", roles=CHANNEL | COMPLIANCE,
               path_params=CheckpointPath, response=CheckpointView, errors=(409,),
               example=Example(response="documents-complete.json"), tags=("checkpoints",))
def complete_documents(call: Call[None, None, CheckpointPath]) -> CheckpointView:
    checkpoint, plan = documents.complete(call.caller, call.path.checkpoint_id)
    return CheckpointView.of(checkpoint, plan=plan, caller=call.caller)


@api.operation("GET", "/v1/checkpoints/{checkpoint_id}/history", "The execution history as a timeline",
               roles=COMPLIANCE, path_params=CheckpointPath, response=CheckpointHistory,
               example=Example(response="checkpoint-history.json"), tags=("compliance",))
def get_checkpoint_history(call: Call[None, None, CheckpointPath]) -> CheckpointHistory:
    return CheckpointHistory(**checkpoints.history(call.caller, call.path.checkpoint_id))


# ---- compliance: reviews and executions ----

@api.operation("GET", "/v1/reviews", "The manual-review queue, oldest first", roles=COMPLIANCE,
               query=ReviewQueueQuery, response=ReviewQueue, example=Example(response="review-queue.json"),
               tags=("compliance",))
def list_reviews(call: Call[None, ReviewQueueQuery, None]) -> ReviewQueue:
    q = call.query
    return ReviewQueue(**reviews.queue(call.caller, q.limit, q.cursor, q.kind, q.level, q.assigned))


@api.operation("GET", "/v1/reviews/{checkpoint_id}", "A review's case file: the people, the listed entries, the "
               "comparison, the evidence, earlier decisions, notes", roles=COMPLIANCE, path_params=CheckpointPath,
               headers=AccessHeaders, response=CaseFile, example=Example(response="case-file.json"),
               tags=("compliance",),
               description="The only place the API shows staff a person's data. Every read is an entry of the data "
                           "access log (ids, purpose, reference, the names of the fields shown). A former customer's "
                           "case file needs a purpose that opens it (X-Access-Purpose) and a reference "
                           "(X-Access-Reference): 403 PURPOSE_REQUIRED without them. Document image links live "
                           "minutes (policies/reviews.yaml).")
def get_case_file(call: Call[None, None, CheckpointPath]) -> CaseFile:
    return CaseFile(**case_files.case_file(call.caller, call.path.checkpoint_id, call.headers.stated()))


@api.operation("POST", "/v1/reviews/{checkpoint_id}/claim", "Claim a review: only you decide it until you release it",
               roles=COMPLIANCE, path_params=CheckpointPath, response=ReviewClaim, errors=(409,),
               example=Example(response="review-claimed.json"), tags=("compliance",),
               description="409 CASE_HELD names the officer who holds it. A claim lapses after the hours "
                           "policies/reviews.yaml gives; claiming again is a no-op.")
def claim_review(call: Call[None, None, CheckpointPath]) -> ReviewClaim:
    return ReviewClaim(**reviews.claim(call.caller, call.path.checkpoint_id))


@api.operation("POST", "/v1/reviews/{checkpoint_id}/release", "Release a review you hold: anyone may decide it again",
               roles=COMPLIANCE, path_params=CheckpointPath, response=ReviewClaim, errors=(409,),
               example=Example(response="review-released.json"), tags=("compliance",))
def release_review(call: Call[None, None, CheckpointPath]) -> ReviewClaim:
    return ReviewClaim(**reviews.release(call.caller, call.path.checkpoint_id))


@api.operation("POST", "/v1/reviews/{checkpoint_id}/notes", "Add a note to a case (append-only)", roles=COMPLIANCE,
               path_params=CheckpointPath, body=NoteRequest, status=201, response=CaseNoteView, errors=(409,),
               example=Example("note.json", "note-added.json"), tags=("compliance",))
def add_review_note(call: Call[NoteRequest, None, CheckpointPath]) -> CaseNoteView:
    return CaseNoteView.of(reviews.add_note(call.caller, call.path.checkpoint_id, call.body.text))


@api.operation("POST", "/v1/reviews/{checkpoint_id}/decision", "Decide a manual review", roles=COMPLIANCE,
               path_params=CheckpointPath, body=ReviewDecisionRequest, response=CheckpointView, errors=(409,),
               example=Example("review-decision.json", "review-decided.json"), tags=("compliance",))
def decide_review(call: Call[ReviewDecisionRequest, None, CheckpointPath]) -> CheckpointView:
    checkpoint, plan = reviews.decide(call.caller, call.path.checkpoint_id, call.body.outcome, call.body.reason)
    return CheckpointView.of(checkpoint, plan=plan, caller=call.caller)


@api.operation("GET", "/v1/executions", "Workflow executions, newest first", roles=COMPLIANCE,
               query=ExecutionsQuery, response=Executions, example=Example(response="executions.json"),
               tags=("compliance",))
def list_executions(call: Call[None, ExecutionsQuery, None]) -> Executions:
    q = call.query
    return Executions(**checkpoints.executions(call.caller, q.workflow, q.status, q.since, q.limit, q.cursor))


@api.operation("GET", "/v1/analytics/exits", "Closures ended, by reason, channel or month (identifier-free)",
               roles=COMPLIANCE, query=ExitsQuery, response=ExitAnalytics, example=Example(response="exits.json"),
               tags=("compliance",))
def exit_analytics(call: Call[None, ExitsQuery, None]) -> ExitAnalytics:
    return ExitAnalytics(**analytics.exits(call.caller, call.query.since, call.query.until, call.query.by))


# ---- screening and lists ----

@api.operation("GET", "/v1/lists", "Sanctions and PEP list versions in force", roles=COMPLIANCE | AUDITOR,
               response=ListsInForce, example=Example(response="lists-in-force.json"), tags=("screening",))
def get_lists(call: Call[None, None, None]) -> ListsInForce:
    return ListsInForce(items=lists.in_force(call.caller))


@api.operation("POST", "/v1/lists/refresh", "Load, validate and publish a new list version", roles=COMPLIANCE,
               body=ListRefreshRequest, status=201, also=(200, 202), response=ListRefreshReport, errors=(422,),
               description="201 when a new version is published; 200 when the files are the version in force "
                           "(reindexed: its index was stored by an older release and is rebuilt); 202 when the "
                           "refresh runs in the background (a list too large for 29 s, or `asynchronous`): "
                           "follow links.self (GET /v1/lists/refreshes/{refresh_id}).",
               example=Example("list-refresh.json", "list-refreshed.json"), tags=("screening",))
def refresh_list(call: Call[ListRefreshRequest, None, None]) -> Response:
    return _list_report(lists.refresh(call.caller, call.body))


def _list_report(answer: dict) -> Response:
    """201 published, 200 unchanged or reindexed, 202 accepted (in the background: Location)."""
    headers = {"Content-Type": "application/json"}
    if answer["status"] == "accepted":
        headers["Location"] = location = f"/v1/lists/refreshes/{answer['refresh_id']}"
        answer = {**answer, "links": {"self": location}}
    report = ListRefreshReport(**answer)
    status = {"published": 201, "accepted": 202}.get(report.status, 200)
    return Response(body=report.model_dump(mode="json", by_alias=True), status_code=status, headers=headers)


@api.operation("GET", "/v1/lists/refreshes/{refresh_id}", "A list refresh in the background: its stage, and how "
               "it ended", roles=COMPLIANCE | AUDITOR, path_params=ListRefreshPath, response=ListRefreshView,
               example=Example(response="list-refresh-state.json"), tags=("screening",))
def get_list_refresh(call: Call[None, None, ListRefreshPath]) -> ListRefreshView:
    return ListRefreshView.of(lists.refresh_state(call.caller, call.path.refresh_id))


@api.operation("POST", "/v1/lists/internal/versions", "Publish a new version of the bank's internal watchlist",
               roles=COMPLIANCE, body=WatchlistVersionRequest, content_types=("application/json", "text/csv"),
               max_body_bytes=MAX_WATCHLIST_BODY_BYTES, status=201, also=(200,), response=ListRefreshReport,
               errors=(422,),
               description="The whole list, up to 50,000 entries, as JSON or CSV: each call publishes a new version, "
                           "refused as an official list's would be (422 EMPTY_LIST, SUSPICIOUS_SHRINK); its added and "
                           "changed entries are screened against every customer at once (a delta monitoring run). "
                           "201 with the version and the diff; 200 when the entries are the version in force.",
               example=Example("watchlist-version.json", "watchlist-published.json"), tags=("screening",))
def publish_watchlist(call: Call[WatchlistVersionRequest, None, None]) -> Response:
    return _list_report(lists.publish_internal(call.caller, call.body))


@api.operation("POST", "/v1/screenings", "Screen one name against the lists in force", roles=CHANNEL | COMPLIANCE,
               body=ScreeningRequest, response=ScreeningView, example=Example("screening.json", "screening.json"),
               tags=("screening",))
def screen_name(call: Call[ScreeningRequest, None, None]) -> ScreeningView:
    return ScreeningView(**screening.screen_name(call.caller, call.body))


@api.operation("POST", "/v1/screenings/batch", "Screen up to 1,000 names against the lists in force",
               roles=COMPLIANCE, body=BatchScreeningRequest, response=BatchScreeningView,
               example=Example("screening-batch.json", "screening-batch.json"), tags=("screening",))
def screen_names(call: Call[BatchScreeningRequest, None, None]) -> BatchScreeningView:
    return BatchScreeningView(**screening.screen_batch(call.caller, call.body))


@api.operation("GET", "/v1/clearances", "Cleared screening matches, newest first", roles=COMPLIANCE,
               query=ClearancesQuery, response=Clearances, example=Example(response="clearances.json"),
               tags=("screening",))
def list_clearances(call: Call[None, ClearancesQuery, None]) -> Clearances:
    q = call.query
    page = clearances.listing(call.caller, q.status, q.customer_id, q.limit, q.cursor)
    return Clearances(items=[ClearanceView(**c.model_dump()) for c in page["items"]], next=page["next"])


@api.operation("GET", "/v1/clearances/{clearance_id}", "A cleared screening match", roles=COMPLIANCE,
               path_params=ClearancePath, response=ClearanceView, example=Example(response="clearance.json"),
               tags=("screening",))
def get_clearance(call: Call[None, None, ClearancePath]) -> ClearanceView:
    return ClearanceView(**clearances.get(call.caller, call.path.clearance_id).model_dump())


@api.operation("DELETE", "/v1/clearances/{clearance_id}", "Revoke a clearance: the match counts again",
               roles=COMPLIANCE, path_params=ClearancePath, response=ClearanceView, errors=(409,),
               example=Example(response="clearance-revoked.json"), tags=("screening",))
def revoke_clearance(call: Call[None, None, ClearancePath]) -> ClearanceView:
    return ClearanceView(**clearances.revoke(call.caller, call.path.clearance_id).model_dump())


# ---- ongoing monitoring ----

@api.operation("POST", "/v1/monitoring/runs", "Re-screen every customer against every list in force (a "
               "Distributed Map over shards of the customer base)", roles=COMPLIANCE, idempotent=True, status=202,
               response=MonitoringRunView, location=True,
               example=Example(response="monitoring-run-started.json"), tags=("monitoring",))
def start_monitoring_run(call: Call[None, None, None]) -> MonitoringRunView:
    run = monitoring.start(call.caller)
    return MonitoringRunView.of(monitoring.view(call.caller, run.run_id))


@api.operation("GET", "/v1/monitoring/runs", "Monitoring runs, newest first, with their progress", roles=COMPLIANCE,
               query=MonitoringRunsQuery, response=MonitoringRuns, example=Example(response="monitoring-runs.json"),
               tags=("monitoring",))
def list_monitoring_runs(call: Call[None, MonitoringRunsQuery, None]) -> MonitoringRuns:
    page = monitoring.listing(call.caller, call.query.limit, call.query.cursor)
    return MonitoringRuns(items=[MonitoringRunView.of(s) for s in page["items"]], next=page["next"])


@api.operation("GET", "/v1/monitoring/runs/{run_id}", "A monitoring run: customers screened, alerts opened, "
               "failed shards (from the shards' own outcome rows)", roles=COMPLIANCE, path_params=MonitoringRunPath,
               response=MonitoringRunView, example=Example(response="monitoring-run.json"), tags=("monitoring",))
def get_monitoring_run(call: Call[None, None, MonitoringRunPath]) -> MonitoringRunView:
    return MonitoringRunView.of(monitoring.view(call.caller, call.path.run_id))


# ---- audit ----

def _audit_log(call: Call[None, AuditLogQuery, None], log: LogName) -> Response:
    q = call.query
    page = audit.page(call.caller, log, q.since, q.until, q.cursor, q.limit, q.format)
    headers = {"Content-Type": page.media_type, "X-Chain-Head-Sequence": str(page.head.sequence),
               "X-Chain-Head-Hash": page.head.hash}
    if page.next_cursor is not None:
        headers["X-Next-Cursor"] = str(page.next_cursor)
    return Response(body=page.text, status_code=200, headers=headers)


AUDIT_LOG = {"roles": AUDITOR, "query": AuditLogQuery, "media_types": tuple(LOG_MEDIA_TYPES.values()),
             "tags": ("audit",)}


@api.operation("GET", "/v1/audit/retention-log", "The retention log (tamper-evident)",
               example=Example(response="retention-log.jsonl"), **AUDIT_LOG)
def get_retention_log(call: Call[None, AuditLogQuery, None]) -> Response:
    return _audit_log(call, LogName.RETENTION)


@api.operation("GET", "/v1/audit/export-log", "The export log (tamper-evident)",
               example=Example(response="export-log.jsonl"), **AUDIT_LOG)
def get_export_log(call: Call[None, AuditLogQuery, None]) -> Response:
    return _audit_log(call, LogName.EXPORT)


@api.operation("GET", "/v1/audit/clearance-log", "The clearance log (tamper-evident)",
               example=Example(response="clearance-log.jsonl"), **AUDIT_LOG)
def get_clearance_log(call: Call[None, AuditLogQuery, None]) -> Response:
    return _audit_log(call, LogName.CLEARANCE)


@api.operation("GET", "/v1/audit/data-access-log", "The data access log: staff's reads of personal data, with "
               "their purpose (tamper-evident)", example=Example(response="data-access-log.jsonl"), **AUDIT_LOG)
def get_data_access_log(call: Call[None, AuditLogQuery, None]) -> Response:
    return _audit_log(call, LogName.DATA_ACCESS)


@api.operation("GET", "/v1/audit/verify", "Verify an audit log's hash chain", roles=AUDITOR, query=AuditVerifyQuery,
               response=VerificationView, example=Example(response="audit-verified.json"), tags=("audit",))
def verify_audit_log(call: Call[None, AuditVerifyQuery, None]) -> VerificationView:
    return VerificationView(**audit.check(call.caller, call.query.log))


# ---- retention and exports ----

@api.operation("POST", "/v1/legal-holds", "Place a legal hold", roles=COMPLIANCE, body=LegalHoldRequest, status=201,
               response=LegalHoldView, errors=(422,), example=Example("legal-hold.json", "legal-hold-placed.json"),
               tags=("retention",))
def place_legal_hold(call: Call[LegalHoldRequest, None, None]) -> LegalHoldView:
    return LegalHoldView(**retention.place_hold(call.caller, call.body).model_dump())


@api.operation("DELETE", "/v1/legal-holds/{hold_id}", "Release a legal hold", roles=COMPLIANCE,
               path_params=LegalHoldPath, response=LegalHoldView, errors=(409,),
               example=Example(response="legal-hold-released.json"), tags=("retention",))
def release_legal_hold(call: Call[None, None, LegalHoldPath]) -> LegalHoldView:
    return LegalHoldView(**retention.release_hold(call.caller, call.path.hold_id).model_dump())


@api.operation("GET", "/v1/audit/retention-report", "What is kept of a customer, until when, and what was erased",
               roles=AUDITOR, query=RetentionReportQuery, response=RetentionReport, errors=(422,),
               example=Example(response="retention-report.json"), tags=("audit",),
               description="Every record of the customer the product knows (S3 objects and DynamoDB items), its "
                           "class, governing rule and legal source, keep-until date and state, with the "
                           "retention-log entries that prove it. Answers for an erased customer too: the "
                           "schedules keep the ids, nothing else.")
def get_retention_report(call: Call[None, RetentionReportQuery, None]) -> RetentionReport:
    return RetentionReport(**retention.report(call.caller, call.query.customer_id))


@api.operation("POST", "/v1/exports", "Request a data-portability export", roles=CHANNEL | COMPLIANCE,
               body=ExportRequestBody, headers=AccessHeaders, status=202, response=ExportAccepted, location=True,
               errors=(409, 422), example=Example("export-request.json", "export-accepted.json"), tags=("exports",),
               description="Compliance exporting a former customer's data gives a purpose that opens it and a "
                           "reference (403 PURPOSE_REQUIRED otherwise); the request is logged.")
def request_export(call: Call[ExportRequestBody, None, None]) -> ExportAccepted:
    record = exports.request(call.caller, call.body, call.headers.stated())
    return ExportAccepted(export_id=record.export_id, status=record.status,
                          links={"self": f"/v1/exports/{record.export_id}"})


@api.operation("GET", "/v1/exports/{export_id}", "An export's status and a fresh download link",
               roles=CHANNEL | COMPLIANCE, path_params=ExportPath, headers=AccessHeaders, response=ExportView,
               example=Example(response="export-ready.json"), tags=("exports",),
               description="Compliance fetching a former customer's package gives a purpose that opens it and a "
                           "reference (403 PURPOSE_REQUIRED otherwise); each link issued is logged.")
def get_export(call: Call[None, None, ExportPath]) -> ExportView:
    record, link = exports.view(call.caller, call.path.export_id, call.headers.stated())
    return ExportView.of(record, DownloadLink(**link) if link else None)


# ---- webhooks ----

@api.operation("POST", "/v1/webhooks", "Subscribe to events (Standard Webhooks)", roles=CHANNEL | COMPLIANCE,
               body=WebhookRequest, status=201, response=WebhookCreated, errors=(422,),
               example=Example("webhook.json", "webhook-created.json"), tags=("webhooks",))
def create_webhook(call: Call[WebhookRequest, None, None]) -> WebhookCreated:
    subscription = webhooks.subscribe(call.caller, call.body)
    return WebhookCreated.of(subscription, secret=subscription.secrets[0].secret)


@api.operation("GET", "/v1/webhooks", "The caller's webhook subscriptions", roles=CHANNEL | COMPLIANCE,
               response=Webhooks, example=Example(response="webhooks.json"), tags=("webhooks",))
def list_webhooks(call: Call[None, None, None]) -> Webhooks:
    return Webhooks(items=[WebhookView.of(s) for s in webhooks.listing(call.caller)])


@api.operation("GET", "/v1/webhooks/{webhook_id}", "A webhook subscription (without its secret)",
               roles=CHANNEL | COMPLIANCE, path_params=WebhookPath, response=WebhookView,
               example=Example(response="webhook.json"), tags=("webhooks",))
def get_webhook(call: Call[None, None, WebhookPath]) -> WebhookView:
    return WebhookView.of(webhooks.view(call.caller, call.path.webhook_id))


@api.operation("DELETE", "/v1/webhooks/{webhook_id}", "Unsubscribe", roles=CHANNEL | COMPLIANCE,
               path_params=WebhookPath, response=WebhookView, example=Example(response="webhook-deleted.json"),
               tags=("webhooks",))
def delete_webhook(call: Call[None, None, WebhookPath]) -> WebhookView:
    return WebhookView.of(webhooks.delete(call.caller, call.path.webhook_id))


@api.operation("POST", "/v1/webhooks/{webhook_id}/secret", "Rotate the signing secret (the old one signs on for a "
               "grace period)", roles=CHANNEL | COMPLIANCE, path_params=WebhookPath, response=RotatedSecret,
               errors=(409,), example=Example(response="webhook-secret-rotated.json"), tags=("webhooks",))
def rotate_webhook_secret(call: Call[None, None, WebhookPath]) -> RotatedSecret:
    _, secret, retires = webhooks.rotate_secret(call.caller, call.path.webhook_id)
    return RotatedSecret(webhook_id=call.path.webhook_id, secret=secret, previous_secret_retires_at=retires)


@api.operation("GET", "/v1/webhooks/{webhook_id}/deliveries", "The subscription's delivery log, newest first",
               roles=CHANNEL | COMPLIANCE, path_params=WebhookPath, query=DeliveriesQuery, response=Deliveries,
               example=Example(response="deliveries.json"), tags=("webhooks",))
def list_webhook_deliveries(call: Call[None, DeliveriesQuery, WebhookPath]) -> Deliveries:
    items, cursor = webhooks.deliveries(call.caller, call.path.webhook_id, call.query.limit, call.query.cursor)
    return Deliveries(items=[DeliveryView.of(d) for d in items], next=cursor)


@api.operation("POST", "/v1/webhooks/{webhook_id}/deliveries/{delivery_id}/redeliver",
               "Send one delivery's event again (same webhook-id)", roles=CHANNEL | COMPLIANCE,
               path_params=DeliveryPath, status=202, response=DeliveryView,
               example=Example(response="delivery-redelivered.json"), tags=("webhooks",))
def redeliver_webhook(call: Call[None, None, DeliveryPath]) -> DeliveryView:
    return DeliveryView.of(webhooks.redeliver(call.caller, call.path.webhook_id, call.path.delivery_id))


# ---- the local stage ----

@api.operation("POST", "/v1/local/clock", "Move the local stage's clock forward (404 on every deployed stage)",
               roles=COMPLIANCE, body=LocalClockRequest, response=LocalClock, tags=("local",),
               example=Example("local-clock.json", "local-clock.json"),
               description="What the product reads as now, S3 Object Lock on the embedded AWS, the expiry of "
                           "presigned links and the default time of scheduled functions follow it; bearer tokens "
                           "keep real time.")
def move_local_clock(call: Call[LocalClockRequest, None, None]) -> LocalClock:
    now, ahead = local_clock.move(call.caller, call.body.now)
    return LocalClock(now=iso(now), ahead_of_real_time_seconds=ahead)


# ---- public: health, this document, the console ----
# ---- public: health, this document and its page, the console ----

@api.operation("GET", "/v1/health", "Versions of the loaded lists and policies", response=Health,
               example=Example(response="health.json"), tags=("meta",))
def get_health(call: Call[None, None, None]) -> Health:
    return Health(**health.report())


@api.operation("GET", "/v1/openapi.json", "This document", response=OpenApiDocument,
               example=Example(response="openapi-document.json"), tags=("meta",))
def get_openapi(call: Call[None, None, None]) -> dict[str, Any]:
    return _openapi_document()


@functools.cache
def _openapi_document() -> dict[str, Any]:
    from chalicelib.api import openapi  # built on the first request for it, not at every cold start

    return openapi.document(api)  # the operations are fixed once the module is loaded


@api.operation("GET", "/console", "The compliance and audit console, a web page over this API "
               "(/console redirects to /console/)", media_types=("text/html",), also=(308,), tags=("console",))
def console_page(call: Call[None, None, None]) -> Response:
    return console.page((call.request.context or {}).get("path", ""))


@api.operation("GET", "/console/{asset}", "One of the console's files", path_params=AssetPath,
               media_types=tuple(sorted(set(console.MEDIA_TYPES.values()))), tags=("console",))
def console_asset(call: Call[None, None, AssetPath]) -> Response:
    return console.asset(call.path.asset)


@api.operation("GET", "/docs", "This document as a page to read (Redoc)", media_types=("text/html",),
               tags=("meta",))
def reference_page(call: Call[None, None, None]) -> Response:
    return reference.page()


@api.operation("GET", "/docs/{asset}", "One of the reference page's files", path_params=AssetPath,
               media_types=tuple(sorted(set(console.MEDIA_TYPES.values()))), tags=("meta",))
def reference_asset(call: Call[None, None, AssetPath]) -> Response:
    return reference.asset(call.path.asset)
