"""Errors the workflow understands. Their class names are the Step Functions error names
that Retry and Catch match, so renaming one is a change to the state machines too."""


class TransientError(Exception):
    """A dependency failed in a way that may succeed on retry (throttling, 5xx, timeouts)."""


class PermanentTaskError(Exception):
    """The task cannot succeed for this checkpoint; retrying is pointless."""


class NotFound(Exception):
    """A record the caller named does not exist."""


class Conflict(Exception):
    """A conditional write lost: the record is not in the state the change requires."""
