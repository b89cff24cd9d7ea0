"""Purpose-bound access to personal data, and the data access log.

Staff read a person's data in a case file (GET /v1/reviews/{id}), and a former customer's in their
closure's plan and their exports. Each such read names a purpose (X-Access-Purpose, the list in
policies/access.yaml) and a reference (X-Access-Reference); a case file of a current customer or
an applicant read without them carries the policy's default (case_review, the checkpoint's id).
Once a customer's relationship has ended only a purpose that opens former customers' data will
do: `PurposeRequired` (403 PURPOSE_REQUIRED) otherwise. The customer's own channel needs none (its
statements and its closure export, in a soft exit: services.exports keeps those to their dates).

Every read is an entry of the data access log, appended before the data is returned: who read,
when, the checkpoint (or export) and customer ids, the purpose and reference, and the names of the
fields read, never a value."""
from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum

from chalicelib.domain.actors import AccessPurpose, Caller, Role, StatedPurpose
from chalicelib.domain.audit_log import AuditEntry, LogName
from chalicelib.errors import NotFound, PurposeRequired
from chalicelib.policies import access_policy
from chalicelib.stores import AWS, Stores

CLOSED = "closed"


class DataAccess(StrEnum):
    """What was read (the data access log's event)."""

    CASE_FILE_READ = "case_file_read"
    CLOSURE_PLAN_READ = "closure_plan_read"
    EXPORT_REQUESTED = "export_requested"
    EXPORT_LINK_ISSUED = "export_link_issued"


@dataclass(frozen=True)
class Granted:
    purpose: AccessPurpose
    reference: str
    former_customers: tuple[str, ...]  # those of the customers read whose relationship has ended


def former_customers(customer_ids: Iterable[str], stores: Stores = AWS) -> tuple[str, ...]:
    """The customers among these whose relationship has ended (an id with no record is no customer)."""
    ended = []
    for customer_id in dict.fromkeys(customer_ids):
        try:
            if stores.customers.get(customer_id).status == CLOSED:
                ended.append(customer_id)
        except NotFound:
            continue
    return tuple(ended)


def needs_purpose(caller: Caller) -> bool:
    """Staff do; a channel reads only its own customers' data, as their agent."""
    return caller.role is not Role.CHANNEL


def grant(stated: StatedPurpose | None, former: tuple[str, ...], default_reference: str) -> Granted:
    """The purpose a read carries; PurposeRequired if a former customer's data is read without one
    that opens it."""
    policy = access_policy().purpose_bound
    opening = tuple(p.value for p in policy.opening_former_customers())
    if former and (stated is None or not policy.purposes[stated.purpose].former_customers):
        given = f" ({stated.purpose.value} does not open it)" if stated else ""
        raise PurposeRequired(f"The relationship with {', '.join(former)} has ended: reading their data needs a "
                              f"purpose and a reference in X-Access-Purpose and X-Access-Reference{given}.", opening)
    if stated is None:
        return Granted(purpose=policy.default, reference=default_reference, former_customers=former)
    return Granted(purpose=stated.purpose, reference=stated.reference, former_customers=former)


def record(caller: Caller, what: DataAccess, subject: str, granted: Granted, customer_ids: Iterable[str],
           fields: Iterable[str], stores: Stores = AWS, **ids: str) -> AuditEntry:
    """The read's entry in the data access log: ids, the purpose and the names of the fields read."""
    details = {"reader": caller.subject, "role": caller.role.value, "purpose": granted.purpose.value,
               "reference": granted.reference, "customer_ids": ",".join(dict.fromkeys(customer_ids)),
               "former_customers": ",".join(granted.former_customers), "fields": ",".join(sorted(set(fields))), **ids}
    return stores.audit.append(LogName.DATA_ACCESS, what.value, subject, details)
