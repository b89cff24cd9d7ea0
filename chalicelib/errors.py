"""What can go wrong, in the product's own words. Services and stores raise these; the API's
error boundary (`chalicelib.api.errors`) gives each one its status and stable code, once.

The workflow errors' class names are the Step Functions error names that Retry and Catch
match, so renaming one is a change to the state machines too."""
from __future__ import annotations


class TransientError(Exception):
    """A dependency failed in a way that may succeed on retry (throttling, 5xx, timeouts)."""


class PermanentTaskError(Exception):
    """The task cannot succeed for this checkpoint; retrying is pointless."""


class NotFound(Exception):
    """A record the caller named does not exist, or is not the caller's to see (the same answer)."""


class Conflict(Exception):
    """A state change the record's current state does not allow; `code` is stable; `fields`
    ((field, reason) pairs) name what the caller must fix first, when something can be named."""

    code = "CONFLICT"
    fields: tuple[tuple[str, str], ...] = ()


class CustomerFrozen(Conflict):
    """A confirmed sanctions match froze the customer: no payout, export or settlement."""

    code = "CUSTOMER_FROZEN"


class CheckpointClosed(Conflict):
    """The checkpoint is final: nothing more can be added to it."""

    code = "CHECKPOINT_CLOSED"


class Refused(Exception):
    """Well-formed but refused by what the service knows (422): `code` is stable; `field` names
    the request field it concerns, if one does."""

    code = "REFUSED"

    def __init__(self, message: str, *, field: str | None = None, reason: str | None = None,
                 code: str | None = None) -> None:
        super().__init__(message)
        self.field, self.reason = field, reason
        if code:
            self.code = code


class UnknownCustomer(Refused):
    """No customer has this id, or none the caller may act for (the same answer)."""

    code = "UNKNOWN_CUSTOMER"

    def __init__(self, field: str = "customer_id") -> None:
        super().__init__("No customer has this id.", field=field, reason="is not a known customer")


class PurposeRequired(Exception):
    """Staff reading a former customer's personal data without a purpose that opens it (403
    PURPOSE_REQUIRED); `purposes` are those that would."""

    code = "PURPOSE_REQUIRED"

    def __init__(self, message: str, purposes: tuple[str, ...]) -> None:
        super().__init__(message)
        self.purposes = purposes


class InvalidField(Exception):
    """A request field that passed the request model but fails a check only the service can make
    (e.g. an S3 key that names no object): a 400 naming the field."""

    def __init__(self, field: str, reason: str) -> None:
        super().__init__(f"{field}: {reason}")
        self.field, self.reason = field, reason


class IdempotencyKeyReused(Exception):
    """The Idempotency-Key was used before with a different request."""


class IdempotencyInProgress(Exception):
    """A request with the same Idempotency-Key is being processed right now."""


class CorruptRecord(Exception):
    """A stored record does not parse: a fault in stored data, never the caller's. The message
    names the kind of record and its id only; `problems` holds the validation error types."""

    def __init__(self, kind: str, record_id: str, problems: tuple[str, ...] = ()) -> None:
        super().__init__(f"stored {kind} {record_id} does not parse")
        self.kind, self.record_id, self.problems = kind, record_id, problems
