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
    ("bench/list_publish_scale.py", ["--entities", "300"], "ended: published"),
    ("bench/request_overhead.py", ["5"], "x the bare app"),
    ("bench/cold_start.py", ["1"], "without bytecode"),
])
def test_benchmark_runs_and_prints_its_figures(script, args, expected):
    result = subprocess.run([sys.executable, script, *args], cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr[-2000:]
    assert expected in result.stdout


def test_the_profile_breakdown_counts_each_sample_for_the_innermost_known_layer(tmp_path):
    samples = tmp_path / "samples.txt"
    samples.write_text(
        "run (threading.py:1);_dispatch (chalicelib/local/lambda_dispatch.py:9);assess_checkpoint "
        "(chalicelib/services/fraud.py:50);_make_api_call (botocore/client.py:10);_parse (json/decoder.py:3) 3\n"
        "run (threading.py:1);_evaluate (moto/stepfunctions/parser/x.py:5);parse (jsonpath_ng/parser.py:7) 1\n")
    result = subprocess.run([sys.executable, "bench/profile_breakdown.py", str(samples), "--signups", "2"], cwd=ROOT,
                            capture_output=True, text=True, timeout=60, check=True)
    assert "4 samples = 0.2 s   100 ms/sign-up" in result.stdout
    assert " 75.0%    75 ms/sign-up  botocore/boto3" in result.stdout
    assert " 25.0%    25 ms/sign-up  moto Step Functions interpreter" in result.stdout
    assert " 75.0%    75 ms/sign-up  the workflow's tasks" in result.stdout
