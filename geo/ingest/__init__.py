"""Read files as partners send them into canonical raw tables: text only, nothing judged yet.

police.uk street-level CSV (a file, a folder or a zip; a fast arrow reader
for clean UTF-8, a careful one for any encoding, ragged rows and NUL bytes),
partner CSV with a column map, and ward/estate boundaries (GeoJSON,
GeoPackage, zipped Shapefile, any CRS). Rows that cannot even be read are
rejected here with file and row; every other judgement is :mod:`geo.validate`'s.
What one file may make the readers read is limited (:data:`LIMITS`, each
with its reason and the environment variable that changes it).
"""

from geo.ingest._csv_careful import decode_bytes, read_csv_text
from geo.ingest._csv_sources import check_archive, iter_csv_sources
from geo.ingest._limits import LIMITS, Limit
from geo.ingest.boundaries import RawBoundaries, find_attr, read_boundaries
from geo.ingest.readers import RawTable, is_police_header, is_victim_counts, map_columns, read_csv_bytes, read_csv_kind

__all__ = [
    "LIMITS",
    "Limit",
    "RawBoundaries",
    "RawTable",
    "check_archive",
    "decode_bytes",
    "find_attr",
    "is_police_header",
    "is_victim_counts",
    "iter_csv_sources",
    "map_columns",
    "read_boundaries",
    "read_csv_bytes",
    "read_csv_kind",
    "read_csv_text",
]
