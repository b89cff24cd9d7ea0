"""The compliance and audit console: static files from chalicelib/console/, served by the app.

Nothing is fetched from anywhere else (it works offline), and every file goes out with one strict
Content-Security-Policy: scripts, styles and API calls from this origin only, no inline code, no
frames; images from this origin and from the documents bucket's S3 origin alone (the case file's
short-lived links to document images). The files are public; the data behind them is the API's,
protected by role.
"""
from __future__ import annotations

import functools
from pathlib import Path
from urllib.parse import urlsplit

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


@functools.cache
def image_origin() -> str:
    """The origin of the documents bucket's presigned links: that of a link signed for a document
    image's key, as the case file signs them (locally: no AWS call, and the link is never used)."""
    from chalicelib.stores import AWS
    from chalicelib.stores.document_bucket import upload_key

    link = urlsplit(AWS.documents.download_link(upload_key("cp_origin", "front"), 60))
    return f"{link.scheme}://{link.netloc}"


def console_headers() -> dict[str, str]:
    policy = SECURITY_HEADERS["Content-Security-Policy"].replace("img-src 'self'", f"img-src 'self' {image_origin()}")
    return {**SECURITY_HEADERS, "Content-Security-Policy": policy}


def page(request_path: str) -> Response:
    """The console's page. Asked for without the trailing slash, it redirects to `console/` so that
    the page's relative asset URLs resolve under it (locally and behind an API Gateway stage)."""
    if not request_path.endswith("/"):
        return Response(body="", status_code=308, headers={"Location": "console/", **SECURITY_HEADERS})
    return asset("index.html")


def asset(name: str) -> Response:
    """One file of the console by its name."""
    return file_in(CONSOLE_DIR, name, console_headers())


def file_in(folder: Path, name: str, headers: dict[str, str] = SECURITY_HEADERS) -> Response:
    """One file of a folder by its name, with the security headers; nothing outside the folder,
    nothing but known types."""
    path = folder / name
    if path.suffix not in MEDIA_TYPES or path.parent != folder or not path.is_file():
        raise ApiError(404, "NOT_FOUND", "No such resource.")
    return Response(body=path.read_text(encoding="utf-8"), status_code=200,
                    headers={"Content-Type": MEDIA_TYPES[path.suffix], **headers})
