from collections import Counter
from datetime import date
from pathlib import Path

import pytest

from chalicelib.domain.screening.entities import (
    Alias,
    AliasStrength,
    BirthDate,
    EntityType,
    Identifier,
    ListEntity,
    ListKind,
)
from chalicelib.domain.screening.un import parse_un_consolidated

XML = Path(__file__).resolve().parents[2] / "data" / "lists" / "un-sc" / "consolidated.xml"


@pytest.fixture(scope="module")
def entities() -> list[ListEntity]:
    return parse_un_consolidated(XML.read_bytes())


@pytest.fixture(scope="module")
def by_ref(entities: list[ListEntity]) -> dict[str, ListEntity]:
    return {e.source_id: e for e in entities}


def names(entity: ListEntity, strength: AliasStrength) -> list[str]:
    return [a.name for a in entity.aliases if a.strength is strength]


def test_counts(entities: list[ListEntity]) -> None:
    assert Counter(e.type for e in entities) == {EntityType.PERSON: 730, EntityType.ORGANISATION: 273}
    assert len({e.source_id for e in entities}) == 1003
    assert {e.source for e in entities} == {"un-sc"} and {e.kind for e in entities} == {ListKind.SANCTIONS}
    assert Counter(a.strength for e in entities for a in e.aliases) == {
        AliasStrength.STRONG: 2571,  # Good, a.k.a., f.k.a. and NAME_ORIGINAL_SCRIPT
        AliasStrength.WEAK: 619,  # Low
    }
    assert Counter(p for e in entities for p in e.programmes)["Al-Qaida"] == 341


def test_individual_with_aliases_original_script_and_two_birth_dates(by_ref: dict[str, ListEntity]) -> None:
    e = by_ref["QDi.001"]
    assert (e.type, e.primary_name, e.programmes) == (
        EntityType.PERSON,
        "MOHAMMED SALAHALDIN ABD EL HALIM ZIDANE",  # FIRST_NAME .. FOURTH_NAME
        ("Al-Qaida",),
    )
    assert names(e, AliasStrength.STRONG) == ["Sayf-Al Adl", "Muhamad Ibrahim Makkawi", "محمد صلاح الدين عبدالحليم زيدان"]
    assert names(e, AliasStrength.WEAK) == ["Ibrahim al-Madani", "Saif Al-'Adil", "Seif al Adel"]
    assert e.birth_dates == (BirthDate(exact=date(1963, 4, 11)), BirthDate(exact=date(1960, 4, 11)))
    assert e.nationalities == ("Egypt",)
    assert e.places_of_birth == ("Monufia Governate, Egypt",)  # what a reviewer reads besides
    assert e.listed_on == date(2001, 1, 25)
    assert e.remarks.startswith("Responsible for Usama bin Laden’s (deceased) security.")


def test_alias_names_listing_several_spellings_are_split(by_ref: dict[str, ListEntity]) -> None:
    soleimani = next(e for e in by_ref.values() if "Qasim Soleimani" in names(e, AliasStrength.STRONG))
    assert names(soleimani, AliasStrength.STRONG)[:3] == ["Qasim Soleimani", "Qasem Sulaimani", "Qasim Sulaimani"]
    assert "Sardar Soleimani" in names(soleimani, AliasStrength.WEAK)


def test_birth_date_types(by_ref: dict[str, ListEntity]) -> None:
    assert by_ref["CDi.030"].birth_dates == (BirthDate(year_from=1973, year_to=1974),)  # BETWEEN
    assert by_ref["CDi.014"].birth_dates == (  # EXACT date, APPROXIMATELY year
        BirthDate(exact=date(1962, 3, 17)),
        BirthDate(year=1966, circa=True),
    )
    assert by_ref["CDi.001"].birth_dates == (BirthDate(year=1971),)  # EXACT with YEAR only


def test_documents_and_nationality(by_ref: dict[str, ListEntity]) -> None:
    e = by_ref["CDi.021"]
    assert e.primary_name == "FLORIBERT NGABU NJABU"
    assert e.identifiers == (
        Identifier(kind="passport", value="OB 0243318", country="Democratic Republic of the Congo"),
    )
    assert e.nationalities == ("Democratic Republic of the Congo",)
    assert e.birth_dates == (BirthDate(exact=date(1971, 5, 23)),)


def test_entity_with_aka_and_fka(by_ref: dict[str, ListEntity]) -> None:
    e = by_ref["CDe.001"]
    assert (e.type, e.primary_name, e.programmes) == (EntityType.ORGANISATION, "ADF", ("DRC",))
    assert e.aliases[0] == Alias(name="Allied Democratic Forces", strength=AliasStrength.STRONG)
    assert names(e, AliasStrength.STRONG)[-2:] == ["ADF/NALU", "NALU"]  # f.k.a. are strong
    assert e.address_countries == ("Democratic Republic of the Congo",)


SNIPPET = """<?xml version="1.0" encoding="UTF-8"?>
<CONSOLIDATED_LIST dateGenerated="2026-01-01T00:00:00Z">
  <INDIVIDUALS>
    <INDIVIDUAL>
      <DATAID>1</DATAID><FIRST_NAME>JOHN</FIRST_NAME><SECOND_NAME>DOE</SECOND_NAME>
      <UN_LIST_TYPE>Test</UN_LIST_TYPE><REFERENCE_NUMBER>TSi.001</REFERENCE_NUMBER>
      <INDIVIDUAL_ALIAS><QUALITY>Good</QUALITY><ALIAS_NAME>DOE, Johnny; Jon Doe</ALIAS_NAME></INDIVIDUAL_ALIAS>
      <INDIVIDUAL_ALIAS><QUALITY>Low</QUALITY><ALIAS_NAME>a) JD b) Jon Doe</ALIAS_NAME></INDIVIDUAL_ALIAS>
      <INDIVIDUAL_ALIAS><QUALITY/><ALIAS_NAME/></INDIVIDUAL_ALIAS>
      <INDIVIDUAL_DATE_OF_BIRTH><TYPE_OF_DATE>BETWEEN</TYPE_OF_DATE><FROM_YEAR>1970</FROM_YEAR><TO_YEAR>1960</TO_YEAR></INDIVIDUAL_DATE_OF_BIRTH>
      <INDIVIDUAL_DATE_OF_BIRTH><TYPE_OF_DATE>EXACT</TYPE_OF_DATE><DATE>1970-02-30</DATE></INDIVIDUAL_DATE_OF_BIRTH>
      <INDIVIDUAL_DATE_OF_BIRTH><TYPE_OF_DATE>APPROXIMATELY</TYPE_OF_DATE><DATE>1970-02-03</DATE></INDIVIDUAL_DATE_OF_BIRTH>
      <INDIVIDUAL_DATE_OF_BIRTH><TYPE_OF_DATE>EXACT</TYPE_OF_DATE><DATE>1968-00-00</DATE></INDIVIDUAL_DATE_OF_BIRTH>
      <INDIVIDUAL_DATE_OF_BIRTH><TYPE_OF_DATE>APPROXIMATELY</TYPE_OF_DATE><DATE>1966-05</DATE></INDIVIDUAL_DATE_OF_BIRTH>
      <INDIVIDUAL_DOCUMENT><TYPE_OF_DOCUMENT>Numéro de passeport </TYPE_OF_DOCUMENT><NUMBER>X1</NUMBER><COUNTRY_OF_ISSUE>France</COUNTRY_OF_ISSUE></INDIVIDUAL_DOCUMENT>
    </INDIVIDUAL>
    <INDIVIDUAL><DATAID>2</DATAID><UN_LIST_TYPE>Test</UN_LIST_TYPE></INDIVIDUAL>
  </INDIVIDUALS>
  <ENTITIES/>
</CONSOLIDATED_LIST>"""


def test_snippet_edge_cases() -> None:
    (e,) = parse_un_consolidated(SNIPPET, source="test")  # the nameless record is skipped
    assert (e.source, e.source_id, e.primary_name) == ("test", "TSi.001", "JOHN DOE")
    assert [(a.name, a.strength) for a in e.aliases] == [
        ("Johnny DOE", AliasStrength.STRONG),  # "SURNAME, Given" reordered for persons
        ("Jon Doe", AliasStrength.STRONG),  # strong wins over the same name listed as low
        ("JD", AliasStrength.WEAK),
    ]
    # a reversed range is unreadable: dropped; 30 Feb keeps the month; an approximate exact date is circa
    assert e.birth_dates == (BirthDate(year=1970, month=2), BirthDate(exact=date(1970, 2, 3), circa=True),
                             BirthDate(year=1968), BirthDate(year=1966, month=5, circa=True))  # partial dates
    assert e.identifiers == (Identifier(kind="passport", value="X1", country="France"),)
