"""Space: H3 cells for points and study areas, neighbour matrices, and a visiting order.

:mod:`geo.space.hexes` is the only module that imports h3 / h3ronpy;
:mod:`geo.space.tour` orders the cells a patrol visits.
"""

from geo.space.hexes import (
    DEFAULT_RES,
    boundaries_to_cells,
    cells_to_latlng,
    cells_to_polygons,
    cells_to_strings,
    cells_to_weights,
    check_res,
    points_to_cells,
    strings_to_cells,
)
from geo.space.tour import Tour, visiting_order

__all__ = [
    "DEFAULT_RES",
    "Tour",
    "boundaries_to_cells",
    "cells_to_latlng",
    "cells_to_polygons",
    "cells_to_strings",
    "cells_to_weights",
    "check_res",
    "points_to_cells",
    "strings_to_cells",
    "visiting_order",
]
