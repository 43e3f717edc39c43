"""Accept or reject every row, with a reason naming file, row and column; no I/O.

Incidents (the bulk kind) are checked column-wise in arrow, once per distinct
value; the other kinds row-wise by their kind's checks. Coordinates in
British National Grid become WGS84; boundaries are repaired with
``make_valid``; every accepted row gets its content key.
"""

from geo.validate._fields import CoordMode
from geo.validate._kinds import validate_boundaries, validate_table
from geo.validate._verdict import Validated

__all__ = ["CoordMode", "Validated", "validate_boundaries", "validate_table"]
