"""Cold start: `import app` (what every Lambda function of the app does first) against the import
of the frameworks alone (chalice, boto3, pydantic, aws_lambda_powertools), each in a fresh process,
interleaved so that a noisy machine slows both alike; median of N runs (default 5).

Twice: with the bytecode caches as they are (a package shipped with .pyc files), and without
any (PYTHONPYCACHEPREFIX pointing at an empty folder, nothing written: what a Lambda with a
read-only filesystem and no shipped .pyc compiles on every cold start). Prints each median and
the ratio app / frameworks; the target is <= 1.5x. Usage: bench/cold_start.py [N]
"""
from __future__ import annotations

import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
FRAMEWORKS = "import chalice, boto3, pydantic, aws_lambda_powertools"
APP = "import app"
TIMED = "import time; t = time.perf_counter(); {statement}; print(time.perf_counter() - t)"


def seconds(statement: str, env: dict[str, str]) -> float:
    out = subprocess.run([sys.executable, "-c", TIMED.format(statement=statement)], cwd=ROOT, env=env,
                         capture_output=True, text=True, check=True)
    return float(out.stdout.strip().splitlines()[-1])


def measure(runs: int, env: dict[str, str]) -> tuple[float, float]:
    frameworks, app = [], []
    for _ in range(runs):
        frameworks.append(seconds(FRAMEWORKS, env))
        app.append(seconds(APP, env))
    return statistics.median(frameworks), statistics.median(app)


def main() -> None:
    runs = int(sys.argv[1]) if len(sys.argv) > 1 else 5
    base = {**os.environ, "POWERTOOLS_LOG_LEVEL": "WARNING"}
    seconds(APP, base)  # the caches as a package would ship them
    with tempfile.TemporaryDirectory() as empty:
        modes = {"with bytecode": base,
                 "without bytecode": {**base, "PYTHONPYCACHEPREFIX": empty, "PYTHONDONTWRITEBYTECODE": "1"}}
        print(f"median of {runs} fresh processes each, interleaved")
        print(f"{'':18} {'frameworks':>11} {'import app':>11} {'ratio':>7}")
        for mode, env in modes.items():
            frameworks, app = measure(runs, env)
            print(f"{mode:18} {frameworks * 1000:9.0f} ms {app * 1000:9.0f} ms {app / frameworks:6.2f}x")


if __name__ == "__main__":
    main()
