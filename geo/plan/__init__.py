"""Where to go and what worked: the priority policy, the analysis path and the partnership's outcomes.

- :mod:`geo.plan.priority`: where hot spots and case data meet, scored with reasons in words.
- :mod:`geo.plan.places`: a name people use for every hexagon ("On or near Beacon Court"), and search lookups.
- :mod:`geo.plan.analysis`: one path from the store to answers (study area → cube → statistics → plan),
  shared by the command line and the dashboard.
- :mod:`geo.plan.outcomes`: the headline figures for a period and area, each against the previous period.
- :mod:`geo.plan.areas`: incidents per ward or estate for a period and the one before (Trends, Outcomes, ``geo areas``).
- :mod:`geo.plan.evaluation`: interventions (closure orders or a CSV) evaluated over the study area.
"""

from geo.plan import analysis, areas, evaluation, outcomes, places, priority

__all__ = ["analysis", "areas", "evaluation", "outcomes", "places", "priority"]
