"""The identifiers the product issues: a prefix naming the kind of record and 32 hex digits.
Each pattern is written here once; request models, path parameters, task events and the
OpenAPI document take them from here."""
from __future__ import annotations

import re
import uuid
from typing import Annotated

from pydantic import StringConstraints

CHECKPOINT_ID = r"^cp_[0-9a-f]{32}$"
CUSTOMER_ID = r"^cus_[0-9a-f]{32}$"
EXPORT_ID = r"^exp_[0-9a-f]{32}$"
LEGAL_HOLD_ID = r"^lh_[0-9a-f]{32}$"
CLEARANCE_ID = r"^clr_[0-9a-f]{32}$"
WEBHOOK_ID = r"^wh_[0-9a-f]{32}$"
DELIVERY_ID = r"^dlv_[0-9a-f]{32}$"

CheckpointId = Annotated[str, StringConstraints(pattern=CHECKPOINT_ID)]
CustomerId = Annotated[str, StringConstraints(pattern=CUSTOMER_ID)]
ExportId = Annotated[str, StringConstraints(pattern=EXPORT_ID)]
LegalHoldId = Annotated[str, StringConstraints(pattern=LEGAL_HOLD_ID)]
ClearanceId = Annotated[str, StringConstraints(pattern=CLEARANCE_ID)]
WebhookId = Annotated[str, StringConstraints(pattern=WEBHOOK_ID)]
DeliveryId = Annotated[str, StringConstraints(pattern=DELIVERY_ID)]


def is_checkpoint_id(value: object) -> bool:
    return isinstance(value, str) and re.match(CHECKPOINT_ID, value) is not None


def new_id(prefix: str) -> str:
    return f"{prefix}_{uuid.uuid4().hex}"
