"""What a caller may see or act on, decided here and nowhere else.

- Compliance acts on every checkpoint, customer and export.
- A channel acts on the checkpoints it started and on the customers it on-boarded, with their
  closures, exports and documents; but an estate's disclosure (the export a deceased customer's
  closure makes for the personal representative) is compliance's to hand over, never the
  deceased customer's channel's.
- Auditors read the audit logs; they act on no subject's records.
- Risk data (the customer risk rating, the fraud checks and what they found) is compliance's
  alone: a channel's view of a checkpoint carries none (chalicelib/domain/visibility.py, applied by
  the checkpoint view); telling a channel which fraud pattern was noticed would tell the fraudster.

Anything else answers exactly as if it did not exist: `NotFound` for a checkpoint or an export
(404), `UnknownCustomer` for a customer named in a request (422), so no caller learns which ids
exist."""
from __future__ import annotations

from chalicelib.domain.actors import Caller, Role
from chalicelib.domain.checkpoint import Checkpoint, CheckpointKind
from chalicelib.domain.customer import CustomerRecord
from chalicelib.domain.export_record import ExportRecord, Recipient
from chalicelib.errors import NotFound, UnknownCustomer
from chalicelib.stores import AWS, Stores


def may_act_for(caller: Caller, owner: str) -> bool:
    """The rule: compliance on everything, a channel on what it owns, an auditor on nothing."""
    return caller.role is Role.COMPLIANCE or (caller.role is Role.CHANNEL and caller.subject == owner)


def customer(caller: Caller, customer_id: str, stores: Stores = AWS, *, field: str = "customer_id") -> CustomerRecord:
    """The customer, if the caller may act for them; otherwise UnknownCustomer naming `field`."""
    try:
        record = stores.customers.get(customer_id)
    except NotFound:
        raise UnknownCustomer(field) from None
    if not may_act_for(caller, record.owner):
        raise UnknownCustomer(field)
    return record


def checkpoint(caller: Caller, checkpoint_id: str, stores: Stores = AWS) -> Checkpoint:
    """The checkpoint, if the caller started it or may act for the customer it concerns. A
    monitoring alert is compliance's alone: its customer's channel is never told that the customer
    is being looked at (tipping-off), so for it the alert does not exist."""
    found = stores.checkpoints.get(checkpoint_id)
    if found.kind is CheckpointKind.MONITORING and caller.role is Role.CHANNEL:
        raise NotFound(checkpoint_id)
    if may_act_for(caller, found.owner):
        return found
    if found.customer_id and caller.role is Role.CHANNEL:
        try:
            if may_act_for(caller, stores.customers.get(found.customer_id).owner):
                return found
        except NotFound:
            pass
    raise NotFound(checkpoint_id)


def export(caller: Caller, export_id: str, stores: Stores = AWS) -> ExportRecord:
    """The export, if the caller may act for the customer it belongs to (an estate's disclosure:
    compliance only)."""
    record = stores.exports.get(export_id)
    if record.recipient is Recipient.REPRESENTATIVE and caller.role is not Role.COMPLIANCE:
        raise NotFound(export_id)
    try:
        customer(caller, record.customer_id, stores)
    except UnknownCustomer:
        raise NotFound(export_id) from None
    return record

