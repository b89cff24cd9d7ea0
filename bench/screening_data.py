"""Shared by the screening benchmarks: the shipped sample lists, parsed and indexed."""
from __future__ import annotations

import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from chalicelib.domain.screening.engine import Screener  # noqa: E402
from chalicelib.domain.screening.entities import ListEntity  # noqa: E402
from chalicelib.domain.screening.formats import parse_list  # noqa: E402
from chalicelib.domain.screening.index import NameIndex  # noqa: E402
from chalicelib.domain.screening.policy import ScreeningPolicy  # noqa: E402
from chalicelib.policies import load_policy  # noqa: E402
from chalicelib.settings import POLICIES_DIR  # noqa: E402

LISTS_DIR = ROOT / "data" / "lists"
EVALUATED = ("ofac-sdn", "un-sc")  # the targets are set against these two lists


def load_entities(source: str) -> tuple[str, list[ListEntity]]:
    """(snapshot, entities) of a shipped list folder."""
    meta = json.loads((LISTS_DIR / source / "source.json").read_text(encoding="utf-8"))
    files = {name: (LISTS_DIR / source / name).read_bytes() for name in meta["files"]}
    return meta["snapshot"], parse_list(meta["format"], files, meta["source"])


def policy() -> ScreeningPolicy:
    return load_policy(POLICIES_DIR / "screening.yaml", ScreeningPolicy)


def screener(sources: tuple[str, ...] = EVALUATED) -> tuple[Screener, dict[str, list[ListEntity]]]:
    """A screener over the given shipped lists, and their entities by source."""
    entities, indexes = {}, []
    for source in sources:
        snapshot, entities[source] = load_entities(source)
        indexes.append(NameIndex.build(source, snapshot, entities[source]))
    return Screener(indexes, policy()), entities
