"""The synthetic consolidated list of the scale bench: seeded, a prefix of a larger list, several
scripts, and the same data as FollowTheMoney JSON lines."""
from __future__ import annotations

import json
import sys
import unicodedata

from tests.conftest import ROOT

sys.path.insert(0, str(ROOT / "bench"))
import sanctions_generator as generator  # noqa: E402

from chalicelib.domain.screening.entities import AliasStrength, EntityType, ListKind  # noqa: E402


def test_the_same_seed_gives_the_same_list_and_a_smaller_list_is_a_prefix_of_a_larger_one():
    small = list(generator.entities(300))
    assert small == list(generator.entities(300))
    assert list(generator.entities(600))[:300] == small
    assert list(generator.entities(300, seed=1)) != small


def test_the_list_mixes_kinds_types_scripts_aliases_and_partial_birth_dates():
    entities = list(generator.entities(3000))
    assert {e.type for e in entities} == {EntityType.PERSON, EntityType.ORGANISATION, EntityType.VESSEL}
    assert {e.kind for e in entities} == {ListKind.SANCTIONS, ListKind.PEP}
    aliases = [a for e in entities for a in e.aliases]
    assert {a.strength for a in aliases} == {AliasStrength.STRONG, AliasStrength.WEAK}
    assert max(len(e.aliases) for e in entities) == 4
    scripts = {unicodedata.name(c, "").split()[0] for a in aliases for c in a.name if c.isalpha()}
    assert {"LATIN", "CYRILLIC", "ARABIC", "CJK", "HANGUL", "DEVANAGARI"} <= scripts
    dates = [b for e in entities for b in e.birth_dates]
    assert any(b.exact for b in dates) and any(b.year and b.month for b in dates) and any(b.year and not b.month for b in dates)
    assert any(not e.birth_dates for e in entities if e.type is EntityType.PERSON)


def test_the_ftm_file_carries_names_aliases_birth_dates_and_topics(tmp_path):
    entities = list(generator.entities(200))
    path = tmp_path / "synthetic.ftm.json"
    assert generator.write_ftm(entities, path) == 200
    records = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]
    by_id = {r["id"]: r for r in records}
    for entity in entities:
        record = by_id[entity.source_id]
        assert record["properties"]["name"] == [entity.primary_name]
        assert record["properties"].get("alias", []) == [a.name for a in entity.aliases if a.strength is AliasStrength.STRONG]
        assert record["properties"].get("weakAlias", []) == [a.name for a in entity.aliases if a.strength is AliasStrength.WEAK]
        assert record["topics"] == (["role.pep"] if entity.kind is ListKind.PEP else ["sanction"])
    assert {r["schema"] for r in records} == {"Person", "Organization", "Vessel"}
    assert any(len(d) == 4 for r in records for d in r["properties"].get("birthDate", []))
    assert any(len(d) == 7 for r in records for d in r["properties"].get("birthDate", []))


def test_non_listed_people_come_from_the_same_pools_with_a_birth_date_and_nationality():
    people = list(generator.non_listed_people(50, seed=7))
    assert people == list(generator.non_listed_people(50, seed=7))
    assert all(name and born.year >= 1936 and len(nationality) == 2 for _, name, born, nationality in people)
