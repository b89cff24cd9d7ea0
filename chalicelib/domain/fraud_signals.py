"""The fraud signals a sign-up's fraud step can raise, and which of them are about patterns across
sign-ups. A module of their own, so that what names a signal (a view, what a caller may see) does
not bring in the fraud policy's and the identity graph's models (chalicelib.domain.fraud)."""
from __future__ import annotations

from enum import StrEnum


class FraudSignal(StrEnum):
    DOCUMENT_REUSED = "DOCUMENT_REUSED"
    DOCUMENT_IMAGE_REUSED = "DOCUMENT_IMAGE_REUSED"
    CONTACT_REUSED = "CONTACT_REUSED"
    VELOCITY_EXCEEDED = "VELOCITY_EXCEEDED"
    EMAIL_DISPOSABLE = "EMAIL_DISPOSABLE"
    EMAIL_INVALID = "EMAIL_INVALID"
    PHONE_INVALID = "PHONE_INVALID"
    PHONE_COUNTRY_MISMATCH = "PHONE_COUNTRY_MISMATCH"


# Signals about patterns across sign-ups: told to compliance, never to the channel (it would tell a
# fraudster what was noticed). The contact checks are the customer's to correct and are shown.
PATTERN_SIGNALS = frozenset({FraudSignal.DOCUMENT_REUSED, FraudSignal.DOCUMENT_IMAGE_REUSED,
                             FraudSignal.CONTACT_REUSED, FraudSignal.VELOCITY_EXCEEDED,
                             FraudSignal.EMAIL_DISPOSABLE})
