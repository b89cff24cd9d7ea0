"""Sequences stored flat, for the columns of a screening index of millions of names: strings as
one UTF-8 blob, rows of ints as one array of ints, repeated values as codes into their distinct
values. A Python object per item (a str, a tuple, an int) costs 28 to 100 bytes more than the
item itself and must be unpickled one by one at cold start; these cost a few bytes per item and
load as their bytes. Each serialises to builtins only (`state` / `of_state`), for the index's
restricted unpickler; a column loaded from a buffer (a `memoryview` of the stored index) reads
that buffer in place, without copying it, and makes a copy of its own only if appended to."""
from __future__ import annotations

import io
import pickle
import struct
from array import array
from collections.abc import Hashable, Iterable, Iterator
from operator import sub
from typing import Any, Generic, TypeVar
from zlib import crc32

_OFFSET, _INT = "q", "i"  # 8-byte offsets into a blob or a row array; 4-byte ints (ids < 2**31)

T = TypeVar("T", bound=Hashable)


def ints(values: Iterable[int] = (), typecode: str = _INT) -> array:
    return array(typecode, values)


Ints = array | memoryview  # a column's ints: built as an array, loaded as a view of stored bytes


def ints_of(data: bytes | memoryview) -> Ints:
    """The 4-byte ints of `ints(...).tobytes()`."""
    return _array(_INT, data)


def _array(typecode: str, data: bytes | memoryview) -> Ints:
    """The ints stored in `data`, read in place (a view, no copy)."""
    view = memoryview(data)
    if view.nbytes % array(typecode).itemsize:
        raise ValueError(f"{view.nbytes} bytes are not a whole number of {typecode!r} ints")
    return view.cast("B").cast(typecode)


def _appendable(values: Ints) -> array:
    return values if isinstance(values, array) else array(values.format, values)


class Texts:
    """Strings, as one UTF-8 blob and where each one starts (one offset more than strings)."""

    __slots__ = ("blob", "starts")

    def __init__(self, blob: bytes | bytearray | memoryview | None = None, starts: Ints | None = None) -> None:
        self.blob = blob if blob is not None else bytearray()
        self.starts = starts if starts is not None else ints((0,), _OFFSET)

    def append(self, text: str) -> None:
        if not isinstance(self.blob, bytearray):
            self.blob, self.starts = bytearray(self.blob), _appendable(self.starts)
        self.blob += text.encode()
        self.starts.append(len(self.blob))

    def __getitem__(self, i: int) -> str:
        starts = self.starts
        count = len(starts) - 1
        if i < 0:
            i += count
        if not 0 <= i < count:
            raise IndexError(i)
        return str(self.blob[starts[i]:starts[i + 1]], "utf-8")

    def __len__(self) -> int:
        return len(self.starts) - 1

    def __iter__(self) -> Iterator[str]:
        blob, starts = self.blob, self.starts
        return (str(blob[a:b], "utf-8") for a, b in zip(starts, starts[1:]))

    def state(self) -> tuple[bytes, bytes]:
        return bytes(self.blob), self.starts.tobytes()

    @classmethod
    def of_state(cls, state: tuple[bytes | memoryview, bytes | memoryview]) -> Texts:
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
            if bytes(blob[starts[middle]:starts[middle + 1]]) < key:  # a view has no order
                low = middle + 1
            else:
                high = middle
        return low if low < len(starts) - 1 and blob[starts[low]:starts[low + 1]] == key else None


class Rows:
    """Rows of ints (a name's word ids, a word's name ids), as one array and where each row
    starts. `self[i]` is row i as an array (a copy of its slice: iterable, indexable, sized)."""

    __slots__ = ("flat", "starts")

    def __init__(self, flat: Ints | None = None, starts: Ints | None = None) -> None:
        self.flat = flat if flat is not None else ints()
        self.starts = starts if starts is not None else ints((0,), _OFFSET)

    @classmethod
    def of(cls, rows: Iterable[Iterable[int]]) -> Rows:
        found = cls()
        for row in rows:
            found.append(row)
        return found

    def append(self, row: Iterable[int]) -> None:
        if not isinstance(self.flat, array):
            self.flat, self.starts = _appendable(self.flat), _appendable(self.starts)
        self.flat.extend(row)
        self.starts.append(len(self.flat))

    def __getitem__(self, i: int) -> Ints:
        return self.flat[self.starts[i]:self.starts[i + 1]]

    def __len__(self) -> int:
        return len(self.starts) - 1

    def __iter__(self) -> Iterator[Ints]:
        flat, starts = self.flat, self.starts
        return (flat[a:b] for a, b in zip(starts, starts[1:]))

    def longest(self) -> int:
        starts = self.starts
        return max(map(sub, starts[1:], starts[:-1]), default=0)  # the loop in C (millions of rows)

    def state(self) -> tuple[bytes, bytes]:
        return self.flat.tobytes(), self.starts.tobytes()

    @classmethod
    def of_state(cls, state: tuple[bytes | memoryview, bytes | memoryview]) -> Rows:
        flat, starts = state
        return cls(_array(_INT, flat), _array(_OFFSET, starts))


class Coded(Generic[T]):
    """Values that repeat (a type, a programme list, a birth date), as a code per item into the
    distinct values."""

    __slots__ = ("values", "codes", "_code")

    def __init__(self, values: list[T] | None = None, codes: Ints | None = None) -> None:
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
        self.codes = _appendable(self.codes)
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
    def of_state(cls, state: tuple[list[Any], bytes | memoryview]) -> Coded[Any]:
        values, codes = state
        return cls(values, _array(_INT, codes))


class KeyedRows:
    """Rows of ints by a string key (a deletion key or a consonant skeleton -> the ids of the
    words that have it): the keys one column, the rows another, and a hash table of the keys'
    positions (open addressing on the CRC-32 of a key's UTF-8, at most half full). `get` is a
    dict's, in a few probes; the memory and the load are columns', not a dict of a million strings
    and tuples unpickled one by one."""

    __slots__ = ("keys", "rows", "slots", "_mask")

    def __init__(self, keys: Texts | None = None, rows: Rows | None = None, slots: Ints | None = None) -> None:
        self.keys = keys if keys is not None else Texts()
        self.rows = rows if rows is not None else Rows()
        self.slots = slots if slots is not None else _slots(self.keys)
        self._mask = len(self.slots) - 1
        if len(self.slots) & self._mask or len(self.keys) != len(self.rows) or len(self.keys) * 2 > len(self.slots):
            raise ValueError("keyed rows: keys, rows and hash table do not agree")

    @classmethod
    def of(cls, mapping: dict[str, Iterable[int]]) -> KeyedRows:
        keys, rows = Texts(), Rows()
        for key, row in mapping.items():
            keys.append(key)
            rows.append(row)
        return cls(keys, rows)

    def get(self, key: str, default: Any = ()) -> Ints | Any:
        wanted, slots, mask = key.encode(), self.slots, self._mask
        blob, starts = self.keys.blob, self.keys.starts
        slot = crc32(wanted) & mask
        while position := slots[slot]:
            position -= 1  # a slot holds a key's position + 1; 0 is empty
            if blob[starts[position]:starts[position + 1]] == wanted:
                return self.rows[position]
            slot = (slot + 1) & mask
        return default

    def gather(self, keys: Iterable[str], found: set[int]) -> None:
        """Add the rows of all these keys to `found` (`get` for each, in one call: a query word's
        deletion keys are looked up by the dozen)."""
        slots, mask = self.slots, self._mask
        blob, starts = self.keys.blob, self.keys.starts
        flat, row_starts = self.rows.flat, self.rows.starts
        for key in keys:
            wanted = key.encode()
            slot = crc32(wanted) & mask
            while position := slots[slot]:
                position -= 1
                if blob[starts[position]:starts[position + 1]] == wanted:
                    found.update(flat[row_starts[position]:row_starts[position + 1]])
                    break
                slot = (slot + 1) & mask

    def __len__(self) -> int:
        return len(self.rows)

    def state(self) -> tuple:
        return self.keys.state(), self.rows.state(), self.slots.tobytes()

    @classmethod
    def of_state(cls, state: tuple) -> KeyedRows:
        keys, rows, slots = state
        return cls(Texts.of_state(keys), Rows.of_state(rows), _array(_INT, slots))


def _slots(keys: Texts) -> array:
    """The hash table of `keys`: a power of two of slots, at least twice as many as keys."""
    size = 1 << max(3, (2 * len(keys)).bit_length())
    slots, mask = ints(bytes(4 * size)), size - 1
    blob, starts = keys.blob, keys.starts
    for position in range(len(keys)):
        slot = crc32(blob[starts[position]:starts[position + 1]]) & mask
        while slots[slot]:
            slot = (slot + 1) & mask
        slots[slot] = position + 1
    return slots


class Digests:
    """SHA-256 digests given and read as hex, stored as their 32 bytes (half a hex string's, and
    no offsets). No digest ("": a customer's profile has none) is stored as 32 zero bytes."""

    __slots__ = ("blob",)
    WIDTH = 32
    _NONE = bytes(WIDTH)

    def __init__(self, blob: bytes | bytearray | memoryview | None = None) -> None:
        self.blob = blob if blob is not None else bytearray()
        if len(self.blob) % self.WIDTH:
            raise ValueError("digests: not a whole number of digests")

    def append(self, digest: str) -> None:
        if not isinstance(self.blob, bytearray):
            self.blob = bytearray(self.blob)
        raw = bytes.fromhex(digest) if digest else self._NONE
        if len(raw) != self.WIDTH or (digest and raw == self._NONE):
            raise ValueError(f"digests: {digest!r} is not a SHA-256 digest")
        self.blob += raw

    def __getitem__(self, i: int) -> str:
        count = len(self)
        if i < 0:
            i += count
        if not 0 <= i < count:
            raise IndexError(i)
        raw = self.blob[i * self.WIDTH:(i + 1) * self.WIDTH]
        return "" if raw == self._NONE else raw.hex()

    def __len__(self) -> int:
        return len(self.blob) // self.WIDTH

    def __iter__(self) -> Iterator[str]:
        return map(self.__getitem__, range(len(self)))

    def state(self) -> bytes:
        return bytes(self.blob)

    @classmethod
    def of_state(cls, state: bytes | memoryview) -> Digests:
        return cls(state)


# --- storing columns -------------------------------------------------------------------------

_MAGIC = b"COLUMNS1"
_LAYOUT = struct.Struct("<8sQQ")  # magic, length of the pickled header, number of buffers
_OUT_OF_BAND = 4096  # byte strings at least this long are stored as buffers, after the header
_ALIGN = 8


def pack(payload: object) -> bytes:
    """A payload of builtins as bytes that `unpack` reads in place: the payload pickled with its
    long byte strings (the columns' blobs and ints) out of band, then each of those at an 8-byte
    boundary. Pickled in band, every blob would be copied once into a bytes object at load and once
    more into an array, a gigabyte of fresh memory for an index of a million names."""
    buffers: list[pickle.PickleBuffer] = []
    header = pickle.dumps(_out_of_band(payload), protocol=5, buffer_callback=buffers.append)
    raws = [buffer.raw() for buffer in buffers]
    parts: list[bytes | memoryview] = [_LAYOUT.pack(_MAGIC, len(header), len(raws)),
                                       array("q", (raw.nbytes for raw in raws)).tobytes(), header]
    size = sum(map(len, parts))
    for raw in raws:
        parts.append(bytes(-size % _ALIGN))
        parts.append(raw)
        size += -size % _ALIGN + raw.nbytes
    return b"".join(parts)


def unpack(data: bytes | memoryview, unpickler: type[pickle.Unpickler]) -> object:
    """The payload of `pack`, its buffers as views of `data` (kept alive by them). ValueError if
    `data` is not in this layout (an index stored as a plain pickle by an older release)."""
    view = memoryview(data).cast("B")
    if view.nbytes < _LAYOUT.size or bytes(view[:len(_MAGIC)]) != _MAGIC:
        raise ValueError("not columns in the layout this code reads")
    _, header_length, count = _LAYOUT.unpack_from(view)
    offset = _LAYOUT.size + 8 * count
    if offset + header_length > view.nbytes:
        raise ValueError("columns: truncated")
    header = bytes(view[offset:offset + header_length])
    lengths = array("q", bytes(view[_LAYOUT.size:offset]))
    offset += header_length
    buffers = []
    for length in lengths:
        offset += -offset % _ALIGN
        if length < 0 or offset + length > view.nbytes:
            raise ValueError("columns: truncated")
        buffers.append(view[offset:offset + length])
        offset += length
    return unpickler(io.BytesIO(header), buffers=buffers).load()


def _out_of_band(value: object) -> object:
    if isinstance(value, tuple):
        return tuple(map(_out_of_band, value))
    if isinstance(value, bytes) and len(value) >= _OUT_OF_BAND:
        return pickle.PickleBuffer(value)
    return value
