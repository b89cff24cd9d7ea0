"""A synthetic customer base for the monitoring benchmark and the tests that seed a few thousand
customers: names from Faker's given-name and family-name pools of several locales (pools drawn
once, then combined at random, so a million customers take seconds), adult birth dates, the
locale's nationality. Deterministic for a seed. Nobody real: Faker's pools are name lists, and
the combinations are random."""
from __future__ import annotations

import random
import uuid
from collections.abc import Iterator
from datetime import date, timedelta

from faker import Faker

from chalicelib.domain.screening.reverse import ScreeningProfile

LOCALES = {  # Faker locale -> nationality (ISO alpha-3)
    "en_GB": "GBR", "de_DE": "DEU", "fr_FR": "FRA", "es_ES": "ESP", "it_IT": "ITA", "pl_PL": "POL",
    "nl_NL": "NLD", "pt_PT": "PRT", "sv_SE": "SWE", "tr_TR": "TUR", "ru_RU": "RUS", "ar_AA": "ARE",
}
POOL = 5000  # draws per locale from its given-name and family-name lists (duplicates dropped)
_NAMESPACE = uuid.UUID("0b7cf5a1-3d0e-4d59-9c1e-5f2a8c3b6e11")


def pools(seed: int) -> dict[str, tuple[list[str], list[str], str]]:
    """Per locale: given names, family names, nationality."""
    drawn = {}
    for k, (locale, nationality) in enumerate(LOCALES.items()):
        fake = Faker(locale)
        fake.seed_instance(seed + k)
        given = sorted({fake.first_name() for _ in range(POOL)})
        family = sorted({fake.last_name() for _ in range(POOL)})
        drawn[locale] = (given, family, nationality)
    return drawn


def customer_id(seed: int, number: int) -> str:
    return f"cus_{uuid.uuid5(_NAMESPACE, f'{seed}:{number}').hex}"


def customers(count: int, seed: int = 15) -> Iterator[ScreeningProfile]:
    """`count` customers, the same ones for the same seed (a larger count extends a smaller one)."""
    drawn = pools(seed)
    locales = list(drawn)
    rng = random.Random(seed)
    oldest, span = date(1936, 1, 1), (date(2007, 12, 31) - date(1936, 1, 1)).days
    for number in range(count):
        given, family, nationality = drawn[locales[rng.randrange(len(locales))]]
        name = rng.choice(given)
        if rng.random() < 0.15:  # a middle name
            name += " " + rng.choice(given)
        yield ScreeningProfile(customer_id=customer_id(seed, number), name=f"{name} {rng.choice(family)}",
                               birth_date=oldest + timedelta(days=rng.randrange(span)), nationality=nationality)
