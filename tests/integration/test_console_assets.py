"""The console's and the reference page's files as the app serves them: right media types, one
strict CSP, nothing from elsewhere, nothing outside their folders."""
from __future__ import annotations

import re

import pytest

from chalicelib.api import reference
from chalicelib.api.console import CONSOLE_DIR, MEDIA_TYPES, SECURITY_HEADERS
from chalicelib.stores import AWS

ASSETS = sorted(path.name for path in CONSOLE_DIR.iterdir())
REFERENCE_FILES = sorted(path.name for path in reference.REFERENCE_DIR.iterdir())
OUR_REFERENCE_FILES = [name for name in REFERENCE_FILES if not (reference.REFERENCE_DIR / name).is_symlink()]


def test_the_page_is_served_at_console_slash_and_console_redirects_there(http):
    page = http.get("/console/", role=None)
    assert page.status_code == 200 and page.headers["Content-Type"] == "text/html; charset=utf-8"
    assert '<script type="module" src="app.js"></script>' in page.body.decode()
    moved = http.get("/console", role=None)
    assert moved.status_code == 308 and moved.headers["Location"] == "console/"


@pytest.mark.parametrize("name", ASSETS)
def test_every_file_has_its_media_type_and_the_strict_policy(http, name):
    response = http.get(f"/console/{name}", role=None)
    assert response.status_code == 200
    assert response.headers["Content-Type"] == MEDIA_TYPES[(CONSOLE_DIR / name).suffix]
    policy = response.headers["Content-Security-Policy"]
    assert "default-src 'none'" in policy and "script-src 'self';" in policy and "unsafe" not in policy
    assert response.headers["X-Content-Type-Options"] == "nosniff"


@pytest.mark.parametrize("name", ASSETS)
def test_nothing_is_fetched_from_elsewhere(name):
    text = (CONSOLE_DIR / name).read_text(encoding="utf-8")
    assert not re.search(r"(https?:)?//[a-z0-9.-]+\.[a-z]{2,}", text.replace("http://www.w3.org/2000/svg", ""))


@pytest.mark.parametrize("name", ["nope.js", "console.py", "__init__.py", "..", "%2e%2e%2fapp.py"])
def test_anything_else_is_not_found(http, name):
    response = http.get(f"/console/{name}", role=None)
    assert response.status_code == 404 and response.json_body["error"]["code"] == "NOT_FOUND"


def test_the_reference_page_is_served_at_docs(http):
    page = http.get("/docs", role=None)
    assert page.status_code == 200 and page.headers["Content-Type"] == "text/html; charset=utf-8"
    assert '<script src="docs/swagger-ui-bundle.js" defer></script>' in page.body.decode()


@pytest.mark.parametrize("name", REFERENCE_FILES)
def test_every_reference_file_has_its_media_type_and_the_consoles_policy_but_for_data_images(http, name):
    response = http.get(f"/docs/{name}", role=None)
    assert response.status_code == 200 and len(response.body) > 100
    assert response.headers["Content-Type"] == MEDIA_TYPES[(reference.REFERENCE_DIR / name).suffix]
    policy = response.headers["Content-Security-Policy"]
    assert policy == SECURITY_HEADERS["Content-Security-Policy"].replace("img-src 'self'", "img-src 'self' data:")


@pytest.mark.parametrize("name", OUR_REFERENCE_FILES)
def test_the_reference_page_fetches_nothing_from_elsewhere(name):
    text = (reference.REFERENCE_DIR / name).read_text(encoding="utf-8")
    assert not re.search(r"(https?:)?//[a-z0-9.-]+\.[a-z]{2,}", text)


@pytest.mark.parametrize("name", ["nope.js", "reference.py", "index.js", ".."])
def test_any_other_reference_file_is_not_found(http, name):
    response = http.get(f"/docs/{name}", role=None)
    assert response.status_code == 404 and response.json_body["error"]["code"] == "NOT_FOUND"


def test_images_come_from_this_origin_and_the_documents_buckets_alone(http):
    """The case file's document images are presigned S3 links: the console's policy names that
    origin (and no other) beside its own."""
    from chalicelib.api.console import image_origin

    policy = http.get("/console/app.js", role=None).headers["Content-Security-Policy"]
    [img_src] = [d.strip() for d in policy.split(";") if d.strip().startswith("img-src")]
    assert img_src == f"img-src 'self' {image_origin()}"
    link = AWS.documents.download_link("checkpoints/cp_x/documents/front", 60)
    assert link.startswith(f"{image_origin()}/") and image_origin().startswith(("http://", "https://"))
