"""Per-request overhead of the API on the local server: GET /v1/health and POST /v1/screenings
against a bare one-route Chalice app served the same way (Chalice's local server with the product's
request handler, a thread of this process, plain HTTP over loopback, one kept-alive connection
each), measured in the same run, interleaved. Prints p50/p90 of each
and the ratios (targets: health <= 3x, screenings <= 4x the bare app). Usage:
bench/request_overhead.py [requests per endpoint, default 300]
"""
from __future__ import annotations

import functools
import http.client
import json
import sys
import threading
import time

from local_api import local_api, percentile  # noqa: E402 - sets up sys.path

from chalice import Chalice  # noqa: E402
from chalice.config import Config  # noqa: E402
from chalice.local import create_local_server  # noqa: E402

from chalicelib.api.auth import Role, issue_local_token  # noqa: E402
from chalicelib.local.serve import _RequestHandler  # noqa: E402


def bare_server():
    bare = Chalice(app_name="bare")

    @bare.route("/ping")
    def ping() -> dict[str, str]:
        return {"status": "ok"}

    config = Config.create(chalice_stage="local", app_name="bare")
    server = create_local_server(bare, config, "127.0.0.1", 0)
    # the same request handler as the product's local server (Nagle off, its 404 and 405 handling)
    server.server.RequestHandlerClass = functools.partial(_RequestHandler, app_object=bare, config=config)
    threading.Thread(target=server.server.serve_forever, daemon=True).start()
    return server, f"http://127.0.0.1:{server.server.server_address[1]}"


def timed(connection: http.client.HTTPConnection, method: str, path: str, body: bytes | None,
          headers: dict[str, str]) -> float:
    started = time.perf_counter()
    connection.request(method, path, body=body, headers=headers)
    answer = connection.getresponse()
    answer.read()
    assert answer.status < 400, (path, answer.status)
    return time.perf_counter() - started


def main() -> None:
    count = int(sys.argv[1]) if len(sys.argv) > 1 else 300
    screening = json.dumps({"name": "Maren Lindqvist", "birth_date": "1988-04-17"}).encode()
    with local_api() as (base_url, _):
        token = issue_local_token(Role.COMPLIANCE, "bench")  # the stack's key
        server, bare_url = bare_server()
        try:
            api = http.client.HTTPConnection(*base_url.removeprefix("http://").split(":"))
            bare = http.client.HTTPConnection(*bare_url.removeprefix("http://").split(":"))
            cases = {
                "bare app GET /ping": (bare, "GET", "/ping", None, {}),
                "GET /v1/health": (api, "GET", "/v1/health", None, {}),
                "POST /v1/screenings": (api, "POST", "/v1/screenings", screening,
                                        {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}),
            }
            for case in cases.values():  # warm: first requests load the services they call
                for _ in range(5):
                    timed(*case)
            samples: dict[str, list[float]] = {name: [] for name in cases}
            for _ in range(count):
                for name, case in cases.items():
                    samples[name].append(timed(*case))
        finally:
            server.shutdown()
    floor = percentile(samples["bare app GET /ping"], 50)
    print(f"{count} requests each, interleaved, keep-alive, one client")
    for name, values in samples.items():
        p50, p90 = percentile(values, 50), percentile(values, 90)
        print(f"{name:22} p50 {p50 * 1000:6.2f} ms  p90 {p90 * 1000:6.2f} ms  {p50 / floor:5.1f}x the bare app")


if __name__ == "__main__":
    main()
