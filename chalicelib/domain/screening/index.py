"""The candidate index of one list version: every listed name as tokens, and the keys that find
a query token's similar listed tokens without comparing the query with every name.

A listed token is reachable from a query token by
- its 1-deletion neighbourhood (SymSpell): any one insertion, deletion, substitution or
  adjacent transposition ("Mohamed"/"Mohammed", "Hasan"/"Hassan", "Usama"/"Osama");
- its consonant skeleton (`skeleton`): transliteration variants that differ in vowels and
  spelling conventions ("Muhammad"/"Mohammed" → "mhmd", "Qasim"/"Kassem" → "ksm");
- its first three letters (tokens of 5+ letters): Jaro-Winkler favours a shared prefix, so
  this reaches similar tokens two or more edits apart ("Yazbek"/"Yazdee").
Word boundaries are not evidence: every listed name also carries its adjacent words joined
(`joined_words`: "bin laden" -> "binladen", "abd al rahman" -> "abdalrahman"), in a vocabulary
of their own reached by spelling and consonant skeleton (`joined_like`), so a query that glues
words together reaches the name as one that spells them apart (the engine joins the query's
adjacent words too, and looks those up among the words). Postings map each word, and each
joined form, to the names that contain it. The index holds no policy: weights and
thresholds are applied at query time, so a policy change needs no rebuild.

The names, the entries, the postings and the words joined are columns (`columns`: flat arrays of
ints, UTF-8 blobs, codes into distinct values; `names[i]` and `entities[i]` give one as a named
tuple), so an index of a million entries is a few hundred megabytes in memory and loads as
views of its stored bytes rather than millions of objects. Built once per list version, it
serialises to bytes (`to_bytes`: builtins pickled, the columns' bytes out of band after them,
`columns.pack`) and loads back with an unpickler that refuses every global, so a tampered object
cannot run code (`from_bytes`).
"""
from __future__ import annotations

import pickle
import re
from collections.abc import Iterable, Iterator
from typing import NamedTuple

from chalicelib.domain.screening.columns import (
    Coded, Digests, KeyedRows, Rows, SortedTexts, Texts, ints, ints_of, pack, unpack,
)
from chalicelib.domain.screening.countries import iso3
from chalicelib.domain.screening.entities import AliasStrength, BirthDate, ListEntity, NameKind
from chalicelib.domain.screening.normalise import normalise_name
from chalicelib.domain.screening.memory import gc_paused

INDEX_FORMAT = "screening-index/5"
"""Changes whenever tokens, keys or layout change: an index of another format must be rebuilt.
3: names, entries and postings stored as columns (`columns`), not a Python object per item.
4: each name's letters (`NameColumns.letters`), and postings in order of them."""

PARTICLES = frozenset(
    "al bin bint binti de da di del della der den du dos das la le van von y and of the for".split()
)
"""Tokens that carry little identity (name particles, connecting words of organisation names)."""
CANONICAL_PARTICLES = {"el": "al", "ul": "al", "ibn": "bin"}  # spellings of one Arabic particle

_DIGRAPHS = (("kh", "h"), ("gh", "g"), ("sh", "s"), ("ch", "s"), ("th", "t"), ("dh", "d"), ("ph", "f"), ("ck", "k"))
_LETTERS = str.maketrans({"q": "k", "c": "k", "z": "s", "w": "v", "x": "ks"})
_VOWELS = re.compile(r"[aeiouy]+")
_REPEATS = re.compile(r"(.)\1+")
_PREFIX, _PREFIX_MIN_LENGTH = 3, 5  # Jaro-Winkler rewards a shared prefix: 2+ edits further on
_ALIAS_KIND = {AliasStrength.STRONG: NameKind.STRONG_ALIAS, AliasStrength.WEAK: NameKind.WEAK_ALIAS}
_RANK = {kind: rank for rank, kind in enumerate(NameKind)}

JOIN_PARTICLES = frozenset("al bin bint de da di del der den du la le van von y".split())
"""A word between two others that is joined with both ("abd al rahman" -> "abdalrahman")."""

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
    content_hash: str  # of the whole entry as parsed (see ListEntity.content_hash)


Join = tuple[int, int, int]
"""(id of the joined form in NameIndex.joined, first word, one past the last word)."""


class IndexedName(NamedTuple):
    entity: int  # position in NameIndex.entities
    kind: str  # NameKind value
    name: str  # as listed
    tokens: tuple[int, ...]  # token ids, in name order
    joins: tuple[Join, ...] = ()  # its adjacent words joined (see `joined_words`)


class EntityColumns:
    """The entries of an index, a column per field of `IndexedEntity` (`self[i]` is entry i as one)."""

    __slots__ = IndexedEntity._fields

    def __init__(self, state: tuple | None = None) -> None:
        columns = (tuple(column() for column in _ENTITY_COLUMNS) if state is None else
                   tuple(column.of_state(part) for column, part in zip(_ENTITY_COLUMNS, state)))
        for field, column in zip(IndexedEntity._fields, columns):
            setattr(self, field, column)

    def append(self, entity: IndexedEntity) -> None:
        for field, value in zip(IndexedEntity._fields, entity):
            getattr(self, field).append(value)

    def __getitem__(self, i: int) -> IndexedEntity:
        return IndexedEntity(*(getattr(self, field)[i] for field in IndexedEntity._fields))

    def __len__(self) -> int:
        return len(self.source_id)

    def __iter__(self) -> Iterator[IndexedEntity]:
        return map(self.__getitem__, range(len(self)))

    def state(self) -> tuple:
        return tuple(getattr(self, field).state() for field in IndexedEntity._fields)


_ENTITY_COLUMNS = (Texts, Coded, Coded, Texts, Coded, Coded, Coded, Digests)  # in IndexedEntity's field order


class NameColumns:
    """The names of an index, a column per field of `IndexedName` (`self[i]` is name i as one);
    the engine's loops read the columns (`tokens[i]`, `entity[i]`), not the named tuples.
    `letters[i]`: the letters of name i's words other than particles, the least its weighted
    length can be whatever weight the policy gives a particle: postings are in order of it, so
    retrieval reads the names short enough for a query off a prefix of each (`engine._short`)."""

    __slots__ = ("entity", "kind", "name", "tokens", "joins", "letters")

    def __init__(self, state: tuple | None = None) -> None:
        if state is None:
            self.entity, self.kind, self.name, self.tokens, self.joins = ints(), Coded(), Texts(), Rows(), Rows()
            self.letters = ints()
        else:
            entity, kind, name, tokens, joins, letters = state
            self.entity, self.kind, self.name = ints_of(entity), Coded.of_state(kind), Texts.of_state(name)
            self.tokens, self.joins, self.letters = Rows.of_state(tokens), Rows.of_state(joins), ints_of(letters)

    def append(self, entity: int, kind: str, name: str, tokens: Iterable[int], joins: Iterable[Join],
               letters: int) -> None:
        self.entity.append(entity)
        self.kind.append(kind)
        self.name.append(name)
        self.tokens.append(tokens)
        self.joins.append([part for join in joins for part in join])
        self.letters.append(letters)

    def joins_of(self, i: int) -> list[Join]:
        """Name i's words joined: (joined id, first word, one past the last)."""
        flat = self.joins[i]
        return list(zip(flat[0::3], flat[1::3], flat[2::3]))

    def __getitem__(self, i: int) -> IndexedName:
        return IndexedName(self.entity[i], self.kind[i], self.name[i], tuple(self.tokens[i]), tuple(self.joins_of(i)))

    def __len__(self) -> int:
        return len(self.entity)

    def __iter__(self) -> Iterator[IndexedName]:
        return map(self.__getitem__, range(len(self)))

    def state(self) -> tuple:
        return (self.entity.tobytes(), self.kind.state(), self.name.state(), self.tokens.state(), self.joins.state(),
                self.letters.tobytes())


class IndexFormatError(ValueError):
    """The bytes are not a screening index of the format this code reads."""


def name_tokens(name: str) -> list[str]:
    """The normalised tokens of a name (see `normalise.normalise_name`), with the particle
    spellings el/ul and ibn made al and bin."""
    return [CANONICAL_PARTICLES.get(t, t) for t in normalise_name(name).split()]


def joined_words(words: list[str], min_part: int = 1) -> list[tuple[str, int, int]]:
    """(joined form, first, one past last) for every two adjacent words, and every three whose
    middle one is a particle ("abd al rahman"); parts shorter than `min_part` letters are not
    joined (a listed initial glued to a surname is no spelling of anything)."""
    joined = []
    for i in range(len(words) - 1):
        if len(words[i]) >= min_part and len(words[i + 1]) >= min_part:
            joined.append((words[i] + words[i + 1], i, i + 2))
        if i + 2 < len(words) and words[i + 1] in JOIN_PARTICLES and min(len(words[i]), len(words[i + 2])) >= min_part:
            joined.append((words[i] + words[i + 1] + words[i + 2], i, i + 3))
    return joined


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
    """Names of one list version, their words and words joined, and the keys to reach them."""

    __slots__ = (
        "source", "version", "entities", "names", "vocabulary", "postings", "skeletons",
        "joined", "joined_postings", "joined_by_skeleton", "_joined_ids", "_joined_skeletons",
        "token_ids", "by_deletion", "by_skeleton", "by_prefix",
    )

    def __init__(
        self,
        source: str,
        version: str,
        entities: EntityColumns,
        names: NameColumns,
        vocabulary: list[str],
        postings: Rows,
        by_deletion: KeyedRows,
        skeletons: list[str] | None = None,
        joined: SortedTexts | None = None,
        joined_postings: Rows | None = None,
        joined_by_skeleton: KeyedRows | None = None,
    ) -> None:
        self.source = source
        self.version = version
        self.entities = entities
        self.names = names
        self.vocabulary = vocabulary
        self.postings = postings
        self.by_deletion = by_deletion
        # the words joined: millions in a large list, so columns (ids in sorted order), and the
        # maps only reverse screening reads made when it first does (`joined_ids`, `joined_skeletons`)
        self.joined = joined if joined is not None else SortedTexts()
        self.joined_postings = joined_postings if joined_postings is not None else Rows()
        self._joined_ids: dict[str, int] | None = None
        self._joined_skeletons: list[str] | None = None
        self.joined_by_skeleton = (joined_by_skeleton if joined_by_skeleton is not None
                                   else KeyedRows.of(_by_skeleton(self.joined_skeletons)))
        self.token_ids = {token: i for i, token in enumerate(vocabulary)}
        self.skeletons = skeletons if skeletons is not None else [skeleton(t) for t in vocabulary]
        self.by_skeleton = _by_skeleton(self.skeletons)
        by_prefix: dict[str, list[int]] = {}
        for token_id, token in enumerate(vocabulary):
            if len(token) >= _PREFIX_MIN_LENGTH:
                by_prefix.setdefault(token[:_PREFIX], []).append(token_id)
        self.by_prefix = by_prefix

    @property
    def joined_ids(self) -> dict[str, int]:
        """Each word joined -> its id."""
        if self._joined_ids is None:
            self._joined_ids = {form: i for i, form in enumerate(self.joined)}
        return self._joined_ids

    @property
    def joined_skeletons(self) -> list[str]:
        """Each word joined's consonant skeleton, by id."""
        if self._joined_skeletons is None:
            self._joined_skeletons = [skeleton(t) for t in self.joined]
        return self._joined_skeletons

    # --- building and serialising ---------------------------------------------------------

    @classmethod
    def build(cls, source: str, version: str, entities: Iterable[ListEntity]) -> NameIndex:
        """Index every entity's primary name and aliases (one name per distinct token
        sequence and entity, the strongest kind kept), with their adjacent words joined."""

        def entries() -> Iterator[tuple[IndexedEntity, Iterable[tuple[NameKind, str]]]]:
            for entity in entities:
                if entity.source != source:
                    raise ValueError(f"entity {entity.source}:{entity.source_id} is not from {source}")
                yield _indexed_entity(entity), _names(entity)

        return cls.of_entries(source, version, entries())

    @classmethod
    def of_entries(cls, source: str, version: str,
                   entries: Iterable[tuple[IndexedEntity, Iterable[tuple[NameKind, str]]]]) -> NameIndex:
        """An index of entries already reduced to what the index keeps, each with its names: a
        list version's entries, some of them (`subset`), or the profiles of a bank's customers."""
        with gc_paused():
            return cls._build(source, version, entries)

    @classmethod
    def _build(cls, source: str, version: str,
               entries: Iterable[tuple[IndexedEntity, Iterable[tuple[NameKind, str]]]]) -> NameIndex:
        indexed, names = EntityColumns(), NameColumns()
        token_ids: dict[str, int] = {}
        joined_ids: dict[str, int] = {}
        for entity, entity_names in entries:
            position = len(indexed)
            indexed.append(entity)
            best: dict[tuple[int, ...], tuple[NameKind, str, tuple[Join, ...], int]] = {}
            for kind, name in entity_names:
                words = name_tokens(name)
                tokens = tuple(token_ids.setdefault(t, len(token_ids)) for t in words)
                if tokens and (tokens not in best or _RANK[kind] < _RANK[best[tokens][0]]):
                    joins = tuple((joined_ids.setdefault(w, len(joined_ids)), i, j)
                                  for w, i, j in joined_words(words, min_part=2))
                    best[tokens] = (kind, name, joins, sum(len(w) for w in words if w not in PARTICLES))
            for tokens, (kind, name, joins, letters) in best.items():
                names.append(position, kind.value, name, tokens, joins, letters)
        vocabulary, joined = list(token_ids), SortedTexts.of(joined_ids)
        new_id = ints([0]) * len(joined)  # a word joined's id is its position in sorted order
        for position, form in enumerate(joined):
            new_id[joined_ids[form]] = position
        flat = names.joins.flat
        flat[0::3] = ints(map(new_id.__getitem__, flat[0::3]))
        postings: list[list[int]] = [[] for _ in vocabulary]
        joined_postings: list[list[int]] = [[] for _ in joined]
        for name_id, (tokens, joins) in enumerate(zip(names.tokens, names.joins)):
            for token_id in set(tokens):
                postings[token_id].append(name_id)
            for joined_id in set(joins[0::3]):
                joined_postings[joined_id].append(name_id)
        by_letters = names.letters.__getitem__  # a word's names, shortest first (ties in name order)
        for row in (*postings, *joined_postings):
            row.sort(key=by_letters)
        by_deletion: dict[str, list[int]] = {}
        for token_id, token in enumerate(vocabulary):
            for key in deletion_keys(token):
                by_deletion.setdefault(key, []).append(token_id)
        return cls(
            source, version, indexed, names, vocabulary,
            Rows.of(postings), KeyedRows.of(by_deletion),
            joined=joined, joined_postings=Rows.of(joined_postings),
        )

    def subset(self, source_ids: Iterable[str]) -> NameIndex:
        """The index of some of its entries (those with these source ids), with the same names,
        kinds and content hashes: what screening against only those entries needs."""
        wanted = set(source_ids)
        positions = [i for i, source_id in enumerate(self.entities.source_id) if source_id in wanted]
        names_of: dict[int, list[tuple[NameKind, str]]] = {i: [] for i in positions}
        names = self.names
        for name_id, position in enumerate(names.entity):
            if position in names_of:
                names_of[position].append((NameKind(names.kind[name_id]), names.name[name_id]))
        return NameIndex.of_entries(self.source, self.version, ((self.entities[i], names_of[i]) for i in positions))

    def to_bytes(self) -> bytes:
        payload = (
            INDEX_FORMAT, self.source, self.version, self.entities.state(), self.names.state(),
            self.vocabulary, self.skeletons, self.postings.state(), self.by_deletion.state(),
            self.joined.state(), self.joined_by_skeleton.state(), self.joined_postings.state(),
        )
        return pack(payload)

    @classmethod
    def from_bytes(cls, data: bytes | memoryview) -> NameIndex:
        """The index of `to_bytes`, its columns read in place from `data` (no copy of them)."""
        with gc_paused():
            if data[:2] == b"\x80\x05":  # a pickle: how releases before format 5 stored an index
                raise IndexFormatError(f"index stored in an older format, this code reads {INDEX_FORMAT!r}: rebuild it")
            try:
                payload = unpack(data, _BuiltinsOnly)
                fmt, *fields = payload
            except (pickle.UnpicklingError, EOFError, ValueError, TypeError) as exc:
                raise IndexFormatError(f"not a screening index: {exc}") from exc
            if fmt != INDEX_FORMAT or len(fields) != 11:
                raise IndexFormatError(f"index format {fmt!r}, this code reads {INDEX_FORMAT!r}: rebuild it")
            (source, version, entities, names, vocabulary, skeletons, postings, by_deletion,
             joined, joined_by_skeleton, joined_postings) = fields
            try:
                return cls(source, version, EntityColumns(entities), NameColumns(names), vocabulary,
                           Rows.of_state(postings), KeyedRows.of_state(by_deletion), skeletons, SortedTexts.of_state(joined),
                           Rows.of_state(joined_postings), KeyedRows.of_state(joined_by_skeleton))
            except (ValueError, TypeError) as exc:
                raise IndexFormatError(f"not a screening index: {exc}") from exc

    # --- retrieval --------------------------------------------------------------------------

    def similar_token_ids(self, token: str, key: str | None = None, prefix: bool = True,
                          deleted: Iterable[str] | None = None) -> set[int]:
        """Listed words one edit away from `token` or with its consonant skeleton, and (with
        `prefix`) those sharing its first letters: a superset of its similar words, to be scored.
        `key` and `deleted` are its skeleton and deletion keys, if already known."""
        found: set[int] = set()
        self.by_deletion.gather(deletion_keys(token) if deleted is None else deleted, found)
        if ids := self.by_skeleton.get(skeleton(token) if key is None else key):
            found.update(ids)
        if prefix and len(token) >= _PREFIX_MIN_LENGTH and (ids := self.by_prefix.get(token[:_PREFIX])):
            found.update(ids)
        return found

    def joined_like(self, token: str, key: str | None = None) -> set[int]:
        """Listed words joined ("binladen") spelt as `token` or with its consonant skeleton."""
        found = set(self.joined_by_skeleton.get(skeleton(token) if key is None else key, ()))
        if (joined_id := self.joined.position(token)) is not None:
            found.add(joined_id)
        return found

    def joined_near(self, token: str, letters: frozenset[str]) -> set[int]:
        """Words joined that `similar_token_ids`, given one of them as the token, could find
        `token` by (the other side of `joined_like`): those with a deletion key in common with
        it, each one of its keys or one of them with a letter more (of `letters`, those of the
        indexed words), and those of its consonant skeleton. A superset, to be scored."""
        ids = self.joined_ids
        keys = deletion_keys(token)
        keys.update([key[:i] + letter + key[i:] for key in keys for i in range(len(key) + 1) for letter in letters])
        found = {ids[form] for form in keys if form in ids}
        found.update(self.joined_by_skeleton.get(skeleton(token), ()))
        return found

    def names_with(self, token_ids: Iterable[int]) -> set[int]:
        """Ids of the names containing any of these words."""
        postings = self.postings
        return set().union(*map(postings.__getitem__, token_ids))

    def names_joining(self, joined_ids: Iterable[int]) -> set[int]:
        """Ids of the names with any of these words joined."""
        postings = self.joined_postings
        return set().union(*map(postings.__getitem__, joined_ids))

    def __len__(self) -> int:
        return len(self.names)


def _by_skeleton(skeletons: list[str]) -> dict[str, list[int]]:
    by_skeleton: dict[str, list[int]] = {}
    for token_id, key in enumerate(skeletons):
        if len(key) >= 2:
            by_skeleton.setdefault(key, []).append(token_id)
    return by_skeleton


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
        content_hash=entity.content_hash(),
    )


def _birth_date_tuple(b: BirthDate) -> BirthDateTuple:
    exact = b.exact.toordinal() if b.exact else 0
    return (exact, b.year or 0, b.month or 0, b.year_from or 0, b.year_to or 0, b.circa)
