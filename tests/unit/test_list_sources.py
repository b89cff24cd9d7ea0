"""The list sources of policies/lists.yaml through the services: the FCDO list in force in place
of OFSI's retired one, sources not published yet, and each new format's refresh path (the
fabricated specimens of tests/unit/data/lists/, published into fake stores only)."""
from __future__ import annotations

import uuid
from datetime import date
from pathlib import Path

import pytest

from chalicelib.api.models import ListRefreshRequest
from chalicelib.api.views import ListsInForce
from chalicelib.domain.actors import Caller, Role
from chalicelib.domain.screening.entities import ListKind
from chalicelib.domain.screening.index import NameIndex
from chalicelib.domain.screening.list_update import ListSource, ListSourcesPolicy, RefreshRefused, SourceKind
from chalicelib.errors import NotFound
from chalicelib.policies import list_sources_policy
from chalicelib.services import health, lists, screening
from chalicelib.stores.list_bucket import ListManifest
from tests.unit.fakes import fake_stores

OFFICER = Caller(subject="officer-1", role=Role.COMPLIANCE)
SPECIMENS = Path(__file__).parent / "data" / "lists"
NEW_FORMATS = [  # source, file name as the policy names it, specimen, entries
    ("uk-fcdo", "UK-Sanctions-List.xml", "uk-sanctions-list.specimen.xml", 5),
    ("ofac-sdn-advanced", "SDN_ADVANCED.XML", "sdn-advanced.specimen.xml", 5),
    ("eu-fsf", "eu-fsf.xml", "eu-fsf.specimen.xml", 4),
]


@pytest.fixture
def stores(unit_settings):
    return fake_stores()


def test_the_uk_source_in_force_is_the_fcdo_list_and_ofsi_is_retired() -> None:
    policy = list_sources_policy()
    fcdo, ofsi = policy.sources["uk-fcdo"], policy.sources["uk-ofsi"]
    assert (fcdo.format, fcdo.publisher, fcdo.retired) == (
        "uk-fcdo-xml", "https://www.gov.uk/government/publications/the-uk-sanctions-list", False)
    assert list(fcdo.files.values()) == ["https://sanctionslist.fcdo.gov.uk/docs/UK-Sanctions-List.xml"]
    assert (ofsi.format, ofsi.retired_on, ofsi.replaced_by, ofsi.required) == (
        "uk-ofsi-csv", date(2026, 1, 28), "uk-fcdo", False)
    assert "uk-ofsi" not in policy.in_force() and "uk-fcdo" in policy.in_force()
    assert {policy.sources[s].format for s in ("eu-fsf", "ofac-sdn-advanced", "ofac-consolidated-advanced")} == {
        "eu-fsf-xml", "ofac-advanced-xml"}
    # the sources make run publishes stay required; the new ones wait for their first version
    assert {s for s, c in policy.in_force().items() if c.required} == {
        "ofac-sdn", "ofac-consolidated", "un-sc", "pep-us-congress"}


def test_a_retirement_names_a_source_in_force_and_is_never_required() -> None:
    base = list_sources_policy()
    retired = ListSource(kind=ListKind.SANCTIONS, format="uk-ofsi-csv", files={}, required=False,
                         retired_on=date(2026, 1, 28), replaced_by="nowhere")
    with pytest.raises(ValueError, match="replaced_by must name another source in force"):
        ListSourcesPolicy(policy="p", version="1", max_shrink=base.max_shrink, sources={"old": retired})
    with pytest.raises(ValueError, match="cannot be required"):
        ListSource(kind=ListKind.SANCTIONS, format="x", files={}, retired_on=date(2026, 1, 28))
    with pytest.raises(ValueError, match="need retired_on"):
        ListSource(kind=ListKind.SANCTIONS, format="x", files={}, replaced_by="uk-fcdo")


def test_get_lists_says_which_source_is_retired_since_when_and_what_replaces_it(stores) -> None:
    items = {i["source"]: i for i in lists.in_force(OFFICER, stores)}
    ListsInForce.model_validate({"items": list(items.values())})  # the view the API renders
    assert items["uk-ofsi"] | {"retirement": ""} == {
        "source": "uk-ofsi", "kind": "sanctions", "format": "uk-ofsi-csv", "status": "retired", "required": False,
        "publisher": "https://www.gov.uk/government/publications/financial-sanctions-consolidated-list-of-targets",
        "retired_on": "2026-01-28", "replaced_by": "uk-fcdo", "retirement": "", "version": None}
    assert "FCDO is the sole authoritative UK list" in items["uk-ofsi"]["retirement"]
    assert items["uk-fcdo"] == {
        "source": "uk-fcdo", "kind": "sanctions", "format": "uk-fcdo-xml", "status": "in_force", "required": False,
        "publisher": "https://www.gov.uk/government/publications/the-uk-sanctions-list", "version": None}


def test_a_retired_source_is_refused_a_new_version(stores) -> None:
    for attempt in (lambda: lists.publish("uk-ofsi", {"ConList.csv": b"x"}, "2026-12-01", stores),
                    lambda: lists.refresh(OFFICER, ListRefreshRequest(source="uk-ofsi"), stores)):
        with pytest.raises(RefreshRefused) as refused:
            attempt()
        assert refused.value.code == "RETIRED_LIST"
        assert "retired on 2026-01-28; uk-fcdo replaces it" in str(refused.value)


@pytest.mark.parametrize(("source", "name", "specimen", "entries"), NEW_FORMATS, ids=[f[0] for f in NEW_FORMATS])
def test_each_new_format_publishes_through_the_refresh_path(stores, source, name, specimen, entries) -> None:
    data = (SPECIMENS / specimen).read_bytes()
    report = lists.publish(source, {name: data}, "2026-12-01", stores)
    assert (report["status"], report["entries"], report["diff"]["added"]) == ("published", entries, entries)
    item = next(i for i in lists.in_force(OFFICER, stores) if i["source"] == source)
    assert (item["status"], item["entries"], item["snapshot"]) == ("in_force", entries, "2026-12-01")
    with pytest.raises(RefreshRefused) as refused:  # a broken download of the next version
        lists.publish(source, {name: data[: len(data) // 2]}, "2026-12-02", stores)
    assert refused.value.code == "UNREADABLE_LIST"
    assert stores.lists.current(source).version == report["version"]  # the version in force keeps serving


def test_an_opensanctions_subscription_is_a_source_of_mixed_kinds_refreshed_in_the_background(stores) -> None:
    source = list_sources_policy().sources["opensanctions-default"]
    assert (source.kind, source.format, source.required, source.asynchronous, source.retired) == (
        SourceKind.MIXED, "ftm-json", False, True, False)
    assert source.publisher == "https://www.opensanctions.org/datasets/default/"
    assert dict(source.files) == {
        "entities.ftm.json": "https://data.opensanctions.org/datasets/latest/default/entities.ftm.json"}
    shown = {i["source"]: i for i in lists.in_force(OFFICER, stores)}["opensanctions-default"]
    assert (shown["kind"], shown["status"], shown["version"]) == ("mixed", "in_force", None)  # nothing shipped


def test_an_opensanctions_source_publishes_and_a_broken_line_is_unreadable(stores) -> None:
    data = (SPECIMENS / "opensanctions-entities.specimen.ftm.json").read_bytes()
    report = lists.publish("opensanctions-default", {"entities.ftm.json": data}, "2026-12-01", stores)
    assert (report["status"], report["entries"]) == ("published", 8)
    kinds = {m.kind for m in NameIndex.from_bytes(stores.lists.read_index(
        stores.lists.current("opensanctions-default"))).entities}
    assert kinds == {"sanctions", "pep", "crime"}  # each entry's own kind, from its topics
    with pytest.raises(RefreshRefused) as refused:
        lists.publish("opensanctions-default", {"entities.ftm.json": data[:-20]}, "2026-12-02", stores)
    assert refused.value.code == "UNREADABLE_LIST" and "ftm-json" in str(refused.value)


def _publish_empty(stores, sources) -> None:
    for source in sources:
        version = f"test-{uuid.uuid4().hex[:8]}"
        stores.lists.publish(ListManifest(source=source, version=version, snapshot="2026-01-01", format="test",
                                          files={}, published_at="t"), {}, NameIndex.build(source, version, []).to_bytes())


def test_screening_and_health_wait_for_required_lists_only(stores) -> None:
    in_force = list_sources_policy().in_force()
    required = [s for s, c in in_force.items() if c.required]
    _publish_empty(stores, required[1:])
    with pytest.raises(NotFound):  # a required list missing: screening cannot run
        screening.current_screener(stores)
    assert health.report(stores)["status"] == "degraded"
    _publish_empty(stores, required[:1])
    screener = screening.current_screener(stores)  # the lists not published yet are not waited for
    assert sorted(i.source for i in screener.indexes) == sorted(required)
    report = health.report(stores)
    assert report["status"] == "ok"
    assert set(report["lists"]) == set(in_force) and report["lists"]["uk-fcdo"] is None
    assert "uk-ofsi" not in report["lists"]  # retired: not in force
    _publish_empty(stores, ["uk-fcdo"])
    assert "uk-fcdo" in {i.source for i in screening.current_screener(stores).indexes}  # from its first version on


def test_the_new_formats_names_in_every_script_are_screened() -> None:
    """The parsed specimens through the engine as it is: a listed name in Cyrillic, Hangul or
    Chinese, or its Latin form with the listed birth date, finds its entry; a crime entry is a
    match that fails no screening check."""
    from chalicelib.domain.screening.engine import Band, Screener, classify
    from chalicelib.domain.screening.formats import parse_list
    from chalicelib.policies import screening_policy

    uk = parse_list("uk-fcdo-xml", {"UK-Sanctions-List.xml": (SPECIMENS / "uk-sanctions-list.specimen.xml").read_bytes()},
                    "uk-fcdo")
    ftm = parse_list("ftm-json", {"e.json": (SPECIMENS / "opensanctions-entities.specimen.ftm.json").read_bytes()},
                     "opensanctions")
    screener = Screener([NameIndex.build("uk-fcdo", "v1", uk), NameIndex.build("opensanctions", "v1", ftm)],
                        screening_policy())

    def found(name: str, born: date | None = None) -> set[tuple[str, str]]:
        return {(m.source, m.source_id) for m in screener.screen(name, born) if m.band is not Band.PASS}

    assert found("Arkady Volkovsky", date(1961, 3, 14)) == {("uk-fcdo", "RUS9901"), ("opensanctions", "spec-person-volkovsky")}
    assert ("uk-fcdo", "RUS9901") in found("Аркадий Семёнович ВОЛКОВСКИЙ")
    assert found("김철민") == {("uk-fcdo", "DPR9903")}
    assert found("深圳示例物流有限公司") == {("uk-fcdo", "RUS9904"), ("opensanctions", "spec-company-logistika")}
    assert ("opensanctions", "spec-pep-lin") in found("林美华", date(1965, 4, 20))
    crime = [m for m in screener.screen("Dmitri Igorevich Morozov", date(1968, 5, 17)) if m.kind is ListKind.CRIME]
    assert crime and crime[0].band is Band.BLOCK
    assert all(check.passed for check in classify(crime))  # reported, fails no check by itself
