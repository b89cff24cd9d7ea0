from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from chalicelib.domain.audit_log import GENESIS, AuditEntry, LogName, computed_hash, next_entry, verify


def chain(n: int) -> list[AuditEntry]:
    entries, previous = [], None
    for i in range(n):
        previous = next_entry(previous, LogName.RETENTION, f"2026-11-23T10:00:{i:02d}.000Z", "scheduled",
                              f"rec-{i}", {"rule": "eu-cdd", "keep_until": "2031-11-23T10:00:00.000Z"})
        entries.append(previous)
    return entries


def test_a_fresh_chain_verifies_and_reports_its_head():
    entries = chain(5)
    result = verify(entries, expected_head=entries[-1].hash)
    assert result.valid and result.checked == 5 and result.head_sequence == 5 and result.head_hash == entries[-1].hash
    assert entries[0].prev_hash == GENESIS and entries[1].prev_hash == entries[0].hash


def test_an_empty_log_is_valid():
    assert verify([]).valid


def test_changing_an_entry_breaks_the_chain_at_that_entry():
    entries = chain(6)
    tampered = entries[3].model_copy(update={"subject": "rec-999"})
    result = verify([*entries[:3], tampered, *entries[4:]])
    assert not result.valid and result.first_broken == 4 and "hash" in result.reason


def test_rehashing_a_changed_entry_breaks_the_next_link():
    entries = chain(6)
    forged = entries[2].model_copy(update={"event": "erased"})
    forged = forged.model_copy(update={"hash": computed_hash(forged)})
    result = verify([*entries[:2], forged, *entries[3:]])
    assert not result.valid and result.first_broken == 4


def test_a_removed_entry_and_a_truncated_tail_are_caught():
    entries = chain(5)
    assert verify([*entries[:2], *entries[3:]]).first_broken == 3
    truncated = verify(entries[:4], expected_head=entries[-1].hash)
    assert not truncated.valid and truncated.first_broken == 5


@settings(max_examples=100)
@given(st.integers(min_value=1, max_value=30), st.data())
def test_any_single_field_change_is_detected(n, data):
    entries = chain(n)
    victim = data.draw(st.integers(min_value=0, max_value=n - 1))
    field = data.draw(st.sampled_from(["at", "event", "subject"]))
    entries[victim] = entries[victim].model_copy(update={field: entries[victim].model_dump()[field] + "x"})
    result = verify(entries)
    assert not result.valid and result.first_broken == victim + 1
