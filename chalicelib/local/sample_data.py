"""Publish the sample lists shipped under `data/lists/` to the lists bucket."""
from __future__ import annotations

import json

from chalicelib.aws import lists
from chalicelib.domain.checkpoint import iso, utc_now
from chalicelib.settings import PROJECT_ROOT

LISTS_DIR = PROJECT_ROOT / "data" / "lists"


def publish_sample_lists() -> list[lists.ListManifest]:
    manifests = []
    for meta_path in sorted(LISTS_DIR.glob("*/source.json")):
        meta = json.loads(meta_path.read_text(encoding="utf-8"))
        files = {name: (meta_path.parent / name).read_bytes() for name in meta["files"]}
        manifests.append(lists.publish(meta["source"], meta["snapshot"], meta["format"], files, iso(utc_now())))
    return manifests
