"""A webhook receiver for trying the API's webhooks on a developer's machine (and for the tests):

    python -m chalicelib.local.webhook_receiver --port 9000 --secret whsec_...

Listens on 127.0.0.1, verifies each delivery's Standard Webhooks signature with the secret (the
standardwebhooks package, as a receiver should), prints the event, and answers 204, or the
statuses given with --fail (e.g. --fail 500 answers the first delivery 500, to see a retry).
"""
from __future__ import annotations

import argparse
import json
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from standardwebhooks import Webhook, WebhookVerificationError


@dataclass
class Received:
    headers: dict[str, str]
    body: str
    verified: bool | None  # None: no secret to verify with


@dataclass
class Receiver:
    """A loopback HTTP server that records every POST; `answers` are the statuses of the next
    deliveries (204 once they run out)."""

    secret: str | None = None
    answers: list[int] = field(default_factory=list)
    received: list[Received] = field(default_factory=list)
    port: int = 0

    def __post_init__(self) -> None:
        self._arrived = threading.Condition()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 (http.server's naming)
                body = self.rfile.read(int(self.headers.get("content-length", "0"))).decode()
                headers = {k.lower(): v for k, v in self.headers.items()}
                with receiver._arrived:  # recorded before it is answered: the sender's call returns after
                    receiver.received.append(Received(headers, body, receiver._verify(body, headers)))
                    receiver._arrived.notify_all()
                status = receiver.answers.pop(0) if receiver.answers else 204
                self.send_response(status)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args) -> None:
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        self.port = self._server.server_address[1]

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/hooks"

    def _verify(self, body: str, headers: dict[str, str]) -> bool | None:
        if not self.secret:
            return None
        try:
            Webhook(self.secret).verify(body, headers)
            return True
        except WebhookVerificationError:
            return False

    def start(self) -> Receiver:
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    def wait_for(self, predicate, timeout: float = 10.0) -> list[Received]:
        """Every delivery received so far, once one of them satisfies `predicate` (or the timeout)."""
        with self._arrived:
            self._arrived.wait_for(lambda: any(predicate(r) for r in self.received), timeout=timeout)
            return list(self.received)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--port", type=int, default=9000)
    parser.add_argument("--secret", help="the whsec_... secret POST /v1/webhooks answered")
    parser.add_argument("--fail", type=int, nargs="*", default=[], help="statuses for the first deliveries")
    args = parser.parse_args()
    receiver = Receiver(secret=args.secret, answers=list(args.fail), port=args.port).start()
    print(f"receiving webhooks on {receiver.url} (Ctrl-C to stop)")
    seen = 0
    try:
        while True:
            for item in receiver.wait_for(lambda _: len(receiver.received) > seen, timeout=3600)[seen:]:
                signature = {True: "signature valid", False: "SIGNATURE INVALID", None: "not verified"}[item.verified]
                print(f"{item.headers.get('webhook-id')} ({signature}): {json.dumps(json.loads(item.body))}")
                seen += 1
    except KeyboardInterrupt:
        receiver.stop()


if __name__ == "__main__":
    main()
