"""What every stage shares: the errors, the data model, content keys and the reject format.

- :mod:`geo.core.errors`: :class:`InputError` (file, row, column), :class:`OptionError`, :class:`StoreError`.
- :mod:`geo.core.schema`: the six kinds of input (the :class:`Kind` registry), canonical columns, vocabularies.
- :mod:`geo.core.keys`: 128-bit content keys hashed column-wise (re-imports recognise rows by them).
- :mod:`geo.core.arrowtext`: text columns stripped, parsed and hashed once per distinct value.
- :mod:`geo.core.rejects`: the quarantine's row format (file, row, column, reason, raw).
- :mod:`geo.core.parallel`: side-by-side work on both cores for the bulk path.
"""

from geo.core.errors import InputError, NestwatchError, OptionError, StoreError
from geo.core.schema import BOUNDARY_KINDS, IMPORT_KINDS, KINDS, Column, Kind

__all__ = [
    "BOUNDARY_KINDS",
    "IMPORT_KINDS",
    "KINDS",
    "Column",
    "InputError",
    "Kind",
    "NestwatchError",
    "OptionError",
    "StoreError",
]
