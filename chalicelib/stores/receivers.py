"""The subscribers' webhook endpoints: one POST per attempt, answered or not within the timeout."""
from __future__ import annotations

import time
import urllib.error
import urllib.request
from typing import Protocol

from chalicelib.domain.checkpoint import iso, utc_now
from chalicelib.domain.webhooks import Attempt


class Receivers(Protocol):
    def post(self, url: str, headers: dict[str, str], body: str, timeout: float) -> Attempt: ...


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):  # a redirect is an answer, not a new destination
        return None


_OPENER = urllib.request.build_opener(_NoRedirect)


class HttpReceivers:
    """`Receivers` over HTTP(S) with urllib (redirects are not followed: a 3xx is a failed attempt)."""

    def post(self, url: str, headers: dict[str, str], body: str, timeout: float) -> Attempt:
        at, started = iso(utc_now()), time.monotonic()
        request = urllib.request.Request(url, data=body.encode(), method="POST",
                                         headers={**headers, "Content-Type": "application/json",
                                                  "User-Agent": "checkpoint-webhooks/1"})
        status, error = None, None
        try:
            with _OPENER.open(request, timeout=timeout) as response:
                status = response.status
                response.read(1024)
        except urllib.error.HTTPError as exc:
            status, error = exc.code, f"http_{exc.code}"
        except TimeoutError:
            error = "timeout"
        except urllib.error.URLError as exc:
            error = "timeout" if isinstance(exc.reason, TimeoutError) else "connection_failed"
        except OSError:
            error = "connection_failed"
        return Attempt(at=at, status_code=status, error=error,
                       duration_ms=int((time.monotonic() - started) * 1000))
