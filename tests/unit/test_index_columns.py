"""The flat columns of a screening index: each holds what it was given, in order, and serialises
to builtins that load back to the same."""
import pickle

import pytest

from hypothesis import given
from hypothesis import strategies as st

from chalicelib.domain.screening.columns import Coded, Digests, KeyedRows, Rows, SortedTexts, Texts

texts = st.lists(st.text(), max_size=30)
rows = st.lists(st.lists(st.integers(min_value=0, max_value=2**31 - 1), max_size=6), max_size=30)


def _builtins_only(state: object) -> object:
    return pickle.loads(pickle.dumps(state, protocol=5))  # what the index's unpickler gets back


@given(texts)
def test_texts_hold_every_string_in_every_script(strings: list[str]) -> None:
    column = Texts()
    for text in strings:
        column.append(text)
    loaded = Texts.of_state(_builtins_only(column.state()))
    assert list(column) == list(loaded) == strings and len(loaded) == len(strings)
    assert [loaded[i] for i in range(len(strings))] == strings
    if strings:
        assert loaded[-1] == strings[-1]


def test_texts_refuse_an_index_past_the_end() -> None:
    column = Texts()
    column.append("Усама бин Ладен")
    assert column[0] == "Усама бин Ладен"
    for outside in (1, -2):
        try:
            column[outside]
        except IndexError:
            continue
        raise AssertionError(f"{outside} read")


@given(rows)
def test_rows_hold_each_row(values: list[list[int]]) -> None:
    column = Rows.of(values)
    loaded = Rows.of_state(_builtins_only(column.state()))
    assert [list(r) for r in loaded] == [list(loaded[i]) for i in range(len(values))] == values
    assert loaded.longest() == max(map(len, values), default=0)


@given(st.lists(st.sampled_from([(), ("SDGT",), ("SDGT", "IRAN"), ((1970, 0),)]), max_size=40))
def test_coded_values_are_stored_once_each(values: list[tuple]) -> None:
    column = Coded()
    for value in values:
        column.append(value)
    loaded = Coded.of_state(_builtins_only(column.state()))
    assert list(loaded) == values and len(loaded.values) == len(set(values))
    loaded.append(("NEW",))  # appending after a load keeps the codes it has
    assert list(loaded) == [*values, ("NEW",)]


@given(st.lists(st.text(), max_size=40), st.text())
def test_a_sorted_column_finds_each_string_and_nothing_else(strings: list[str], other: str) -> None:
    column = SortedTexts.of(set(strings))
    assert list(column) == sorted(set(strings))
    for text in strings:
        assert column[column.position(text)] == text
    assert (column.position(other) is None) == (other not in strings)


def test_keyed_rows_get_like_a_dict() -> None:
    rows = KeyedRows.of({"mhmd": [3, 1], "ksm": [2], "ħsn": [0]})
    loaded = KeyedRows.of_state(_builtins_only(rows.state()))
    assert [list(loaded.get(k)) for k in ("mhmd", "ksm", "ħsn")] == [[3, 1], [2], [0]]
    assert loaded.get("absent") == () and loaded.get("absent", None) is None and len(loaded) == 3


@given(st.dictionaries(st.text(max_size=6), st.lists(st.integers(0, 2**31 - 1), max_size=4), max_size=300),
       st.lists(st.text(max_size=6), max_size=30))
def test_keyed_rows_find_every_key_and_nothing_else_whatever_collides(mapping: dict[str, list[int]], others: list[str]) -> None:
    rows = KeyedRows.of_state(_builtins_only(KeyedRows.of(mapping).state()))
    assert len(rows) == len(mapping) and len(rows.slots) >= 2 * len(mapping)
    for key, row in mapping.items():
        assert list(rows.get(key)) == row
    for other in others:
        assert rows.get(other, None) is None or other in mapping
    gathered: set[int] = set()
    rows.gather([*mapping, *others], gathered)
    assert gathered == {i for row in mapping.values() for i in row}


def test_keyed_rows_refuse_a_hash_table_that_does_not_fit_their_keys() -> None:
    keys, rows, slots = KeyedRows.of({"mhmd": [3], "ksm": [2]}).state()
    with pytest.raises(ValueError):
        KeyedRows.of_state((keys, rows, slots[:8]))  # 2 slots for 2 keys: more than half full
    with pytest.raises(ValueError):
        KeyedRows.of_state((keys, rows, slots[:12]))  # 3 slots: not a power of two


@given(st.lists(st.binary(min_size=32, max_size=32).filter(any) | st.just(b""), max_size=20))
def test_digests_keep_sha256_hex_as_their_bytes(raw: list[bytes]) -> None:
    digests = Digests()
    for digest in raw:
        digests.append(digest.hex())  # b"" is no digest (a customer's profile)
    loaded = Digests.of_state(_builtins_only(digests.state()))
    assert list(loaded) == [d.hex() for d in raw] and len(loaded.state()) == 32 * len(raw)
    if raw:
        assert loaded[-1] == raw[-1].hex()
    with pytest.raises(IndexError):
        loaded[len(raw)]
    with pytest.raises(ValueError):
        digests.append("abc")
