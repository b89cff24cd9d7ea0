"""Personal data never reaches a log line: when a log must show a request or a customer record
(to debug a failure), it shows it through `masked`, which erases every personal field with
Powertools data masking and keeps the identifiers and codes that make the line useful."""
from __future__ import annotations

import copy
import warnings
from functools import cache
from typing import Any

# Every field of the API's requests and the customer record that holds personal data.
PERSONAL_FIELDS = (
    "$..given_names", "$..family_name", "$..birth_date", "$..email", "$..phone", "$..line1", "$..postal_code",
    "$..city", "$..number", "$..mrz", "$..name", "$..iban", "$..counterparty", "$..reference", "$..reason_detail",
)


@cache
def _masking() -> Any:  # Powertools' data masking (and jsonpath-ng) load with the first masked line
    from aws_lambda_powertools.utilities.data_masking import DataMasking

    return DataMasking(raise_on_missing_field=False)


def masked(data: Any) -> Any:
    """A copy of `data` (JSON-like) with every personal field erased; other values kept."""
    if not isinstance(data, (dict, list)):
        return "*****" if data not in (None, "") else data
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # a field this payload lacks is not news
        return _masking().erase(copy.deepcopy(data), fields=list(PERSONAL_FIELDS))
