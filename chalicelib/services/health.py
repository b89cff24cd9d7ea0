"""What the service runs on: the list versions in force and the policy versions loaded."""
from __future__ import annotations

from typing import Any

from chalicelib.domain.checkpoint import iso, utc_now
from chalicelib.errors import NotFound
from chalicelib.policies import list_sources_policy, policy_versions
from chalicelib.stores import AWS, Stores


def report(stores: Stores = AWS) -> dict[str, Any]:
    in_force: dict[str, Any] = {}
    healthy = True
    for source, config in list_sources_policy().sources.items():
        try:
            manifest = stores.lists.current(source)
        except NotFound:
            in_force[source] = None
            healthy = healthy and config.optional  # the bank's own list may not be published yet
            continue
        in_force[source] = {"version": manifest.version, "snapshot": manifest.snapshot,
                            "published_at": manifest.published_at}
    return {"status": "ok" if healthy else "degraded", "checked_at": iso(utc_now()), "lists": in_force,
            "policies": policy_versions()}
