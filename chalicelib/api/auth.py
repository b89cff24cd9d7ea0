"""Who is calling, and may they? Three roles: channel, compliance, auditor.

Deployed, API Gateway's authorizer (Cognito user pool or IAM) has already authenticated the
caller and passes its claims in the request context; the role is the `custom:role` claim or a
Cognito group. On the `local` stage only, a bearer token signed with the local development
key (HMAC-SHA256, `make token ROLE=...`) carries the same claims; such tokens are refused
on every other stage.
"""
from __future__ import annotations

import base64
import hashlib
import hmac
import json
import os
import time
from typing import Any

from chalicelib.api.errors import ApiError
from chalicelib.domain.actors import Caller, Role, is_system_actor
from chalicelib.policies import access_policy
from chalicelib.settings import get_settings

LOCAL_KEY_VARIABLE = "CHECKPOINT_LOCAL_TOKEN_KEY"
_CLOCK_SKEW_SECONDS = 60
# Replaced in the packaged template by the stack's user pool ARN (infra/resources.json).
USER_POOL_PLACEHOLDER = "arn:aws:cognito-idp:us-east-1:000000000000:userpool/us-east-1_replacedbymerge"


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _local_key() -> bytes:
    return os.environ[LOCAL_KEY_VARIABLE].encode()


def issue_local_token(role: Role, subject: str, ttl_seconds: int | None = None) -> str:
    """A token for the local stage, valid `ttl_seconds` (at most, and by default, the policy's
    maximum lifetime)."""
    longest = access_policy().local_token.max_lifetime_hours * 3600
    ttl_seconds = longest if ttl_seconds is None else min(ttl_seconds, longest)
    payload = _b64(json.dumps({"sub": subject, "role": role.value, "exp": int(time.time()) + ttl_seconds,
                               "aud": "checkpoint-local"}).encode())
    signature = _b64(hmac.new(_local_key(), payload.encode(), hashlib.sha256).digest())
    return f"{payload}.{signature}"


def _verify_local_token(token: str) -> dict[str, Any] | None:
    payload, _, signature = token.partition(".")
    expected = _b64(hmac.new(_local_key(), payload.encode(), hashlib.sha256).digest())
    if not signature or not hmac.compare_digest(signature, expected):
        return None
    try:
        claims = json.loads(_unb64(payload))
    except ValueError:
        return None
    if not isinstance(claims, dict) or claims.get("aud") != "checkpoint-local":
        return None
    expires, now = claims.get("exp"), time.time()
    if isinstance(expires, bool) or not isinstance(expires, int) or expires < now:
        return None
    if expires > now + access_policy().local_token.max_lifetime_hours * 3600 + _CLOCK_SKEW_SECONDS:
        return None  # valid for longer than any token this stage issues: forged or from another key's era
    return claims


def _claims(request: Any) -> dict[str, Any] | None:
    """Local stage: only a token signed with the local key. Deployed: only the claims API
    Gateway's Cognito authorizer verified (the role is the user's group)."""
    if get_settings().is_local:
        if LOCAL_KEY_VARIABLE not in os.environ:
            return None
        header = (request.headers or {}).get("authorization", "")
        scheme, _, token = header.partition(" ")
        return _verify_local_token(token.strip()) if scheme.lower() == "bearer" and token else None
    claims = ((request.context or {}).get("authorizer") or {}).get("claims") or {}
    groups = claims.get("cognito:groups") or []
    groups = groups.split(",") if isinstance(groups, str) else groups
    roles = [g for g in groups if g in {r.value for r in Role}]
    return {"sub": claims.get("sub"), "role": roles[0]} if claims.get("sub") and len(roles) == 1 else None


def require(request: Any, *roles: Role) -> Caller:
    """The authenticated caller if its role is one of `roles`; otherwise 401 or 403, no data."""
    claims = _claims(request)
    subject = claims.get("sub") if claims else None
    if not isinstance(subject, str) or not subject or is_system_actor(subject):
        raise ApiError(401, "UNAUTHENTICATED", "Authentication is required.",
                       headers={"WWW-Authenticate": "Bearer"})
    try:
        caller = Caller(subject=subject, role=Role(claims.get("role")))
    except ValueError:
        raise ApiError(403, "FORBIDDEN", "Your role may not do this.") from None
    if caller.role not in roles:
        raise ApiError(403, "FORBIDDEN", "Your role may not do this.")
    return caller
