"""The bounds that let screening skip names without scoring them: each must be an upper bound of
what scoring gives, so that skipping changes no result."""
import random
from datetime import date

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from chalicelib.domain.screening import engine
from chalicelib.domain.screening.engine import Screener
from chalicelib.domain.screening.entities import Alias, AliasStrength, EntityType, ListEntity, ListKind, PartialDate
from chalicelib.domain.screening.index import NameIndex
from chalicelib.domain.screening.matches import BirthDateLevel
from chalicelib.domain.screening.policy import ScreeningPolicy
from chalicelib.domain.screening.scoring import (
    birth_date_level,
    far_from_every_birth_date,
    longest_listed,
    pair_words,
    pairing_bound,
)
from chalicelib.policies import load_policy
from chalicelib.settings import POLICIES_DIR

POLICY = load_policy(POLICIES_DIR / "screening.yaml", ScreeningPolicy)
W = POLICY.name

weights = st.lists(st.integers(1, 12).map(float), min_size=1, max_size=5)
similarity = st.one_of(st.just(0.0), st.floats(0.8, 1.0))


@given(weights, weights, st.data())
def test_the_pairing_bound_is_never_below_the_pairing(query: list[float], listed: list[float], data) -> None:
    similarities = [(-s, 0, i, j) for i in range(len(query)) for j in range(len(listed))
                    if (s := data.draw(similarity))]
    score, pairs = pair_words(query, listed, similarities, W)
    paired_query = sum(query[i] for i, _ in pairs)
    paired_listed = sum(listed[j] for _, j in pairs)
    bound = pairing_bound(paired_query, paired_listed, sum(query), sum(listed), W)
    assert bound >= score - 1e-12
    # more paired on either side never lowers it: an over-estimate of what pairs is still a bound
    more = data.draw(st.floats(0, 5))
    assert pairing_bound(paired_query + more, paired_listed, sum(query), sum(listed), W) >= bound - 1e-12
    assert pairing_bound(paired_query, paired_listed + more, sum(query), sum(listed), W) >= bound - 1e-12


@given(st.floats(1, 30), st.floats(0, 30), st.floats(0.05, 1.0), st.floats(0, 30), st.floats(0, 60))
def test_no_listed_name_longer_than_the_longest_listed_can_reach_the_floor(
        query_weight: float, paired_listed: float, share: float, floor_shift: float, listed_weight: float) -> None:
    paired_query = query_weight * share
    floor = 0.3 + floor_shift / 60  # the pair floors screening reads: 0.3 to 0.8
    longest = longest_listed(paired_query, paired_listed, query_weight, floor, W)
    reaches = pairing_bound(paired_query, min(listed_weight, paired_listed), query_weight, listed_weight, W) >= floor
    if reaches:
        assert longest is not None and listed_weight <= longest + 1e-9


def test_a_name_that_covers_part_of_the_query_must_be_short() -> None:
    # "james martinez": a name with only a word like "martinez" pairs 8 of 13; with a word of its own
    # more (another given name in the place of "james") it cannot reach the review band's pair floor
    floor = (POLICY.bands.review - W.token_sort - W.token_set) / W.token_pairs
    longest = longest_listed(8.0, 8.0, 13.0, floor, W)
    assert 8.0 < longest < 12.0
    assert longest_listed(13.0, 13.0, 13.0, floor, W) > 40  # the whole query paired: listed middle names cost little
    assert longest_listed(5.0, 5.0, 13.0, floor, W) < 0  # "james" alone: no name can


GIVEN = "james jaime jamie maria mario marian ahmed ahmad mohammed muhammad ali aly olga leonid yusuf".split()
FAMILY = "martinez martines martin hassan hasan krasilnikov krasilnikova darwish al-masri bin-laden".split()


@pytest.fixture(scope="module")
def screener() -> Screener:
    rng = random.Random(20261203)
    entities = []
    for k in range(600):
        words = [rng.choice(GIVEN) for _ in range(rng.choice((0, 1, 1, 2, 3)))] + [rng.choice(FAMILY)]
        aliases = (Alias(name=" ".join(rng.sample(words, len(words))) + " " + rng.choice(GIVEN),
                         strength=AliasStrength.STRONG),) if rng.random() < 0.3 else ()
        entities.append(ListEntity(source="bounds", source_id=str(k), type=EntityType.PERSON,
                                   kind=ListKind.SANCTIONS, primary_name=" ".join(words).title(), aliases=aliases))
    return Screener([NameIndex.build("bounds", "1", entities)], POLICY)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(st.sampled_from(GIVEN + FAMILY + ["maryam", "xavier", "jamesmartinez"]), min_size=1, max_size=4),
       st.floats(0.6, 0.95), st.booleans())
def test_screening_with_the_bounds_finds_what_screening_without_them_finds(
        screener: Screener, words: list[str], threshold: float, born: bool) -> None:
    name = " ".join(words)
    birth_date = date(1970, 1, 1) if born else None  # what a birth date could add lowers the floors
    with_bounds = screener.screen(name, birth_date, limit=None, threshold=threshold)
    saved = engine.longest_listed, engine.pairing_bound
    try:
        engine.longest_listed = lambda *args: None  # every name covering enough of the query is scored
        engine.pairing_bound = lambda *args: 1.0
        without = Screener(screener.indexes, POLICY).screen(name, birth_date, limit=None, threshold=threshold)
    finally:
        engine.longest_listed, engine.pairing_bound = saved
    assert [(m.source_id, m.matched_name, m.score) for m in with_bounds] == [
        (m.source_id, m.matched_name, m.score) for m in without]


_listed_birth_date = st.one_of(
    st.tuples(st.dates(date(1900, 1, 1), date(2010, 12, 31)).map(date.toordinal), st.just(0), st.just(0),
              st.just(0), st.just(0), st.booleans()),
    st.tuples(st.just(0), st.integers(1900, 2010), st.integers(0, 12), st.just(0), st.just(0), st.booleans()),
    st.tuples(st.just(0), st.just(0), st.just(0), st.integers(1900, 2010), st.integers(0, 2010), st.booleans()),
    st.just((0, 0, 0, 0, 0, False)),  # no year
)


@settings(max_examples=400, deadline=None)
@given(st.lists(_listed_birth_date, max_size=4), st.integers(1900, 2010), st.integers(0, 12), st.integers(0, 3))
def test_far_from_every_birth_date_is_a_mismatch(listed, year, month, near_years):
    """The years-only test screening reads first only ever says what the full comparison says."""

    subject = PartialDate(year=year, month=month or None)
    if far_from_every_birth_date(listed, year, near_years):
        assert birth_date_level(listed, subject, near_years).level is BirthDateLevel.MISMATCH


def test_far_from_every_birth_date_reads_the_years():

    born_1950 = (date(1950, 6, 1).toordinal(), 0, 0, 0, 0, False)
    assert far_from_every_birth_date([born_1950], 1980, 1)
    assert not far_from_every_birth_date([born_1950], 1951, 1)
    assert not far_from_every_birth_date([born_1950, (0, 1979, 0, 0, 0, False)], 1980, 1)
    assert not far_from_every_birth_date([(0, 0, 0, 0, 0, False)], 1980, 1)  # nothing to compare
    assert not far_from_every_birth_date([(0, 1977, 0, 0, 0, True)], 1980, 1)  # circa: two years more
