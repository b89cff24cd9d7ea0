"""Fuzzy sanctions and PEP screening over prebuilt name indexes (one per list version).

    screener = Screener([NameIndex.from_bytes(b) for b in stored_indexes], policy)
    matches = screener.screen("Mohamed Naqdi", birth_date=date(1952, 1, 1), type=EntityType.PERSON)
    checks = classify(matches)  # SANCTIONS_MATCH, SANCTIONS_POSSIBLE_MATCH, PEP_MATCH

Names are normalised by `normalise.normalise_name`: NFKC, transliterated with anyascii (ISC
licence, permissive, where Unidecode is GPL; and wider coverage: Arabic, Cyrillic, CJK, Hangul,
Indic scripts), casefolded, punctuation, honorifics and legal forms removed, "SURNAME, Given"
reordered.

Retrieval: each query token is expanded to the listed tokens reachable through the index keys
(1-deletion neighbourhood, consonant skeleton, 3-letter prefix) and at least `token_floor` similar; a listed name
is a candidate only if its tokens cover `retrieval.min_coverage` of the query's weighted length
(computed with set intersections over postings, never a scan of the list). Scoring: greedy
Jaro-Winkler token pairing blended with rapidfuzz token_sort/token_set ratios, then weak-alias,
birth-date, nationality and entity-type adjustments, then the band. Every match carries its
explanation. Match objects name list entries only, never the subject's own data.
"""
from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from enum import StrEnum
from itertools import combinations

from rapidfuzz import fuzz
from rapidfuzz.distance import JaroWinkler

from chalicelib.domain.models import CheckResult, Frozen
from chalicelib.domain.screening.countries import iso3
from chalicelib.domain.screening.entities import EntityType, ListKind, NameKind
from chalicelib.domain.screening.index import PARTICLES, IndexedEntity, NameIndex, name_tokens, skeleton
from chalicelib.domain.screening.normalise import LEGAL_FORMS
from chalicelib.domain.screening.policy import ScreeningPolicy
from chalicelib.domain.screening.scoring import (
    BirthDateLevel,
    birth_date_level,
    pair_tokens,
    short_name_penalty,
    similar_tokens,
)

ENGINE = "fuzzy-v1"

SANCTIONS_MATCH = "SANCTIONS_MATCH"
SANCTIONS_POSSIBLE_MATCH = "SANCTIONS_POSSIBLE_MATCH"
PEP_MATCH = "PEP_MATCH"

_LONG_LEGAL_FORMS = tuple(sorted(f for f in LEGAL_FORMS if len(f) >= 5))
_LEGAL_FORM_SIMILARITY = 0.9
_MAX_SUBSET_TOKENS = 8  # longer queries gather candidates by counting instead of intersecting
_NAME_RANK = {kind.value: rank for rank, kind in enumerate(NameKind)}


class Band(StrEnum):
    BLOCK = "block"
    REVIEW = "review"
    PASS = "pass"


class NameScores(Frozen):
    """How the matched name compares with the screened one (each 0..1)."""

    token_pairs: float
    token_sort: float
    token_set: float
    name: float  # the policy's weighted blend of the three
    tokens_paired: int
    listed_tokens: int


class Adjustment(Frozen):
    factor: str  # weak_alias | birth_date | nationality | entity_type
    delta: float
    detail: str


class Match(Frozen):
    """One list entry the screened name matched, on its best-scoring name, explained."""

    source: str
    list_version: str
    source_id: str
    kind: ListKind
    entity_type: EntityType
    primary_name: str
    matched_name: str
    name_kind: NameKind
    programmes: tuple[str, ...] = ()
    score: float
    band: Band
    rule: str
    name_scores: NameScores
    adjustments: tuple[Adjustment, ...] = ()
    birth_date: BirthDateLevel = BirthDateLevel.UNKNOWN


@dataclass(frozen=True, slots=True)
class _Query:
    """The screened name prepared once for every index."""

    tokens: list[str]
    weights: list[float]
    text: str
    letters: int
    birth_date: date | None
    nationality: str | None
    type: EntityType | None


class Screener:
    """Screens names against the indexes of the list versions in force."""

    def __init__(self, indexes: Sequence[NameIndex], policy: ScreeningPolicy) -> None:
        sources = [index.source for index in indexes]
        if len(set(sources)) != len(sources):
            raise ValueError(f"one index per source, got {sources}")
        self.indexes = tuple(indexes)
        self.policy = policy
        particle = policy.name.particle_weight
        self._token_weights = {
            index.source: [len(t) * (particle if t in PARTICLES else 1.0) for t in index.vocabulary]
            for index in self.indexes
        }
        self._letter_counts = {index.source: [len(t) for t in index.vocabulary] for index in self.indexes}

    @property
    def list_versions(self) -> dict[str, str]:
        return {index.source: index.version for index in self.indexes}

    @property
    def engine(self) -> str:
        """Engine and policy version, to record with every result."""
        return f"{ENGINE}/{self.policy.policy}-{self.policy.version}"

    def screen(
        self,
        name: str,
        birth_date: date | None = None,
        nationality: str | None = None,
        type: EntityType | None = None,
        limit: int | None = 10,
        threshold: float | None = None,
        exhaustive: bool = False,
    ) -> list[Match]:
        """Matches scoring at least `threshold` (default: the review band), best first, one
        per list entry, at most `limit`. `nationality` is an ISO alpha-3 code or a country
        name. `exhaustive` scores every listed name without the index (benchmarks only)."""
        query = self._query(name, birth_date, nationality, type)
        if not query.tokens:
            return []
        floor = self.policy.bands.review if threshold is None else threshold
        matches = [m for index in self.indexes for m in self._screen_index(index, query, floor, exhaustive)]
        matches.sort(key=lambda m: (-m.score, _NAME_RANK[m.name_kind], m.source, m.source_id))
        return matches if limit is None else matches[:limit]

    def screen_person(self, full_name: str, birth_date: date | None, nationality: str | None = None) -> list[Match]:
        """Every match of a person in the review or block band (the workflow's call)."""
        return self.screen(full_name, birth_date, nationality, EntityType.PERSON, limit=None)

    def normalise(self, name: str) -> list[str]:
        """The tokens the engine compares for a name."""
        return self._query(name, None, None, None).tokens

    def retrieval_size(self, name: str) -> int:
        """How many listed names the indexes hand to scoring for `name` (diagnostics)."""
        query = self._query(name, None, None, None)
        return sum(len(self._candidates(i, query, self._expand(i, query, False))) for i in self.indexes)

    # --- query preparation and retrieval ------------------------------------------------

    def _query(self, name: str, birth_date: date | None, nationality: str | None, type: EntityType | None) -> _Query:
        tokens = _without_misspelt_legal_forms(name_tokens(name))
        particle = self.policy.name.particle_weight
        return _Query(
            tokens=tokens,
            weights=[len(t) * (particle if t in PARTICLES else 1.0) for t in tokens],
            text=" ".join(tokens),
            letters=sum(map(len, tokens)),
            birth_date=birth_date,
            nationality=iso3(nationality) if nationality else None,
            type=type,
        )

    def _expand(self, index: NameIndex, query: _Query, exhaustive: bool) -> list[dict[int, float]]:
        """Per query token: similar listed token id -> similarity. A token glued to its
        article ("alkhodair") is also compared without it ("khodair")."""
        everything = range(len(index.vocabulary))
        expansions = []
        for token in query.tokens:
            forms = [token, token[2:]] if token.startswith("al") and len(token) >= 6 else [token]
            expansion: dict[int, float] = {}
            for form in forms:
                key = skeleton(form)
                candidates = everything if exhaustive else list(index.similar_token_ids(form))
                same_skeleton = index.by_skeleton.get(key, ()) if len(key) >= 2 else ()
                for token_id, similarity in similar_tokens(
                    form, key, candidates, same_skeleton, index.vocabulary, self.policy.name
                ).items():
                    if similarity > expansion.get(token_id, 0.0):
                        expansion[token_id] = similarity
            expansions.append(expansion)
        return expansions

    def _candidates(self, index: NameIndex, query: _Query, expansions: list[dict[int, float]]) -> set[int]:
        """Names whose tokens cover at least min_coverage of the query's weighted length: the
        union, over the minimal token subsets heavy enough, of the intersection of their names."""
        need = self.policy.retrieval.min_coverage * sum(query.weights)
        present = [i for i, e in enumerate(expansions) if e]
        if sum(query.weights[i] for i in present) < need:
            return set()
        sets = {i: index.names_with(expansions[i]) for i in present}
        if len(present) > _MAX_SUBSET_TOKENS:
            covered: dict[int, float] = {}
            for i in present:
                for name_id in sets[i]:
                    covered[name_id] = covered.get(name_id, 0.0) + query.weights[i]
            return {n for n, w in covered.items() if w >= need}
        candidates: set[int] = set()
        minimal: list[frozenset[int]] = []
        for size in range(1, len(present) + 1):
            for subset in combinations(present, size):
                if sum(query.weights[i] for i in subset) < need or any(m <= set(subset) for m in minimal):
                    continue
                minimal.append(frozenset(subset))
                ordered = sorted(subset, key=lambda i: len(sets[i]))
                candidates |= sets[ordered[0]].intersection(*(sets[i] for i in ordered[1:]))
        return candidates

    # --- scoring --------------------------------------------------------------------------

    def _screen_index(self, index: NameIndex, query: _Query, floor: float, exhaustive: bool) -> list[Match]:
        expansions = self._expand(index, query, exhaustive)
        name_ids = range(len(index.names)) if exhaustive else self._candidates(index, query, expansions)
        policy = self.policy
        w = policy.name
        bonus = (policy.adjustments.birth_date.exact if query.birth_date else 0.0) + (
            policy.adjustments.nationality_agrees if query.nationality else 0.0
        )
        pair_floor = (floor - bonus - w.token_sort - w.token_set) / w.token_pairs
        token_weights = self._token_weights[index.source]
        letter_counts = self._letter_counts[index.source]
        best: dict[int, Match] = {}
        entity_adjustments: dict[int, tuple[list[Adjustment], BirthDateLevel]] = {}
        for name_id in name_ids:
            name = index.names[name_id]
            similarities = [
                (s, i, j)
                for j, token_id in enumerate(name.tokens)
                for i, expansion in enumerate(expansions)
                if (s := expansion.get(token_id))
            ]
            if not similarities:
                continue
            listed_weights = [token_weights[t] for t in name.tokens]
            pairs_score, paired = pair_tokens(query.weights, listed_weights, similarities, w)
            if pairs_score < pair_floor:
                continue  # cannot reach the floor even with perfect sort/set ratios
            listed_text = " ".join(index.vocabulary[t] for t in name.tokens)
            sort_score = fuzz.token_sort_ratio(query.text, listed_text) / 100
            set_score = fuzz.token_set_ratio(query.text, listed_text) / 100
            blend = w.token_pairs * pairs_score + w.token_sort * sort_score + w.token_set * set_score
            letters = min(query.letters, sum(letter_counts[t] for t in name.tokens))
            name_score = short_name_penalty(blend, letters, w)
            if name_score + bonus < floor:
                continue
            if name.entity not in entity_adjustments:
                entity_adjustments[name.entity] = self._entity_adjustments(index.entities[name.entity], query)
            adjustments, level = entity_adjustments[name.entity]
            if name.kind == NameKind.WEAK_ALIAS:
                adjustments = [
                    Adjustment(factor="weak_alias", delta=policy.adjustments.weak_alias, detail="matched a weak alias"),
                    *adjustments,
                ]
            score = round(min(1.0, max(0.0, name_score + sum(a.delta for a in adjustments))), 4)
            if score < floor or (name.entity in best and best[name.entity].score >= score):
                continue
            entity = index.entities[name.entity]
            band, rule = self._band(score, name.kind, level)
            best[name.entity] = Match(
                source=index.source,
                list_version=index.version,
                source_id=entity.source_id,
                kind=ListKind(entity.kind),
                entity_type=EntityType(entity.type),
                primary_name=entity.primary_name,
                matched_name=name.name,
                name_kind=NameKind(name.kind),
                programmes=entity.programmes,
                score=score,
                band=band,
                rule=rule,
                name_scores=NameScores(
                    token_pairs=round(pairs_score, 4),
                    token_sort=round(sort_score, 4),
                    token_set=round(set_score, 4),
                    name=round(name_score, 4),
                    tokens_paired=paired,
                    listed_tokens=len(name.tokens),
                ),
                adjustments=tuple(adjustments),
                birth_date=level,
            )
        return list(best.values())

    def _entity_adjustments(self, entity: IndexedEntity, query: _Query) -> tuple[list[Adjustment], BirthDateLevel]:
        """Birth date, nationality and entity type adjustments of one entry (no subject data
        in the details)."""
        policy = self.policy.adjustments
        adjustments = []
        level = birth_date_level(entity.birth_dates, query.birth_date, policy.birth_date.near_years)
        delta = {
            BirthDateLevel.EXACT: policy.birth_date.exact,
            BirthDateLevel.YEAR: policy.birth_date.year,
            BirthDateLevel.RANGE: policy.birth_date.range,
            BirthDateLevel.MISMATCH: policy.birth_date.mismatch,
        }.get(level)
        if delta is not None:
            adjustments.append(Adjustment(factor="birth_date", delta=delta, detail=f"listed birth date: {level.value}"))
        if query.nationality and entity.nationalities:
            listed = ", ".join(entity.nationalities)
            if query.nationality in entity.nationalities:
                adjustments.append(
                    Adjustment(factor="nationality", delta=policy.nationality_agrees, detail=f"listed {listed}: agrees")
                )
            else:
                adjustments.append(
                    Adjustment(factor="nationality", delta=policy.nationality_differs, detail=f"listed {listed}: differs")
                )
        if query.type is not None and (query.type is EntityType.PERSON) != (entity.type == EntityType.PERSON):
            adjustments.append(
                Adjustment(
                    factor="entity_type", delta=policy.entity_type_differs,
                    detail=f"listed as {entity.type}, screened as {query.type.value}",
                )
            )
        return adjustments, level

    def _band(self, score: float, name_kind: str, level: BirthDateLevel) -> tuple[Band, str]:
        """The band of a final score and the rule that put it there."""
        bands = self.policy.bands
        if score >= bands.block:
            if name_kind == NameKind.WEAK_ALIAS:
                return Band.REVIEW, f"score {score:.2f} >= block {bands.block:.2f}, but a weak alias alone never blocks"
            if level is BirthDateLevel.MISMATCH:
                return Band.REVIEW, f"score {score:.2f} >= block {bands.block:.2f}, but the birth date contradicts"
            return Band.BLOCK, f"score {score:.2f} >= block {bands.block:.2f}"
        if score >= bands.review:
            return Band.REVIEW, f"review {bands.review:.2f} <= score {score:.2f} < block {bands.block:.2f}"
        return Band.PASS, f"score {score:.2f} < review {bands.review:.2f}"


def _without_misspelt_legal_forms(tokens: list[str]) -> list[str]:
    """Drop tokens that are a misspelt legal form ("compnay", "limted"): normalisation drops
    the correct spellings from both sides, so a misspelt one would count as a missing word."""
    kept = [
        t for t in tokens
        if len(t) < 5 or not any(JaroWinkler.similarity(t, form) >= _LEGAL_FORM_SIMILARITY for form in _LONG_LEGAL_FORMS)
    ]
    return kept or tokens


def classify(matches: Iterable[Match]) -> list[CheckResult]:
    """The three screening checks. SANCTIONS_MATCH fails on a sanctions entry in the block
    band; otherwise SANCTIONS_POSSIBLE_MATCH fails on one in the review band; PEP_MATCH fails
    on a PEP entry in either band (enhanced due diligence, never a rejection by itself)."""
    matches = list(matches)
    sanctions = [m for m in matches if m.kind is ListKind.SANCTIONS]
    block = [m for m in sanctions if m.band is Band.BLOCK]
    review = [] if block else [m for m in sanctions if m.band is Band.REVIEW]
    pep = [m for m in matches if m.kind is ListKind.PEP and m.band is not Band.PASS]
    return [
        CheckResult(code=SANCTIONS_MATCH, passed=not block, detail=_detail(block)),
        CheckResult(code=SANCTIONS_POSSIBLE_MATCH, passed=not review, detail=_detail(review)),
        CheckResult(code=PEP_MATCH, passed=not pep, detail=_detail(pep)),
    ]


def _detail(matches: Sequence[Match]) -> str:
    """"ofac-sdn: 2 entries (7157, 8891)" per source; list references only, no subject data."""
    by_source: dict[str, list[str]] = {}
    for m in matches:
        by_source.setdefault(m.source, []).append(m.source_id)
    return "; ".join(
        f"{source}: {len(ids)} {'entry' if len(ids) == 1 else 'entries'} ({', '.join(ids)})"
        for source, ids in by_source.items()
    )
