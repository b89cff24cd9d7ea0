"""Scoring pieces of the fuzzy engine: token similarity, greedy pairing of words (or words
joined), and how listed birth dates compare with a subject's at the precision both give. Pure
functions; weights come from ScreeningPolicy."""
from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import date
from typing import NamedTuple

from rapidfuzz import process
from rapidfuzz.distance import OSA, JaroWinkler

from chalicelib.domain.screening.entities import CIRCA_TOLERANCE_YEARS, PartialDate, Precision
from chalicelib.domain.screening.index import BirthDateTuple
from chalicelib.domain.screening.matches import BirthDateLevel
from chalicelib.domain.screening.policy import NameWeights


_VOWELS = frozenset("aeiouy")
_FEW = 2  # below this many candidates, one call each beats a rapidfuzz batch


def similar_tokens(
    token: str,
    key: str,
    candidates: Sequence[int],
    same_skeleton: Iterable[int],
    vocabulary: Sequence[str],
    weights: NameWeights,
    across_boundary: bool = False,
) -> dict[int, float]:
    """Similarity to `token` (whose consonant skeleton is `key`) of the candidate listed
    tokens that reach `token_floor`, by token id.

    Similarity is Jaro-Winkler, raised to `phonetic_similarity` for the tokens of
    `same_skeleton` when the skeleton has 3+ consonants, or 2 and both tokens start with a
    vowel or both with a consonant (Nur/Noor, Kim/Qim, not Alan/Lina). Tokens of one or two
    letters (initials, particles) only match exactly. The similarities are computed in one
    rapidfuzz call (one call each for a couple of candidates).

    `across_boundary`: one side is words joined ("usama" for "Usa ma", "binladen" for "bin
    Laden"). Jaro-Winkler would find "mohammed" close to "mohammedali" for their shared
    prefix; words joined must be close letter for letter, so the similarity is the normalised
    optimal-string-alignment distance (edits and transpositions over the longer length), and a
    shared skeleton counts only for spellings of about the same length at least
    `joined_phonetic_floor` similar ("muhammadali" / "mohammed ali", not "muhammad" / "muhammad
    daud", whose skeletons also agree). So are two words whose lengths differ by `length_gap`
    letters or more: one of them may be words glued together that nobody spaced ("antonioaranda"
    is no spelling of "antonio", however much Jaro-Winkler likes the shared prefix).
    """
    if len(token) < 3:
        return {i: 1.0 for i in candidates if vocabulary[i] == token}
    scorer = OSA.normalized_similarity if across_boundary else JaroWinkler.similarity
    floor = weights.token_floor
    if len(candidates) <= _FEW:
        found = {i: similarity for i in candidates
                 if len(vocabulary[i]) >= 3 and (similarity := scorer(token, vocabulary[i], score_cutoff=floor))}
    else:
        choices = [vocabulary[i] for i in candidates]
        found = {
            candidates[position]: similarity
            for _, similarity, position in process.extract(token, choices, scorer=scorer, score_cutoff=floor, limit=None)
            if len(choices[position]) >= 3
        }
    gap = weights.length_gap
    if not across_boundary:  # words of lengths far apart: letter for letter, as words joined are
        for token_id in [i for i in found if abs(len(vocabulary[i]) - len(token)) >= gap]:
            if similarity := OSA.normalized_similarity(token, vocabulary[token_id], score_cutoff=floor):
                found[token_id] = min(found[token_id], similarity)
            else:
                del found[token_id]
    if len(key) >= 2:
        starts_with_vowel = token[0] in _VOWELS
        for token_id in same_skeleton:
            listed = vocabulary[token_id]
            if len(listed) >= 3 and (len(key) >= 3 or (listed[0] in _VOWELS) == starts_with_vowel) and (
                    not (across_boundary or abs(len(listed) - len(token)) >= gap)
                    or _close_spelling(token, listed, weights.joined_phonetic_floor)):
                found[token_id] = max(found.get(token_id, 0.0), weights.phonetic_similarity)
    return found


def _close_spelling(a: str, b: str, floor: float) -> bool:
    """Vowel spellings of one name change its length by a letter or two, not by a word."""
    return abs(len(a) - len(b)) <= 2 and OSA.normalized_similarity(a, b) >= floor


Span = tuple[int, int]
"""The words a unit covers: (first, one past the last). A word is (i, i + 1); words joined cover more."""


def pair_tokens(
    query_weights: Sequence[float],
    listed_weights: Sequence[float],
    similarities: list[tuple[float, int, int, int]],
    query_spans: Sequence[Span],
    listed_spans: Sequence[Span],
    weights: NameWeights,
) -> tuple[float, list[tuple[int, int]]]:
    """Greedy pairing of the query's units with the listed name's: the most similar pair first
    (a pair of single words before one that needs words joined, at equal similarity), each word
    in at most one pair, ties in name order. `similarities` holds (-similarity, 1 if words are
    joined else 0, query unit, listed unit); a unit is a word or adjacent words joined, covering
    its span of the per-word weights. Returns the weighted score and the pairs taken.

    score = sum(similarity * mean pair weight)
            / (sum(mean pair weight) + unmatched_query_token * unpaired query weight
               + conflicting_listed_token * conflicting + unmatched_listed_token * (unpaired listed
                 weight - conflicting))
    where conflicting = min(unpaired query weight, unpaired listed weight): so word order and word
    boundaries cost nothing, a listed middle name the query lacks costs little, and a listed word
    unpaired while a query word is unpaired too (another surname, another given name in its
    place) costs as a contradiction, not as an omission.
    """
    similarities.sort()
    used_query = [False] * len(query_weights)
    used_listed = [False] * len(listed_weights)
    numerator = paired_query = paired_listed = 0.0
    pairs: list[tuple[int, int]] = []
    for negated, _, qi, lj in similarities:
        qa, qb = query_spans[qi]
        la, lb = listed_spans[lj]
        if (used_query[qa] if qb - qa == 1 else True in used_query[qa:qb]) or (
                used_listed[la] if lb - la == 1 else True in used_listed[la:lb]):
            continue
        for i in range(qa, qb):
            used_query[i] = True
        for j in range(la, lb):
            used_listed[j] = True
        query_weight = query_weights[qa] if qb - qa == 1 else sum(query_weights[qa:qb])
        listed_weight = listed_weights[la] if lb - la == 1 else sum(listed_weights[la:lb])
        numerator -= negated * (query_weight + listed_weight) / 2
        paired_query += query_weight
        paired_listed += listed_weight
        pairs.append((qi, lj))
    return _score(numerator, paired_query, paired_listed, query_weights, listed_weights, weights), pairs


def pair_words(
    query_weights: Sequence[float],
    listed_weights: Sequence[float],
    similarities: list[tuple[float, int, int, int]],
    weights: NameWeights,
) -> tuple[float, list[tuple[int, int]]]:
    """`pair_tokens` when every unit is a single word (unit = word position): the same pairs
    and score, without spans."""
    similarities.sort()
    used_query: set[int] = set()
    used_listed: set[int] = set()
    numerator = paired_query = paired_listed = 0.0
    pairs: list[tuple[int, int]] = []
    for negated, _, i, j in similarities:
        if i in used_query or j in used_listed:
            continue
        used_query.add(i)
        used_listed.add(j)
        numerator -= negated * (query_weights[i] + listed_weights[j]) / 2
        paired_query += query_weights[i]
        paired_listed += listed_weights[j]
        pairs.append((i, j))
    return _score(numerator, paired_query, paired_listed, query_weights, listed_weights, weights), pairs


def _score(numerator: float, paired_query: float, paired_listed: float, query_weights: Sequence[float],
           listed_weights: Sequence[float], weights: NameWeights) -> float:
    """The pairing's score (see `pair_tokens`) from what its pairs add up to."""
    if not paired_query:
        return 0.0
    unpaired = _unpaired_cost(sum(query_weights) - paired_query, sum(listed_weights) - paired_listed, weights)
    return numerator / ((paired_query + paired_listed) / 2 + unpaired)


def _unpaired_cost(unpaired_query: float, unpaired_listed: float, weights: NameWeights) -> float:
    """What the unpaired words cost a pairing: the query's, the listed words the query has a word
    in place of (a contradiction), and the other listed words (an omission)."""
    conflicting = min(unpaired_query, unpaired_listed)  # a word on each side where the other has another
    return (weights.unmatched_query_token * unpaired_query
            + weights.conflicting_listed_token * conflicting
            + weights.unmatched_listed_token * (unpaired_listed - conflicting))


def pairing_bound(paired_query: float, paired_listed: float, query_weight: float, listed_weight: float,
                  weights: NameWeights) -> float:
    """The most `pair_tokens` can score for a name whose paired weights are at most these (every
    pair at similarity 1): the score only grows as more is paired, since an unpaired word on
    either side costs at least `unmatched_listed_token` and a contradicted listed word at least as
    much as an omitted one (the policy checks it)."""
    if not paired_query:
        return 0.0
    half = (paired_query + paired_listed) / 2
    return half / (half + _unpaired_cost(max(0.0, query_weight - paired_query),
                                         max(0.0, listed_weight - paired_listed), weights))


def longest_listed(paired_query: float, paired_listed: float, query_weight: float, floor: float,
                   weights: NameWeights) -> float | None:
    """The greatest weighted length a listed name can have for `pairing_bound` to reach `floor`
    when at most these weights pair (past `paired_listed`, each listed word more is unpaired):
    None if any length can, negative if none can."""
    if floor <= 0 or weights.conflicting_listed_token == 0:
        return None
    half = (paired_query + paired_listed) / 2
    unpaired_query = max(0.0, query_weight - paired_query)
    budget = half / floor - half - weights.unmatched_query_token * unpaired_query  # what unpaired listed words may cost
    if budget < 0:
        return -1.0
    if budget <= weights.conflicting_listed_token * unpaired_query:
        return paired_listed + budget / weights.conflicting_listed_token
    if weights.unmatched_listed_token == 0:
        return None
    rest = budget - weights.conflicting_listed_token * unpaired_query
    return paired_listed + unpaired_query + rest / weights.unmatched_listed_token


def short_name_penalty(name_score: float, length: int, weights: NameWeights) -> float:
    """The name score with its shortfall from 1 multiplied for short names: the fewer letters
    two names have, the less a difference can be a typo rather than another name ("Martin"
    vs "Artin"). `length` is the letter count of the shorter name."""
    short = weights.short_name
    factor = 1.0 + short.strictness * max(0.0, (short.length - length) / short.length)
    return max(0.0, 1.0 - (1.0 - name_score) * factor)


_LEVEL_RANK = {level: rank for rank, level in enumerate(BirthDateLevel)}
_PRECISION_RANK = {Precision.YEAR: 0, Precision.MONTH: 1, Precision.DAY: 2}


class BirthDateComparison(NamedTuple):
    level: BirthDateLevel
    precision: Precision | None  # the coarser of what the two dates give (None: nothing compared)


NOT_COMPARED = BirthDateComparison(BirthDateLevel.UNKNOWN, None)


def birth_date_level(listed: Sequence[BirthDateTuple], subject: PartialDate | None,
                     near_years: int) -> BirthDateComparison:
    """The best level over the listed birth dates, and the precision it was compared at: the
    coarser of the subject's date and the listed one (a circa date or a range compares years)."""
    if subject is None or not listed:
        return NOT_COMPARED
    return min((_one_level(t, subject, near_years) for t in listed), key=lambda c: _LEVEL_RANK[c.level])


def far_from_every_birth_date(listed: Sequence[BirthDateTuple], year: int, near_years: int) -> bool:
    """Whether the years alone show `birth_date_level` would find a MISMATCH for a subject born in
    `year`: at least one listed date, and each one either without a year or further than
    `near_years` (and a circa date's tolerance) from it. The cheap test screening reads first, for
    the thousands of entries a common name reaches in a list of millions; False says nothing."""
    far = False
    for exact, listed_year, _, year_from, year_to, circa in listed:
        if exact:
            low = high = date.fromordinal(exact).year
        elif listed_year:
            low = high = listed_year
        elif year_from:
            low, high = year_from, year_to
        else:
            continue  # no year: not compared, and a mismatch elsewhere still ranks before it
        if max(low - year, year - high) <= (CIRCA_TOLERANCE_YEARS if circa else 0) + near_years:
            return False
        far = True
    return far


def _one_level(listed: BirthDateTuple, subject: PartialDate, near_years: int) -> BirthDateComparison:
    exact, year, month, year_from, year_to, circa = listed
    slack = CIRCA_TOLERANCE_YEARS if circa else 0
    if exact:
        day = date.fromordinal(exact)
        precision = _coarser(subject.precision, Precision.YEAR if circa else Precision.DAY)
        same = subject.year == day.year and subject.month in (None, day.month) and subject.day in (None, day.day)
        if same and not circa:
            level = BirthDateLevel.EXACT if precision is Precision.DAY else BirthDateLevel.YEAR
            return BirthDateComparison(level, precision)
        low = high = day.year
    elif year:
        precision = _coarser(subject.precision, Precision.YEAR if circa or not month else Precision.MONTH)
        if not circa and subject.year == year and (precision is Precision.YEAR or subject.month == month):
            return BirthDateComparison(BirthDateLevel.YEAR, precision)
        low = high = year
    elif year_from:
        precision, (low, high) = Precision.YEAR, (year_from, year_to)
    else:
        return NOT_COMPARED
    distance = max(low - subject.year, subject.year - high, 0)
    if (circa or year_from) and distance <= slack:
        return BirthDateComparison(BirthDateLevel.RANGE, precision)
    level = BirthDateLevel.NEAR if distance <= slack + near_years else BirthDateLevel.MISMATCH
    return BirthDateComparison(level, precision)


def _coarser(a: Precision, b: Precision) -> Precision:
    return a if _PRECISION_RANK[a] <= _PRECISION_RANK[b] else b
