"""moto finds a service's backend on every request through `BackendDict.__getitem__`, which takes
a process-wide lock and scans the list of every BackendDict (an `==` per service) before each
lookup. With Step Functions' threads, the API's threads and the Lambda tasks all calling the
embedded AWS, that lock was where a sign-up spent most of its time under concurrency. This keeps
moto's behaviour (create the account's backend once, register the dict once) with a lock-free
check of what is already there."""
from __future__ import annotations

from collections.abc import Callable

from moto.core.base_backend import BackendDict


def install() -> Callable[[], None]:
    original = BackendDict._create_account_specific_backend

    def create_once(self: BackendDict, account_id: str) -> None:
        if dict.__contains__(self, account_id) and getattr(self, "_checkpoint_registered", False):
            return  # already created and registered: nothing to do, no lock
        original(self, account_id)
        self._checkpoint_registered = True

    BackendDict._create_account_specific_backend = create_once
    return lambda: setattr(BackendDict, "_create_account_specific_backend", original)
