"""The reverse index of ongoing monitoring: the customers as the index, a list's entries as the
queries (see `chalicelib.domain.monitoring` for the runs). Pure."""
from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from functools import partial
from datetime import date

from rapidfuzz.distance import OSA

from chalicelib.domain.customer import CustomerRecord
from chalicelib.domain.models import Frozen
from chalicelib.domain.screening.countries import iso3
from chalicelib.domain.screening.engine import Match, Screener, misspelt_legal_form
from chalicelib.domain.screening.entities import EntityType, NameKind, PartialDate
from chalicelib.domain.screening.index import PARTICLES, IndexedEntity, NameIndex
from chalicelib.domain.screening.memory import gc_paused
from chalicelib.domain.screening.normalise import STOPWORDS, normalised_words
from chalicelib.domain.screening.policy import ScreeningPolicy
from chalicelib.domain.screening.scoring import BirthDateLevel, birth_date_level

CUSTOMERS = "customers"  # the reverse index's source name (it indexes no list)


class ScreeningProfile(Frozen):
    """What the reverse index keeps of a customer: what screening compares, nothing more."""

    customer_id: str
    name: str  # given names and family name, as the sign-up gave them
    birth_date: date
    nationality: str | None = None  # ISO 3166-1 alpha-3


def profile_of(customer: CustomerRecord) -> ScreeningProfile:
    person = customer.profile
    return ScreeningProfile(customer_id=customer.customer_id, name=f"{person.given_names} {person.family_name}",
                            birth_date=person.birth_date, nationality=person.nationality)


def customer_index(profiles: Sequence[ScreeningProfile]) -> NameIndex:
    """The customers as an index the engine can search with a listed name as the query: entry i
    of the index is profiles[i]."""
    return NameIndex.of_entries(CUSTOMERS, "", (
        (IndexedEntity(source_id=p.customer_id, type=EntityType.PERSON.value, kind=CUSTOMERS, primary_name="",
                       programmes=(), nationalities=(), birth_dates=(), content_hash=""),
         ((NameKind.PRIMARY, p.name),))
        for p in profiles))


Hit = tuple[ScreeningProfile, tuple[Match, ...]]

BOUND_FROM = 20_000
"""Customers from which a delta bounds the score of the customers it reaches before screening them
(the same matches either way): measured with bench/monitoring.py, a shard of 1,000 screens its
few reached customers faster than it bounds them (113 against 143 ms CPU), a million customers
bound theirs in well under half the time."""


def shard_hits(profiles: Sequence[ScreeningProfile], entries: Screener, min_coverage: float) -> list[Hit]:
    """A delta run's shard: its customers that the entries `entries` screens against match. With
    more names to look for than customers (a list's first version, a large update) the customers
    are the fewer queries and are screened forward; otherwise the shard's customers are indexed
    and the entries' names are the queries (`delta_hits`): the same hits either way."""
    listed = entries.indexes[0]
    if len(listed.names) > len(profiles):
        return screen_all(profiles, entries)
    return delta_hits(profiles, customer_index(profiles), listed, entries.policy, min_coverage)


def delta_hits(profiles: Sequence[ScreeningProfile], customers: NameIndex, entries: NameIndex,
               policy: ScreeningPolicy, min_coverage: float, counts: dict[str, int] | None = None) -> list[Hit]:
    """The customers among `profiles` (indexed as `customers`) that the listed entries of
    `entries` match, each with its matches (review band or above), best first. Every name of every
    entry is a query against the customers; of the customers it reaches, those that could score in
    the review band against that name (`ScoreBound`, over a large base) are screened forward, as a
    sign-up would be, against those entries only. `counts`, if given, receives how many customer
    names the entries' names reached (`reached`, a customer name once per listed name reaching it)
    and how many customers were screened (`screened`)."""
    with gc_paused():  # short-lived objects by the hundred thousand: no rescans of the customers' index
        return _delta_hits(profiles, customers, entries, policy, min_coverage, {} if counts is None else counts)


def _delta_hits(profiles: Sequence[ScreeningProfile], customers: NameIndex, entries: NameIndex,
                policy: ScreeningPolicy, min_coverage: float, counts: dict[str, int]) -> list[Hit]:
    reverse, forward = Screener([customers], policy), Screener([entries], policy)
    if len(profiles) < BOUND_FROM:  # a shard's few reached customers: screened, the bound would not pay
        reached: set[int] = set()
        pairs = 0
        for name in set(entries.names.name):
            names = reverse.reaching(name, min_coverage).get(CUSTOMERS, ())
            pairs += len(names)
            reached.update(map(customers.names.entity.__getitem__, names))
        counts["reached"], counts["screened"] = pairs, len(reached)
        return screen_all((profiles[i] for i in sorted(reached)), forward)
    bound = ScoreBound(forward, entries, customers, profiles)
    by_text: dict[str, list[int]] = {}
    for listed_id, text in enumerate(entries.names.name):
        by_text.setdefault(text, []).append(listed_id)
    screened: set[int] = set()
    pairs = 0
    for text, listed_ids in by_text.items():
        names = reverse.reaching(text, min_coverage).get(CUSTOMERS, ())
        pairs += len(names)
        bound.keep(names, listed_ids, screened)
    counts["reached"], counts["screened"] = pairs, len(screened)
    return screen_all((profiles[i] for i in sorted(screened)), forward)


class ScoreBound:
    """An upper bound on the score a forward screening of a customer would give one listed name,
    from what is cheap to know: which of the customer's words have a similar word (or words
    joined) in that name (the engine's own per-word reach, shared with the forward screening that
    follows), the name's and the customer's weighted lengths, and the entry's birth dates,
    nationalities and type against the customer's. A customer whose bound is below the review
    band for every name that reached it cannot match: it is not screened. One the bound cannot
    judge (a stopword or a misspelt legal form in the name changes the words screening compares)
    is always screened.

    The bound: every word of the customer with a similar listed word (or words joined) is paired,
    at similarity 1, with the heaviest it reaches; the customer's words joined pair where
    screening finds them a similar listed word; the token-sort and token-set ratios are taken as
    1; the short-name penalty at the customer's letters; the birth date adds the most any level
    short of a mismatch adds, unless every listed date contradicts the customer's year (then at
    any precision); nationality, weak alias and entity type as screening applies them. The
    pairing score grows with the paired weights while an unpaired query word costs at least as
    much as an unpaired listed one (`unmatched_listed_token <= unmatched_query_token`, checked:
    otherwise nothing is ruled out)."""

    _ROUNDING = 1e-4  # a score is rounded to 4 decimals before the band is read

    def __init__(self, forward: Screener, entries: NameIndex, customers: NameIndex,
                 profiles: Sequence[ScreeningProfile]) -> None:
        self.forward, self.entries, self.customers, self.profiles = forward, entries, customers, profiles
        policy = forward.policy
        w = policy.name
        self.sound = 0.0 <= w.unmatched_listed_token <= w.unmatched_query_token and w.token_pairs > 0
        self.listed_weights = forward._token_weights[entries.source]
        particle = w.particle_weight
        self.customer_weights = [len(t) * (particle if t in PARTICLES else 1.0) for t in customers.vocabulary]
        self._letters = [len(t) for t in customers.vocabulary]
        self._short_length = w.short_name.length  # past which letters make no difference to a floor
        self._listed: dict[int, _Listed] = {}
        self._customers: dict[int, _Customer | None] = {}
        self._birth: dict[tuple[int, int], float] = {}  # (entry, birth year) -> the most the birth date adds
        vocabulary = customers.vocabulary
        # a customer's word -> whether screening drops it (a misspelt legal form)
        self._legal_forms = _Memo(lambda word: misspelt_legal_form(vocabulary[word]))
        # a piece of a name as given -> whether normalisation drops a stopword of it
        self._stopwords = _Memo(lambda piece: any(word in STOPWORDS for word, _ in normalised_words(piece)))
        # words of one letter: screening joins them to the next word, the index does not
        self._letter_words = frozenset(t for t, word in enumerate(vocabulary) if len(word) < 2)
        self._joined_letters = list(map(len, customers.joined))
        self._nationalities = _Memo(iso3)
        # customer word -> listed name -> heaviest reached (no reference to the bound: no cycle
        # for the paused collector to leave behind)
        self._word_heaviest = _Memo(partial(_heaviest, forward, entries, vocabulary))
        # a listed word -> the customers' words joined that screening could compare with it
        self._joining = _Memo(partial(customers.joined_near, letters=frozenset().union(*vocabulary)))

    def keep(self, reached: Iterable[int], listed_ids: Sequence[int], screened: set[int]) -> None:
        """Add to `screened` the positions of the customers (names of the customers' index) that
        could match one of these listed names (all with the same text). The bound is read first
        against the lowest floor any birth date and nationality would give it, then, if that does
        not rule the customer out, against the customer's own."""
        entity_of = self.customers.names.entity
        customers = self._customers
        listed = [self._listed_of(i) for i in listed_ids]
        w = self.forward.policy.name
        unmatched_query, unmatched_listed = w.unmatched_query_token, w.unmatched_listed_token
        sound = self.sound
        for name_id in reached:
            position = entity_of[name_id]
            if position in screened:
                continue
            customer = customers.get(name_id, False)
            if customer is False:
                customer = customers[name_id] = self._customer_of(name_id)
            if customer is None or not sound:
                screened.add(position)  # the bound cannot judge it
                continue
            maps, weights, total, letters, year, nationality, joins = customer
            for one in listed:
                here, paired_query, paired_listed = one.position, 0.0, 0.0
                for heaviest_of, weight in zip(maps, weights):
                    heaviest = heaviest_of.get(here)
                    if heaviest:
                        paired_query += weight
                        paired_listed += heaviest
                floors = one.by_customer.get((year, nationality))
                if floors is None:
                    floors = self._floors(one, year, nationality)
                pairs_floor = floors[letters if letters < one.letters else one.letters]
                if pairs_floor <= 0.0:
                    screened.add(position)
                    break
                if paired_query:
                    if paired_listed > one.weight:
                        paired_listed = one.weight
                    half = (paired_query + paired_listed) / 2
                    if half / (half + unmatched_query * (total - paired_query)
                               + unmatched_listed * (one.weight - paired_listed)) >= pairs_floor:
                        screened.add(position)
                        break
                if (joins and not one.joining.isdisjoint(joins)
                        and self._joined_could_match(name_id, customer, one, pairs_floor)):
                    screened.add(position)
                    break

    def _floors(self, listed: _Listed, year: int, nationality: str | None) -> list[float]:
        """The pairing score a customer of this birth year and nationality needs at least against
        `listed`, by their letters (see `_pairs_floors`)."""
        birth = 0.0
        if listed.birth_dates:
            birth = self._birth.get((listed.entity, year))
            if birth is None:
                birth = self._birth[(listed.entity, year)] = self._birth_date(listed, year)
        agrees = 0 if not (nationality and listed.nationalities) else 1 if nationality in listed.nationalities else 2
        floors = listed.floors.get((birth, agrees))
        if floors is None:
            floors = listed.floors[(birth, agrees)] = self._pairs_floors(listed, birth, agrees)
        listed.by_customer[(year, nationality)] = floors
        return floors

    def _joined_could_match(self, name_id: int, customer: _Customer, listed: _Listed, pairs_floor: float) -> bool:
        """The bound again, with the customer's words joined (name `name_id` of the customers'
        index) paired where screening pairs them."""
        maps, weights, total = customer[:3]
        customers, joined_letters = self.customers, self._joined_letters
        reached = None
        for joined_id, first, last in customers.names.joins_of(name_id):
            if joined_id in listed.joining and listed.might_join(customers.joined[joined_id],
                                                                 joined_letters[joined_id],
                                                                 customers.joined_skeletons[joined_id]):
                similar = self.forward.joined_reach(self.entries, customers.joined[joined_id])
                heaviest = max((self.listed_weights[t] for t in listed.tokens if t in similar), default=0.0)
                if heaviest:
                    if reached is None:
                        reached = [heaviest_of.get(listed.position, 0.0) for heaviest_of in maps]
                    for k in range(first, last):
                        reached[k] = max(reached[k], heaviest)
        if reached is None:
            return False
        paired_query = sum(weight for weight, heaviest in zip(weights, reached) if heaviest)
        paired_listed = min(listed.weight, sum(reached))
        w = self.forward.policy.name
        half = (paired_query + paired_listed) / 2
        return half / (half + w.unmatched_query_token * (total - paired_query)
                       + w.unmatched_listed_token * (listed.weight - paired_listed)) >= pairs_floor

    def _pairs_floors(self, listed: _Listed, birth: float, agrees: int) -> list[float]:
        """The pairing score a match on the name needs at least, by the customer's letters (up to
        the short-name length, past which the penalty is nil): the review band less what the
        adjustments add, through the short-name penalty, less the most the ratios add."""
        policy = self.forward.policy
        w, adjustments = policy.name, policy.adjustments
        nationality = (0.0, adjustments.nationality_agrees, adjustments.nationality_differs)[agrees]
        name_floor = policy.bands.review - self._ROUNDING - listed.adjustment - birth - nationality
        short = w.short_name
        floors = []
        for letters in range(short.length + 1):
            factor = 1.0 + short.strictness * max(0.0, (short.length - letters) / short.length)
            floors.append((1.0 - (1.0 - name_floor) / factor - w.token_sort - w.token_set) / w.token_pairs
                          if name_floor > 0 else 0.0)
        return floors

    def _birth_date(self, listed: _Listed, year: int) -> float:
        policy = self.forward.policy.adjustments.birth_date
        level = birth_date_level(listed.birth_dates, PartialDate(year=year), policy.near_years).level
        # a mismatch at the year is one at the day: the levels differ only within the same year
        return policy.mismatch if level is BirthDateLevel.MISMATCH else max(
            policy.exact, policy.year, policy.range, 0.0)

    def _customer_of(self, name_id: int) -> _Customer | None:
        """What the bound needs of a customer; None if it cannot judge them: screening must
        compare the words the index holds, no fewer (a misspelt legal form it drops) and no
        others (a stopword it drops is also compared glued to the next word)."""
        names = self.customers.names
        profile = self.profiles[names.entity[name_id]]
        words = names.tokens[name_id]
        if (any(map(self._legal_forms.__getitem__, words)) or any(map(self._stopwords.__getitem__, profile.name.split()))
                or not self._letter_words.isdisjoint(words)):
            return None
        maps = list(map(self._word_heaviest.__getitem__, words))
        weights = list(map(self.customer_weights.__getitem__, words))
        nationality = profile.nationality
        if nationality:
            nationality = self._nationalities[nationality]
        letters = min(sum(map(self._letters.__getitem__, words)), self._short_length)
        return (maps, weights, sum(weights), letters, profile.birth_date.year,
                nationality, frozenset(names.joins[name_id][0::3]))

    def _listed_of(self, name_id: int) -> _Listed:
        found = self._listed.get(name_id)
        if found is not None:
            return found
        name = self.entries.names[name_id]
        entity = self.entries.entities[name.entity]
        policy = self.forward.policy
        weights = self.listed_weights
        adjustment = policy.adjustments.weak_alias if name.kind == NameKind.WEAK_ALIAS else 0.0
        if entity.type != EntityType.PERSON.value:
            adjustment += policy.adjustments.entity_type_differs
        vocabulary = self.entries.vocabulary
        skeletons = self.entries.skeletons
        found = _Listed(
            position=name_id, entity=name.entity, tokens=name.tokens, weight=sum(weights[t] for t in name.tokens),
            letters=min(sum(len(vocabulary[t]) for t in name.tokens), policy.name.short_name.length),
            words=[(vocabulary[t], len(vocabulary[t]), skeletons[t]) for t in name.tokens],
            similar=min(policy.name.token_floor, policy.name.joined_phonetic_floor),
            birth_dates=entity.birth_dates, nationalities=frozenset(entity.nationalities), adjustment=adjustment,
            floors={}, by_customer={},
            joining=frozenset().union(*(self._joining[vocabulary[t]] for t in name.tokens)))
        self._listed[name_id] = found
        return found


class _Memo(dict):
    """A dict that computes a missing value on first lookup (lookups stay at dict speed)."""

    __slots__ = ("compute",)

    def __init__(self, compute: Callable) -> None:
        super().__init__()
        self.compute = compute

    def __missing__(self, key):
        value = self[key] = self.compute(key)
        return value


def _heaviest(forward: Screener, entries: NameIndex, vocabulary: Sequence[str], word: int) -> dict[int, float]:
    """Per listed name: the heaviest of its words, or words joined, that a customer's word
    reaches (names it reaches nothing of are left out)."""
    similar, joined = forward.word_reach(entries, vocabulary[word])
    weights, names = forward._token_weights[entries.source], entries.names
    tokens_of = names.tokens
    heaviest: dict[int, float] = {}
    for token_id in similar:
        weight = weights[token_id]
        for name_id in entries.postings[token_id]:
            if weight > heaviest.get(name_id, 0.0):
                heaviest[name_id] = weight
    for joined_id in joined:
        for name_id in entries.joined_postings[joined_id]:
            tokens = tokens_of[name_id]
            for other, a, b in names.joins_of(name_id):
                if other == joined_id:
                    weight = sum(weights[t] for t in tokens[a:b])
                    if weight > heaviest.get(name_id, 0.0):
                        heaviest[name_id] = weight
    return heaviest


_Customer = tuple[list[dict[int, float]], list[float], float, int, int, str | None, frozenset[int]]
"""(per word: listed name -> the heaviest listed unit it reaches; per word: its weight; the
weights added up; letters (up to the short-name length); birth year; nationality (ISO alpha-3);
the ids of its words joined in the index)."""


@dataclass(slots=True)
class _Listed:
    position: int  # in the entries' index
    entity: int
    tokens: tuple[int, ...]
    weight: float
    letters: int
    words: list[tuple[str, int, str]]  # per word: as indexed, its letters, its consonant skeleton
    similar: float  # the lowest similarity at which screening pairs words joined with a word
    birth_dates: tuple
    nationalities: frozenset[str]
    adjustment: float  # weak alias and entity type: what every match on this name carries
    floors: dict[tuple[float, int], list[float]]  # (birth date, nationality) -> the pairing floor by letters
    by_customer: dict[tuple[int, str | None], list[float]]  # the same by the customer's birth year and nationality
    joining: frozenset[int]  # the customers' words joined that screening could compare with one of its words

    def might_join(self, form: str, letters: int, key: str) -> bool:
        """Whether a screened name's words joined (`form`, of `letters` letters and consonant
        skeleton `key`; one of `joining`) could be similar to one of the name's words, as
        screening finds and compares words joined: the keys find a word one deletion apart (a
        length at most 1 apart) or of the same consonant skeleton; the words are then compared
        letter for letter (optimal string alignment, at least `similar`: the shorter at least
        `similar` of the longer)."""
        similar = self.similar
        for word, length, word_key in self.words:
            if ((abs(letters - length) <= 1 or (key == word_key and len(key) >= 2))
                    and min(letters, length) >= similar * max(letters, length)
                    and OSA.normalized_similarity(form, word, score_cutoff=similar)):
                return True
        return False


def screen_all(profiles: Iterable[ScreeningProfile], screener: Screener) -> list[Hit]:
    """Each profile screened as a sign-up's applicant is (review band or above), those with matches."""
    hits = []
    for profile in profiles:
        matches = screener.screen_person(profile.name, profile.birth_date, profile.nationality)
        if matches:
            hits.append((profile, tuple(matches)))
    return hits


def alert_id_for(customer_id: str, match: Match) -> str:
    """One alert per customer and listed entry as listed: the same unchanged entry never opens a
    second one (a retried shard, a later run); a changed entry (another content hash) does."""
    key = f"monitoring|{customer_id}|{match.source}|{match.source_id}|{match.entry_hash}"
    return f"cp_{hashlib.sha256(key.encode()).hexdigest()[:32]}"
