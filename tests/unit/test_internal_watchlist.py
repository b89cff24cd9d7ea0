"""The bank's internal watchlist: its body (JSON or CSV) parsed at the edge, its canonical stored
file, its entities, and its versions published with the official lists' refusal rules, each one,
the first included, starting a delta monitoring run."""
from __future__ import annotations

import json

import pytest
from hypothesis import given
from hypothesis import strategies as st
from pydantic import ValidationError

from chalicelib.api.errors import ApiError, field_errors
from chalicelib.api.models import ListRefreshRequest, WatchlistVersionRequest
from chalicelib.api.request_body import parse_csv_body
from chalicelib.domain.actors import Caller, Role
from chalicelib.domain.screening.entities import AliasStrength, BirthDate, EntityType, ListKind
from chalicelib.domain.screening.list_update import RefreshRefused
from chalicelib.domain.screening.watchlist import canonical_file, parse_watchlist
from chalicelib.errors import InvalidField, NotFound
from chalicelib.policies import list_sources_policy
from chalicelib.services import lists, monitoring, screening
from tests.conftest import ROOT
from tests.unit.fakes import fake_stores

OFFICER = Caller(subject="officer-1", role=Role.COMPLIANCE)
CSV = (b"entry_id,name,aliases,birth_date,nationality,reason\r\n"
       b"IW-1,Viktor Morozov,\"Victor Morozov; V. A. Morozov\",1971-03,RUS,\"exited, fraud\"\r\n"
       b"\r\n"
       b"IW-2,Dana Whitcombe,,1988,gb,\r\n")


def _request(*entries: dict) -> WatchlistVersionRequest:
    return WatchlistVersionRequest.model_validate({"entries": list(entries)})


def _entry(number: int, **fields) -> dict:
    return {"entry_id": f"IW-{number}", "name": f"Quillon Vexmarrow{'abcdefghij'[number % 10]}", **fields}


@pytest.fixture
def stores(unit_settings):
    return fake_stores()


def test_a_csv_body_reads_as_its_json_form():
    body = WatchlistVersionRequest.model_validate(WatchlistVersionRequest.of_csv_rows(parse_csv_body(b"\xef\xbb\xbf" + CSV)))
    first, second = body.entries
    assert (first.entry_id, first.aliases, str(first.birth_date), first.nationality, first.reason) == \
        ("IW-1", ["Victor Morozov", "V. A. Morozov"], "1971-03", "RUS", "exited, fraud")
    assert (second.aliases, str(second.birth_date), second.nationality, second.reason) == ([], "1988", "GBR", None)
    again = WatchlistVersionRequest.of_csv_rows(parse_csv_body(WatchlistVersionRequest.csv_of(
        body.model_dump(mode="json")).encode()))
    assert WatchlistVersionRequest.model_validate(again) == body


@pytest.mark.parametrize(("raw", "reason"), [
    (b"", "no header line"),
    (b"entry_id,name,name\r\nIW-1,A,B\r\n", "names a column twice"),
    (b"entry_id,name\r\nIW-1,A,extra\r\n", "Line 2 has more fields"),
    (b"entry_id,name\r\nIW-1,\"A\r\n", "cannot be read at line"),
    (b"entry_id,name\r\nIW-1,\xff\r\n", "not valid UTF-8"),
])
def test_a_csv_body_that_cannot_be_read_is_a_400_saying_why(raw, reason):
    with pytest.raises(ApiError) as refused:
        parse_csv_body(raw)
    assert (refused.value.status, refused.value.code) == (400, "MALFORMED_CSV")
    assert reason in refused.value.message


def test_a_csv_body_over_the_limit_is_a_413():
    with pytest.raises(ApiError) as refused:
        parse_csv_body(b"entry_id,name\r\n" + b"IW-1,A\r\n" * 100, max_bytes=100)
    assert refused.value.status == 413


@pytest.mark.parametrize(("row", "field"), [
    ("IW-1,Viktor Morozov,,1971-13,,", "entries.0.birth_date"),
    ("IW-1,Viktor Morozov,,,Atlantis,", "entries.0.nationality"),
    ("IW 1,Viktor Morozov,,,,", "entries.0.entry_id"),
    ("IW-1,1234,,,,", "entries.0.name"),
])
def test_an_entry_it_cannot_take_names_its_field(row, field):
    rows = parse_csv_body(f"entry_id,name,aliases,birth_date,nationality,reason\n{row}\n".encode())
    with pytest.raises(ValidationError) as refused:
        WatchlistVersionRequest.model_validate(WatchlistVersionRequest.of_csv_rows(rows))
    assert [e["field"] for e in field_errors(refused.value)] == [field]


def test_an_unknown_column_is_named():
    rows = parse_csv_body(b"entry_id,name,passport\nIW-1,Viktor Morozov,X1\n")
    with pytest.raises(ValidationError) as refused:
        WatchlistVersionRequest.model_validate(WatchlistVersionRequest.of_csv_rows(rows))
    assert [e["field"] for e in field_errors(refused.value)] == ["entries.0.passport"]


@given(st.permutations(range(6)))
def test_the_stored_file_does_not_depend_on_the_order_of_the_entries(order):
    entries = [_request(_entry(n, aliases=[f"Alias{n}"])).entries[0].model_dump(mode="json") for n in range(6)]
    assert canonical_file([entries[i] for i in order]) == canonical_file(entries)


def test_a_stored_version_reads_as_persons_screened_as_sanctions_entries():
    body = WatchlistVersionRequest.model_validate(WatchlistVersionRequest.of_csv_rows(parse_csv_body(CSV)))
    file = canonical_file([e.model_dump(mode="json") for e in body.entries])
    assert b"null" not in file  # what an entry does not say is left out
    first, second = parse_watchlist(file, "internal")
    assert (first.source, first.source_id, first.type, first.kind) == ("internal", "IW-1", EntityType.PERSON,
                                                                       ListKind.SANCTIONS)
    assert [(a.name, a.strength) for a in first.aliases] == [("Victor Morozov", AliasStrength.STRONG),
                                                            ("V. A. Morozov", AliasStrength.STRONG)]
    assert first.birth_dates == (BirthDate(year=1971, month=3),) and first.nationalities == ("RUS",)
    assert first.remarks == "exited, fraud"
    assert second.birth_dates == (BirthDate(year=1988),) and second.remarks == ""
    reworded = json.loads(file)
    reworded["entries"][0]["reason"] = "exited 2024 for first-party fraud"
    assert parse_watchlist(json.dumps(reworded).encode(), "internal")[0].content_hash() == first.content_hash()


def test_each_version_is_published_with_its_diff_and_screened_against_the_customers(stores):
    first = lists.publish_internal(OFFICER, _request(_entry(1), _entry(2)), stores)
    assert (first["status"], first["source"], first["entries"], first["diff"]["added_ids"]) == \
        ("published", "internal", 2, ("IW-1", "IW-2"))
    assert first["monitoring_run_id"] in stores.workflows.started  # the first version too
    assert stores.monitoring.get_run(first["monitoring_run_id"]).entries == 2

    assert lists.publish_internal(OFFICER, _request(_entry(2), _entry(1)), stores) == \
        {"status": "unchanged", "source": "internal", "version": first["version"],
         "monitoring_run_id": first["monitoring_run_id"]}

    second = lists.publish_internal(OFFICER, _request(_entry(1), _entry(2, birth_date="1980"), _entry(3)), stores)
    assert (second["previous_version"], second["diff"]["changed_ids"], second["diff"]["added_ids"]) == \
        (first["version"], ("IW-2",), ("IW-3",))
    assert stores.monitoring.get_run(second["monitoring_run_id"]).entries == 2  # the changed and the added one


def test_screening_runs_without_the_internal_list_until_it_is_published_but_never_without_an_official_one(
        stores, monkeypatch):
    policy = list_sources_policy()
    only = policy.model_copy(update={"sources": {s: policy.sources[s] for s in ("un-sc", "internal")}})
    monkeypatch.setattr(screening, "list_sources_policy", lambda: only)
    with pytest.raises(NotFound):  # an official list missing is a fault
        screening.current_screener(stores)
    xml = (ROOT / "data" / "lists" / "un-sc" / "consolidated.xml").read_bytes()
    lists.publish("un-sc", {"consolidated.xml": xml}, "2026-02-27", stores)
    assert [i.source for i in screening.current_screener(stores).indexes] == ["un-sc"]
    lists.publish_internal(OFFICER, _request(_entry(1)), stores)
    assert [i.source for i in screening.current_screener(stores).indexes] == ["un-sc", "internal"]


def test_a_version_whose_delta_run_did_not_start_is_screened_when_it_is_sent_again(stores):
    lists.publish_internal(OFFICER, _request(_entry(1), _entry(2)), stores)
    stores.workflows.fail_start = RuntimeError("throttled")
    with pytest.raises(RuntimeError):  # the version is stored and its run too, but no execution started
        lists.publish_internal(OFFICER, _request(_entry(1), _entry(2), _entry(3)), stores)
    run_id = monitoring.delta_run_id(stores.lists.current("internal"))
    assert run_id not in stores.workflows.started
    again = lists.publish_internal(OFFICER, _request(_entry(1), _entry(2), _entry(3)), stores)
    assert (again["status"], again["monitoring_run_id"]) == ("unchanged", run_id)
    assert stores.workflows.started[run_id] == {"run_id": run_id}
    assert stores.monitoring.get_run(run_id).entries == 1

    del stores.monitoring.run_items[run_id]  # stopped before the run was stored: it is worked out again
    stores.workflows.started.clear()
    assert lists.publish_internal(OFFICER, _request(_entry(1), _entry(2), _entry(3)), stores)["monitoring_run_id"] \
        == run_id
    assert run_id in stores.workflows.started and stores.monitoring.get_run(run_id).entries == 1


def test_a_version_is_refused_as_an_official_one_would_be(stores):
    lists.publish_internal(OFFICER, _request(*(_entry(n) for n in range(10))), stores)
    with pytest.raises(RefreshRefused) as shrunk:
        lists.publish_internal(OFFICER, _request(*(_entry(n) for n in range(8))), stores)
    assert shrunk.value.code == "SUSPICIOUS_SHRINK"
    with pytest.raises(RefreshRefused) as empty:
        lists.publish_internal(OFFICER, _request(), stores)
    assert empty.value.code == "EMPTY_LIST"


def test_an_entry_id_given_twice_is_named(stores):
    with pytest.raises(InvalidField) as refused:
        lists.publish_internal(OFFICER, _request(_entry(1), _entry(2), {**_entry(3), "entry_id": "IW-1"}), stores)
    assert (refused.value.field, refused.value.reason) == ("entries.2.entry_id", "is also the id of entries.0: each "
                                                                                 "entry id must be unique")


def test_the_internal_list_is_not_refreshed_from_files(stores):
    with pytest.raises(InvalidField) as refused:
        lists.refresh(OFFICER, ListRefreshRequest(source="internal"), stores)
    assert refused.value.field == "source" and "POST /v1/lists/internal/versions" in refused.value.reason
