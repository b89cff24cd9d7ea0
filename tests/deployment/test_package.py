"""`make package` output: cfn-lint clean, least-privilege IAM, one source for local and deployed."""
from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from chalicelib.api.reference import REFERENCE_DIR
from chalicelib.api.samples import SAMPLES_DIR
from chalicelib.local.template import merge_template
from tests.conftest import ROOT

READ_ONLY = re.compile(r"^[a-z0-9-]+:(Get|List|Describe|Query|Scan|BatchGet|Head)[A-Za-z]*$")
# Actions AWS does not let a policy scope to a resource: X-Ray trace upload and the vended-log
# delivery that Step Functions logging needs. They are allowed on "*" and nothing else is.
UNSCOPABLE = {"xray:PutTraceSegments", "xray:PutTelemetryRecords", "logs:CreateLogDelivery", "logs:UpdateLogDelivery",
              "logs:DeleteLogDelivery", "logs:PutResourcePolicy"}


@pytest.fixture(scope="module")
def packaged(tmp_path_factory) -> dict:
    out = tmp_path_factory.mktemp("package")
    merge = out / "merge.json"
    merge.write_text(json.dumps(merge_template()))
    env = {**os.environ, "AWS_DEFAULT_REGION": "eu-west-1", "CHECKPOINT_API_AUTH": "cognito"}
    chalice = Path(sys.executable).parent / "chalice"
    subprocess.run([str(chalice), "package", "--stage", "prod", "--merge-template", str(merge), str(out / "pkg")],
                   cwd=ROOT, env=env, check=True, capture_output=True, timeout=600)
    return {"path": out / "pkg" / "sam.json", "template": json.loads((out / "pkg" / "sam.json").read_text())}


def test_packaged_template_passes_cfn_lint(packaged):
    cfn_lint = Path(sys.executable).parent / "cfn-lint"
    result = subprocess.run([str(cfn_lint), str(packaged["path"])], capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stdout + result.stderr


def test_state_machines_use_definition_objects_with_substitutions(packaged):
    machines = {k: r for k, r in packaged["template"]["Resources"].items()
                if r["Type"] == "AWS::StepFunctions::StateMachine"}
    assert set(machines) == {"OnboardingStateMachine", "OffboardingStateMachine"}
    for resource in machines.values():
        props = resource["Properties"]
        assert isinstance(props["Definition"], dict) and "DefinitionString" not in props
        used = set(re.findall(r"\$\{(\w+)\}", json.dumps(props["Definition"])))
        assert used == set(props["DefinitionSubstitutions"])


def test_each_state_machine_role_may_invoke_only_its_own_functions(packaged):
    resources = packaged["template"]["Resources"]
    for name in ("Onboarding", "Offboarding"):
        substitutions = resources[f"{name}StateMachine"]["Properties"]["DefinitionSubstitutions"]
        statements = [s for p in resources[f"{name}StateMachineRole"]["Properties"]["Policies"]
                      for s in p["PolicyDocument"]["Statement"]]
        invoke = [s for s in statements if "lambda:InvokeFunction" in json.dumps(s["Action"])]
        assert len(invoke) == 1 and invoke[0]["Action"] == "lambda:InvokeFunction"
        assert sorted(map(json.dumps, invoke[0]["Resource"])) == sorted(map(json.dumps, substitutions.values()))
        assert not any(a.startswith("lambda:") for s in statements if s is not invoke[0]
                       for a in (s["Action"] if isinstance(s["Action"], list) else [s["Action"]]))


def _statements(template: dict):
    for logical_id, resource in template["Resources"].items():
        if resource["Type"] == "AWS::IAM::Role":
            for policy in resource["Properties"].get("Policies", []):
                for statement in policy["PolicyDocument"]["Statement"]:
                    yield logical_id, statement


def test_no_wildcard_actions_and_no_wildcard_resources_for_writes(packaged):
    checked = 0
    for logical_id, statement in _statements(packaged["template"]):
        actions = statement["Action"] if isinstance(statement["Action"], list) else [statement["Action"]]
        resources = statement["Resource"] if isinstance(statement["Resource"], list) else [statement["Resource"]]
        assert all(a != "*" and not a.endswith(":*") for a in actions), (logical_id, statement)
        if "*" in resources:
            assert all(READ_ONLY.match(a) or a in UNSCOPABLE for a in actions), (logical_id, statement)
        checked += 1
    assert checked > 20  # every function role and both state machine roles were looked at


def test_every_function_has_its_own_policy_file_and_no_autogen():
    config = json.loads((ROOT / ".chalice" / "config.json").read_text())
    prod = config["stages"]["prod"]
    assert prod["autogen_policy"] is False
    from app import app

    functions = {"api_handler", *(fn.name for fn in app.pure_lambda_functions),
                 *(source.name for source in app.event_sources)}
    assert set(prod["lambda_functions"]) == functions
    for settings in prod["lambda_functions"].values():
        assert (ROOT / ".chalice" / settings["iam_policy_file"]).is_file()


# The document, its reference page and the console's files are public: their data is the API's.
PUBLIC_PATHS = {"/v1/health", "/v1/openapi.json", "/docs", "/docs/{asset}", "/console", "/console/{asset}"}


def test_every_route_but_the_public_ones_requires_the_stack_user_pool(packaged):
    body = packaged["template"]["Resources"]["RestAPI"]["Properties"]["DefinitionBody"]
    authorizer = body["securityDefinitions"]["checkpoint-users"]["x-amazon-apigateway-authorizer"]
    assert authorizer["providerARNs"] == [{"Fn::GetAtt": ["UserPool", "Arn"]}]
    for path, operations in body["paths"].items():
        for method, operation in operations.items():
            if method == "options":
                continue
            expected = [] if path in PUBLIC_PATHS else [{"checkpoint-users": []}]
            assert operation.get("security", []) == expected, (path, method)
    groups = {r["Properties"]["GroupName"] for r in packaged["template"]["Resources"].values()
              if r["Type"] == "AWS::Cognito::UserPoolGroup"}
    assert groups == {"channel", "compliance", "auditor"}


def test_the_lambda_package_holds_the_reference_page_and_the_examples(packaged):
    """GET /docs serves Swagger UI's files and GET /v1/openapi.json reads the examples, deployed too:
    the links in chalicelib/reference/ are packaged as the files they point to (from npm ci), and
    data/samples/ through vendor/data/samples."""
    with zipfile.ZipFile(packaged["path"].parent / "deployment.zip") as package:
        for link in REFERENCE_DIR.iterdir():
            assert package.read(f"chalicelib/reference/{link.name}") == link.read_bytes(), link.name
        samples = {f"data/samples/{p.relative_to(SAMPLES_DIR)}" for p in SAMPLES_DIR.rglob("*") if p.is_file()}
        assert len(samples) > 20 and samples <= set(package.namelist())


def test_api_gateways_own_errors_use_the_error_shape(packaged):
    """Unknown paths, refused tokens and throttling are answered by API Gateway, not the app: its
    gateway responses carry the same {"error": {"code", "message"}} body."""
    resources = packaged["template"]["Resources"]
    responses = {r["Properties"]["ResponseType"]: r["Properties"] for r in resources.values()
                 if r["Type"] == "AWS::ApiGateway::GatewayResponse"}
    assert set(responses) == {"DEFAULT_4XX", "DEFAULT_5XX", "MISSING_AUTHENTICATION_TOKEN"}
    for kind in ("DEFAULT_4XX", "DEFAULT_5XX"):
        assert responses[kind]["RestApiId"] == {"Ref": "RestAPI"}
        body = responses[kind]["ResponseTemplates"]["application/json"]
        assert '"code": "$context.error.responseType"' in body and body.startswith('{"error": ')
    unknown_path = responses["MISSING_AUTHENTICATION_TOKEN"]  # API Gateway's answer to a path no route has
    assert unknown_path["StatusCode"] == "404"
    assert json.loads(unknown_path["ResponseTemplates"]["application/json"])["error"]["code"] == "NOT_FOUND"


def _grants(policy_file: str) -> set[tuple[str, str]]:
    policy = json.loads((ROOT / ".chalice" / policy_file).read_text())
    return {(action, json.dumps(resource)) for st in policy["Statement"] for action in st["Action"]
            for resource in (st["Resource"] if isinstance(st["Resource"], list) else [st["Resource"]])}


# What each function must be allowed because of a code path that calls it: the functions that
# schedule retention and append to the retention log (a rejected or abandoned sign-up is scheduled
# by record_decision and mark_failed), and the API reading the evidence behind a review.
RETENTION_WRITERS = ("record_decision", "mark_failed", "schedule_retention")
NEEDS = {
    **{fn: [("s3:ListBucket", "${DocumentsBucket}\""), ("s3:PutObjectTagging", "${DocumentsBucket}/checkpoints/*"),
            ("dynamodb:PutItem", "RetentionTable"), ("dynamodb:GetItem", "AuditTable"),
            ("dynamodb:PutItem", "AuditTable"), ("s3:PutObject", "${AuditBucket}/audit/retention/*"),
            ("kms:GenerateDataKey", "DataKey"), ("dynamodb:UpdateItem", "CheckpointsTable")]
       for fn in RETENTION_WRITERS},
    "api_handler": [("s3:GetObject", "${DocumentsBucket}/checkpoints/*/results/*")],
}


@pytest.mark.parametrize("function", sorted(NEEDS))
def test_functions_may_do_what_their_code_paths_do(function):
    config = json.loads((ROOT / ".chalice" / "config.json").read_text())["stages"]["prod"]
    policy_file = config["lambda_functions"][function]["iam_policy_file"]
    grants = _grants(policy_file)
    missing = [(action, fragment) for action, fragment in NEEDS[function]
               if not any(a == action and fragment in resource for a, resource in grants)]
    assert missing == [], f"{policy_file} lacks {missing}"
