"""Screening quality on the shipped lists (OFAC SDN 2021 + UN consolidated): recall on spelling
variants of listed names, false positives on non-listed names, latency.

Listed side: a seeded sample of listed persons and organisations; for each, realistic variants
of its primary name (or a strong alias): one typo, two typos, a dropped middle name, swapped
order, "SURNAME, Given", transliteration spellings (Mohammed/Muhammad, Hussein/Husayn,
Aleksandr/Alexander, ou/u, ee/i, ...), accents stripped and case changed. A variant is found if
its own entry comes back in the review or block band (name only: no birth date, no nationality).

Word-boundary treatments of the same names (drawn with a generator of their own, so the
variants above stay exactly those of earlier runs): a word split in two ("Usa ma"), two words
joined ("binLaden" is a particle; "SaddamHussein" is two names), in-word punctuation
("Usa-ma", "Usa.ma") and a particle glued to its word ("alZawahiri", "Abubakr", "Vanderberg").

Non-listed side: Faker names (given + family, some with a middle name) in 14 locales with a
random adult birth date and the locale's nationality, screened as the workflow screens an
applicant; plus Faker company names screened as organisations. Any match in the review or
block band is a false positive. Never reads the hold-out set: everything is generated here.

    python bench/screening_eval.py [--persons 700] [--organisations 250] [--per-locale 250]
"""
from __future__ import annotations

import argparse
import random
import statistics
import time
import unicodedata
from collections import Counter
from collections.abc import Callable, Iterator
from datetime import date

from faker import Faker

from screening_data import EVALUATED, screener
from chalicelib.domain.screening.engine import Band, Match, Screener
from chalicelib.domain.screening.entities import AliasStrength, EntityType, ListEntity
from chalicelib.domain.screening.index import name_tokens
from chalicelib.domain.screening.normalise import STOPWORDS

SEED = 20261123

# Spellings of one name, as transliterations of Arabic, Persian, Russian and Korean produce them.
SPELLINGS = [
    "mohammed muhammad mohamed mohammad muhammed mohamad",
    "ahmed ahmad", "mahmoud mahmud mahmood", "hussein husayn hussain husein hossein",
    "hassan hasan", "osama usama", "yusuf yousef youssef yusef", "abdul abdel abdoul",
    "abdullah abdallah abdulla", "omar umar", "khalid khaled", "said saeed sayed saeid",
    "ali aly", "ibrahim ebrahim ibraheem", "mustafa mostafa moustafa", "nasser nasir naser",
    "qasim qasem kassem kasim", "sulaiman suleiman sulayman soleiman",
    "abdulrahman abdurrahman abdelrahman abdul-rahman", "abu abou", "jamal gamal",
    "jafar jaafar", "faisal faysal feisal", "karim kareem", "rahim raheem", "salim saleem selim",
    "mohsen muhsin", "hamid hameed", "majid majeed", "rashid rasheed rachid", "zayn zain zein",
    "aziz azeez", "habib habeeb", "yasin yassin yaseen", "ismail ismael esmail", "yahya yahia",
    "musa moussa mousa", "isa issa", "nur noor nour", "tariq tarek tareq", "adel adil",
    "walid waleed", "khalil khaleel", "hamza hamzah", "bakr bakir", "jalal djalal",
    "aleksandr alexander alexandr", "sergey sergei", "yevgeny evgeny evgeniy yevgeniy",
    "dmitry dmitriy dmitri", "yuri yuriy iouri", "andrei andrey", "alexei aleksey alexey",
    "nikolai nikolay", "viktor victor", "vyacheslav viacheslav", "vitaly vitaliy vitali",
    "grigory grigoriy", "pyotr petr", "fyodor fedor", "ilya ilia", "yakov iakov",
    "arkady arkadiy", "konstantin constantin", "mikhail mikhael", "choe choi", "ri rhee",
    "jong chong", "song sung", "chol cheol",
]
# Spelling rules for tokens no listed spelling covers: (pattern, replacement).
RULES = [
    ("ou", "u"), ("u", "ou"), ("ee", "i"), ("i", "ee"), ("ei", "ey"), ("ey", "ei"), ("iy", "y"),
    ("y", "i"), ("ph", "f"), ("kh", "h"), ("q", "k"), ("k", "q"), ("dj", "j"), ("j", "dj"),
    ("ss", "s"), ("mm", "m"), ("ll", "l"), ("tt", "t"), ("aa", "a"), ("oo", "u"), ("w", "v"),
    ("v", "w"), ("ck", "k"), ("x", "ks"), ("ks", "x"),
]
KEYBOARD = {
    c: n for c, n in zip(
        "qwertyuiopasdfghjklzxcvbnm",
        "wa qes wrd etf ryg tuh yij uok ipl o qsz awxe sdcr dfvt fgbh ghnj hjmk jkl, lm azx sxc dcv fvb gbn hnm jm,".split(),
    )
}
LOCALES = {  # Faker locale -> nationality (ISO alpha-3)
    "en_US": "USA", "en_GB": "GBR", "de_DE": "DEU", "fr_FR": "FRA", "es_ES": "ESP", "it_IT": "ITA",
    "pl_PL": "POL", "pt_BR": "BRA", "ru_RU": "RUS", "tr_TR": "TUR", "ar_AA": "EGY", "fa_IR": "IRN",
    "zh_CN": "CHN", "hi_IN": "IND",
}
_GROUP_OF = {s: group.split() for group in SPELLINGS for s in group.split()}
# Particles written apart or glued, depending on who writes the name.
GLUE_PARTICLES = frozenset("al el ul bin ibn bint abu abd abdul abou van von der de da di du del della la le".split())
BOUNDARY_SEED = SEED + 1


# --- variants of listed names -----------------------------------------------------------------


def typo(token: str, rng: random.Random) -> str:
    """One keyboard slip: neighbouring key, dropped, doubled or swapped letter."""
    i = rng.randrange(len(token))
    kind = rng.choice(("substitute", "delete", "insert", "transpose"))
    if kind == "substitute" and token[i].lower() in KEYBOARD:
        return token[:i] + rng.choice(KEYBOARD[token[i].lower()].strip(",")) + token[i + 1 :]
    if kind == "delete" and len(token) > 3:
        return token[:i] + token[i + 1 :]
    if kind == "transpose" and i < len(token) - 1:
        return token[:i] + token[i + 1] + token[i] + token[i + 2 :]
    return token[:i] + token[i] + token[i:]


def respell(token: str, rng: random.Random) -> str | None:
    """Another transliteration of a token, or None when no spelling or rule applies."""
    lower = token.casefold()
    if lower in _GROUP_OF:
        return rng.choice([s for s in _GROUP_OF[lower] if s != lower])
    rules = [(a, b) for a, b in RULES if a in lower]
    if not rules:
        return None
    a, b = rng.choice(rules)
    return lower.replace(a, b, 1)


def variants(name: str, entity_type: EntityType, rng: random.Random) -> Iterator[tuple[str, str]]:
    """(kind, variant) pairs of a listed name; kinds that do not apply are left out."""
    words = name.replace(",", " ").split()
    long_words = [i for i, w in enumerate(words) if sum(c.isalpha() for c in w) >= 4]
    if long_words:
        i = rng.choice(long_words)
        yield "typo", " ".join(words[:i] + [typo(words[i], rng)] + words[i + 1 :])
    if len(long_words) >= 2:
        i, j = rng.sample(long_words, 2)
        changed = list(words)
        changed[i], changed[j] = typo(words[i], rng), typo(words[j], rng)
        yield "two_typos", " ".join(changed)
    named = [w for w in words if not set(name_tokens(w)) <= STOPWORDS]  # not "Haji", "Dr."
    if len(named) >= 3 and entity_type is EntityType.PERSON:
        i = rng.randrange(1, len(named) - 1)
        yield "drop_middle", " ".join(named[:i] + named[i + 1 :])
    if len(words) >= 2 and entity_type is EntityType.PERSON:
        yield "swap_order", " ".join([words[-1], *words[:-1]])
        yield "surname_comma", f"{words[-1]}, {' '.join(words[:-1])}"
    respellable = [
        (i, s) for i, w in enumerate(words) if not set(name_tokens(w)) <= STOPWORDS and (s := respell(w, rng))
    ]
    if respellable:
        i, spelling = rng.choice(respellable)
        yield "transliteration", " ".join(words[:i] + [spelling] + words[i + 1 :])
    stripped = "".join(c for c in unicodedata.normalize("NFD", name) if not unicodedata.combining(c))
    yield "accents_case", rng.choice((str.lower, str.upper, str.title))(stripped)


def _case(word: str, rng: random.Random) -> str:
    return rng.choice((str.lower, str.capitalize, lambda w: w))(word)


def boundary_variants(name: str, entity_type: EntityType, rng: random.Random) -> Iterator[tuple[str, str]]:
    """(kind, variant) pairs of a listed name with its word boundaries moved: split, joined,
    hyphenated (in-word punctuation) and glued_particle; kinds that do not apply are left out."""
    words = name.replace(",", " ").split()
    named = [i for i, w in enumerate(words) if not set(name_tokens(w)) <= STOPWORDS]
    splittable = [i for i in named if len(words[i]) >= 5 and words[i].isalpha()]
    if splittable:
        i = rng.choice(splittable)
        k = rng.randrange(2, len(words[i]) - 1)
        yield "split", " ".join(words[:i] + [words[i][:k], words[i][k:]] + words[i + 1:])
    plain = [i for i in named if words[i].casefold().strip("-") not in GLUE_PARTICLES]
    pairs = [i for i in plain if i + 1 in plain and i + 1 < len(words)]
    if pairs:
        i = rng.choice(pairs)
        yield "joined", " ".join(words[:i] + [words[i] + _case(words[i + 1], rng)] + words[i + 2:])
    if splittable:
        i = rng.choice(splittable)
        k = rng.randrange(2, len(words[i]) - 1)
        mark = rng.choice("--.")
        yield "hyphenated", " ".join(words[:i] + [words[i][:k] + mark + words[i][k:]] + words[i + 1:])
    glued = []
    for i, w in enumerate(words):
        head, _, rest = w.partition("-")
        if head.casefold() in GLUE_PARTICLES and rest:  # "al-Zawahiri"
            glued.append((i, i + 1, head + _case(rest, rng)))
        elif w.casefold() in GLUE_PARTICLES and i + 1 < len(words):  # "bin Laden"
            glued.append((i, i + 2, w + _case(words[i + 1], rng)))
    if glued:
        a, b, word = rng.choice(glued)
        yield "glued_particle", " ".join(words[:a] + [word] + words[b:])


def particle_sample(entities: list[ListEntity], n: int, rng: random.Random) -> list[tuple[ListEntity, str]]:
    """(entity, name) pairs of listed names written with a particle as a word of its own
    ("bin Laden", "al-Zawahiri", "van der Berg"), to glue it."""
    def has_particle(name: str) -> bool:
        words = name.replace(",", " ").split()
        return any(w.casefold() in GLUE_PARTICLES for w in words[:-1]) or any(
            "-" in w and w.partition("-")[0].casefold() in GLUE_PARTICLES for w in words)
    pool = [(e, name) for e in entities
            for name in [e.primary_name, *(a.name for a in e.aliases if a.strength is AliasStrength.STRONG)]
            if name.isascii() and has_particle(name)]
    return rng.sample(pool, min(n, len(pool)))


def listed_sample(entities: list[ListEntity], persons: int, organisations: int, rng: random.Random) -> list[tuple[ListEntity, str]]:
    """(entity, name) pairs: the primary name, or one time in five a strong Latin-script alias."""
    def pick(kind: EntityType, n: int) -> list[ListEntity]:
        pool = [e for e in entities if e.type is kind and len(name_tokens(e.primary_name)) >= 1]
        return rng.sample(pool, min(n, len(pool)))

    sample = []
    for entity in pick(EntityType.PERSON, persons) + pick(EntityType.ORGANISATION, organisations):
        strong = [a.name for a in entity.aliases if a.strength is AliasStrength.STRONG and a.name.isascii()]
        name = rng.choice(strong) if strong and rng.random() < 0.2 else entity.primary_name
        sample.append((entity, name))
    return sample


# --- non-listed names -------------------------------------------------------------------------


def faker_people(per_locale: int, seed: int) -> list[tuple[str, str, date, str]]:
    """(locale, name, birth date, nationality) of generated adults, some with a middle name."""
    people = []
    for k, (locale, nationality) in enumerate(LOCALES.items()):
        fake = Faker(locale)
        fake.seed_instance(seed + k)
        for _ in range(per_locale):
            given = fake.first_name()
            if fake.random.random() < 0.2:
                given = f"{given} {fake.first_name()}"
            people.append((locale, f"{given} {fake.last_name()}", fake.date_of_birth(minimum_age=18, maximum_age=90), nationality))
    return people


def faker_companies(per_locale: int, seed: int) -> list[tuple[str, str]]:
    companies = []
    for k, locale in enumerate(LOCALES):
        fake = Faker(locale)
        fake.seed_instance(seed + 100 + k)
        companies += [(locale, fake.company()) for _ in range(per_locale)]
    return companies


# --- measuring --------------------------------------------------------------------------------


def timed(call: Callable[[], list[Match]], latencies: list[float]) -> list[Match]:
    start = time.perf_counter()
    matches = call()
    latencies.append(time.perf_counter() - start)
    return matches


def flagged(matches: list[Match]) -> list[Match]:
    return [m for m in matches if m.band is not Band.PASS]


def percentile(values: list[float], q: float) -> float:
    return statistics.quantiles(values, n=100, method="inclusive")[int(q) - 1] if len(values) > 1 else values[0]


def evaluate(s: Screener, entities: list[ListEntity], args: argparse.Namespace) -> dict[str, float]:
    rng = random.Random(SEED)
    latencies: list[float] = []
    found: Counter[str] = Counter()
    total: Counter[str] = Counter()
    blocked = 0
    missed: list[tuple[str, str, str]] = []
    boundary_rng = random.Random(BOUNDARY_SEED)
    treated: list[tuple[ListEntity, str, str, str]] = []  # (entity, name, kind, variant)
    for entity, name in listed_sample(entities, args.persons, args.organisations, rng):
        treated += [(entity, name, kind, v) for kind, v in variants(name, entity.type, rng)]
        treated += [(entity, name, kind, v) for kind, v in boundary_variants(name, entity.type, boundary_rng)]
    for entity, name in particle_sample(entities, args.particles, boundary_rng):  # more names with a particle
        treated += [(entity, name, kind, v) for kind, v in boundary_variants(name, entity.type, boundary_rng)
                    if kind == "glued_particle"]
    for entity, name, kind, variant in treated:
        query_type = EntityType.PERSON if entity.type is EntityType.PERSON else EntityType.ORGANISATION
        matches = timed(lambda: s.screen(variant, type=query_type, limit=None), latencies)
        own = [m for m in flagged(matches) if (m.source, m.source_id) == (entity.source, entity.source_id)]
        total[kind] += 1
        if own:
            found[kind] += 1
            blocked += own[0].band is Band.BLOCK
        else:
            missed.append((kind, name, variant))
    variant_count = sum(total.values())
    recall = sum(found.values()) / variant_count

    people = faker_people(args.per_locale, SEED)
    false_people: Counter[str] = Counter()
    false_name_only = 0
    false_blocks = 0
    examples: list[tuple[str, str, str, float]] = []
    for locale, name, birth_date, nationality in people:
        hits = flagged(timed(lambda: s.screen_person(name, birth_date, nationality), latencies))
        false_name_only += bool(flagged(s.screen(name, type=EntityType.PERSON, limit=None)))
        if hits:
            false_people[locale] += 1
            false_blocks += any(m.band is Band.BLOCK for m in hits)
            examples.append((locale, name, hits[0].matched_name, hits[0].score))
    companies = faker_companies(args.per_locale // 2, SEED)
    false_companies = sum(
        bool(flagged(timed(lambda: s.screen(c, type=EntityType.ORGANISATION, limit=None), latencies)))
        for _, c in companies
    )
    fp_people = sum(false_people.values()) / len(people)
    fp_companies = false_companies / len(companies)
    fp_all = (sum(false_people.values()) + false_companies) / (len(people) + len(companies))

    print(f"lists: {', '.join(f'{k} {v}' for k, v in s.list_versions.items())}; policy {s.engine}")
    print(f"bands: review >= {s.policy.bands.review}, block >= {s.policy.bands.block}")
    print(f"\nrecall at the review threshold (name only): {recall:.4f} of {variant_count} variants "
          f"({blocked / variant_count:.1%} in the block band)")
    for kind in total:
        print(f"  {kind:<16} {found[kind] / total[kind]:.4f}  ({found[kind]}/{total[kind]})")
    print(f"\nfalse positives at the default thresholds: {fp_all:.4f} of {len(people) + len(companies)} non-listed names")
    print(f"  persons (with birth date + nationality): {fp_people:.4f} of {len(people)}"
          f"  (name only: {false_name_only / len(people):.4f}; in the block band: {false_blocks})")
    print(f"  organisations:                           {fp_companies:.4f} of {len(companies)}")
    print("  persons flagged by locale: " + ", ".join(f"{k} {v}" for k, v in sorted(false_people.items())))
    print(f"\nlatency per screened name: p50 {percentile(latencies, 50) * 1e3:.2f} ms, "
          f"p99 {percentile(latencies, 99) * 1e3:.2f} ms, max {max(latencies) * 1e3:.2f} ms ({len(latencies)} screenings)")
    if args.verbose:
        print("\nmissed variants:")
        for kind, name, variant in missed:
            print(f"  {kind:<16} {name!r} -> {variant!r}")
        print("\nflagged non-listed persons:")
        for example in examples:
            print("  ", example)
    return {"recall": recall, "fp": fp_all}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--persons", type=int, default=700)
    parser.add_argument("--organisations", type=int, default=250)
    parser.add_argument("--per-locale", type=int, default=250)
    parser.add_argument("--particles", type=int, default=400, help="more listed names with a particle to glue")
    parser.add_argument("--verbose", action="store_true", help="list misses and false positives")
    args = parser.parse_args()
    s, by_source = screener(EVALUATED)
    evaluate(s, [e for source in EVALUATED for e in by_source[source]], args)


if __name__ == "__main__":
    main()
