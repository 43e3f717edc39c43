"""Accept or reject every row, with a reason naming file, row and column; no I/O.

Incidents (the bulk kind) are checked column-wise in arrow, once per distinct
value; the other kinds row-wise. What differs between kinds is data on their
:class:`~geo.core.schema.Kind` and one field check per kind, found by its name
(``geo.validate._checks.FIELD_CHECKS``), never a branch on the name. Coordinates in
British National Grid become WGS84; boundaries are repaired with
``make_valid``; every accepted row gets its content key.
"""

from geo.validate._fields import CoordMode
from geo.validate._kinds import validate_boundaries, validate_table
from geo.validate._verdict import Validated

__all__ = ["CoordMode", "Validated", "validate_boundaries", "validate_table"]
