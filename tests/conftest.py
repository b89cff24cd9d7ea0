import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
# Never reach a real AWS account from tests, whatever the machine's environment holds.
for var in ("AWS_PROFILE", "AWS_ENDPOINT_URL"):
    os.environ.pop(var, None)
os.environ["POWERTOOLS_LOG_LEVEL"] = "DEBUG"  # exercise every log line (the PII scan reads them)

from hypothesis import settings  # noqa: E402

# Property tests assert behaviour, not speed: no per-example deadline on a loaded CI machine.
settings.register_profile("checkpoint", deadline=None)
settings.load_profile("checkpoint")

from tests.embedded_fixtures import live_server, stack  # noqa: E402,F401  (session fixtures for every folder)


def pytest_sessionstart(session) -> None:
    if not hasattr(session.config, "workerinput"):  # the controller (or a run without xdist)
        from tests.embedded_fixtures import IAM_USAGE_DIR

        for old in IAM_USAGE_DIR.glob("*.json"):
            old.unlink()


def pytest_terminal_summary(terminalreporter, exitstatus, config) -> None:
    """Least privilege the other way: policy statements that no recorded call needed, over every
    worker's share of the suite (only meaningful when the whole suite ran)."""
    if hasattr(config, "workerinput"):
        return
    import json

    from tests import iam
    from tests.embedded_fixtures import IAM_USAGE_DIR

    reports = [json.loads(p.read_text()) for p in IAM_USAGE_DIR.glob("*.json")]
    if not reports:
        return
    used: dict[str, set[int]] = {}
    for report in reports:
        for file, indexes in report.items():
            used.setdefault(file, set()).update(indexes)
    unused = list(iam.unused_statements(used))
    terminalreporter.section("IAM statements no call needed")
    for line in unused or ["(none)"]:
        terminalreporter.write_line(line)
