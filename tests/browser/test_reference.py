"""The API reference page (GET /docs) in headless Chromium: Swagger UI, served by the app itself,
renders the served OpenAPI document with every declared operation, and its examples. Like every
page here, it loads nothing from elsewhere and reports no error (the `page` fixture)."""
from __future__ import annotations

from playwright.sync_api import expect

from app import api
from chalicelib.api import samples


def test_every_declared_operation_is_on_the_reference_page(page, live_server, screenshots):
    requested: list[str] = []
    page.on("request", lambda request: requested.append(request.url))
    page.goto(f"{live_server}/docs")
    expect(page.locator(".information-container .title")).to_contain_text("checkpoint")
    for op in api:
        block = page.locator(f"#operations-{op.tags[0] if op.tags else 'default'}-{op.operation_id}")
        expect(block).to_be_visible()
        expect(block.locator(".opblock-summary-method")).to_have_text(op.method)
        expect(block.locator(".opblock-summary-path")).to_have_attribute("data-path", op.path)
        expect(block).to_contain_text(op.summary)
    expect(page.locator(".opblock")).to_have_count(len(api.declared))
    assert requested and all(url.startswith(live_server) for url in requested), requested
    page.screenshot(path=screenshots / "reference.png")


def test_an_operation_opens_with_its_example(page, live_server, screenshots):
    page.goto(f"{live_server}/docs")
    block = page.locator("#operations-checkpoints-start_onboarding")
    block.locator(".opblock-summary-control").click()
    expect(block.locator(".opblock-body")).to_be_visible()
    expect(page).to_have_url(f"{live_server}/docs#/checkpoints/start_onboarding")  # a link to share
    family_name = samples.request("signup-approve.json")["applicant"]["family_name"]
    expect(block.locator(".body-param__example").first).to_contain_text(family_name)
    expect(block.get_by_role("cell", name="202").first).to_be_visible()
    page.screenshot(path=screenshots / "reference-operation.png", full_page=False)
