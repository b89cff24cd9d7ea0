from hypothesis import given
from hypothesis import strategies as st

from chalicelib.domain.screening.normalise import name_key, normalise_name, reorder_surname_first


def test_transliterates_casefolds_and_strips_accents() -> None:
    assert normalise_name("José  MÜLLER") == "jose muller"
    assert normalise_name("ŞAHİN Çelik") == "sahin celik"
    assert normalise_name("Владимир Путин") == "vladimir putin"
    assert normalise_name("ＡＢＵ　ＡＬＩ") == "abu ali"  # full-width letters and space (NFKC)


def test_surname_comma_given_is_reordered() -> None:
    assert normalise_name("NAQDI, Mohammad Reza") == "mohammad reza naqdi"
    assert normalise_name("DELOS REYES, Feliciano Semborio, Jr.") == "feliciano semborio delos reyes"
    assert normalise_name("MARUF, Taha, Muhyi al-Din") == "maruf taha muhyi al din"  # 3 parts: kept


def test_reorder_surname_first() -> None:
    assert reorder_surname_first("KIM, Kyong Ok") == "Kyong Ok KIM"
    assert reorder_surname_first("KNOWLES, JR., Samuel") == "Samuel KNOWLES JR."
    assert reorder_surname_first("ABU ZUBAYDAH") == "ABU ZUBAYDAH"
    assert reorder_surname_first("SMITH,") == "SMITH,"


def test_punctuation_apostrophes_and_acronyms() -> None:
    assert normalise_name("O'Brien") == "obrien"
    assert normalise_name("Wa'el Hamza AL-JULAIDAN") == "wael hamza al julaidan"
    assert normalise_name("Wail H.A. JILDAN") == "wail ha jildan"
    assert normalise_name("CALI @ TELE.COM LTDA.") == "cali tele com ltda"


def test_honorifics_and_legal_forms_are_dropped() -> None:
    assert normalise_name("Dr. John SMITH") == "john smith"
    assert normalise_name("Sheikh Ahmed Haji ALI") == "ahmed ali"
    assert normalise_name("Mrs Jane Doe") == "jane doe"
    assert normalise_name("CECOEX, S.A.") == "cecoex"
    assert normalise_name("ANGLO-CARIBBEAN CO., LTD.") == "anglo caribbean"
    assert normalise_name("PJSC Gazprom") == "gazprom"
    assert normalise_name("Acme GmbH") == "acme"


def test_a_name_made_only_of_stopwords_is_kept() -> None:
    assert normalise_name("Co. Ltd.") == "co ltd"
    assert normalise_name("Dr") == "dr"


def test_empty_and_blank() -> None:
    assert normalise_name("") == ""
    assert normalise_name(" ,.- ") == ""
    assert name_key("  ") == ""


def test_name_key_is_word_order_insensitive() -> None:
    key = name_key("NAQDI, Mohammad Reza")
    assert key == "mohammad naqdi reza"
    assert name_key("Reza Naqdi Mohammad") == key
    assert name_key("mohammad  REZA naqdi") == key
    assert name_key("Ali Ali Hassan") == "ali hassan"


# Name-like fragments (stopwords, commas, acronyms, accents) mixed with arbitrary text.
names = st.lists(
    st.one_of(
        st.sampled_from(
            [" ", ",", ".", "'", "-", "Dr", "S.A.", "Jr.", "co", "ALI"]
            + ["é", "İ", "ß", "ＡＢ", "、"]
        ),
        st.text(max_size=4),
    ),
    max_size=10,
).map("".join)


@given(names)
def test_normalise_name_is_idempotent(name: str) -> None:
    once = normalise_name(name)
    assert normalise_name(once) == once


@given(names)
def test_output_is_lowercase_ascii_words(name: str) -> None:
    out = normalise_name(name)
    assert out == " ".join(out.split())
    assert all(c.isascii() and (c.isalnum() or c == " ") and not c.isupper() for c in out)


@given(names)
def test_name_key_matches_normalised_tokens(name: str) -> None:
    assert name_key(name) == " ".join(sorted(set(normalise_name(name).split())))
