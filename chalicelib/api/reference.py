"""The API reference page (GET /docs): the OpenAPI document (GET /v1/openapi.json) rendered in the
browser by Swagger UI's standalone bundle, served by the app from chalicelib/reference/ like the
console's files, under the console's Content-Security-Policy (nothing from elsewhere, no inline
code) but for data: images. The bundle comes from npm (package.json; `make` runs npm ci):
swagger-ui-bundle.js and swagger-ui.css in chalicelib/reference/ are links into
node_modules/swagger-ui-dist/, and `chalice package` puts the files themselves in the Lambda zip."""
from __future__ import annotations

from pathlib import Path

from chalice import Response

from chalicelib.api.console import SECURITY_HEADERS, file_in

REFERENCE_DIR = Path(__file__).resolve().parent.parent / "reference"
# The console's policy, and one thing more: Swagger UI's stylesheet draws its icons as data: SVG images.
HEADERS = {**SECURITY_HEADERS, "Content-Security-Policy": SECURITY_HEADERS["Content-Security-Policy"].replace(
    "img-src 'self'", "img-src 'self' data:")}


def page() -> Response:
    return file_in(REFERENCE_DIR, "index.html", HEADERS)


def asset(name: str) -> Response:
    return file_in(REFERENCE_DIR, name, HEADERS)
