"""The FCDO UK Sanctions List XML parser, on a fabricated multi-designation specimen
(tests/unit/data/lists/README.md) built from the list's published layout."""
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
    ListKind,
)
from chalicelib.domain.screening.formats import parse_list
from chalicelib.domain.screening.uk_fcdo import parse_uk_fcdo

SPECIMEN = Path(__file__).parent / "data" / "lists" / "uk-sanctions-list.specimen.xml"
RUSSIA = "The Russia (Sanctions) (EU Exit) Regulations 2019"
STRONG, WEAK = AliasStrength.STRONG, AliasStrength.WEAK


@pytest.fixture(scope="module")
def by_id() -> dict[str, ListEntity]:
    entities = parse_uk_fcdo(SPECIMEN.read_bytes())
    assert [e.source_id for e in entities] == ["RUS9901", "SYR9902", "DPR9903", "RUS9904", "RUS9905"]  # no UniqueID: skipped
    assert {(e.source, e.kind) for e in entities} == {("uk-fcdo", ListKind.SANCTIONS)}
    return {e.source_id: e for e in entities}


def test_a_person_with_cyrillic_name_partial_birth_date_documents_and_position(by_id) -> None:
    assert by_id["RUS9901"] == ListEntity(
        source="uk-fcdo", source_id="RUS9901", type=EntityType.PERSON,
        primary_name="Arkady Semyonovich VOLKOVSKY",  # Name1..Name5 then Name6 (the surname)
        aliases=(
            Alias(name="Arkadii Semenovich VOLKOVSKII", strength=STRONG),  # primary name variation
            Alias(name="Arkady VOLKOV", strength=STRONG),  # good quality a.k.a
            Alias(name="Arkasha", strength=WEAK),  # low quality a.k.a
            Alias(name="Volk", strength=WEAK),  # no strength, one word for a person: a nickname
            Alias(name="Аркадий Семёнович ВОЛКОВСКИЙ", strength=STRONG),  # NameNonLatinScript
        ),
        birth_dates=(BirthDate(exact=date(1961, 3, 14)), BirthDate(year=1962)),  # "dd/mm/1962": the year
        nationalities=("Russia",),
        identifiers=(Identifier(kind="passport", value="753190001"),  # listed twice, kept once
                     Identifier(kind="national_id", value="771234500011")),
        programmes=(RUSSIA,),
        address_countries=("Russia",),
        places_of_birth=("Tula, Russia",),
        remarks="(UK Sanctions List Ref):RUS9901. Fabricated specimen entry.",
        listed_on=date(2022, 3, 15),
        positions=("Deputy Director of a fictional state corporation",),
    )


def test_a_person_with_arabic_name_and_month_or_year_birth_dates(by_id) -> None:
    e = by_id["SYR9902"]
    assert (e.primary_name, e.aliases) == ("Khalid Yusuf AL-NAJJARI", (
        Alias(name="Khaled NAJJARI", strength=STRONG), Alias(name="Abu Yusuf", strength=WEAK),
        Alias(name="خالد يوسف النجاري", strength=STRONG)))
    # "dd/07/1970" July 1970, "00/00/1972" 1972, "31/02/1971" (no such day) February 1971
    assert e.birth_dates == (BirthDate(year=1970, month=7), BirthDate(year=1972), BirthDate(year=1971, month=2))
    assert e.nationalities == ("Syria", "Lebanon") and e.address_countries == ("Syria", "Lebanon")
    assert e.identifiers == (Identifier(kind="passport", value="N009911"),)
    assert (e.programmes, e.listed_on, e.places_of_birth) == (
        ("The Syria (Sanctions) (EU Exit) Regulations 2019",), date(2011, 5, 9), ("Aleppo, Syria",))


def test_a_person_with_a_korean_name_and_a_bare_year(by_id) -> None:
    e = by_id["DPR9903"]
    assert (e.primary_name, e.aliases, e.birth_dates) == (
        "Chol Min KIM", (Alias(name="김철민", strength=STRONG),), (BirthDate(year=1975),))
    assert (e.nationalities, e.identifiers) == (("North Korea",), (Identifier(kind="passport", value="836410099"),))


def test_an_entity_with_cyrillic_and_chinese_names_and_a_registration_number(by_id) -> None:
    assert by_id["RUS9904"] == ListEntity(
        source="uk-fcdo", source_id="RUS9904", type=EntityType.ORGANISATION,
        primary_name="SPECIMEN LOGISTIKA LIMITED LIABILITY COMPANY",
        aliases=(Alias(name="OOO SPECIMEN LOGISTIKA", strength=STRONG),  # no strength, not a person: strong
                 Alias(name="ООО СПЕЦИМЕН ЛОГИСТИКА", strength=STRONG),
                 Alias(name="深圳示例物流有限公司", strength=STRONG)),
        identifiers=(Identifier(kind="registration_number", value="1027799990004"),),
        programmes=(RUSSIA,), address_countries=("Russia", "China"), listed_on=date(2023, 2, 24),
    )


def test_a_ship_with_its_imo_number(by_id) -> None:
    e = by_id["RUS9905"]
    assert (e.type, e.primary_name, e.aliases, e.identifiers) == (
        EntityType.VESSEL, "SEA SPECIMEN", (Alias(name="OCEAN SPECIMEN", strength=STRONG),),
        (Identifier(kind="imo", value="9999901"),))


def test_the_format_is_registered_for_the_one_xml_file() -> None:
    entities = parse_list("uk-fcdo-xml", {"UK-Sanctions-List.xml": SPECIMEN.read_bytes()}, "uk-fcdo")
    assert len(entities) == 5


def test_xml_that_is_not_the_uk_list_is_refused() -> None:
    with pytest.raises(ValueError, match="not a UK Sanctions List"):
        parse_uk_fcdo(b"<CONSOLIDATED_LIST><INDIVIDUALS/></CONSOLIDATED_LIST>")


@given(st.integers(min_value=0, max_value=len(SPECIMEN.read_bytes().rstrip()) - 1))
def test_a_truncated_file_raises_a_parse_error(cut: int) -> None:
    """A download cut anywhere is never a shorter list: the parser raises, and the refresh turns
    that into 422 UNREADABLE_LIST (test_list_sources)."""
    with pytest.raises((ET.ParseError, ValueError)):
        parse_uk_fcdo(SPECIMEN.read_bytes()[:cut])


CSV_SPECIMEN = SPECIMEN.with_suffix(".csv")  # the same designations in the list's CSV layout


def test_the_csv_of_the_list_parses_into_the_same_entities_as_its_xml() -> None:
    """One row per name, grouped by Unique ID: the same entities, so the same content hashes (a
    clearance survives a switch between the two files of the list)."""
    from_csv = parse_list("uk-fcdo-csv", {"UK-Sanctions-List.csv": CSV_SPECIMEN.read_bytes()}, "uk-fcdo")
    from_xml = parse_uk_fcdo(SPECIMEN.read_bytes())
    assert from_csv == from_xml
    assert [e.content_hash() for e in from_csv] == [e.content_hash() for e in from_xml]


def test_a_csv_without_the_lists_columns_is_refused() -> None:
    from chalicelib.domain.screening.uk_fcdo import parse_uk_fcdo_csv

    with pytest.raises(ValueError, match="not a UK Sanctions List CSV: no Designation Type, Name 6, Name type"):
        parse_uk_fcdo_csv(b"Last Updated,Group ID,Unique ID\r\n01/01/2026,1,X1\r\n")  # ConList-like
    assert parse_uk_fcdo_csv(CSV_SPECIMEN.read_bytes().split(b"\n", 1)[1])[0].source_id == "RUS9901"  # no report line
