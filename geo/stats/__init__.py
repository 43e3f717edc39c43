"""Statistics over the cell × month cube, one module per statistic.

- :mod:`geo.stats.aggregate`: the study area and the count cube (zeros included).
- :mod:`geo.stats.weights`: neighbour matrices prepared for Gi* once per study area.
- :mod:`geo.stats.hotspots`: Gi* with Benjamini–Hochberg FDR and Esri's Gi_Bin classes.
- :mod:`geo.stats.emerging`: space-time Gi*, Mann–Kendall and Esri's emerging patterns.
- :mod:`geo.stats.concentration`: share in the top cells, Gini, the hotspot backtest.
- :mod:`geo.stats.impact`: ASB around closure orders against the rest of the town.
"""

from geo.stats.aggregate import Cube, Filters, StudyArea, incidents_to_cube, month_range, study_area
from geo.stats.emerging import emerging_hotspots
from geo.stats.hotspots import GiResult, gi_star
from geo.stats.impact import Impact, closure_impact
from geo.stats.weights import Weights, cells_to_gi_weights

__all__ = [
    "Cube",
    "Filters",
    "GiResult",
    "Impact",
    "StudyArea",
    "Weights",
    "cells_to_gi_weights",
    "closure_impact",
    "emerging_hotspots",
    "gi_star",
    "incidents_to_cube",
    "month_range",
    "study_area",
]
