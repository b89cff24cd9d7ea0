from collections import Counter
from pathlib import Path

import pytest

from chalicelib.domain.screening.entities import AliasStrength, BirthDate, EntityType, ListEntity
from chalicelib.domain.screening.formats import parse_list

LISTS = Path(__file__).resolve().parents[2] / "data" / "lists" / "ofac-consolidated"
FILES = ("cons_prim.csv", "cons_alt.csv", "cons_add.csv", "cons_comments.csv")


@pytest.fixture(scope="module")
def by_id() -> dict[str, ListEntity]:
    entities = parse_list("ofac-consolidated-csv", {n: (LISTS / n).read_bytes() for n in FILES}, "ofac-consolidated")
    return {e.source_id: e for e in entities}


def test_counts(by_id: dict[str, ListEntity]) -> None:
    entities = list(by_id.values())
    assert len(entities) == 442
    assert Counter(e.type for e in entities) == {EntityType.ORGANISATION: 363, EntityType.PERSON: 79}
    assert Counter(a.strength for e in entities for a in e.aliases) == {
        AliasStrength.STRONG: 1071,
        AliasStrength.WEAK: 72,
    }
    programmes = Counter(p for e in entities for p in e.programmes)
    assert (programmes["UKRAINE-EO13662"], programmes["NS-PLC"], programmes["CMIC-EO13959"]) == (286, 78, 68)
    assert {e.source for e in entities} == {"ofac-consolidated"}


def test_person_with_alt_and_weak_aliases(by_id: dict[str, ListEntity]) -> None:
    e = by_id["9647"]  # "ZAHHAR, Mahmoud Khaled", SDGT] [NS-PLC
    assert (e.type, e.primary_name, e.programmes) == (EntityType.PERSON, "Mahmoud Khaled ZAHHAR", ("SDGT", "NS-PLC"))
    assert [(a.name, a.strength) for a in e.aliases] == [
        ("Mahmoud Khaled AL ZAHAR", AliasStrength.STRONG),  # cons_alt.csv
        ("Mahmoud ZAHAR", AliasStrength.WEAK),  # a.k.a. 'ZAHAR, Mahmoud' in Remarks
        ("Mahmoud AL-ZAHAR", AliasStrength.WEAK),
    ]
    assert e.birth_dates == (BirthDate(year=1945),)
    assert e.nationalities == ("Palestinian",)


def test_first_record_and_its_aliases(by_id: dict[str, ListEntity]) -> None:
    e = by_id["9639"]
    assert e.primary_name == "Ismail Abdul Salah HANIYA"
    assert [a.name for a in e.aliases] == ["Ismail HANIYA", "Ismaeel HANIYYA"]
    assert e.birth_dates == (BirthDate(year=1962),)
