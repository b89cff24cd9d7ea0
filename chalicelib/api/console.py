"""The compliance and audit console: static files from chalicelib/console/, served by the app.

Nothing is fetched from anywhere else (it works offline), and every file goes out with one strict
Content-Security-Policy: scripts, styles and API calls from this origin only, no inline code, no
frames. The files are public; the data behind them is the API's, protected by role.
"""
from __future__ import annotations

from pathlib import Path

from chalice import Response

from chalicelib.api.errors import ApiError

CONSOLE_DIR = Path(__file__).resolve().parent.parent / "console"
MEDIA_TYPES = {".html": "text/html; charset=utf-8", ".js": "text/javascript; charset=utf-8",
               ".css": "text/css; charset=utf-8", ".svg": "image/svg+xml"}
SECURITY_HEADERS = {
    "Content-Security-Policy": "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; "
                               "img-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-cache",
}


def page(request_path: str) -> Response:
    """The console's page. Asked for without the trailing slash, it redirects to `console/` so that
    the page's relative asset URLs resolve under it (locally and behind an API Gateway stage)."""
    if not request_path.endswith("/"):
        return Response(body="", status_code=308, headers={"Location": "console/", **SECURITY_HEADERS})
    return asset("index.html")


def asset(name: str) -> Response:
    """One file of the console by its name."""
    return file_in(CONSOLE_DIR, name)


def file_in(folder: Path, name: str, headers: dict[str, str] = SECURITY_HEADERS) -> Response:
    """One file of a folder by its name, with the security headers; nothing outside the folder,
    nothing but known types."""
    path = folder / name
    if path.suffix not in MEDIA_TYPES or path.parent != folder or not path.is_file():
        raise ApiError(404, "NOT_FOUND", "No such resource.")
    return Response(body=path.read_text(encoding="utf-8"), status_code=200,
                    headers={"Content-Type": MEDIA_TYPES[path.suffix], **headers})
