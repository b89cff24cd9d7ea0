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
