"""Cold start: `import app` (what every Lambda function of the app does first) against the import
of the frameworks alone (chalice, boto3, pydantic, aws_lambda_powertools), each in a fresh process,
interleaved so that a noisy machine slows both alike; median of N runs (default 5).

`import app` twice: as the API handler imports it ($_HANDLER `app.app`, as off Lambda: every
route, its models and views) and as a workflow task's function does ($_HANDLER `app.screen`: the
tasks and schedules only, app.serves_api).

Each with shipped bytecode (every module's .pyc compiled beforehand, in a cache of the bench's own,
PYTHONPYCACHEPREFIX) and without any (an empty cache, nothing written: what a Lambda with a
read-only filesystem and no shipped .pyc compiles on every cold start). Whatever the caller's
PYTHONDONTWRITEBYTECODE, the first mode has the bytecode. Prints each median and the ratio
app / frameworks; the target is <= 1.5x. Usage: bench/cold_start.py [N]
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
FUNCTIONS = {"API handler": "app.app", "a task (screen)": "app.screen"}
TIMED = "import time; t = time.perf_counter(); {statement}; print(time.perf_counter() - t)"


def seconds(statement: str, env: dict[str, str]) -> float:
    out = subprocess.run([sys.executable, "-c", TIMED.format(statement=statement)], cwd=ROOT, env=env,
                         capture_output=True, text=True, check=True)
    return float(out.stdout.strip().splitlines()[-1])


def measure(runs: int, env: dict[str, str]) -> tuple[float, dict[str, float]]:
    frameworks: list[float] = []
    app: dict[str, list[float]] = {function: [] for function in FUNCTIONS}
    for _ in range(runs):
        frameworks.append(seconds(FRAMEWORKS, env))
        for function, handler in FUNCTIONS.items():
            app[function].append(seconds(APP, {**env, "_HANDLER": handler}))
    return statistics.median(frameworks), {function: statistics.median(times) for function, times in app.items()}


def main() -> None:
    runs = int(sys.argv[1]) if len(sys.argv) > 1 else 5
    base = {k: v for k, v in os.environ.items() if k not in ("PYTHONDONTWRITEBYTECODE", "_HANDLER")}
    base["POWERTOOLS_LOG_LEVEL"] = "WARNING"
    with tempfile.TemporaryDirectory() as shipped, tempfile.TemporaryDirectory() as empty:
        with_bytecode = {**base, "PYTHONPYCACHEPREFIX": shipped}
        seconds(APP, with_bytecode)  # compiles every module `import app` loads, as a package would ship them
        modes = {"with bytecode": with_bytecode,
                 "without bytecode": {**base, "PYTHONPYCACHEPREFIX": empty, "PYTHONDONTWRITEBYTECODE": "1"}}
        print(f"median of {runs} fresh processes each, interleaved; `import app` as each function imports it")
        print(f"{'':18} {'frameworks':>11}" + "".join(f" {function:>17} {'ratio':>6}" for function in FUNCTIONS))
        for mode, env in modes.items():
            frameworks, app = measure(runs, env)
            print(f"{mode:18} {frameworks * 1000:8.0f} ms" + "".join(
                f" {app[function] * 1000:14.0f} ms {app[function] / frameworks:5.2f}x" for function in FUNCTIONS))


if __name__ == "__main__":
    main()
