"""Backup and restore of a whole store, as open files anyone can read: CSV, GeoPackage and a manifest.

``python -m geo export-all DIR`` writes every table — the import log, each
kind's rows with their content keys, the quarantine and the audit log — so that
``python -m geo import-all DIR`` into an empty store (SQLite or PostgreSQL)
gives back the same store: same rows, same keys (so re-importing a file after a
restore still finds it already present), same import and audit ids. It is also
how a team moves from the embedded SQLite file to a PostgreSQL server.

Why files rather than a database dump: the partnership's information
governance asks for a backup they can inspect and that outlives any one
database engine. Why keys and ids travel too: without them a restore would be a
*re-import*, which changes the audit trail and the duplicate checks.

``manifest.json`` lists every file with its SHA-256 and row count and the
schema revision; a restore checks all of them before it writes anything, and
writes everything in one transaction.

The checksums only catch accidents: whoever edits a CSV can rewrite the
manifest too. What protects the audit log is its hash chain (see
:mod:`geo.store.audit`): ``audit.csv`` carries every entry's ``prev_hash`` and
``entry_hash``, and a restore recomputes the whole chain before it writes
anything, refusing a backup whose log was edited, cut or reordered and naming
the first entry at fault. A backup made before the chain existed (schema
0001–0004) has no hashes; its entries are chained as they are restored, so the
chain vouches for them from the restore on.

``release_secret.csv`` carries the store's release secret (schema 0006), from
which every record's perturbation key is derived: a restored store gives every
record the same key, so every published figure comes back the same. Without it
a restore would make a new secret, and with it fresh noise on every cell, and
two releases of the same data with independent noise can be averaged towards
the true counts. So a backup from schema 0006 on must have the file (it has
from the first export, with a header only while no release has been made), and
a backup from before it restores with no secret: one is made on first use. The
file holds nothing the rest of the backup does not already give away (every
row is in it), so the backup folder needs the protection it always needed.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import numbers
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
import sqlalchemy as sa

from geo.core.errors import InputError, OptionError, StoreError
from geo.core.rejects import REJECT_COLUMNS
from geo.core.schema import BOUNDARY_KINDS, KINDS, WGS84
from geo.store import audit, migrations
from geo.store._release import secret_from_text
from geo.store._segments import (
    blob_to_keys,
    blob_to_table,
    frame_to_parquet,
    keys_to_blob,
    split_rows,
)
from geo.store._store import Store
from geo.store._tables import (
    AUDIT_CHAIN,
    AUDIT_TABLE,
    CHECKIN_TABLE,
    PLAN_SLOT_TABLE,
    PLAN_TABLE,
    REJECT_TABLE,
    REVIEW_TABLE,
    SECRET_ID,
    SECRET_TABLE,
    SEGMENT_KINDS,
    SEGMENT_TABLE,
)

FORMAT = "nestwatch-backup/1"
MANIFEST = "manifest.json"
BOUNDARIES_FILE = "boundaries.gpkg"
#: Tables as plain CSV files, in restore order (the import log first: everything points at it; a plan before
#: its slots).
ROW_TABLES = (
    "imports",
    *(k.table for k in KINDS.values() if k.name not in SEGMENT_KINDS and k.name not in BOUNDARY_KINDS),
    PLAN_TABLE,
    PLAN_SLOT_TABLE,
    CHECKIN_TABLE,
    REVIEW_TABLE,
)
#: Schema revisions from before the audit log's hash chain (0005): their ``audit.csv`` has no hashes.
UNCHAINED_REVISIONS = frozenset({"", "0001", "0002", "0003", "0004"})
#: The release secret's file; schema revisions from before it (0006) have none.
SECRET_FILE = f"{SECRET_TABLE}.csv"
SECRETLESS_REVISIONS = UNCHAINED_REVISIONS | {"0005"}
#: Row tables added by a later revision -> the revisions before it, whose backups have no file for the table
#: (restored with none: the store had none). A newer backup without the file is refused.
LATER_TABLES = {"population": SECRETLESS_REVISIONS | {"0006", "0007"}}
LATER_TABLES |= dict.fromkeys(  # revision 0009: patrols, homes, saved plans and check-ins
    ("patrols", "properties", PLAN_TABLE, PLAN_SLOT_TABLE, CHECKIN_TABLE), LATER_TABLES["population"] | {"0008"}
)
LATER_TABLES |= dict.fromkeys(  # revision 0010: signals, intelligence links, review decisions
    ("signals", "lines", REVIEW_TABLE), LATER_TABLES["patrols"] | {"0009"}
)
_TRUE, _FALSE = frozenset({"true", "1"}), frozenset({"false", "0"})


@dataclass(frozen=True)
class BackupSummary:
    """What a backup holds: rows per table and the schema revision it came from."""

    folder: Path
    revision: str
    rows: dict[str, int]


def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def _csv(frame: pd.DataFrame, path: Path) -> None:
    # lineterminator fixed so the bytes (and checksums) do not depend on the platform
    frame.to_csv(path, index=False, lineterminator="\n")


def _table_frame(store: Store, conn: sa.Connection, name: str, *, exact: bool = False) -> pd.DataFrame:
    """A table in id order; ``exact`` keeps each value as the store returned it (for a CSV).

    Without ``exact`` pandas infers column types, and an integer column with a
    NULL becomes float: ``5`` would be written ``5.0`` (the audit log's ``rows``).
    """
    t = store.tables[name]
    rows = conn.execute(sa.select(t).order_by(t.c.id)).all()
    return pd.DataFrame([tuple(r) for r in rows], columns=[c.name for c in t.columns], dtype=object if exact else None)


def _segments_frame(conn: sa.Connection, table: sa.Table, *, reject: bool) -> pd.DataFrame:
    """Every row of a segment table, decoded: key columns then data columns, in stored order."""
    parts = []
    kind_col = [table.c.kind] if reject else []
    for import_id, *kind, keys, data in conn.execute(
        sa.select(table.c.import_id, *kind_col, table.c["keys"], table.c.data).order_by(table.c.id)
    ):
        frame = pd.DataFrame(blob_to_keys(keys)).add_prefix("key_")  # the data has its own ref and row
        frame.insert(0, "import_id", import_id)
        if reject:
            frame.insert(1, "kind", kind[0])
        body = blob_to_table(data).to_pandas()
        parts.append(pd.concat([frame, body], axis=1))
    return pd.concat(parts, ignore_index=True) if parts else pd.DataFrame()


def export_all(store: Store, folder: str | Path) -> BackupSummary:
    """Write every table of ``store`` to ``folder`` (created; must be empty) with a manifest.

    Read in one transaction, so the backup is a consistent snapshot even while
    imports run. Raises :class:`~geo.core.errors.OptionError` when ``folder`` is not empty
    (the caller chose the wrong place; nothing is wrong with any file).
    """
    folder = Path(folder)
    if folder.exists() and any(folder.iterdir()):
        raise OptionError(f"{folder} is not empty: export-all writes a fresh folder", option="folder")
    folder.mkdir(parents=True, exist_ok=True)
    files: dict[str, dict[str, Any]] = {}
    rows: dict[str, int] = {}
    with store.engine.connect() as conn:
        if conn.dialect.name == "postgresql":
            conn.exec_driver_sql("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")
        revision = migrations.current(conn) or ""
        for name in (*ROW_TABLES, AUDIT_TABLE, SECRET_TABLE):
            frame = _table_frame(store, conn, name, exact=True)
            _csv(frame, folder / f"{name}.csv")
            rows[name] = len(frame)
        for name, table, reject in (
            ("incidents", store.tables[SEGMENT_TABLE], False),
            ("rejects", store.tables[REJECT_TABLE], True),
        ):
            frame = _segments_frame(conn, table, reject=reject)
            _csv(frame, folder / f"{name}.csv")
            rows[name] = len(frame)
        layers = {}
        for kind in BOUNDARY_KINDS:
            frame = _table_frame(store, conn, KINDS[kind].table)
            geometry = shapely.from_wkb(frame.pop("geometry").tolist()) if len(frame) else []
            layers[kind] = gpd.GeoDataFrame(frame, geometry=list(geometry), crs=WGS84)
            rows[kind] = len(frame)
    for kind, layer in layers.items():
        layer.to_file(folder / BOUNDARIES_FILE, layer=kind, driver="GPKG", engine="pyogrio")
    for path in sorted(folder.iterdir()):
        files[path.name] = {"sha256": _sha256(path), "bytes": path.stat().st_size}
    manifest = {
        "format": FORMAT,
        "revision": revision,
        "created_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "rows": rows,
        "files": files,
    }
    (folder / MANIFEST).write_text(json.dumps(manifest, indent=2, sort_keys=True) + "\n", encoding="utf-8")
    return BackupSummary(folder=folder, revision=revision, rows=rows)


def read_manifest(folder: str | Path) -> dict[str, Any]:
    """The manifest, after checking every file it lists against its checksum.

    Raises
    ------
    InputError
        No manifest, an unknown format, a file missing, or a checksum that does
        not match (a truncated copy, an edited CSV); ``file`` names the culprit.
    """
    folder = Path(folder)
    path = folder / MANIFEST
    if not path.is_file():
        raise InputError(f"no {MANIFEST}; is this a folder written by export-all?", file=str(folder))
    try:
        manifest = json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as exc:
        raise InputError(f"not valid JSON ({exc})", file=str(path)) from None
    if manifest.get("format") != FORMAT:
        raise InputError(f"format {manifest.get('format')!r} is not {FORMAT!r}", file=str(path))
    for name, meta in manifest["files"].items():
        file = folder / name
        if not file.is_file():
            raise InputError(f"{name} is listed in the manifest but missing", file=str(folder))
        if _sha256(file) != meta["sha256"]:
            raise InputError(
                "checksum does not match the manifest (changed or truncated since the export)", file=str(file)
            )
    return manifest


def _read_csv(path: Path, nullable: tuple[str, ...] = ()) -> pd.DataFrame:
    try:
        frame = pd.read_csv(path, dtype=str, keep_default_na=False, na_values=[])
    except pd.errors.EmptyDataError:  # what export-all writes for a table with no rows and no columns
        return pd.DataFrame()
    for column in nullable:
        if column in frame:
            frame[column] = frame[column].replace("", None)
    return frame


def _parser(python: type, file: str, column: str) -> Any:
    """Text to ``python`` (int, float, bool), or an :class:`InputError` naming the file, row and column."""

    def parse(item: tuple[Any, str]) -> Any:
        index, text = item
        try:
            if python is bool:
                word = text.strip().lower()
                if word not in _TRUE | _FALSE:
                    raise ValueError(text)
                return word in _TRUE
            if python is int:
                try:
                    return int(text)
                except ValueError:  # "5.0": how backups before exact frames wrote a count beside a blank
                    number = float(text)
                    if not number.is_integer():
                        raise
                    return int(number)
            return python(text)
        except ValueError:
            row = int(index) + 2 if isinstance(index, numbers.Integral) else None  # the header is row 1
            raise InputError(f"{text!r} is not a {python.__name__}", file=file, row=row, column=column) from None

    return parse


def _typed_records(frame: pd.DataFrame, table: sa.Table, *, file: str = "") -> list[dict[str, Any]]:
    """CSV text back to the column types of ``table`` (blank means NULL only where NULL is allowed).

    Raises :class:`InputError` (``file``, row, column) for a value that is not of its column's type.
    """
    out = frame.astype(object)
    for column in table.columns:
        if column.name not in out:
            continue
        values = out[column.name]
        blank = values.isna() | (values == "")
        python = column.type.python_type if not isinstance(column.type, sa.LargeBinary) else bytes
        if python in (int, float, bool):
            parse = _parser(python, file or table.name, column.name)
            converted = values.copy()
            converted[~blank] = [parse(item) for item in values[~blank].items()]
        else:
            converted = values
        if column.nullable:
            converted = converted.where(~blank, None)
        out[column.name] = converted
    return out.to_dict("records")


def _segment_rows(frame: pd.DataFrame, data_columns: list[str], *, reject: bool) -> list[dict[str, Any]]:
    """Segments rebuilt per import (and per kind for the quarantine), in the exported order."""
    out = []
    groups = ["import_id", "kind"] if reject else ["import_id"]
    for key, group in frame.groupby(groups, sort=False):
        import_id = key[0] if isinstance(key, tuple) else key
        for part in split_rows(len(group)):
            chunk = group.iloc[part]
            keys = keys_to_blob(
                chunk["key_k1"].astype(np.int64).to_numpy(),
                chunk["key_k2"].astype(np.int64).to_numpy(),
                chunk["key_ref"].astype(np.uint64).to_numpy(),
                chunk["key_row"].astype(np.int64).to_numpy(),
            )
            body = chunk[data_columns].reset_index(drop=True)
            row: dict[str, Any] = {"import_id": int(import_id), "rows": len(chunk), "keys": keys}
            if reject:
                row["kind"] = key[1]
                body = body.astype({"row": "int64"})
            else:
                row["month_min"], row["month_max"] = body["month"].min(), body["month"].max()
            row["data"] = frame_to_parquet(body)
            out.append(row)
    return out


def _incident_frame(path: Path) -> pd.DataFrame:
    kind = KINDS["incidents"]
    frame = _read_csv(path)
    if frame.empty:
        return frame
    for column in kind.columns:
        if column.name in frame and column.dtype == "float":
            frame[column.name] = pd.to_numeric(frame[column.name].replace("", None), errors="raise").astype(float)
    return frame


def _audit_records(store: Store, folder: Path, revision: str) -> list[dict[str, Any]]:
    """The backup's audit log as rows to insert, in id order, after its hash chain has been verified.

    Raises
    ------
    InputError
        ``audit.csv`` at fault (``file`` and ``row``): the chain is broken (the first
        entry that is not what was written is named), the hashes are missing from a
        backup whose schema keeps them, or an id is missing, repeated or not a number.
    """
    path = folder / f"{AUDIT_TABLE}.csv"
    frame = _read_csv(path)
    table = store.tables[AUDIT_TABLE]
    if frame.empty:
        return []
    records = _typed_records(frame, table, file=str(path))
    row_of = {}  # entry id -> the spreadsheet row it is on, for the error message
    for at, record in zip(frame.index, records, strict=True):
        entry_id = record.get("id")
        if not isinstance(entry_id, int) or entry_id in row_of:
            problem = "is repeated" if entry_id in row_of else "is missing"
            raise InputError(f"the audit entry id {problem}", file=str(path), row=int(at) + 2, column="id")
        row_of[entry_id] = int(at) + 2
    records.sort(key=lambda r: r["id"])
    present = [c for c in AUDIT_CHAIN if c in frame]
    if not present:
        if revision not in UNCHAINED_REVISIONS:
            raise InputError(
                f"the audit log has no hash chain ({', '.join(AUDIT_CHAIN)}), which schema {revision} always "
                "writes: the log was rewritten",
                file=str(path),
            )
        return records  # a backup from before the chain: chained as it is restored (geo.store.audit.chain_link)
    if len(present) < len(AUDIT_CHAIN):
        missing = next(c for c in AUDIT_CHAIN if c not in present)
        raise InputError(f"the audit log has no {missing} column", file=str(path))

    def find(value: str) -> int | None:
        return min((r["id"] for r in records if r["entry_hash"] == value), default=None)

    chain = [tuple(r[c] for c in audit.CHAIN_ROW) for r in records]
    check = audit.check_rows([chain], find=find)
    if not check.ok:
        bad = check.bad_id if check.bad_id is not None else records[-1]["id"]
        raise InputError(
            f"the audit log's hash chain is broken at entry {bad}: {check.problem}; nothing was restored",
            file=str(path),
            row=row_of[bad],
        )
    return records


def _secret_records(store: Store, folder: Path, manifest: dict[str, Any]) -> list[dict[str, Any]] | None:
    """The backup's release secret as the row to insert ([] when none was made yet; None for no file at all).

    Raises
    ------
    InputError
        The file is missing from a backup whose schema always writes it, or it
        holds more than one row, another id, or a value that is not a secret.
    """
    path = folder / SECRET_FILE
    if SECRET_FILE not in manifest["files"]:
        if manifest["revision"] in SECRETLESS_REVISIONS:
            return None  # from before the secret: one is made on first use
        raise InputError(
            f"the backup has no {SECRET_FILE}, which schema {manifest['revision']} always writes: without it every "
            "published figure would get fresh noise, and two releases with independent noise can be averaged",
            file=str(folder),
        )
    frame = _read_csv(path)
    table = store.tables[SECRET_TABLE]
    typed = _typed_records(frame, table, file=str(path)) if len(frame) else []
    records = [{c.name: record.get(c.name) for c in table.columns} for record in typed]  # no stray columns
    if len(records) > 1:
        raise InputError(f"a store has one release secret, not {len(records)}", file=str(path), row=3)
    for record in records:
        if record.get("id") != SECRET_ID:
            raise InputError(f"the release secret's id is {SECRET_ID}", file=str(path), row=2, column="id")
        if secret_from_text(record.get("secret")) is None:
            raise InputError("not a release secret (64 hex digits)", file=str(path), row=2, column="secret")
        if not record.get("created_at"):
            raise InputError("created_at is blank", file=str(path), row=2, column="created_at")
    return records


def import_all(store: Store, folder: str | Path) -> BackupSummary:
    """Restore a backup written by :func:`export_all` into an empty ``store``, in one transaction.

    The audit log's hash chain and the release secret are checked before anything is
    written (see the module's docstring). The backup's secret replaces one the empty
    store may have made: with no records, it protected nothing.

    Raises
    ------
    StoreError
        The store already holds data: a restore never mixes two histories.
    InputError
        The backup fails its checks (see :func:`read_manifest`), was written by a
        newer schema, its audit log's hash chain is broken (``audit.csv`` and the row of
        the first entry at fault), its release secret is missing or is not one
        (``release_secret.csv``, row and column), or it does not hold the rows its manifest counts.
    """
    folder = Path(folder)
    manifest = read_manifest(folder)
    if not store.is_empty() or store.audit().shape[0]:
        raise StoreError("import-all restores into an empty store only; this one already holds data")
    if manifest["revision"] and manifest["revision"] not in migrations.revisions():
        raise InputError(f"written by schema {manifest['revision']}, newer than this Nestwatch", file=str(folder))
    entries = _audit_records(store, folder, manifest["revision"])
    secret = _secret_records(store, folder, manifest)
    rows: dict[str, int] = {}
    with store.engine.begin() as conn:
        for name in ROW_TABLES:
            table = store.tables[name]
            path = folder / f"{name}.csv"
            if path.name not in manifest["files"]:
                if manifest["revision"] in LATER_TABLES.get(name, ()):
                    continue  # a backup from before the table existed: nothing to restore, nothing counted
                raise InputError(f"the backup has no {path.name}, which export-all always writes", file=str(folder))
            frame = _read_csv(path)
            if len(frame):
                conn.execute(table.insert(), _typed_records(frame, table, file=str(path)))
            rows[name] = len(frame)
        if entries:  # one statement, in id order: entries without hashes chain onto each other in it
            conn.execute(store.tables[AUDIT_TABLE].insert(), entries)
        rows[AUDIT_TABLE] = len(entries)
        if secret is not None:
            rows[SECRET_TABLE] = len(secret)
        if secret:  # a secret the empty store made protected no record: the backup's is the one its figures used
            conn.execute(store.tables[SECRET_TABLE].delete())
            conn.execute(store.tables[SECRET_TABLE].insert(), secret)
        incidents = _incident_frame(folder / "incidents.csv")
        if len(incidents):
            cols = list(KINDS["incidents"].column_names)
            conn.execute(store.tables[SEGMENT_TABLE].insert(), _segment_rows(incidents, cols, reject=False))
        rows["incidents"] = len(incidents)
        rejects = _read_csv(folder / "rejects.csv")
        if len(rejects):
            conn.execute(store.tables[REJECT_TABLE].insert(), _segment_rows(rejects, list(REJECT_COLUMNS), reject=True))
        rows["rejects"] = len(rejects)
        gpkg = folder / BOUNDARIES_FILE
        for kind in BOUNDARY_KINDS:
            layer = gpd.read_file(gpkg, layer=kind, engine="pyogrio") if gpkg.exists() else gpd.GeoDataFrame()
            if len(layer):
                table = store.tables[KINDS[kind].table]
                frame = pd.DataFrame(layer.drop(columns="geometry")).astype(str)
                records = _typed_records(frame, table, file=f"{gpkg.name}:{kind}")
                for record, geom in zip(records, shapely.to_wkb(layer.geometry.to_numpy()), strict=True):
                    record["geometry"] = geom
                conn.execute(table.insert(), records)
            rows[kind] = len(layer)
        if conn.dialect.name == "postgresql":  # explicit ids were inserted: move the sequences past them
            for table in store.tables.values():
                if "id" in table.c and table.name != "alembic_version":
                    conn.exec_driver_sql(
                        f"SELECT setval(pg_get_serial_sequence('{table.name}', 'id'), "
                        f"COALESCE((SELECT MAX(id) FROM {table.name}), 0) + 1, false)"
                    )
        if rows != manifest["rows"]:  # raised inside the transaction: nothing is kept
            raise InputError(f"read {rows} rows, the manifest says {manifest['rows']}", file=str(folder))
    return BackupSummary(folder=folder, revision=manifest["revision"], rows=rows)
