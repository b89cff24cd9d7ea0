"""What `import app` loads, which every Lambda function of the app does on a cold start: not the
export packager (stream-zip, pycryptodome), not the OpenAPI machinery, not the list parsers, not
Powertools' idempotency or data masking, no service and no store (each loads on first use), and
no AWS call.
A list of modules, not a timing (bench/cold_start.py measures)."""
from __future__ import annotations

import json
import subprocess
import sys

from tests.conftest import ROOT

PROBE = """
import json, sys
import botocore.client
calls = []
botocore.client.BaseClient._make_api_call = lambda self, name, params: calls.append(name)
import app
print(json.dumps({"modules": sorted(sys.modules), "aws_calls": calls}))
"""
NOT_AT_IMPORT = ("stream_zip", "Crypto", "chalicelib.api.openapi", "chalicelib.domain.screening.ofac",
                 "chalicelib.domain.screening.un", "chalicelib.domain.screening.eu", "chalicelib.domain.screening.uk",
                 "chalicelib.domain.screening.senzing", "chalicelib.domain.screening.formats",
                 "chalicelib.domain.screening.uk_fcdo", "chalicelib.domain.screening.ofac_advanced",
                 "chalicelib.domain.screening.ftm",
                 "aws_lambda_powertools.utilities.idempotency", "aws_lambda_powertools.utilities.data_masking",
                 "jsonpath_ng", "chalicelib.services", "chalicelib.stores", "chalicelib.tasks.steps",
                 "chalicelib.domain.export_package", "PIL", "imagehash", "phonenumbers", "email_validator",
                 "disposable_email_domains")


def test_import_app_loads_only_what_every_function_needs():
    out = subprocess.run([sys.executable, "-c", PROBE], cwd=ROOT, capture_output=True, text=True, check=True)
    loaded = json.loads(out.stdout.strip().splitlines()[-1])
    modules = set(loaded["modules"])
    assert not {m for m in modules if m.split(".")[0] in NOT_AT_IMPORT or m in NOT_AT_IMPORT
                or any(m.startswith(f"{n}.") for n in NOT_AT_IMPORT)}
    assert loaded["aws_calls"] == []  # nothing at import time reads S3 or DynamoDB
    assert "chalicelib.api.models" in modules  # the declarations themselves are there (the probe sees)
