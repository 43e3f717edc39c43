"""Where to go and what worked: the priority policy, the analysis path and the partnership's outcomes.

- :mod:`geo.plan.priority`: where hot spots and case data meet, scored with reasons in words.
- :mod:`geo.plan.analysis`: one path from the store to answers (study area → cube → statistics → plan),
  shared by the command line and the dashboard.
- :mod:`geo.plan.outcomes`: the headline figures for a period and area, each against the previous period.
"""

from geo.plan import analysis, outcomes, priority

__all__ = ["analysis", "outcomes", "priority"]
