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
from chalicelib.domain.screening.eu import parse_eu_fsf

# Hand-written in the FSF XML shape (namespace http://eu.europa.ec/fpi/fsd/export).
FSF = """<?xml version="1.0" encoding="UTF-8"?>
<export xmlns="http://eu.europa.ec/fpi/fsd/export" generationDate="2026-11-20T10:00:00.000+01:00">
  <sanctionEntity designationDetails="" unitedNationId="IQi.001" euReferenceNumber="EU.27.28" logicalId="13">
    <remark>UNSC RESOLUTION 1483</remark>
    <regulation regulationType="regulation" publicationDate="2003-07-08" numberTitle="1210/2003" programme="IRQ">
      <publicationUrl>https://eur-lex.europa.eu/LexUriServ/LexUriServ.do?uri=OJ:L:2003:169:0006:0023:EN:PDF</publicationUrl>
    </regulation>
    <subjectType code="person" classificationCode="P"/>
    <nameAlias firstName="Saddam" middleName="" lastName="Hussein Al-Tikriti" wholeName="Saddam Hussein Al-Tikriti"
               nameLanguage="" gender="M" title="" function="" strong="true" logicalId="17"/>
    <nameAlias firstName="" middleName="" lastName="" wholeName="Abu Ali" nameLanguage="" strong="false" logicalId="18"/>
    <nameAlias firstName="Saddam" middleName="" lastName="Hussein" wholeName="" nameLanguage="" strong="true" logicalId="19"/>
    <nameAlias wholeName="صدام حسين التكريتي" nameLanguage="AR" strong="true" logicalId="20"/>
    <citizenship region="" countryIso2Code="IQ" countryDescription="IRAQ" logicalId="21"/>
    <birthdate circa="false" calendarType="GREGORIAN" city="al-Awja" birthdate="1937-04-28" dayOfMonth="28"
               monthOfYear="4" year="1937" countryIso2Code="IQ" countryDescription="IRAQ" logicalId="22"/>
    <birthdate circa="true" year="1938" monthOfYear="0" logicalId="23"/>
    <identification identificationTypeCode="passport" identificationTypeDescription="National passport"
                    number="A1234" countryIso2Code="IQ" countryDescription="IRAQ" logicalId="24"/>
    <address city="Baghdad" street="" countryIso2Code="IQ" countryDescription="IRAQ" logicalId="25"/>
  </sanctionEntity>
  <sanctionEntity euReferenceNumber="EU.1.2" logicalId="99">
    <regulation programme="UKR"/>
    <regulation programme="RUS"/>
    <subjectType code="enterprise" classificationCode="E"/>
    <nameAlias wholeName="Acme Trading LLC" strong="true"/>
    <birthdate yearRangeFrom="1990" yearRangeTo="1995"/>
  </sanctionEntity>
  <sanctionEntity logicalId="100"><subjectType code="person"/></sanctionEntity>
</export>"""


def test_person_and_enterprise() -> None:
    person, enterprise = parse_eu_fsf(FSF)  # the nameless entity is skipped
    assert person == ListEntity(
        source="eu-fsf",
        source_id="13",
        type=EntityType.PERSON,
        primary_name="Saddam Hussein Al-Tikriti",
        aliases=(
            Alias(name="Abu Ali", strength=AliasStrength.WEAK),
            Alias(name="Saddam Hussein", strength=AliasStrength.STRONG),  # first + last name parts
            Alias(name="صدام حسين التكريتي", strength=AliasStrength.STRONG),
        ),
        birth_dates=(BirthDate(exact=date(1937, 4, 28)), BirthDate(year=1938, circa=True)),
        nationalities=("IQ",),
        identifiers=(Identifier(kind="passport", value="A1234", country="IRAQ"),),
        programmes=("IRQ",),
        address_countries=("IQ",),
        places_of_birth=("al-Awja, IRAQ",),  # what a reviewer reads: the place, the remark, the listing date
        remarks="UNSC RESOLUTION 1483",
        listed_on=date(2003, 7, 8),
    )
    assert (enterprise.type, enterprise.primary_name, enterprise.programmes) == (
        EntityType.ORGANISATION, "Acme Trading LLC", ("UKR", "RUS"),
    )
    assert enterprise.birth_dates == (BirthDate(year_from=1990, year_to=1995),)


def test_custom_source_and_empty_export() -> None:
    assert parse_eu_fsf(FSF, source="eu-test")[0].source == "eu-test"
    assert parse_eu_fsf('<export xmlns="http://eu.europa.ec/fpi/fsd/export"/>') == []


# A fabricated multi-entity file in the full FSF layout (tests/unit/data/lists/README.md).
SPECIMEN = Path(__file__).parent / "data" / "lists" / "eu-fsf.specimen.xml"
STRONG, WEAK = AliasStrength.STRONG, AliasStrength.WEAK


@pytest.fixture(scope="module")
def by_id() -> dict[str, ListEntity]:
    entities = parse_eu_fsf(SPECIMEN.read_bytes())
    assert [e.source_id for e in entities] == ["990101", "990201", "990301", "990401"]  # 990501 has no name
    return {e.source_id: e for e in entities}


def test_specimen_person_with_cyrillic_names_weak_remark_and_functions(by_id) -> None:
    assert by_id["990101"] == ListEntity(
        source="eu-fsf", source_id="990101", type=EntityType.PERSON,
        primary_name="Arkady Semyonovich VOLKOVSKY",
        aliases=(
            Alias(name="Аркадий Семёнович Волковский", strength=STRONG),  # nameLanguage RU, strong
            Alias(name="Arkasha", strength=WEAK),  # strong="false"
            Alias(name="Arkadii Volkovskii", strength=WEAK),  # strong="true" but its remark says low quality
        ),
        birth_dates=(BirthDate(exact=date(1961, 3, 14)), BirthDate(year=1962)),
        nationalities=("RU",),
        identifiers=(Identifier(kind="passport", value="753190001", country="RUSSIAN FEDERATION"),
                     Identifier(kind="tax_number", value="771234500011")),  # "tin"; country UNKNOWN: none
        programmes=("UKR",),  # two regulations of one programme
        address_countries=("RU",),
        places_of_birth=("Tula, RUSSIAN FEDERATION",),
        remarks="Fabricated specimen entry.",
        listed_on=date(2022, 3, 15),  # the first publication, not the amendment
        positions=("Deputy Director of a fictional state corporation", "Member of a fictional board"),
    )


def test_specimen_person_with_arabic_name_circa_month_and_year_range(by_id) -> None:
    e = by_id["990201"]
    assert (e.primary_name, e.aliases) == ("Khalid Yusuf Al-Najjari", (
        Alias(name="خالد يوسف النجاري", strength=STRONG), Alias(name="Abu Yusuf", strength=WEAK)))
    assert e.birth_dates == (BirthDate(year=1970, month=7, circa=True), BirthDate(year_from=1971, year_to=1973))
    assert e.nationalities == ("SY",)  # the UNKNOWN citizenship is a blank
    assert (e.identifiers, e.programmes, e.listed_on) == (
        (Identifier(kind="passport", value="N009911", country="SYRIAN ARAB REPUBLIC"),), ("TAQA",), date(2002, 5, 29))


def test_specimen_enterprise_with_chinese_name_and_registration_number(by_id) -> None:
    assert by_id["990301"] == ListEntity(
        source="eu-fsf", source_id="990301", type=EntityType.ORGANISATION,
        primary_name="Specimen Harbour Trading Co., Limited",
        aliases=(Alias(name="示例港贸易有限公司", strength=STRONG), Alias(name="SHT", strength=WEAK)),
        identifiers=(Identifier(kind="registration_number", value="91440101MA5SPEC01X", country="CHINA"),),
        programmes=("PRK",), address_countries=("CN",), listed_on=date(2017, 4, 6),
    )


def test_specimen_person_with_korean_name_and_birth_date_in_parts(by_id) -> None:
    e = by_id["990401"]
    assert (e.primary_name, e.aliases) == ("KIM Chol Min", (Alias(name="김철민", strength=STRONG),))
    # "1975-00-00" is the year; year/monthOfYear/dayOfMonth without a birthdate attribute is the day
    assert e.birth_dates == (BirthDate(year=1975), BirthDate(exact=date(1976, 2, 11)))
    assert e.places_of_birth == ("KOREA, DEMOCRATIC PEOPLE'S REPUBLIC OF",) and e.nationalities == ()


def test_xml_that_is_not_an_fsf_export_is_refused() -> None:
    with pytest.raises(ValueError, match="not an EU Financial Sanctions File"):
        parse_eu_fsf("<Designations><Designation/></Designations>")


@given(st.integers(min_value=0, max_value=len(SPECIMEN.read_bytes().rstrip()) - 1))
def test_a_truncated_file_raises_a_parse_error(cut: int) -> None:
    with pytest.raises((ET.ParseError, ValueError)):
        parse_eu_fsf(SPECIMEN.read_bytes()[:cut])
