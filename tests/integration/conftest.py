"""Integration tests speak the public API through Chalice's test client, over the session's
embedded AWS (`stack`, in tests/embedded_fixtures.py)."""
from __future__ import annotations

import json
import time
import uuid
from collections.abc import Iterator

import pytest
from chalice.test import Client

from app import app
from chalicelib.api import samples
from chalicelib.api.auth import issue_local_token
from chalicelib.domain.actors import Role
from chalicelib.domain.checkpoint import FINAL_STATUSES
from chalicelib.settings import LOCAL_STAGE
from chalicelib.local.provisioning import Stack
from tests import pii
from tests.conftest import ROOT


@pytest.fixture(scope="session")
def api(stack: Stack) -> Iterator[Client]:
    with Client(app, stage_name=LOCAL_STAGE, project_dir=str(ROOT)) as client:
        yield client


FINAL = tuple(s.value for s in FINAL_STATUSES)
CHANNEL = "web-signup"  # the channel identity the tests call as


class Api:
    """Small helpers over the Chalice test client, speaking the public API."""

    def __init__(self, client: Client) -> None:
        self.client = client

    def post(self, path: str, body, key: str | None = None, headers: dict | None = None,
             role: str | None = "channel"):
        hdrs = {"Content-Type": "application/json", **self.auth(role)}
        if key is not False:
            hdrs["Idempotency-Key"] = str(uuid.uuid4()) if key is None else key
        hdrs.update(headers or {})
        pii.remember_request(body)
        raw = body if isinstance(body, (bytes, str)) else json.dumps(body)
        return self.client.http.post(path, headers=hdrs, body=raw)

    def get(self, path: str, role: str | None = "channel"):
        return self.client.http.get(path, headers=self.auth(role))

    def patch(self, path: str, body, headers: dict | None = None, role: str | None = "channel",
              content_type: str = "application/merge-patch+json"):
        pii.remember_request(body)
        hdrs = {"Content-Type": content_type, **self.auth(role), **(headers or {})}
        return self.client.http.patch(path, headers=hdrs, body=json.dumps(body))

    @staticmethod
    def auth(role: str | None, subject: str | None = None) -> dict[str, str]:
        if role is None:
            return {}
        subject = subject or (CHANNEL if role == "channel" else f"{role}-tester")
        return {"Authorization": f"Bearer {issue_local_token(Role(role), subject)}"}

    def decide(self, checkpoint_id: str, outcome: str, reason: str = "checked by a test", reviewer: str = "officer-1"):
        return self.client.http.post(f"/v1/reviews/{checkpoint_id}/decision",
                                     headers={"Content-Type": "application/json", **self.auth("compliance", reviewer)},
                                     body=json.dumps({"outcome": outcome, "reason": reason}))

    def wait_final(self, checkpoint_id: str, timeout: float = 20.0, settled=("IN_REVIEW",), role: str = "channel") -> dict:
        """Long-poll until the checkpoint is final (or in one of the `settled` statuses)."""
        deadline = time.monotonic() + timeout
        while True:
            response = self.get(f"/v1/checkpoints/{checkpoint_id}?wait=5", role=role)
            assert response.status_code == 200, response.body
            body = response.json_body
            if body["status"] in (*FINAL, *settled) or time.monotonic() > deadline:
                return body
            time.sleep(0.05)


@pytest.fixture(scope="session")
def http(api: Client) -> Api:
    return Api(api)


def applicant_body(**overrides) -> dict:
    """A clean sign-up for a fictional person (no list match, valid document): the operation's
    example (data/samples/signup-approve.json), with a reference, an e-mail address, a phone number
    and a passport number of its own: the fraud checks link sign-ups that share them (the same
    phone eleven times in an hour is a velocity signal), so each test's sign-ups are their own."""
    body = samples.request("signup-approve.json")
    own = uuid.uuid4()
    body["channel"]["reference"] = f"session-{own.hex[:12]}"
    body["applicant"]["email"] = f"maren.{own.hex[:10]}@example.org"
    body["applicant"]["phone"] = f"+46 70 {own.int % 10_000_000:07d}"
    body["document"]["number"] = f"XK{(own.int >> 32) % 10_000_000:07d}"
    for path, value in overrides.items():
        node = body
        *parents, leaf = path.split(".")
        for p in parents:
            node = node[p]
        node[leaf] = value
    pii.remember_request(body)
    return body
