"""Parser for OFAC's advanced XML (SDN_ADVANCED.XML, CONS_ADVANCED.XML: the "advanced sanctions
data standard"), read as OFAC's notes on it and OpenSanctions' `us_ofac_sdn` crawler describe it.

The file is cross-referenced by ids: `ReferenceValueSets` holds the value tables (`AliasType`,
`PartySubType`/`PartyType`, `NamePartType`, `Script`, `FeatureType`, `IDRegDocType`, `Country`,
`SanctionsType`, `List`, ...); `Locations/Location` the places (`LocationCountry@CountryID`);
`IDRegDocuments/IDRegDocument@IdentityID` the documents; `SanctionsEntries/SanctionsEntry@ProfileID`
the designations. One `DistinctParty@FixedRef` (the source id, the legacy CSV's ent_num) has one
`Profile@PartySubTypeID` with one `Identity`:
- `NamePartGroups/MasterNamePartGroup/NamePartGroup@{ID, NamePartTypeID}` types each name part
  (Last Name, First Name, Middle Name, Patronymic, Entity Name, Vessel Name, ...);
- `Alias@{AliasTypeID, Primary, LowQuality}`, each with one `DocumentedName` per script made of
  `DocumentedNamePart/NamePartValue@{NamePartGroupID, ScriptID}`. The primary alias's Latin name
  is the primary name; its names in other scripts and every other alias (A.K.A., F.K.A., N.K.A.)
  are strong aliases, except `LowQuality="true"` ones (OFAC's weak a.k.a.), which are weak.
  Latin and Cyrillic/Arabic names are written given names first ("Nicolas MADURO MOROS"), as
  the other parsers keep persons; Chinese, Japanese and Korean names keep the list's order.
- `Feature@FeatureTypeID` with `FeatureVersion`: Birthdate as a `DatePeriod` (`Start`/`End`,
  each `From`/`To` Year/Month/Day, `Approximate`): one day is exact, a whole month or year that
  month or year, a span of years a range, Approximate circa; Place of Birth (`VersionDetail`);
  Nationality Country and Citizenship Country (`VersionLocation` → its country); Location (an
  address, its country); Title (a position).
- `SanctionsEntry/SanctionsMeasure` of type Program: its `Comment` is the programme ("SDGT",
  "IRAN-EO13902"); the earliest `EntryEvent/Date` is the listing date.
Element names are matched without their namespace (older and current exports differ in it).
Streamed with iterparse (see parse_ofac_advanced). Tested on a
fabricated specimen file (tests/unit/data/lists/), no real list version shipped.
"""
from __future__ import annotations

import calendar
import io
import xml.etree.ElementTree as ET
from collections import defaultdict
from dataclasses import dataclass
from datetime import date

from chalicelib.domain.screening.entities import (
    Alias,
    AliasStrength,
    BirthDate,
    EntityType,
    Identifier,
    ListEntity,
)

SOURCE = "ofac-sdn"

_TYPES = {"individual": EntityType.PERSON, "entity": EntityType.ORGANISATION,
          "vessel": EntityType.VESSEL, "aircraft": EntityType.AIRCRAFT}
# Name part types in the order a name is written (given names first); unknown types follow.
_PART_ORDER = {t: i for i, t in enumerate((
    "nickname", "first name", "middle name", "patronymic", "matronymic", "last name", "maiden name",
    "entity name", "vessel name", "aircraft name"))}
_EAST_ASIAN_SCRIPTS = frozenset({"hani", "hans", "hant", "hang", "kore", "jpan", "hira", "kana"})
_LATIN = "latn"
_DOCUMENT_KINDS = {
    "passport": "passport",
    "diplomatic passport": "diplomatic_passport",
    "national id no.": "national_id",
    "cedula no.": "cedula",
    "d.n.i.": "dni",
    "personal id card": "personal_id_card",
    "identification number": "identification_number",
    "registration number": "registration_number",
    "tax id no.": "tax_id",
    "vessel registration identification": "imo",
    "aircraft serial identification": "aircraft_serial",
    "residency number": "residency_number",
    "c.u.r.p.": "curp",
    "ssn": "ssn",
}
_BIRTH_DATE, _PLACE_OF_BIRTH, _TITLE, _LOCATION = "birthdate", "place of birth", "title", "location"
_NATIONALITY = frozenset({"nationality country", "citizenship country"})


class _References:
    """The ReferenceValueSets tables: table name → value id → (text, attributes)."""

    def __init__(self, refs: ET.Element | None) -> None:
        self.tables: dict[str, dict[str, tuple[str, dict[str, str]]]] = defaultdict(dict)
        for table in refs if refs is not None else ():
            for value in table:
                if (value_id := value.get("ID")) is not None:
                    self.tables[value.tag][value_id] = (" ".join((value.text or "").split()), dict(value.attrib))

    def text(self, table: str, value_id: str | None) -> str:
        return self.tables[table].get(value_id or "", ("", {}))[0]

    def attribute(self, table: str, value_id: str | None, name: str) -> str:
        return self.tables[table].get(value_id or "", ("", {}))[1].get(name, "")


@dataclass(slots=True)
class _Party:
    """What a DistinctParty gives, before the documents and sanctions entries that refer to it."""

    fixed_ref: str
    profile_id: str
    type: EntityType
    primary: str
    names: dict[str, AliasStrength]
    identity_ids: list[str]
    birth_dates: list[BirthDate]
    nationalities: list[str]
    address_countries: list[str]
    places_of_birth: list[str]
    positions: list[str]
    remarks: str


def parse_ofac_advanced(xml: bytes | str, source: str = SOURCE) -> list[ListEntity]:
    """Every distinct party with a fixed ref and a name, in file order. ET.ParseError if the
    file is not well-formed XML, ValueError if it is XML but not an advanced sanctions file.

    Streamed (`iterparse`): each location, document, party and sanctions entry is read into what
    the entities need and its element cleared, so the 120 MB SDN file is never a whole tree."""
    stream = io.BytesIO(xml if isinstance(xml, bytes) else xml.encode("utf-8"))
    refs: _References | None = None
    locations: dict[str, list[str]] = {}  # location id → its countries
    documents: dict[str, list[Identifier]] = defaultdict(list)  # identity id → documents
    programmes: dict[str, list[str]] = defaultdict(list)  # profile id → programmes
    entry_dates: dict[str, list[date]] = defaultdict(list)  # profile id → entry event dates
    parties: list[_Party] = []
    sections: set[str] = set()
    root: ET.Element | None = None
    for event, element in ET.iterparse(stream, events=("start", "end")):
        if event == "start":
            if root is None:
                root = element
                if _local(root.tag) != "Sanctions":
                    raise ValueError(f"not an OFAC advanced sanctions file: the root element is <{_local(root.tag)}>")
            continue
        tag = element.tag = _local(element.tag)  # children end first: a parent's subtree is local already
        if tag == "ReferenceValueSets":
            refs = _References(element)
        elif tag in ("Location", "IDRegDocument", "DistinctParty", "SanctionsEntry"):
            if refs is None:
                raise ValueError(f"not an OFAC advanced sanctions file: <{tag}> before <ReferenceValueSets>")
            if tag == "Location":
                locations[element.get("ID", "")] = _location_countries(element, refs)
            elif tag == "IDRegDocument":
                if (identifier := _identifier(element, refs)) is not None:
                    documents[element.get("IdentityID", "")].append(identifier)
            elif tag == "DistinctParty":
                if (party := _party(element, refs)) is not None:
                    parties.append(party)
            else:
                profile_id = element.get("ProfileID", "")
                programmes[profile_id] += [p for m in element.iterfind("SanctionsMeasure")
                                           if refs.text("SanctionsType", m.get("SanctionsTypeID")).casefold() == "program"
                                           and (p := " ".join((m.findtext("Comment") or "").split()))]
                entry_dates[profile_id] += [d for ev in element.iterfind("EntryEvent") if (d := _date(ev.find("Date")))]
        elif tag in ("Locations", "IDRegDocuments", "DistinctParties", "ProfileRelationships", "SanctionsEntries"):
            sections.add(tag)
        else:
            continue
        element.clear()
    if "DistinctParties" not in sections:
        raise ValueError("not an OFAC advanced sanctions file: no <DistinctParties>")
    return [_entity(p, locations, documents, programmes, entry_dates, source) for p in parties]


def _entity(p: _Party, locations: dict[str, list[str]], documents: dict[str, list[Identifier]],
            programmes: dict[str, list[str]], entry_dates: dict[str, list[date]], source: str) -> ListEntity:
    dates = sorted(entry_dates.get(p.profile_id, []))
    return ListEntity(
        source=source,
        source_id=p.fixed_ref,
        type=p.type,
        primary_name=p.primary,
        aliases=tuple(Alias(name=n, strength=s) for n, s in p.names.items() if n != p.primary),
        birth_dates=tuple(dict.fromkeys(p.birth_dates)),
        nationalities=tuple(dict.fromkeys(c for loc in p.nationalities for c in locations.get(loc, []))),
        identifiers=tuple(dict.fromkeys(i for identity in p.identity_ids for i in documents.get(identity, []))),
        programmes=tuple(dict.fromkeys(programmes.get(p.profile_id, []))),
        address_countries=tuple(dict.fromkeys(c for loc in p.address_countries for c in locations.get(loc, []))),
        places_of_birth=tuple(dict.fromkeys(p.places_of_birth)),
        remarks=p.remarks,
        listed_on=dates[0] if dates else None,
        positions=tuple(dict.fromkeys(p.positions)),
    )


def _party(party: ET.Element, refs: _References) -> _Party | None:
    profile = party.find("Profile")
    fixed_ref = party.get("FixedRef")
    if profile is None or not fixed_ref:
        return None
    primary, names = "", {}
    identity_ids = []
    for identity in profile.iterfind("Identity"):
        identity_ids.append(identity.get("ID", ""))
        part_types = {g.get("ID"): refs.text("NamePartType", g.get("NamePartTypeID")).casefold()
                      for g in identity.iterfind("NamePartGroups/MasterNamePartGroup/NamePartGroup")}
        for alias in identity.iterfind("Alias"):
            weak = alias.get("LowQuality", "").casefold() == "true"
            is_primary = alias.get("Primary", "").casefold() == "true"
            for documented in alias.iterfind("DocumentedName"):
                name, latin = _documented_name(documented, part_types, refs)
                if not name:
                    continue
                if is_primary and latin and not primary:
                    primary = name
                strength = AliasStrength.WEAK if weak and not is_primary else AliasStrength.STRONG
                if names.get(name) is not AliasStrength.STRONG:
                    names[name] = strength
    if not primary:
        primary = next((n for n, s in names.items() if s is AliasStrength.STRONG), "")
    if not primary:
        return None
    features: dict[str, list[ET.Element]] = defaultdict(list)
    for feature in profile.iterfind("Feature"):
        features[refs.text("FeatureType", feature.get("FeatureTypeID")).casefold()].append(feature)
    return _Party(
        fixed_ref=fixed_ref,
        profile_id=profile.get("ID", ""),
        type=_type(profile.get("PartySubTypeID"), refs),
        primary=primary,
        names=names,
        identity_ids=identity_ids,
        birth_dates=[b for f in features[_BIRTH_DATE] for p in f.iterfind("FeatureVersion/DatePeriod")
                     if (b := _birth_date(p))],
        nationalities=[loc for label in sorted(_NATIONALITY) for f in features[label] for loc in _location_ids(f)],
        address_countries=[loc for f in features[_LOCATION] for loc in _location_ids(f)],
        places_of_birth=_details(features[_PLACE_OF_BIRTH], refs),
        positions=_details(features[_TITLE], refs),
        remarks=" ".join((party.findtext("Comment") or "").split()),
    )


def _type(sub_type_id: str | None, refs: _References) -> EntityType:
    text = refs.text("PartySubType", sub_type_id)
    if text.casefold() in ("", "unknown"):
        text = refs.text("PartyType", refs.attribute("PartySubType", sub_type_id, "PartyTypeID"))
    return _TYPES.get(text.casefold(), EntityType.ORGANISATION)


def _documented_name(documented: ET.Element, part_types: dict[str | None, str],
                     refs: _References) -> tuple[str, bool]:
    """The name in writing order, and whether it is in the Latin script."""
    parts = []
    scripts = set()
    for position, value in enumerate(documented.iterfind("DocumentedNamePart/NamePartValue")):
        if text := " ".join((value.text or "").split()):
            script_id = value.get("ScriptID")
            scripts.add(refs.attribute("Script", script_id, "ScriptCode").casefold() or
                        (_LATIN if script_id in (None, "215") else script_id))
            part_type = part_types.get(value.get("NamePartGroupID"), "")
            parts.append((_PART_ORDER.get(part_type, len(_PART_ORDER)), position, text))
    if scripts and scripts <= _EAST_ASIAN_SCRIPTS:  # "王小明": the list's order, no spaces
        return "".join(text for _, _, text in parts), False
    return " ".join(text for _, _, text in sorted(parts)), scripts <= {_LATIN}


def _birth_date(period: ET.Element) -> BirthDate | None:
    """A DatePeriod at the precision it spans (see the module docstring)."""
    start, end = period.find("Start"), period.find("End")
    low = _bound(start, "From", first=True) or _bound(start, "To", first=True)
    high = _bound(end, "To", first=False) or _bound(end, "From", first=False) or \
        _bound(start, "To", first=False) or _bound(start, "From", first=False)
    if low is None or high is None or low > high:
        return None
    circa = any(e is not None and e.get("Approximate", "").casefold() == "true" for e in (start, end))
    if low == high:
        return BirthDate(exact=low, circa=circa)
    if low.year != high.year:
        return BirthDate(year_from=low.year, year_to=high.year, circa=circa)
    whole_month = low.month == high.month and low.day == 1 and high.day == calendar.monthrange(high.year, high.month)[1]
    return BirthDate(year=low.year, month=low.month if whole_month else None, circa=circa)


def _bound(edge: ET.Element | None, tag: str, first: bool) -> date | None:
    """Start/From etc. as a day: a missing month or day is the first (or last) one."""
    e = edge.find(tag) if edge is not None else None
    if e is None or not (year := _int(e.findtext("Year"))) or not 1800 <= year <= 2100:
        return None
    month = _int(e.findtext("Month"))
    month = month if month and 1 <= month <= 12 else (1 if first else 12)
    last = calendar.monthrange(year, month)[1]
    day = _int(e.findtext("Day"))
    return date(year, month, min(day, last) if day else (1 if first else last))


def _date(e: ET.Element | None) -> date | None:
    if e is None:
        return None
    try:
        return date(_int(e.findtext("Year")) or 0, _int(e.findtext("Month")) or 0, _int(e.findtext("Day")) or 0)
    except ValueError:
        return None


def _location_ids(feature: ET.Element) -> list[str]:
    return [loc for v in feature.iterfind("FeatureVersion/VersionLocation") if (loc := v.get("LocationID"))]


def _location_countries(location: ET.Element, refs: _References) -> list[str]:
    """A Location's countries by name ("undetermined" is no country)."""
    return [name for country in location.iterfind("LocationCountry")
            if (name := refs.text("Country", country.get("CountryID"))) and name.casefold() != "undetermined"]


def _details(features: list[ET.Element], refs: _References) -> list[str]:
    """The VersionDetail texts (or the reference value they point to) of features."""
    values = []
    for feature in features:
        for detail in feature.iterfind("FeatureVersion/VersionDetail"):
            text = refs.text("DetailReference", detail.get("DetailReferenceID")) if detail.get("DetailReferenceID") \
                else " ".join((detail.text or "").split())
            if text:
                values.append(text)
    return values


def _identifier(doc: ET.Element, refs: _References) -> Identifier | None:
    number = " ".join((doc.findtext("IDRegistrationNo") or "").split())
    label = refs.text("IDRegDocType", doc.get("IDRegDocTypeID"))
    if not (number and label):
        return None
    kind = _DOCUMENT_KINDS.get(label.casefold(), "_".join(label.casefold().rstrip(".").split()))
    issued_by = doc.find("IssuedBy")
    country_id = doc.get("IssuedBy-CountryID") or (issued_by.get("CountryID") if issued_by is not None else None)
    return Identifier(kind=kind, value=number, country=refs.text("Country", country_id) or None)


def _int(text: str | None) -> int | None:
    text = (text or "").strip()
    return int(text) if text.isdigit() else None


def _local(tag: str) -> str:
    """The element name without its "{namespace}"."""
    return tag.rpartition("}")[2]
