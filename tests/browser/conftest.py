"""The console driven in a real browser: headless Chromium (Debian's `chromium` package, which
`make test` installs when missing) through Playwright's Python API, against the app served over
the embedded stack (`live_server`). No browser, no test: a missing binary fails, it never skips.

Each test saves screenshots of the pages it visits, into a temporary folder, or into
$CONSOLE_SCREENSHOTS (`make screenshots` writes the README's, docs/screenshots/)."""
from __future__ import annotations

import os
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests
from playwright.sync_api import Browser, Page, sync_playwright

from chalicelib.api.auth import Role, issue_local_token
from tests.conftest import ROOT

CHROMIUM = Path("/usr/bin/chromium")
# Headless, and quiet on a closed network: no background fetches, updates, sync or QUIC probes.
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]
LAPTOP_SCREEN = {"width": 1280, "height": 800}


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    if not CHROMIUM.is_file():
        pytest.fail(f"{CHROMIUM} is missing: `make test` installs Debian's chromium package (apt-get install chromium)")
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield launched
        launched.close()


@pytest.fixture
def expected_errors() -> list[str]:
    """What a test expects the page to report as an error (exact messages), e.g. the 403 the API
    answers a read that needs a purpose before the person gives one."""
    return []


@pytest.fixture
def page(browser: Browser, live_server: str, expected_errors: list[str]) -> Iterator[Page]:
    """A fresh tab (its own sessionStorage) on a laptop-sized screen. Any script error or failed
    load the page reports, other than those the test expects, fails the test."""
    context = browser.new_context(viewport=LAPTOP_SCREEN, accept_downloads=True)
    tab = context.new_page()
    problems: list[str] = []
    tab.on("pageerror", lambda error: problems.append(f"script error: {error}"))
    tab.on("console", lambda message: problems.append(message.text) if message.type == "error" else None)
    yield tab
    context.close()
    assert [p for p in problems if p not in expected_errors] == []


@pytest.fixture(scope="session")
def screenshots(tmp_path_factory) -> Path:
    folder = Path(os.environ["CONSOLE_SCREENSHOTS"]) if os.environ.get("CONSOLE_SCREENSHOTS") else \
        tmp_path_factory.mktemp("screenshots")
    folder = folder if folder.is_absolute() else ROOT / folder
    folder.mkdir(parents=True, exist_ok=True)
    return folder


class Backend:
    """The API over HTTP, to give the console something to show: sign-ups and closures started as
    a channel; reviews a test leaves open decided by another officer, so the queue stays short."""

    def __init__(self, base_url: str) -> None:
        self.base_url = base_url
        self.channel = {"Authorization": f"Bearer {issue_local_token(Role.CHANNEL, 'web-signup')}"}
        self.officer = {"Authorization": f"Bearer {issue_local_token(Role.COMPLIANCE, 'officer-tidy')}"}

    def start(self, path: str, body: dict) -> str:
        response = requests.post(f"{self.base_url}{path}", json=body, timeout=30,
                                 headers={**self.channel, "Idempotency-Key": str(uuid.uuid4())})
        assert response.status_code == 202, response.text
        return response.json()["checkpoint_id"]

    def settled(self, checkpoint_id: str, timeout: float = 20.0) -> dict:
        """The checkpoint once it is no longer running (final, or waiting in review)."""
        deadline = time.monotonic() + timeout
        while True:
            response = requests.get(f"{self.base_url}/v1/checkpoints/{checkpoint_id}?wait=5", headers=self.channel,
                                    timeout=30)
            assert response.status_code == 200, response.text
            if response.json()["status"] != "RUNNING" or time.monotonic() > deadline:
                return response.json()

    def decide(self, checkpoint_id: str, outcome: str, reason: str) -> None:
        response = requests.post(f"{self.base_url}/v1/reviews/{checkpoint_id}/decision", headers=self.officer,
                                 timeout=30, json={"outcome": outcome, "reason": reason})
        assert response.status_code == 200, response.text


@pytest.fixture
def backend(live_server: str) -> Backend:
    return Backend(live_server)
