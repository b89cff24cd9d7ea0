"""`make package` output: cfn-lint clean, checkov clean (every skip with its reason), least-privilege
IAM, logs where and as long as policy says, one source for local and deployed."""
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
from chalicelib.policies import logging_policy
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
    assert set(machines) == {"OnboardingStateMachine", "OffboardingStateMachine", "MonitoringStateMachine",
                             "MonitoringAlertStateMachine", "ListRefreshStateMachine"}
    for resource in machines.values():
        props = resource["Properties"]
        assert isinstance(props["Definition"], dict) and "DefinitionString" not in props
        used = set(re.findall(r"\$\{(\w+)\}", json.dumps(props["Definition"])))
        assert used == set(props["DefinitionSubstitutions"])


def test_each_state_machine_role_may_invoke_only_its_own_functions(packaged):
    resources = packaged["template"]["Resources"]
    for name in ("Onboarding", "Offboarding", "Monitoring", "MonitoringAlert"):
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


# Publishing a 1,000,000-entity list (bench/list_publish_scale.py's list, lists.publish alone, 2026-12-02)
# peaks at 1.9 GB in the publishing function: the entries streamed into the columnar name index, then
# it serialised. Lambda stops a function at its memory size: the list refresh function keeps room
# above that, and the 15 minutes Lambda allows (the publish took about 2 minutes on this machine).
LIST_PUBLISH_PEAK_MB = 1898


def test_the_list_refresh_function_has_the_memory_and_time_a_million_entity_list_takes():
    settings = json.loads((ROOT / ".chalice" / "config.json").read_text())["stages"]["prod"]["lambda_functions"]
    publish = settings["publish_list_version"]
    assert publish["lambda_memory_size"] >= 1.5 * LIST_PUBLISH_PEAK_MB and publish["lambda_timeout"] == 900


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
    # the API reads the evidence behind a review (and closure plans), grants clearances on approval (the
    # table and the clearance log), lists and revokes them, reads exit facts; the screening task reads a
    # customer's clearances
    "api_handler": [("s3:GetObject", "${DocumentsBucket}/checkpoints/*/results/*"),
                    ("dynamodb:PutItem", "ClearancesTable"), ("dynamodb:UpdateItem", "ClearancesTable"),
                    ("dynamodb:GetItem", "ClearancesTable"), ("dynamodb:Query", "${ClearancesTable.Arn}/index/by-customer"),
                    ("dynamodb:Query", "${ClearancesTable.Arn}/index/by-status"),
                    ("s3:PutObject", "${AuditBucket}/audit/clearance/*"), ("dynamodb:PutItem", "AuditTable"),
                    ("dynamodb:Query", "ExitFactsTable")],
    "screen": [("dynamodb:Query", "${ClearancesTable.Arn}/index/by-customer")],
    # A succession stops the deceased customer's payments; notice periods and lapsed offers are status changes.
    "closure_stage": [("dynamodb:UpdateItem", "CustomersTable"), ("dynamodb:UpdateItem", "CheckpointsTable"),
                      ("sqs:SendMessage", "WebhookEventsQueue")],
    "offer_win_back": [("dynamodb:UpdateItem", "CheckpointsTable"), ("sqs:SendMessage", "WebhookEventsQueue")],
    # AssessExitRisk rewrites the plan with the services found in the history.
    "assess_exit_risk": [("s3:PutObject", "${DocumentsBucket}/checkpoints/*")],
    "export_link_events": [("s3:ListBucket", "${TrailBucket}\""), ("s3:GetObject", "${TrailBucket}/cloudtrail/AWSLogs/"),
                           ("s3:ListBucket", "${AuditBucket}\""), ("s3:GetObject", "${AuditBucket}/audit/export/*"),
                           ("dynamodb:GetItem", "AuditTable"), ("dynamodb:PutItem", "AuditTable"),
                           ("s3:PutObject", "${AuditBucket}/audit/export/*"), ("kms:Decrypt", "DataKey")],
    # Lambda sends a failed asynchronous invocation's event to the queue with the function's role.
    **{fn: [("sqs:SendMessage", f"{lid}DeadLetters")] for fn, lid in
       (("build_export", "BuildExport"), ("retention_sweep", "RetentionSweep"),
        ("monitoring_rescreen", "MonitoringRescreen"))},
}


# An ended closure leaves its exit fact (guarded on the checkpoint item, in one transaction); the
# closure's ScheduleRetention step ends the relationship on the customer record.
NEEDS["record_decision"] += [("dynamodb:PutItem", "ExitFactsTable"), ("s3:GetObject", "${DocumentsBucket}/checkpoints/*")]
NEEDS["schedule_retention"] += [("dynamodb:UpdateItem", "CustomersTable")]


@pytest.mark.parametrize("function", sorted(NEEDS))
def test_functions_may_do_what_their_code_paths_do(function):
    config = json.loads((ROOT / ".chalice" / "config.json").read_text())["stages"]["prod"]
    policy_file = config["lambda_functions"][function]["iam_policy_file"]
    grants = _grants(policy_file)
    missing = [(action, fragment) for action, fragment in NEEDS[function]
               if not any(a == action and fragment in resource for a, resource in grants)]
    assert missing == [], f"{policy_file} lacks {missing}"


CHECKOV = ROOT / ".venv-checkov" / "bin" / "checkov"


def test_checkov_fails_nothing_and_every_skip_states_its_reason(packaged):
    """What a bank's cloud security review runs first. A skip lives in the resource's Metadata
    (`checkov: skip: [{id, comment}]`); checkov fills in "No comment provided" when it has none."""
    assert CHECKOV.is_file(), "checkov runs in its own virtualenv: `make checkov` creates .venv-checkov"
    command = [str(CHECKOV), "--skip-download", "--framework", "cloudformation", "-f", str(packaged["path"]), "-o", "json"]
    result = subprocess.run(command, capture_output=True, text=True, timeout=600)  # --skip-download: offline
    report = json.loads(result.stdout)
    failed = [(c["check_id"], c["resource"]) for c in report["results"]["failed_checks"]]
    assert failed == [] and report["summary"]["parsing_errors"] == 0, failed
    assert report["summary"]["passed"] > 200
    skipped = report["results"]["skipped_checks"]
    unexplained = [(c["check_id"], c["resource"]) for c in skipped
                   if len(c["check_result"].get("suppress_comment") or "") < 40
                   or c["check_result"]["suppress_comment"] == "No comment provided"]
    assert unexplained == []
    assert {c["check_id"] for c in skipped} == {"CKV_AWS_116", "CKV_AWS_117", "CKV_AWS_120", "CKV_AWS_18",
                                                  "CKV_AWS_7"}  # the identity graph's HMAC key: KMS rotates no HMAC key


def _functions(template: dict) -> dict[str, dict]:
    return {k: r for k, r in template["Resources"].items() if r["Type"] == "AWS::Serverless::Function"}


def _asynchronous(template: dict) -> set[str]:
    """Functions invoked asynchronously: by a schedule, or by name through the Lambda API."""
    invoked_by_name = {v["Fn::Sub"].removeprefix("${AWS::StackName}-") for k, v in
                       template["Globals"]["Function"]["Environment"]["Variables"].items() if k.endswith("_FUNCTION_NAME")}
    return {lid for lid, r in _functions(template).items() if r["Properties"].get("Events")
            or r["Properties"].get("FunctionName", {}).get("Fn::Sub", "").removeprefix("${AWS::StackName}-")
            in invoked_by_name}


def test_every_function_has_its_reserved_concurrency_from_the_table(packaged):
    template = packaged["template"]
    table = template["Mappings"]["ReservedConcurrency"]
    functions = _functions(template)
    assert set(table) == set(functions)
    for lid, resource in functions.items():
        assert resource["Properties"]["ReservedConcurrentExecutions"] == {
            "Fn::FindInMap": ["ReservedConcurrency", lid, "Limit"]}
    assert table["RetentionSweep"]["Limit"] == 1 and table["ExportLinkEvents"]["Limit"] == 1  # never two at once
    assert table["MonitoringRescreen"]["Limit"] == 1
    assert sum(row["Limit"] for row in table.values()) <= 900  # Lambda keeps 100 of the default 1,000 unreserved


def test_every_asynchronously_invoked_function_has_an_encrypted_dead_letter_queue_with_an_alarm(packaged):
    template = packaged["template"]
    resources = template["Resources"]
    asynchronous = _asynchronous(template)
    assert asynchronous == {"BuildExport", "RetentionSweep", "ExportLinkEvents", "WebhookRetries", "MonitoringRescreen"}
    alarms = [r["Properties"] for r in resources.values() if r["Type"] == "AWS::CloudWatch::Alarm"]
    for lid in asynchronous:
        target = resources[lid]["Properties"]["DeadLetterQueue"]
        assert target["Type"] == "SQS"
        queue_id = target["TargetArn"]["Fn::GetAtt"][0]
        queue = resources[queue_id]
        assert queue["Type"] == "AWS::SQS::Queue" and queue["Properties"]["KmsMasterKeyId"] == {"Ref": "DataKey"}
        alarm = next(a for a in alarms if a["Dimensions"] == [{"Name": "QueueName",
                                                               "Value": {"Fn::GetAtt": [queue_id, "QueueName"]}}])
        assert (alarm["MetricName"], alarm["Threshold"], alarm["ComparisonOperator"]) == (
            "ApproximateNumberOfMessagesVisible", 0, "GreaterThanThreshold")
        assert alarm["AlarmActions"] == [{"Ref": "OperationsAlarmTopic"}]
    assert resources["OperationsAlarmTopic"]["Properties"]["KmsMasterKeyId"] == {"Ref": "DataKey"}
    for lid in set(_functions(template)) - asynchronous:
        assert "DeadLetterQueue" not in resources[lid]["Properties"]
    redrive = resources["WebhookEventsQueue"]["Properties"]["RedrivePolicy"]  # polled by deliver_webhooks
    assert redrive["deadLetterTargetArn"] == {"Fn::GetAtt": ["WebhookEventsDeadLetters", "Arn"]}


def test_function_environments_are_encrypted_with_the_stacks_key_and_logs_go_to_its_log_group(packaged):
    function_globals = packaged["template"]["Globals"]["Function"]
    assert function_globals["KmsKeyArn"] == {"Fn::GetAtt": ["DataKey", "Arn"]}
    assert function_globals["LoggingConfig"] == {"LogGroup": {"Ref": "FunctionLogGroup"}}


def test_every_log_group_is_encrypted_and_kept_as_long_as_policy_says(packaged):
    resources = packaged["template"]["Resources"]
    groups = {k: r["Properties"] for k, r in resources.items() if r["Type"] == "AWS::Logs::LogGroup"}
    policy = logging_policy()
    expected = {"ApiAccessLogGroup": "api_access", "FunctionLogGroup": "functions",
                "OnboardingStateMachineLogGroup": "state_machines", "OffboardingStateMachineLogGroup": "state_machines",
                "MonitoringStateMachineLogGroup": "state_machines",
                "MonitoringAlertStateMachineLogGroup": "state_machines",
                "ListRefreshStateMachineLogGroup": "state_machines"}
    assert set(groups) == set(expected)
    key_policy = json.dumps(resources["DataKey"]["Properties"]["KeyPolicy"])
    for lid, name in expected.items():
        assert groups[lid]["KmsKeyId"] == {"Fn::GetAtt": ["DataKey", "Arn"]}
        assert groups[lid]["RetentionInDays"] == policy.days(f"log_groups.{name}")
        prefix = groups[lid]["LogGroupName"]["Fn::Sub"].rsplit("${AWS::StackName}", 1)[0]
        assert f"log-group:{prefix}${{AWS::StackName}}-*" in key_policy  # CloudWatch Logs may use the key for it
    days = {r["Properties"]["BucketName"]["Fn::Sub"].split("-")[1]: rule["ExpirationInDays"]
            for r in resources.values() if r["Type"] == "AWS::S3::Bucket"
            for rule in r["Properties"].get("LifecycleConfiguration", {}).get("Rules", []) if "ExpirationInDays" in rule}
    assert days == {"access": policy.days("buckets.s3_access"), "trail": policy.days("buckets.export_download_trail")}


def test_the_api_stage_logs_each_request_as_json_traces_and_throttles(packaged):
    template = packaged["template"]
    props = template["Resources"]["RestAPI"]["Properties"]
    assert props["TracingEnabled"] is True
    assert props["AccessLogSetting"]["DestinationArn"] == {"Fn::GetAtt": ["ApiAccessLogGroup", "Arn"]}
    line = json.loads(re.sub(r"\$context\.[A-Za-z.]+", "x", props["AccessLogSetting"]["Format"]))  # JSON once filled in
    fields = json.loads(props["AccessLogSetting"]["Format"])
    assert set(line) == set(fields)
    assert {fields["requestId"], fields["subject"], fields["sourceIp"], fields["route"], fields["status"],
            fields["responseLatencyMs"]} == {"$context.requestId", "$context.authorizer.claims.sub",
                                             "$context.identity.sourceIp", "$context.resourcePath", "$context.status",
                                             "$context.responseLatency"}
    settings = {(m["ResourcePath"], m["HttpMethod"]): m for m in props["MethodSettings"]}
    assert settings[("/*", "*")]["ThrottlingRateLimit"] == {"Ref": "ApiThrottlingRateLimit"}
    assert settings[("/~1v1~1exports", "POST")]["ThrottlingBurstLimit"] == {"Ref": "HeavyRouteThrottlingBurstLimit"}
    assert not any(m["DataTraceEnabled"] for m in settings.values())  # execution logs would hold request bodies
    parameters = template["Parameters"]
    assert all(parameters[p]["Type"] == "Number" for p in ("ApiThrottlingRateLimit", "ApiThrottlingBurstLimit",
                                                            "HeavyRouteThrottlingRateLimit", "HeavyRouteThrottlingBurstLimit"))


def test_every_bucket_logs_its_requests_into_the_locked_down_access_log_bucket(packaged):
    resources = packaged["template"]["Resources"]
    buckets = {k: r for k, r in resources.items() if r["Type"] == "AWS::S3::Bucket"}
    assert {"DocumentsBucket", "ListsBucket", "AuditBucket", "TrailBucket", "AccessLogsBucket"} == set(buckets)
    for lid, bucket in buckets.items():
        if lid != "AccessLogsBucket":
            assert bucket["Properties"]["LoggingConfiguration"]["DestinationBucketName"] == {"Ref": "AccessLogsBucket"}
    target = buckets["AccessLogsBucket"]["Properties"]
    assert all(target["PublicAccessBlockConfiguration"].values())
    assert target["OwnershipControls"] == {"Rules": [{"ObjectOwnership": "BucketOwnerEnforced"}]}
    policy = next(r["Properties"]["PolicyDocument"] for r in resources.values()
                  if r["Type"] == "AWS::S3::BucketPolicy" and r["Properties"]["Bucket"] == {"Ref": "AccessLogsBucket"})
    allowed = [s for s in policy["Statement"] if s["Effect"] == "Allow"]
    assert [s["Principal"] for s in allowed] == [{"Service": "logging.s3.amazonaws.com"}]
    denied = {a for s in policy["Statement"] if s["Effect"] == "Deny" for a in
              (s["Action"] if isinstance(s["Action"], list) else [s["Action"]])}
    assert {"s3:DeleteObject", "s3:DeleteObjectVersion", "s3:*"} <= denied


def test_the_trail_records_each_export_package_download_where_the_reader_looks(packaged):
    template = packaged["template"]
    trail = template["Resources"]["ExportDownloadTrail"]["Properties"]
    assert trail["EnableLogFileValidation"] and trail["KMSKeyId"] == {"Fn::GetAtt": ["DataKey", "Arn"]}
    (selector,) = trail["AdvancedEventSelectors"]
    fields = {f["Field"]: f for f in selector["FieldSelectors"]}
    assert fields["eventCategory"]["Equals"] == ["Data"] and fields["eventName"]["Equals"] == ["GetObject"]
    assert fields["resources.ARN"]["StartsWith"] == [{"Fn::Sub": "arn:${AWS::Partition}:s3:::${DocumentsBucket}/customers/"}]
    assert fields["resources.ARN"]["EndsWith"] == [".zip"]  # customers/<customer id>/exports/<export id>.zip
    variables = template["Globals"]["Function"]["Environment"]["Variables"]
    assert variables["TRAIL_BUCKET"] == {"Ref": trail["S3BucketName"]["Ref"]}
    assert variables["TRAIL_LOG_PREFIX"]["Fn::Sub"].startswith(trail["S3KeyPrefix"] + "/AWSLogs/${AWS::AccountId}/")


def test_vpc_placement_is_one_switch_for_every_function_with_its_endpoints(packaged):
    template = packaged["template"]
    resources = template["Resources"]
    vpc = template["Globals"]["Function"]["VpcConfig"]["Fn::If"]
    assert vpc[0] == "InVpc" and vpc[2] == {"Ref": "AWS::NoValue"}
    assert vpc[1] == {"SubnetIds": {"Ref": "VpcSubnetIds"}, "SecurityGroupIds": {"Ref": "VpcSecurityGroupIds"}}
    assert template["Parameters"]["VpcId"]["Default"] == ""  # off unless asked for
    for lid, function in _functions(template).items():
        role = resources[function["Properties"]["Role"]["Fn::GetAtt"][0]]["Properties"]
        assert role["ManagedPolicyArns"][0]["Fn::If"][0] == "InVpc", lid  # may create its network interfaces
    endpoints = {r["Properties"]["ServiceName"]["Fn::Sub"].rsplit(".", 1)[1]: r for r in resources.values()
                 if r["Type"] == "AWS::EC2::VPCEndpoint"}
    assert set(endpoints) == {"dynamodb", "s3", "kms", "states", "sqs", "lambda"}
    assert all(e["Condition"] == "CreateEndpoints" for e in endpoints.values())
