"""Incidents, the bulk kind, validated column-wise in arrow.

Why a module of its own: a force-year of police.uk data is a million rows, and
an import must stay within a few times a bare ``pandas.read_csv``. This path
(taken by every :attr:`~geo.core.schema.Kind.bulk` kind) runs the same checks,
in the same order, as :func:`geo.validate._kinds.validate_table` runs for the
other kinds, but every column is stripped, parsed, checked and
hashed once per distinct value (:class:`~geo.core.arrowtext.TextColumn`), the
content keys are folded on the other core while the rows are checked, and the
accepted rows stay arrow, dictionary-encoded, until the store writes them as
Parquet. Its results must not depend on the reader that ran or on how the text
was held (tests compare them row for row).
"""

from __future__ import annotations

from collections.abc import Mapping, MutableMapping

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from geo.core.arrowtext import TextColumn
from geo.core.keys import combine_hashes, numbers_to_hash, repeated, salt_repeats
from geo.core.parallel import in_background, thread_map
from geo.core.rejects import concat_rejects
from geo.core.schema import Kind, category_lookup, normalise_label
from geo.ingest.readers import RawTable
from geo.validate._bounds import POLICE_UK_MONTHS
from geo.validate._fields import (
    CoordMode,
    FieldCheck,
    check_coordinates,
    check_dates,
    check_key_lengths,
    check_months,
    check_times_of_day,
    says,
)
from geo.validate._identity import IncidentColumns, reject_repeated_refs
from geo.validate._verdict import Rejector, Validated, rejects_frame

#: The ``source`` of rows read from police.uk's own files (their months start with police.uk's coverage).
POLICE_UK = "police.uk"


def validate_columnwise(raw: RawTable, kind: Kind, fields: FieldCheck, *, coords: CoordMode) -> Validated:
    """:func:`geo.validate._kinds.validate_table` for a bulk kind (a force-year of incidents is a million rows).

    The same checks, in the same order, as for the other kinds, but on arrow
    text rather than pandas: every column is stripped, parsed, checked and
    hashed once per distinct value (:class:`TextColumn`), and the accepted rows
    stay arrow, dictionary-encoded, until they are written as Parquet.
    ``fields`` is the kind's own field check (from :data:`geo.validate._checks.FIELD_CHECKS`).
    """
    rows = raw.rows
    n = len(rows)
    rej = Rejector(n, raw.columns)
    notes = list(raw.notes)
    text = _columnwise_text(raw, kind)
    keyed = [c for c in kind.column_names if c not in kind.mutable_columns]  # as geo.validate._identity.content_keys
    # columns that enter the key as read are hashed on the other core while the rows are checked
    as_read = [text[c] for c in keyed if c not in ("month", "date", "category", "lat", "lng")]
    early = in_background(lambda: [t.hash_parts() for t in as_read])
    out: dict[str, TextColumn | np.ndarray] = {}
    for col in kind.columns:
        if col.dtype == "str":
            out[col.name] = text[col.name]
            if col.required:
                rej.reject(text[col.name].blank(), col.name, f"{col.name} is blank")
    check_key_lengths(text, kind, rej)
    coded: dict[str, tuple[np.ndarray, np.ndarray]] = {}
    out["lat"], out["lng"], note = check_coordinates(
        text, rej, coords=coords, optional=kind.coordinates_optional, coded=coded
    )
    if note:
        notes.append(note)
    fields(text, out, rej)

    early.result()
    # the keys do not depend on the checks below: fold them meanwhile
    folded = in_background(lambda: combine_hashes([_column_hashes(out[c], coded.get(c)) for c in keyed], n, salt="key"))
    ref = out["ref"]
    assert isinstance(ref, TextColumn)
    ref_hash, ref_blank = ref.hashes()[0].copy(), ref.blank()
    given = np.flatnonzero(~ref_blank)
    ref_again = np.zeros(n, dtype=bool)  # rows whose ref another row has too
    ref_again[given] = repeated(ref_hash[given])
    among = ref_blank | ref_again  # a row with a ref of its own cannot repeat another row
    keys = in_background(lambda: salt_repeats(*folded.result(), among=among))
    reject_repeated_refs(IncidentColumns(out, rows, ref_again=ref_again), kind, rej)
    ref_hash[ref_hash == 0] = 1  # as geo.store._segments.refs_to_hash: 0 stands for a blank ref
    ref_hash[ref_blank] = 0

    ok = rej.ok
    rejects = rejects_frame(raw, ~ok, rej)
    k1, k2 = keys.result()
    arrays = {c: v.arrow() if isinstance(v, TextColumn) else pa.array(v) for c, v in out.items()}
    table = pa.table({**{c: arrays[c] for c in kind.column_names}, "_row": rows, "_k1": k1, "_k2": k2})
    return Validated(
        kind.name,
        raw.file,
        None,
        concat_rejects([raw.rejects, rejects]),
        notes,
        raw=raw,
        headings=raw.columns,
        ok=ok,
        arrow=table,
        ref_hash=ref_hash,
    )


def _columnwise_text(raw: RawTable, kind: Kind) -> dict[str, TextColumn]:
    """Each canonical column of a bulk file as stripped text; absent ones blank, ``source`` constant."""
    n = len(raw.rows)
    present = [c for c in (*kind.column_names, "easting", "northing") if c in raw.columns and c != "source"]

    def read(col: str) -> TextColumn:
        head = raw.columns[col]
        return TextColumn.of(raw.arrow.column(head) if raw.arrow is not None else raw.original[head])

    text = dict(zip(present, thread_map(read, present), strict=True))
    for col in kind.column_names:
        if col not in text:
            text[col] = TextColumn.constant(raw.source if col == "source" else "", n)
    return text


def _column_hashes(
    values: TextColumn | np.ndarray, coded: tuple[np.ndarray, np.ndarray] | None = None
) -> tuple[np.ndarray, np.ndarray] | tuple[np.ndarray, np.ndarray, np.ndarray]:
    """A column's part of the content key, exactly as :func:`geo.core.keys.frame_to_hash` hashes it.

    Numbers given ``coded`` (per distinct value, a code per row) are hashed once per value.
    """
    if isinstance(values, TextColumn):
        return values.hash_parts()
    if coded is not None:
        return (*numbers_to_hash(coded[0]), coded[1])
    return numbers_to_hash(values)


def incident_fields(
    text: Mapping[str, TextColumn], out: MutableMapping[str, TextColumn | np.ndarray], rej: Rejector
) -> None:
    """Incidents: a month or a date (the month taken from the date when blank), a known police.uk category,
    a time of day (``HH:MM`` or ``HH:MM:SS``) when given.

    Months and dates must fall within their bounds (:data:`geo.validate._bounds.DATE_BOUNDS`);
    police.uk rows' months also within police.uk's coverage, judged first so that the reason names it.
    """
    has_month = ~text["month"].blank()
    has_date = ~text["date"].blank()
    rej.reject(~has_month & ~has_date, "month", "month and date are both blank")
    date = check_dates(text["date"], "date", rej, required=False)
    source = text["source"]
    police = source.spread(pc.equal(source.values, POLICE_UK).to_numpy(zero_copy_only=False))
    month = check_months(text["month"], "month", rej, required=False, stricter=(POLICE_UK_MONTHS, police))
    out["date"] = date
    out["month"] = month if has_month.all() else month.where(has_month, date.map(lambda d: d.str.slice(0, 7)))
    cats = category_lookup()
    category = text["category"]
    canon = category.map(lambda u: u.map(lambda v: cats.get(normalise_label(v), "")))
    unknown = ~category.blank() & canon.blank()
    rej.reject(unknown, "category", says("unknown category: ", category))
    out["category"] = canon
    out["time"] = check_times_of_day(text["time"], "time", rej)  # the hour of day, for a plan's hot hours
