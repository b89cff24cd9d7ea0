"""The merge template (`infra/resources.json`) and a resolver for the few CloudFormation
intrinsics it uses. One source, two consumers: `make package` merges this template into
Chalice's output; the embedded AWS provisions from it (see `provisioning.py`)."""
from __future__ import annotations

import json
import re
import sys
from collections.abc import Mapping
from typing import Any

from chalicelib.policies import logging_policy
from chalicelib.settings import PROJECT_ROOT

TEMPLATE_PATH = PROJECT_ROOT / "infra" / "resources.json"
_SUB_VAR = re.compile(r"\$\{([A-Za-z0-9:_.]+)\}")


def merge_template() -> dict[str, Any]:
    """The merge template with every `{"$include": path}` replaced by that JSON file's content
    (state machine definitions are kept in `stepfunctions/` and inlined as `Definition`) and every
    `{"$retention_days": "<group>.<name>"}` by that period of `policies/logging.yaml`."""

    def inline(node: Any) -> Any:
        if isinstance(node, dict):
            if set(node) == {"$include"}:
                return json.loads((PROJECT_ROOT / node["$include"]).read_text(encoding="utf-8"))
            if set(node) == {"$retention_days"}:
                return logging_policy().days(node["$retention_days"])
            return {k: inline(v) for k, v in node.items()}
        if isinstance(node, list):
            return [inline(v) for v in node]
        return node

    return inline(json.loads(TEMPLATE_PATH.read_text(encoding="utf-8")))


class Resolver:
    """Resolves Ref, Fn::Sub and Fn::GetAtt against known values (pseudo parameters,
    physical ids of resources already created, attributes such as function ARNs)."""

    def __init__(self, pseudo: Mapping[str, str]) -> None:
        self.refs: dict[str, str] = dict(pseudo)
        self.attrs: dict[str, str] = {}

    def resolve(self, node: Any) -> Any:
        if isinstance(node, dict):
            if len(node) == 1:
                (key, arg), = node.items()
                if key == "Ref":
                    return self.refs[arg]
                if key == "Fn::GetAtt":
                    return self.attrs[".".join(arg)]
                if key == "Fn::Sub":
                    return self._sub(arg)
            return {k: self.resolve(v) for k, v in node.items()}
        if isinstance(node, list):
            return [self.resolve(v) for v in node]
        return node

    def _sub(self, arg: str | list) -> str:
        text, extra = (arg, {}) if isinstance(arg, str) else (arg[0], self.resolve(arg[1]))

        def value(match: re.Match) -> str:
            name = match.group(1)
            if name in extra:
                return extra[name]
            return self.attrs[name] if "." in name else self.refs[name]

        return _SUB_VAR.sub(value, text)


def substitute_definition(definition: Mapping[str, Any], substitutions: Mapping[str, str]) -> str:
    """Apply DefinitionSubstitutions the way Step Functions does: `${Name}` in the definition text."""
    return _SUB_VAR.sub(lambda m: substitutions.get(m.group(1), m.group(0)), json.dumps(definition))


if __name__ == "__main__":  # `python -m chalicelib.local.template > build/merge.json`
    json.dump(merge_template(), sys.stdout, indent=2)
