import json
from collections import Counter
from datetime import date
from pathlib import Path

from chalicelib.domain.screening.entities import (
    Alias,
    AliasStrength,
    BirthDate,
    EntityType,
    Identifier,
    ListKind,
)
from chalicelib.domain.screening.senzing import parse_senzing

PEP = Path(__file__).resolve().parents[2] / "data" / "lists" / "pep-us-congress" / "us_congress_senzing.json"


def test_us_congress_pep_file() -> None:
    entities = parse_senzing(PEP.read_bytes(), source="pep-us-congress")
    assert len(entities) == 1317  # 1319 lines; the 2 position records (RECORD_TYPE null) skipped
    assert Counter((e.type, e.kind) for e in entities) == {(EntityType.PERSON, ListKind.PEP): 1317}
    assert sum(len(e.aliases) for e in entities) == 33
    by_id = {e.source_id: e for e in entities}
    garcia = by_id["Q18631698"]
    assert garcia.primary_name == 'Jesús G. "Chuy" García'
    assert garcia.aliases == (
        Alias(name="Jesus G. Garcia", strength=AliasStrength.STRONG),
        Alias(name='Jesus G. "Chuy" Garcia', strength=AliasStrength.STRONG),
    )
    assert garcia.birth_dates == (BirthDate(year=1956),)
    assert garcia.nationalities == ("us",)
    assert garcia.identifiers == (Identifier(kind="wikidata", value="Q18631698"),)
    assert garcia.programmes == ("role.pep",)
    assert by_id["NK-AQ4HymsADSK2D63MkyTqfC"].primary_name == "Jennifer L. McClellan"


def test_snippet_types_names_dates_and_sanction_topic() -> None:
    records = [
        {"RECORD_ID": "o1", "RECORD_TYPE": "ORGANIZATION", "NAMES": [{"NAME_TYPE": "PRIMARY", "NAME_ORG": "Acme  Ltd"}],
         "RISKS": [{"TOPIC": "sanction"}], "COUNTRIES": [{"CITIZENSHIP": "ru"}],
         "ADDRESSES": [{"ADDR_COUNTRY": "cy"}]},
        {"RECORD_ID": "p1", "RECORD_TYPE": "PERSON",
         "NAMES": [{"NAME_TYPE": "ALIAS", "NAME_FULL": "J. Doe"},
                   {"NAME_TYPE": "PRIMARY", "NAME_FIRST": "John", "NAME_MIDDLE": "Q", "NAME_LAST": "Doe"}],
         "DATES": [{"DATE_OF_BIRTH": "1970-02-03"}, {"DATE_OF_BIRTH": "1971-13"}, {"DATE_OF_BIRTH": "c. 1970"},
                   {"DATE_OF_DEATH": "2020"}],
         "IDENTIFIERS": [{"PASSPORT_NUMBER": "X1", "PASSPORT_COUNTRY": "fr"}, {"NATIONAL_ID_NUMBER": "N1"}]},
        {"RECORD_ID": "v1", "RECORD_TYPE": "VESSEL", "NAMES": [{"NAME_FULL": "SEA"}]},
        {"RECORD_ID": "", "RECORD_TYPE": "PERSON", "NAMES": [{"NAME_FULL": "No Id"}]},
    ]
    text = "\n".join(json.dumps(r) for r in records) + "\n{not json\n\n"
    org, person = parse_senzing(text, source="test")
    assert (org.type, org.kind, org.primary_name) == (EntityType.ORGANISATION, ListKind.SANCTIONS, "Acme Ltd")
    assert (org.nationalities, org.address_countries) == (("ru",), ("cy",))
    assert (person.kind, person.primary_name) == (ListKind.PEP, "John Q Doe")
    assert person.aliases == (Alias(name="J. Doe", strength=AliasStrength.STRONG),)
    assert person.birth_dates == (BirthDate(exact=date(1970, 2, 3)), BirthDate(year=1971))
    assert person.identifiers == (
        Identifier(kind="passport", value="X1", country="fr"),
        Identifier(kind="national_id", value="N1"),
    )
    assert parse_senzing(json.dumps(records[:1]), source="test")[0].source_id == "o1"  # a JSON array too
