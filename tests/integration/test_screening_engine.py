"""The fuzzy screening engine in the workflows and its API: misspelt listed names, PEPs, list
refreshes (a truncated file is refused and the version in force keeps serving), ad hoc screening,
word boundaries that do not walk around it, partial birth dates, batch screening."""
from __future__ import annotations

import functools
import threading
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer

import pytest

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
    official = {"ofac-sdn", "ofac-consolidated", "un-sc", "pep-us-congress"}  # and the bank's own, once published
    assert official <= set(final["list_versions"]) <= official | {"internal"}


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


def test_the_uk_list_in_force_is_the_fcdo_one_and_the_retired_ofsi_list_takes_no_new_version(http, stack):
    items = {i["source"]: i for i in http.get("/v1/lists", role="auditor").json_body["items"]}
    assert (items["uk-ofsi"]["status"], items["uk-ofsi"]["retired_on"], items["uk-ofsi"]["replaced_by"]) == (
        "retired", "2026-01-28", "uk-fcdo")
    assert (items["uk-fcdo"]["status"], items["uk-fcdo"]["format"], items["uk-fcdo"]["version"]) == (
        "in_force", "uk-fcdo-xml", None)  # no version loaded yet: screening does not wait for it
    retired = http.post("/v1/lists/refresh", {"source": "uk-ofsi"}, key=False, role="compliance")
    assert retired.status_code == 422 and retired.json_body["error"]["code"] == "RETIRED_LIST"
    clients.client("s3").put_object(Bucket=stack.environment["LISTS_BUCKET"],
                                    Key="uploads/uk-fcdo/broken/UK-Sanctions-List.xml", Body=b"<Designations><Desig")
    broken = http.post("/v1/lists/refresh", {"source": "uk-fcdo", "upload_prefix": "broken"}, key=False,
                       role="compliance")
    assert broken.status_code == 422 and broken.json_body["error"]["code"] == "UNREADABLE_LIST"
    assert {i["source"]: i for i in http.get("/v1/lists", role="auditor").json_body["items"]}["uk-fcdo"]["version"] is None


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


# ---- word boundaries, partial birth dates, batch ----

# OFAC SDN 6365 "BIN LADIN, Usama bin Muhammad bin Awad", a.k.a. "BIN LADEN, Usama", DOB 30 Jul 1957
# (Usama bin Laden is not on the shipped UN list: it removed him in 2011; his son Hamza is QDi.421).
# UN QDi.421 "HAMZA USAMA MUHAMMAD BIN LADEN", listed with his Arabic name, DOB 1989-05-09.
WALKED_AROUND = [
    ("Usa ma", "bin Laden", "1957-07-30", "ofac-sdn", "6365"),  # a word split in two
    ("Usama", "binLaden", "1957-07-30", "ofac-sdn", "6365"),  # a glued particle
    ("Usa-ma", "bin Laden", "1957-07-30", "ofac-sdn", "6365"),  # in-word punctuation
    ("Уса ма", "бин Ладен", "1957-07-30", "ofac-sdn", "6365"),  # Cyrillic, split
    ("Усама", "бинЛаден", "1957-07-30", "ofac-sdn", "6365"),  # Cyrillic, glued
    ("حمزة أسا مة محمد", "بن لادن", "1989-05-09", "un-sc", "QDi.421"),  # Arabic, split
    ("حمزة أسامة محمد", "بنلادن", "1989-05-09", "un-sc", "QDi.421"),  # Arabic, glued
]


@pytest.mark.parametrize(("given", "family", "birth", "source", "source_id"), WALKED_AROUND)
def test_a_moved_word_boundary_does_not_walk_around_the_screen(http, given, family, birth, source, source_id):
    screened = http.post("/v1/screenings", {"name": f"{given} {family}", "birth_date": birth, "type": "person"},
                         key=False).json_body
    [match] = [m for m in screened["matches"] if (m["source"], m["source_id"]) == (source, source_id)]
    assert (match["band"], match["birth_date"], match["birth_date_precision"]) == ("block", "exact", "day")
    assert match["resegmented"] and match["resegmented"][0]["detail"].startswith("matched after joining")

    body = applicant_body(**{"applicant.given_names": given, "applicant.family_name": family,
                             "applicant.birth_date": birth})
    final = http.wait_final(http.post("/v1/onboarding", body).json_body["checkpoint_id"])
    assert final["status"] == "REJECTED" and "customer_id" not in final
    assert "SANCTIONS_MATCH" in reasons(final)


@pytest.mark.parametrize(("birth_date", "precision"), [("1965", "year"), ("1965-04", "month"), ("1965-04-21", "day")])
def test_a_partial_birth_date_is_screened_at_its_precision(http, birth_date, precision):
    # OFAC SDN 27423 "ANDRIC, Goran", DOB 21 Apr 1965
    response = http.post("/v1/screenings", {"name": "Goran Andric", "birth_date": birth_date}, key=False)
    assert response.status_code == 200, response.body
    [match] = [m for m in response.json_body["matches"] if m["source_id"] == "27423"]
    assert match["birth_date_precision"] == precision
    [adjustment] = [a for a in match["adjustments"] if a["factor"] == "birth_date"]
    assert adjustment["detail"].endswith(f"(compared at {precision} precision)") and adjustment["delta"] > 0


@pytest.mark.parametrize("birth_date", ["1965", "1965-04", "86400", "1965-02-30"])
def test_a_sign_up_still_needs_a_full_birth_date(http, birth_date):
    response = http.post("/v1/onboarding", applicant_body(**{"applicant.birth_date": birth_date}))
    assert response.status_code == 400, response.body
    assert [f["field"] for f in response.json_body["error"]["fields"]] == ["applicant.birth_date"]


def test_a_screening_birth_date_that_is_no_date_is_refused(http):
    for bad in ("65", "1965-13", "2999", 1965):
        response = http.post("/v1/screenings", {"name": "Goran Andric", "birth_date": bad}, key=False)
        assert response.status_code == 400
        assert response.json_body["error"]["fields"][0]["field"] == "birth_date"


def test_a_batch_answers_each_query_as_a_single_screening_would(http):
    queries = [{"name": "Usa ma bin Laden", "birth_date": "1957"}, {"name": "Maren Lindqvist"},
               {"name": "Goran Andric", "birth_date": "1965-04", "nationality": "BA", "type": "person"},
               {"name": "Banco Nacional de Cuba", "type": "organisation"}]
    response = http.post("/v1/screenings/batch", {"queries": queries, "threshold": 0.7}, key=False, role="compliance")
    assert response.status_code == 200, response.body
    batch = response.json_body
    assert [r["index"] for r in batch["results"]] == [0, 1, 2, 3]
    for query, result in zip(queries, batch["results"]):
        single = http.post("/v1/screenings", {**query, "threshold": 0.7}, key=False, role="compliance").json_body
        assert (result["matches"], result["checks"]) == (single["matches"], single["checks"])
        assert batch["list_versions"] == single["list_versions"] and batch["engine"] == single["engine"]
    assert batch["results"][0]["matches"][0]["source_id"] == "6365" and batch["results"][1]["matches"] == []


def test_a_batch_is_for_compliance_and_at_most_a_thousand_names(http):
    assert http.post("/v1/screenings/batch", {"queries": [{"name": "A B"}]}, key=False).status_code == 403
    too_many = http.post("/v1/screenings/batch", {"queries": [{"name": "A B"}] * 1001}, key=False, role="compliance")
    assert too_many.status_code == 400 and too_many.json_body["error"]["fields"][0]["field"] == "queries"
    bad = http.post("/v1/screenings/batch", {"queries": [{"name": "A B"}, {"name": "C D", "birth_date": "x"}]},
                    key=False, role="compliance")
    assert bad.status_code == 400 and bad.json_body["error"]["fields"][0]["field"] == "queries.1.birth_date"
