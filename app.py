"""checkpoint: the compliance-checkpoint API and its workflow task entry points.

The API's operations are declared in chalicelib/api/routes.py (a blueprint, registered here
in the API handler and off Lambda, see `serves_api`).
Each `@app.lambda_function` is a Step Functions task (chalicelib/tasks/steps.py), each
`@app.schedule` a periodic job. No compliance logic and no storage call here.
"""
from __future__ import annotations

import os
from datetime import datetime
from typing import Any

from chalice import Chalice
from chalice.app import ScheduleExpression

from chalicelib.lazy import lazy
from chalicelib.tasks.runner import run_task

# Loaded on first use: each function of the app loads only the services it calls.
exports = lazy("chalicelib.services.exports")
monitoring = lazy("chalicelib.services.monitoring")
retention = lazy("chalicelib.services.retention")
steps = lazy("chalicelib.tasks.steps")
webhooks = lazy("chalicelib.services.webhooks")


def serves_api() -> bool:
    """Whether this process answers HTTP requests. On Lambda, the runtime names the function's
    handler in $_HANDLER: the API handler is `app.app`, a task or schedule `app.<its name>` and
    needs none of the API's declarations, models and views (a cold start of a task does not load
    them). Off Lambda (the local server, the tests, `chalice package`, which must see every
    route) every route is registered."""
    return os.environ.get("_HANDLER", "app.app") == "app.app"


app = Chalice(app_name="checkpoint")
if serves_api():
    from chalicelib.api import routes as api_routes

    app.register_blueprint(api_routes.routes)
    api = api_routes.api  # the declared operations (the OpenAPI document and the tests read them)


# ---- Step Functions tasks (stepfunctions/onboarding.asl.json, offboarding.asl.json) ----

@app.lambda_function(name="verify_identity")
def verify_identity(event: dict[str, Any], context: Any) -> dict[str, Any]:
    return run_task("verify_identity", steps.IdentityEvent, steps.verify_identity, event)


@app.lambda_function(name="screen")
def screen(event: dict[str, Any], context: Any) -> dict[str, Any]:
    return run_task("screen", steps.ScreenEvent, steps.screen, event)


@app.lambda_function(name="assess_fraud")
def assess_fraud(event: dict[str, Any], context: Any) -> dict[str, Any]:
    return run_task("assess_fraud", steps.IdentityEvent, steps.assess_fraud, event)


@app.lambda_function(name="rate_risk")
def rate_risk(event: dict[str, Any], context: Any) -> dict[str, Any]:
    return run_task("rate_risk", steps.CheckpointEvent, steps.rate_risk, event)


@app.lambda_function(name="await_correction")
def await_correction(event: dict[str, Any], context: Any) -> dict[str, Any]:
    return run_task("await_correction", steps.TokenEvent, steps.await_correction, event)


@app.lambda_function(name="assess_exit_risk")
def assess_exit_risk(event: dict[str, Any], context: Any) -> dict[str, Any]:
    return run_task("assess_exit_risk", steps.CheckpointEvent, steps.assess_exit_risk, event)


@app.lambda_function(name="schedule_retention")
def schedule_retention(event: dict[str, Any], context: Any) -> dict[str, Any]:
    return run_task("schedule_retention", steps.CheckpointEvent, steps.schedule_retention, event)


@app.lambda_function(name="export_data")
def export_data(event: dict[str, Any], context: Any) -> dict[str, Any]:
    return run_task("export_data", steps.CheckpointEvent, steps.export_data, event)


@app.lambda_function(name="build_export")
def build_export(event: dict[str, Any], context: Any) -> dict[str, Any]:
    """Invoked as an event by POST /v1/exports; builds the package in the background."""
    return run_task("build_export", steps.ExportEvent, steps.build_export, event)


@app.lambda_function(name="await_documents")
def await_documents(event: dict[str, Any], context: Any) -> dict[str, Any]:
    return run_task("await_documents", steps.TokenEvent, steps.await_documents, event)


@app.lambda_function(name="deliver_webhooks")
def deliver_webhooks(event: dict[str, Any], context: Any) -> dict[str, Any]:
    """Consumes the webhook events queue (an SQS event source mapping in the merge template)."""
    return run_task("deliver_webhooks", steps.QueueEvent, steps.deliver_webhooks, event)


@app.lambda_function(name="await_review")
def await_review(event: dict[str, Any], context: Any) -> dict[str, Any]:
    return run_task("await_review", steps.ReviewEvent, steps.await_review, event)


@app.lambda_function(name="offer_win_back")
def offer_win_back(event: dict[str, Any], context: Any) -> dict[str, Any]:
    return run_task("offer_win_back", steps.WinBackEvent, steps.offer_win_back, event)


@app.lambda_function(name="closure_stage")
def closure_stage(event: dict[str, Any], context: Any) -> dict[str, Any]:
    return run_task("closure_stage", steps.StageEvent, steps.closure_stage, event)


@app.lambda_function(name="record_decision")
def record_decision(event: dict[str, Any], context: Any) -> dict[str, Any]:
    return run_task("record_decision", steps.DecisionEvent, steps.record_decision, event)


@app.lambda_function(name="mark_failed")
def mark_failed(event: dict[str, Any], context: Any) -> dict[str, Any]:
    return run_task("mark_failed", steps.FailureEvent, steps.mark_failed, event)


# ---- Step Functions tasks (stepfunctions/monitoring.asl.json) ----

@app.lambda_function(name="plan_monitoring_run")
def plan_monitoring_run(event: dict[str, Any], context: Any) -> dict[str, Any]:
    return run_task("plan_monitoring_run", steps.RunEvent, steps.plan_monitoring_run, event)


@app.lambda_function(name="screen_shard")
def screen_shard(event: dict[str, Any], context: Any) -> dict[str, Any]:
    return run_task("screen_shard", steps.ShardEvent, steps.screen_shard, event)


@app.lambda_function(name="record_shard_failure")
def record_shard_failure(event: dict[str, Any], context: Any) -> dict[str, Any]:
    return run_task("record_shard_failure", steps.ShardFailureEvent, steps.record_shard_failure, event)


@app.lambda_function(name="finish_monitoring_run")
def finish_monitoring_run(event: dict[str, Any], context: Any) -> dict[str, Any]:
    return run_task("finish_monitoring_run", steps.RunEndEvent, steps.finish_monitoring_run, event)


@app.lambda_function(name="publish_list_version")
def publish_list_version(event: dict[str, Any], context: Any) -> dict[str, Any]:
    """The list refresh workflow's task: read, parse, index and publish a version in the background."""
    return run_task("publish_list_version", steps.RefreshEvent, steps.publish_list_version, event)


@app.lambda_function(name="record_refresh_failure")
def record_refresh_failure(event: dict[str, Any], context: Any) -> dict[str, Any]:
    return run_task("record_refresh_failure", steps.RefreshFailureEvent, steps.record_refresh_failure, event)


@app.schedule("rate(1 day)", name="retention_sweep")
def retention_sweep(event: Any) -> dict[str, int]:
    """Daily: erase what has expired, mark for review what a person decides, skip what is held.
    The event's time is the sweep's clock (an operator's replay may pass another)."""
    return retention.sweep(datetime.fromisoformat(event.time.replace("Z", "+00:00")))


@app.schedule("rate(1 minute)", name="webhook_retries")
def webhook_retries(event: Any) -> dict[str, int]:
    """Every minute: attempt the webhook deliveries that are due. The event's time is the clock."""
    return webhooks.retry_due(datetime.fromisoformat(event.time.replace("Z", "+00:00")))


@app.schedule("rate(15 minutes)", name="export_link_events")
def export_link_events(event: Any) -> dict[str, int]:
    """Every 15 minutes: package downloads from CloudTrail's data events, and links that lapsed
    unused, into the export log. The event's time is the task's clock."""
    return exports.record_link_events(datetime.fromisoformat(event.time.replace("Z", "+00:00")))


class RescreenSchedule(ScheduleExpression):
    """The monitoring policy's full re-screen rate (policies/monitoring.yaml), read when the
    schedule is asked for (`chalice package` puts it in the template), not on every cold start."""

    def to_string(self) -> str:
        from chalicelib.policies import monitoring_policy

        return monitoring_policy().screening.full_rescreen


@app.schedule(RescreenSchedule(), name="monitoring_rescreen")
def monitoring_rescreen(event: Any) -> dict[str, Any]:
    """On the monitoring policy's schedule (policies/monitoring.yaml, e.g. weekly): start the
    period's full re-screen, once however often it fires. The event's time is the clock."""
    return monitoring.scheduled(datetime.fromisoformat(event.time.replace("Z", "+00:00")))
