"""Where a store's data came from: the synthetic demo town, or partners' real files.

Decided from what the store holds, never from a file name: each line of the
import log carries ``synthetic`` (revision 0004), written true only by
:func:`geo.demo.load_demo` through the importer's keyword-only ``synthetic``.
A real upload called ``demo_wards.geojson`` is therefore real, and deleting
the demo's imports does not leave a real store looking like the demo.

Three questions, each over the import log:

* :func:`store_is_synthetic`: at least one *live* (not deleted) import and all
  of them synthetic. The dashboard's "synthetic demo data" banner, the report
  pack's demo footnote and its sources follow it: they describe the data shown.
* :func:`store_holds_real`: a live import that is not synthetic.
* :func:`store_has_held_real`: any import, deleted ones included, that is not
  synthetic. The dashboard's open mode (no sign-in) follows this one, because
  a real import that was erased still leaves real things behind: its line in
  the import log (a file name such as ``flagged-addresses-march.csv``) and the
  audit log's entries (who imported and deleted what, and why), which open
  mode would show to anyone choosing "View as: admin".

The two kinds never share a store (:func:`refuse_mixing`), so the banner can
never sit above real rows: real data needs ``python -m geo demo --remove`` (or
a fresh store) first, and the demo needs a store that has never held real data.

Here, in the store layer, so that the figures (:mod:`geo.plan.outcomes`) can
ask without depending on the demo generator (:mod:`geo.demo`), which sits at the
end of the flow.

The import log also says where a file's rows came from when the same bytes
come again: :func:`earlier_import` finds the import of those bytes that the
store still holds whole (every row it stored, every row it rejected, for
reasons that depend on the file alone), which
:func:`geo.store.importer.recognise` takes as the answer a full re-read would
give, once it has proved that reading the file now would give it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import sqlalchemy as sa

from geo.core.errors import StoreError
from geo.store._segments import KEY_DTYPE, blob_to_keys, blob_to_table
from geo.store._tables import REJECT_TABLE, SEGMENT_TABLE

if TYPE_CHECKING:
    from sqlalchemy.engine import Connection

    from geo.store._store import Store

#: What ``python -m geo demo --remove`` writes as the reason of each deletion (audited).
REMOVE_DEMO_REASON = "removing the synthetic demo town"


class MixedDataError(StoreError):
    """Real data and the synthetic demo town would share a store: the import is refused, nothing is read or kept.

    A :class:`~geo.core.errors.StoreError` because the store's contents, not
    the file or the options, forbid it; the message names the way out.
    """


@dataclass(frozen=True)
class Provenance:
    """Counts of imports by where they came from.

    Attributes
    ----------
    synthetic
        Live (not deleted) imports of the synthetic demo town.
    real
        Live imports of anything else.
    real_ever
        Imports of anything else, deleted ones included.
    """

    synthetic: int
    real: int
    real_ever: int

    @property
    def is_synthetic(self) -> bool:
        """Something is loaded and all of it is the demo town."""
        return self.synthetic > 0 and self.real == 0


def provenance_of(conn: Connection, imports: sa.Table) -> Provenance:
    """:class:`Provenance` read on an open connection (inside the import's own transaction, for the check)."""
    live = imports.c.deleted_at.is_(None)
    real = imports.c.synthetic.is_(False)

    def count(condition: sa.ColumnElement[bool]) -> sa.ColumnElement[int]:
        return sa.func.coalesce(sa.func.sum(sa.case((condition, 1), else_=0)), 0)

    synthetic, live_real, real_ever = conn.execute(
        sa.select(count(live & imports.c.synthetic.is_(True)), count(live & real), count(real))
    ).one()
    return Provenance(synthetic=int(synthetic), real=int(live_real), real_ever=int(real_ever))


def provenance(store: Store) -> Provenance:
    """The store's :class:`Provenance`, in one query (cheap enough to ask on every page run)."""
    with store.engine.connect() as conn:
        return provenance_of(conn, store.tables["imports"])


def store_is_synthetic(store: Store) -> bool:
    """True when something is loaded and every live import is the synthetic demo town."""
    return provenance(store).is_synthetic


def store_holds_real(store: Store) -> bool:
    """True when a live import is not the demo town's."""
    return provenance(store).real > 0


def store_has_held_real(store: Store) -> bool:
    """True when any import, deleted ones included, was not the demo town's (see the module notes)."""
    return provenance(store).real_ever > 0


def refuse_mixing(held: Provenance, *, synthetic: bool) -> None:
    """Refuse an import that would put real data and the demo town in one store.

    Called by :func:`geo.store.importer.import_path` before it reads a file (so
    nothing is read in vain) and again by the store inside the import's
    transaction, after the write lock (so two imports at once cannot both pass
    the check: the second sees the first's committed line).

    Raises
    ------
    MixedDataError
        A real import into a store holding live demo imports, or a demo import
        into a store that holds or has held real data.
    """
    if not synthetic and held.synthetic:
        raise MixedDataError(
            "this store holds the synthetic demo town, and real data cannot be loaded beside it: "
            "remove the demo first with `python -m geo demo --remove`, or load the real data into a fresh store"
        )
    if synthetic and held.real:
        raise MixedDataError(
            "this store holds real data, and the synthetic demo town cannot be loaded beside it: "
            "load the demo into a fresh store, e.g. `python -m geo demo --db demo.sqlite`"
        )
    if synthetic and held.real_ever:
        raise MixedDataError(
            "this store has held real data (its import log and audit log still name it), so the synthetic "
            "demo town cannot be loaded into it: load the demo into a fresh store, e.g. "
            "`python -m geo demo --db demo.sqlite`"
        )


# --------------------------------------------------------------------------- an earlier import of the same bytes

#: Reasons given on more than a file's bytes and the import's options, and by whom: an import that gave
#: one cannot stand for a re-read of its file, which might now decide otherwise.
CONTEXT_REASONS = (
    "is already stored with different content",  # what the store held (geo.store._writes: a ref conflict)
    " is after ",  # the date (geo.validate: a month after the current month)
    "row is too long",  # a setting (geo.ingest: a line over NESTWATCH_MAX_LINE_BYTES)
)
#: What is read back of an earlier import's rejects.
_HELD = ("row", "column", "reason", "raw")


@dataclass(frozen=True)
class EarlierImport:
    """An import that still holds every row it stored and every row it rejected, and what it kept of them.

    Attributes
    ----------
    line
        Its line in the import log (a row of ``imports``).
    rejects
        ``row, column, reason, raw`` of its rejects, in the order it gave them (by row).
    keys
        ``k1, k2, ref, row`` of its first stored rows, in file order.
    month_max
        Its latest stored month.
    """

    line: Any
    rejects: pa.Table
    keys: np.ndarray
    month_max: str


def could_repeat(imports: sa.Table, *, kind: str, source_format: str, synthetic: bool) -> sa.ColumnElement[bool]:
    """Import log lines that a re-read of their file could repeat: live, and every row accepted stored by itself.

    A line whose rows were partly *already present* leaves those rows to other
    imports, which may be deleted since; a line of the other provenance
    (synthetic or real) is never one that a new import could repeat.
    """
    return sa.and_(
        imports.c.kind == kind,
        imports.c.source_format == source_format,
        imports.c.deleted_at.is_(None),
        imports.c.synthetic.is_(synthetic),
        imports.c.already_present == 0,
        imports.c.stored > 0,
    )


def earlier_import(
    conn: Connection,
    tables: Mapping[str, sa.Table],
    sha256: str,
    *,
    kind: str,
    source_format: str,
    synthetic: bool,
    first: int,
) -> EarlierImport | None:
    """The newest import of the bytes ``sha256`` (:func:`could_repeat`) of which the store holds everything, or None.

    Everything: as many rows in its segments as it stored (none erased since)
    and as many in the quarantine as it rejected (none quarantined by another
    import first, which would leave its reasons untold), and none rejected for
    a reason in :data:`CONTEXT_REASONS`. ``first`` is how many of its first
    stored rows' keys to read back (the key blob's first bytes only).
    """
    imp, seg, rej = tables["imports"], tables[SEGMENT_TABLE], tables[REJECT_TABLE]
    could = could_repeat(imp, kind=kind, source_format=source_format, synthetic=synthetic)
    for line in conn.execute(sa.select(imp).where(imp.c.sha256 == sha256, could).order_by(imp.c.id.desc())).all():
        mine = seg.c.import_id == line.id
        stored, month_max = conn.execute(
            sa.select(sa.func.coalesce(sa.func.sum(seg.c.rows), 0), sa.func.max(seg.c.month_max)).where(mine)
        ).one()
        held = sa.select(sa.func.coalesce(sa.func.sum(rej.c.rows), 0)).where(rej.c.import_id == line.id)
        if stored != line.stored or conn.execute(held).scalar_one() != line.rejected:
            continue
        blobs = conn.execute(sa.select(rej.c.data).where(rej.c.import_id == line.id).order_by(rej.c.id)).scalars()
        rejects = pa.concat_tables([blob_to_table(b, columns=_HELD) for b in blobs] or [_no_rejects()])
        if any(c in r for r in pc.unique(rejects.column("reason")).to_pylist() for c in CONTEXT_REASONS):
            continue
        keys = sa.func.substr(seg.c["keys"], 1, KEY_DTYPE.itemsize * first)
        head = conn.execute(sa.select(keys).where(mine).order_by(seg.c.id).limit(1)).scalar_one()
        return EarlierImport(line, rejects, blob_to_keys(bytes(head)), month_max)
    return None


def _no_rejects() -> pa.Table:
    return pa.table({c: pa.array([], pa.int64() if c == "row" else pa.large_string()) for c in _HELD})
