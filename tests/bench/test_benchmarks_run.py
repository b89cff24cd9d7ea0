"""The benchmark scripts keep working (tiny sizes; the figures come from full runs, see README)."""
from __future__ import annotations

import subprocess
import sys

import pytest

from tests.conftest import ROOT


@pytest.mark.parametrize("script, args, expected", [
    ("bench/onboarding_latency.py", ["--count", "3", "--concurrency", "2"], "latency POST -> final status"),
    ("bench/retention_sweep.py", ["200"], "records evaluated"),
    ("bench/load.py", ["--customers", "3", "--concurrency", "2"], "nothing lost: "),
    ("bench/screening_eval.py", ["--persons", "20", "--organisations", "5", "--per-locale", "4", "--particles", "10"],
     "glued_particle"),
    ("bench/screening_speed.py", ["--queries", "40", "--exhaustive", "4", "--batch", "20"], "batch of 20 names"),
    ("bench/screening_scale.py", ["--sizes", "1500,3000", "--persons", "10", "--organisations", "3",
                                  "--non-listed", "30", "--loads", "1", "--profile", "--work", "/tmp/screening-scale-test"],
     "| target at 1M |"),
    ("bench/monitoring.py", ["--customers", "2000", "--entries", "20", "--planted", "3", "--rescreen", "100",
                             "--forward-sample", "200", "--shard", "50"], "customers/s per core"),
    ("bench/monitoring_workflow.py", ["--customers", "150", "--timeout", "240"], "customers/s through the workflow"),
    ("bench/cost.py", [], "per 1,000: $"),
    ("bench/watchlist_publish.py", ["--entries", "300"], "of API Gateway's 29 s"),
    ("bench/request_overhead.py", ["5"], "x the bare app"),
    ("bench/cold_start.py", ["1"], "without bytecode"),
])
def test_benchmark_runs_and_prints_its_figures(script, args, expected):
    result = subprocess.run([sys.executable, script, *args], cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr[-2000:]
    assert expected in result.stdout
