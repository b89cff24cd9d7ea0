"""Give moto's DynamoDB the per-item atomicity real DynamoDB has.

DynamoDB evaluates a ConditionExpression and applies the write as one atomic step, which
is what makes our status transitions and review decisions safe under concurrency. moto
checks the condition and then writes, with nothing in between to stop a second thread,
so two concurrent conditional writes can both succeed; and it updates items in place, so a
read that walks an item while another thread writes it can fail with "dictionary changed size
during iteration". Serialising the backend's item operations, and the request handlers that turn
the items they return into the response (outside the backend: a read's item, or an update's
ALL_NEW), restores the guarantees the product relies on (a fidelity fix of the emulator, not a
change of behaviour)."""
from __future__ import annotations

import functools
import threading
from collections.abc import Callable

from moto.dynamodb.models import DynamoDBBackend
from moto.dynamodb.responses import DynamoHandler

_WRITES = ("put_item", "update_item", "delete_item", "transact_write_items")
_READS = ("get_item", "query", "scan")  # batch and transactional reads go through get_item
_HANDLERS = (*_WRITES, *_READS, "batch_get_item", "batch_write_item", "transact_get_items")
_lock = threading.RLock()


def install() -> Callable[[], None]:
    originals = [(owner, name, getattr(owner, name)) for owner, names in
                 ((DynamoDBBackend, (*_WRITES, *_READS)), (DynamoHandler, _HANDLERS)) for name in names]
    for owner, name, original in originals:
        setattr(owner, name, _serialised(original))
    return lambda: [setattr(owner, name, original) for owner, name, original in originals]


def _serialised(method: Callable) -> Callable:
    @functools.wraps(method)
    def wrapper(*args, **kwargs):
        with _lock:
            return method(*args, **kwargs)

    return wrapper
