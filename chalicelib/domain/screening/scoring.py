"""Scoring pieces of the fuzzy engine: token similarity, greedy token pairing, and how listed
birth dates compare with a subject's. Pure functions; weights come from ScreeningPolicy."""
from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import date
from enum import StrEnum

from rapidfuzz import process
from rapidfuzz.distance import JaroWinkler

from chalicelib.domain.screening.entities import CIRCA_TOLERANCE_YEARS
from chalicelib.domain.screening.index import BirthDateTuple
from chalicelib.domain.screening.policy import NameWeights


_VOWELS = frozenset("aeiouy")


def similar_tokens(
    token: str,
    key: str,
    candidates: Sequence[int],
    same_skeleton: Iterable[int],
    vocabulary: Sequence[str],
    weights: NameWeights,
) -> dict[int, float]:
    """Similarity to `token` (whose consonant skeleton is `key`) of the candidate listed
    tokens that reach `token_floor`, by token id.

    Similarity is Jaro-Winkler, raised to `phonetic_similarity` for the tokens of
    `same_skeleton` when the skeleton has 3+ consonants, or 2 and both tokens start with a
    vowel or both with a consonant (Nur/Noor, Kim/Qim, not Alan/Lina). Tokens of one or two
    letters (initials, particles) only match exactly. Jaro-Winkler runs in one rapidfuzz call.
    """
    if len(token) < 3:
        return {i: 1.0 for i in candidates if vocabulary[i] == token}
    choices = [vocabulary[i] for i in candidates]
    found = {
        candidates[position]: similarity
        for _, similarity, position in process.extract(
            token, choices, scorer=JaroWinkler.similarity, score_cutoff=weights.token_floor, limit=None
        )
        if len(choices[position]) >= 3
    }
    if len(key) >= 2:
        starts_with_vowel = token[0] in _VOWELS
        for token_id in same_skeleton:
            listed = vocabulary[token_id]
            if len(listed) >= 3 and (len(key) >= 3 or (listed[0] in _VOWELS) == starts_with_vowel):
                found[token_id] = max(found.get(token_id, 0.0), weights.phonetic_similarity)
    return found


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
