"""`make token ROLE=channel|compliance|auditor [SUBJECT=...]`: a bearer token for the local stage,
signed with this install's local key (.chalice/local-token.key, made on first use; refused on any
other stage), valid for the policy's maximum lifetime."""
from __future__ import annotations

import os
import sys

from chalicelib.api.auth import issue_local_token
from chalicelib.domain.actors import Role
from chalicelib.local.embedded import stage_environment


def main() -> None:
    role = os.environ.get("ROLE", "")
    if role not in {r.value for r in Role}:
        sys.exit(f"ROLE must be one of {', '.join(r.value for r in Role)}")
    os.environ.update(stage_environment())
    print(issue_local_token(Role(role), os.environ.get("SUBJECT") or f"local-{role}"))


if __name__ == "__main__":
    main()
