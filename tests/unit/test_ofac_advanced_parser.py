"""OFAC's advanced XML parser (SDN_ADVANCED.XML / CONS_ADVANCED.XML), on a fabricated
multi-party specimen (tests/unit/data/lists/README.md) built from the advanced standard's layout."""
import xml.etree.ElementTree as ET
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
)
from chalicelib.domain.screening.formats import parse_list
from chalicelib.domain.screening.ofac_advanced import parse_ofac_advanced

SPECIMEN = Path(__file__).parent / "data" / "lists" / "sdn-advanced.specimen.xml"
STRONG, WEAK = AliasStrength.STRONG, AliasStrength.WEAK


@pytest.fixture(scope="module")
def by_ref() -> dict[str, ListEntity]:
    entities = parse_ofac_advanced(SPECIMEN.read_bytes(), "ofac-sdn-advanced")
    assert [e.source_id for e in entities] == ["99101", "99102", "99103", "99104", "99105"]  # 99106: no profile
    return {e.source_id: e for e in entities}


def test_a_person_with_typed_name_parts_in_latin_and_cyrillic(by_ref) -> None:
    assert by_ref["99101"] == ListEntity(
        source="ofac-sdn-advanced", source_id="99101", type=EntityType.PERSON,
        primary_name="Dmitri Igorevich MOROZOV",  # First Name, Patronymic, Last Name (listed last name first)
        aliases=(
            Alias(name="Дмитрий Игоревич МОРОЗОВ", strength=STRONG),  # the primary alias in Cyrillic
            Alias(name="Dmitry MOROZOV", strength=STRONG),  # A.K.A.
            Alias(name="Dima", strength=WEAK),  # A.K.A. LowQuality="true"
        ),
        # one day (Start = End) is exact; 1969-01-01..1969-12-31 is the year 1969
        birth_dates=(BirthDate(exact=date(1968, 5, 17)), BirthDate(year=1969)),
        nationalities=("Russia",),  # Nationality Country → Location 5001 → Country 11067
        identifiers=(Identifier(kind="passport", value="710000001", country="Russia"),
                     Identifier(kind="national_id", value="4509 123456")),
        programmes=("RUSSIA-EO14024",),  # the Program measure only, not Block
        places_of_birth=("Omsk, Russia",),
        remarks="Fabricated specimen party.",
        listed_on=date(2022, 4, 6),
        positions=("Deputy Minister of a fictional ministry",),  # the Title feature
    )


def test_a_person_with_an_arabic_name_circa_year_and_year_range(by_ref) -> None:
    e = by_ref["99102"]
    assert (e.primary_name, e.aliases) == ("Hassan Ali AL-FAKHOURI", (
        Alias(name="حسن علي الفاخوري", strength=STRONG),
        Alias(name="Hasan FAKHURI", strength=STRONG),  # F.K.A.: still screened as strong
        Alias(name="Abu Ali", strength=WEAK)))
    assert e.birth_dates == (BirthDate(year=1958, circa=True), BirthDate(year_from=1959, year_to=1961))
    assert e.nationalities == ("Lebanon",)  # a Citizenship Country feature
    assert e.address_countries == ("Lebanon",)  # the Location feature's country
    assert e.identifiers == (Identifier(kind="passport", value="RL0099002", country="Lebanon"),)
    assert (e.programmes, e.listed_on) == (("SDGT",), date(2004, 9, 23))


def test_an_entity_with_a_chinese_name_and_two_programmes(by_ref) -> None:
    assert by_ref["99103"] == ListEntity(
        source="ofac-sdn-advanced", source_id="99103", type=EntityType.ORGANISATION,
        primary_name="SPECIMEN HARBOUR TRADING CO., LIMITED",
        aliases=(Alias(name="示例港贸易有限公司", strength=STRONG), Alias(name="SHT HONG KONG LIMITED", strength=STRONG)),
        identifiers=(Identifier(kind="registration_number", value="91440101MA5SPEC01X", country="China"),),
        programmes=("IRAN-EO13846", "SDGT"),
        address_countries=("China",),  # the "undetermined" country is dropped
        listed_on=date(2019, 3, 26),  # the earliest entry event
    )


def test_a_vessel_and_a_person_with_a_hangul_name_and_a_birth_month(by_ref) -> None:
    vessel, person = by_ref["99104"], by_ref["99105"]
    assert (vessel.type, vessel.primary_name, vessel.identifiers, vessel.programmes) == (
        EntityType.VESSEL, "SPECIMEN STAR", (Identifier(kind="imo", value="IMO 9999902"),), ("IRAN-EO13846",))
    assert (person.primary_name, person.aliases) == ("Yong Su PAK", (Alias(name="박용수", strength=STRONG),))
    assert person.birth_dates == (BirthDate(year=1980, month=6),)  # 1980-06-01..1980-06-30
    assert person.nationalities == ("Korea, North",)
    assert person.identifiers == ()  # a document with a blank number is not an identifier


def test_the_format_is_registered_for_the_one_xml_file() -> None:
    (first, *_rest) = parse_list("ofac-advanced-xml", {"SDN_ADVANCED.XML": SPECIMEN.read_bytes()}, "ofac-sdn-advanced")
    assert (first.source, first.source_id) == ("ofac-sdn-advanced", "99101")


def test_xml_that_is_not_an_advanced_file_is_refused() -> None:
    with pytest.raises(ValueError, match="not an OFAC advanced sanctions file"):
        parse_ofac_advanced(b"<sdnList><sdnEntry/></sdnList>")  # the legacy SDN.XML


@given(st.integers(min_value=0, max_value=len(SPECIMEN.read_bytes().rstrip()) - 1))
def test_a_truncated_file_raises_a_parse_error(cut: int) -> None:
    with pytest.raises((ET.ParseError, ValueError)):
        parse_ofac_advanced(SPECIMEN.read_bytes()[:cut])
