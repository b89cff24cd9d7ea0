"""The fuzzy screening engine in the workflows and its API: misspelt listed names, PEPs, list
refreshes (a truncated file is refused and the version in force keeps serving), ad hoc screening."""
from __future__ import annotations

import functools
import threading
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer

from chalicelib.stores import clients
from chalicelib.services import lists as list_service
from tests.integration.conftest import applicant_body
from tests.conftest import ROOT

UN_XML = (ROOT / "data" / "lists" / "un-sc" / "consolidated.xml").read_bytes()


def reasons(checkpoint: dict) -> set[str]:
    if checkpoint["status"] == "IN_REVIEW":
        return {r["code"] for r in checkpoint["review"]["reasons"]}
    return {r["code"] for r in checkpoint["decision"]["reasons"]}


def test_a_listed_person_with_a_misspelt_name_is_caught(http):
    # OFAC SDN 4106 "HERRERA BUITRAGO, Helmer", DOB 24 Aug 1951: one letter dropped, another doubled
    body = applicant_body(**{"applicant.given_names": "Hellmer", "applicant.family_name": "Herera Buitrago",
                             "applicant.birth_date": "1951-08-24"})
    checkpoint_id = http.post("/v1/onboarding", body).json_body["checkpoint_id"]
    final = http.wait_final(checkpoint_id)
    assert final["status"] in ("REJECTED", "IN_REVIEW")
    assert reasons(final) & {"SANCTIONS_MATCH", "SANCTIONS_POSSIBLE_MATCH"}
    assert set(final["list_versions"]) == {"ofac-sdn", "ofac-consolidated", "un-sc", "pep-us-congress"}


def test_a_pep_goes_to_enhanced_due_diligence_review_never_rejection(http):
    # OpenSanctions us_congress: "Valerie P. Foushee", born 1956
    body = applicant_body(**{"applicant.given_names": "Valerie", "applicant.family_name": "Foushee",
                             "applicant.birth_date": "1956-05-07", "applicant.nationality": "US"})
    final = http.wait_final(http.post("/v1/onboarding", body).json_body["checkpoint_id"])
    assert final["status"] == "IN_REVIEW"
    assert reasons(final) == {"PEP_MATCH"}


def test_ad_hoc_screening_ranks_and_explains(http):
    response = http.post("/v1/screenings", {"name": "Buitrago Helmer Herrera", "birth_date": "1951-08-24",
                                            "type": "person", "limit": 3}, key=False)
    assert response.status_code == 200, response.body
    body = response.json_body
    top = body["matches"][0]
    assert (top["source"], top["source_id"], top["band"]) == ("ofac-sdn", "4106", "block")
    assert top["name_scores"] and top["rule"] and top["list_version"] == body["list_versions"]["ofac-sdn"]
    assert {c["code"]: c["passed"] for c in body["checks"]}["SANCTIONS_MATCH"] is False

    clean = http.post("/v1/screenings", {"name": "Maren Lindqvist"}, key=False).json_body
    assert clean["matches"] == []
    bad = http.post("/v1/screenings", {"name": "", "limit": 500, "nationality": "Atlantis"}, key=False)
    assert bad.status_code == 400
    assert {f["field"] for f in bad.json_body["error"]["fields"]} == {"name", "limit", "nationality"}


def upload(stack, prefix: str, name: str, body: bytes) -> None:
    clients.client("s3").put_object(Bucket=stack.environment["LISTS_BUCKET"], Key=f"uploads/un-sc/{prefix}/{name}",
                                    Body=body)


def test_a_truncated_list_is_refused_and_the_version_in_force_keeps_serving(http, stack):
    before = {i["source"]: i for i in http.get("/v1/lists", role="auditor").json_body["items"]}["un-sc"]
    cut = UN_XML.find(b"<INDIVIDUAL>", len(UN_XML) // 2)
    truncated = UN_XML[:cut] + b"</INDIVIDUALS></CONSOLIDATED_LIST>"
    upload(stack, "truncated", "consolidated.xml", truncated)
    response = http.post("/v1/lists/refresh", {"source": "un-sc", "upload_prefix": "truncated"}, key=False,
                         role="compliance")
    assert response.status_code == 422, response.body
    assert response.json_body["error"]["code"] in ("SUSPICIOUS_SHRINK", "UNREADABLE_LIST")
    after = {i["source"]: i for i in http.get("/v1/lists", role="compliance").json_body["items"]}["un-sc"]
    assert after == before

    garbage = http.post("/v1/lists/refresh", {"source": "un-sc", "upload_prefix": "missing"}, key=False,
                        role="compliance")
    assert garbage.status_code == 400 and garbage.json_body["error"]["fields"][0]["field"] == "upload_prefix"


def test_a_refresh_publishes_a_new_version_with_its_diff(http, stack):
    first = UN_XML.find(b"<INDIVIDUAL>")
    end = UN_XML.find(b"</INDIVIDUAL>", first) + len(b"</INDIVIDUAL>")
    one_removed = UN_XML[:first] + UN_XML[end:]
    upload(stack, "minus-one", "consolidated.xml", one_removed)
    response = http.post("/v1/lists/refresh", {"source": "un-sc", "upload_prefix": "minus-one",
                                               "snapshot": "2026-03-01"}, key=False, role="compliance")
    assert response.status_code == 201, response.body
    report = response.json_body
    assert report["diff"]["removed"] == 1 and report["diff"]["added"] == 0
    assert report["version"].startswith("2026-03-01-") and report["previous_version"] != report["version"]
    in_force = {i["source"]: i for i in http.get("/v1/lists", role="compliance").json_body["items"]}["un-sc"]
    assert in_force["version"] == report["version"] and in_force["entries"] == report["entries"]

    again = http.post("/v1/lists/refresh", {"source": "un-sc", "upload_prefix": "minus-one",
                                            "snapshot": "2026-03-01"}, key=False, role="compliance")
    assert again.status_code == 200 and again.json_body["status"] == "unchanged"

    checkpoint_id = http.post("/v1/onboarding", applicant_body()).json_body["checkpoint_id"]
    assert http.wait_final(checkpoint_id)["list_versions"]["un-sc"] == report["version"]


def test_a_refresh_can_download_from_the_publisher_urls(http, monkeypatch, tmp_path):
    """The URL path, against a publisher served on loopback."""
    first = UN_XML.find(b"<INDIVIDUAL>")
    second = UN_XML.find(b"<INDIVIDUAL>", first + 1)
    (tmp_path / "consolidated.xml").write_bytes(UN_XML[:first] + UN_XML[second:])  # one entry delisted
    handler = functools.partial(SimpleHTTPRequestHandler, directory=str(tmp_path))
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        policy = list_service.list_sources_policy()
        source = policy.sources["un-sc"].model_copy(
            update={"files": {"consolidated.xml": f"http://127.0.0.1:{server.server_port}/consolidated.xml"}})
        patched = policy.model_copy(update={"sources": {**policy.sources, "un-sc": source}})
        monkeypatch.setattr(list_service, "list_sources_policy", lambda: patched)
        response = http.post("/v1/lists/refresh", {"source": "un-sc", "snapshot": "2026-04-01"}, key=False,
                             role="compliance")
    finally:
        server.shutdown()
    assert response.status_code in (200, 201), response.body
    assert response.json_body["version"].startswith("2026-04-01-")
