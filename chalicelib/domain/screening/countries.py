"""Country names as lists spell them ("Iran", "Korea, North", "Palestinian", "us") to ISO 3166-1
alpha-3 codes, so a listed nationality can be compared with an applicant's validated one.

iso3166 knows official names and codes; the table below adds the short names, inverted forms
and demonyms seen in the OFAC, UN, EU and UK lists. Unknown spellings map to None (no opinion).
"""
from __future__ import annotations

import re
from functools import cache

import iso3166

_EXTRA = {
    "bolivia": "BOL", "burma": "MMR", "myanmar": "MMR", "cape verde": "CPV", "czech republic": "CZE",
    "democratic people's republic of korea": "PRK", "dprk": "PRK", "korea, north": "PRK",
    "north korea": "PRK", "korea, south": "KOR", "south korea": "KOR", "republic of korea": "KOR",
    "democratic republic of the congo": "COD", "congo, democratic republic of the": "COD",
    "drc": "COD", "republic of the congo": "COG", "congo": "COG", "gambia": "GMB",
    "iran": "IRN", "laos": "LAO", "macedonia": "MKD",
    "macedonia, the former yugoslav republic of": "MKD", "moldova": "MDA", "palestine": "PSE",
    "state of palestine": "PSE", "palestinian": "PSE", "west bank": "PSE", "gaza": "PSE",
    "russia": "RUS", "russian federation": "RUS", "syria": "SYR", "taiwan": "TWN",
    "tanzania": "TZA", "united republic of tanzania": "TZA", "turkey": "TUR", "turkiye": "TUR",
    "united kingdom": "GBR", "uk": "GBR", "great britain": "GBR", "britain": "GBR",
    "united states": "USA", "usa": "USA", "u.s.": "USA", "venezuela": "VEN", "vietnam": "VNM",
    "viet nam": "VNM", "ivory coast": "CIV", "cote d'ivoire": "CIV", "brunei": "BRN",
    "kosovo": "XKX", "micronesia": "FSM", "vatican": "VAT", "holy see": "VAT",
    "afghan": "AFG", "algerian": "DZA", "belarusian": "BLR", "british": "GBR", "chinese": "CHN",
    "cuban": "CUB", "egyptian": "EGY", "eritrean": "ERI", "french": "FRA", "german": "DEU",
    "indian": "IND", "indonesian": "IDN", "iranian": "IRN", "iraqi": "IRQ", "jordanian": "JOR",
    "kuwaiti": "KWT", "lebanese": "LBN", "libyan": "LBY", "moroccan": "MAR", "nigerian": "NGA",
    "north korean": "PRK", "pakistani": "PAK", "russian": "RUS", "saudi": "SAU",
    "saudi arabian": "SAU", "somali": "SOM", "sudanese": "SDN", "syrian": "SYR",
    "tunisian": "TUN", "turkish": "TUR", "ukrainian": "UKR", "venezuelan": "VEN",
    "yemeni": "YEM", "american": "USA",
}
_PARENTHESES = re.compile(r"\s*\(.*?\)\s*")


@cache
def iso3(name: str) -> str | None:
    """ISO 3166-1 alpha-3 code of a country name, code or demonym; None if unknown."""
    key = " ".join(name.replace("’", "'").split()).casefold().removeprefix("the ")
    if not key:
        return None
    if key in _EXTRA:
        return _EXTRA[key]
    country = iso3166.countries.get(key, None)
    if country is None and "(" in key:
        return iso3(_PARENTHESES.sub(" ", key))  # "Iran (Islamic Republic of)"
    return country.alpha3 if country is not None else None
