"""Build a consistent TD3 MRZ for a test applicant (check digits computed, never hard-coded)."""
from __future__ import annotations

from datetime import date

from chalicelib.domain.identity.mrz import check_digit


def _field(value: str, width: int) -> str:
    return (value + "<" * width)[:width]


def td3(surname: str, given: str, number: str, nationality: str, birth: date, sex: str, expiry: date,
        issuing: str | None = None) -> list[str]:
    issuing = issuing or nationality
    name = _field(f"{surname.replace(' ', '<')}<<{given.replace(' ', '<')}", 39)
    line1 = f"P<{_field(issuing, 3)}{name}"
    doc = _field(number, 9)
    dob, exp = birth.strftime("%y%m%d"), expiry.strftime("%y%m%d")
    personal = "<" * 14
    body = f"{doc}{check_digit(doc)}{_field(nationality, 3)}{dob}{check_digit(dob)}{sex}{exp}{check_digit(exp)}"
    body += f"{personal}{check_digit(personal)}"
    composite = body[0:10] + body[13:20] + body[21:43]
    return [line1, body + str(check_digit(composite))]
