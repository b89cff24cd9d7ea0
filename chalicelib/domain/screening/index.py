"""The candidate index of one list version: every listed name as tokens, and the keys that find
a query token's similar listed tokens without comparing the query with every name.

A listed token is reachable from a query token by
- its 1-deletion neighbourhood (SymSpell): any one insertion, deletion, substitution or
  adjacent transposition ("Mohamed"/"Mohammed", "Hasan"/"Hassan", "Usama"/"Osama");
- its consonant skeleton (`skeleton`): transliteration variants that differ in vowels and
  spelling conventions ("Muhammad"/"Mohammed" → "mhmd", "Qasim"/"Kassem" → "ksm");
- its first three letters (tokens of 5+ letters): Jaro-Winkler favours a shared prefix, so
  this reaches similar tokens two or more edits apart ("Yazbek"/"Yazdee").
Postings map each token to the names that contain it. The index holds no policy: weights and
thresholds are applied at query time, so a policy change needs no rebuild.

Built once per list version, it serialises to bytes (`to_bytes`, a pickle of builtins only)
and loads back with an unpickler that refuses every global, so a tampered object cannot run
code (`from_bytes`).
"""
from __future__ import annotations

import io
import pickle
import re
from collections.abc import Iterable, Iterator
from typing import NamedTuple

from chalicelib.domain.screening.countries import iso3
from chalicelib.domain.screening.entities import AliasStrength, BirthDate, ListEntity, NameKind
from chalicelib.domain.screening.normalise import normalise_name
from chalicelib.domain.screening.memory import gc_paused

INDEX_FORMAT = "screening-index/1"
"""Changes whenever tokens, keys or layout change: an index of another format must be rebuilt."""

PARTICLES = frozenset(
    "al bin bint binti de da di del della der den du dos das la le van von y and of the for".split()
)
"""Tokens that carry little identity (name particles, connecting words of organisation names)."""
_CANONICAL = {"el": "al", "ul": "al", "ibn": "bin"}  # spellings of one Arabic particle

_DIGRAPHS = (("kh", "h"), ("gh", "g"), ("sh", "s"), ("ch", "s"), ("th", "t"), ("dh", "d"), ("ph", "f"), ("ck", "k"))
_LETTERS = str.maketrans({"q": "k", "c": "k", "z": "s", "w": "v", "x": "ks"})
_VOWELS = re.compile(r"[aeiouy]+")
_REPEATS = re.compile(r"(.)\1+")
_PREFIX, _PREFIX_MIN_LENGTH = 3, 5  # Jaro-Winkler rewards a shared prefix: 2+ edits further on
_ALIAS_KIND = {AliasStrength.STRONG: NameKind.STRONG_ALIAS, AliasStrength.WEAK: NameKind.WEAK_ALIAS}
_RANK = {kind: rank for rank, kind in enumerate(NameKind)}

BirthDateTuple = tuple[int, int, int, int, int, bool]
"""(exact date ordinal, year, month, year_from, year_to, circa); 0 = not set."""


class IndexedEntity(NamedTuple):
    source_id: str
    type: str
    kind: str
    primary_name: str
    programmes: tuple[str, ...]
    nationalities: tuple[str, ...]  # ISO 3166-1 alpha-3, where the list's spelling is known
    birth_dates: tuple[BirthDateTuple, ...]


class IndexedName(NamedTuple):
    entity: int  # position in NameIndex.entities
    kind: str  # NameKind value
    name: str  # as listed
    tokens: tuple[int, ...]  # token ids, in name order


class IndexFormatError(ValueError):
    """The bytes are not a screening index of the format this code reads."""


def name_tokens(name: str) -> list[str]:
    """The normalised tokens of a name (see `normalise.normalise_name`), with the particle
    spellings el/ul and ibn made al and bin."""
    return [_CANONICAL.get(t, t) for t in normalise_name(name).split()]


def skeleton(token: str) -> str:
    """Consonant skeleton: common transliteration digraphs merged (kh→h, sh→s, ph→f, q/c→k,
    z→s, w→v, x→ks), vowels and y dropped, doubled letters collapsed."""
    for digraph, letter in _DIGRAPHS:
        if digraph in token:
            token = token.replace(digraph, letter)
    return _REPEATS.sub(r"\1", _VOWELS.sub("", token.translate(_LETTERS)))


def deletion_keys(token: str) -> set[str]:
    """The token and every string one deletion away (tokens of 3+ letters)."""
    keys = {token}
    if len(token) >= 3:
        keys.update(token[:i] + token[i + 1 :] for i in range(len(token)))
    return keys


class NameIndex:
    """Names of one list version, their tokens, and the keys to reach similar tokens."""

    __slots__ = (
        "source", "version", "entities", "names", "vocabulary", "postings",
        "token_ids", "by_deletion", "by_skeleton", "by_prefix", "skeletons",
    )

    def __init__(
        self,
        source: str,
        version: str,
        entities: list[IndexedEntity],
        names: list[IndexedName],
        vocabulary: list[str],
        postings: list[tuple[int, ...]],
        by_deletion: dict[str, tuple[int, ...]],
        skeletons: list[str] | None = None,
    ) -> None:
        self.source = source
        self.version = version
        self.entities = entities
        self.names = names
        self.vocabulary = vocabulary
        self.postings = postings
        self.by_deletion = by_deletion
        self.token_ids = {token: i for i, token in enumerate(vocabulary)}
        self.skeletons = skeletons if skeletons is not None else [skeleton(t) for t in vocabulary]
        by_skeleton: dict[str, list[int]] = {}
        for token_id, key in enumerate(self.skeletons):
            if len(key) >= 2:
                by_skeleton.setdefault(key, []).append(token_id)
        self.by_skeleton = by_skeleton
        by_prefix: dict[str, list[int]] = {}
        for token_id, token in enumerate(vocabulary):
            if len(token) >= _PREFIX_MIN_LENGTH:
                by_prefix.setdefault(token[:_PREFIX], []).append(token_id)
        self.by_prefix = by_prefix

    # --- building and serialising ---------------------------------------------------------

    @classmethod
    def build(cls, source: str, version: str, entities: Iterable[ListEntity]) -> NameIndex:
        """Index every entity's primary name and aliases (one name per distinct token
        sequence and entity, the strongest kind kept)."""
        with gc_paused():
            return cls._build(source, version, entities)

    @classmethod
    def _build(cls, source: str, version: str, entities: Iterable[ListEntity]) -> NameIndex:
        indexed: list[IndexedEntity] = []
        names: list[IndexedName] = []
        token_ids: dict[str, int] = {}
        for entity in entities:
            if entity.source != source:
                raise ValueError(f"entity {entity.source}:{entity.source_id} is not from {source}")
            position = len(indexed)
            indexed.append(_indexed_entity(entity))
            best: dict[tuple[int, ...], tuple[NameKind, str]] = {}
            for kind, name in _names(entity):
                tokens = tuple(token_ids.setdefault(t, len(token_ids)) for t in name_tokens(name))
                if tokens and (tokens not in best or _RANK[kind] < _RANK[best[tokens][0]]):
                    best[tokens] = (kind, name)
            names.extend(IndexedName(position, k.value, n, t) for t, (k, n) in best.items())
        vocabulary = list(token_ids)
        postings: list[list[int]] = [[] for _ in vocabulary]
        for name_id, name in enumerate(names):
            for token_id in set(name.tokens):
                postings[token_id].append(name_id)
        by_deletion: dict[str, list[int]] = {}
        for token_id, token in enumerate(vocabulary):
            for key in deletion_keys(token):
                by_deletion.setdefault(key, []).append(token_id)
        return cls(
            source, version, indexed, names, vocabulary,
            [tuple(p) for p in postings], {k: tuple(v) for k, v in by_deletion.items()},
        )

    def to_bytes(self) -> bytes:
        payload = (
            INDEX_FORMAT, self.source, self.version,
            [tuple(e) for e in self.entities], [tuple(n) for n in self.names],
            self.vocabulary, self.skeletons, self.postings, self.by_deletion,
        )
        return pickle.dumps(payload, protocol=5)

    @classmethod
    def from_bytes(cls, data: bytes) -> NameIndex:
        with gc_paused():
            try:
                payload = _BuiltinsOnly(io.BytesIO(data)).load()
                fmt, *fields = payload
            except (pickle.UnpicklingError, EOFError, ValueError, TypeError) as exc:
                raise IndexFormatError(f"not a screening index: {exc}") from exc
            if fmt != INDEX_FORMAT or len(fields) != 8:
                raise IndexFormatError(f"index format {fmt!r}, this code reads {INDEX_FORMAT!r}: rebuild it")
            source, version, entities, names, vocabulary, skeletons, postings, by_deletion = fields
            return cls(
                source, version,
                [IndexedEntity._make(e) for e in entities], [IndexedName._make(n) for n in names],
                vocabulary, postings, by_deletion, skeletons,
            )

    # --- retrieval --------------------------------------------------------------------------

    def similar_token_ids(self, token: str) -> set[int]:
        """Listed tokens one edit away from `token` or with its consonant skeleton
        (a superset of its similar tokens, to be scored)."""
        found: set[int] = set()
        for key in deletion_keys(token):
            if ids := self.by_deletion.get(key):
                found.update(ids)
        if ids := self.by_skeleton.get(skeleton(token)):
            found.update(ids)
        if len(token) >= _PREFIX_MIN_LENGTH and (ids := self.by_prefix.get(token[:_PREFIX])):
            found.update(ids)
        return found

    def names_with(self, token_ids: Iterable[int]) -> set[int]:
        """Ids of the names containing any of these tokens."""
        postings = self.postings
        return set().union(*(postings[t] for t in token_ids))

    def __len__(self) -> int:
        return len(self.names)


class _BuiltinsOnly(pickle.Unpickler):
    """Unpickles plain data (tuples, lists, dicts, str, int, bool, None) and nothing else."""

    def find_class(self, module: str, name: str) -> type:
        raise pickle.UnpicklingError(f"global {module}.{name} refused")


def _names(entity: ListEntity) -> Iterator[tuple[NameKind, str]]:
    yield NameKind.PRIMARY, entity.primary_name
    for alias in entity.aliases:
        yield _ALIAS_KIND[alias.strength], alias.name


def _indexed_entity(entity: ListEntity) -> IndexedEntity:
    return IndexedEntity(
        source_id=entity.source_id,
        type=entity.type.value,
        kind=entity.kind.value,
        primary_name=entity.primary_name,
        programmes=entity.programmes,
        nationalities=tuple(dict.fromkeys(c for n in entity.nationalities if (c := iso3(n)))),
        birth_dates=tuple(_birth_date_tuple(b) for b in entity.birth_dates),
    )


def _birth_date_tuple(b: BirthDate) -> BirthDateTuple:
    exact = b.exact.toordinal() if b.exact else 0
    return (exact, b.year or 0, b.month or 0, b.year_from or 0, b.year_to or 0, b.circa)
