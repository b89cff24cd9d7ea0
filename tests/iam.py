"""IAM checked against what the code does, since the emulator checks none of it.

While the session's embedded AWS lives, every AWS call a product function makes is recorded with
the function that made it (a Lambda task, a scheduled function, or `api_handler` for a route):
the call is turned into the IAM actions and resource ARNs AWS would authorize (S3's action names,
an object's KMS key, a DynamoDB index, a presigned link the caller will use with the function's
credentials...). At the end each is judged against that function's policy file in `.chalice/`,
resolved with the stack's own names, by an evaluator that handles wildcards, `NotAction`,
`NotResource` and explicit deny. A call its policy does not allow fails the session naming the
function, the action and the ARN; statements no call needed are reported.

Calls from outside a function (test code reading a table, moto's own Step Functions engine) are
not the product's and are not recorded; state machine roles are checked statically against their
definitions (tests/integration/test_iam.py).
"""
from __future__ import annotations

import contextvars
import json
import re
import threading
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import botocore.client
import botocore.signers
from chalice.app import EventSourceHandler

from chalicelib.local import lambda_dispatch
from chalicelib.settings import PROJECT_ROOT

API_FUNCTION = "api_handler"
_current: contextvars.ContextVar[str | None] = contextvars.ContextVar("iam_function", default=None)


@dataclass(frozen=True)
class Need:
    """One permission a call needs."""

    function: str
    action: str
    resource: str
    call: str  # service.Operation, for the message


@dataclass(frozen=True)
class Call:
    function: str
    service: str
    operation: str
    params: dict[str, Any]


class Recorder:
    def __init__(self) -> None:
        self.calls: list[Call] = []
        self._lock = threading.Lock()

    def record(self, service: str, operation: str, params: dict[str, Any]) -> None:
        function = _current.get()
        if function is None:
            return
        with self._lock:
            self.calls.append(Call(function, service, operation, _summary(params)))


def _summary(params: dict[str, Any]) -> dict[str, Any]:
    """What deciding the permission needs (names, keys, flags), never bodies or items."""
    keep = ("TableName", "IndexName", "Bucket", "Key", "VersionId", "Tagging", "ServerSideEncryption",
            "SSEKMSKeyId", "BypassGovernanceRetention", "CopySource", "QueueUrl", "FunctionName",
            "stateMachineArn", "executionArn", "TransactItems", "RequestItems", "KeyId")
    summary = {k: params[k] for k in keep if k in params}
    for name in ("TransactItems",):
        if name in summary:
            summary[name] = [{op: {"TableName": body.get("TableName")} for op, body in item.items()}
                             for item in summary[name]]
    if "RequestItems" in summary:
        summary["RequestItems"] = {table: None for table in summary["RequestItems"]}
    return summary


def running_as(function: str):
    """Context manager: calls made inside are `function`'s."""
    class _Scope:
        def __enter__(self) -> None:
            self.token = _current.set(function)

        def __exit__(self, *exc: Any) -> None:
            _current.reset(self.token)

    return _Scope()


def install(app: Any, recorder: Recorder) -> list[Any]:
    """Record calls from the app's functions; returns what to undo."""
    original_call = botocore.client.BaseClient._make_api_call
    original_presign = botocore.signers.generate_presigned_url
    original_invoke = lambda_dispatch.invoke_handler
    original_source = EventSourceHandler.__call__
    original_app = type(app).__call__

    def make_api_call(client, operation_name, api_params):
        recorder.record(client.meta.service_model.service_name, operation_name, api_params)
        return original_call(client, operation_name, api_params)

    def presign(self, ClientMethod, Params=None, ExpiresIn=3600, HttpMethod=None):  # noqa: N803 (boto3's names)
        operation = self.meta.method_to_api_mapping.get(ClientMethod, ClientMethod)
        recorder.record(self.meta.service_model.service_name, f"presigned:{operation}", Params or {})
        return original_presign(self, ClientMethod, Params=Params, ExpiresIn=ExpiresIn, HttpMethod=HttpMethod)

    def invoke_handler(handler, name, payload, injector=None):
        with running_as(getattr(handler, "name", name)):
            return original_invoke(handler, name, payload, injector)

    def source_call(self, event, context):  # a scheduled function, called by EventBridge (or a test)
        with running_as(self.func.__name__):
            return original_source(self, event, context)

    def app_call(self, event, context):
        with running_as(API_FUNCTION):
            return original_app(self, event, context)

    botocore.client.BaseClient._make_api_call = make_api_call
    botocore.signers.generate_presigned_url = presign
    lambda_dispatch.invoke_handler = invoke_handler
    EventSourceHandler.__call__ = source_call
    type(app).__call__ = app_call
    return [(botocore.client.BaseClient, "_make_api_call", original_call),
            (botocore.signers, "generate_presigned_url", original_presign),
            (lambda_dispatch, "invoke_handler", original_invoke), (EventSourceHandler, "__call__", original_source),
            (type(app), "__call__", original_app)]


def uninstall(undo: list[Any]) -> None:
    for owner, name, value in undo:
        setattr(owner, name, value)


# ---- from calls to permissions ----

_S3_ACTIONS = {
    "GetObject": "s3:GetObject", "HeadObject": "s3:GetObject", "PutObject": "s3:PutObject",
    "CreateMultipartUpload": "s3:PutObject", "UploadPart": "s3:PutObject", "CompleteMultipartUpload": "s3:PutObject",
    "AbortMultipartUpload": "s3:AbortMultipartUpload", "DeleteObject": "s3:DeleteObject",
    "PutObjectTagging": "s3:PutObjectTagging", "GetObjectTagging": "s3:GetObjectTagging",
    "PutObjectRetention": "s3:PutObjectRetention", "PutObjectLegalHold": "s3:PutObjectLegalHold",
    "GetObjectRetention": "s3:GetObjectRetention", "GetObjectLegalHold": "s3:GetObjectLegalHold",
    "ListObjectsV2": "s3:ListBucket", "ListObjects": "s3:ListBucket", "ListObjectVersions": "s3:ListBucketVersions",
    "CopyObject": "s3:PutObject",
}
_VERSIONED = {"s3:GetObject": "s3:GetObjectVersion", "s3:DeleteObject": "s3:DeleteObjectVersion",
              "s3:PutObjectTagging": "s3:PutObjectVersionTagging", "s3:GetObjectTagging": "s3:GetObjectVersionTagging"}
_WRITES = {"PutObject", "CreateMultipartUpload", "UploadPart", "CompleteMultipartUpload", "CopyObject"}
_PREFIXES = {"stepfunctions": "states", "lambda": "lambda", "dynamodb": "dynamodb", "sqs": "sqs", "kms": "kms",
             "s3": "s3", "logs": "logs", "cloudtrail": "cloudtrail", "sts": "sts"}


class Context:
    """What turning a call into ARNs needs to know about the stack."""

    def __init__(self, region: str, account: str, kms_buckets: dict[str, str], kms_queues: dict[str, str],
                 state_machines: list[str]) -> None:
        self.region, self.account = region, account
        self.kms_buckets, self.kms_queues, self.state_machines = kms_buckets, kms_queues, state_machines


def needs(call: Call, ctx: Context) -> list[list[Need]]:
    """The permissions a call needs: a list of alternatives groups (every group must be allowed;
    within a group, any one Need suffices, e.g. SendTaskSuccess on whichever state machine)."""
    fn, p, name = call.function, call.params, f"{call.service}.{call.operation}"

    def one(action: str, resource: str) -> list[Need]:
        return [Need(fn, action, resource, name)]

    operation = call.operation.removeprefix("presigned:")
    if call.service == "s3":
        bucket, key = p.get("Bucket", ""), p.get("Key")
        action = _S3_ACTIONS.get(operation, f"s3:{operation}")
        if p.get("VersionId") and action in _VERSIONED:
            action = _VERSIONED[action]
        arn = f"arn:aws:s3:::{bucket}/{key}" if key is not None and action not in ("s3:ListBucket",
                                                                                    "s3:ListBucketVersions") \
            else f"arn:aws:s3:::{bucket}"
        groups = [one(action, arn)]
        if p.get("Tagging") and operation in _WRITES:
            groups.append(one("s3:PutObjectTagging", arn))
        if p.get("BypassGovernanceRetention"):
            groups.append(one("s3:BypassGovernanceRetention", arn))
        key_arn = ctx.kms_buckets.get(bucket)
        if key_arn and operation in _WRITES:
            groups.append(one("kms:GenerateDataKey", key_arn))
            if operation in ("CreateMultipartUpload", "UploadPart", "CompleteMultipartUpload"):
                groups.append(one("kms:Decrypt", key_arn))
        if key_arn and action in ("s3:GetObject", "s3:GetObjectVersion"):
            groups.append(one("kms:Decrypt", key_arn))
        if operation == "CopyObject":
            source = p["CopySource"] if isinstance(p["CopySource"], dict) else dict(
                zip(("Bucket", "Key"), str(p["CopySource"]).split("/", 1)))
            groups.append(one("s3:GetObject", f"arn:aws:s3:::{source['Bucket']}/{source['Key']}"))
            if ctx.kms_buckets.get(source["Bucket"]):
                groups.append(one("kms:Decrypt", ctx.kms_buckets[source["Bucket"]]))
        return groups
    if call.service == "dynamodb":
        if operation == "TransactWriteItems":
            verbs = {"Put": "PutItem", "Update": "UpdateItem", "Delete": "DeleteItem", "ConditionCheck": "ConditionCheckItem"}
            return [one(f"dynamodb:{verbs[op]}", _table_arn(body["TableName"], ctx))
                    for item in p["TransactItems"] for op, body in item.items()]
        if operation in ("BatchGetItem", "BatchWriteItem"):
            return [one(f"dynamodb:{operation}", _table_arn(table, ctx)) for table in p["RequestItems"]]
        arn = _table_arn(p["TableName"], ctx) + (f"/index/{p['IndexName']}" if p.get("IndexName") else "")
        return [one(f"dynamodb:{operation}", arn)]
    if call.service == "sqs":
        queue = urlsplit(p["QueueUrl"]).path.rstrip("/").rsplit("/", 1)[-1]
        arn = f"arn:aws:sqs:{ctx.region}:{ctx.account}:{queue}"
        groups = [one(f"sqs:{operation}", arn)]
        if operation == "SendMessage" and ctx.kms_queues.get(queue):
            groups += [one("kms:GenerateDataKey", ctx.kms_queues[queue]), one("kms:Decrypt", ctx.kms_queues[queue])]
        return groups
    if call.service == "lambda" and operation == "Invoke":
        function = p["FunctionName"]
        arn = function if function.startswith("arn:") else \
            f"arn:aws:lambda:{ctx.region}:{ctx.account}:function:{function}"
        return [one("lambda:InvokeFunction", arn)]
    if call.service == "stepfunctions":
        if operation in ("SendTaskSuccess", "SendTaskFailure", "SendTaskHeartbeat"):
            return [[Need(fn, f"states:{operation}", arn, name) for arn in ctx.state_machines]]
        arn = p.get("stateMachineArn") or p.get("executionArn") or "*"
        return [one(f"states:{operation}", arn)]
    if call.service == "kms" and p.get("KeyId"):
        key = p["KeyId"]
        return [one(f"kms:{operation}", key if key.startswith("arn:") else f"arn:aws:kms:{ctx.region}:{ctx.account}:key/{key}")]
    return [one(f"{_PREFIXES.get(call.service, call.service)}:{operation}", "*")]


def _table_arn(table: str, ctx: Context) -> str:
    return table if table.startswith("arn:") else f"arn:aws:dynamodb:{ctx.region}:{ctx.account}:table/{table}"


# ---- evaluating a policy ----

def _listed(value: str | list[str] | None) -> list[str]:
    return [] if value is None else [value] if isinstance(value, str) else list(value)


def _matches(patterns: Iterable[str], value: str, *, case: bool) -> bool:
    """IAM wildcards: * any run of characters, ? one character (actions compared case-insensitively)."""
    for pattern in patterns:
        regex = "".join(".*" if c == "*" else "." if c == "?" else re.escape(c) for c in pattern)
        if re.fullmatch(regex, value, flags=0 if case else re.IGNORECASE):
            return True
    return False


def _applies(statement: dict[str, Any], action: str, resource: str) -> bool:
    if "Action" in statement and not _matches(_listed(statement["Action"]), action, case=False):
        return False
    if "NotAction" in statement and _matches(_listed(statement["NotAction"]), action, case=False):
        return False
    if "Resource" in statement and not _matches(_listed(statement["Resource"]), resource, case=True):
        return False
    if "NotResource" in statement and _matches(_listed(statement["NotResource"]), resource, case=True):
        return False
    return True


def decide(statements: list[dict[str, Any]], action: str, resource: str) -> tuple[bool, list[int]]:
    """(allowed, indexes of the Allow statements that allow it): an explicit Deny wins over any
    Allow; nothing allowed is denied (statements with a Condition are taken as applying)."""
    allowing = [i for i, s in enumerate(statements) if s.get("Effect") == "Allow" and _applies(s, action, resource)]
    denied = any(s.get("Effect") == "Deny" and _applies(s, action, resource) for s in statements)
    return bool(allowing) and not denied, allowing


@dataclass
class Verdict:
    refused: list[Need]
    used: dict[str, set[int]]  # policy file -> indexes of statements some call needed


def judge(calls: Iterable[Call], ctx: Context, policies: dict[str, list[dict[str, Any]]],
          files: dict[str, str]) -> Verdict:
    """Every recorded call against its function's resolved policy (`policies` by file name,
    `files` function -> file name)."""
    refused: dict[tuple[str, str, str], Need] = {}
    used: dict[str, set[int]] = {}
    for call in {(c.function, c.service, c.operation, json.dumps(c.params, sort_keys=True, default=str)): c
                 for c in calls}.values():
        file = files.get(call.function)
        statements = policies.get(file, []) if file else []
        for group in needs(call, ctx):
            outcomes = [(need, *decide(statements, need.action, need.resource)) for need in group]
            if any(allowed for _, allowed, _ in outcomes):
                for _, allowed, indexes in outcomes:
                    if allowed:
                        used.setdefault(file, set()).update(indexes)
                continue
            need = group[0]
            refused[(need.function, need.action, need.resource)] = need
    return Verdict(refused=sorted(refused.values(), key=lambda n: (n.function, n.action, n.resource)), used=used)


def policy_files() -> dict[str, str]:
    """Function name -> its policy file, from the prod stage of .chalice/config.json."""
    config = json.loads((PROJECT_ROOT / ".chalice" / "config.json").read_text())
    return {name: settings["iam_policy_file"] for name, settings in config["stages"]["prod"]["lambda_functions"].items()}


def resolved_policies(resolve: Any) -> dict[str, list[dict[str, Any]]]:
    """Every policy file's statements with the template's references resolved to the local stack
    (a reference to something the local stack does not create stays a string that matches nothing)."""
    policies = {}
    for file in sorted(set(policy_files().values())):
        statements = json.loads((PROJECT_ROOT / ".chalice" / file).read_text())["Statement"]
        policies[file] = [resolve(s) for s in statements]
    return policies


def tolerant(resolver: Any):
    def resolve(node: Any) -> Any:
        if isinstance(node, dict):
            if len(node) == 1 and next(iter(node)) in ("Ref", "Fn::GetAtt", "Fn::Sub"):
                try:
                    return resolver.resolve(node)
                except KeyError:
                    return f"unresolved:{json.dumps(node)}"
            return {k: resolve(v) for k, v in node.items()}
        if isinstance(node, list):
            return [resolve(v) for v in node]
        return node
    return resolve


# What Lambda itself does with a function's role (not the code's calls, so never recorded): write
# its logs, send X-Ray segments, poll an event source queue, deliver a failed async event to the
# function's dead-letter queue.
SERVICE_ACTIONS = ("logs:CreateLogGroup", "logs:CreateLogStream", "logs:PutLogEvents", "xray:*",
                   "sqs:ReceiveMessage", "sqs:DeleteMessage", "sqs:GetQueueAttributes")
SERVICE_SIDS = ("DeadLetters", "DeadLetterKey", "ConsumeEvents", "ConsumeEventsDecrypt")


def _for_the_service(statement: dict[str, Any]) -> bool:
    actions = _listed(statement.get("Action"))
    return statement.get("Sid") in SERVICE_SIDS or bool(actions) and all(
        _matches(SERVICE_ACTIONS, action, case=False) for action in actions)


def unused_statements(used_by_file: dict[str, set[int]]) -> Iterator[str]:
    """Allow statements of the policy files that no recorded call needed (those for what the
    Lambda service does with the role are left out: no code path calls them)."""
    for file, statements in sorted((f, json.loads((PROJECT_ROOT / ".chalice" / f).read_text())["Statement"])
                                   for f in set(policy_files().values())):
        for index, statement in enumerate(statements):
            if statement.get("Effect") == "Allow" and index not in used_by_file.get(file, set()) \
                    and not _for_the_service(statement):
                actions = ", ".join(_listed(statement.get("Action") or statement.get("NotAction")))
                yield f"{file}: statement {statement.get('Sid', index)} ({actions}) was needed by no call"


def stack_context(stack: Any, template: dict[str, Any]) -> Context:
    """Which buckets and queues encrypt with which KMS key, and the state machines, on this stack."""
    resolve = tolerant(stack.resolver)
    key_arns = {stack.resolver.refs[lid]: stack.resolver.attrs[f"{lid}.Arn"]
                for lid, r in template["Resources"].items() if r.get("Type") == "AWS::KMS::Key"}
    buckets, queues = {}, {}
    for resource in template["Resources"].values():
        props = resource.get("Properties", {})
        if resource.get("Type") == "AWS::S3::Bucket":
            for rule in props.get("BucketEncryption", {}).get("ServerSideEncryptionConfiguration", []):
                default = rule.get("ServerSideEncryptionByDefault", {})
                if default.get("SSEAlgorithm") == "aws:kms":
                    buckets[resolve(props["BucketName"])] = key_arns.get(resolve(default["KMSMasterKeyID"]), "?")
        if resource.get("Type") == "AWS::SQS::Queue" and "KmsMasterKeyId" in props:
            queues[resolve(props["QueueName"])] = key_arns.get(resolve(props["KmsMasterKeyId"]), "?")
    machines = [stack.resolver.refs[lid] for lid, r in template["Resources"].items()
                if r.get("Type") == "AWS::StepFunctions::StateMachine"]
    return Context(stack.region, "123456789012", buckets, queues, machines)
