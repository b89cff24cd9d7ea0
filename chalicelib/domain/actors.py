"""Who acts: callers of the API (a role and a subject) and the product's own system actors.

Callers are channels (the digital sign-up and closure flows), compliance officers and auditors.
System actors (a workflow, the retention sweep) record their own name in the `system:`
namespace, which no caller's subject may take, so nothing a system actor did can be mistaken
for, or claimed by, a caller."""
from __future__ import annotations

from enum import StrEnum

from pydantic import Field, model_validator

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


class AccessPurpose(StrEnum):
    """Why a member of staff reads a person's data (the X-Access-Purpose header); the access policy
    says which open a former customer's data."""

    CASE_REVIEW = "case_review"
    REGULATORY_REQUEST = "regulatory_request"
    LEGAL_CLAIM = "legal_claim"
    AUDIT_SAMPLE = "audit_sample"
    LAW_ENFORCEMENT_REQUEST = "law_enforcement_request"
    DATA_SUBJECT_REQUEST = "data_subject_request"


class StatedPurpose(Frozen):
    purpose: AccessPurpose
    reference: str


class PurposeRule(Frozen):
    label: str
    former_customers: bool  # opens the data of a customer whose relationship has ended
    source: str


class PurposeBoundAccess(Frozen):
    """The purposes staff may give, and the one a read of a current case carries when none is given."""

    default: AccessPurpose
    purposes: dict[AccessPurpose, PurposeRule]
    source: str

    @model_validator(mode="after")
    def _every_purpose(self) -> PurposeBoundAccess:
        if set(self.purposes) != set(AccessPurpose):
            raise ValueError(f"purposes: list exactly {', '.join(AccessPurpose)}")
        if self.purposes[self.default].former_customers:
            raise ValueError("default: the purpose given when none is must not open a former customer's data")
        return self

    def opening_former_customers(self) -> list[AccessPurpose]:
        return [p for p, rule in self.purposes.items() if rule.former_customers]


class AccessPolicy(Frozen):
    policy: str
    version: str
    local_token: LocalTokens
    purpose_bound: PurposeBoundAccess
