"""What the HTTP benchmarks share: the local stack as `make run` serves it, and percentiles."""
from __future__ import annotations

import logging
import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("POWERTOOLS_LOG_LEVEL", "WARNING")

from app import app  # noqa: E402
from chalicelib.stores import clients  # noqa: E402
from chalicelib.local.embedded import embedded_stack  # noqa: E402
from chalicelib.local.provisioning import Stack  # noqa: E402
from chalicelib.local.sample_data import publish_sample_lists  # noqa: E402
from chalicelib.local.serve import serving_in_background  # noqa: E402


@contextmanager
def local_api() -> Iterator[tuple[str, Stack]]:
    """(base URL, stack): the embedded AWS with the sample lists and the API on a loopback port."""
    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    with embedded_stack(app, server=True) as stack:
        clients.reset()
        publish_sample_lists()
        with serving_in_background() as base_url:
            yield base_url, stack


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]
