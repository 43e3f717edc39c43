"""Make the served copy of the ``NESTWATCH_BASEMAP`` file before the app starts (``scripts/run.sh`` runs it).

Without it the first map after a start (or after the file changes) makes the copy itself: a few seconds for
a PMTiles archive of several hundred MB, longer for an MBTiles file, which is converted. Run from the
repository root: ``.venv/bin/python -m scripts.prepare_basemap``. Exit code 2 and one line when the file
cannot be used (the app then shows the same message and a plain background).
"""

from __future__ import annotations

import logging
import sys
from collections.abc import Sequence

from dashboard.basemap import ENV, configured
from geo.core.errors import NestwatchError, one_line


def main(argv: Sequence[str] | None = None) -> int:
    import argparse

    argparse.ArgumentParser(
        prog="python -m scripts.prepare_basemap",
        description=f"Make the served copy of the basemap file {ENV} names, before the app starts "
        "(exit code 2 and one line when the file cannot be used).",
    ).parse_args(argv)  # no options: --help is answered, anything else refused, before any file is read
    logging.getLogger("nestwatch.basemap").addHandler(logging.NullHandler())  # said once, below
    try:
        basemap = configured()
    except NestwatchError as e:
        print(f"basemap: {one_line(e)}", file=sys.stderr)
        return 2
    if basemap is None:
        print(f"basemap: {ENV} is not set; the maps use NESTWATCH_TILES (OpenStreetMap unless told otherwise)")
        return 0
    print(
        f"basemap: {basemap.kind} ({basemap.tile_type}), zoom {basemap.min_zoom}-{basemap.max_zoom}, "
        f"{basemap.size / 1e6:,.1f} MB in {basemap.parts} part(s), served at {basemap.url()}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
