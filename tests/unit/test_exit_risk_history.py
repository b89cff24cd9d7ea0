"""relevant_history: the checks see the same thing in the compacted history as in the whole one."""
from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from chalicelib.domain.closure import Direction
from chalicelib.domain.exit_risk import assess, relevant_history
from tests.unit.test_exit_risk import POLICY, account, request, tx

PAYEES = [("Payee A", "DE89370400440532013000"), ("Payee B", None), ("Payee C", "GB33BUKB20201555555555"),
          ("Payee D", None)]

transaction = st.builds(
    lambda days, amount, direction, payee: tx(f"{amount}.00", days=days, direction=direction, name=payee[0],
                                               iban=payee[1]),
    days=st.floats(min_value=-5, max_value=2000), amount=st.integers(min_value=1, max_value=40000),
    direction=st.sampled_from(list(Direction)), payee=st.sampled_from(PAYEES))


@settings(max_examples=200, deadline=None)
@given(st.lists(transaction, max_size=60))
def test_findings_on_the_compacted_history_equal_those_on_the_whole_history(history):
    closure = request(account("10"))
    compacted = relevant_history(closure, iter(history), POLICY)
    assert len(compacted) <= len(history)
    assert assess(closure, compacted, POLICY) == assess(closure, history, POLICY)


def test_old_transactions_are_reduced_to_one_per_payee():
    history = [tx("10.00", days=400 + d, name="Old Shop") for d in range(500)] + [tx("20.00", days=3)]
    compacted = relevant_history(request(), history, POLICY)
    assert len(compacted) == 2
    assert min(t.booked_at for t in compacted) == min(t.booked_at for t in history)
