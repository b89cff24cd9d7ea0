from datetime import date

from chalicelib.domain.screening.entities import (
    Alias,
    AliasStrength,
    BirthDate,
    EntityType,
    Identifier,
)
from chalicelib.domain.screening.uk import parse_uk_ofsi

HEADER = (
    "Name 6,Name 1,Name 2,Name 3,Name 4,Name 5,Title,Name Non-Latin Script,Non-Latin Script Type,"
    "Non-Latin Script Language,DOB,Town of Birth,Country of Birth,Nationality,Passport Number,Passport Details,"
    "National Identification Number,National Identification Details,Position,Address 1,Address 2,Address 3,"
    "Address 4,Address 5,Address 6,Post/Zip Code,Country,Other Information,Group Type,Alias Type,Alias Quality,"
    "Regime,Listed On,UK Sanctions List Date Designated,Last Updated,Group ID"
)


def row(name6: str, name1: str, *, dob: str = "", nationality: str = "", passport: str = "", group_type: str,
        alias_type: str, quality: str = "", regime: str = "Russia", group: str, non_latin: str = "",
        country: str = "", town: str = "", birth_country: str = "", other: str = "", listed: str = "01/03/2022") -> str:
    cells = [name6, name1, "", "", "", "", "", non_latin, "", "", dob, town, birth_country, nationality, passport, "",
             "", "", "", "", "", "", "", "", "", "", country, other, group_type, alias_type, quality, regime, listed, "",
             "01/03/2022", group]
    return ",".join(f'"{c}"' for c in cells)


CONLIST = "\r\n".join([
    "Last Updated,20/11/2026",
    HEADER,
    row("IVANOV", "Ivan", dob="00/00/1964", nationality="(1) Russia (2) Cyprus", passport="123", group_type="Individual",
        alias_type="AKA", quality="Good quality", group="1001"),
    row("IVANOV", "Ivan", dob="12/03/1965", group_type="Individual", alias_type="Primary Name", group="1001",
        non_latin="Иван Иванов", town="Tula", birth_country="Russia", other="Director of a bank.", listed="28/02/2022"),
    row("IVANOFF", "Vanya", group_type="Individual", alias_type="AKA", quality="Low quality", group="1001"),
    row("ACME TRADING LLC", "", group_type="Entity", alias_type="Primary Name", regime="Global Human Rights",
        group="2002", country="Russia"),
    row("SEA STAR", "", group_type="Ship", alias_type="Primary Name", group="3003"),
    row("NOBODY", "", group_type="Entity", alias_type="Primary Name", group=""),
]) + "\r\n"


def test_groups_become_entities() -> None:
    person, company, ship = parse_uk_ofsi(CONLIST.encode("utf-8-sig"))
    assert (person.source, person.source_id, person.type) == ("uk-ofsi", "1001", EntityType.PERSON)
    assert person.primary_name == "Ivan IVANOV"  # Name 1..5 then Name 6 (the surname)
    assert person.aliases == (
        Alias(name="Иван Иванов", strength=AliasStrength.STRONG),
        Alias(name="Vanya IVANOFF", strength=AliasStrength.WEAK),
    )
    assert person.birth_dates == (BirthDate(year=1964), BirthDate(exact=date(1965, 3, 12)))
    assert person.nationalities == ("Russia", "Cyprus")
    assert person.identifiers == (Identifier(kind="passport", value="123"),)
    assert person.programmes == ("Russia",)
    assert (person.places_of_birth, person.remarks, person.listed_on) == (("Tula, Russia",), "Director of a bank.",
                                                                         date(2022, 2, 28))  # the earliest listing
    assert (company.type, company.primary_name, company.programmes, company.address_countries) == (
        EntityType.ORGANISATION, "ACME TRADING LLC", ("Global Human Rights",), ("Russia",),
    )
    assert (ship.type, ship.primary_name) == (EntityType.VESSEL, "SEA STAR")


def test_file_without_the_last_updated_line() -> None:
    body = CONLIST.split("\r\n", 1)[1]
    assert [e.source_id for e in parse_uk_ofsi(body, source="uk-test")] == ["1001", "2002", "3003"]
