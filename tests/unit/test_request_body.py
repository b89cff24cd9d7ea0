"""Hostile request bodies: whatever the bytes, the parser returns JSON or raises its ApiError."""
import json

import pytest
from hypothesis import given
from hypothesis import strategies as st

from chalicelib.api.errors import ApiError
from chalicelib.api.request_body import MAX_BODY_BYTES, MAX_DEPTH, parse_json_body

json_values = st.recursive(st.none() | st.booleans() | st.integers() | st.text(),
                           lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(), inner, max_size=4),
                           max_leaves=20)


@given(st.binary(max_size=2048))
def test_arbitrary_bytes_give_json_or_a_400(raw):
    try:
        parse_json_body(raw)
    except ApiError as exc:
        assert exc.status == 400 and exc.code == "MALFORMED_JSON" and exc.fields


@given(json_values)
def test_well_formed_json_round_trips(value):
    assert parse_json_body(json.dumps(value).encode()) == value


@pytest.mark.parametrize("raw, reason", [
    (b"\xff\xfe{}", "UTF-8"),
    (b'{"a": ', "not valid JSON"),
    (b'{"amount": NaN}', "NaN"),
    (b'[Infinity]', "Infinity"),
    (b'{"name": "\\ud800"}', "surrogate"),
    (b'{"\\udfff": 1}', "surrogate"),
    (b"[" * (MAX_DEPTH + 1) + b"]" * (MAX_DEPTH + 1), "nested"),
    (b"[" * 100_000 + b"]" * 100_000, "nested"),  # beyond the interpreter's recursion limit
])
def test_hostile_bodies_are_400_with_the_reason(raw, reason):
    with pytest.raises(ApiError) as caught:
        parse_json_body(raw)
    assert caught.value.status == 400 and reason in caught.value.message


def test_nesting_up_to_the_limit_is_accepted():
    assert parse_json_body(b"[" * MAX_DEPTH + b"]" * MAX_DEPTH) is not None


def test_oversized_body_is_413():
    with pytest.raises(ApiError) as caught:
        parse_json_body(b" " * (MAX_BODY_BYTES + 1))
    assert (caught.value.status, caught.value.code) == (413, "PAYLOAD_TOO_LARGE")


def test_empty_body_is_malformed():
    with pytest.raises(ApiError):
        parse_json_body(None)
