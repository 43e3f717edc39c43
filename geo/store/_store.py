"""Persistence behind one interface: a SQLite file by default, any SQLAlchemy URL otherwise.

Design choices that keep "nothing lost" true:

* every stored row carries a 128-bit content key (``k1``, ``k2``) with a unique
  index, so re-importing a file (or the same rows from another file) stores
  nothing twice, while identical police.uk rows, which are separate incidents,
  keep distinct keys;
* an import (all files of an archive) is one transaction: a failure part-way
  leaves no trace;
* rejected rows are kept in ``rejects`` (the quarantine) with file, row,
  column and reason, and can be listed and exported.

The tables are declared in :mod:`geo.store._tables`; the bulk writes an import makes
inside its transaction are in :mod:`geo.store._writes`.
"""

from __future__ import annotations

import datetime as dt
import json
import os
from collections.abc import Callable, Iterable, Sequence
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Any

import alembic.util
import geopandas as gpd
import numpy as np
import pandas as pd
import pyarrow as pa
import shapely
import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from geo.core.errors import OptionError, StoreError
from geo.core.parallel import in_background
from geo.core.rejects import REJECT_COLUMNS, concat_rejects
from geo.core.schema import BOUNDARY_KINDS, KINDS, WGS84, Kind
from geo.store import _derived, _release, _writes, migrations
from geo.store._derived import DERIVED_KEEP
from geo.store._segments import blob_to_table, parquet_to_table, quarantine
from geo.store._tables import (
    AUDIT_COLUMNS,
    AUDIT_TABLE,
    DERIVED_TABLE,
    METADATA,
    REJECT_TABLE,
    SEGMENT_KINDS,
    SEGMENT_TABLE,
)
from geo.store.provenance import provenance_of, refuse_mixing
from geo.validate import Validated

if TYPE_CHECKING:
    from geo.store.audit import AuditEntry

PROJECT_ROOT = Path(__file__).resolve().parents[2]
DEFAULT_DB_PATH = PROJECT_ROOT / "data" / "nestwatch.sqlite"


def default_url() -> str:
    """Where the store lives: ``NESTWATCH_DATABASE_URL``, else the SQLite file
    ``NESTWATCH_DB``, else ``data/nestwatch.sqlite`` in the project."""
    url = os.environ.get("NESTWATCH_DATABASE_URL")
    if url:
        return url
    path = os.environ.get("NESTWATCH_DB") or str(DEFAULT_DB_PATH)
    return path if "://" in path else f"sqlite:///{Path(path).resolve()}"


def resolve_url(url: str | os.PathLike[str] | None) -> str:
    """A SQLAlchemy URL from what a user gives: a URL, a SQLite file path, or nothing (:func:`default_url`)."""
    url = str(url) if url is not None else default_url()
    return url if "://" in url else f"sqlite:///{Path(url).resolve()}"


def _url_for_people(url: str) -> str:
    """The store's URL as a message may show it: the password hidden, or only the scheme when it does not parse."""
    try:
        return repr(sa.engine.make_url(url).render_as_string(hide_password=True))
    except Exception:  # an unparseable URL may still hold a password
        return repr(url.split(":", 1)[0] + ":…")


def _without(text: str, url: str) -> str:
    """``text`` with the raw URL (and so any password in it) taken out: SQLAlchemy quotes a URL it cannot parse."""
    return text.replace(url, "…") if url else text


class Store:
    """All reads and writes of Nestwatch data.

    Parameters
    ----------
    url
        SQLAlchemy URL, or a plain path to a SQLite file. Defaults to
        :func:`default_url`.
    """

    def __init__(self, url: str | os.PathLike[str] | None = None) -> None:
        url = resolve_url(url)
        self.url = url
        try:
            if url.startswith("sqlite:///") and url != "sqlite:///:memory:":
                Path(url.removeprefix("sqlite:///")).parent.mkdir(parents=True, exist_ok=True)
            # pre-ping: a pooled connection that died with a database restart is replaced, not handed out
            self.engine: Engine = sa.create_engine(url, pool_pre_ping=not url.startswith("sqlite"))
        except Exception as exc:
            raise StoreError(f"cannot open store {_url_for_people(url)}: {_without(str(exc), url)}") from None
        if self.engine.dialect.name == "sqlite":
            sa.event.listen(self.engine, "connect", _sqlite_pragmas)
        from geo.store._dberrors import translate  # read-only, disk full...: a StoreError in plain words, no SQL

        sa.event.listen(self.engine, "handle_error", translate)
        shown = _url_for_people(url)  # never the password in a message
        try:
            migrations.upgrade(self.engine)
        except sa.exc.DBAPIError as exc:  # the driver's own error says most (and carries no SQL)
            raise StoreError(f"cannot open store {shown}: {exc.__class__.__name__}: {exc.orig}") from None
        except sa.exc.SQLAlchemyError as exc:  # raised by SQLAlchemy itself: there is no driver error
            raise StoreError(f"cannot open store {shown}: {exc.__class__.__name__}: {exc}") from None
        except alembic.util.CommandError as exc:  # e.g. a store made by a newer Nestwatch
            raise StoreError(f"cannot open store {shown}: {exc}") from None
        self.tables = METADATA.tables

    # ------------------------------------------------------------------ writes

    def import_validated(
        self,
        kind: str,
        parts: Sequence[tuple[Validated, int, str, str]],
        *,
        progress: Callable[[float, str], None] | None = None,
        synthetic: bool = False,
    ) -> list[dict[str, Any]]:
        """Store validated tables, all in one transaction.

        Parameters
        ----------
        parts
            ``(validated, n_rows, sha256, source_format)`` per file.
        progress
            Called with (fraction done, message) as rows are written.
        synthetic
            The files are the synthetic demo town (see :mod:`geo.store.provenance`):
            each line in the import log says so. Checked against what the store
            holds right after the write lock is taken, in the same transaction as
            the inserts, so a concurrent import or deletion cannot slip between
            the check and the write: real data and the demo never share a store.

        Returns
        -------
        list of dict
            Per file: ``import_id, file, kind, rows, stored, rejected,
            already_present``, ``reasons`` (one per rejected row) and ``notes``
            (validation's, and the codes no stored boundary has).

        Raises
        ------
        MixedDataError
            Real data into a store holding the demo town, or the other way round;
            nothing is written.
        """
        results = []
        total = sum(len(v.positions) for v, *_ in parts) or 1
        done = 0
        seen: list[pd.DataFrame] | None = None  # keys already stored, loaded once per import
        with self.engine.begin() as conn:
            _write_lock(conn)
            refuse_mixing(provenance_of(conn, self.tables["imports"]), synthetic=synthetic)
            for validated, n_rows, sha, source_format in parts:
                k = KINDS[validated.kind]
                # under the lock: the codes no stored ward or estate has (a population file's, say) are noted
                notes = [*validated.notes, *_writes.unmatched_areas(conn, self.tables, k, validated.accepted)]
                logged = (
                    self.tables["imports"]
                    .insert()
                    .values(
                        kind=validated.kind,
                        file=validated.file,
                        sha256=sha,
                        imported_at=dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
                        source_format=source_format,
                        rows=n_rows,
                        notes=json.dumps(notes),
                        synthetic=synthetic,
                    )
                )
                import_id = _new_id(conn.execute(logged))

                def tick(n: int, _file: str = validated.file) -> None:
                    nonlocal done
                    done += n
                    if progress:
                        progress(min(done / total, 1.0), f"storing {_file}")

                # the quarantine's keys and Parquet are worked out beside the rows' own
                ready = None
                if len(validated.rejects):
                    ready = in_background(partial(quarantine, k.name, validated.rejects))
                if k.name in SEGMENT_KINDS:
                    if seen is None:
                        seen = _writes.segment_keys(conn, self.tables)
                    stored, conflicts = _writes.store_segments(
                        conn, self.tables, validated, import_id, seen=seen, tick=tick
                    )
                else:
                    _writes.insert_rows(conn, k, validated.accepted, import_id, tick)
                    stored = conn.execute(
                        sa.select(sa.func.count()).where(self.tables[k.table].c.import_id == import_id)
                    ).scalar_one()
                    conflicts = _writes.ref_conflicts(conn, self.tables, k, import_id, validated)
                    stored -= len(conflicts)
                rejects = concat_rejects([validated.rejects, conflicts])
                _writes.insert_rejects(
                    conn, self.tables, k.name, import_id, rejects, ready=None if len(conflicts) else ready
                )
                already = len(validated.positions) - stored - len(conflicts)
                counts = {"rows": n_rows, "stored": stored, "rejected": len(rejects), "already_present": already}
                if sum(counts.values()) - n_rows != n_rows:  # rows == stored + rejected + already
                    raise StoreError(f"{validated.file}: accounting does not add up: {counts}")
                conn.execute(
                    self.tables["imports"].update().where(self.tables["imports"].c.id == import_id).values(**counts)
                )
                results.append(
                    {
                        "import_id": import_id,
                        "file": validated.file,
                        "kind": k.name,
                        **counts,
                        "reasons": rejects["reason"].tolist(),
                        "notes": notes,
                    }
                )
        return results

    def write_audit(self, entry: AuditEntry) -> int:
        """Append one audit entry (use :func:`geo.store.audit.record`, which validates); return its id.

        One INSERT in its own transaction. There is deliberately no way to
        update or delete an entry.
        """
        values = {c: getattr(entry, c) for c in AUDIT_COLUMNS if c != "id"}
        values["at"] = _utc_iso(entry.at)  # one text form, so filters can compare text
        try:
            with self.engine.begin() as conn:
                return _new_id(conn.execute(self.tables[AUDIT_TABLE].insert().values(**values)))
        except sa.exc.SQLAlchemyError as exc:
            raise StoreError(f"cannot write the audit log: {exc.__class__.__name__}: {exc}") from None

    def delete_import(self, import_id: int, *, entry: AuditEntry) -> dict[str, int]:
        """Erase every row an import stored and every row it quarantined, and log it.

        The erasure and its audit entry are one transaction: there is no
        deletion without its log line, and no log line for a deletion that
        failed. The import's line in the import log stays, marked with
        ``deleted_at``, so the history still says the file came and went.
        Rows that later imports found *already present* were stored by this
        import only, so they go too; importing those files again restores them.

        Parameters
        ----------
        import_id
            The ``id`` from :meth:`imports`.
        entry
            The ``delete`` entry (from :func:`geo.store.audit.make_entry`, which
            insists on a reason). Its ``rows`` and ``detail`` are filled in
            here with what was actually removed.

        Returns
        -------
        dict
            Rows removed per kind, and quarantined rows removed under ``rejects``.

        Raises
        ------
        OptionError
            No such import, it was deleted already, or the entry is not a deletion: the
            request is wrong, the store is fine.
        """
        from geo.store._deletion import erase_import  # here: it uses this module's write lock

        return erase_import(self, import_id, entry=entry)

    def release_secret(self) -> bytes:
        """The store's release secret (32 random bytes): made by the first call, the same for every call after.

        Each record's perturbation key is derived from its content key and this
        secret, so the same cell gets the same noise every time it is published,
        by any process. Hence it never changes once made: a new secret would give
        every cell fresh noise, and two releases of the same data with
        independent noise can be averaged towards the true counts. Two first
        calls at once end with one secret (see :func:`geo.store._release.release_secret`),
        and backups carry it (:mod:`geo.store.backup`), so a restored store publishes the same figures.
        """
        return _release.release_secret(self.engine)

    def derived(self, key: str) -> bytes | None:
        """The derived result kept under ``key``, or None (:func:`geo.store._derived.read_derived`)."""
        return _derived.read_derived(self.engine, self.tables[DERIVED_TABLE], key)

    def keep_derived(self, key: str, data: bytes, *, keep: int = DERIVED_KEEP, replace: bool = False) -> None:
        """Keep ``data`` under ``key`` for every process to reuse (:func:`geo.store._derived.keep_derived`)."""
        _derived.keep_derived(self.engine, self.tables[DERIVED_TABLE], key, data, keep=keep, replace=replace)

    # ------------------------------------------------------------------ reads

    def audit(
        self,
        *,
        user: str | None = None,
        action: str | None = None,
        since: str | dt.datetime | None = None,
        until: str | dt.datetime | None = None,
    ) -> pd.DataFrame:
        """The audit log, newest first, optionally for one user and/or action.

        ``since`` (inclusive) and ``until`` (exclusive) are datetimes or ISO
        strings; naive ones are taken as UTC. ``at`` comes back as UTC
        datetimes, ``rows`` as a nullable integer.
        """
        t = self.tables[AUDIT_TABLE]
        q = sa.select(*(t.c[c] for c in AUDIT_COLUMNS)).order_by(t.c.id.desc())
        if user is not None:
            q = q.where(t.c.user == user)
        if action is not None:
            q = q.where(t.c.action == action)
        if since is not None:
            q = q.where(t.c.at >= _utc_iso(since))
        if until is not None:
            q = q.where(t.c.at < _utc_iso(until))
        with self.engine.connect() as conn:
            rows = conn.execute(q).all()
        frame = pd.DataFrame([tuple(r) for r in rows], columns=list(AUDIT_COLUMNS))
        text = {c: "str" for c in ("user", "role", "action", "target", "reason", "detail")}
        frame = frame.astype({"id": "int64", "rows": "Int64", **text})
        frame["at"] = pd.to_datetime(frame["at"], utc=True, format="ISO8601")
        return frame

    def imports(self) -> pd.DataFrame:
        """The import log, newest first."""
        t = self.tables["imports"]
        with self.engine.connect() as conn:
            return pd.read_sql(sa.select(t).order_by(t.c.id.desc()), conn)

    def rejects(self, *, kind: str | None = None, import_id: int | None = None) -> pd.DataFrame:
        """Quarantined rows with their reasons, oldest first."""
        t = self.tables[REJECT_TABLE]
        q = sa.select(t.c.import_id, t.c.kind, t.c.data).order_by(t.c.id)
        if kind:
            q = q.where(t.c.kind == kind)
        if import_id is not None:
            q = q.where(t.c.import_id == import_id)
        with self.engine.connect() as conn:
            parts = [blob_to_table(data).to_pandas().assign(import_id=imp, kind=k) for imp, k, data in conn.execute(q)]
        if not parts:
            empty = {"import_id": "int64", "kind": "str", "file": "str", "row": "int64"}
            empty |= {"column": "str", "reason": "str", "raw": "str"}
            return pd.DataFrame({c: pd.Series(dtype=d) for c, d in empty.items()})
        return pd.concat(parts, ignore_index=True)[["import_id", "kind", *REJECT_COLUMNS]]

    def count(self, kind: str) -> int:
        """Rows stored for ``kind``."""
        with self.engine.connect() as conn:
            if kind in SEGMENT_KINDS:
                t = self.tables[SEGMENT_TABLE]
                return int(conn.execute(sa.select(sa.func.coalesce(sa.func.sum(t.c.rows), 0))).scalar_one())
            t = self.tables[KINDS[kind].table]
            return int(conn.execute(sa.select(sa.func.count()).select_from(t)).scalar_one())

    def counts(self) -> dict[str, int]:
        """Rows stored per kind, and quarantined rows under ``rejects``."""
        out = {k: self.count(k) for k in KINDS}
        with self.engine.connect() as conn:
            t = self.tables[REJECT_TABLE]
            out["rejects"] = int(conn.execute(sa.select(sa.func.coalesce(sa.func.sum(t.c.rows), 0))).scalar_one())
        return out

    def read(
        self,
        kind: str,
        *,
        columns: Iterable[str] | None = None,
        months: tuple[str | None, str | None] | None = None,
        keys: bool = False,
    ) -> pd.DataFrame:
        """All stored rows of a point or count kind, canonical columns only.

        ``months`` (first, last ``YYYY-MM``, either None for open) lets the
        incident read skip whole segments that lie outside the months, from the
        month bounds kept beside each segment. It is a saving, not a filter: rows
        of a segment that overlaps are all returned, and the caller filters them.
        ``keys`` adds each row's 128-bit content key as two int64 columns, ``k1``
        and ``k2``, row for row: what the published release derives record keys from.
        """
        k = KINDS[kind]
        if kind in BOUNDARY_KINDS:
            if keys:
                raise OptionError(f"{kind} are outlines, not records: they have no record keys", option="keys")
            return self.read_boundaries(kind)
        names = list(columns) if columns is not None else list(k.column_names)
        if kind in SEGMENT_KINDS:
            return self._read_segments(k, names, months=months, keys=keys)
        t = self.tables[k.table]
        with self.engine.connect() as conn:
            if not keys:
                return pd.read_sql(sa.select(*(t.c[c] for c in names)).order_by(t.c.id), conn)
            frame = pd.read_sql(sa.select(*(t.c[c] for c in names), t.c.k1, t.c.k2).order_by(t.c.id), conn)
        return frame.astype({"k1": "int64", "k2": "int64"})  # (no rows come back as object)

    def read_table(
        self,
        kind: str,
        *,
        columns: Iterable[str],
        months: tuple[str | None, str | None] | None = None,
        dictionary: Iterable[str] = (),
    ) -> pa.Table:
        """Stored rows of a segment kind (incidents) as one arrow table, without pandas.

        The counting path (cube, priority) works on arrow and numpy arrays: a national read kept as
        arrow skips making millions of Python strings. ``months`` is the segment skip of :meth:`read`
        (rows of an overlapping segment are all returned). Text is ``large_string``; the columns in
        ``dictionary`` come as segments hold them, int32 codes into ``large_string`` values (no string
        per row). No rows give an empty table with the kind's types.
        """
        k = KINDS[kind]
        if kind not in SEGMENT_KINDS:
            raise OptionError(f"{kind} is not stored in segments; read it with Store.read", option="kind")
        names = list(columns)
        coded = [c for c in dictionary if c in names and k.column(c).dtype != "float"]
        q = self._segment_query(sa.select(self.tables[SEGMENT_TABLE].c.data), months)
        with self.engine.connect() as conn:
            table = parquet_to_table(conn.execute(q).scalars(), columns=names, dictionary=coded)
        if table is None:
            text, codes = pa.large_string(), pa.dictionary(pa.int32(), pa.large_string())
            types = {c: pa.float64() if k.column(c).dtype == "float" else codes if c in coded else text for c in names}
            return pa.table({c: pa.array([], type=types[c]) for c in names})
        return table

    def _segment_query(self, q: sa.Select, months: tuple[str | None, str | None] | None) -> sa.Select:
        t = self.tables[SEGMENT_TABLE]
        first, last = months or (None, None)
        if first:
            q = q.where(t.c.month_max >= first)
        if last:
            q = q.where(t.c.month_min <= last)
        return q.order_by(t.c.id)

    def _read_segments(
        self, kind: Kind, names: list[str], *, months: tuple[str | None, str | None] | None = None, keys: bool = False
    ) -> pd.DataFrame:
        t = self.tables[SEGMENT_TABLE]
        q = self._segment_query(sa.select(t.c.data, t.c["keys"]) if keys else sa.select(t.c.data), months)
        with self.engine.connect() as conn:
            if keys:
                table = _release.segments_with_keys(conn.execute(q), names)
            else:
                table = parquet_to_table(conn.execute(q).scalars(), columns=names)
        if table is None:
            empty = {c: pd.Series(dtype=float if kind.column(c).dtype == "float" else "str") for c in names}
            return pd.DataFrame(
                empty | ({"k1": pd.Series(dtype="int64"), "k2": pd.Series(dtype="int64")} if keys else {})
            )
        return table.to_pandas()

    def read_in_area(self, kind: str, *, code: str | None, columns: Iterable[str]) -> pd.DataFrame:
        """Rows of a point kind (closures, victims, flagged) located in the ward or estate ``code``.

        ``code=None`` means in any ward or estate (the town). Points on an outline
        count as inside (``intersects``). On PostgreSQL the join runs in the
        database over the PostGIS columns and their GiST indexes, so only the
        asked-for ``columns`` leave it: a count of safeguarded people per area
        never loads their home locations. On SQLite the points are tested with
        shapely after reading, the same predicate on the same coordinates.
        """
        k = KINDS[kind]
        if kind in SEGMENT_KINDS or kind in BOUNDARY_KINDS or "lat" not in k.column_names:
            raise OptionError(f"{kind} has no point rows to place in an area", option="kind")
        names = list(columns)
        t = self.tables[k.table]
        layers = [self.tables[KINDS[b].table] for b in BOUNDARY_KINDS]
        if self.engine.dialect.name == "postgresql":
            # each boundary finds its points through the points' GiST index (revision 0003's generated
            # columns); 16 ms for a ward among 100,000 points, where testing every point took 430 ms
            hits = []
            for i, layer in enumerate(layers):
                b, pts = layer.alias(f"b{i}"), t.alias(f"p{i}")
                on = sa.func.ST_Intersects(sa.literal_column(f"b{i}.geom"), sa.literal_column(f"p{i}.geom"))
                hit = sa.select(pts.c.id).select_from(pts.join(b, on))
                hits.append(hit.where(b.c.code == code) if code is not None else hit)
            q = sa.select(*(t.c[c] for c in names)).where(t.c.id.in_(sa.union(*hits))).order_by(t.c.id)
            with self.engine.connect() as conn:
                return pd.read_sql(q, conn)
        frame = self.read(kind, columns=[*dict.fromkeys([*names, "lat", "lng"])])
        outlines = pd.concat([self.read_boundaries(b) for b in BOUNDARY_KINDS], ignore_index=True)
        if code is not None:
            outlines = outlines[outlines["code"] == code]
        lat = pd.to_numeric(frame["lat"], errors="coerce").to_numpy(float)
        lng = pd.to_numeric(frame["lng"], errors="coerce").to_numpy(float)
        located = np.isfinite(lat) & np.isfinite(lng)
        inside = np.zeros(len(frame), dtype=bool)
        if len(outlines) and located.any():
            where = shapely.union_all(outlines.geometry.to_numpy())
            shapely.prepare(where)
            inside[located] = shapely.intersects_xy(where, lng[located], lat[located])
        return frame.loc[inside, names].reset_index(drop=True)

    def read_boundaries(self, kind: str) -> gpd.GeoDataFrame:
        """Ward or estate polygons (WGS84)."""
        t = self.tables[KINDS[kind].table]
        with self.engine.connect() as conn:
            rows = conn.execute(sa.select(t.c.code, t.c.name, t.c.geometry).order_by(t.c.code)).all()
        geoms = shapely.from_wkb([r.geometry for r in rows]) if rows else []
        return gpd.GeoDataFrame(
            {"code": [r.code for r in rows], "name": [r.name for r in rows]}, geometry=list(geoms), crs=WGS84
        )

    def months(self) -> tuple[str, str] | None:
        """First and last month of stored incidents, or None when there are none."""
        t = self.tables[SEGMENT_TABLE]
        with self.engine.connect() as conn:
            lo, hi = conn.execute(sa.select(sa.func.min(t.c.month_min), sa.func.max(t.c.month_max))).one()
        return (lo, hi) if lo else None

    def latest_import_id(self) -> int:
        """Id of the newest import (0 when none): a cheap version stamp for caches."""
        with self.engine.connect() as conn:
            return int(conn.execute(sa.select(sa.func.max(self.tables["imports"].c.id))).scalar_one() or 0)

    def data_version(self) -> str:
        """A stamp that changes whenever stored data does (an import or a deletion), for caches."""
        imp = self.tables["imports"]
        with self.engine.connect() as conn:
            newest, deleted = conn.execute(sa.select(sa.func.max(imp.c.id), sa.func.count(imp.c.deleted_at))).one()
        return f"{newest or 0}.{deleted}"

    def is_empty(self) -> bool:
        """True when nothing has ever been imported."""
        return self.latest_import_id() == 0

    def dispose(self) -> None:
        """Close pooled connections (tests, and before deleting a SQLite file)."""
        self.engine.dispose()


def _new_id(result: sa.CursorResult[Any]) -> int:
    """The primary key the database gave the one row an INSERT wrote."""
    key = result.inserted_primary_key
    if key is None:  # SQLAlchemy's answer for anything but a single-row INSERT: a bug here, not bad data
        raise StoreError("the database returned no id for a new row")
    return int(key[0])


def _utc_iso(when: str | dt.datetime) -> str:
    """``when`` in the audit log's text form (UTC, microseconds), so text comparison orders by time."""
    if isinstance(when, str):
        try:
            when = dt.datetime.fromisoformat(when.strip())
        except ValueError:
            raise OptionError(f"not an ISO date or time: {when!r}") from None
    if when.tzinfo is None:
        when = when.replace(tzinfo=dt.UTC)
    return when.astimezone(dt.UTC).isoformat(timespec="microseconds")


def _sqlite_pragmas(dbapi_conn: Any, _record: Any) -> None:
    cur = dbapi_conn.cursor()
    cur.execute("PRAGMA page_size=65536")  # only takes effect on a new file: segments are big blobs
    cur.execute("PRAGMA journal_mode=WAL")
    cur.execute("PRAGMA synchronous=NORMAL")
    cur.execute("PRAGMA foreign_keys=ON")
    cur.execute("PRAGMA busy_timeout=300000")  # writers queue behind a running import (up to 5 min); readers never wait
    cur.execute("PRAGMA cache_size=-262144")  # 256 MB: random-key index inserts thrash a small cache
    cur.close()


#: The key of the PostgreSQL advisory lock that serialises writers (any constant all processes share).
WRITE_LOCK = 0x4E57_5752  # "NWWR"


def _write_lock(conn: Connection) -> None:
    """Serialise imports and deletions, taken first thing in their transaction.

    An import reads the stored keys, decides what is new, then writes; two at
    once would each find a row absent and both store it. Taking the lock
    before the read makes parallel imports equal to the same imports one after
    another. Readers never wait: PostgreSQL's MVCC and SQLite's WAL let the
    dashboard read the last committed state throughout. On SQLite the lock is
    the database's own write lock (``BEGIN IMMEDIATE``), whose wait the
    ``busy_timeout`` pragma bounds; a deferred transaction would instead fail
    at once with "database is locked" when it tried to upgrade its read.
    """
    if conn.dialect.name == "postgresql":
        conn.execute(sa.text("SELECT pg_advisory_xact_lock(:k)"), {"k": WRITE_LOCK})
    elif conn.dialect.name == "sqlite":
        conn.exec_driver_sql("BEGIN IMMEDIATE")
