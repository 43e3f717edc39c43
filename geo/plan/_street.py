"""The street of an address or location text: what may leave the building of a text someone typed.

Private to :mod:`geo.plan` (:mod:`geo.plan.places` documents the rule and why).
Everything here is whole-array arrow/numpy work over the texts given: pass
distinct texts (a force holds ~60k), never one row per incident.

The defence is a class, not a list of examples:

* **Characters** first: control and format characters (Unicode ``Cc``, ``Cf``:
  BEL, the right-to-left override, zero-width spaces) become spaces, then NFKC
  folds full-width and other compatibility forms ("１２" is "12", "Ⅻ" is "XII"),
  then any space is one space (:func:`clean_texts`). No terminal, CSV or page
  sees a character that moves or hides text.
* **Digits** are any Unicode decimal digit (``\\p{Nd}``: "١٢" is a door number),
  any numeric character (``\\p{N}``) makes a word go, and number words ("Twelve",
  "No."/"Number") or Roman numerals at the start of a part are door numbers.
* **Free text** is broken off: ``@`` ``(`` ``)`` ``[`` ``]`` ``:`` ``;``
  quotes, a spaced dash, e-mail addresses, web addresses and phone numbers (six
  or more digits) end a part, and a partner's street is only the *shortest* run
  of words ending in a street word (:data:`STREET_WORDS`): one word before it
  (and "St", "Upper", "Old"… before that), street words and a compass point
  after it. Whatever stood before ("Outside Jane Doe house") or after ("caller
  Mr John Smith") is dropped. A part with no such run names no street: the
  cell's name falls to the next rule, never to the raw text.
* police.uk's own "On or near …" texts (only rows whose ``source`` is police.uk)
  keep whatever they name ("On or near The Horsefair"), cut at the same breaks,
  at most :data:`MAX_WORDS` words.
* Every name is at most :data:`MAX_CHARS` characters, cut at a word with "…".
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

__all__ = ["MAX_CHARS", "MAX_WORDS", "STREET_WORDS", "cap_length", "clean_texts", "streets"]

#: The last words of a street's name ("Beacon Court"): only a run of words ending in one can be a partner's street.
_STREET_WORDS = (
    "road rd street st lane ln avenue ave close cl way drive dr court ct place pl walk gardens gdns crescent cres "
    "grove gr park hill square sq terrace tce parade pde view mews mead row green end meadow meadows gate rise "
    "croft vale chase yard circle broadway boulevard embankment quay wharf brow heights approach bank passage "
    "path fields leaze orchard reach causeway highway bypass market hey fold"
)
STREET_WORDS = tuple(_STREET_WORDS.split())
#: Words kept before a street's one word ("St John's Road", "Lower Ashley Road").
_PREFIXES = ("st", "st.", "saint", "upper", "lower", "old", "new", "great", "little", "north", "south", "east", "west")
#: Words kept after the street word ("London Road East").
_COMPASS = ("north", "south", "east", "west")
#: Words that never start a street: a preposition or a person's home ("rear of Close", "her house Close").
_NOT_STARTS = (
    "of the and or to in on at by near outside behind opposite rear front side from his her their my our your "
    "house home flat mr mrs ms miss mx victim caller tenant resident neighbour suspect"
)
_NOT_STREET = tuple(_NOT_STARTS.split())
#: The longest name police.uk's own text may give (words after "On or near"), and the longest of any name.
MAX_WORDS = 6
MAX_CHARS = 60

_WS = r"[\s\x{00A0}\x{2000}-\x{200B}\x{202F}\x{3000}]+"
_PREFIX = r"(?i)^on or near\b"
_D = r"\p{Nd}"
_POSTCODE = r"(?i)\b[A-Z]{1,2}" + _D + r"[A-Z0-9]?\s*" + _D + r"[A-Z]{2}\b"
_FLOOR = r"(?i)\b(?:ground|first|second|third|fourth|top|upper|lower|basement|" + _D + r"+(?:st|nd|rd|th))\s+floor\b"
_UNIT = (
    r"(?i)\b(?:flat|apartment|apt|unit|room|suite|studio|maisonette|block|plot|no|number)\b\.?\s*"
    r"(?:[A-Z]?" + _D + r"[^\s,]*|[A-Z]\b)"
)
#: Free text after a street: e-mail and web addresses, phone numbers, brackets, colons, quotes, a spaced dash.
_FREE = (
    r"(?i)\S*@\S*|\S*://\S*|\bwww\.\S*|\+?" + _D + r"(?:[\s-]?" + _D + r"){5,}|"
    r"[()\[\]{}<>:;\"“”@|]|\s[-–—]+\s"
)
_NUMBER_WORDS = (
    "one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|thirteen|fourteen|fifteen|sixteen|"
    "seventeen|eighteen|nineteen|twenty"
)
#: A door number or range in any digits ("12", "12a", "12-14", "3/12", "١٢").
_NUMBER = r"(?:^|[\s,])" + _D + r"[^\s,]*(?:\s*(?:-|–|/|&|\band\b|\bto\b)\s*" + _D + r"[^\s,]*)*"
#: A door number in words ("Twelve", "No. Twelve") or a Roman numeral: not in police.uk's texts ("Two Mile Hill Road").
_NUMBER_WORD = (
    r"(?i:(?:^|,)\s*(?:no\.?|number)?\s*(?:" + _NUMBER_WORDS + r")(?:[\s-](?:" + _NUMBER_WORDS + r"))?\b)"
    r"|(?:^|,)\s*[IVXLC]{2,}\b"
)
_MARK = "\x01"
_ROAD = r"^[ABM][0-9]{1,4}(?:\(M\))?$"  # a road number (A38, M5, B4051): kept in police.uk's own texts
_STREET_END = r"(?i)\b(?:" + "|".join(STREET_WORDS) + r")\.?$"
#: A word a street's name may hold: letters with apostrophes, hyphens or a closing dot ("St.", "O'Brien").
_NAME_WORD = r"^\p{L}[\p{L}'’\-]*\.?$"


def clean_texts(text: pa.Array) -> pa.Array:
    """Control and format characters as spaces, NFKC, one space for any run of spaces, trimmed (arrow)."""
    text = pc.replace_substring_regex(text, r"[\p{Cc}\p{Cf}]", " ")
    text = pc.utf8_normalize(text, form="NFKC")
    return pc.utf8_trim_whitespace(pc.replace_substring_regex(text, _WS, " "))


def cap_length(names: np.ndarray) -> np.ndarray:
    """Each name cut to :data:`MAX_CHARS` characters at a word, with "…" (a name is a label, not a note)."""
    names = np.asarray(names, dtype=object)
    lengths = pc.utf8_length(pa.array(names.tolist(), pa.large_string())).to_numpy(zero_copy_only=False)
    long = np.flatnonzero(np.asarray(lengths) > MAX_CHARS)
    if len(long):
        cut = pc.utf8_slice_codeunits(pa.array(names[long].tolist(), pa.large_string()), 0, MAX_CHARS)
        cut = pc.replace_substring_regex(cut, r"\s+\S*$", "")  # the last (cut) word goes
        names = names.copy()
        trimmed = pc.utf8_rtrim(cut, characters=" ,.-").to_numpy(zero_copy_only=False).astype(object)
        names[long] = trimmed + "…"
    return names


def _is(words: pa.Array, vocabulary: tuple[str, ...] | list[str]) -> np.ndarray:
    keys = pc.utf8_lower(pc.utf8_rtrim(words, characters="."))
    bare = pc.is_in(keys, value_set=pa.array(sorted(vocabulary), pa.large_string()))
    full = pc.is_in(pc.utf8_lower(words), value_set=pa.array(sorted(vocabulary), pa.large_string()))
    return np.asarray(pc.or_(bare, full).to_numpy(zero_copy_only=False), dtype=bool)


def _match(values: pa.Array, pattern: str) -> np.ndarray:
    return np.asarray(pc.match_substring_regex(values, pattern).to_numpy(zero_copy_only=False), dtype=bool)


def _join(words: pa.Array, keep: np.ndarray, part_of: np.ndarray, n: int) -> pa.Array:
    """The kept words of each of ``n`` parts joined by spaces (``""`` for none)."""
    offsets = np.concatenate([[0], np.cumsum(np.bincount(part_of[keep], minlength=n))])
    kept = pa.LargeListArray.from_arrays(pa.array(offsets, pa.int64()), words.filter(pa.array(keep)))
    return pc.binary_join(kept, pa.scalar(" ", pa.large_string()))


def _runs(words: pa.Array, part_of: np.ndarray, position: np.ndarray) -> np.ndarray:
    """Per word, whether it is in its part's first street run (the shortest run ending in a street word)."""
    n = len(words)
    good = _match(words, _NAME_WORD)
    street, prefix, compass, stop = (_is(words, v) for v in (STREET_WORDS, _PREFIXES, _COMPASS, _NOT_STREET))
    before = np.arange(n) - 1
    cand = street & good & (position >= 1)
    cand[1:] &= good[:-1] & ~stop[:-1]
    keep = np.zeros(n, dtype=bool)
    parts, first = np.unique(part_of[cand], return_index=True)
    if not len(parts):
        return keep
    end = np.flatnonzero(cand)[first]
    start = before[end]
    for _ in range(3):  # street words and a compass point after ("Church Hill Road", "London Road East")
        nxt = np.minimum(end + 1, n - 1)
        ok = (end + 1 < n) & (part_of[nxt] == parts) & good[nxt] & (street[nxt] | compass[nxt])
        end = np.where(ok, nxt, end)
    for _ in range(2):  # "St", "Upper"… before ("St John's Road")
        prv = np.maximum(start - 1, 0)
        ok = (start >= 1) & (part_of[prv] == parts) & good[prv] & prefix[prv]
        start = np.where(ok, prv, start)
    lengths = end - start + 1
    idx = np.repeat(start - np.concatenate([[0], np.cumsum(lengths)[:-1]]), lengths) + np.arange(lengths.sum())
    keep[idx] = True
    return keep


def streets(text: pa.Array, police: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The street of each (clean) text, and whether it is police.uk's own "On or near" form.

    ``police`` says, per text, whether it came from a police.uk file (the
    ``source`` column): only those keep what their "On or near" names.
    """
    lenient = _match(text, _PREFIX) & np.asarray(police, dtype=bool)
    body = pc.replace_substring_regex(text, _PREFIX, "")
    body = pc.replace_substring_regex(body, _FREE, ",")
    for pattern in (_POSTCODE, _FLOOR, _UNIT):  # each becomes a break between parts
        body = pc.replace_substring_regex(body, pattern, ",")
    body = pc.replace_substring_regex(body, _NUMBER, "," + _MARK)
    worded = pc.replace_substring_regex(body, _NUMBER_WORD, "," + _MARK)
    body = pc.if_else(pa.array(lenient), body, worded)
    lists = pc.split_pattern_regex(body, r",")
    parts = pc.utf8_trim_whitespace(pc.list_flatten(lists))
    owner = np.asarray(pc.list_parent_indices(lists).to_numpy(zero_copy_only=False), dtype=np.int64)
    filled = pc.not_equal(parts, "").to_numpy(zero_copy_only=False)
    parts, owner = parts.filter(pa.array(filled)), owner[filled]
    numbered = pc.starts_with(parts, _MARK).to_numpy(zero_copy_only=False)
    words = pc.utf8_split_whitespace(pc.replace_substring(parts, _MARK, " "))
    word = pc.list_flatten(words)
    part_of = np.asarray(pc.list_parent_indices(words).to_numpy(zero_copy_only=False), dtype=np.int64)
    offsets = np.asarray(words.offsets.to_numpy(zero_copy_only=False), dtype=np.int64)
    position = np.arange(len(word)) - offsets[part_of]
    loose = lenient[owner][part_of]
    # police.uk's own text: every word but those with a digit (road numbers aside) or of punctuation only
    digit = _match(word, r"\p{N}")
    mark = _match(word, r"^[^\p{L}\p{N}]*$")
    whole = ~mark & (~digit | _match(word, _ROAD)) & (position < MAX_WORDS)
    keep = np.where(loose, whole, _runs(word, part_of, position))
    clean = _join(word, keep, part_of, len(parts))
    named = pc.not_equal(clean, "").to_numpy(zero_copy_only=False)
    streety = _match(clean, _STREET_END) | ~lenient[owner]  # a partner's part is named only by its street run
    after_number = np.zeros(len(parts), dtype=bool)  # a number alone ("12, Beacon Court") numbers the next part
    after_number[1:] = numbered[:-1] & ~named[:-1] & (owner[1:] == owner[:-1])
    rank = np.full(len(parts), 9, dtype=np.int64)
    rank[lenient[owner] & named] = 2  # police.uk's own text: whatever it names
    rank[streety & named] = 1  # an unnumbered part holding a street
    rank[(numbered | after_number) & named] = 0  # the street after a door number
    ok = rank < 9
    order = np.lexsort((np.arange(len(parts))[ok], rank[ok], owner[ok]))
    best_owner, first = np.unique(owner[ok][order], return_index=True)
    street = np.full(len(text), "", dtype=object)
    street[best_owner] = clean.filter(pa.array(ok)).take(pa.array(order[first])).to_numpy(zero_copy_only=False)
    return cap_length(street), lenient
