"""What `import app` loads, which every Lambda function of the app does on a cold start: not the
export packager (stream-zip, pycryptodome), not the OpenAPI machinery, not the list parsers, not
Powertools' idempotency or data masking, no service and no store (each loads on first use), no
YAML parser (policy files are read on first use), not the screening engine (the API's views show
matches: chalicelib.domain.screening.matches), no IBAN checker, and no AWS call. Nor the domain
modules of the policies' models (closure, exit-risk, retention, decision, fraud, monitoring and
risk-rating policies): the enums and small types the API's request models and views name live in
modules of their own, and a closure plan's parts apart from the planning.
A workflow task's or a schedule's function ($_HANDLER `app.<name>` on Lambda) loads none of the API
either: not its routes, declarations, models or views, no domain module, no policy file.
A list of modules, not a timing (bench/cold_start.py measures)."""
from __future__ import annotations

import json
import os
import subprocess
import sys

from tests.conftest import ROOT

PROBE = """
import json, sys
import botocore.client
calls = []
botocore.client.BaseClient._make_api_call = lambda self, name, params: calls.append(name)
import app
import pydantic

def models(cls):
    for sub in cls.__subclasses__():
        yield sub
        yield from models(sub)

built = sorted({m.__qualname__ for m in models(pydantic.BaseModel)
                if m.__module__.startswith("chalicelib") and m.__pydantic_complete__})
print(json.dumps({"modules": sorted(sys.modules), "aws_calls": calls, "routes": sorted(app.app.routes), "built": built,
                  "functions": sorted(f.name for f in app.app.pure_lambda_functions),
                  "schedules": sorted(s.name for s in app.app.event_sources)}))
"""
NOT_AT_IMPORT = ("stream_zip", "Crypto", "chalicelib.api.openapi", "chalicelib.domain.screening.ofac",
                 "chalicelib.domain.screening.un", "chalicelib.domain.screening.eu", "chalicelib.domain.screening.uk",
                 "chalicelib.domain.screening.senzing", "chalicelib.domain.screening.formats",
                 "chalicelib.domain.screening.uk_fcdo", "chalicelib.domain.screening.ofac_advanced",
                 "chalicelib.domain.screening.ftm",
                 "aws_lambda_powertools.utilities.idempotency", "aws_lambda_powertools.utilities.data_masking",
                 "jsonpath_ng", "chalicelib.services", "chalicelib.stores", "chalicelib.tasks.steps",
                 "chalicelib.domain.export_package", "PIL", "imagehash", "phonenumbers", "email_validator",
                 "disposable_email_domains",
                 "yaml",  # policy files are parsed on first use
                 "rapidfuzz", "chalicelib.domain.screening.engine",  # the views show matches, the engine makes them
                 "stdnum")  # an IBAN is checked by the first request that names one
# Where the policies' models are (and what only the services use of them): the API names
# retention_terms, fraud_signals, monitoring_states, exit_risk_findings, closure_plan_parts and ratings.
POLICY_MODELS = ("chalicelib.domain.closure_policy", "chalicelib.domain.exit_risk", "chalicelib.domain.retention",
                 "chalicelib.domain.decisions", "chalicelib.domain.fraud", "chalicelib.domain.monitoring",
                 "chalicelib.domain.closure_plan", "chalicelib.domain.recurring", "chalicelib.domain.identity_graph",
                 "chalicelib.domain.risk_rating")


# What a task's function loads of the app's own code (the rest loads on its first invocation).
TASK_MODULES = {"chalicelib", "chalicelib.errors", "chalicelib.lazy", "chalicelib.tasks", "chalicelib.tasks.runner"}


def _import_app(handler: str | None = None) -> dict:
    env = {k: v for k, v in os.environ.items() if k != "_HANDLER"}
    if handler is not None:
        env["_HANDLER"] = handler  # what the Lambda runtime sets: the function's configured handler
    out = subprocess.run([sys.executable, "-c", PROBE], cwd=ROOT, env=env, capture_output=True, text=True,
                         check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def test_import_app_loads_only_what_every_function_needs():
    loaded = _import_app()
    modules = set(loaded["modules"])
    assert not {m for m in modules if m.split(".")[0] in NOT_AT_IMPORT or m in NOT_AT_IMPORT
                or any(m.startswith(f"{n}.") for n in NOT_AT_IMPORT)}
    assert loaded["aws_calls"] == []  # nothing at import time reads S3 or DynamoDB
    assert "chalicelib.api.models" in modules  # the declarations themselves are there (the probe sees)
    assert not modules & set(POLICY_MODELS)
    # Every model is declared with defer_build and none is built (validator and serializer made)
    # until first used: an instance made at import builds its class, and the first build also
    # loads pydantic's plugin machinery (importlib.metadata's scan of the installed packages).
    assert loaded["built"] == [] and "pydantic.plugin._loader" not in modules


def test_a_task_function_loads_no_api_and_no_domain_but_has_every_task_and_schedule():
    everything, api_handler, task = _import_app(), _import_app("app.app"), _import_app("app.screen")
    assert api_handler["routes"] == everything["routes"] and len(everything["routes"]) > 40
    assert task["routes"] == []
    for name in ("functions", "schedules"):  # every function finds its own handler in app.py
        assert task[name] == api_handler[name] == everything[name] and task[name]
    own = {m for m in task["modules"] if m == "chalicelib" or m.startswith("chalicelib.")}
    assert own == TASK_MODULES, own - TASK_MODULES
    assert "yaml" not in task["modules"]  # no policy file read (the rescreen rate: when the schedule is packaged)
    assert task["aws_calls"] == []
