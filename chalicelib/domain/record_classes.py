"""Which retention record class a stored object belongs to, by where the product stores it
(the layout is in chalicelib/stores/document_bucket.py). Every object is tagged with it when written."""
from __future__ import annotations

from chalicelib.domain.retention import RecordClass

_RESULT_CLASSES = {"identity.json": RecordClass.CDD_IDENTITY, "screening.json": RecordClass.SCREENING_RESULTS,
                   "exit_risk.json": RecordClass.CLOSURE_RECORD, "plan.json": RecordClass.CLOSURE_RECORD}


def classify_key(key: str) -> RecordClass:
    if "/exports/" in key:
        return RecordClass.EXPORT_PACKAGES
    if "/transactions/" in key:
        return RecordClass.TRANSACTIONS
    if key.endswith("/closure-request.json"):
        return RecordClass.CLOSURE_RECORD
    if "/results/" in key:
        return _RESULT_CLASSES.get(key.rsplit("/", 1)[-1], RecordClass.CDD_IDENTITY)
    return RecordClass.CDD_IDENTITY  # the application and the document images


def tagging(key: str) -> str:
    """The S3 Tagging value every object is written with."""
    return f"record_class={classify_key(key).value}"
