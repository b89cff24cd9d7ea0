"""Fuzzy sanctions and PEP screening over prebuilt name indexes (one per list version).

    screener = Screener([NameIndex.from_bytes(b) for b in stored_indexes], policy)
    matches = screener.screen("Mohamed Naqdi", birth_date=PartialDate(year=1952), type=EntityType.PERSON)
    checks = classify(matches)  # SANCTIONS_MATCH, SANCTIONS_POSSIBLE_MATCH, PEP_MATCH

Names are normalised by `normalise.normalise_name`: NFKC, transliterated with anyascii (ISC
licence, permissive, where Unidecode is GPL; and wider coverage: Arabic, Cyrillic, CJK, Hangul,
Indic scripts), casefolded, punctuation, honorifics and legal forms removed, "SURNAME, Given"
reordered.

Word boundaries are not evidence: a space, a hyphen or a glued particle can be put in or left
out by whoever types a name ("Usa ma bin Laden", "Usama binLaden", "Usa-ma"). The query's
adjacent words are also tried joined, and every listed name carries its adjacent words joined
(`index.joined_words`), so a split word pairs with the listed word and a joined one with the
listed words joined; the explanation says when a match needed it (`resegmented`).

Retrieval: each query word, and each pair of adjacent query words joined, is expanded to the
listed tokens reachable through the index keys (1-deletion neighbourhood, consonant skeleton,
3-letter prefix) and at least `token_floor` similar; a listed name is a candidate only if its
tokens cover `retrieval.min_coverage` of the query's weighted length (computed with set
intersections over postings, never a scan of the list) and it is short enough for the pairing to
reach the floor with what it covers (postings are in order of their names' letters: the names
short enough are a prefix of each). Before a candidate is paired, an upper bound of its pairing
(`scoring.pairing_bound`, from which query words its words reach) is read against the floor with
the entry's own birth date, nationality, type and name kind adjustments; only names that pass it
are scored. The bounds never change a result (tests/unit/test_screening_bounds.py compares
screening with and without them). Scoring: greedy Jaro-Winkler pairing of
words (or words joined) blended with rapidfuzz token_sort/token_set ratios of the two names as
paired, then weak-alias, birth-date (at the precision both dates give), nationality and
entity-type adjustments, then the band. Every match carries its explanation. Match objects
name list entries (and word positions of the screened name), never the subject's own data.
"""
from __future__ import annotations

from bisect import bisect_right
from collections import OrderedDict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from functools import lru_cache
from itertools import combinations, repeat

from rapidfuzz import fuzz
from rapidfuzz.distance import JaroWinkler

from chalicelib.domain.models import CheckResult
from chalicelib.domain.screening.countries import iso3
from chalicelib.domain.screening.entities import EntityType, ListKind, NameKind, PartialDate
from chalicelib.domain.screening.index import (
    CANONICAL_PARTICLES,
    PARTICLES,
    IndexedEntity,
    NameIndex,
    deletion_keys,
    joined_words,
    skeleton,
)
from chalicelib.domain.screening.matches import (  # the engine's results (importable from here too)
    Adjustment,
    Band,
    BirthDateLevel,
    Joined,
    Match,
    MatchStatus,
    NameScores,
    Resegmentation,
)
from chalicelib.domain.screening.normalise import LEGAL_FORMS, normalised_words
from chalicelib.domain.screening.policy import ScreeningPolicy
from chalicelib.domain.screening.scoring import (
    BirthDateComparison,
    Span,
    birth_date_level,
    far_from_every_birth_date,
    pair_tokens,
    pair_words,
    longest_listed,
    pairing_bound,
    short_name_penalty,
    similar_tokens,
)

ENGINE = "fuzzy-v3"  # v2: word boundaries, partial birth dates; v3: contradicted words, length gap

SANCTIONS_MATCH = "SANCTIONS_MATCH"
SANCTIONS_POSSIBLE_MATCH = "SANCTIONS_POSSIBLE_MATCH"
PEP_MATCH = "PEP_MATCH"

_LONG_LEGAL_FORMS = tuple(sorted(f for f in LEGAL_FORMS if len(f) >= 5))
_LEGAL_FORM_SIMILARITY = 0.9
_MAX_SUBSET_TOKENS = 8  # longer queries gather candidates by counting instead of intersecting
_REACHED_CACHE = 50_000  # query forms whose reach in an index is kept (a few hundred bytes each)
# The names holding a word are as many as its postings (thousands in a list of millions): the cached
# sets of them are bounded by the name ids they hold together (some 50 bytes an id), not by their count.
_REACHED_NAMES_HELD = 1_000_000
_NAME_RANK = {kind.value: rank for rank, kind in enumerate(NameKind)}
_UNSCORED = object()
_FEW_POSTINGS = 256  # names covering a word: fewer are all read, more are read off by their letters
_BOUND_SLACK = 1e-3  # bounds are read against a floor this much lower (a score is rounded before its band)


@dataclass(frozen=True, slots=True)
class _Query:
    """The screened name prepared once for every index."""

    tokens: list[str]
    weights: list[float]  # per word
    # (form, first word, one past the last, stopword glued on or ""): every word, then words joined
    units: list[tuple[str, int, int, str]]
    # per unit, the forms it is compared in (a word glued to "al" also without it), each with its
    # consonant skeleton and deletion keys (the same for every index)
    forms: list[list[tuple[str, str, frozenset[str]]]]
    text: str
    letters: int
    birth_date: PartialDate | None
    nationality: str | None
    type: EntityType | None

    @property
    def spans(self) -> list[Span]:
        return [(a, b) for _, a, b, _ in self.units]


class Screener:
    """Screens names against the indexes of the list versions in force."""

    def __init__(self, indexes: Sequence[NameIndex], policy: ScreeningPolicy, word_boundaries: bool = True) -> None:
        """`word_boundaries=False` compares words only as spaced (the engine before it saw
        through word boundaries: benchmarks measure what that costs)."""
        sources = [index.source for index in indexes]
        if len(set(sources)) != len(sources):
            raise ValueError(f"one index per source, got {sources}")
        self.indexes = tuple(indexes)
        self.policy = policy
        self.word_boundaries = word_boundaries
        particle = policy.name.particle_weight
        self._token_weights = {index.source: [len(t) * (particle if t in PARTICLES else 1.0) for t in index.vocabulary]
                               for index in self.indexes}
        birth_date = policy.adjustments.birth_date  # what each level adds (the others add nothing)
        self._birth_date_deltas = {BirthDateLevel.EXACT: birth_date.exact, BirthDateLevel.YEAR: birth_date.year,
                                   BirthDateLevel.RANGE: birth_date.range, BirthDateLevel.MISMATCH: birth_date.mismatch}
        self._token_letters = {index.source: list(map(len, index.vocabulary)) for index in self.indexes}
        self._reached: dict[str, dict[tuple[str, bool], tuple[dict[int, float], dict[int, float]]]] = {
            index.source: {} for index in self.indexes}
        self._name_totals: dict[str, list[float]] = {}
        # (source, min_coverage) -> (each name's covering weight, word -> its names by that weight, the weights)
        self._needs: dict[tuple[str, float], tuple[list[float], dict[int, tuple[list[int], list[float]]]]] = {}
        self._reached_names: dict[str, OrderedDict[int, tuple[dict[int, float], set[int]]]] = {
            index.source: OrderedDict() for index in self.indexes}
        self._names_held: dict[str, int] = {index.source: 0 for index in self.indexes}
        self._longest_names: dict[str, int] = {}
        longest = max((index.names.tokens.longest() for index in self.indexes), default=0)
        self._word_spans = [[(j, j + 1) for j in range(n)] for n in range(longest + 1)]  # n words, one span each

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
        birth_date: PartialDate | date | None = None,
        nationality: str | None = None,
        type: EntityType | None = None,
        limit: int | None = 10,
        threshold: float | None = None,
        exhaustive: bool = False,
    ) -> list[Match]:
        """Matches scoring at least `threshold` (default: the review band), best first, one
        per list entry, at most `limit`. `nationality` is an ISO alpha-3 code or a country
        name; `birth_date` a full date or one known to the month or year. `exhaustive` scores
        every listed name without the index (benchmarks only)."""
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
        pair_floor = self._pair_floor(query, self.policy.bands.review)
        return sum(len(self._candidates(i, query, *self._expand(i, query, False), pair_floor)) for i in self.indexes)

    def reaching(self, name: str, min_coverage: float) -> dict[str, list[int]]:
        """Reverse retrieval, for ongoing monitoring: a listed entry's name is the query and the
        indexes hold customers. Per index, the names (ids) whose own weighted length `name`'s
        words, or words joined, cover at least `min_coverage` of: the names that, each screened
        against `name` as a listed name, the forward retrieval would hand to scoring. The keys
        that reach a word (one deletion, the consonant skeleton, the first letters) and the
        similarities are symmetric, so the same pairs are found from either side."""
        query = self._query(name, None, None, None)
        if not query.tokens:
            return {}
        found: dict[str, list[int]] = {}
        for index in self.indexes:
            expansions, joined = self._expand(index, query, False)
            weights = self._token_weights[index.source]
            reached = set().union(*expansions)
            names: set[int] = set()
            seen: set[int] = set()
            several: set[int] = set()  # names holding two or more of the words reached
            for token_id in reached:
                by_need, needs = self._by_need(index, token_id, min_coverage)
                names.update(by_need[:bisect_right(needs, weights[token_id])])  # covered by this word alone
                postings = index.postings[token_id]
                several.update(seen.intersection(postings))
                seen.update(postings)
            covered: dict[int, float] = {}
            flat, starts = index.names.tokens.flat, index.names.tokens.starts
            for name_id in several:
                tokens = set(flat[starts[name_id]:starts[name_id + 1]])
                covered[name_id] = sum(weights[t] for t in reached if t in tokens)
            joined_reached = set().union(*joined)
            if joined_reached:  # indexed words joined, similar to one word of the query
                for name_id in index.names_joining(joined_reached):
                    tokens = flat[starts[name_id]:starts[name_id + 1]]
                    if name_id not in covered:
                        covered[name_id] = sum(weights[t] for t in reached if t in set(tokens))
                    covered[name_id] += sum(
                        weights[tokens[k]] for joined_id, a, b in index.names.joins_of(name_id)
                        if joined_id in joined_reached for k in range(a, b) if tokens[k] not in reached)
            totals = self._totals(index)
            names.update(n for n, weight in covered.items() if weight >= min_coverage * totals[n])
            found[index.source] = list(names)
        return found

    def _by_need(self, index: NameIndex, token_id: int, min_coverage: float) -> tuple[list[int], list[float]]:
        """The names holding an indexed word, by the weight that covers `min_coverage` of each
        (their own weighted length's share), and those weights in order (kept per screener)."""
        cache = self._needs.get((index.source, min_coverage))
        if cache is None:  # each name's covering weight: min_coverage of its weighted length
            cache = self._needs[(index.source, min_coverage)] = (list(map(min_coverage.__mul__, self._totals(index))), {})
        need, by_token = cache
        found = by_token.get(token_id)
        if found is None:
            by_need = sorted(index.postings[token_id], key=need.__getitem__)
            found = by_token[token_id] = (by_need, list(map(need.__getitem__, by_need)))
        return found

    def word_reach(self, index: NameIndex, word: str) -> tuple[dict[int, float], dict[int, float]]:
        """What one word of a screened name reaches in `index`, as screening computes it (and
        caches it: a later screening of a name with that word finds it done): similar listed word
        id -> similarity, and similar listed words-joined id -> similarity."""
        cache = self._reached[index.source]
        key = (word, True)
        reached = cache.get(key)
        if reached is None:
            reached = self._reach(index, [(f, *_keys(f)) for f in _forms(word, True)], True, False)
            if len(cache) >= _REACHED_CACHE:
                cache.clear()
            cache[key] = reached
        return reached

    def joined_reach(self, index: NameIndex, form: str) -> dict[int, float]:
        """What adjacent words of a screened name joined as `form` reach in `index` (similar listed
        word id -> similarity), as screening computes it (and caches it)."""
        cache = self._reached[index.source]
        key = (form, False)
        reached = cache.get(key)
        if reached is None:
            reached = self._reach(index, [(form, *_keys(form))], False, False)
            if len(cache) >= _REACHED_CACHE:
                cache.clear()
            cache[key] = reached
        return reached[0]

    def _totals(self, index: NameIndex) -> list[float]:
        """Each indexed name's weighted length (computed once per index)."""
        totals = self._name_totals.get(index.source)
        if totals is None:
            weights = self._token_weights[index.source]
            # sum(weights[t] for t in tokens) for each name's tokens, the loops in C (a million customers)
            totals = self._name_totals[index.source] = list(map(sum, map(map, repeat(weights.__getitem__),
                                                                         index.names.tokens)))
        return totals

    # --- query preparation and retrieval ------------------------------------------------

    def _query(self, name: str, birth_date: PartialDate | date | None, nationality: str | None,
               type: EntityType | None) -> _Query:
        tokens, glued = _query_words(name)
        particle = self.policy.name.particle_weight
        units = [(t, i, i + 1, "") for i, t in enumerate(tokens)]
        if self.word_boundaries:
            units += [(w, a, b, "") for w, a, b in joined_words(tokens)] + glued
        return _Query(
            tokens=tokens,
            weights=[len(t) * (particle if t in PARTICLES else 1.0) for t in tokens],
            units=units,
            forms=[[(f, *_keys(f)) for f in _forms(form, unit < len(tokens))] for unit, (form, _, _, _) in enumerate(units)],
            text=" ".join(tokens),
            letters=sum(map(len, tokens)),
            birth_date=PartialDate.of(birth_date) if isinstance(birth_date, date) else birth_date,
            nationality=iso3(nationality) if nationality else None,
            type=type,
        )

    def _expand(self, index: NameIndex, query: _Query, exhaustive: bool
                ) -> tuple[list[dict[int, float]], list[dict[int, float]]]:
        """Per query unit (a word, or words joined): similar listed word id -> similarity; and
        per query word: similar listed words-joined id -> similarity. A unit's expansion depends
        only on its form, so it is computed once per screener (names share words: a customer base
        repeats its given names and surnames) and kept until the cache is full."""
        words = len(query.tokens)
        cache = None if exhaustive else self._reached[index.source]
        expansions, joined = [], []
        for unit, forms in enumerate(query.forms):
            single = unit < words
            key = (forms[0][0], single)
            reached = cache.get(key) if cache is not None else None
            if reached is None:
                reached = self._reach(index, forms, single, exhaustive)
                if cache is not None:
                    if len(cache) >= _REACHED_CACHE:
                        cache.clear()
                    cache[key] = reached
            expansions.append(reached[0])
            if single:
                joined.append(reached[1])
        return expansions, joined

    def _reach(self, index: NameIndex, forms: list[tuple[str, str, frozenset[str]]], single: bool,
               exhaustive: bool) -> tuple[dict[int, float], dict[int, float]]:
        """One unit's similar listed words, and (a single word) its similar listed words joined."""
        weights = self.policy.name
        token, token_key = forms[0][0], forms[0][1]
        expansion: dict[int, float] = {}
        for form, key, deleted in forms:
            if exhaustive:
                candidates: Sequence[int] = range(len(index.vocabulary))
            else:  # words joined: not by their first letters, which are one word's
                candidates = list(index.similar_token_ids(form, key, prefix=single, deleted=deleted))
            if candidates:
                same = index.by_skeleton.get(key, ()) if len(key) >= 2 else ()
                found = similar_tokens(form, key, candidates, same, index.vocabulary, weights, not single)
                if expansion:
                    for token_id, similarity in found.items():
                        if similarity > expansion.get(token_id, 0.0):
                            expansion[token_id] = similarity
                else:
                    expansion = found
        if not single or not self.word_boundaries:
            return expansion, {}
        candidates = range(len(index.joined)) if exhaustive else list(index.joined_like(token, token_key))
        same = index.joined_by_skeleton.get(token_key, ()) if len(token_key) >= 2 else ()
        return expansion, (similar_tokens(token, token_key, candidates, same, index.joined, weights, True)
                           if candidates else {})

    def _names(self, index: NameIndex, reached: dict[int, float], names_of: Callable[[Iterable[int]], set[int]]
               ) -> set[int]:
        """The names holding any of these listed words (or words joined), kept with a cached
        expansion (read-only: the callers copy before adding to it)."""
        cache = self._reached_names[index.source]
        hit = cache.get(id(reached))
        if hit is not None and hit[0] is reached:
            cache.move_to_end(id(reached))
            return hit[1]
        names = names_of(reached)
        held = self._names_held[index.source] + len(names)
        # the least recently used go first, a few at a time: emptying the cache at once would free
        # a million ids within one screening
        while cache and (len(cache) >= 2 * _REACHED_CACHE or held > _REACHED_NAMES_HELD):
            held -= len(cache.popitem(last=False)[1][1])
        cache[id(reached)] = (reached, names)  # the expansion is kept alive with it: its id stays its own
        self._names_held[index.source] = held
        return names

    def _candidates(self, index: NameIndex, query: _Query, expansions: list[dict[int, float]],
                    joined: list[dict[int, float]], pair_floor: float) -> set[int]:
        """Names whose tokens cover at least min_coverage of the query's weighted length and whose
        length leaves the pairing a chance to reach `pair_floor`: over the sets of query words
        heavy enough, the intersection of the names covering each word, short enough for that
        set (`scoring.longest_listed`: a name that covers only part of the query pairs at most
        that part and the heaviest listed words similar to it; every listed word more is an
        unpaired one, and one facing an unpaired query word a contradiction). A name covers a
        query word if it has a word similar to it or to query words joined that include it, or
        words joined similar to it."""
        weights = query.weights
        query_weight = sum(weights)
        need = self.policy.retrieval.min_coverage * query_weight
        token_weights = self._token_weights[index.source]
        # per query word: what covers it (similar listed words, or words joined) and the heaviest
        # listed word (or words joined) that could pair with it
        sources: dict[int, list[tuple[dict[int, float], bool]]] = {}
        heaviest: dict[int, float] = {}
        for (first, last), expansion in zip(query.spans, expansions):
            if expansion:
                weight = max(map(token_weights.__getitem__, expansion))
                for i in range(first, last):
                    sources.setdefault(i, []).append((expansion, False))
                    heaviest[i] = max(heaviest.get(i, 0.0), weight)
        for i, expansion in enumerate(joined):
            if expansion:
                sources.setdefault(i, []).append((expansion, True))
                heaviest[i] = max(heaviest.get(i, 0.0), max(len(index.joined[j]) for j in expansion))
        present = sorted(sources)
        if sum(weights[i] for i in present) < need:
            return set()
        full: dict[int, set[int]] = {}

        def covering(i: int) -> set[int]:
            """The names covering query word i (kept for the query: read-only)."""
            found = full.get(i)
            if found is None:
                sets = [self._names(index, e, index.names_joining if is_joined else index.names_with)
                        for e, is_joined in sources[i]]
                found = full[i] = sets[0] if len(sets) == 1 else set().union(*sets)
            return found

        counts: dict[int, int] = {}

        def postings(i: int) -> int:
            """How many names hold what covers query word i (with repeats; postings counted, not read)."""
            if (count := counts.get(i)) is None:
                count = 0
                for e, is_joined in sources[i]:
                    starts = (index.joined_postings if is_joined else index.postings).starts
                    count += sum(starts[t + 1] - starts[t] for t in e)
                counts[i] = count
            return count

        words_of, joins_of = index.names.tokens, index.names.joins
        reaching: dict[int, tuple[frozenset[int], frozenset[int]]] = {}

        def covers(i: int, name_id: int) -> bool:
            """Whether name `name_id` covers query word i (read off its words and words joined)."""
            if (reach := reaching.get(i)) is None:
                reach = reaching[i] = (frozenset(t for e, is_joined in sources[i] if not is_joined for t in e),
                                       frozenset(t for e, is_joined in sources[i] if is_joined for t in e))
            return not reach[0].isdisjoint(words_of[name_id]) or (
                bool(reach[1]) and not reach[1].isdisjoint(joins_of[name_id][0::3]))

        if len(present) > _MAX_SUBSET_TOKENS:
            covered: dict[int, float] = {}
            for i in present:
                for name_id in covering(i):
                    covered[name_id] = covered.get(name_id, 0.0) + weights[i]
            return {n for n, w in covered.items() if w >= need}
        w = self.policy.name
        candidates: set[int] = set()
        unrestricted: list[frozenset[int]] = []  # word sets whose every covering name is a candidate
        for size in range(1, len(present) + 1):
            for subset in combinations(present, size):
                paired = sum(weights[i] for i in subset)
                if paired < need or any(m <= set(subset) for m in unrestricted):
                    continue
                letters = longest_listed(paired, sum(heaviest[i] for i in subset), query_weight,
                                         pair_floor - _BOUND_SLACK, w)
                if letters is not None and letters < 0:
                    continue  # no name covering only these words can pair well enough
                first = min(subset, key=postings)  # the names covering the word with the fewest, then the others
                if letters is None or letters >= self._longest(index):
                    unrestricted.append(frozenset(subset))
                    found = covering(first)
                elif postings(first) <= _FEW_POSTINGS:
                    found = covering(first)
                else:  # only those short enough
                    others = sum(heaviest[i] for i in subset) - heaviest[first]
                    count, rows = self._short(index, sources[first], lambda weight: longest_listed(
                        paired, others + weight, query_weight, pair_floor - _BOUND_SLACK, w))
                    found = set().union(*(flat[start:cut] for flat, start, cut in rows)) if count else set()
                for i in subset:
                    if i == first or not found:
                        continue
                    if i not in full and len(found) * 32 < postings(i):  # names read one by one in Python, gathered in C
                        found = {n for n in found if covers(i, n)}
                    else:
                        found = found.intersection(covering(i))
                candidates |= found
        return candidates

    def _short(self, index: NameIndex, sources: list[tuple[dict[int, float], bool]],
               longest: Callable[[float], float | None]) -> tuple[int, list[tuple[Sequence[int], int, int]]]:
        """The names covering one query word that are short enough to pair well enough with it:
        as many as `longest(weight)` allows for a listed word (or words joined) of that weight, read
        off the postings (each in order of its names' letters) without reading the names. Returns
        their count, and the (flat array, start, cut) of each posting's part."""
        letters_of = index.names.letters.__getitem__
        token_weights = self._token_weights[index.source]
        limits: dict[float, float] = {}
        count, rows = 0, []
        for expansion, is_joined in sources:
            postings = index.joined_postings if is_joined else index.postings
            flat, starts = postings.flat, postings.starts
            for i in expansion:
                weight = len(index.joined[i]) if is_joined else token_weights[i]
                limit = limits.get(weight)
                if limit is None:
                    limit = limits[weight] = longest(weight)
                    limit = limits[weight] = float("inf") if limit is None else limit
                start = starts[i]
                cut = bisect_right(flat, limit, start, starts[i + 1], key=letters_of) if limit >= 0 else start
                if cut > start:
                    count += cut - start
                    rows.append((flat, start, cut))
        return count, rows

    def _longest(self, index: NameIndex) -> int:
        """The most letters a name of the index has (`NameColumns.letters`)."""
        longest = self._longest_names.get(index.source)
        if longest is None:
            longest = self._longest_names[index.source] = max(index.names.letters, default=0)
        return longest

    # --- scoring --------------------------------------------------------------------------

    def _bonus(self, query: _Query) -> float:
        """The most a query's birth date and nationality can add to a name score."""
        adjustments = self.policy.adjustments
        return ((adjustments.birth_date.exact if query.birth_date else 0.0)
                + (adjustments.nationality_agrees if query.nationality else 0.0))

    def _pair_floor(self, query: _Query, floor: float) -> float:
        """The pairing score a name needs at least to reach `floor` (the most the query's birth
        date and nationality add)."""
        return self._pairing_needed(floor, self._bonus(query))

    def _pairing_needed(self, floor: float, adjusted: float) -> float:
        """The pairing score a name needs at least to reach `floor` when the adjustments add
        `adjusted` to its name score (token-sort and token-set ratios taken as 1)."""
        w = self.policy.name
        return (floor - adjusted - w.token_sort - w.token_set) / w.token_pairs

    def _screen_index(self, index: NameIndex, query: _Query, floor: float, exhaustive: bool) -> list[Match]:
        expansions, joined = self._expand(index, query, exhaustive)
        policy = self.policy
        w = policy.name
        bonus = self._bonus(query)
        pair_floor = self._pair_floor(query, floor)
        name_ids = (range(len(index.names)) if exhaustive
                    else self._candidates(index, query, expansions, joined, pair_floor))
        token_letters = self._token_letters[index.source]
        token_weights = self._token_weights[index.source]
        vocabulary = index.vocabulary
        words = len(query.tokens)
        query_spans = query.spans
        reached = [(i, e) for i, e in enumerate(expansions[:words]) if e]  # query words that reach listed words
        reached_units = [(i, e) for i, e in enumerate(expansions) if i >= words and e]  # query words joined
        reached_joined = [(i, e) for i, e in enumerate(joined) if e]  # query words that reach listed words joined
        joining = index.names_joining({j for _, e in reached_joined for j in e})  # the names those are in
        # listed word -> (the query positions the units it is similar to cover, as bits; the heaviest
        # of those units): what a name's words can pair at most, read before pairing them
        reach_of: dict[int, tuple[int, float]] = {}
        for i, expansion in enumerate(expansions):
            a, b = query_spans[i]
            bits, weight = (1 << b) - (1 << a), sum(query.weights[a:b])
            for token_id in expansion:
                other = reach_of.get(token_id)
                reach_of[token_id] = (bits, weight) if other is None else (other[0] | bits, max(other[1], weight))
        query_weight = sum(query.weights)
        covering: dict[int, float] = {}  # query positions (bits) -> their weight
        word_spans = self._word_spans
        best: dict[int, Match] = {}
        entity_adjustments: dict[int, tuple[IndexedEntity, list[Adjustment], BirthDateComparison]] = {}
        names = index.names
        flat, starts = names.tokens.flat, names.tokens.starts  # name i's words: flat[starts[i]:starts[i + 1]]
        entity_of, kind_of = names.entity, names.kind
        # names with the same words (an entry's aliases, namesakes: thousands in a list of millions)
        # score the same on the name: scored once per query, by their words (None: below the floor)
        scored: dict[bytes, tuple[float, float, float, float, int, list[tuple[int, int]], list[Span]] | None] = {}
        bounds: dict[bytes, float] = {}  # the most the words of a name can pair (`pairing_bound`)
        entities = index.entities
        birth_codes, nationality_codes = entities.birth_dates.codes, entities.nationalities.codes
        type_codes = entities.type.codes
        # what an entry's birth dates add, and its nationalities, type and name kind: per code
        birth_deltas: dict[int, float] = {}
        entry_deltas: dict[tuple[int, int, int], float] = {}
        birth_dates = entities.birth_dates.values
        for name_id in name_ids:
            tokens = flat[starts[name_id]:starts[name_id + 1]]
            words_key = tokens.tobytes()
            found = scored.get(words_key, _UNSCORED)
            if found is None:
                continue
            if found is _UNSCORED:
                if name_id not in joining:  # listed words joined pair more than the words alone say
                    bound = bounds.get(words_key)
                    if bound is None:
                        bits, heaviest, paired, listed_weight = 0, 0.0, 0.0, 0.0
                        for token_id in tokens:
                            listed_weight += token_weights[token_id]
                            if (reach := reach_of.get(token_id)) is not None:
                                bits |= reach[0]
                                heaviest += reach[1]  # a listed word pairs one unit at most
                                paired += token_weights[token_id]
                        if (covered := covering.get(bits)) is None:
                            covered = covering[bits] = sum(q for k, q in enumerate(query.weights) if bits >> k & 1)
                        bound = bounds[words_key] = pairing_bound(min(covered, heaviest), paired, query_weight,
                                                                  listed_weight, w)
                    if bound < pair_floor - _BOUND_SLACK:
                        scored[words_key] = None  # cannot reach the floor whatever its words pair with
                        continue
                    # nor, with what this entry's birth date, nationality, type and name kind do to the
                    # score (a namesake of another entry may still: not kept as the words' verdict)
                    position = entity_of[name_id]
                    if (birth := birth_deltas.get(code := birth_codes[position])) is None:
                        birth = birth_deltas[code] = self._birth_date_delta(birth_dates[code], query)
                    key = (nationality_codes[position], type_codes[position], kind_of.codes[name_id])
                    if (delta := entry_deltas.get(key)) is None:
                        delta = entry_deltas[key] = self._entry_delta(index, key, query)
                    if bound < self._pairing_needed(floor, birth + delta) - _BOUND_SLACK:
                        continue
                # (-similarity, 1 if words are joined, query unit, listed unit), sorted: most similar
                # first, single words before words joined, then in name order
                similarities = [
                    (-s, 0, i, j)
                    for j, token_id in enumerate(tokens)
                    for i, expansion in reached if (s := expansion.get(token_id))
                ]
                across = len(similarities)
                if reached_units:  # query words joined, against listed words
                    similarities += [(-s, 1, i, j) for j, token_id in enumerate(tokens)
                                     for i, expansion in reached_units if (s := expansion.get(token_id))]
                listed_spans = word_spans[len(tokens)]
                if name_id in joining:  # listed words joined, against single query words
                    n = len(listed_spans)
                    joins = names.joins_of(name_id)
                    similarities += [(-s, 1, i, n + k) for k, (joined_id, _, _) in enumerate(joins)
                                     for i, expansion in reached_joined if (s := expansion.get(joined_id))]
                    listed_spans = listed_spans + [(a, b) for _, a, b in joins]
                if not similarities:
                    scored[words_key] = None
                    continue
                listed_weights = list(map(token_weights.__getitem__, tokens))
                listed_letters = sum(map(token_letters.__getitem__, tokens))
                if len(similarities) == across:  # single words only: the plain pairing
                    pairs_score, pairs = pair_words(query.weights, listed_weights, similarities, w)
                    resegmented, paired = [], len(pairs)
                else:  # some pair would cross a word boundary
                    pairs_score, pairs = pair_tokens(query.weights, listed_weights, similarities, query_spans,
                                                     listed_spans, w)
                    if sum(query_spans[i][1] - query_spans[i][0] for i, _ in pairs) < words:
                        # a query word left unpaired: words joined might pair it if tried first on ties
                        # ("Nid al Al-Rabii")
                        joins_first = [(s, 1 - r, i, j) for s, r, i, j in similarities]
                        other = pair_tokens(query.weights, listed_weights, joins_first, query_spans, listed_spans, w)
                        if other[0] > pairs_score:
                            pairs_score, pairs = other
                    resegmented = [(i, j) for i, j in pairs if i >= words or j >= len(tokens)]
                    paired = sum(query_spans[i][1] - query_spans[i][0] for i, _ in pairs)
                if pairs_score < pair_floor:
                    scored[words_key] = None  # cannot reach the floor even with perfect sort/set ratios
                    continue
                listed_text = " ".join(map(vocabulary.__getitem__, tokens))
                query_text = query.text
                if resegmented:  # compare the names as paired: a word boundary is no difference
                    listed_words = list(map(vocabulary.__getitem__, tokens))
                    query_text = _rejoined(query.tokens, [query.units[i][:3] for i, _ in resegmented])
                    listed_text = _rejoined(listed_words, [("".join(listed_words[a:b]), a, b)
                                                           for a, b in (listed_spans[j] for _, j in resegmented)])
                sort_score = fuzz.token_sort_ratio(query_text, listed_text) / 100
                set_score = fuzz.token_set_ratio(query_text, listed_text) / 100
                blend = w.token_pairs * pairs_score + w.token_sort * sort_score + w.token_set * set_score
                letters = min(query.letters, listed_letters)
                name_score = short_name_penalty(blend, letters, w)
                if name_score + bonus < floor:
                    scored[words_key] = None
                    continue
                scored[words_key] = found = pairs_score, sort_score, set_score, name_score, paired, resegmented, listed_spans
            pairs_score, sort_score, set_score, name_score, paired, resegmented, listed_spans = found
            position, kind = entity_of[name_id], kind_of[name_id]
            if position not in entity_adjustments:
                entity_adjustments[position] = self._entity_adjustments(index.entities[position], query)
            entity, adjustments, compared = entity_adjustments[position]
            if kind == NameKind.WEAK_ALIAS:
                adjustments = [
                    Adjustment(factor="weak_alias", delta=policy.adjustments.weak_alias, detail="matched a weak alias"),
                    *adjustments,
                ]
            score = round(min(1.0, max(0.0, name_score + sum(a.delta for a in adjustments))), 4)
            if score < floor or (position in best and (best[position].score, best[position].name_scores.name)
                                 >= (score, round(name_score, 4))):
                continue  # one match per entry: its best-scoring name (the closer name on a tie)
            band, rule = self._band(score, kind, compared.level)
            best[position] = Match(
                source=index.source,
                list_version=index.version,
                source_id=entity.source_id,
                kind=ListKind(entity.kind),
                entity_type=EntityType(entity.type),
                primary_name=entity.primary_name,
                matched_name=names.name[name_id],
                name_kind=NameKind(kind),
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
                    listed_tokens=len(tokens),
                ),
                adjustments=tuple(adjustments),
                birth_date=compared.level,
                birth_date_precision=compared.precision,
                resegmented=tuple(_resegmentation(query, index, tokens, listed_spans, i, j) for i, j in resegmented),
                entry_hash=entity.content_hash,
            )
        return list(best.values())

    def _birth_date_delta(self, birth_dates: Sequence[tuple], query: _Query) -> float:
        """What an entry's birth dates add to the score (0: not compared). Most entries a common
        name reaches were born years from the subject: the years alone say so, before a full
        comparison."""
        policy = self.policy.adjustments.birth_date
        if query.birth_date is None or not birth_dates:
            return 0.0
        if far_from_every_birth_date(birth_dates, query.birth_date.year, policy.near_years):
            return policy.mismatch
        return self._birth_date_deltas.get(birth_date_level(birth_dates, query.birth_date, policy.near_years).level, 0.0)

    def _entry_delta(self, index: NameIndex, codes: tuple[int, int, int], query: _Query) -> float:
        """What an entry's nationalities and type, and its name's kind (their codes in the index),
        add to the score."""
        nationalities, type_, kind = codes
        entities = index.entities
        deltas = self._entry_deltas(entities.nationalities.values[nationalities], entities.type.values[type_], query)
        delta = sum(d for d in deltas if d is not None)
        if index.names.kind.values[kind] == NameKind.WEAK_ALIAS:
            delta += self.policy.adjustments.weak_alias
        return delta

    def _entity_adjustments(self, entity: IndexedEntity, query: _Query
                            ) -> tuple[IndexedEntity, list[Adjustment], BirthDateComparison]:
        """The entry, and its birth date, nationality and entity type adjustments (no subject
        data in the details)."""
        nationalities, entity_type = entity.nationalities, entity.type
        compared, birth, nationality, type_ = self._deltas(entity.birth_dates, nationalities, entity_type, query)
        adjustments = []
        if birth is not None:
            adjustments.append(Adjustment(
                factor="birth_date", delta=birth,
                detail=f"listed birth date: {compared.level.value} (compared at {compared.precision.value} precision)"))
        if nationality is not None:
            listed = ", ".join(nationalities)
            agrees = "agrees" if query.nationality in nationalities else "differs"
            adjustments.append(Adjustment(factor="nationality", delta=nationality, detail=f"listed {listed}: {agrees}"))
        if type_ is not None:
            adjustments.append(Adjustment(factor="entity_type", delta=type_,
                                          detail=f"listed as {entity_type}, screened as {query.type.value}"))
        return entity, adjustments, compared

    def _deltas(self, birth_dates: Sequence[tuple], nationalities: Sequence[str], entity_type: str, query: _Query
                ) -> tuple[BirthDateComparison, float | None, float | None, float | None]:
        """How the birth dates compare, and what the birth date, the nationality and the entity
        type add to the score (None: nothing, not compared)."""
        policy = self.policy.adjustments
        compared = birth_date_level(birth_dates, query.birth_date, policy.birth_date.near_years)
        birth = self._birth_date_deltas.get(compared.level)
        return compared, birth, *self._entry_deltas(nationalities, entity_type, query)

    def _entry_deltas(self, nationalities: Sequence[str], entity_type: str, query: _Query
                      ) -> tuple[float | None, float | None]:
        """What the nationality and the entity type add to the score (None: not compared)."""
        policy = self.policy.adjustments
        nationality = None
        if query.nationality and nationalities:
            nationality = policy.nationality_agrees if query.nationality in nationalities else policy.nationality_differs
        type_ = None
        if query.type is not None and (query.type is EntityType.PERSON) != (entity_type == EntityType.PERSON):
            type_ = policy.entity_type_differs
        return nationality, type_

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


@lru_cache(maxsize=20_000)
def _keys(form: str) -> tuple[str, frozenset[str]]:
    """A query form's consonant skeleton and deletion keys (names share words: computed once each)."""
    return skeleton(form), frozenset(deletion_keys(form))


def _forms(token: str, single: bool) -> list[str]:
    """A word glued to its article ("alkhodair") is also compared without it ("khodair")."""
    return [token, token[2:]] if single and token.startswith("al") and len(token) >= 6 else [token]


def _query_words(name: str) -> tuple[list[str], list[tuple[str, int, int, str]]]:
    """The words a query is compared on, and each stopword normalisation dropped glued to the
    word next to it ("Sa lehi" -> "salehi" for word 1): a legal form or title split off a word
    ("Sa", "Co", "Dr") must not make the rest of the word unfindable."""
    words = [(CANONICAL_PARTICLES.get(w, w), kept) for w, kept in normalised_words(name)]
    tokens = _without_misspelt_legal_forms([w for w, kept in words if kept])
    if len(tokens) != sum(kept for _, kept in words):
        return tokens, []
    glued, position = [], 0
    for i, (word, kept) in enumerate(words):
        if kept:
            position += 1
            continue
        if i + 1 < len(words) and words[i + 1][1]:
            glued.append((word + words[i + 1][0], position, position + 1, word))
        if i > 0 and words[i - 1][1]:
            glued.append((words[i - 1][0] + word, position - 1, position, word))
    return tokens, glued


def _rejoined(words: list[str], units: list[tuple[str, int, int]]) -> str:
    """The words with each unit's span written as the unit's form."""
    forms = {a: (form, b) for form, a, b in units}
    out, i = [], 0
    while i < len(words):
        form, end = forms.get(i, (words[i], i + 1))
        out.append(form)
        i = end
    return " ".join(out)


def _resegmentation(query: _Query, index: NameIndex, tokens: Sequence[int], listed_spans: list[Span],
                    unit: int, listed_unit: int) -> Resegmentation:
    """How one pair crossed a word boundary (with the listed name of words `tokens`), in terms of
    list words and word positions only."""
    _, first, last, stopword = query.units[unit]
    a, b = listed_spans[listed_unit]
    listed = " ".join(index.vocabulary[t] for t in tokens[a:b])
    positions = tuple(range(first + 1, last + 1))
    if stopword:
        return Resegmentation(joined=Joined.SCREENED, screened_words=positions, listed=listed,
                              detail=f"matched after joining screened word {first + 1} with the '{stopword}' "
                                     f"next to it (listed '{listed}')")
    if last > first + 1:
        words = " and ".join(map(str, positions)) if len(positions) == 2 else f"{first + 1} to {last}"
        return Resegmentation(joined=Joined.SCREENED, screened_words=positions, listed=listed,
                              detail=f"matched after joining screened words {words} (listed '{listed}')")
    return Resegmentation(joined=Joined.LISTED, screened_words=positions, listed=listed,
                          detail=f"matched after joining the listed '{listed}' (screened word {first + 1})")


def _without_misspelt_legal_forms(tokens: list[str]) -> list[str]:
    """Drop tokens that are a misspelt legal form ("compnay", "limted"): normalisation drops
    the correct spellings from both sides, so a misspelt one would count as a missing word."""
    kept = [t for t in tokens if not misspelt_legal_form(t)]
    return kept or tokens


@lru_cache(maxsize=20_000)
def misspelt_legal_form(token: str) -> bool:
    """Whether screening drops this word as a misspelt legal form ("compnay", "limted")."""
    return len(token) >= 5 and any(JaroWinkler.similarity(token, form) >= _LEGAL_FORM_SIMILARITY
                                   for form in _LONG_LEGAL_FORMS)


def classify(matches: Iterable[Match]) -> list[CheckResult]:
    """The three screening checks. SANCTIONS_MATCH fails on a sanctions entry in the block
    band; otherwise SANCTIONS_POSSIBLE_MATCH fails on one in the review band; PEP_MATCH fails
    on a PEP entry in either band (enhanced due diligence, never a rejection by itself). A
    cleared match fails none."""
    matches = [m for m in matches if m.status is MatchStatus.OPEN]
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
