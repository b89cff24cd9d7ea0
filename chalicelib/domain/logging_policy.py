"""policies/logging.yaml: how long the deployed stack keeps its operational logs. Pure: the
periods are written into the merge template by chalicelib/local/template.py."""
from __future__ import annotations

from collections.abc import Mapping

from pydantic import Field, model_validator

from chalicelib.domain.models import Frozen

# The only retention periods CloudWatch Logs accepts (AWS::Logs::LogGroup RetentionInDays).
CLOUDWATCH_RETENTION_DAYS = frozenset({1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827,
                                       2192, 2557, 2922, 3288, 3653})


class Retention(Frozen):
    days: int = Field(ge=1)
    source: str = Field(min_length=1)


class LoggingPolicy(Frozen):
    policy: str
    version: str
    log_groups: Mapping[str, Retention]
    buckets: Mapping[str, Retention]

    @model_validator(mode="after")
    def _cloudwatch_accepts_the_periods(self) -> LoggingPolicy:
        for name, retention in self.log_groups.items():
            if retention.days not in CLOUDWATCH_RETENTION_DAYS:
                raise ValueError(f"log_groups.{name}.days: CloudWatch Logs does not accept {retention.days} days")
        return self

    def days(self, name: str) -> int:
        """The period of `<group>.<name>` (e.g. `log_groups.api_access`); KeyError names an unknown one."""
        group, _, entry = name.partition(".")
        groups = {"log_groups": self.log_groups, "buckets": self.buckets}
        if group not in groups or entry not in groups[group]:
            raise KeyError(f"logging.yaml has no retention {name!r}")
        return groups[group][entry].days
