"""Scoring pieces of the fuzzy engine: token similarity, greedy token pairing, and how listed
birth dates compare with a subject's. Pure functions; weights come from ScreeningPolicy."""
from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from enum import StrEnum

from rapidfuzz.distance import JaroWinkler

from chalicelib.domain.screening.entities import CIRCA_TOLERANCE_YEARS
from chalicelib.domain.screening.index import BirthDateTuple
from chalicelib.domain.screening.policy import NameWeights


_VOWELS = frozenset("aeiouy")


def token_similarity(a: str, b: str, skeleton_a: str, skeleton_b: str, weights: NameWeights) -> float:
    """Jaro-Winkler similarity of two tokens, at least `phonetic_similarity` when their
    consonant skeletons are equal (3+ consonants, or 2 and both start with a vowel or both
    with a consonant: Nur/Noor, Kim/Qim, not Alan/Lina);
    0 below `token_floor`. Tokens of one or two letters (initials, particles) only match
    exactly."""
    if a == b:
        return 1.0
    if len(a) < 3 or len(b) < 3:
        return 0.0
    similarity = JaroWinkler.similarity(a, b)
    if skeleton_a == skeleton_b and (len(skeleton_a) >= 3 or (len(skeleton_a) == 2 and (a[0] in _VOWELS) == (b[0] in _VOWELS))):
        similarity = max(similarity, weights.phonetic_similarity)
    return similarity if similarity >= weights.token_floor else 0.0


def pair_tokens(
    query_weights: Sequence[float],
    listed_weights: Sequence[float],
    similarities: list[tuple[float, int, int]],
    weights: NameWeights,
) -> tuple[float, int]:
    """Greedy token pairing: the most similar (query, listed) token pair first, each token in
    at most one pair. Returns the weighted score and the number of pairs.

    score = sum(similarity * mean pair weight)
            / (sum(mean pair weight) + unmatched_query_token * unpaired query weight
               + unmatched_listed_token * unpaired listed weight)
    so word order costs nothing and a listed middle name the query lacks costs little.
    """
    similarities.sort(reverse=True)
    used_query: set[int] = set()
    used_listed: set[int] = set()
    numerator = paired = 0.0
    for similarity, i, j in similarities:
        if i in used_query or j in used_listed:
            continue
        used_query.add(i)
        used_listed.add(j)
        weight = (query_weights[i] + listed_weights[j]) / 2
        numerator += similarity * weight
        paired += weight
    if not paired:
        return 0.0, 0
    unpaired_query = sum(w for i, w in enumerate(query_weights) if i not in used_query)
    unpaired_listed = sum(w for j, w in enumerate(listed_weights) if j not in used_listed)
    denominator = (
        paired
        + weights.unmatched_query_token * unpaired_query
        + weights.unmatched_listed_token * unpaired_listed
    )
    return numerator / denominator, len(used_query)


def short_name_penalty(name_score: float, length: int, weights: NameWeights) -> float:
    """The name score with its shortfall from 1 multiplied for short names: the fewer letters
    two names have, the less a difference can be a typo rather than another name ("Martin"
    vs "Artin"). `length` is the letter count of the shorter name."""
    short = weights.short_name
    factor = 1.0 + short.strictness * max(0.0, (short.length - length) / short.length)
    return max(0.0, 1.0 - (1.0 - name_score) * factor)


class BirthDateLevel(StrEnum):
    """How the best of an entry's listed birth dates compares with the subject's, best first."""

    EXACT = "exact"  # same day
    YEAR = "year"  # a listed year (and month) that the date falls in
    RANGE = "range"  # inside a listed range or circa window
    NEAR = "near"  # within near_years of one: no opinion
    MISMATCH = "mismatch"  # further from every listed date
    UNKNOWN = "unknown"  # no listed birth date, or no date given


_LEVEL_RANK = {level: rank for rank, level in enumerate(BirthDateLevel)}


def birth_date_level(listed: Sequence[BirthDateTuple], subject: date | None, near_years: int) -> BirthDateLevel:
    """The best level over the listed birth dates."""
    if subject is None or not listed:
        return BirthDateLevel.UNKNOWN
    return min((_one_level(t, subject, near_years) for t in listed), key=_LEVEL_RANK.__getitem__)


def _one_level(listed: BirthDateTuple, subject: date, near_years: int) -> BirthDateLevel:
    exact, year, month, year_from, year_to, circa = listed
    slack = CIRCA_TOLERANCE_YEARS if circa else 0
    if exact:
        day = date.fromordinal(exact)
        if not circa and day == subject:
            return BirthDateLevel.EXACT
        low = high = day.year
    elif year:
        if not circa and subject.year == year and month in (0, subject.month):
            return BirthDateLevel.YEAR
        low = high = year
    elif year_from:
        low, high = year_from, year_to
    else:
        return BirthDateLevel.UNKNOWN
    distance = max(low - subject.year, subject.year - high, 0)
    if (circa or year_from) and distance <= slack:
        return BirthDateLevel.RANGE
    return BirthDateLevel.NEAR if distance <= slack + near_years else BirthDateLevel.MISMATCH
