"""Statistics over the cell × month cube, one module per statistic.

- :mod:`geo.stats.aggregate`: the study area and the count cube (zeros included).
- :mod:`geo.stats.weights`: neighbour matrices prepared for Gi* once per study area.
- :mod:`geo.stats.hotspots`: Gi* with Benjamini–Hochberg FDR and Esri's Gi_Bin classes.
- :mod:`geo.stats.emerging`: space-time Gi*, Mann–Kendall and Esri's emerging patterns.
- :mod:`geo.stats.concentration`: share in the top cells, Gini, the hotspot backtest.
- :mod:`geo.stats.evaluate`: the one evaluation engine for interventions (closure orders, warrants,
  patrol areas): treatment area, displacement ring and control, the relative change with its interval,
  the Weighted Displacement Quotient and the pre-period trend.
- :mod:`geo.stats.areas`: one rule for an incident in a ward or estate (its point in the outline).
"""

from geo.stats.aggregate import Cube, Filters, StudyArea, incidents_to_cube, month_range, study_area
from geo.stats.emerging import emerging_hotspots
from geo.stats.evaluate import Effect, Estimate, Evaluation, relative_change, wdq
from geo.stats.hotspots import GiResult, gi_star
from geo.stats.weights import Weights, cells_to_gi_weights

__all__ = [
    "Cube",
    "Effect",
    "Estimate",
    "Evaluation",
    "Filters",
    "GiResult",
    "StudyArea",
    "Weights",
    "cells_to_gi_weights",
    "emerging_hotspots",
    "gi_star",
    "incidents_to_cube",
    "month_range",
    "relative_change",
    "study_area",
    "wdq",
]
