"""The idempotency table (DynamoDB), as Powertools Idempotency's persistence layer."""
from __future__ import annotations

from functools import cache
from typing import TYPE_CHECKING

from chalicelib.settings import get_settings
from chalicelib.stores.clients import client

if TYPE_CHECKING:
    from aws_lambda_powertools.utilities.idempotency.persistence.base import BasePersistenceLayer


@cache
def _layer(table_name: str, dynamodb) -> BasePersistenceLayer:
    from aws_lambda_powertools.utilities.idempotency import DynamoDBPersistenceLayer

    return DynamoDBPersistenceLayer(table_name=table_name, boto3_client=dynamodb)


class IdempotencyTable:
    """Gives the Powertools persistence layer over the table named by the IDEMPOTENCY_TABLE setting
    (built on first use, so importing costs nothing and the setting is read when it is needed)."""

    def persistence(self) -> BasePersistenceLayer:
        # on the process's DynamoDB client (its retries and timeouts), not a session of Powertools' own
        return _layer(get_settings().idempotency_table, client("dynamodb"))
