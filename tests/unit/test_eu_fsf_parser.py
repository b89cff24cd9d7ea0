from datetime import date

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
