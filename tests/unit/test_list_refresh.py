"""A list refresh in the background (the list refresh workflow's tasks on in-memory stores): the
API records it and starts its workflow; the task reads, parses, indexes and publishes, recording
each stage; a refusal or a fault is recorded, and the version in force keeps serving."""
from __future__ import annotations

import gc
import json

import pytest

from chalicelib.api.models import ListRefreshRequest
from chalicelib.domain.actors import Caller, Role
from chalicelib.domain.screening.entities import ListEntity
from chalicelib.domain.screening.list_update import RefreshStage, RefreshState
from chalicelib.services import lists
from tests.conftest import ROOT
from tests.unit.fakes import fake_stores

OFFICER = Caller(subject="officer-1", role=Role.COMPLIANCE)
UN_XML = (ROOT / "data" / "lists" / "un-sc" / "consolidated.xml").read_bytes()


@pytest.fixture
def stores(unit_settings):
    return fake_stores()


def _upload(stores, prefix: str, body: bytes) -> None:
    stores.lists.uploads[f"uploads/un-sc/{prefix}/consolidated.xml"] = body


def _accepted(stores, prefix: str) -> str:
    answer = lists.refresh(OFFICER, ListRefreshRequest(source="un-sc", upload_prefix=prefix, asynchronous=True), stores)
    assert answer["status"] == "accepted" and answer["source"] == "un-sc"
    return answer["refresh_id"]


def test_a_refresh_in_the_background_is_recorded_then_published_by_its_task(stores, monkeypatch):
    _upload(stores, "v1", UN_XML)
    refresh_id = _accepted(stores, "v1")
    assert stores.workflows.started[refresh_id] == {"refresh_id": refresh_id}
    assert stores.lists.get_refresh(refresh_id).state is RefreshState.ACCEPTED
    stages = []
    put = stores.lists.put_refresh
    monkeypatch.setattr(stores.lists, "put_refresh", lambda r: (stages.append((r.state, r.stage)), put(r)))

    assert lists.run_refresh(refresh_id, stores) == {"state": "published"}
    assert stages == [(RefreshState.RUNNING, RefreshStage.READING), (RefreshState.RUNNING, RefreshStage.PARSING),
                      (RefreshState.RUNNING, RefreshStage.INDEXING), (RefreshState.PUBLISHED, RefreshStage.INDEXING)]
    ended = stores.lists.get_refresh(refresh_id)
    assert ended.finished_at and ended.report["status"] == "published" and ended.report["entries"] > 1000
    assert stores.lists.current("un-sc").version == ended.report["version"]
    assert lists.run_refresh(refresh_id, stores) == {"state": "published"}  # a retried task does nothing again
    assert len(stages) == 4


def test_a_refused_version_is_recorded_as_refused_and_the_version_in_force_keeps_serving(stores):
    _upload(stores, "v1", UN_XML)
    lists.run_refresh(_accepted(stores, "v1"), stores)
    in_force = stores.lists.current("un-sc").version
    cut = UN_XML.find(b"<INDIVIDUAL>", len(UN_XML) // 2)
    _upload(stores, "cut", UN_XML[:cut] + b"</INDIVIDUALS></CONSOLIDATED_LIST>")
    refused = _accepted(stores, "cut")
    assert lists.run_refresh(refused, stores) == {"state": "refused", "error_code": "SUSPICIOUS_SHRINK"}
    record = stores.lists.get_refresh(refused)
    assert (record.state, record.error_code, record.report) == (RefreshState.REFUSED, "SUSPICIOUS_SHRINK", None)
    assert "keeps serving" in record.error and stores.lists.current("un-sc").version == in_force

    missing = _accepted(stores, "nothing-here")
    assert lists.run_refresh(missing, stores)["error_code"] == "UPLOAD_INCOMPLETE"


def test_a_fault_is_recorded_as_failed_once(stores):
    _upload(stores, "v1", UN_XML)
    refresh_id = _accepted(stores, "v1")
    assert lists.refresh_failed(refresh_id, {"Error": "MemoryError", "Cause": "..."}, stores) == \
        {"state": "failed", "error": "MemoryError"}
    record = stores.lists.get_refresh(refresh_id)
    assert (record.state, record.error_code, record.error) == (RefreshState.FAILED, "REFRESH_FAILED", "MemoryError")
    assert lists.run_refresh(refresh_id, stores) == {"state": "failed"}  # ended: not run after all


def test_a_source_the_policy_marks_asynchronous_is_refreshed_in_the_background(stores, monkeypatch):
    policy = lists.list_sources_policy()
    background = policy.sources["un-sc"].model_copy(update={"asynchronous": True})
    monkeypatch.setattr(lists, "list_sources_policy",
                        lambda: policy.model_copy(update={"sources": {**policy.sources, "un-sc": background}}))
    _upload(stores, "v1", UN_XML)
    assert lists.refresh(OFFICER, ListRefreshRequest(source="un-sc", upload_prefix="v1"), stores)["status"] == \
        "accepted"
    assert lists.refresh(OFFICER, ListRefreshRequest(source="un-sc", upload_prefix="v1", asynchronous=False),
                         stores)["status"] == "published"


def test_no_list_source_may_take_the_name_the_refresh_records_are_kept_under():
    policy = lists.list_sources_policy()
    with pytest.raises(ValueError, match="refreshes"):
        type(policy).model_validate({**policy.model_dump(), "sources": {**policy.model_dump()["sources"],
                                                                         "refreshes": policy.model_dump()["sources"]["un-sc"]}})


FTM_SOURCE, FTM_FILE = "opensanctions-default", "entities.ftm.json"


def _ftm(entries: dict[str, str]) -> bytes:
    """FollowTheMoney JSON lines: one sanctioned person per (id, name)."""
    return b"".join(json.dumps({"id": i, "schema": "Person", "properties": {"name": [n], "birthDate": ["1970"]},
                                "topics": ["sanction"]}).encode() + b"\n" for i, n in entries.items())


def _live_list_entities() -> int:
    return sum(1 for o in gc.get_objects() if isinstance(o, ListEntity))


def test_a_large_list_is_indexed_as_it_is_parsed_and_its_diff_stays_small(stores, monkeypatch):
    """A consolidated dataset (ftm-json, refreshed in the background by its policy) is never held
    whole: each entry is indexed as it is parsed; the refresh record carries counts and 50 ids of
    each change, however many entries changed; a second version is diffed from fingerprints."""
    first = {f"os-{k:05d}": f"Person{k} Family{k % 97}" for k in range(3000)}
    live, baseline = [], _live_list_entities()
    streamed = lists.iter_list

    def watched(fmt, files, source):
        for number, entity in enumerate(streamed(fmt, files, source)):
            if number % 1000 == 999:
                live.append(_live_list_entities() - baseline)
            yield entity

    monkeypatch.setattr(lists, "iter_list", watched)
    stores.lists.uploads[f"uploads/{FTM_SOURCE}/v1/{FTM_FILE}"] = _ftm(first)
    accepted = lists.refresh(OFFICER, ListRefreshRequest(source=FTM_SOURCE, upload_prefix="v1"), stores)
    assert accepted["status"] == "accepted"  # the policy's asynchronous: true
    assert lists.run_refresh(accepted["refresh_id"], stores) == {"state": "published"}
    assert len(live) == 3 and max(live) < 20, live  # a handful alive at a time, not 3,000
    record = stores.lists.get_refresh(accepted["refresh_id"])
    report = record.report
    assert (report["entries"], report["diff"]["added"], len(report["diff"]["added_ids"])) == (3000, 3000, 50)
    assert list(report["diff"]["added_ids"]) == sorted(first)[:50]
    assert len(record.model_dump_json()) < 3000  # a first version of a million entries is as small
    assert report["monitoring_run_id"] is None  # an official list's first version: the next full re-screen

    second = {k: v for k, v in first.items() if k not in {"os-00003", "os-00004"}}  # two delisted
    second |= {"os-00010": "Someone Else", "os-09000": "A Newcomer"}  # one changed, one listed
    stores.lists.uploads[f"uploads/{FTM_SOURCE}/v2/{FTM_FILE}"] = _ftm(second)
    accepted = lists.refresh(OFFICER, ListRefreshRequest(source=FTM_SOURCE, upload_prefix="v2"), stores)
    assert lists.run_refresh(accepted["refresh_id"], stores) == {"state": "published"}
    report = stores.lists.get_refresh(accepted["refresh_id"]).report
    assert {k: list(v) if isinstance(v, tuple) else v for k, v in report["diff"].items()} == {
        "added": 1, "removed": 2, "changed": 1, "added_ids": ["os-09000"], "removed_ids": ["os-00003", "os-00004"],
        "changed_ids": ["os-00010"]}
    assert stores.monitoring.get_run(report["monitoring_run_id"]).entries == 2  # the added and the changed


def test_a_broken_line_far_into_a_large_list_refuses_it_before_anything_is_stored(stores):
    body = _ftm({f"os-{k:05d}": f"Person{k} Family{k}" for k in range(2000)})
    cut = body.index(b"\n", len(body) - 200)
    stores.lists.uploads[f"uploads/{FTM_SOURCE}/broken/{FTM_FILE}"] = body[:cut] + b"{not json\n"
    refresh_id = lists.refresh(OFFICER, ListRefreshRequest(source=FTM_SOURCE, upload_prefix="broken"),
                               stores)["refresh_id"]
    assert lists.run_refresh(refresh_id, stores) == {"state": "refused", "error_code": "UNREADABLE_LIST"}
    assert FTM_SOURCE not in {m.source for m in stores.lists.manifests.values()}
