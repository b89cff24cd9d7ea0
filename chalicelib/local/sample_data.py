"""Publish the sample lists shipped under `data/lists/` through the same path a refresh takes."""
from __future__ import annotations

import json
from typing import Any

from chalicelib.services import lists
from chalicelib.settings import PROJECT_ROOT

LISTS_DIR = PROJECT_ROOT / "data" / "lists"


def publish_sample_lists() -> list[dict[str, Any]]:
    reports = []
    for meta_path in sorted(LISTS_DIR.glob("*/source.json")):
        meta = json.loads(meta_path.read_text(encoding="utf-8"))
        files = {name: (meta_path.parent / name).read_bytes() for name in meta["files"]}
        reports.append(lists.publish(meta["source"], files, meta["snapshot"]))
    return reports
