"""Who acts: callers of the API (a role and a subject) and the product's own system actors.

Callers are channels (the digital sign-up and closure flows), compliance officers and auditors.
System actors (a workflow, the retention sweep) record their own name in the `system:`
namespace, which no caller's subject may take, so nothing a system actor did can be mistaken
for, or claimed by, a caller."""
from __future__ import annotations

from enum import StrEnum

from pydantic import Field

from chalicelib.domain.models import Frozen

SYSTEM_PREFIX = "system:"


class Role(StrEnum):
    CHANNEL = "channel"
    COMPLIANCE = "compliance"
    AUDITOR = "auditor"


class Caller(Frozen):
    subject: str
    role: Role


def system_actor(name: str) -> str:
    """The recorded identity of one of the product's own actors, e.g. system:offboarding."""
    return f"{SYSTEM_PREFIX}{name}"


def is_system_actor(subject: str) -> bool:
    return subject.startswith(SYSTEM_PREFIX)


class LocalTokens(Frozen):
    max_lifetime_hours: int = Field(gt=0, le=24 * 7)
    source: str


class AccessPolicy(Frozen):
    policy: str
    version: str
    local_token: LocalTokens
