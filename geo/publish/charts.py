"""Static pictures of published outcomes: charts and maps as PNG bytes, for the PDF and the HTML.

Drawn with matplotlib's Agg canvas on :class:`matplotlib.figure.Figure`
objects (never pyplot's global figures, so renders can run side by side in
a server), and geopandas for the outlines, projected to British National
Grid so that the town is not squashed. No tiles and no network: the
outlines are the only geography.

Only :class:`geo.publish.published.PublishedOutcomes` is drawn, so a chart can show
no count that the report's tables would hide: suppressed months are gaps,
suppressed areas are hatched grey.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from typing import Literal

import geopandas as gpd
import numpy as np
import pandas as pd
from matplotlib.artist import Artist
from matplotlib.axes import Axes
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.cm import ScalarMappable
from matplotlib.colors import Normalize
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Patch

from geo.core.schema import BNG
from geo.publish.published import PublishedOutcomes

DPI = 150
INK = "#1f2933"
NOW = "#c2410c"
BEFORE = "#7b8794"
SUPPRESSED = "#d9dde3"
CMAP = "OrRd"
#: Above this many areas the map names none of them (a ward map of a city would be a blur of text).
MAX_LABELS = 16


@dataclass(frozen=True)
class Picture:
    """One rendered picture: title, PNG bytes, a text alternative for screen readers, and its aspect."""

    title: str
    png: bytes
    alt: str
    aspect: float  # height / width, so a page can size it to fit


def _figure(width: float, height: float) -> Figure:
    fig = Figure(figsize=(width, height), dpi=DPI, layout="constrained")
    FigureCanvasAgg(fig)
    return fig


def _picture(fig: Figure, title: str, alt: str) -> Picture:
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=DPI, facecolor="white", metadata={"Software": None})
    width, height = fig.get_size_inches()
    return Picture(title, buf.getvalue(), alt, float(height / width))


def trend_to_png(published: PublishedOutcomes) -> Picture:
    """ASB reports per month over the period, with the previous period's months beside them."""
    monthly = published.monthly
    n = len(monthly)
    x = np.arange(n)
    fig = _figure(7.2, 3.0)
    ax = fig.add_subplot()
    now = monthly["asb"].to_numpy(float)
    before = monthly["asb_previous"].to_numpy(float)
    ax.plot(x, now, color=NOW, lw=2.2, marker="o", ms=3.5, label=f"{published.period.start} to {published.period.end}")
    if np.isfinite(before).any():
        prev = published.period.previous
        ax.plot(x, before, color=BEFORE, lw=1.6, ls="--", label=f"previous period ({prev.start} to {prev.end})")
    hidden = np.flatnonzero(monthly["asb_text"].str.startswith("fewer").to_numpy())
    if len(hidden):
        ax.plot(x[hidden], np.zeros(len(hidden)), ls="none", marker="x", color=NOW, ms=5)
        ax.plot([], [], ls="none", marker="x", color=NOW, label=f"fewer than {published.threshold} (not plotted)")
    ticks = _month_ticks(monthly["month"].tolist())
    ax.set_xticks(x[ticks], _month_labels([monthly["month"].iloc[i] for i in ticks]), fontsize=8)
    ax.set_ylim(bottom=0)
    ax.set_ylabel("ASB reports")
    ax.set_title(f"ASB reports per month: {published.area_name}", loc="left", fontsize=11, color=INK)
    ax.grid(axis="y", color="#e4e7eb", lw=0.8)
    ax.spines[["top", "right"]].set_visible(False)
    fig.legend(loc="outside lower center", frameon=False, fontsize=8, ncols=3)
    shown = ", ".join(f"{m}: {t}" for m, t in zip(monthly["month"], monthly["asb_text"], strict=True))
    return _picture(fig, "ASB reports per month", f"Line chart of ASB reports per month. {shown}.")


def effect_to_png(published: PublishedOutcomes) -> Picture | None:
    """Before/after bars around closure orders, in the ring around them and elsewhere (None: nothing measured)."""
    e = published.effect
    if not e.used:
        return None
    fig = _figure(7.2, 2.8)
    axes = fig.subplots(1, 3)
    seen, t = e.shown, e.texts
    groups = (
        ("Around the orders", seen.treatment_before, seen.treatment_after, t["treatment_before"], t["treatment_after"]),
        ("In the ring", seen.ring_before, seen.ring_after, t["ring_before"], t["ring_after"]),
        ("Rest of the town", seen.control_before, seen.control_after, t["control_before"], t["control_after"]),
    )
    for ax, (title, b, a, bt, at) in zip(axes, groups, strict=True):
        values = np.nan_to_num(np.array([b, a], dtype=float))
        bars = ax.bar([0, 1], values, color=[BEFORE, NOW], width=0.6)
        for bar, text in zip(bars, (bt, at), strict=True):
            ax.annotate(
                text,
                (bar.get_x() + bar.get_width() / 2, bar.get_height()),
                ha="center",
                va="bottom",
                xytext=(0, 2),
                textcoords="offset points",
                fontsize=9,
                color=INK,
            )
        ax.set_xticks([0, 1], ["before", "after"])
        ax.set_title(title, loc="left", fontsize=10, color=INK)
        ax.set_ylim(0, max(values.max(), 1) * 1.18)
        ax.spines[["top", "right"]].set_visible(False)
        ax.tick_params(axis="x", length=0)
    fig.suptitle(
        f"ASB {published.window_months} months before and after closure orders; relative change: {t['relative']}",
        x=0.01,
        ha="left",
        fontsize=11,
    )
    return _picture(fig, "ASB before and after closure orders", e.sentence)


def maps_to_png(published: PublishedOutcomes) -> list[Picture]:
    """One choropleth of shown ASB counts per layer (wards, estates) that has outlines."""
    b = published.boundaries
    if b.empty:
        return []
    shapes = gpd.GeoDataFrame(b, geometry="geometry", crs=b.crs).to_crs(BNG)
    table = published.areas.set_index(["layer", "code"])
    return [
        _layer_map(published, shapes, table, layer) for layer in ("ward", "estate") if (shapes["layer"] == layer).any()
    ]


def _layer_map(published: PublishedOutcomes, shapes: gpd.GeoDataFrame, table: pd.DataFrame, layer: str) -> Picture:
    mine = shapes[shapes["layer"] == layer].copy()
    others = shapes[shapes["layer"] != layer]
    keys = list(zip(mine["layer"], mine["code"], strict=True))
    mine["value"] = table.loc[keys, "asb"].to_numpy(float)
    mine["text"] = table.loc[keys, "asb_text"].to_numpy()
    top = float(np.nanmax(mine["value"])) if np.isfinite(mine["value"]).any() else 1.0
    norm = Normalize(vmin=0, vmax=max(top, 1.0))
    minx, miny, maxx, maxy = shapes.total_bounds
    # as tall as the place is (within reason), plus room for the title, legend and colour bar
    fig = _figure(7.2, float(np.clip(6.0 * (maxy - miny) / max(maxx - minx, 1.0), 3.0, 8.5)) + 1.4)
    ax = fig.add_subplot()
    ax.set_axis_off()
    shown = mine[np.isfinite(mine["value"])]
    hidden = mine[~np.isfinite(mine["value"])]
    if not shown.empty:
        shown.plot(ax=ax, column="value", cmap=CMAP, norm=norm, edgecolor="white", linewidth=1.0)
    if not hidden.empty:
        hidden.plot(ax=ax, color=SUPPRESSED, edgecolor="white", hatch="///", linewidth=1.0)
    # estates dashed over wards; wards (whose shared edges would double the dashes) solid light grey under estates
    dashed = layer == "ward"
    colour = "#52606d" if dashed else "#9aa5b1"
    style: Literal["--", "-"] = "--" if dashed else "-"
    if not others.empty:
        others.boundary.plot(ax=ax, color=colour, linewidth=0.8, linestyle=style)
    mine.boundary.plot(ax=ax, color="#52606d", linewidth=0.6)
    chosen = shapes[shapes["code"] == published.area] if published.area is not None else shapes.iloc[:0]
    if not chosen.empty:
        chosen.boundary.plot(ax=ax, color=INK, linewidth=2.6)
    if len(mine) <= MAX_LABELS:
        height = shapes.total_bounds[3] - shapes.total_bounds[1]
        for geom, name, text in zip(mine.geometry, mine["name"], mine["text"], strict=True):
            small = geom.bounds[3] - geom.bounds[1] < 0.15 * height  # label beneath, so the colour stays visible
            x, y = (geom.centroid.x, geom.bounds[1]) if small else geom.representative_point().coords[0]
            ax.annotate(
                f"{_short(name)}\n{text}",
                (x, y),
                xytext=(0, -3 if small else 0),
                textcoords="offset points",
                ha="center",
                va="top" if small else "center",
                fontsize=7,
                color=INK,
                bbox={"boxstyle": "round,pad=0.2", "fc": "white", "ec": "none", "alpha": 0.8},
            )
    _scale_bar(ax, shapes)
    fig.colorbar(
        ScalarMappable(norm=norm, cmap=CMAP),
        ax=ax,
        orientation="horizontal",
        shrink=0.5,
        pad=0.02,
        label=f"ASB reports, {published.period.start} to {published.period.end} (shown values)",
    )
    handles: list[Artist] = [
        Patch(facecolor=SUPPRESSED, hatch="///", edgecolor="white", label=f"fewer than {published.threshold}")
    ]
    other = "estate" if layer == "ward" else "ward"
    if not others.empty:
        handles.append(Line2D([], [], color=colour, linewidth=0.8, linestyle=style, label=f"{other} outlines"))
    if not chosen.empty:
        handles.append(Line2D([], [], color=INK, lw=2.6, label="report area"))
    ax.legend(handles=handles, loc="upper left", fontsize=8, frameon=False)
    title = f"ASB reports by {layer}"
    ax.set_title(title, loc="left", fontsize=11, color=INK)
    listed = "; ".join(f"{n}: {t}" for n, t in zip(mine["name"], mine["text"], strict=True))
    return _picture(fig, title, f"Map of ASB reports by {layer}. {listed}.")


def _month_ticks(months: list[str]) -> list[int]:
    """Every month up to a year; beyond, the quarters (Jan, Apr, Jul, Oct); beyond three years, Jan and Jul."""
    if len(months) <= 12:
        return list(range(len(months)))
    every = 3 if len(months) <= 36 else 6
    return [i for i, m in enumerate(months) if (int(m[5:7]) - 1) % every == 0]


def _month_labels(months: list[str]) -> list[str]:
    """``Nov`` for each month labelled, with the year under the first one and each January."""
    out = []
    for i, m in enumerate(months):
        p = pd.Period(m, freq="M")
        out.append(p.strftime("%b\n%Y") if i == 0 or p.month == 1 else p.strftime("%b"))
    return out


def _short(name: str) -> str:
    return str(name).replace(" (synthetic)", "")


def _scale_bar(ax: Axes, shapes: gpd.GeoDataFrame) -> None:
    """A 1 km (or 5 km) bar in the lower right: the map is in metres."""
    minx, miny, maxx, maxy = shapes.total_bounds
    length = 1000.0 if maxx - minx < 15_000 else 5000.0
    x0, y0 = maxx - length, miny - (maxy - miny) * 0.04
    ax.plot([x0, x0 + length], [y0, y0], color=INK, lw=2.5, solid_capstyle="butt")
    ax.annotate(
        f"{length / 1000:.0f} km",
        (x0 + length / 2, y0),
        xytext=(0, 3),
        textcoords="offset points",
        ha="center",
        va="bottom",
        fontsize=7,
        color=INK,
    )
