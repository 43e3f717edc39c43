"""What may leave of a typed address: characters, digits in any script, free text around a street, length.

Each case is worked by hand: the expected street is the words of the fixture a
person would call the street, nothing else. The property tests put a street
among words from a pool of personal details and check none of them survives.
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from geo.plan import _street
from geo.plan.places import texts_to_places, texts_to_streets


def _clean(text: str) -> str:
    return _street.clean_texts(pa.array([text], pa.large_string()))[0].as_py()


@pytest.mark.parametrize(
    ("text", "clean"),
    [
        ("Beacon\x07Court", "Beacon Court"),  # BEL (Cc)
        ("Beacon \u202eCourt", "Beacon Court"),  # right-to-left override (Cf)
        ("Beacon\u200bCourt", "Beacon Court"),  # zero-width space (Cf)
        ("Beacon\u2066Court\u2069", "Beacon Court"),  # bidi isolates (Cf), trailing one trimmed
        ("Beacon\x1b[31mCourt", "Beacon [31mCourt"),  # ESC (Cc) goes; the rest is text
        ("\uff22eacon Court", "Beacon Court"),  # full-width B: NFKC
        ("Beacon\r\n\tCourt", "Beacon Court"),
    ],
)
def test_control_and_format_characters_are_spaces(text, clean):
    assert _clean(text) == clean


@pytest.mark.parametrize(
    "text",
    [
        "Rear of 4 Elm Close (victim: Jane Doe)",
        "4 Elm Close jane.doe@example.com",
        "4 Elm Close - caller Mr John Smith 07700900123",
        "Outside Jane Doe house Elm Close",
        "c/o Jane Doe Elm Close",
        "4 Elm Close [Jane Doe]",
        "4 Elm Close; ring Jane on +44 7700 900123",
        "Jane Doe: 4 Elm Close",
        "4 Elm Close http://example.com/jane",
        '4 Elm Close "Jane Doe"',
        "Jane Doe's house, Elm Close",
        "4 Elm Close | Jane Doe",
        "4 Elm Close \u2014 Jane Doe",
    ],
)
def test_only_the_street_is_left_of_free_text(text):
    # by hand: the one run ending in a street word is "Elm Close"; every other word is a person's or a note's
    assert texts_to_streets([text]).tolist() == ["Elm Close"]


@pytest.mark.parametrize(
    "text",
    [
        "Jane Doe",  # a name and nothing else
        "jane.doe@example.com",
        "07700 900123",
        "(victim: Jane Doe)",
        "On or near Jane Doe's house",  # a partner writing police.uk's words: still no street in it
        "behind Jane's",
    ],
)
def test_a_text_with_no_street_names_none(text):
    place, street = texts_to_places([text])
    assert (place.tolist(), street.tolist()) == ([""], [""])


@pytest.mark.parametrize(
    "text",
    [
        "\u0661\u0662 Beacon Court",  # Arabic-Indic 12
        "\uff11\uff12 Beacon Court",  # full-width 12
        "\u216b Beacon Court",  # Roman numeral twelve (one character)
        "XII Beacon Court",
        "Twelve Beacon Court",
        "twenty-one Beacon Court",
        "No. Twelve, Beacon Court",
        "Number 12, Beacon Court",
        "\u0967\u0968 Beacon Court",  # Devanagari 12
        "12\u00bd Beacon Court",  # a vulgar fraction is a digit-like character
    ],
)
def test_door_numbers_in_any_digits_or_words_go(text):
    assert texts_to_streets([text]).tolist() == ["Beacon Court"]


@pytest.mark.parametrize(
    ("text", "street"),
    [
        ("St John's Road", "St John's Road"),  # a prefix word is kept
        ("12 Lower Ashley Road", "Lower Ashley Road"),
        ("12 London Road East", "London Road East"),  # a compass point after
        ("Church Hill Road", "Church Hill Road"),  # street words after the first
        ("Park Road", "Park Road"),  # a street word first is the name's own word
        ("12 elm close", "elm close"),  # case is the writer's
    ],
)
def test_a_street_keeps_its_own_words(text, street):
    assert texts_to_streets([text]).tolist() == [street]


def test_names_are_capped_at_a_word():
    # police.uk's own text keeps at most six words; any name at most 60 characters, cut at a word, with "…"
    long = "On or near " + " ".join(["Elm"] * 300) + " Close"
    [place], [street] = texts_to_places([long], police=True)
    assert street == "Elm Elm Elm Elm Elm Elm" and place == "On or near " + street
    words = np.array(["Abcdefghij " * 7], dtype=object)  # 77 characters; the 6th word ends at 65
    # cut at 60 falls inside word 6 ("Abcdefghij" at 55..65): words 1-5 (54 characters) and "…"
    assert _street.cap_length(words).tolist() == [" ".join(["Abcdefghij"] * 5) + "…"]
    assert _street.cap_length(np.array(["Beacon Court"], dtype=object)).tolist() == ["Beacon Court"]
    [street] = texts_to_streets(["x" * 1200])
    assert street == ""  # 1,200 characters of one word: no street, not a 1,200-character place


def test_only_police_uk_rows_keep_what_on_or_near_names():
    texts = ["On or near Jane Doe house", "On or near The Horsefair", "On or near A38"]
    partner_place, _ = texts_to_places(texts)
    police_place, _ = texts_to_places(texts, police=True)
    assert partner_place.tolist() == ["", "", ""]  # no street run in any: a partner's text names nothing
    assert police_place.tolist() == texts  # police.uk's anonymised snap names, as police.uk writes them


_PERSONAL = st.sampled_from(
    ["Jane", "Doe", "Mr", "Smith", "caller", "victim:", "(Jane", "Doe)", "jane.doe@example.com", "07700900123",
     "+44", "7700", "900123", "-", "c/o", "house", "re:", "John's", "[Smith]", "tel", "\u202e", "\x07"]
)  # fmt: skip


@settings(max_examples=300, deadline=None)
@given(st.lists(_PERSONAL, max_size=5), st.lists(_PERSONAL, max_size=5), st.booleans())
def test_no_personal_word_survives_around_a_street(before, after, numbered):
    """Personal details before and after "Elm Close" (none of them a street word): at most "Elm Close" is left."""
    text = " ".join([*before, *(["4"] if numbered else []), "Elm", "Close", *after])
    [street] = texts_to_streets([text])
    assert street == "Elm Close", (text, street)
