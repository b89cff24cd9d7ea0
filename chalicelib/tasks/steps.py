"""The workflows' Lambda tasks (stepfunctions/*.asl.json): each parses its event (ids and codes
only, never personal data), calls one service, and answers the codes the state machine chooses
on. `app.py` registers each as a Lambda function under the name the definitions substitute."""
from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, model_validator

from chalicelib.domain.checkpoint import CheckpointKind, Step, utc_now
from chalicelib.domain.closure import ClosureStage
from chalicelib.domain.ids import CheckpointId, ExportId
from chalicelib.domain.models import ImageSide
from chalicelib.domain.webhooks import RoutedEvent
from chalicelib.lazy import lazy

# Loaded on first use: a task loads only the service it calls.
(closure_stages, corrections, documents, exports, fraud, lists, monitoring, offboarding, onboarding, outcomes,
 retention, reviews, risk, screening, webhooks) = (
    lazy(f"chalicelib.services.{name}") for name in ("closure_stages", "corrections", "documents", "exports", "fraud",
                                                     "lists", "monitoring", "offboarding", "onboarding", "outcomes",
                                                     "retention", "reviews", "risk", "screening", "webhooks"))


class CheckpointEvent(BaseModel):
    model_config = ConfigDict(defer_build=True, extra="ignore")  # a state may pass more than a task reads
    checkpoint_id: CheckpointId


class ApplicationEvent(CheckpointEvent):
    """A sign-up's step: the workflow passes the S3 key of the application as it stands (the first,
    or the latest correction's), which must be this checkpoint's; without it (an execution started
    before the workflow carried it) the step reads the checkpoint for it."""

    application_key: Annotated[str, StringConstraints(
        pattern=r"^checkpoints/cp_[0-9a-f]{32}/(application|applications/cor_[0-9a-f]{32})\.json$")] | None = None

    @model_validator(mode="after")
    def _own_application(self) -> ApplicationEvent:
        if self.application_key and not self.application_key.startswith(f"checkpoints/{self.checkpoint_id}/"):
            raise ValueError("application_key is another checkpoint's")
        return self


class IdentityEvent(ApplicationEvent):
    images: dict[ImageSide, Annotated[str, StringConstraints(pattern=r"^checkpoints/cp_[0-9a-f]{32}/documents/")]] = \
        Field(default_factory=dict)  # side -> S3 key of the uploaded image


class ScreenEvent(ApplicationEvent):
    kind: CheckpointKind


class TokenEvent(CheckpointEvent):
    task_token: str = Field(min_length=1)


class ReviewEvent(TokenEvent):
    level: Literal[1, 2] = 1


class WinBackEvent(TokenEvent):
    offer: Annotated[str, StringConstraints(pattern=r"^[a-z][a-z_]{1,40}$")]
    timeout_seconds: int = Field(gt=0)


class StageEvent(CheckpointEvent):
    stage: ClosureStage


class DecisionEvent(CheckpointEvent):
    outcome: str
    reason_code: str | None = None


class FailureEvent(CheckpointEvent):
    error: Any = None


class ExportEvent(BaseModel):
    model_config = ConfigDict(defer_build=True, extra="ignore")
    export_id: ExportId


def _codes(step: Step) -> dict[str, Any]:
    return {"verdict": step.verdict.value, "codes": [r.code for r in step.reasons]}


def verify_identity(event: IdentityEvent) -> dict[str, Any]:
    return _codes(onboarding.verify_identity(event.checkpoint_id, {side.value: key for side, key in event.images.items()},
                                             application_key=event.application_key))


def assess_fraud(event: IdentityEvent) -> dict[str, Any]:
    return _codes(fraud.assess_checkpoint(event.checkpoint_id, {side.value: key for side, key in event.images.items()}))


def rate_risk(event: CheckpointEvent) -> dict[str, Any]:
    return _codes(risk.rate_checkpoint(event.checkpoint_id))


def await_correction(event: TokenEvent) -> dict[str, Any]:
    """Runs as `lambda:invoke.waitForTaskToken`: the workflow waits until the customer corrects
    the application (or the policy's timeout)."""
    corrections.await_correction(event.checkpoint_id, event.task_token)
    return {"status": "ACTION_REQUIRED"}


def await_documents(event: TokenEvent) -> dict[str, Any]:
    """Runs as `lambda:invoke.waitForTaskToken`: the workflow waits until the channel completes
    the uploads (or the policy's timeout)."""
    documents.await_documents(event.checkpoint_id, event.task_token)
    return {"status": "AWAITING_DOCUMENTS"}


def screen(event: ScreenEvent) -> dict[str, Any]:
    return _codes(screening.screen_checkpoint(event.checkpoint_id, event.kind, application_key=event.application_key))


def assess_exit_risk(event: CheckpointEvent) -> dict[str, Any]:
    return _codes(offboarding.assess_exit_risk(event.checkpoint_id))


def await_review(event: ReviewEvent) -> dict[str, Any]:
    """Runs as `lambda:invoke.waitForTaskToken`: stores the token and returns; the workflow waits
    until a compliance officer's decision resumes it."""
    reviews.enter_review(event.checkpoint_id, event.task_token, event.level)
    return {"status": "IN_REVIEW", "level": event.level}


def offer_win_back(event: WinBackEvent) -> dict[str, Any]:
    """Runs as `lambda:invoke.waitForTaskToken`: the workflow waits for the customer's answer (or
    the offer's timeout)."""
    closure_stages.offer_win_back(event.checkpoint_id, event.task_token, event.offer, event.timeout_seconds)
    return {"status": "WIN_BACK_OFFERED"}


def closure_stage(event: StageEvent) -> dict[str, Any]:
    return closure_stages.advance(event.checkpoint_id, event.stage)


def record_decision(event: DecisionEvent) -> dict[str, Any]:
    return {"status": outcomes.record(event.checkpoint_id, event.outcome, event.reason_code).value}


def mark_failed(event: FailureEvent) -> dict[str, Any]:
    return {"status": outcomes.mark_failed(event.checkpoint_id, event.error).value}


def schedule_retention(event: CheckpointEvent) -> dict[str, Any]:
    step = retention.schedule_closure(event.checkpoint_id)
    return {"status": "SCHEDULED", "codes": [r.code for r in step.reasons]}


def export_data(event: CheckpointEvent) -> dict[str, Any]:
    step = exports.export_for_closure(event.checkpoint_id)
    return {"status": "READY", "export_id": step.result_key}


def build_export(event: ExportEvent) -> dict[str, Any]:
    return {"status": exports.build(event.export_id).status.value, "export_id": event.export_id}


class RunEvent(BaseModel):
    model_config = ConfigDict(defer_build=True, extra="ignore")
    run_id: Annotated[str, StringConstraints(pattern=r"^mon_[0-9a-f]{32}$")]


class ShardItem(BaseModel):
    """One item of a monitoring run's manifest (chalicelib.domain.monitoring.Shard)."""

    model_config = ConfigDict(defer_build=True, extra="forbid")
    shard_id: Annotated[str, StringConstraints(pattern=r"^s[0-9]{4,6}$")]
    first: int = Field(ge=0)
    last: int = Field(ge=0)
    customers: int = Field(ge=0)


class ShardEvent(RunEvent):
    shard: ShardItem


class ShardFailureEvent(ShardEvent):
    error: Any = None


class RunEndEvent(RunEvent):
    error: Any = None


def _shard(event: ShardEvent) -> Any:
    from chalicelib.domain.monitoring import Shard

    return Shard(**event.shard.model_dump())


def plan_monitoring_run(event: RunEvent) -> dict[str, Any]:
    return monitoring.plan(event.run_id)


def screen_shard(event: ShardEvent) -> dict[str, Any]:
    outcome = monitoring.screen_shard(event.run_id, _shard(event))
    return {"status": outcome.status.value, "screened": outcome.screened, "alerts_opened": outcome.alerts_opened}


def record_shard_failure(event: ShardFailureEvent) -> dict[str, Any]:
    return {"status": monitoring.shard_failed(event.run_id, _shard(event), event.error).status.value}


def finish_monitoring_run(event: RunEndEvent) -> dict[str, Any]:
    summary = monitoring.finish(event.run_id, event.error)
    return {"status": summary.status.value, "screened": summary.customers_screened,
            "failed_shards": [f.shard_id for f in summary.failed_shards]}


class RefreshEvent(BaseModel):
    model_config = ConfigDict(defer_build=True, extra="ignore")
    refresh_id: Annotated[str, StringConstraints(pattern=r"^lrf_[0-9a-f]{32}$")]


class RefreshFailureEvent(RefreshEvent):
    error: Any = None


def publish_list_version(event: RefreshEvent) -> dict[str, Any]:
    return lists.run_refresh(event.refresh_id)


def record_refresh_failure(event: RefreshFailureEvent) -> dict[str, Any]:
    return lists.refresh_failed(event.refresh_id, event.error)


class QueueEvent(BaseModel):
    """An SQS event source batch (the webhook events queue)."""

    model_config = ConfigDict(defer_build=True, extra="ignore")
    Records: list[dict[str, Any]]


def deliver_webhooks(event: QueueEvent) -> dict[str, Any]:
    """Each record is a published event: fan it out and make each delivery's first attempt."""
    now = utc_now()
    recorded = sum(webhooks.dispatch(RoutedEvent.model_validate_json(record["body"]), now) for record in event.Records)
    return {"status": "DISPATCHED", "deliveries": recorded}
