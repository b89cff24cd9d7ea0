"""The identity-graph key (KMS, an HMAC_256 key whose material never leaves KMS): the secret the
product's keyed hashes are made with (chalicelib/domain/identity_graph.py).

The hashing key is derived once per process as GenerateMac(<label>) under the KMS key: one KMS call
per cold start rather than one per value, and the same key in every function, so hashes made at
the API (a device id) and in the fraud task (the document) meet in the graph. Whoever may call
kms:GenerateMac on the key can derive it: only the functions that hash have that permission."""
from __future__ import annotations

from functools import cache
from typing import Protocol

from chalicelib.settings import get_settings
from chalicelib.stores.clients import client

_LABEL = b"checkpoint/identity-graph/v1"


class HashKeyStore(Protocol):
    def key(self) -> bytes: ...


@cache
def _derived(key_id: str) -> bytes:
    return client("kms").generate_mac(KeyId=key_id, MacAlgorithm="HMAC_SHA_256", Message=_LABEL)["Mac"]


class KmsHashKey:
    """`HashKeyStore` on the KMS key named by the IDENTITY_HASH_KEY_ID setting."""

    def key(self) -> bytes:
        return _derived(get_settings().identity_hash_key_id)
