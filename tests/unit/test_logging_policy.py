"""policies/logging.yaml: the periods the template gives the stack's log groups and log buckets."""
from __future__ import annotations

import pytest

from chalicelib.domain.logging_policy import LoggingPolicy
from chalicelib.policies import PolicyError, load_policy, logging_policy
from chalicelib.settings import POLICIES_DIR


def test_the_periods_are_read_by_name():
    policy = logging_policy()
    assert policy.days("log_groups.api_access") == 400 and policy.days("buckets.export_download_trail") == 400
    with pytest.raises(KeyError, match="log_groups.nowhere"):
        policy.days("log_groups.nowhere")


def test_a_log_group_period_cloudwatch_does_not_accept_names_the_field(tmp_path):
    text = (POLICIES_DIR / "logging.yaml").read_text().replace("days: 400\n", "days: 366\n", 1)
    (tmp_path / "logging.yaml").write_text(text)
    with pytest.raises(PolicyError, match="log_groups.api_access.days: CloudWatch Logs does not accept 366 days"):
        load_policy(tmp_path / "logging.yaml", LoggingPolicy)
