from collections import Counter
from datetime import date
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from chalicelib.domain.screening.entities import (
    Alias,
    AliasStrength,
    BirthDate,
    EntityType,
    Identifier,
    ListEntity,
)
from chalicelib.domain.screening.ofac import ParseReport, parse_ofac_sdn

LISTS = Path(__file__).resolve().parents[2] / "data" / "lists" / "ofac-sdn"


@pytest.fixture(scope="module")
def parsed() -> tuple[list[ListEntity], ParseReport]:
    return parse_ofac_sdn(
        *((LISTS / name).read_bytes() for name in ("sdn.csv", "alt.csv", "add.csv", "sdn_comments.csv"))
    )


@pytest.fixture(scope="module")
def by_id(parsed: tuple[list[ListEntity], ParseReport]) -> dict[str, ListEntity]:
    return {e.source_id: e for e in parsed[0]}


def strong(entity: ListEntity) -> list[str]:
    return [a.name for a in entity.aliases if a.strength is AliasStrength.STRONG]


def weak(entity: ListEntity) -> list[str]:
    return [a.name for a in entity.aliases if a.strength is AliasStrength.WEAK]


# --- the shipped full list ---------------------------------------------------------------


def test_full_list_counts(parsed: tuple[list[ListEntity], ParseReport]) -> None:
    entities, report = parsed
    assert report == ParseReport() and report.skipped == 0
    assert len(entities) == 8976
    assert len({e.source_id for e in entities}) == 8976
    assert Counter(e.type for e in entities) == {
        EntityType.PERSON: 4620,
        EntityType.ORGANISATION: 3673,
        EntityType.VESSEL: 406,
        EntityType.AIRCRAFT: 277,
    }
    # alt.csv has 11,910 rows, all kept but 6 that repeat the primary name or another alias
    # of the same entry (e.g. 20125 "KIM, Kyong Ok" is listed with itself as an a.k.a.).
    assert (LISTS / "alt.csv").read_bytes().count(b"\n") == 11910
    assert sum(len(strong(e)) for e in entities) == 11910 - 6
    assert sum(len(weak(e)) for e in entities) == 2441
    assert {e.source for e in entities} == {"ofac-sdn"}


def test_person_with_dob_nationality_passport_and_weak_aka(by_id: dict[str, ListEntity]) -> None:
    e = by_id["6905"]  # "ABU ZUBAYDAH": no comma, so no reordering
    assert (e.type, e.primary_name, e.programmes) == (EntityType.PERSON, "ABU ZUBAYDAH", ("SDGT",))
    assert e.birth_dates == (BirthDate(exact=date(1971, 3, 12)),)
    assert e.nationalities == ("Palestinian",)
    assert e.identifiers == (Identifier(kind="passport", value="484824", country="Egypt"),)
    assert weak(e) == ["TARIQ"]
    assert "Zayn al-Abidin Muhammad HUSAYN" in strong(e)  # alt.csv "HUSAYN, Zayn al-Abidin Muhammad"


def test_surname_given_reordered_for_persons_and_aliases(by_id: dict[str, ListEntity]) -> None:
    e = by_id["7150"]  # "AL-LIBI, Abd al-Muhsin"
    assert e.primary_name == "Abd al-Muhsin AL-LIBI"
    assert strong(e)[:2] == ["Ibrahim Ali Muhammad ABU BAKR", "Abdel Ilah SABRI"]
    # a.k.a. ''ABD AL-MUHSI' (the name itself starts with an apostrophe for the ayn)
    assert weak(e) == ["ABU ANAS", "'ABD AL-MUHSI", "'ABD AL-RAHMAN"]
    assert e.birth_dates == (BirthDate(year=1966), BirthDate(exact=date(1969, 10, 27)))
    assert e.identifiers == (Identifier(kind="passport", value="203037", country="Libya"),)
    assert e.address_countries == ("South Africa",)


def test_weak_aliases_in_surname_given_form_are_reordered(by_id: dict[str, ListEntity]) -> None:
    e = by_id["11748"]  # DOB circa 1979-1982; alt. DOB 1982; a.k.a. 'MUSCAB, Abu'
    assert e.primary_name == "Bashir Mohamed MAHAMOUD"
    assert weak(e) == ["Abu MUSCAB", "QORGAB"]
    assert e.birth_dates == (BirthDate(year_from=1979, year_to=1982, circa=True), BirthDate(year=1982))
    assert e.nationalities == ("Somalia",)


@pytest.mark.parametrize(
    ("ent_num", "birth_dates"),
    [
        ("7929", (BirthDate(exact=date(1966, 7, 7), circa=True),)),  # DOB circa 07 Jul 1966
        ("6862", (BirthDate(year=1938, month=9),)),  # DOB Sep 1938
        ("23470", (BirthDate(year_from=1962, year_to=1963),)),  # DOB Mar 1962 to Feb 1963
        ("15962", (BirthDate(year_from=1961, year_to=1962),)),  # 01 Jan 1961 to 31 Dec 1962
        (
            "12057",  # DOB 1951 to 1953; alt. DOB 1960 to 1962; alt. DOB Apr 1961; alt. DOB 1953
            (
                BirthDate(year_from=1951, year_to=1953),
                BirthDate(year_from=1960, year_to=1962),
                BirthDate(year=1961, month=4),
                BirthDate(year=1953),
            ),
        ),
    ],
)
def test_birth_date_forms(by_id: dict[str, ListEntity], ent_num: str, birth_dates: tuple) -> None:
    assert by_id[ent_num].birth_dates == birth_dates


def test_identifiers_and_nationalities(by_id: dict[str, ListEntity]) -> None:
    assert by_id["7326"].identifiers == (  # Passport 1091875; National ID No. 660000 73767 (Belgium)
        Identifier(kind="passport", value="1091875"),
        Identifier(kind="national_id", value="660000 73767", country="Belgium"),
    )
    assert by_id["7326"].birth_dates == (BirthDate(exact=date(1966, 1, 1)),)
    assert by_id["11377"].nationalities == ("Egypt", "Pakistan")  # nationality; alt. nationality
    assert by_id["11377"].birth_dates == (BirthDate(year=1945, month=3),)
    # repeated clauses are kept once (6703 lists DOB 31 Jul 1964 twice)
    assert by_id["6703"].birth_dates == (
        BirthDate(exact=date(1964, 7, 31)),
        BirthDate(exact=date(1965, 7, 31)),
    )


def test_multi_programme_column(by_id: dict[str, ListEntity]) -> None:
    assert by_id["4632"].programmes == ("IRAN", "SDGT", "IRGC", "IFSR")
    assert by_id["12057"].programmes == ("SDGT", "NPWMD", "IRGC", "IFSR", "IRAN-HR", "IRAN-EO13876")


def test_entity_types_and_names_kept_as_listed(by_id: dict[str, ListEntity]) -> None:
    assert (by_id["4234"].type, by_id["4234"].primary_name) == (EntityType.VESSEL, "HERMANN")
    assert (by_id["15431"].type, by_id["15431"].primary_name) == (EntityType.AIRCRAFT, "EP-GOM")
    bank = by_id["306"]
    assert (bank.type, bank.primary_name) == (EntityType.ORGANISATION, "BANCO NACIONAL DE CUBA")
    assert bank.aliases == (
        Alias(name="NATIONAL BANK OF CUBA", strength=AliasStrength.STRONG),
        Alias(name="BNC", strength=AliasStrength.WEAK),
    )
    assert bank.address_countries == ("Switzerland", "Spain", "Japan", "Panama")
    assert by_id["173"].primary_name == "ANGLO-CARIBBEAN CO., LTD."  # organisations: no reordering


def test_comments_continue_remarks_mid_word(by_id: dict[str, ListEntity]) -> None:
    # sdn.csv ends "... a.k.a. 'snowsjo", sdn_comments.csv continues "hn'; Linked To: ..."
    assert weak(by_id["28263"])[-1] == "snowsjohn"
    assert by_id["28263"].birth_dates == (BirthDate(exact=date(1986, 7, 12)),)


# --- hand-written edge cases -------------------------------------------------------------

SDN = (
    '10,"DOE, John","individual","SDGT] [IRGC",-0- ,-0- ,-0- ,-0- ,-0- ,-0- ,-0- ,'
    '"DOB 10 Oct 1957; alt. DOB circa 1958; POB Tabriz, Iran; nationality Iran; citizen Iraq; '
    "Passport A123 (Iran); a.k.a. 'ABU X'; Gender Male.\"\r\n"
    '11,"ACME, ""THE"" TRADING CO., LTD.",-0- ,"CUBA",-0- ,-0- ,-0- ,-0- ,-0- ,-0- ,-0- ,-0- \r\n'
    '12,"SEA STAR","vessel","CUBA",-0- ,"CL1","Cargo","1","1","Cuba",-0- ,-0- \r\n'
    "\x1a"
)


def test_snippet_nulls_quotes_commas_and_eof_byte() -> None:
    entities, report = parse_ofac_sdn(SDN.encode())
    assert report.skipped == 0
    person, company, vessel = entities
    assert person == ListEntity(
        source="ofac-sdn",
        source_id="10",
        type=EntityType.PERSON,
        primary_name="John DOE",
        aliases=(Alias(name="ABU X", strength=AliasStrength.WEAK),),
        birth_dates=(BirthDate(exact=date(1957, 10, 10)), BirthDate(year=1958, circa=True)),
        nationalities=("Iran", "Iraq"),
        identifiers=(Identifier(kind="passport", value="A123", country="Iran"),),
        programmes=("SDGT", "IRGC"),
        places_of_birth=("Tabriz, Iran",),
        remarks="DOB 10 Oct 1957; alt. DOB circa 1958; POB Tabriz, Iran; nationality Iran; citizen Iraq; "
                "Passport A123 (Iran); a.k.a. 'ABU X'; Gender Male.",
    )
    assert company.type is EntityType.ORGANISATION
    assert company.primary_name == 'ACME, "THE" TRADING CO., LTD.'
    assert (company.aliases, company.birth_dates, company.programmes) == ((), (), ("CUBA",))
    assert (vessel.type, vessel.primary_name) == (EntityType.VESSEL, "SEA STAR")


def test_alt_add_and_comments_are_attached() -> None:
    sdn = (
        '10,"DOE, John","individual",-0- ,-0- ,-0- ,-0- ,-0- ,-0- ,-0- ,-0- ,"a.k.a. \'ABU X"\r\n'
        + SDN[SDN.index("11,") :]
    )
    alt = (
        '10,1,"aka","DOE, Johnny",-0- \r\n'
        '10,2,"fka","ROE, Jon",-0- \r\n'
        '11,3,"nka","ACME NEW",-0- \r\n\x1a'
    )
    add = (
        '10,1,-0- ,"Tehran","Iran",-0- \r\n'
        '10,2,"1 Road","Baghdad","Iraq",-0- \r\n'
        "10,3,-0- ,-0- ,-0- ,-0- \r\n\x1a"
    )
    comments = "10,\" Jnr'; a.k.a. 'JD'.\"\r\n\x1a"
    entities, report = parse_ofac_sdn(sdn, alt, add, comments)
    assert report.skipped == 0
    person = entities[0]
    assert [(a.name, a.strength) for a in person.aliases] == [
        ("Johnny DOE", AliasStrength.STRONG),
        ("Jon ROE", AliasStrength.STRONG),
        ("ABU X Jnr", AliasStrength.WEAK),  # the comment continues at a space: kept
        ("JD", AliasStrength.WEAK),
    ]
    assert person.programmes == ()
    assert person.address_countries == ("Iran", "Iraq")
    assert entities[1].aliases == (Alias(name="ACME NEW", strength=AliasStrength.STRONG),)


def test_malformed_rows_are_skipped_and_counted() -> None:
    sdn = (
        '10,"DOE, John","individual",-0- \r\n'  # too few columns
        'X1,"BAD ID",-0- ,-0- ,-0- ,-0- ,-0- ,-0- ,-0- ,-0- ,-0- ,-0- \r\n'  # not a number
        '13,-0- ,-0- ,-0- ,-0- ,-0- ,-0- ,-0- ,-0- ,-0- ,-0- ,-0- \r\n'  # no name
        '14,"' + "X" * 200_000 + '",-0- ,-0- ,-0- ,-0- ,-0- ,-0- ,-0- ,-0- ,-0- ,-0- \r\n'  # csv limit
        "\r\n"  # blank line: ignored, not counted
        + SDN[SDN.index("11,") :]
        + '11,"DUPLICATE",-0- ,-0- ,-0- ,-0- ,-0- ,-0- ,-0- ,-0- ,-0- ,-0- \r\n'
    )
    alt = '99,1,"aka","NOBODY",-0- \r\n11,2,"aka",-0- ,-0- \r\n11,3,"aka"\r\n'
    add = '99,1,-0- ,-0- ,"Cuba",-0- \r\n'
    comments = '99,"orphan"\r\n'
    entities, report = parse_ofac_sdn(sdn, alt, add, comments)
    assert [e.source_id for e in entities] == ["11", "12"]
    assert entities[0].primary_name == 'ACME, "THE" TRADING CO., LTD.'
    assert report == ParseReport(skipped_sdn=5, skipped_alt=3, skipped_add=1, skipped_comments=1)
    assert report.skipped == 10


def test_cr_record_separator_cp1252_and_custom_source() -> None:
    sdn = (
        '20,"MÜLLER, Jörg","individual","UKRAINE-EO13660",-0- ,-0- ,-0- ,-0- ,-0- ,-0- ,-0- ,'
        '"DOB 1960 to 1962."\r'
    )
    entities, report = parse_ofac_sdn(sdn.encode("cp1252") + b"\x1a", source="test-list")
    assert report.skipped == 0
    (e,) = entities
    assert (e.source, e.primary_name, e.birth_dates) == (
        "test-list",
        "Jörg MÜLLER",
        (BirthDate(year_from=1960, year_to=1962),),
    )


def test_unreadable_remarks_are_ignored() -> None:
    remarks = (
        "DOB 31 Feb 1960; alt. DOB sometime; nationality possibly Palestinian; "
        "Passport issued in Sarajevo"
    )
    sdn = f'30,"X, Y","individual",-0- ,-0- ,-0- ,-0- ,-0- ,-0- ,-0- ,-0- ,"{remarks}"\n'
    (e,), _ = parse_ofac_sdn(sdn)
    assert e.birth_dates == (BirthDate(year=1960, month=2),)  # invalid day: month precision kept
    assert (e.nationalities, e.identifiers) == ((), ())


def test_empty_input() -> None:
    assert parse_ofac_sdn(b"") == ([], ParseReport())
    assert parse_ofac_sdn("\x1a") == ([], ParseReport())


csv_like = st.lists(
    st.one_of(
        st.sampled_from(
            ['"', ",", "-0- ", "\r\n", "\r", "\n", "\x1a", "\x00", ";", "'", "10", "individual"]
            + ["DOB ", "circa ", "12 Mar 1971", "1958 to 1960", "a.k.a. '", "Passport ", "(Iran)"]
            + ["nationality ", "SMITH, John", "] [", "31 Feb 2000", "1962 to 1958"]
        ),
        st.text(max_size=5),
    ),
    max_size=60,
).map("".join)


@settings(max_examples=300, deadline=None)
@given(csv_like, csv_like, csv_like, st.binary(max_size=200))
def test_never_raises(sdn: str, alt: str, comments: str, add: bytes) -> None:
    rows = '10,"SMITH, John","individual",-0- ,-0- ,-0- ,-0- ,-0- ,-0- ,-0- ,-0- ,"' + sdn + '"\r\n'
    entities, report = parse_ofac_sdn(rows + sdn, "10," + alt, add, "10," + comments)
    assert report.skipped >= 0 and all(isinstance(e, ListEntity) for e in entities)
