"""The OpenSanctions FollowTheMoney entities parser, on a fabricated multi-dataset specimen
(tests/unit/data/lists/README.md): sanctions, PEPs with occupancies, a relative, a crime entry,
and the entities that only enrich them or are not screened."""
import codecs
import json
from datetime import date
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from chalicelib.domain.screening.entities import (
    Alias,
    AliasStrength,
    BirthDate,
    EntityType,
    Identifier,
    ListEntity,
    ListKind,
)
from chalicelib.domain.screening.formats import iter_list, parse_list
from chalicelib.domain.screening.ftm import iter_ftm, parse_ftm

SPECIMEN = Path(__file__).parent / "data" / "lists" / "opensanctions-entities.specimen.ftm.json"
STRONG, WEAK = AliasStrength.STRONG, AliasStrength.WEAK


@pytest.fixture(scope="module")
def by_id() -> dict[str, ListEntity]:
    entities = parse_ftm(SPECIMEN.read_bytes(), "opensanctions-default")
    # Address, Sanction, Passport, Position, Occupancy and Family only enrich; the owner (no topic)
    # and the debarred company (a topic that is no kind) are not screened.
    assert [e.source_id for e in entities] == [
        "spec-person-volkovsky", "spec-person-najjari", "spec-pep-lin", "spec-rca-lin", "spec-wanted-morozov",
        "spec-company-logistika", "spec-vessel-star", "spec-legal-entity-fund"]
    return {e.source_id: e for e in entities}


def test_a_sanctioned_person_enriched_by_its_address_and_sanctions(by_id) -> None:
    assert by_id["spec-person-volkovsky"] == ListEntity(
        source="opensanctions-default", source_id="spec-person-volkovsky", type=EntityType.PERSON,
        kind=ListKind.SANCTIONS,  # "sanction" wins over "role.pep"
        primary_name="Arkady Semyonovich Volkovsky",
        aliases=(Alias(name="Аркадий Семёнович Волковский", strength=STRONG),  # a second `name`
                 Alias(name="Arkadii Volkovskii", strength=STRONG),  # alias
                 Alias(name="Arkasha", strength=WEAK)),  # weakAlias
        birth_dates=(BirthDate(exact=date(1961, 3, 14)), BirthDate(year=1962)),
        nationalities=("ru",),
        identifiers=(Identifier(kind="national_id", value="771234500011"),  # idNumber
                     Identifier(kind="passport", value="753190001")),  # passportNumber
        programmes=("The Russia (Sanctions) (EU Exit) Regulations 2019", "UKR"),  # its two Sanction entities
        address_countries=("ru",),  # country, and its Address entity's (the same)
        places_of_birth=("Tula",),
        remarks="Fabricated specimen entity.",
        listed_on=date(2022, 3, 15),  # the earliest listing/start date of its sanctions
        positions=("Deputy Director of a fictional state corporation",),
    )


def test_a_sanctioned_person_with_an_arabic_alias_a_birth_month_and_a_passport_entity(by_id) -> None:
    e = by_id["spec-person-najjari"]
    assert (e.kind, e.primary_name, e.aliases) == (ListKind.SANCTIONS, "Khalid Yusuf Al-Najjari", (
        Alias(name="خالد يوسف النجاري", strength=STRONG), Alias(name="Khaled Najjari", strength=STRONG),
        Alias(name="Abu Yusuf", strength=WEAK)))
    assert e.birth_dates == (BirthDate(year=1970, month=7),)  # "1970-07"
    assert e.nationalities == ("sy", "lb")
    assert e.identifiers == (Identifier(kind="passport", value="N009911", country="sy"),)  # the Passport's holder


def test_a_pep_keeps_the_positions_of_its_occupancies_and_its_chinese_name(by_id) -> None:
    assert by_id["spec-pep-lin"] == ListEntity(
        source="opensanctions-default", source_id="spec-pep-lin", type=EntityType.PERSON, kind=ListKind.PEP,
        primary_name="Lin Meihua",
        aliases=(Alias(name="林美华", strength=STRONG), Alias(name="Lin Mei-hua", strength=STRONG)),
        birth_dates=(BirthDate(year=1965, month=4),),  # "1965-04"
        nationalities=("tw",),  # citizenship
        positions=("Mayor of a fictional city", "Member of a fictional legislature"),  # Occupancy → Position
    )
    rca = by_id["spec-rca-lin"]  # a close associate (role.rca) is screened as a PEP
    assert (rca.kind, rca.primary_name, rca.aliases, rca.birth_dates) == (
        ListKind.PEP, "Chen Zhiwei", (Alias(name="陈志伟", strength=STRONG),), (BirthDate(year=1963),))


def test_a_crime_topic_is_the_crime_kind(by_id) -> None:
    e = by_id["spec-wanted-morozov"]
    assert (e.kind, e.primary_name, e.aliases, e.birth_dates, e.nationalities) == (
        ListKind.CRIME, "Dmitri Igorevich Morozov", (Alias(name="Дмитрий Игоревич Морозов", strength=STRONG),),
        (BirthDate(exact=date(1968, 5, 17)),), ("ru",))


def test_organisations_and_vessels(by_id) -> None:
    company, vessel, fund = by_id["spec-company-logistika"], by_id["spec-vessel-star"], by_id["spec-legal-entity-fund"]
    assert (company.type, company.kind, company.aliases) == (EntityType.ORGANISATION, ListKind.SANCTIONS, (
        Alias(name="ООО Специмен Логистика", strength=STRONG), Alias(name="深圳示例物流有限公司", strength=STRONG)))
    assert company.identifiers == (Identifier(kind="registration_number", value="1027799990004"),
                                   Identifier(kind="inn", value="7701234567"))
    assert company.address_countries == ("cn", "ru")  # country, then jurisdiction
    # no topic on the vessel itself: the Sanction entity naming it makes it a sanctions entry
    assert (vessel.type, vessel.kind, vessel.aliases, vessel.identifiers, vessel.programmes, vessel.listed_on) == (
        EntityType.VESSEL, ListKind.SANCTIONS, (Alias(name="Ocean Specimen", strength=STRONG),),
        (Identifier(kind="imo", value="IMO9999902"),), ("IRAN-EO13846",), date(2019, 3, 26))
    assert (fund.type, fund.kind, fund.aliases) == (  # LegalEntity, "sanction.linked"
        EntityType.ORGANISATION, ListKind.SANCTIONS, (Alias(name="SCF", strength=WEAK),))


def test_a_counter_sanction_is_not_a_designation() -> None:
    lines = [{"id": "p1", "schema": "Person", "properties": {"name": ["A Counter Sanctioned"], "topics": ["sanction.counter"]}},
             {"id": "s1", "schema": "Sanction", "properties": {"entity": ["p1"], "program": ["RU-MFA"]}},
             {"id": "p2", "schema": "Person", "properties": {"name": ["A Pep"], "topics": ["sanction.counter", "role.pep"]}}]
    entities = parse_ftm("\n".join(json.dumps(line) for line in lines))
    assert [(e.source_id, e.kind) for e in entities] == [("p2", ListKind.PEP)]


def test_the_format_is_registered_for_the_one_json_file() -> None:
    entities = parse_list("ftm-json", {"entities.ftm.json": SPECIMEN.read_bytes()}, "opensanctions-default")
    assert len(entities) == 8


def test_a_line_that_is_not_an_entity_is_refused_by_number() -> None:
    with pytest.raises(ValueError, match="line 2: not JSON"):
        parse_ftm('{"id": "a", "schema": "Person", "properties": {"name": ["A"]}}\n{"id": "b", "sch')
    with pytest.raises(ValueError, match="line 1: not a FollowTheMoney entity"):
        parse_ftm('["id", "schema"]')


LINES = SPECIMEN.read_text(encoding="utf-8").splitlines()


@given(st.sampled_from(range(len(LINES))), st.data())
def test_a_file_cut_inside_a_line_raises(line: int, data) -> None:
    """A download cut inside a line raises (the refresh turns it into 422 UNREADABLE_LIST); one cut
    between lines is a shorter file, which the refresh's shrink check refuses."""
    cut = data.draw(st.integers(min_value=1, max_value=len(LINES[line]) - 1))
    with pytest.raises(ValueError, match=f"line {line + 1}"):
        parse_ftm("\n".join([*LINES[:line], LINES[line][:cut]]))


@given(st.lists(st.one_of(st.text(max_size=40), st.builds(json.dumps, st.dictionaries(
    st.sampled_from(["id", "schema", "properties", "topics"]),
    st.one_of(st.text(max_size=8), st.integers(), st.lists(st.text(max_size=8), max_size=3),
              st.dictionaries(st.sampled_from(["name", "topics", "birthDate", "alias"]),
                              st.one_of(st.text(max_size=8), st.integers(), st.lists(st.text(max_size=8))))))))))
def test_any_input_parses_or_raises_a_value_error(lines: list[str]) -> None:
    try:
        entities = parse_ftm("\n".join(lines))
    except ValueError:
        return
    assert all(isinstance(e, ListEntity) for e in entities)


def test_a_peps_positions_reach_the_case_file_and_not_the_content_hash(by_id) -> None:
    from chalicelib.domain.case_file import listed_entry

    pep = by_id["spec-pep-lin"]
    assert listed_entry(pep, "v1").positions == ("Mayor of a fictional city", "Member of a fictional legislature")
    # what a reviewer reads, not what screening compares: a new position leaves the entry's clearances as they are
    assert pep.model_copy(update={"positions": ()}).content_hash() == pep.content_hash()


def test_entities_stream_one_at_a_time_as_the_whole_file_parses() -> None:
    data = SPECIMEN.read_bytes()
    whole = parse_ftm(data, "opensanctions-default")
    assert list(iter_ftm(data, "opensanctions-default")) == whole
    assert list(iter_list("ftm-json", {"entities.ftm.json": data}, "opensanctions-default")) == whole
    assert parse_ftm(codecs.BOM_UTF8 + data, "opensanctions-default") == whole  # a byte order mark
    assert parse_ftm(data.decode(), "opensanctions-default") == whole  # text as well as bytes


def test_lines_split_at_line_feeds_only_and_a_link_may_come_after_the_entity() -> None:
    person = {"id": "p1", "schema": "Person", "properties": {"name": ["Ivan\u2028Petrov\u0085"]}}
    sanction = {"id": "s1", "schema": "Sanction", "properties": {"entity": ["p1"], "program": ["RUS-1"]}}
    data = "\r\n".join(json.dumps(r, ensure_ascii=False) for r in (person, sanction)).encode()
    (entity,) = parse_ftm(data, "opensanctions-default")
    assert (entity.primary_name, entity.kind, entity.programmes) == ("Ivan Petrov", ListKind.SANCTIONS, ("RUS-1",))
    with pytest.raises(ValueError, match="line 3: not UTF-8"):
        parse_ftm(data + b"\n\"\xc3\x28\"", "opensanctions-default")
