"""Workflow task: verify the applicant's identity document (state VerifyIdentity)."""
from __future__ import annotations

from typing import Any

from chalicelib.aws import checkpoints, documents
from chalicelib.domain.checkpoint import Step, iso, utc_now
from chalicelib.domain.decisions import judge
from chalicelib.domain.identity.verification import DocumentChecksVerifier, IdentityPolicy, IdentityVerifier
from chalicelib.domain.models import Application
from chalicelib.policies import onboarding_policy

STEP = "identity"
verifier: IdentityVerifier = DocumentChecksVerifier()


def run(checkpoint_id: str, event: dict[str, Any]) -> dict[str, Any]:
    policy = onboarding_policy()
    application = documents.get_json(documents.application_key(checkpoint_id), Application)
    now = utc_now()
    result = verifier.verify(application, now.date(), IdentityPolicy(minimum_age_years=policy.minimum_age.years))
    key = documents.result_key(checkpoint_id, STEP)
    documents.put_json(key, result)
    verdict, reasons = judge(result.checks, policy)
    checkpoints.record_step(checkpoint_id, Step(name=STEP, verdict=verdict, reasons=reasons,
                                                finished_at=iso(now), result_key=key))
    return {"verdict": verdict.value, "codes": [r.code for r in reasons]}
