"""Where a store's data came from: the synthetic demo town, or partners' real files.

The dashboard shows its "synthetic demo data" banner, and the report pack its
demo footnote, only for a demo store. Here, in the store layer, so that the
figures (:mod:`geo.plan.outcomes`) can ask without depending on the demo
generator (:mod:`geo.demo`), which sits at the end of the flow.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from geo.store._store import Store

#: The folder :func:`geo.demo.write_demo_files` writes the demo town's files to, under ``data/``.
DEMO_FOLDER = "demo-synthetic"
#: The demo town's ward boundaries, shipped in ``data/boundaries/``.
DEMO_WARDS_FILE = "demo_wards.geojson"


def is_demo_store(store: Store) -> bool:
    """True when the store holds demo data (the dashboard then shows a banner)."""
    imports = store.imports()
    return bool(imports["file"].str.contains(DEMO_FOLDER, regex=False).any()) or bool(
        imports["file"].str.contains(DEMO_WARDS_FILE, regex=False).any()
    )
