"""The vendored Leaflet and plugin files the maps load, served offline by Streamlit.

* **Offline.** folium loads Leaflet, jQuery, Bootstrap and Font Awesome from CDNs; a partnership laptop
  behind a proxy shows a blank map. Every script and stylesheet here comes from ``static/vendor/``, which
  Streamlit serves at ``/app/static/vendor/`` (``server.enableStaticServing``). Set
  ``NESTWATCH_STATIC_URL`` when the app runs under a base path (default ``/app/static``).

Tiles come from ``NESTWATCH_TILES`` (a provider, a local tile server's URL template, or ``none``).

This module only says where each file is; :mod:`dashboard.map_layers` and :mod:`dashboard.maps` put
them on the page.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from folium.plugins import Draw, MarkerCluster

STATIC_DIR = Path(__file__).resolve().parents[1] / "static"
"""Where the vendored assets live on disk (served by Streamlit at ``/app/static``)."""


def _static_url() -> str:
    """URL prefix of ``static/`` as the browser sees it (``NESTWATCH_STATIC_URL``, default ``/app/static``)."""
    return os.environ.get("NESTWATCH_STATIC_URL", "/app/static").rstrip("/")


def _vendor(path: str) -> str:
    return f"{_static_url()}/vendor/{path}"


def _resolve_tiles(tiles: str | None) -> tuple[str | None, str | None]:
    """(tiles, attribution) from the argument and ``NESTWATCH_TILES`` / ``NESTWATCH_TILES_ATTR``."""
    if tiles == "default":
        env = os.environ.get("NESTWATCH_TILES", "").strip()
        if env.lower() == "none":
            return None, None
        tiles = env or "OpenStreetMap"
    if not tiles or tiles.lower() == "none":
        return None, None
    attr = os.environ.get("NESTWATCH_TILES_ATTR") if "{" in tiles else None
    if "{" in tiles and not attr:
        attr = "Map tiles"
    return tiles, attr


def _leaflet_js() -> list[tuple[str, str]]:
    return [("leaflet", _vendor("leaflet/leaflet.js"))]


def _leaflet_css() -> list[tuple[str, str]]:
    return [("leaflet_css", _vendor("leaflet/leaflet.css"))]


class _LocalMarkerCluster(MarkerCluster):
    """folium's MarkerCluster with the vendored leaflet.markercluster instead of cdnjs."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.default_js = [("markerclusterjs", _vendor("leaflet.markercluster/leaflet.markercluster.js"))]
        self.default_css = [
            ("markerclustercss", _vendor("leaflet.markercluster/MarkerCluster.css")),
            ("markerclusterdefaultcss", _vendor("leaflet.markercluster/MarkerCluster.Default.css")),
        ]


class _LocalDraw(Draw):
    """folium's Draw control with the vendored leaflet-draw instead of cdnjs."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.default_js = [("leaflet_draw_js", _vendor("leaflet-draw/leaflet.draw.js"))]
        self.default_css = [("leaflet_draw_css", _vendor("leaflet-draw/leaflet.draw.css"))]
