"""Nestwatch's library: from partners' files to a patrol plan and published figures, without a screen.

The subpackages are the stages data moves through, in this order; a stage
imports only from the stages before it (``tests/test_architecture.py``
reads every import and fails on one that runs backwards):

====================  ==============================================================
:mod:`geo.core`       errors, the data model (the ``Kind`` registry), row keys, the reject format
:mod:`geo.ingest`     read files as partners send them (CSV, boundaries) into raw tables
:mod:`geo.validate`   accept or reject every row with a reason; no I/O
:mod:`geo.store`      persist (SQLite or PostgreSQL/PostGIS), import end to end, audit, backup
:mod:`geo.access`     users and roles: who may see what
:mod:`geo.space`      H3 cells (the only h3 user), neighbourhoods, visiting order
:mod:`geo.stats`      the cell × month cube, Gi*, emerging hot spots, concentration, areas, evaluation
:mod:`geo.plan`       where to patrol and why (priority policy), outcomes, the analysis path
:mod:`geo.publish`    what may leave the team: suppression, published figures, exports, report
:mod:`geo.demo`       the synthetic demo town (uses the whole pipeline to load itself)
:mod:`geo.cli`        ``python -m geo``: one module per command group
====================  ==============================================================

Modules whose names start with ``_`` are private to their subpackage; the
others, and the names each subpackage's ``__init__`` lists, are its API.
Nothing here imports streamlit or folium (``dashboard/`` is the Streamlit glue).
"""

#: The stages in the order data flows through them; the architecture test reads this.
LAYERS = ("core", "ingest", "validate", "store", "access", "space", "stats", "plan", "publish", "demo", "cli")
