"""Records as the product stores them, for tests that need one without the journey that makes it."""
from __future__ import annotations

import uuid
from datetime import date

from chalicelib.domain.customer import CustomerRecord, partition_of
from chalicelib.policies import monitoring_policy
from chalicelib.domain.models import Address, Applicant, DocumentType, IdentityDocument, VerificationResult


def customer_record(customer_id: str, *, owner: str = "web-signup", status: str = "active", given: str = "Ingrid",
                    family: str = "Solberg", birth: date = date(1981, 3, 9)) -> CustomerRecord:
    """A customer as an earlier sign-up by `owner` created it (Norwegian, passport, no screening hit)."""
    signup = f"cp_{uuid.uuid4().hex}"
    return CustomerRecord(
        customer_id=customer_id, status=status, created_at="2024-02-01T09:00:00.000Z",
        onboarding_checkpoint_id=signup, owner=owner,
        profile=Applicant(given_names=given, family_name=family, birth_date=birth, nationality="NOR",
                          email=f"{uuid.uuid4().hex[:8]}@example.org", phone="+4791234567",
                          address=Address(line1="Kirkegata 1", city="Oslo", postal_code="0153", country="NOR")),
        document=IdentityDocument(type=DocumentType.PASSPORT, number="NO1234567", issuing_country="NOR",
                                  expiry_date=date(2031, 1, 1)),
        verification=VerificationResult(provider="test"), list_versions={},
        screening_result_key=f"checkpoints/{signup}/results/screening.json",  # (never written: migrated)
        policy_version="test", monitoring_partition=partition_of(customer_id, monitoring_policy().shards.partitions))
