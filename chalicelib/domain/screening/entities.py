"""List-agnostic sanctions entities: what every list parser produces and every matcher reads.

Names are kept as the list gives them (persons reordered to "Given SURNAME", see
`normalise.reorder_surname_first`); normalisation happens at indexing time so a matcher can
change its normaliser without re-parsing. Countries are kept as the list spells them.
"""
from __future__ import annotations

import hashlib
import re
from datetime import date
from enum import StrEnum

from pydantic import model_validator

from chalicelib.domain.models import Frozen

CIRCA_TOLERANCE_YEARS = 2
"""How many years either side of a "circa" birth date (or range) still agree."""


class EntityType(StrEnum):
    PERSON = "person"
    ORGANISATION = "organisation"
    VESSEL = "vessel"
    AIRCRAFT = "aircraft"


class ListKind(StrEnum):
    """Why an entry is listed: a sanctions designation (may block), a politically exposed
    person (never blocks by itself; calls for enhanced due diligence), or a crime / wanted /
    debarment entry of a consolidated dataset (OpenSanctions' `crime*` topics). The screening
    checks read SANCTIONS and PEP only: a CRIME match is reported among the matches and fails
    no check by itself."""

    SANCTIONS = "sanctions"
    PEP = "pep"
    CRIME = "crime"


class AliasStrength(StrEnum):
    """Strong aliases are screened like the primary name; weak ones (low-quality
    nicknames, OFAC's "weak a.k.a.") only raise a possible match."""

    STRONG = "strong"
    WEAK = "weak"


class NameKind(StrEnum):
    """Which of an entity's names matched, strongest first."""

    PRIMARY = "primary"
    STRONG_ALIAS = "strong_alias"
    WEAK_ALIAS = "weak_alias"


class Alias(Frozen):
    name: str
    strength: AliasStrength


class BirthDate(Frozen):
    """A listed date of birth at the precision the list gives it.

    At most one form is set: `exact`, `year` (with an optional `month`), or the inclusive
    `year_from`..`year_to` range. Day-precision ranges are widened to whole years, which can
    only make a birth date agree more often, never contradict wrongly. None set = unknown.
    """

    exact: date | None = None
    year: int | None = None
    month: int | None = None
    year_from: int | None = None
    year_to: int | None = None
    circa: bool = False

    @model_validator(mode="after")
    def _one_form(self) -> BirthDate:
        forms = (self.exact is not None) + (self.year is not None) + (self.year_from is not None)
        if forms > 1:
            raise ValueError("set only one of exact, year, year_from/year_to")
        if self.month is not None and (self.year is None or not 1 <= self.month <= 12):
            raise ValueError("month needs a year and must be 1..12")
        if (self.year_from is None) != (self.year_to is None):
            raise ValueError("year_from and year_to go together")
        if self.year_from is not None and self.year_to is not None and self.year_from > self.year_to:
            raise ValueError("year_from is after year_to")
        return self

    def agrees_with(self, d: date) -> bool | None:
        """Whether `d` is consistent with this birth date; None when it carries no information."""
        slack = CIRCA_TOLERANCE_YEARS if self.circa else 0
        if self.exact is not None:
            return abs(d.year - self.exact.year) <= slack if self.circa else d == self.exact
        if self.year is not None:
            if abs(d.year - self.year) > slack:
                return False
            return self.circa or self.month is None or d.month == self.month
        if self.year_from is not None and self.year_to is not None:
            return self.year_from - slack <= d.year <= self.year_to + slack
        return None


class Precision(StrEnum):
    """How much of a date is known."""

    DAY = "day"
    MONTH = "month"
    YEAR = "year"


_PARTIAL_DATE = re.compile(r"(\d{4})(?:-(\d{2})(?:-(\d{2}))?)?")


class PartialDate(Frozen):
    """A date known to the year, the month or the day ("1965", "1965-04", "1965-04-12"), as a
    compliance officer or a list often knows a birth date."""

    year: int
    month: int | None = None
    day: int | None = None

    @model_validator(mode="after")
    def _valid(self) -> PartialDate:
        if not 1 <= self.year <= 9999:
            raise ValueError("year must be 1..9999")
        if self.day is not None and self.month is None:
            raise ValueError("a day needs a month")
        if self.month is not None and not 1 <= self.month <= 12:
            raise ValueError("month must be 1..12")
        if self.day is not None:
            date(self.year, self.month, self.day)  # ValueError for 31 Feb
        return self

    @classmethod
    def parse(cls, text: str) -> PartialDate:
        """"YYYY", "YYYY-MM" or "YYYY-MM-DD"; ValueError naming what is wrong otherwise."""
        m = _PARTIAL_DATE.fullmatch(text.strip())
        if m is None:
            raise ValueError("must be YYYY, YYYY-MM or YYYY-MM-DD")
        year, month, day = (int(g) if g else None for g in m.groups())
        return cls(year=year, month=month, day=day)

    @classmethod
    def of(cls, d: date) -> PartialDate:
        return cls(year=d.year, month=d.month, day=d.day)

    @property
    def precision(self) -> Precision:
        return Precision.DAY if self.day else Precision.MONTH if self.month else Precision.YEAR

    @property
    def earliest(self) -> date:
        """The first day it may be (to compare with today)."""
        return date(self.year, self.month or 1, self.day or 1)

    def __str__(self) -> str:
        return "-".join([f"{self.year:04d}", *(f"{v:02d}" for v in (self.month, self.day) if v)])


def listed_birth_date(text: str, circa: bool = False) -> BirthDate | None:
    """A list's ISO-style birth date at the precision it gives: "1965-04-12" (exact), "1965-04"
    or "1965" (year, with the month), "1965-00-00" / "1965-04-00" (unknown parts as zeros); what
    is known of an impossible date ("1965-02-30": February 1965); None when it is not a date."""
    m = _PARTIAL_DATE.fullmatch(text.strip())
    if m is None:
        return None
    year, month, day = int(m[1]), int(m[2] or 0), int(m[3] or 0)
    if not 1800 <= year <= 2100:
        return None
    if month > 12:  # "1971-13": the year is still known
        month = day = 0
    if month and day:
        try:
            return BirthDate(exact=date(year, month, day), circa=circa)
        except ValueError:
            pass  # "1965-02-31": keep the month
    return BirthDate(year=year, month=month or None, circa=circa)


def calendar_date(text: str) -> date | None:
    """A list's YYYY-MM-DD date (a listing date), None if it is not one."""
    try:
        return date.fromisoformat(text.strip()) if len(text.strip()) == 10 else None
    except ValueError:
        return None


class Identifier(Frozen):
    """An identity document number, e.g. kind "passport", value as listed, issuing country."""

    kind: str
    value: str
    country: str | None = None


# What a reviewer reads of an entry but no screening compares: outside its content hash, so that
# reading more of a list (a parser learning a new field) never turns a cleared entry into another.
DESCRIPTIVE_FIELDS = frozenset({"places_of_birth", "remarks", "listed_on", "positions"})


class ListEntity(Frozen):
    """One entry of a sanctions or PEP list."""

    source: str
    source_id: str
    type: EntityType
    kind: ListKind = ListKind.SANCTIONS
    primary_name: str
    aliases: tuple[Alias, ...] = ()
    birth_dates: tuple[BirthDate, ...] = ()
    nationalities: tuple[str, ...] = ()
    identifiers: tuple[Identifier, ...] = ()
    programmes: tuple[str, ...] = ()
    address_countries: tuple[str, ...] = ()
    places_of_birth: tuple[str, ...] = ()  # as the list writes them ("Medellin, Colombia")
    remarks: str = ""  # the list's own free text about the entry
    listed_on: date | None = None  # when the list first designated it, if the list says
    positions: tuple[str, ...] = ()  # a PEP's positions (occupancies), or a designee's, as listed

    def content_hash(self) -> str:
        """SHA-256 (hex) of the entry as parsed: any change to a name, alias, birth date,
        nationality, identifier or programme changes it (the descriptive fields do not)."""
        return hashlib.sha256(self.model_dump_json(exclude=DESCRIPTIVE_FIELDS).encode()).hexdigest()

    def birth_date_agrees(self, d: date) -> bool | None:
        """True if any listed birth date agrees with `d`, False if at least one is known and
        none agrees, None if the entry has no usable birth date."""
        verdicts = {b.agrees_with(d) for b in self.birth_dates} - {None}
        return (True in verdicts) if verdicts else None
