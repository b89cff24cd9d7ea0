"""A seeded synthetic consolidated list (sanctions and PEPs, as OpenSanctions publishes one):
N entities, persons mostly, some organisations and vessels, with names from 13 locales in
Latin, Cyrillic, Arabic, Chinese, Hangul and Devanagari scripts.

Each person has a primary name (Latin script, as the lists print it; for names from another
script, anyascii's transliteration part by part), 0 to 4 aliases (the original script, another
transliteration, surname first, a middle name dropped or added; weak aliases: a nickname, the
surname alone, "Abu <given>"), partial birth dates (full, year-month, year only, or missing; a few
with two) and 0 to 2 nationalities (ISO alpha-2, as FollowTheMoney writes them). Organisations and
vessels are built from the same surnames and word pools.

Fast enough for 1,000,000 entities: Faker is asked once per locale for pools of given and family
names (Faker's per-call cost would take minutes), then everything is combined with one
random.Random, so the same seed gives the same list.

`entities(n, seed)` yields chalicelib ListEntity objects; `write_ftm(entities, path)` writes them
as FollowTheMoney JSON lines (`{"id", "schema", "properties": {"name", "alias", "weakAlias",
"birthDate", "nationality"}, "topics", "datasets"}`) for a FtM loader;
`non_listed_people(n, seed)` draws persons from the same pools (the caller checks they are not
listed).

    python bench/sanctions_generator.py 1000000 /tmp/synthetic.ftm.json   # writes the FtM file
"""
from __future__ import annotations

import argparse
import json
import random
from bisect import bisect
import sys
import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import date
from functools import cache
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from anyascii import anyascii  # noqa: E402

from chalicelib.domain.screening.entities import (  # noqa: E402
    Alias, AliasStrength, BirthDate, EntityType, ListEntity, ListKind,
)

SOURCE = "synthetic"
SEED = 20261202
POOL_DRAWS = 4000  # Faker calls per locale and pool: enough to exhaust most locales' name tables

# locale -> (nationality, ISO alpha-2; share of the persons; script the locale writes)
LOCALES = {
    "en_US": ("us", 0.10, "latin"), "en_GB": ("gb", 0.06, "latin"), "de_DE": ("de", 0.08, "latin"),
    "fr_FR": ("fr", 0.06, "latin"), "es_ES": ("es", 0.09, "latin"), "tr_TR": ("tr", 0.07, "latin"),
    "ru_RU": ("ru", 0.14, "cyrillic"), "ar_AA": ("sy", 0.06, "arabic"), "ar_SA": ("sa", 0.04, "arabic"),
    "arabic_latin": ("iq", 0.10, "latin"),  # Arabic names as Western lists spell them (no Faker locale)
    "zh_CN": ("cn", 0.08, "han"), "ko_KR": ("kp", 0.05, "hangul"), "hi_IN": ("in", 0.07, "devanagari"),
}
# Arabic names in Latin script, as transliterated by the lists (the evaluation's spelling groups
# respell them): given names, and family names often with a particle.
ARABIC_GIVEN = (
    "mohammed ahmed mahmoud hussein hassan osama yusuf abdullah omar khalid said ali ibrahim mustafa "
    "nasser qasim sulaiman abdulrahman jamal jafar faisal karim rahim salim mohsen hamid majid rashid "
    "zayn aziz habib yasin ismail yahya musa isa nur tariq adel walid khalil hamza bakr jalal fatima "
    "aisha maryam khadija zainab layla amina huda samira nadia"
).split()
ARABIC_FAMILY = (
    "al-masri al-tikriti al-baghdadi al-zawahiri al-hashimi al-qahtani al-shammari al-otaibi al-harbi "
    "al-ansari al-tamimi al-dosari haddad khoury nasrallah mansour darwish saleh abboud hamdan "
    "bin-laden bin-talal el-sayed abu-bakr abdel-aziz rahman qureshi barzani jaber farouk haidar "
    "shalabi zuabi kassab najjar sabbagh"
).split()
ORG_WORDS = (
    "trading shipping import export holding investment petroleum energy logistics industrial "
    "construction engineering finance capital mining metals chemicals technology electronics "
    "marine maritime aviation defence security general international global united national "
    "development resources commercial agro textile pharma medical group"
).split()
ORG_FORMS = ("LLC", "Ltd", "Co.", "GmbH", "S.A.", "OOO", "JSC", "Company", "Corporation", "Establishment", "FZE", "")
VESSEL_WORDS = (
    "star ocean sea pearl glory fortune grace spirit wind dawn light eagle falcon horizon wave "
    "queen princess king victory hope liberty trader carrier express pioneer"
).split()
PERSON_SHARE, ORGANISATION_SHARE = 0.86, 0.11  # the rest are vessels
PEP_SHARE = 0.45  # of the persons: a consolidated dataset carries as many PEPs as sanctioned persons


# The models are built without validation (pydantic's validation of 1,000,000 entities takes
# minutes; these values are right by construction), with their defaults filled in.
def _alias(name: str, strength: AliasStrength) -> Alias:
    return Alias.model_construct(name=name, strength=strength)


def _birth(**fields: object) -> BirthDate:
    return BirthDate.model_construct(**fields)


def _entity(**fields: object) -> ListEntity:
    return ListEntity.model_construct(**fields)


@dataclass(frozen=True)
class Pool:
    """One locale's names: given names by gender, family names (female forms where the locale has
    them), the script, the nationality."""

    locale: str
    script: str
    nationality: str
    male: tuple[str, ...]
    female: tuple[str, ...]
    family_male: tuple[str, ...]
    family_female: tuple[str, ...]


@cache
def pools(seed: int = SEED) -> tuple[tuple[Pool, ...], tuple[float, ...]]:
    """The name pools, drawn from Faker once per locale (seeded), and each pool's share."""
    from faker import Faker

    result, weights = [], []
    for k, (locale, (nationality, share, script)) in enumerate(LOCALES.items()):
        if locale == "arabic_latin":
            given = tuple(w.title() for w in ARABIC_GIVEN)
            family = tuple("-".join(p.title() if len(p) > 3 else p for p in w.split("-")) for w in ARABIC_FAMILY)
            result.append(Pool(locale, script, nationality, given[:-10], given[-10:], family, family))
        else:
            fake = Faker(locale)
            fake.seed_instance(seed + k)
            def draw(f): return tuple(sorted({f() for _ in range(POOL_DRAWS)}))
            male, female = draw(fake.first_name_male), draw(fake.first_name_female)
            if hasattr(fake, "last_name_male"):
                family_male, family_female = draw(fake.last_name_male), draw(fake.last_name_female)
            else:
                family_male = family_female = draw(fake.last_name)
            result.append(Pool(locale, script, nationality, male, female, family_male, family_female))
        weights.append(share)
    return tuple(result), tuple(weights)


@cache
def latin(part: str, script: str) -> str:
    """A name part in Latin script (unchanged if it already is)."""
    if script == "latin":
        return part
    if script == "han":  # one syllable per character: a given name of two is written as one word
        return "".join(anyascii(c).capitalize() for c in part)
    return " ".join(w.capitalize() for w in anyascii(part).split())


@dataclass
class PersonName:
    given: list[str]  # in the pool's script
    family: str
    pool: Pool
    female: bool

    def written(self, parts: list[str], family: str) -> str:
        if self.pool.script in ("han", "hangul"):  # family name first, no space in the script
            return family + "".join(parts)
        return " ".join([*parts, family])

    def original(self) -> str:
        return self.written(self.given, self.family)

    def latin_parts(self) -> tuple[list[str], str]:
        return [latin(g, self.pool.script) for g in self.given], latin(self.family, self.pool.script)

    def primary(self) -> str:
        given, family = self.latin_parts()
        if self.pool.script in ("han", "hangul"):
            return " ".join([family, *given])  # Chinese and Korean names are listed family name first
        return " ".join([*given, family])


def person_name(pool: Pool, rng: random.Random) -> tuple[PersonName, bool]:
    """A name from one pool (and whether the person is a woman): one given name, or two one
    time in four (three one time in forty)."""
    female = rng.random() < 0.3
    given_pool = pool.female if female else pool.male
    count = 1 + (rng.random() < 0.25) + (rng.random() < 0.1 * (pool.script == "latin"))
    given = [rng.choice(given_pool) for _ in range(count)]
    family = rng.choice(pool.family_female if female else pool.family_male)
    return PersonName(given, family, pool, female), female


_RESPELL = (("ou", "u"), ("u", "ou"), ("ee", "i"), ("i", "y"), ("y", "i"), ("kh", "h"), ("q", "k"),
            ("j", "dj"), ("sh", "ch"), ("v", "w"), ("ks", "x"), ("e", "a"), ("a", "e"))


def respelt(name: str, rng: random.Random) -> str | None:
    """Another transliteration of a Latin name: one spelling rule applied to one word."""
    words = name.split()
    options = [(i, a, b) for i, w in enumerate(words) for a, b in _RESPELL if a in w.lower() and len(w) > 2]
    if not options:
        return None
    i, a, b = rng.choice(options)
    lower = words[i].lower().replace(a, b, 1)
    words[i] = lower.capitalize() if words[i][:1].isupper() else lower
    return " ".join(words)


def person_aliases(name: PersonName, rng: random.Random) -> list[Alias]:
    """0 to 4 aliases of a person, strong and weak."""
    count = rng.choices((0, 1, 2, 3, 4), (0.30, 0.28, 0.22, 0.12, 0.08))[0]
    if not count:
        return []
    given, family = name.latin_parts()
    primary = name.primary()
    candidates: list[tuple[str, AliasStrength]] = []
    if name.pool.script != "latin":
        candidates.append((name.original(), AliasStrength.STRONG))
    if (spelling := respelt(primary, rng)) is not None:
        candidates.append((spelling, AliasStrength.STRONG))
    if name.pool.script not in ("han", "hangul"):
        candidates.append((f"{family.upper()}, {' '.join(given)}", AliasStrength.STRONG))
    if len(given) > 1:
        candidates.append((" ".join([given[0], family]), AliasStrength.STRONG))
    else:
        other = rng.choice(name.pool.female if name.female else name.pool.male)
        candidates.append((" ".join([*given, latin(other, name.pool.script), family]), AliasStrength.STRONG))
    weak = rng.choice((given[0], family, f"Abu {given[0]}" if name.pool.locale.startswith(("ar", "arabic")) else given[0]))
    candidates.append((weak, AliasStrength.WEAK))
    rng.shuffle(candidates)
    seen = {primary}
    aliases = []
    for alias, strength in candidates:
        if alias not in seen and len(aliases) < count:
            seen.add(alias)
            aliases.append(_alias(name=alias, strength=strength))
    return aliases


def birth_dates(rng: random.Random) -> tuple[BirthDate, ...]:
    """Missing (35 %), year only (25 %), year and month (10 %) or full (30 %); one in twenty
    persons with a full date has a second one (lists often give two)."""
    roll = rng.random()
    year = rng.randint(1935, 2002)
    if roll < 0.35:
        return ()
    if roll < 0.60:
        return (_birth(year=year),)
    if roll < 0.70:
        return (_birth(year=year, month=rng.randint(1, 12)),)
    first = _birth(exact=date(year, rng.randint(1, 12), rng.randint(1, 28)))
    if rng.random() < 0.05:
        return first, _birth(exact=date(year + rng.choice((-1, 1)), rng.randint(1, 12), rng.randint(1, 28)))
    return (first,)


def nationalities(pool: Pool, rng: random.Random) -> tuple[str, ...]:
    roll = rng.random()
    if roll < 0.25:
        return ()
    if roll < 0.92:
        return (pool.nationality,)
    other = rng.choice([p for p, _, _ in LOCALES.values() if p != pool.nationality])
    return pool.nationality, other


def entities(n: int, seed: int = SEED) -> Iterator[ListEntity]:
    """`n` entities of the synthetic list, the same for the same seed."""
    person_pools, weights = pools(seed)
    rng = random.Random(seed)
    cumulative = [sum(weights[: i + 1]) for i in range(len(weights))]
    total = cumulative[-1]
    for k in range(n):
        roll = rng.random()
        source_id = f"syn-{k:07d}"
        if roll < PERSON_SHARE:
            pool = person_pools[bisect(cumulative, rng.random() * total)]
            name, _ = person_name(pool, rng)
            pep = rng.random() < PEP_SHARE
            yield _entity(
                source=SOURCE, source_id=source_id, type=EntityType.PERSON,
                kind=ListKind.PEP if pep else ListKind.SANCTIONS, primary_name=name.primary(),
                aliases=tuple(person_aliases(name, rng)), birth_dates=birth_dates(rng),
                nationalities=nationalities(pool, rng), programmes=("PEP",) if pep else (f"SYN-{rng.randint(1, 40)}",),
            )
        elif roll < PERSON_SHARE + ORGANISATION_SHARE:
            pool = person_pools[bisect(cumulative, rng.random() * total)]
            family = latin(rng.choice(pool.family_male), pool.script)
            words = rng.sample(ORG_WORDS, rng.randint(1, 2))
            primary = " ".join([family, *(w.title() for w in words), rng.choice(ORG_FORMS)]).strip()
            aliases = []
            if rng.random() < 0.4:
                aliases.append(_alias(name=" ".join(w.title() for w in words) + f" {family}", strength=AliasStrength.STRONG))
            if rng.random() < 0.2:
                aliases.append(_alias(name="".join(w[0] for w in [family, *words]).upper(), strength=AliasStrength.WEAK))
            yield _entity(
                source=SOURCE, source_id=source_id, type=EntityType.ORGANISATION, primary_name=primary,
                aliases=tuple(aliases), nationalities=(pool.nationality,) if rng.random() < 0.5 else (),
                programmes=(f"SYN-{rng.randint(1, 40)}",),
            )
        else:
            words = rng.sample(VESSEL_WORDS, rng.randint(1, 2))
            primary = " ".join(w.title() for w in words) + (f" {rng.randint(1, 9)}" if rng.random() < 0.3 else "")
            aliases = ()
            if rng.random() < 0.3:
                aliases = (_alias(name=" ".join(w.title() for w in rng.sample(VESSEL_WORDS, 2)), strength=AliasStrength.STRONG),)
            yield _entity(
                source=SOURCE, source_id=source_id, type=EntityType.VESSEL, primary_name=primary, aliases=aliases,
                programmes=(f"SYN-{rng.randint(1, 40)}",),
            )


def non_listed_people(n: int, seed: int) -> Iterator[tuple[str, str, date, str]]:
    """(locale, name, birth date, nationality) of adults drawn from the same pools (another seed):
    the caller must drop those whose name is listed."""
    person_pools, weights = pools()
    rng = random.Random(seed)
    for _ in range(n):
        pool = rng.choices(person_pools, weights)[0]
        name, _ = person_name(pool, rng)
        born = date(rng.randint(1936, 2006), rng.randint(1, 12), rng.randint(1, 28))
        yield pool.locale, name.primary() if rng.random() < 0.8 or pool.script == "latin" else name.original(), born, pool.nationality


# --- FollowTheMoney JSON lines -----------------------------------------------------------------

_SCHEMA = {EntityType.PERSON: "Person", EntityType.ORGANISATION: "Organization", EntityType.VESSEL: "Vessel"}
_TOPICS = {ListKind.SANCTIONS: ["sanction"], ListKind.PEP: ["role.pep"]}


def _ftm_date(b: BirthDate) -> str:
    if b.exact is not None:
        return b.exact.isoformat()
    return f"{b.year:04d}-{b.month:02d}" if b.month else f"{b.year:04d}"


def ftm_entity(entity: ListEntity) -> dict:
    """One entity as an OpenSanctions FollowTheMoney record."""
    properties: dict[str, list[str]] = {"name": [entity.primary_name]}
    if strong := [a.name for a in entity.aliases if a.strength is AliasStrength.STRONG]:
        properties["alias"] = strong
    if weak := [a.name for a in entity.aliases if a.strength is AliasStrength.WEAK]:
        properties["weakAlias"] = weak
    if entity.birth_dates:
        properties["birthDate"] = [_ftm_date(b) for b in entity.birth_dates]
    if entity.nationalities:
        properties["nationality" if entity.type is EntityType.PERSON else "country"] = list(entity.nationalities)
    if entity.programmes and entity.kind is ListKind.SANCTIONS:
        properties["programId"] = list(entity.programmes)
    return {"id": entity.source_id, "schema": _SCHEMA[entity.type], "properties": properties,
            "topics": _TOPICS[entity.kind], "datasets": [f"{SOURCE}_{entity.kind.value}"]}


def write_ftm(items: Iterable[ListEntity], path: Path) -> int:
    """Write entities as FtM JSON lines (UTF-8, one entity a line); how many were written."""
    count = 0
    with path.open("w", encoding="utf-8") as out:
        for entity in items:
            out.write(json.dumps(ftm_entity(entity), ensure_ascii=False, separators=(",", ":")))
            out.write("\n")
            count += 1
    return count


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("count", type=int)
    parser.add_argument("path", type=Path)
    parser.add_argument("--seed", type=int, default=SEED)
    args = parser.parse_args()
    start = time.perf_counter()
    written = write_ftm(entities(args.count, args.seed), args.path)
    print(f"{written} entities written to {args.path} ({args.path.stat().st_size / 1e6:.1f} MB) "
          f"in {time.perf_counter() - start:.1f} s")


if __name__ == "__main__":
    main()
