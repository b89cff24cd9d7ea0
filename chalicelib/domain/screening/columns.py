"""Sequences stored flat, for the columns of a screening index of millions of names: strings as
one UTF-8 blob, rows of ints as one array of ints, repeated values as codes into their distinct
values. A Python object per item (a str, a tuple, an int) costs 28 to 100 bytes more than the
item itself and must be unpickled one by one at cold start; these cost a few bytes per item and
load as a copy of their bytes. Each serialises to builtins only (`state` / `of_state`), for the
index's restricted unpickler."""
from __future__ import annotations

from array import array
from collections.abc import Hashable, Iterable, Iterator
from operator import sub
from typing import Any, Generic, TypeVar

_OFFSET, _INT = "q", "i"  # 8-byte offsets into a blob or a row array; 4-byte ints (ids < 2**31)

T = TypeVar("T", bound=Hashable)


def ints(values: Iterable[int] = (), typecode: str = _INT) -> array:
    return array(typecode, values)


def ints_of(data: bytes) -> array:
    """The 4-byte ints of `ints(...).tobytes()`."""
    return _array(_INT, data)


def _array(typecode: str, data: bytes) -> array:
    found = array(typecode)
    found.frombytes(data)
    return found


class Texts:
    """Strings, as one UTF-8 blob and where each one starts (one offset more than strings)."""

    __slots__ = ("blob", "starts")

    def __init__(self, blob: bytes | bytearray | None = None, starts: array | None = None) -> None:
        self.blob = blob if blob is not None else bytearray()
        self.starts = starts if starts is not None else ints((0,), _OFFSET)

    def append(self, text: str) -> None:
        if not isinstance(self.blob, bytearray):
            self.blob = bytearray(self.blob)
        self.blob += text.encode()
        self.starts.append(len(self.blob))

    def __getitem__(self, i: int) -> str:
        starts = self.starts
        count = len(starts) - 1
        if i < 0:
            i += count
        if not 0 <= i < count:
            raise IndexError(i)
        return self.blob[starts[i]:starts[i + 1]].decode()

    def __len__(self) -> int:
        return len(self.starts) - 1

    def __iter__(self) -> Iterator[str]:
        blob, starts = self.blob, self.starts
        return (blob[a:b].decode() for a, b in zip(starts, starts[1:]))

    def state(self) -> tuple[bytes, bytes]:
        return bytes(self.blob), self.starts.tobytes()

    @classmethod
    def of_state(cls, state: tuple[bytes, bytes]) -> Texts:
        blob, starts = state
        return cls(blob, _array(_OFFSET, starts))


class SortedTexts(Texts):
    """Texts in sorted order: a string's position is found by bisection, with no dict of them."""

    __slots__ = ()

    @classmethod
    def of(cls, strings: Iterable[str]) -> SortedTexts:
        found = cls()
        for text in sorted(strings):
            found.append(text)
        return found

    def position(self, text: str) -> int | None:
        """Bisection on the UTF-8 bytes, no string decoded (UTF-8 sorts as the code points do)."""
        key, blob, starts = text.encode(), self.blob, self.starts
        low, high = 0, len(starts) - 1
        while low < high:
            middle = (low + high) // 2
            if blob[starts[middle]:starts[middle + 1]] < key:
                low = middle + 1
            else:
                high = middle
        return low if low < len(starts) - 1 and blob[starts[low]:starts[low + 1]] == key else None


class Rows:
    """Rows of ints (a name's word ids, a word's name ids), as one array and where each row
    starts. `self[i]` is row i as an array (a copy of its slice: iterable, indexable, sized)."""

    __slots__ = ("flat", "starts")

    def __init__(self, flat: array | None = None, starts: array | None = None) -> None:
        self.flat = flat if flat is not None else ints()
        self.starts = starts if starts is not None else ints((0,), _OFFSET)

    @classmethod
    def of(cls, rows: Iterable[Iterable[int]]) -> Rows:
        found = cls()
        for row in rows:
            found.append(row)
        return found

    def append(self, row: Iterable[int]) -> None:
        self.flat.extend(row)
        self.starts.append(len(self.flat))

    def __getitem__(self, i: int) -> array:
        return self.flat[self.starts[i]:self.starts[i + 1]]

    def __len__(self) -> int:
        return len(self.starts) - 1

    def __iter__(self) -> Iterator[array]:
        flat, starts = self.flat, self.starts
        return (flat[a:b] for a, b in zip(starts, starts[1:]))

    def longest(self) -> int:
        starts = self.starts
        return max(map(sub, starts[1:], starts[:-1]), default=0)  # the loop in C (millions of rows)

    def state(self) -> tuple[bytes, bytes]:
        return self.flat.tobytes(), self.starts.tobytes()

    @classmethod
    def of_state(cls, state: tuple[bytes, bytes]) -> Rows:
        flat, starts = state
        return cls(_array(_INT, flat), _array(_OFFSET, starts))


class Coded(Generic[T]):
    """Values that repeat (a type, a programme list, a birth date), as a code per item into the
    distinct values."""

    __slots__ = ("values", "codes", "_code")

    def __init__(self, values: list[T] | None = None, codes: array | None = None) -> None:
        self.values: list[T] = values if values is not None else []
        self.codes = codes if codes is not None else ints()
        self._code: dict[T, int] | None = None

    def append(self, value: T) -> None:
        if self._code is None:
            self._code = {v: i for i, v in enumerate(self.values)}
        code = self._code.get(value)
        if code is None:
            code = self._code[value] = len(self.values)
            self.values.append(value)
        self.codes.append(code)

    def __getitem__(self, i: int) -> T:
        return self.values[self.codes[i]]

    def __len__(self) -> int:
        return len(self.codes)

    def __iter__(self) -> Iterator[T]:
        return map(self.values.__getitem__, self.codes)

    def state(self) -> tuple[list[T], bytes]:
        return self.values, self.codes.tobytes()

    @classmethod
    def of_state(cls, state: tuple[list[Any], bytes]) -> Coded[Any]:
        values, codes = state
        return cls(values, _array(_INT, codes))


class KeyedRows:
    """Rows of ints by a string key (a consonant skeleton -> the ids of the words that have it),
    the keys sorted (`SortedTexts`): `get` is a dict's, the memory a column's."""

    __slots__ = ("keys", "rows")

    def __init__(self, keys: SortedTexts | None = None, rows: Rows | None = None) -> None:
        self.keys = keys if keys is not None else SortedTexts()
        self.rows = rows if rows is not None else Rows()

    @classmethod
    def of(cls, mapping: dict[str, Iterable[int]]) -> KeyedRows:
        keys = SortedTexts.of(mapping)
        return cls(keys, Rows.of(mapping[key] for key in keys))

    def get(self, key: str, default: Any = ()) -> array | Any:
        i = self.keys.position(key)
        return default if i is None else self.rows[i]

    def __len__(self) -> int:
        return len(self.rows)

    def state(self) -> tuple:
        return self.keys.state(), self.rows.state()

    @classmethod
    def of_state(cls, state: tuple) -> KeyedRows:
        keys, rows = state
        return cls(SortedTexts.of_state(keys), Rows.of_state(rows))
