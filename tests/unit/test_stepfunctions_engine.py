"""The embedded Step Functions engine's fixes for executions that run at the same time."""
from __future__ import annotations

from moto.stepfunctions.parser.asl.component.state.exec.state_task import lambda_eval_utils
from moto.stepfunctions.parser.asl.parse.preprocessor import Preprocessor

from chalicelib.local import stepfunctions_engine


def test_each_parse_keeps_its_own_query_language_scopes_and_the_lambda_client_is_built_once():
    before = Preprocessor.__init__, lambda_eval_utils.boto_client_for  # moto's own, unless a stack is up
    uninstall = stepfunctions_engine.install()
    try:
        first, second = Preprocessor(), Preprocessor()
        first._query_language_per_scope.append("scope of one parse")
        assert second._query_language_per_scope == []
        client = lambda_eval_utils.boto_client_for(region="eu-west-1", service="lambda")
        assert lambda_eval_utils.boto_client_for(region="eu-west-1", service="lambda") is client
        assert lambda_eval_utils.boto_client_for(region="eu-west-1", service="s3") is not client
    finally:
        uninstall()
    assert (Preprocessor.__init__, lambda_eval_utils.boto_client_for) == before
