"""IAM the emulator does not check. The functions' calls are recorded and judged for the whole
session (tests/iam.py, run by the session's embedded stack); here: each state machine's role
against what its definition makes Step Functions call, and the evaluator itself."""
from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest

from chalicelib.local.template import merge_template, substitute_definition
from chalicelib.services.monitoring import manifest_key
from tests import iam


def _states(states: dict[str, Any]) -> Iterator[dict[str, Any]]:
    for state in states.values():
        yield state
        for branch in state.get("Branches", []):
            yield from _states(branch["States"])
        processor = state.get("ItemProcessor") or state.get("Iterator")
        if processor:
            yield from _states(processor["States"])


def definition_needs(definition: dict[str, Any], own_arn: str, dynamic_objects: dict[str, str] | None = None
                     ) -> set[tuple[str, str]]:
    """(action, resource) Step Functions needs to run the definition's tasks, item readers and
    nested executions."""
    needs: set[tuple[str, str]] = set()
    dynamic_objects = dynamic_objects or {}
    for state in _states(definition["States"]):
        resource = state.get("Resource", "")
        parameters = state.get("Parameters", {})
        if state.get("Type") == "Task" and resource.startswith("arn:aws:lambda:"):
            needs.add(("lambda:InvokeFunction", resource))
        elif resource.startswith("arn:aws:states:::lambda:invoke"):
            needs.add(("lambda:InvokeFunction", parameters["FunctionName"]))
        elif resource.startswith("arn:aws:states:::states:startExecution"):
            needs.add(("states:StartExecution", parameters.get("StateMachineArn", own_arn)))
        reader = state.get("ItemReader")
        if reader:
            params = reader["Parameters"]
            # an object named at run time is the one the state before writes (dynamic_objects)
            bucket, key = dynamic_objects.get(params.get("Bucket.$"), "*"), dynamic_objects.get(params.get("Key.$"), "*")
            needs.add(("s3:GetObject", f"arn:aws:s3:::{params.get('Bucket', bucket)}/{params.get('Key', key)}"))
        if state.get("Type") == "Map" and state.get("ItemProcessor", {}).get("ProcessorConfig", {}).get(
                "Mode") == "DISTRIBUTED":
            needs.add(("states:StartExecution", own_arn))  # each child is an execution of this state machine
    return needs


# Where a Map's ItemReader reads an object named at run time: the monitoring run's manifest, which
# PlanRun writes to the documents bucket (services.monitoring.plan, manifest_key).
_DYNAMIC_OBJECTS = {"MonitoringStateMachine": lambda stack: {
    "$.plan.bucket": stack.environment["DOCUMENTS_BUCKET"], "$.plan.key": manifest_key("*")}}

MACHINES = [lid for lid, r in merge_template()["Resources"].items() if r.get("Type") == "AWS::StepFunctions::StateMachine"]


@pytest.mark.parametrize("machine", MACHINES)
def test_each_state_machine_role_allows_exactly_what_its_definition_uses(stack, machine):
    template = merge_template()
    props = template["Resources"][machine]["Properties"]
    resolve = iam.tolerant(stack.resolver)
    definition = json.loads(substitute_definition(props["Definition"], resolve(props["DefinitionSubstitutions"])))
    role = template["Resources"][props["RoleArn"]["Fn::GetAtt"][0]]["Properties"]
    statements = [resolve(s) for policy in role["Policies"] for s in policy["PolicyDocument"]["Statement"]]
    needed = definition_needs(definition, stack.resolver.refs[machine], _DYNAMIC_OBJECTS.get(machine, {})(stack)
                              if machine in _DYNAMIC_OBJECTS else None)
    assert needed, "the definition needs nothing? then this test reads it wrong"
    refused = sorted(need for need in needed if not iam.decide(statements, *need)[0])
    assert not refused, f"{machine}'s role does not allow: {refused}"
    invocable = {r for s in statements if "lambda:InvokeFunction" in iam._listed(s.get("Action"))
                 for r in iam._listed(s["Resource"])}
    assert invocable == {resource for action, resource in needed if action == "lambda:InvokeFunction"}


STATEMENTS = [
    {"Effect": "Allow", "Action": ["dynamodb:Get*", "s3:PutObject"], "Resource": "arn:aws:dynamodb:*:*:table/t"},
    {"Effect": "Allow", "Action": "s3:*", "Resource": "arn:aws:s3:::b/checkpoints/*"},
    {"Effect": "Deny", "Action": "s3:DeleteObject", "Resource": "arn:aws:s3:::b/checkpoints/locked/*"},
    {"Effect": "Allow", "NotAction": "kms:*", "Resource": "arn:aws:sqs:eu-west-1:1:q?"},
    {"Effect": "Allow", "Action": "lambda:InvokeFunction", "NotResource": "arn:aws:lambda:*:*:function:admin-*"},
]


@pytest.mark.parametrize("action, resource, allowed", [
    ("dynamodb:GetItem", "arn:aws:dynamodb:eu-west-1:1:table/t", True),
    ("DynamoDB:getitem", "arn:aws:dynamodb:eu-west-1:1:table/t", True),  # actions ignore case
    ("dynamodb:PutItem", "arn:aws:dynamodb:eu-west-1:1:table/t", False),
    ("dynamodb:GetItem", "arn:aws:dynamodb:eu-west-1:1:table/t/index/i", False),
    ("s3:DeleteObject", "arn:aws:s3:::b/checkpoints/x", True),
    ("s3:DeleteObject", "arn:aws:s3:::b/checkpoints/locked/x", False),  # explicit deny wins
    ("s3:GetObject", "arn:aws:s3:::B/checkpoints/x", False),  # resources keep their case
    ("sqs:SendMessage", "arn:aws:sqs:eu-west-1:1:q1", True),
    ("sqs:SendMessage", "arn:aws:sqs:eu-west-1:1:q12", False),
    ("kms:Decrypt", "arn:aws:sqs:eu-west-1:1:q1", False),
    ("lambda:InvokeFunction", "arn:aws:lambda:eu-west-1:1:function:worker", True),
    ("lambda:InvokeFunction", "arn:aws:lambda:eu-west-1:1:function:admin-reset", False),
])
def test_the_evaluator_reads_policies_as_iam_does(action, resource, allowed):
    assert iam.decide(STATEMENTS, action, resource)[0] is allowed


def test_a_call_becomes_the_permissions_aws_checks():
    ctx = iam.Context("eu-west-1", "1", {"docs": "arn:aws:kms:eu-west-1:1:key/k"}, {"events": "arn:aws:kms:eu-west-1:1:key/k"},
                      ["arn:aws:states:eu-west-1:1:stateMachine:m"])
    put = iam.Call("api_handler", "s3", "PutObject", {"Bucket": "docs", "Key": "a/b", "Tagging": "x=y"})
    assert [[(n.action, n.resource) for n in g] for g in iam.needs(put, ctx)] == [
        [("s3:PutObject", "arn:aws:s3:::docs/a/b")], [("s3:PutObjectTagging", "arn:aws:s3:::docs/a/b")],
        [("kms:GenerateDataKey", "arn:aws:kms:eu-west-1:1:key/k")]]
    erase = iam.Call("retention_sweep", "s3", "DeleteObject", {"Bucket": "docs", "Key": "a", "VersionId": "v",
                                                              "BypassGovernanceRetention": True})
    assert {n.action for g in iam.needs(erase, ctx) for n in g} == {"s3:DeleteObjectVersion",
                                                                     "s3:BypassGovernanceRetention"}
    listing = iam.Call("api_handler", "s3", "ListObjectsV2", {"Bucket": "docs"})
    assert [(n.action, n.resource) for g in iam.needs(listing, ctx) for n in g] == [("s3:ListBucket", "arn:aws:s3:::docs")]
    query = iam.Call("api_handler", "dynamodb", "Query", {"TableName": "t", "IndexName": "by-status"})
    assert iam.needs(query, ctx)[0][0].resource == "arn:aws:dynamodb:eu-west-1:1:table/t/index/by-status"
    send = iam.Call("record_decision", "sqs", "SendMessage", {"QueueUrl": "https://sqs.eu-west-1.amazonaws.com/1/events"})
    assert {n.action for g in iam.needs(send, ctx) for n in g} == {"sqs:SendMessage", "kms:GenerateDataKey",
                                                                    "kms:Decrypt"}
