from datetime import date
from pathlib import Path

import pytest

from chalicelib.domain.models import CheckResult
from chalicelib.domain.screening.entities import (
    Alias,
    AliasStrength,
    BirthDate,
    EntityType,
    ListEntity,
)
from chalicelib.domain.screening.exact_matcher import (
    ListIndex,
    NameKind,
    ScreeningMatch,
    classify,
    screen_person,
)
from chalicelib.domain.screening.normalise import name_key
from chalicelib.domain.screening.ofac import parse_ofac_sdn

LISTS = Path(__file__).resolve().parents[2] / "data" / "lists" / "ofac-sdn"


@pytest.fixture(scope="module")
def sdn() -> ListIndex:
    entities, _ = parse_ofac_sdn(
        *((LISTS / name).read_bytes() for name in ("sdn.csv", "alt.csv", "add.csv", "sdn_comments.csv"))
    )
    return ListIndex.build(entities)


def outcome(matches: list[ScreeningMatch]) -> dict[str, bool]:
    return {c.code: c.passed for c in classify(matches)}


MATCH = {"SANCTIONS_MATCH": False, "SANCTIONS_POSSIBLE_MATCH": True}
POSSIBLE = {"SANCTIONS_MATCH": True, "SANCTIONS_POSSIBLE_MATCH": False}
CLEAR = {"SANCTIONS_MATCH": True, "SANCTIONS_POSSIBLE_MATCH": True}


# --- the shipped OFAC list -----------------------------------------------------------------


@pytest.mark.parametrize(
    "full_name",
    ["Mohammad Reza Naqdi", "NAQDI, Mohammad Reza", "Naqdi Mohammad Reza", "reza  NAQDI mohammad"],
)
def test_primary_name_in_any_word_order_is_a_match(sdn: ListIndex, full_name: str) -> None:
    (m,) = screen_person(sdn, full_name, None)  # 12057 "NAQDI, Mohammad Reza", DOB 1951 to 1953 ...
    assert (m.source, m.source_id, m.name_kind, m.score) == ("ofac-sdn", "12057", NameKind.PRIMARY, 1.0)
    assert m.matched_name == "Mohammad Reza NAQDI"
    assert m.birth_date_agrees is None
    assert "IRGC" in m.programmes
    assert outcome([m]) == MATCH
    assert outcome(screen_person(sdn, full_name, date(1952, 6, 1))) == MATCH


def test_strong_alias_with_agreeing_birth_date_is_a_match(sdn: ListIndex) -> None:
    (m,) = screen_person(sdn, "Zayn al-Abidin Muhammad Husayn", date(1971, 3, 12))
    assert (m.source_id, m.name_kind, m.birth_date_agrees) == ("6905", NameKind.STRONG_ALIAS, True)
    assert outcome([m]) == MATCH


def test_weak_alias_is_only_a_possible_match(sdn: ListIndex) -> None:
    (m,) = screen_person(sdn, "Qorgab", None)  # 11748: a.k.a. 'QORGAB' in Remarks
    assert (m.source_id, m.name_kind, m.matched_name) == ("11748", NameKind.WEAK_ALIAS, "QORGAB")
    assert outcome([m]) == POSSIBLE
    assert outcome(screen_person(sdn, "Tariq", date(1971, 3, 12))) == POSSIBLE  # 6905, DOB agrees


def test_contradicting_birth_date_makes_a_primary_match_possible_only(sdn: ListIndex) -> None:
    # 7929 "YUNOS, Mukhlis": DOB circa 07 Jul 1966
    (m,) = screen_person(sdn, "Mukhlis Yunos", date(1990, 1, 1))
    assert (m.source_id, m.name_kind, m.birth_date_agrees) == ("7929", NameKind.PRIMARY, False)
    assert outcome([m]) == POSSIBLE
    assert outcome(screen_person(sdn, "Mukhlis Yunos", date(1967, 12, 31))) == MATCH  # circa
    # 6905: exact DOB 12 Mar 1971
    assert outcome(screen_person(sdn, "Abu Zubaydah", date(1971, 3, 13))) == POSSIBLE


def test_clean_name_passes_both_checks(sdn: ListIndex) -> None:
    matches = screen_person(sdn, "Jane Example-Applicant", date(1990, 5, 17))
    assert matches == []
    assert classify(matches) == [
        CheckResult(code="SANCTIONS_MATCH", passed=True),
        CheckResult(code="SANCTIONS_POSSIBLE_MATCH", passed=True),
    ]
    assert screen_person(sdn, "", None) == screen_person(sdn, "Dr.", None) == []


@pytest.mark.parametrize(
    "name", ["Banco Nacional de Cuba", "National Bank of Cuba", "BNC", "Hermann", "EP-GOM"]
)
def test_organisations_vessels_and_aircraft_never_match_a_person(sdn: ListIndex, name: str) -> None:
    assert sdn.lookup(name_key(name))  # the name is listed ...
    assert screen_person(sdn, name, None) == []  # ... but not for a person


# --- hand-made entities --------------------------------------------------------------------


def person(
    source_id: str, name: str, *aliases: Alias, source: str = "list-a", **fields: object
) -> ListEntity:
    return ListEntity(
        source=source,
        source_id=source_id,
        type=EntityType.PERSON,
        primary_name=name,
        aliases=aliases,
        **fields,
    )


def test_one_match_per_entity_on_its_strongest_name() -> None:
    entity = person(
        "1",
        "Ali HASSAN",
        Alias(name="HASSAN, Ali", strength=AliasStrength.WEAK),
        Alias(name="Hassan Ali", strength=AliasStrength.STRONG),
    )
    alias_only = person("2", "Someone ELSE", Alias(name="ALI Hassan", strength=AliasStrength.WEAK))
    index = ListIndex.build([alias_only, entity])
    matches = screen_person(index, "Hassan Ali", None)
    assert [(m.source_id, m.name_kind, m.matched_name) for m in matches] == [
        ("2", NameKind.WEAK_ALIAS, "ALI Hassan"),
        ("1", NameKind.PRIMARY, "Ali HASSAN"),
    ]
    assert outcome(matches) == MATCH


def test_classify_details_name_sources_and_entries_never_the_applicant() -> None:
    index = ListIndex.build(
        [
            person("7", "Ivan PETROV", birth_dates=(BirthDate(year=1970),)),
            person("8", "Ivan PETROV", birth_dates=(BirthDate(year=1990),)),
            person("QDi.1", "Petrov Ivan", source="list-b"),
        ]
    )
    matches = screen_person(index, "Ivan Petrov", date(1970, 2, 2))
    assert [m.birth_date_agrees for m in matches] == [True, False, None]
    match, possible = classify(matches)
    assert match == CheckResult(
        code="SANCTIONS_MATCH", passed=False, detail="list-a: 1 entry (7); list-b: 1 entry (QDi.1)"
    )
    assert possible == CheckResult(code="SANCTIONS_POSSIBLE_MATCH", passed=True)
    assert classify(matches[1:2])[1].detail == "list-a: 1 entry (8)"
    both_contradict = screen_person(index, "Ivan Petrov", date(1980, 1, 1))[:2]
    assert classify(both_contradict)[1].detail == "list-a: 2 entries (7, 8)"
    assert all("petrov" not in c.detail.casefold() for c in classify(matches))


@pytest.mark.parametrize(
    ("birth_date", "day", "agrees"),
    [
        (BirthDate(exact=date(1957, 10, 10)), date(1957, 10, 10), True),
        (BirthDate(exact=date(1957, 10, 10)), date(1957, 10, 11), False),
        (BirthDate(exact=date(1957, 10, 10), circa=True), date(1959, 1, 1), True),
        (BirthDate(exact=date(1957, 10, 10), circa=True), date(1960, 1, 1), False),
        (BirthDate(year=1958), date(1958, 12, 31), True),
        (BirthDate(year=1958), date(1959, 1, 1), False),
        (BirthDate(year=1958, circa=True), date(1956, 1, 1), True),
        (BirthDate(year=1957, month=10), date(1957, 10, 1), True),
        (BirthDate(year=1957, month=10), date(1957, 11, 1), False),
        (BirthDate(year_from=1958, year_to=1960), date(1960, 6, 1), True),
        (BirthDate(year_from=1958, year_to=1960), date(1961, 1, 1), False),
        (BirthDate(year_from=1979, year_to=1982, circa=True), date(1984, 1, 1), True),
        (BirthDate(), date(2000, 1, 1), None),
    ],
)
def test_birth_date_agreement(birth_date: BirthDate, day: date, agrees: bool | None) -> None:
    assert birth_date.agrees_with(day) is agrees


def test_entity_birth_date_agreement_over_alternatives() -> None:
    two = person("1", "A B", birth_dates=(BirthDate(year=1958), BirthDate(exact=date(1960, 1, 2))))
    assert two.birth_date_agrees(date(1960, 1, 2)) is True
    assert two.birth_date_agrees(date(1959, 1, 1)) is False
    assert person("2", "A B").birth_date_agrees(date(1959, 1, 1)) is None


@pytest.mark.parametrize(
    "fields",
    [
        {"exact": date(1957, 1, 1), "year": 1957},
        {"month": 10},
        {"year": 1957, "month": 13},
        {"year_from": 1960},
        {"year_from": 1962, "year_to": 1960},
    ],
)
def test_inconsistent_birth_dates_are_rejected(fields: dict[str, object]) -> None:
    with pytest.raises(ValueError):
        BirthDate.model_validate(fields)
