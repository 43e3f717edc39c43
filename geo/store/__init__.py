"""Persistence behind one interface: SQLite by default, PostgreSQL + PostGIS by URL.

- :class:`Store`: one transaction per import under a write lock; incidents
  as Parquet column segments, the other kinds as rows; the quarantine.
- :mod:`geo.store.importer`: one import end to end (read → validate → store) with one accounting.
- :mod:`geo.store.audit`: the append-only audit log (DPA 2018 s.62).
- :mod:`geo.store.backup`: ``export-all`` / ``import-all`` as open files with checksums.
- :mod:`geo.store.migrations`: Alembic revisions, applied on open.
- :mod:`geo.store.population`: residents per area for a period (the denominators of rates).
- :mod:`geo.store.provenance`: whether the store holds the synthetic demo town or real data
  (from the import log's ``synthetic`` flag, never from file names); the two never mix.
"""

from geo.store._store import PROJECT_ROOT, Store, default_url, resolve_url
from geo.store.backup import export_all, import_all
from geo.store.importer import ImportOptions, ImportResult, Progress, delete_import, import_path
from geo.store.population import read_population
from geo.store.provenance import (
    MixedDataError,
    Provenance,
    provenance,
    store_has_held_real,
    store_holds_real,
    store_is_synthetic,
)

__all__ = [
    "PROJECT_ROOT",
    "ImportOptions",
    "ImportResult",
    "MixedDataError",
    "Progress",
    "Provenance",
    "Store",
    "default_url",
    "delete_import",
    "export_all",
    "import_all",
    "import_path",
    "provenance",
    "read_population",
    "resolve_url",
    "store_has_held_real",
    "store_holds_real",
    "store_is_synthetic",
]
