"""Create the stack's resources on the embedded AWS from the merge template.

Resources are created in dependency order by type. Lambda functions are the ones the
Chalice app declares (`@app.lambda_function`), registered under the names and logical ids
that `chalice package` gives them, so the state machine's DefinitionSubstitutions resolve
to them exactly as in CloudFormation.
"""
from __future__ import annotations

import io
import json
import zipfile
from dataclasses import dataclass
from typing import Any

import boto3
from chalice import Chalice
from chalice.utils import to_cfn_resource_name

from chalicelib.local.template import Resolver, merge_template, substitute_definition

ACCOUNT_ID = "123456789012"
# CloudFormation property of an AWS::SQS::Queue -> the SQS attribute it sets
_QUEUE_ATTRIBUTES = {"KmsMasterKeyId": "KmsMasterKeyId", "VisibilityTimeout": "VisibilityTimeout",
                     "MessageRetentionPeriod": "MessageRetentionPeriod"}


@dataclass(frozen=True)
class Stack:
    name: str
    region: str
    environment: dict[str, str]  # the functions' environment (template Globals), resolved
    function_names: dict[str, str]  # Chalice function name -> deployed function name
    resolver: Resolver  # the template's references, resolved to what was created (IAM checks use it)


def chalice_function_name(app: Chalice, stage: str, name: str) -> str:
    return f"{app.app_name}-{stage}-{name}"


def provision(app: Chalice, stack_name: str, region: str, stage: str = "local") -> Stack:
    template = merge_template()
    resources: dict[str, dict[str, Any]] = template["Resources"]
    resolver = Resolver({"AWS::StackName": stack_name, "AWS::Region": region,
                         "AWS::AccountId": ACCOUNT_ID, "AWS::Partition": "aws", "AWS::URLSuffix": "amazonaws.com"})

    def of_type(kind: str):
        return [(lid, r.get("Properties", {})) for lid, r in resources.items() if r.get("Type") == kind]

    kms, iam = boto3.client("kms", region_name=region), boto3.client("iam", region_name=region)
    for lid, props in of_type("AWS::KMS::Key"):
        spec = {k: props[k] for k in ("KeySpec", "KeyUsage") if k in props}
        key = kms.create_key(Description=props.get("Description", lid), **spec)["KeyMetadata"]
        if props.get("EnableKeyRotation"):
            kms.enable_key_rotation(KeyId=key["KeyId"])
        resolver.refs[lid], resolver.attrs[f"{lid}.Arn"] = key["KeyId"], key["Arn"]

    for lid, props in of_type("AWS::IAM::Role"):
        role = iam.create_role(RoleName=f"{stack_name}-{lid}"[:64],
                               AssumeRolePolicyDocument=json.dumps(props["AssumeRolePolicyDocument"]))["Role"]
        resolver.refs[lid], resolver.attrs[f"{lid}.Arn"] = role["RoleName"], role["Arn"]

    function_names = _create_functions(app, stage, region, resolver, iam, stack_name)

    for lid, props in of_type("AWS::DynamoDB::Table"):
        _create_table(resolver.resolve(props), region)
        resolver.refs[lid] = resolver.resolve(props["TableName"])
        resolver.attrs[f"{lid}.Arn"] = f"arn:aws:dynamodb:{region}:{ACCOUNT_ID}:table/{resolver.refs[lid]}"

    for lid, props in of_type("AWS::S3::Bucket"):
        _create_bucket(resolver.resolve(props), region)
        resolver.refs[lid] = resolver.resolve(props["BucketName"])
        resolver.attrs[f"{lid}.Arn"] = f"arn:aws:s3:::{resolver.refs[lid]}"

    sqs = boto3.client("sqs", region_name=region)
    queues = of_type("AWS::SQS::Queue")
    for lid, props in queues:  # every queue first: a redrive policy names another queue
        resolved = resolver.resolve({k: v for k, v in props.items() if k != "RedrivePolicy"})
        attributes = {name: str(resolved[prop]) for prop, name in _QUEUE_ATTRIBUTES.items() if prop in resolved}
        url = sqs.create_queue(QueueName=resolved["QueueName"], Attributes=attributes)["QueueUrl"]
        resolver.refs[lid] = url
        resolver.attrs[f"{lid}.Arn"] = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])[
            "Attributes"]["QueueArn"]
        resolver.attrs[f"{lid}.QueueName"] = resolved["QueueName"]
    for lid, props in queues:
        if "RedrivePolicy" in props:
            sqs.set_queue_attributes(QueueUrl=resolver.refs[lid],
                                     Attributes={"RedrivePolicy": json.dumps(resolver.resolve(props["RedrivePolicy"]))})

    lam = boto3.client("lambda", region_name=region)
    for lid, props in of_type("AWS::Lambda::EventSourceMapping"):
        resolved = resolver.resolve(props)
        lam.create_event_source_mapping(EventSourceArn=resolved["EventSourceArn"], FunctionName=resolved["FunctionName"],
                                        BatchSize=resolved.get("BatchSize", 10), Enabled=resolved.get("Enabled", True))

    sfn = boto3.client("stepfunctions", region_name=region)
    for lid, props in of_type("AWS::StepFunctions::StateMachine"):
        definition = substitute_definition(props["Definition"], resolver.resolve(props.get("DefinitionSubstitutions", {})))
        arn = sfn.create_state_machine(name=resolver.resolve(props["StateMachineName"]), definition=definition,
                                       roleArn=resolver.resolve(props["RoleArn"]),
                                       type=props.get("StateMachineType", "STANDARD"))["stateMachineArn"]
        resolver.refs[lid] = arn

    environment = resolver.resolve(template["Globals"]["Function"]["Environment"]["Variables"])
    return Stack(name=stack_name, region=region, environment=environment, function_names=function_names,
                 resolver=resolver)


def _create_functions(app: Chalice, stage: str, region: str, resolver: Resolver, iam, stack_name: str) -> dict[str, str]:
    role = iam.create_role(RoleName=f"{stack_name}-lambda", AssumeRolePolicyDocument="{}")["Role"]["Arn"]
    code = io.BytesIO()
    with zipfile.ZipFile(code, "w") as archive:  # the code runs in-process; moto only needs a package
        archive.writestr("app.py", "# dispatched in-process by chalicelib.local.lambda_dispatch\n")
    lam = boto3.client("lambda", region_name=region)
    names = {}
    # The workflows' tasks and the scheduled functions (which EventBridge would invoke: here an
    # operator invokes them, `aws lambda invoke`, or the tests call them).
    for fn in [*app.pure_lambda_functions, *scheduled_functions(app)]:
        deployed = chalice_function_name(app, stage, fn.name)
        arn = lam.create_function(FunctionName=deployed, Runtime="python3.11", Role=role,
                                  Handler=fn.handler_string,
                                  Code={"ZipFile": code.getvalue()})["FunctionArn"]
        resolver.attrs[f"{to_cfn_resource_name(fn.name)}.Arn"] = arn
        names[fn.name] = deployed
    return names


def scheduled_functions(app: Chalice) -> list[Any]:
    return [source for source in app.event_sources if hasattr(source, "schedule_expression")]


def _create_table(props: dict[str, Any], region: str) -> None:
    ddb = boto3.client("dynamodb", region_name=region)
    kwargs = {k: props[k] for k in ("TableName", "AttributeDefinitions", "KeySchema", "BillingMode") if k in props}
    if props.get("GlobalSecondaryIndexes"):
        kwargs["GlobalSecondaryIndexes"] = props["GlobalSecondaryIndexes"]
    if sse := props.get("SSESpecification"):
        kwargs["SSESpecification"] = {"Enabled": sse["SSEEnabled"], "SSEType": sse["SSEType"],
                                      "KMSMasterKeyId": sse["KMSMasterKeyId"]}
    ddb.create_table(**kwargs)
    if ttl := props.get("TimeToLiveSpecification"):
        ddb.update_time_to_live(TableName=props["TableName"], TimeToLiveSpecification=ttl)
    if props.get("PointInTimeRecoverySpecification", {}).get("PointInTimeRecoveryEnabled"):
        ddb.update_continuous_backups(TableName=props["TableName"],
                                      PointInTimeRecoverySpecification={"PointInTimeRecoveryEnabled": True})


def _create_bucket(props: dict[str, Any], region: str) -> None:
    s3 = boto3.client("s3", region_name=region)
    name = props["BucketName"]
    kwargs: dict[str, Any] = {"Bucket": name}
    if region != "us-east-1":
        kwargs["CreateBucketConfiguration"] = {"LocationConstraint": region}
    if props.get("ObjectLockEnabled"):
        kwargs["ObjectLockEnabledForBucket"] = True
    s3.create_bucket(**kwargs)
    if enc := props.get("BucketEncryption"):
        rules = [{"ApplyServerSideEncryptionByDefault": rule["ServerSideEncryptionByDefault"],
                  "BucketKeyEnabled": rule.get("BucketKeyEnabled", False)}
                 for rule in enc["ServerSideEncryptionConfiguration"]]  # CloudFormation and S3 API names differ
        s3.put_bucket_encryption(Bucket=name, ServerSideEncryptionConfiguration={"Rules": rules})
    if pab := props.get("PublicAccessBlockConfiguration"):
        s3.put_public_access_block(Bucket=name, PublicAccessBlockConfiguration=pab)
    if props.get("VersioningConfiguration"):
        s3.put_bucket_versioning(Bucket=name, VersioningConfiguration=props["VersioningConfiguration"])
    if lock := props.get("ObjectLockConfiguration"):
        s3.put_object_lock_configuration(Bucket=name, ObjectLockConfiguration=lock)
