"""Each kind's own field checks, found by the kind's name: the registry :data:`FIELD_CHECKS`.

Why a registry: what every table kind shares (blank required text, coordinates,
content keys, repeated refs) is run by the validation paths in
:mod:`geo.validate._kinds` and :mod:`geo.validate._incidents`; what differs
between kinds (grant and expiry dates, indicators, counts, categories) is one
function per kind, looked up here. Adding a kind of case data means adding its
:class:`~geo.core.schema.Kind` and one entry below, not a branch in the paths;
a test checks that every kind in :data:`geo.core.schema.KINDS` that is a table
has exactly one entry (boundaries are shapes: :func:`geo.validate.validate_boundaries`).

Every check has one signature, :data:`FieldCheck`: it reads the stripped text
of the table by canonical column, writes its parsed columns into ``out`` by
name and records rejections on the :class:`~geo.validate._verdict.Rejector`
(the first failing check of a row gives its reason, so the order of the checks
inside a function is part of its behaviour).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from geo.core.keys import as_string_array
from geo.core.schema import (
    CLOSURE_ORDER_TYPES,
    CLOSURE_STATUSES,
    FLAGGED_STATUSES,
    INDICATORS,
    LINE_RECORDS,
    indicator_lookup,
    normalise_label,
)
from geo.core.signals import accepted_words, signal_lookup
from geo.validate import _bounds
from geo.validate._fields import (
    FieldCheck,
    check_dates,
    check_instants,
    check_months,
    check_whole_numbers,
    check_years,
    says,
)
from geo.validate._incidents import incident_fields
from geo.validate._verdict import Rejector

__all__ = ["FIELD_CHECKS", "FieldCheck"]


def closure_fields(text: Mapping[str, pd.Series], out: pd.DataFrame, rej: Rejector) -> None:
    """Closure orders: grant and expiry dates (expiry not before grant), order type and status vocabularies."""
    granted = check_dates(text["granted"], "granted", rej, required=True)
    expiry = check_dates(text["expiry"], "expiry", rej, required=True)
    before = ((expiry != "") & (granted != "") & (expiry < granted)).to_numpy()
    rej.reject(before, "expiry", "expiry date is before the grant date")
    out["granted"], out["expiry"] = granted, expiry
    out["order_type"] = vocabulary(text["order_type"], "order_type", CLOSURE_ORDER_TYPES, rej)
    out["status"] = vocabulary(text["status"], "status", CLOSURE_STATUSES, rej)


def victim_fields(text: Mapping[str, pd.Series], out: pd.DataFrame, rej: Rejector) -> None:
    """Safeguarded people: the date they were safeguarded (their home may be unknown: see the Kind)."""
    out["date_safeguarded"] = check_dates(text["date_safeguarded"], "date_safeguarded", rej, required=True)


def flagged_fields(text: Mapping[str, pd.Series], out: pd.DataFrame, rej: Rejector) -> None:
    """Addresses of concern: flag and closing dates, status (from the closing date when blank), indicators.

    Indicators arrive in partners' own spellings, separated by ``;``, ``|``,
    ``,`` or new lines; they are stored as the vocabulary's keys in its order,
    each once, so that two spellings of one list are one list.
    """
    first = check_dates(text["first_flagged"], "first_flagged", rej, required=True)
    closed = check_dates(text["closed"], "closed", rej, required=False)
    rej.reject(
        ((closed != "") & (closed < first)).to_numpy(),
        "closed",
        "closed before it was first flagged",
    )
    out["first_flagged"], out["closed"] = first, closed
    status = vocabulary(text["status"], "status", FLAGGED_STATUSES, rej)
    out["status"] = status.where(status != "", np.where(closed != "", "closed", "open"))
    lookup = indicator_lookup()
    order = list(INDICATORS)

    def parse(cell: str) -> str:
        parts = [p.strip() for p in re.split(r"[;|,\n]", cell) if p.strip()]
        keys = [lookup.get(normalise_label(p)) for p in parts]
        known = [k for k in keys if k is not None]
        if len(known) < len(keys):
            bad = [p for p, k in zip(parts, keys, strict=True) if k is None]
            return "!" + ", ".join(bad)
        return ";".join(sorted(set(known), key=order.index))

    parsed = map_unique(text["indicators"], parse).astype(object)
    bad = parsed.str.startswith("!").to_numpy(dtype=bool)
    allowed = "; ".join(label for label, _ in INDICATORS.values())
    rej.reject(bad, "indicators", says("unknown indicator: ", parsed.str.slice(1), f" (allowed: {allowed})"))
    out["indicators"] = parsed.where(~bad, "")


def count_fields(text: Mapping[str, pd.Series], out: pd.DataFrame, rej: Rejector) -> None:
    """Counts of safeguarded people per area and month: a month, and a whole number >= 0."""
    out["month"] = check_months(text["month"], "month", rej, required=True)
    count = pd.to_numeric(text["count"], errors="coerce")
    bad = count.isna() | (count < 0) | (count != np.floor(count))
    rej.reject(bad.to_numpy(), "count", "count is not a whole number >= 0")
    out["count"] = count.fillna(0).astype("int64")


#: More people than any ward or estate holds (the largest local authority, Birmingham, has about 1.2 million):
#: a population above it is a typing error or another column read as the population.
MOST_RESIDENTS = 2_000_000


#: What an area code looks like: a letter, then letters and digits. ONS codes are a letter, two digits and six
#: more (E05001234, W05000981, S13002516, N08000101); councils' own estate codes follow the same shape (the
#: demo's XEST002). A spreadsheet formula (``=HYPERLINK("x")``), a name with spaces or punctuation is not a code
#: any boundary carries, so it could only ever sit unmatched: refused, saying why, rather than stored with a note.
AREA_CODE = re.compile(r"[A-Za-z][A-Za-z0-9]*")


def population_fields(text: Mapping[str, pd.Series], out: pd.DataFrame, rej: Rejector) -> None:
    """Residents per area and year: an area code, a whole number of people (0 to :data:`MOST_RESIDENTS`) and a
    plausible year."""
    code = text["code"]
    shaped = code.str.fullmatch(AREA_CODE.pattern).fillna(False).to_numpy(dtype=bool)
    rej.reject(
        (code != "").to_numpy(dtype=bool) & ~shaped,
        "code",
        says("code is not an area code (a letter, then letters and digits, e.g. E05001234): ", code),
    )
    out["population"] = check_whole_numbers(
        text["population"],
        "population",
        rej,
        required=True,
        most=MOST_RESIDENTS,
        why_most="no ward or estate holds so many (the largest local authority has about 1.2 million)",
    )
    out["year"] = check_years(text["year"], "year", rej, required=True)


#: The ``source`` of a patrol ping whose file names none: a tracker's CSV export.
DEFAULT_PING_SOURCE = "gps"


def patrol_fields(text: Mapping[str, pd.Series], out: pd.DataFrame, rej: Rejector) -> None:
    """Patrol pings: the moment, in UTC (:func:`~geo.validate._fields.check_instants`), and where it came from.

    The unit is required text and the point required coordinates, judged for
    every kind; (unit, time) is the ping's identity (the Kind's key columns):
    one unit cannot be in two places at one instant.
    """
    # the end of tomorrow: today is a date without a clock time, and a receiver's zone may be ahead of UTC
    latest = pd.Timestamp(_bounds.today(), tz="UTC") + pd.Timedelta(days=2)
    out["time"] = check_instants(text["time"], "time", rej, required=True, latest=latest)
    out["source"] = text["source"].where(text["source"] != "", DEFAULT_PING_SOURCE).astype("str")


#: A UPRN: up to 12 digits (OS AddressBase). Kept as text, so that a leading zero a spreadsheet kept is kept.
UPRN = re.compile(r"\d{1,12}")


def property_fields(text: Mapping[str, pd.Series], out: pd.DataFrame, rej: Rejector) -> None:
    """Homes: a UPRN, when given, is up to 12 digits (a ``.0`` or a thousands comma means a spreadsheet made it
    a number, and it may have lost leading zeros on the way: refused, so that the file is exported as text)."""
    uprn = text["uprn"]
    shaped = uprn.str.fullmatch(UPRN.pattern).fillna(False).to_numpy(dtype=bool)
    rej.reject(
        (uprn != "").to_numpy(dtype=bool) & ~shaped,
        "uprn",
        says("uprn is not a UPRN (up to 12 digits, kept as text): ", uprn),
    )


def signal_fields(text: Mapping[str, pd.Series], out: pd.DataFrame, rej: Rejector) -> None:
    """What partners noticed: the address named by a ref or a UPRN (or both), the date, and the signal in the
    vocabulary's words (:data:`geo.core.signals.SIGNALS`), stored as its key.

    A word the vocabulary does not know is refused, listing the accepted ones: guessing that "door" meant a
    lock change would make a rule fire (or stay silent) on a guess.
    """
    nameless = ((text["ref"] == "") & (text["uprn"] == "")).to_numpy(dtype=bool)
    rej.reject(nameless, "ref", "neither ref nor uprn: name the property (its ref, its UPRN or both)")
    property_fields(text, out, rej)  # a UPRN as homes have it
    out["date"] = check_dates(text["date"], "date", rej, required=True)
    lookup = signal_lookup()
    key = map_unique(text["signal"], lambda v: lookup.get(normalise_label(v), "")).astype("str")
    unknown = ((text["signal"] != "") & (key == "")).to_numpy(dtype=bool)
    rej.reject(unknown, "signal", says("unknown signal: ", text["signal"], f" (accepted: {accepted_words()})"))
    out["signal"] = key


#: How a ``record`` is spelt in intelligence exports -> :data:`geo.core.schema.LINE_RECORDS`.
_RECORD_WORDS = {
    **{w: "flagged" for w in ("flagged", "flag", "flaggedaddress", "addressofconcern", "address", "cuckooing")},
    **{w: "closure" for w in ("closure", "closures", "closureorder", "order", "premisesclosureorder")},
    **{w: "warrant" for w in ("warrant", "warrants", "searchwarrant", "drugswarrant", "misusewarrant")},
}
_SPACES = re.compile(r"\s+")


def line_name(text: str) -> str:
    """One spelling per group or line: quotes and a leading "the" dropped, spaces collapsed, each word
    capitalised, so "the 'DEE' line", "Dee  Line" and "dee line" are one line ("Dee Line")."""
    words = _SPACES.sub(" ", text.replace('"', " ").replace("'", " ").replace("\u2019", " ")).strip()
    if words.lower().startswith("the "):
        words = words[4:]
    return " ".join(w[:1].upper() + w[1:].lower() for w in words.split(" ") if w)


def line_fields(text: Mapping[str, pd.Series], out: pd.DataFrame, rej: Rejector) -> None:
    """Intelligence links: the line's name normalised (:func:`line_name`), the record it links (flagged address,
    closure order or warrant), and the date. A warrant is in no other table, so its row must carry its own point
    and date; a flagged address or closure order takes them from its record when they are blank."""
    out["line"] = map_unique(text["line"], line_name).astype("str")
    rej.reject(
        ((text["line"] != "") & (out["line"] == "")).to_numpy(dtype=bool), "line", "line has no letters or digits"
    )
    record = map_unique(text["record"], lambda v: _RECORD_WORDS.get(normalise_label(v), "")).astype("str")
    rej.reject(
        ((text["record"] != "") & (record == "")).to_numpy(dtype=bool),
        "record",
        says("unknown record: ", text["record"], f" (allowed: {', '.join(LINE_RECORDS)})"),
    )
    out["record"] = record
    out["date"] = check_dates(text["date"], "date", rej, required=False)
    warrant = (record == "warrant").to_numpy(dtype=bool)
    rej.reject(
        warrant & out["lat"].isna().to_numpy(), "lat", "a warrant needs its point (lat/lng): no other table has it"
    )
    rej.reject(warrant & (out["date"] == "").to_numpy(dtype=bool), "date", "a warrant needs the date it was executed")


#: Kind name -> the checks of that kind's own fields (every table kind has exactly one).
FIELD_CHECKS: dict[str, FieldCheck] = {
    "incidents": incident_fields,
    "closures": closure_fields,
    "victims": victim_fields,
    "victim_counts": count_fields,
    "flagged": flagged_fields,
    "population": population_fields,
    "patrols": patrol_fields,
    "properties": property_fields,
    "signals": signal_fields,
    "lines": line_fields,
}


# --------------------------------------------------------------------------- helpers


def vocabulary(text: pd.Series, col: str, allowed: tuple[str, ...], rej: Rejector) -> pd.Series:
    """``text`` lower-cased where it is one of ``allowed`` (or blank); anything else rejected, naming the choices."""
    lowered = text.str.lower()
    bad = ((lowered != "") & ~lowered.isin(allowed)).to_numpy()
    rej.reject(bad, col, says(f"unknown {col} (allowed: {', '.join(allowed)}): ", text))
    return lowered.where(~bad, "").astype("str")


def map_unique(values: pd.Series, fn: Callable[[str], str | None]) -> pd.Series:
    """Apply ``fn`` once per distinct value: columns repeat a handful of values a million times."""
    return by_distinct(values, lambda u: u.map(fn).astype("str"))


def by_distinct(values: pd.Series, fn: Callable[[pd.Series], pd.Series]) -> pd.Series:
    """Run a column-wise ``fn`` on the distinct values only and spread its result to every row.

    Months, categories, dates and statuses repeat a few values across a
    million rows, so parsing each once is what keeps validation fast.
    """
    enc = pc.dictionary_encode(as_string_array(values))
    distinct = pd.Series(enc.dictionary, dtype="str")
    result = fn(distinct)
    if isinstance(result.dtype, pd.StringDtype):
        taken = pa.array(result, type=pa.string()).take(enc.indices)  # missing stays missing
        return pd.Series(taken, index=values.index, dtype="str")
    return pd.Series(result.to_numpy()[enc.indices.to_numpy(zero_copy_only=False)], index=values.index)
