import json
import pickle
from datetime import date
from pathlib import Path

import pytest

from chalicelib.domain.models import CheckResult
from chalicelib.domain.screening import columns
from chalicelib.domain.screening.countries import iso3
from chalicelib.domain.screening.engine import Band, Match, Screener, classify
from chalicelib.domain.screening.entities import (
    Alias,
    AliasStrength,
    BirthDate,
    EntityType,
    ListEntity,
    ListKind,
    NameKind,
    PartialDate,
    Precision,
    listed_birth_date,
)
from chalicelib.domain.screening.formats import parse_list
from chalicelib.domain.screening.index import (
    INDEX_FORMAT,
    IndexFormatError,
    NameIndex,
    deletion_keys,
    joined_words,
    skeleton,
)
from chalicelib.domain.screening.policy import ScreeningPolicy
from chalicelib.domain.screening.result import SubjectScreening
from chalicelib.domain.screening.scoring import BirthDateLevel, birth_date_level
from chalicelib.policies import load_policy
from chalicelib.settings import POLICIES_DIR

LISTS = Path(__file__).resolve().parents[2] / "data" / "lists"


@pytest.fixture(scope="module")
def policy() -> ScreeningPolicy:
    return load_policy(POLICIES_DIR / "screening.yaml", ScreeningPolicy)


def shipped_index(source: str) -> NameIndex:
    meta = json.loads((LISTS / source / "source.json").read_text())
    files = {name: (LISTS / source / name).read_bytes() for name in meta["files"]}
    return NameIndex.build(source, meta["snapshot"], parse_list(meta["format"], files, source))


@pytest.fixture(scope="module")
def screener(policy: ScreeningPolicy) -> Screener:
    return Screener([shipped_index(s) for s in ("ofac-sdn", "un-sc", "pep-us-congress")], policy)


def entry(matches: list[Match], source: str, source_id: str) -> Match:
    (match,) = [m for m in matches if (m.source, m.source_id) == (source, source_id)]
    return match


def codes(matches: list[Match]) -> dict[str, bool]:
    return {c.code: c.passed for c in classify(matches)}


# --- normalisation -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "tokens"),
    [
        ("AL-LIBI, Abd al-Muhsin", ["abd", "al", "muhsin", "al", "libi"]),  # reordered, hyphen split
        ("Abd El Halim ibn Zidane", ["abd", "al", "halim", "bin", "zidane"]),  # particle spellings unified
        ("José  MÜLLER", ["jose", "muller"]),
        ("Владимир Путин", ["vladimir", "putin"]),  # anyascii transliteration
        ("Dr. Sheikh Ahmed ALI", ["ahmed", "ali"]),  # honorifics dropped
        ("ACME Trading Compnay Limted", ["acme", "trading"]),  # legal forms, even misspelt
        ("Co. Ltd.", ["co", "ltd"]),  # nothing but legal forms: kept
    ],
)
def test_normalisation(screener: Screener, name: str, tokens: list[str]) -> None:
    assert screener.normalise(name) == tokens


def test_index_keys() -> None:
    assert {skeleton(t) for t in ("mohammed", "muhammad", "mohamed", "mohammad")} == {"mhmd"}
    assert skeleton("qasim") == skeleton("kassem") == "ksm"
    assert skeleton("aleksandr") == skeleton("alexander") == "lksndr"
    assert deletion_keys("ali") == {"ali", "li", "ai", "al"}
    assert deletion_keys("al") == {"al"}


def test_countries() -> None:
    assert [iso3(c) for c in ("Iran", "Korea, North", "Palestinian", "us", "IRN", "Iran (Islamic Republic of)")] == [
        "IRN", "PRK", "PSE", "USA", "IRN", "IRN",
    ]
    assert iso3("Atlantis") is None and iso3("") is None


# --- bands, explanations and checks on the shipped lists ---------------------------------------------


@pytest.mark.parametrize("name", ["Mohamad Reza Naqdy", "Naqdi, Muhammad Reza", "Mohammad Reza Naqdl"])
def test_misspelt_listed_person_is_flagged_with_an_explanation(screener: Screener, name: str) -> None:
    matches = screener.screen_person(name, None)
    m = entry(matches, "ofac-sdn", "12057")  # "NAQDI, Mohammad Reza"
    assert m.band in (Band.BLOCK, Band.REVIEW)
    assert (m.matched_name, m.name_kind, m.kind) == ("Mohammad Reza NAQDI", NameKind.PRIMARY, ListKind.SANCTIONS)
    assert m.list_version == "2021-07-07" and "IRGC" in m.programmes
    s = m.name_scores
    assert (s.tokens_paired, s.listed_tokens) == (3, 3)
    assert s.name <= 0.70 * s.token_pairs + 0.15 * s.token_sort + 0.15 * s.token_set + 1e-4  # short-name penalty only lowers
    assert m.score == pytest.approx(s.name + sum(a.delta for a in m.adjustments), abs=1e-4)
    assert (f"block {0.92:.2f}" if m.band is Band.BLOCK else f"review {0.78:.2f}") in m.rule
    assert codes(matches)["SANCTIONS_MATCH" if m.band is Band.BLOCK else "SANCTIONS_POSSIBLE_MATCH"] is False


def test_exact_listed_name_with_agreeing_birth_date_blocks(screener: Screener) -> None:
    matches = screener.screen_person("Zayn al-Abidin Muhammad Husayn", date(1971, 3, 12), "PSE")
    m = entry(matches, "ofac-sdn", "6905")  # strong alias of ABU ZUBAYDAH, DOB 12 Mar 1971, Palestinian
    assert (m.band, m.name_kind, m.birth_date) == (Band.BLOCK, NameKind.STRONG_ALIAS, BirthDateLevel.EXACT)
    assert [(a.factor, a.delta) for a in m.adjustments] == [("birth_date", 0.05), ("nationality", 0.02)]
    assert m.rule == f"score {m.score:.2f} >= block 0.92"
    assert codes(matches) == {"SANCTIONS_MATCH": False, "SANCTIONS_POSSIBLE_MATCH": True, "PEP_MATCH": True}


def test_birth_date_mismatch_lowers_the_score_and_never_blocks(screener: Screener) -> None:
    unknown = entry(screener.screen_person("Abu Zubaydah", None), "ofac-sdn", "6905")
    agreeing = entry(screener.screen_person("Abu Zubaydah", date(1971, 3, 12)), "ofac-sdn", "6905")
    contradicting = entry(screener.screen_person("Abu Zubaydah", date(1990, 1, 1)), "ofac-sdn", "6905")
    assert contradicting.score < unknown.score < agreeing.score or agreeing.score == 1.0
    assert contradicting.score == pytest.approx(unknown.score - 0.15, abs=1e-4)
    assert contradicting.birth_date is BirthDateLevel.MISMATCH and contradicting.band is Band.REVIEW
    assert ("birth_date", -0.15) in [(a.factor, a.delta) for a in contradicting.adjustments]


def test_weak_alias_is_weighted_down_and_never_blocks(screener: Screener) -> None:
    m = entry(screener.screen("Qorgab", type=EntityType.PERSON), "ofac-sdn", "11748")  # weak a.k.a. 'QORGAB'
    assert (m.name_kind, m.band, m.score) == (NameKind.WEAK_ALIAS, Band.REVIEW, 0.95)
    assert m.adjustments[0].factor == "weak_alias" and "weak alias alone never blocks" in m.rule


def test_pep_gives_pep_match_never_a_sanctions_code(screener: Screener) -> None:
    matches = screener.screen_person("Jennifer McClelan", date(1972, 5, 5), "USA")
    m = entry(matches, "pep-us-congress", "NK-AQ4HymsADSK2D63MkyTqfC")  # "Jennifer L. McClellan", 1972
    assert m.kind is ListKind.PEP and m.band is not Band.PASS
    assert classify(matches) == [
        CheckResult(code="SANCTIONS_MATCH", passed=True),
        CheckResult(code="SANCTIONS_POSSIBLE_MATCH", passed=True),
        CheckResult(code="PEP_MATCH", passed=False, detail="pep-us-congress: 1 entry (NK-AQ4HymsADSK2D63MkyTqfC)"),
    ]


def test_entity_type_adjustment(screener: Screener) -> None:
    as_org = entry(screener.screen("Banco Nacional de Cuba", type=EntityType.ORGANISATION), "ofac-sdn", "306")
    assert (as_org.band, as_org.entity_type) == (Band.BLOCK, EntityType.ORGANISATION)
    assert not [m for m in screener.screen_person("Banco Nacional de Cuba", None) if m.source_id == "306"]
    as_person = entry(screener.screen("Banco Nacional de Cuba", type=EntityType.PERSON, threshold=0.5), "ofac-sdn", "306")
    assert as_person.band is Band.PASS and as_person.adjustments[-1].factor == "entity_type"


def test_original_script_query(screener: Screener) -> None:
    m = entry(screener.screen("محمد صلاح الدين عبدالحليم زيدان"), "un-sc", "QDi.001")
    assert (m.band, m.name_kind) == (Band.BLOCK, NameKind.STRONG_ALIAS)


def test_clean_names_pass(screener: Screener) -> None:
    for name in ("Jane Example-Applicant", "Hans Müller", "", "Dr."):
        matches = screener.screen_person(name, date(1990, 5, 17), "DEU")
        assert matches == [] and all(c.passed for c in classify(matches))


def test_ranking_limit_and_threshold(screener: Screener) -> None:
    default = screener.screen("Saddam Hussein")
    lower = screener.screen("Saddam Hussein", threshold=0.6, limit=50)
    assert len(lower) > len(default) and len(screener.screen("Saddam Hussein", threshold=0.6, limit=3)) == 3
    assert [m.score for m in lower] == sorted((m.score for m in lower), reverse=True)
    assert all(m.score >= 0.6 for m in lower) and all(m.band is not Band.PASS for m in default)
    assert len({(m.source, m.source_id) for m in lower}) == len(lower)  # one match per entry


@pytest.mark.parametrize("name", ["Mohamed Reza Naqdi", "Usama bin Ladin", "Kim Jong Un", "John Smith"])
def test_index_finds_what_the_exhaustive_scan_finds(screener: Screener, name: str) -> None:
    indexed = screener.screen(name, limit=None)
    exhaustive = screener.screen(name, limit=None, exhaustive=True)
    assert {(m.source, m.source_id, m.score) for m in indexed} == {(m.source, m.source_id, m.score) for m in exhaustive}


def test_list_versions_and_engine(screener: Screener) -> None:
    assert screener.list_versions == {"ofac-sdn": "2021-07-07", "un-sc": "2026-02-27", "pep-us-congress": "2025-12-08"}
    assert screener.engine == "fuzzy-v3/screening-2026-12-03.1"


# --- classification ------------------------------------------------------------------------------


def test_review_band_alone_is_a_possible_match(screener: Screener) -> None:
    review = [m for m in screener.screen("Saddam Hussein", limit=None) if m.band is Band.REVIEW]
    assert review
    assert codes(review) == {"SANCTIONS_MATCH": True, "SANCTIONS_POSSIBLE_MATCH": False, "PEP_MATCH": True}
    assert all("saddam" not in c.detail.casefold() for c in classify(review))  # list references only


# --- index building and serialisation ---------------------------------------------------------------


def person(source_id: str, name: str, *aliases: Alias, **fields: object) -> ListEntity:
    return ListEntity(source="list-a", source_id=source_id, type=EntityType.PERSON, primary_name=name,
                      aliases=aliases, **fields)


def test_serialisation_round_trip(policy: ScreeningPolicy) -> None:
    entities = [
        person("1", "Ivan PETROV", Alias(name="Vanya", strength=AliasStrength.WEAK),
               birth_dates=(BirthDate(year=1970), BirthDate(exact=date(1971, 2, 3), circa=True)), nationalities=("Russia",)),
        person("2", "Ali HASSAN", Alias(name="HASSAN, Ali", strength=AliasStrength.STRONG)),
    ]
    index = NameIndex.build("list-a", "2026-01-01-abc", entities)
    loaded = NameIndex.from_bytes(index.to_bytes())
    assert (loaded.source, loaded.version, loaded.vocabulary) == ("list-a", "2026-01-01-abc", index.vocabulary)
    assert [list(map(list, i.postings)) for i in (loaded, index)] == [[[0], [0], [1], [2], [2]]] * 2
    assert list(loaded.entities) == list(index.entities) and list(loaded.names) == list(index.names)
    assert loaded.entities[0].birth_dates == ((0, 1970, 0, 0, 0, False), (date(1971, 2, 3).toordinal(), 0, 0, 0, 0, True))
    assert [(n.entity, n.kind, n.name, len(n.tokens)) for n in loaded.names] == [
        (0, "primary", "Ivan PETROV", 2), (0, "weak_alias", "Vanya", 1), (1, "primary", "Ali HASSAN", 2)]
    assert len(loaded) == 3  # "HASSAN, Ali" is the primary name in another order: indexed once per order
    before = Screener([index], policy).screen("Ivan Petrov", date(1970, 6, 1), "RUS")
    after = Screener([loaded], policy).screen("Ivan Petrov", date(1970, 6, 1), "RUS")
    assert before == after and after[0].birth_date is BirthDateLevel.YEAR


def test_loading_refuses_foreign_or_tampered_bytes() -> None:
    with pytest.raises(IndexFormatError, match="refused"):
        NameIndex.from_bytes(columns.pack((INDEX_FORMAT, date(2020, 1, 1))))  # would need a global
    with pytest.raises(IndexFormatError, match="rebuild"):
        NameIndex.from_bytes(columns.pack(("screening-index/0", "x")))
    with pytest.raises(IndexFormatError, match="rebuild"):  # how releases before format 5 stored one
        NameIndex.from_bytes(pickle.dumps(("screening-index/4", "x"), protocol=5))
    with pytest.raises(IndexFormatError):
        NameIndex.from_bytes(b"not a pickle")
    stored = NameIndex.build("list-a", "v", [person(str(i), f"Ivan PETROV{i}") for i in range(400)]).to_bytes()
    with pytest.raises(IndexFormatError, match="truncated"):
        NameIndex.from_bytes(stored[:-3])


def test_build_refuses_entities_of_another_source() -> None:
    with pytest.raises(ValueError, match="not from list-b"):
        NameIndex.build("list-b", "v", [person("1", "A B")])


def test_matches_are_stored_in_the_screening_result(screener: Screener) -> None:
    matches = screener.screen_person("Mohamad Reza Naqdy", None)
    subject = SubjectScreening(subject="applicant", matches=tuple(matches), checks=tuple(classify(matches)))
    assert SubjectScreening.model_validate_json(subject.model_dump_json()) == subject


# --- birth dates -----------------------------------------------------------------------------------


def day(value: str) -> PartialDate:
    return PartialDate.parse(value)


@pytest.mark.parametrize(
    ("listed", "subject", "level", "precision"),
    [
        (BirthDate(exact=date(1957, 10, 10)), "1957-10-10", BirthDateLevel.EXACT, Precision.DAY),
        (BirthDate(exact=date(1957, 10, 10)), "1957-01-01", BirthDateLevel.NEAR, Precision.DAY),  # same year, other day
        (BirthDate(exact=date(1957, 10, 10)), "1958-12-31", BirthDateLevel.NEAR, Precision.DAY),
        (BirthDate(exact=date(1957, 10, 10)), "1960-01-01", BirthDateLevel.MISMATCH, Precision.DAY),
        (BirthDate(exact=date(1957, 10, 10), circa=True), "1959-01-01", BirthDateLevel.RANGE, Precision.YEAR),
        (BirthDate(year=1958), "1958-06-01", BirthDateLevel.YEAR, Precision.YEAR),
        (BirthDate(year=1958, month=6), "1958-07-01", BirthDateLevel.NEAR, Precision.MONTH),
        (BirthDate(year=1958, circa=True), "1956-01-01", BirthDateLevel.RANGE, Precision.YEAR),
        (BirthDate(year_from=1958, year_to=1960), "1960-01-01", BirthDateLevel.RANGE, Precision.YEAR),
        (BirthDate(year_from=1958, year_to=1960), "1962-01-01", BirthDateLevel.MISMATCH, Precision.YEAR),
        (BirthDate(), "2000-01-01", BirthDateLevel.UNKNOWN, None),
        # a subject's date known only to the year or the month: compared at the coarser precision
        (BirthDate(exact=date(1965, 4, 12)), "1965", BirthDateLevel.YEAR, Precision.YEAR),  # support, not a mismatch
        (BirthDate(exact=date(1965, 4, 12)), "1965-04", BirthDateLevel.YEAR, Precision.MONTH),
        (BirthDate(exact=date(1965, 4, 12)), "1965-05", BirthDateLevel.NEAR, Precision.MONTH),
        (BirthDate(exact=date(1965, 4, 12)), "1966", BirthDateLevel.NEAR, Precision.YEAR),  # within near_years
        (BirthDate(exact=date(1965, 4, 12)), "1967", BirthDateLevel.MISMATCH, Precision.YEAR),
        (BirthDate(year=1965, month=4), "1965", BirthDateLevel.YEAR, Precision.YEAR),
        (BirthDate(year=1965, month=4), "1965-04", BirthDateLevel.YEAR, Precision.MONTH),
        (BirthDate(year=1965), "1965-04", BirthDateLevel.YEAR, Precision.YEAR),
        (BirthDate(year_from=1963, year_to=1966), "1965-04", BirthDateLevel.RANGE, Precision.YEAR),
    ],
)
def test_birth_date_levels(listed: BirthDate, subject: str, level: BirthDateLevel, precision: Precision | None) -> None:
    index = NameIndex.build("list-a", "v", [person("1", "A B", birth_dates=(listed,))])
    assert birth_date_level(index.entities[0].birth_dates, day(subject), near_years=1) == (level, precision)


def test_best_birth_date_level_wins_and_unknown_without_a_date() -> None:
    index = NameIndex.build("list-a", "v", [person("1", "A B", birth_dates=(BirthDate(year=1950), BirthDate(year=1970)))])
    assert birth_date_level(index.entities[0].birth_dates, day("1970-01-01"), 1).level is BirthDateLevel.YEAR
    assert birth_date_level(index.entities[0].birth_dates, None, 1) == (BirthDateLevel.UNKNOWN, None)


@pytest.mark.parametrize("text", ["1965", "1965-04", "1965-04-12"])
def test_partial_dates_parse_and_print_back(text: str) -> None:
    assert str(PartialDate.parse(text)) == text


@pytest.mark.parametrize("text", ["65", "1965-4", "1965-13", "1965-02-30", "1965-04-12T00:00", "86400", "1965/04"])
def test_partial_dates_refuse_what_is_not_one(text: str) -> None:
    with pytest.raises(ValueError):
        PartialDate.parse(text)


def test_a_partial_birth_date_adjusts_the_score_and_names_its_precision(screener: Screener) -> None:
    # OFAC SDN 6365, listed with DOB 30 Jul 1957 and alt. DOB 1958
    by_year = entry(screener.screen_person("Usama bin Laden", day("1957")), "ofac-sdn", "6365")
    by_month = entry(screener.screen_person("Usama bin Laden", day("1957-07")), "ofac-sdn", "6365")
    assert (by_year.birth_date, by_year.birth_date_precision) == (BirthDateLevel.YEAR, Precision.YEAR)
    assert (by_month.birth_date, by_month.birth_date_precision) == (BirthDateLevel.YEAR, Precision.MONTH)
    [adjustment] = [a for a in by_month.adjustments if a.factor == "birth_date"]
    assert adjustment.delta == 0.03 and adjustment.detail == "listed birth date: year (compared at month precision)"
    far = entry(screener.screen_person("Usama bin Laden", day("1940")), "ofac-sdn", "6365")
    assert far.birth_date is BirthDateLevel.MISMATCH and far.band is Band.REVIEW


def test_list_birth_dates_at_the_precision_they_are_given() -> None:
    assert listed_birth_date("1965-04-12") == BirthDate(exact=date(1965, 4, 12))
    assert listed_birth_date("1965-04") == BirthDate(year=1965, month=4)
    assert listed_birth_date("1965") == BirthDate(year=1965)
    assert listed_birth_date("1965-00-00") == BirthDate(year=1965)
    assert listed_birth_date("1965-02-31") == BirthDate(year=1965, month=2)
    assert listed_birth_date("1965-04-12", circa=True) == BirthDate(exact=date(1965, 4, 12), circa=True)
    assert listed_birth_date("unknown") is None and listed_birth_date("0000-00-00") is None


# --- word boundaries -------------------------------------------------------------------------------

BIN_LADEN = ("ofac-sdn", "6365")  # "BIN LADIN, Usama bin Muhammad bin Awad", a.k.a. "BIN LADEN, Usama", DOB 30 Jul 1957


@pytest.mark.parametrize(
    ("name", "joined", "words", "listed"),
    [
        ("Usa ma bin Laden", "screened", (1, 2), "usama"),  # a word split in two
        ("Usa-ma bin Laden", "screened", (1, 2), "usama"),  # in-word punctuation
        ("Usa.ma bin Laden", "screened", (1, 2), "usama"),
        ("Usama bin Lad-en", "screened", (3, 4), "laden"),
        ("Usama binLaden", "listed", (2,), "bin laden"),  # a glued particle
        ("UsamabinLaden", "listed", (1,), "usama bin laden"),  # no space at all
        ("Уса ма бин Ладен", "screened", (1, 2), "usama"),  # Cyrillic, transliterated
        ("Усама бинЛаден", "listed", (2,), "bin laden"),
    ],
)
def test_word_boundaries_do_not_hide_a_listed_person(screener: Screener, name: str, joined: str,
                                                     words: tuple[int, ...], listed: str) -> None:
    m = entry(screener.screen_person(name, date(1957, 7, 30)), *BIN_LADEN)
    assert (m.band, m.birth_date, m.name_scores.name) == (Band.BLOCK, BirthDateLevel.EXACT, 1.0)
    [how] = m.resegmented
    assert (how.joined, how.screened_words, how.listed) == (joined, words, listed)
    assert how.detail.startswith("matched after joining") and f"'{listed}'" in how.detail


def test_an_arabic_script_name_split_or_glued_is_found(screener: Screener) -> None:
    # UN QDi.421 "HAMZA USAMA MUHAMMAD BIN LADEN", listed with its Arabic name, DOB 1989-05-09
    for name in ("حمزة أسا مة محمد بن لادن", "حمزة أسامة محمد بنلادن"):
        m = entry(screener.screen_person(name, date(1989, 5, 9)), "un-sc", "QDi.421")
        assert (m.band, m.name_kind) == (Band.BLOCK, NameKind.STRONG_ALIAS) and m.resegmented


def test_a_stopword_split_off_a_word_is_glued_back(screener: Screener) -> None:
    # "Sa" and "Dr" are a legal form and a title: normalisation drops them, the engine glues them back
    m = entry(screener.screen("Sa ddam Hussein al-Tikriti", type=EntityType.PERSON), "ofac-sdn", "7843")
    assert m.band is not Band.PASS and "with the 'sa' next to it" in m.resegmented[0].detail


def test_a_match_without_a_moved_boundary_says_nothing_about_one(screener: Screener) -> None:
    m = entry(screener.screen_person("Usama bin Laden", date(1957, 7, 30)), *BIN_LADEN)
    assert m.resegmented == () and m.matched_name == "Usama BIN LADEN"


@pytest.mark.parametrize("name", ["Usa ma bin Laden", "Usama binLaden", "UsamabinLaden", "SaddamHussein al-Tikriti",
                                  "Banco NacionaldeCuba", "Abu Zu baydah"])
def test_moved_boundaries_are_found_through_the_index(screener: Screener, name: str) -> None:
    indexed = screener.screen(name, limit=None)
    exhaustive = screener.screen(name, limit=None, exhaustive=True)
    assert {(m.source, m.source_id, m.score) for m in indexed} == {(m.source, m.source_id, m.score) for m in exhaustive}


@pytest.mark.parametrize(("name", "source_id"), [("Mohamad RezaNaqdi", "12057"), ("Kim JongUn", "20157")])
def test_listed_words_joined_are_reached_by_spelling_and_skeleton(screener: Screener, name: str, source_id: str) -> None:
    """The index reaches a listed name's words joined by their spelling and consonant skeleton,
    not by edit neighbourhoods (those would quadruple its size): a typo on top of a moved
    boundary can escape it, where scoring every name would find weaker hits."""
    assert entry(screener.screen(name, limit=None), "ofac-sdn", source_id).band is Band.BLOCK


def test_joined_words_of_a_listed_name() -> None:
    assert joined_words(["usama", "bin", "laden"]) == [
        ("usamabin", 0, 2), ("usamabinladen", 0, 3), ("binladen", 1, 3)]
    assert joined_words(["j", "smith"], min_part=2) == []


def test_words_joined_must_agree_letter_for_letter(screener: Screener) -> None:
    """Jaro-Winkler finds "muhammad" close to "muhammaddaud" (the prefix): words joined are
    compared letter for letter, so a listed "Muhammad Daud" joined does not pair with "Muhammad"."""
    for m in screener.screen("Muhammad Rahimi", limit=None, threshold=0.5):
        assert all(r.listed != "muhammad daud" for r in m.resegmented)


def test_content_hash_changes_with_the_entry() -> None:
    entity = person("1", "Ivan PETROV", birth_dates=(BirthDate(year=1970),))
    same = person("1", "Ivan PETROV", birth_dates=(BirthDate(year=1970),))
    assert entity.content_hash() == same.content_hash()
    assert entity.content_hash() != entity.model_copy(update={"programmes": ("UKRAINE-EO13660",)}).content_hash()
    assert entity.content_hash() != entity.model_copy(
        update={"aliases": (Alias(name="Vanya", strength=AliasStrength.WEAK),)}).content_hash()
    index = NameIndex.build("list-a", "v", [entity])
    [m] = Screener([index], load_policy(POLICIES_DIR / "screening.yaml", ScreeningPolicy)).screen("Ivan Petrov")
    assert m.entry_hash == entity.content_hash()


def test_word_boundaries_can_be_switched_off_for_benchmarks(policy: ScreeningPolicy, screener: Screener) -> None:
    spaced = Screener(screener.indexes, policy, word_boundaries=False)
    assert not [m for m in spaced.screen_person("Usa ma bin Laden", date(1957, 7, 30)) if m.band is Band.BLOCK
                and (m.source, m.source_id) == BIN_LADEN]
    assert entry(spaced.screen_person("Usama bin Laden", date(1957, 7, 30)), *BIN_LADEN) == entry(
        screener.screen_person("Usama bin Laden", date(1957, 7, 30)), *BIN_LADEN)


def test_the_cached_name_sets_are_bounded_by_the_name_ids_they_hold(policy, monkeypatch):
    """In a long-lived process the screener keeps the names holding each word it looked up: those
    sets are bounded by the ids they hold together (a word of a list of millions is in thousands
    of names), and the matches are the same however small the bound."""
    from chalicelib.domain.screening import engine
    queries = ["Usama bin Laden", "Mohammed Ahmed", "Ali Hassan", "Abdul Rahman", "Kim Jong Un", "Ahmad Khan"] * 2
    unbounded = Screener([shipped_index("ofac-sdn")], policy)
    expected = [unbounded.screen_person(q, None) for q in queries]
    assert unbounded._names_held["ofac-sdn"] > 500  # what the bound below cuts
    monkeypatch.setattr(engine, "_REACHED_NAMES_HELD", 500)
    bounded = Screener([shipped_index("ofac-sdn")], policy)
    for query, matches in zip(queries, expected):
        assert bounded.screen_person(query, None) == matches
        cache = bounded._reached_names["ofac-sdn"]
        held = sum(len(names) for _, names in cache.values())
        assert held == bounded._names_held["ofac-sdn"]
        assert held <= 500 or len(cache) == 1  # one set larger than the bound is kept alone
