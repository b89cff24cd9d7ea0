import pytest

from chalicelib.domain.screening.formats import PARSERS, parse_list


def test_registered_formats() -> None:
    assert set(PARSERS) == {
        "ofac-legacy-csv", "ofac-consolidated-csv", "ofac-advanced-xml", "un-consolidated-xml", "eu-fsf-xml",
        "uk-fcdo-xml", "uk-fcdo-csv", "uk-ofsi-csv", "senzing-json", "ftm-json", "internal-watchlist-json",
    }


def test_single_file_formats_pick_their_file() -> None:
    files = {"list.json": b'{"RECORD_ID": "1", "RECORD_TYPE": "PERSON", "NAMES": [{"NAME_FULL": "A B"}]}'}
    (entity,) = parse_list("senzing-json", files, "pep-test")
    assert (entity.source, entity.primary_name) == ("pep-test", "A B")
    with pytest.raises(ValueError, match="expected one .xml file"):
        parse_list("un-consolidated-xml", {"a.xml": b"", "b.xml": b""}, "un-sc")


def test_unknown_format() -> None:
    with pytest.raises(ValueError, match="unknown list format"):
        parse_list("nope", {}, "x")
