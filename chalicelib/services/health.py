"""What the service runs on: the list versions in force and the policy versions loaded (a retired
list is not in force: GET /v1/lists shows it)."""
from __future__ import annotations

from typing import Any

from chalicelib.domain.checkpoint import iso, utc_now
from chalicelib.errors import NotFound
from chalicelib.policies import list_sources_policy, policy_versions
from chalicelib.stores import AWS, Stores


def report(stores: Stores = AWS) -> dict[str, Any]:
    in_force: dict[str, Any] = {}
    healthy = True
    for source, config in list_sources_policy().in_force().items():
        try:
            manifest = stores.lists.current(source)
        except NotFound:  # degraded if screening needs it; one not required yet is shown as null
            in_force[source] = None
            healthy = healthy and not config.required
            continue
        in_force[source] = {"version": manifest.version, "snapshot": manifest.snapshot,
                            "published_at": manifest.published_at}
    return {"status": "ok" if healthy else "degraded", "checked_at": iso(utc_now()), "lists": in_force,
            "policies": policy_versions()}
