"""Glue for the trends page: ward and estate figures safe for a cabinet member.

Every count here is a sum of the protected release's cells
(:func:`geo.publish.areas.released_areas`, from :func:`dashboard.results.release`),
then shown through the presentation rule (:func:`geo.publish.areas.publish_area_table`:
small counts as "fewer than N", others rounded), so a ward's figure here is the
one Outcomes, the report pack and ``python -m geo areas --published`` give, and
no run of months, area or mix of categories can be combined with another to
work out a small count. Hexagons are coloured by pattern without counts. No
address, ref or case record is read here. The same holds of the month-by-month map
(:func:`playback_map`: each month's shown count per area, from the same cells) and of
the year-on-year comparison (:func:`area_table` with ``compare="year"``: the same
months a year earlier, summed from the same release).
"""

from __future__ import annotations

import re

import folium
import geopandas as gpd
import numpy as np
import pandas as pd
import streamlit as st

from dashboard import context, maps, playback, results
from dashboard.view import View
from geo.core.errors import NestwatchError, OptionError, StoreError
from geo.plan import analysis
from geo.publish.areas import ReleasedAreas, publish_area_table, released_areas
from geo.publish.export import frame_to_csv_bytes
from geo.publish.privacy import APPROX, label, suppress, suppress_labels, threshold
from geo.stats.emerging import DEFAULT_TREND, TrendRule

#: The trend rules as the page offers them, in plain words (:data:`geo.stats.emerging.TREND_RULES`).
TREND_CHOICES: dict[str, str] = {
    "complete": "complete months only (leaves out the first month, which has no earlier month to compare with)",
    "esri": "every month (as Esri's ArcGIS Pro does)",
}

#: What a period's count is compared with, in the words of the page's choice.
COMPARISONS: dict[str, str] = {
    "previous": "the months just before",
    "year": "the same months a year earlier",
}
#: The heading of the comparison column, per choice (the CSV's too).
BEFORE_COLUMN: dict[str, str] = {"previous": "previous period", "year": "a year earlier"}

#: Printed under every Trends map: what the figures are and are not, in plain words.
CAVEATS = (
    "What these figures are: anti-social behaviour incidents reported to the police, not all that happened "
    "(much is never reported). police.uk places each incident at an approximate snap point near where it "
    "happened, not at the address. Small counts are hidden and the others rounded, so a change of a few "
    "incidents may not show."
)

#: Where the "per 1,000 residents" column goes until a population table is loaded.
NO_RATES = "Counts, not rates: no population table is loaded"
#: The heading of the rates column (see :func:`rates`).
RATES_COLUMN = "per 1,000 residents"


def year_earlier(months: tuple[str, ...] | list[str]) -> list[str]:
    """The same months a year earlier (``2026-03`` → ``2025-03``), in order."""
    return [str(pd.Period(m, freq="M") - 12) for m in months]


def counted(view: View) -> ReleasedAreas:
    """Released (protected, not yet rounded) counts per area for the view, from the cached release.

    Raises
    ------
    StoreError
        When no incidents are stored (the sidebar then has no months to choose).
    """
    if not view.month_from or not view.month_to:
        raise StoreError("no incidents are stored: import police.uk files first (python -m geo import incidents …)")
    return released_areas(
        results.release(), layer=view.layer, start=view.month_from, end=view.month_to, categories=view.categories
    )


def area_table(view: View, *, compare: str = "previous") -> pd.DataFrame:
    """Per ward (or estate): incidents now and in the comparison period, change, per km², all safe to show.

    ``compare`` is ``"previous"`` (the same number of months just before) or ``"year"`` (the same months
    a year earlier: a 3-month winter against last winter, not against the autumn); either period is a
    sum of the release's cells, and when the store holds no months that early the table says
    "no earlier data" and "no comparison" (:func:`geo.publish.areas.publish_area_table`).

    ``now``/``before`` are the published (suppressed, rounded) counts, NaN where hidden;
    ``shown_now``/``shown_before``/``change_text`` the words the page prints, from
    :func:`geo.publish.areas.publish_area_table`, so no exact count leaves here.

    Raises
    ------
    OptionError
        ``compare`` is not one of :data:`COMPARISONS`.
    """
    if compare not in COMPARISONS:
        raise OptionError(f"compare must be one of {', '.join(COMPARISONS)}, not {compare!r}", option="compare")
    result = counted(view)
    base, compared = result.table, result.compared
    if compare == "year":
        base, compared = _year_on_year(result, view)
    shown = publish_area_table(base, compared=compared)
    areas = results.boundaries(view.layer)
    km2 = areas.set_index("code").to_crs("EPSG:27700").area / 1e6
    table = pd.DataFrame(
        {
            "code": shown["code"],
            "name": shown["name"],
            "now": shown["count"],
            "before": shown["previous"],
            "change": shown["change"],
            "shown_now": shown["count_text"],
            "shown_before": shown["previous_text"],
            "change_text": shown["change_text"],
        }
    )
    table["km2"] = table["code"].map(km2)
    table["per_km2"] = table["now"] / table["km2"].to_numpy()
    return table.reset_index(drop=True)


def _year_on_year(result: ReleasedAreas, view: View) -> tuple[pd.DataFrame, bool]:
    """``result.table`` with ``previous`` replaced by the same months a year earlier (release sums)."""
    release = results.release()
    earlier = year_earlier(result.months)
    compared = release.months is not None and release.months[0] <= earlier[0]
    table = result.table.copy()
    if compared:
        totals = release.totals("incidents", layer=result.layer, months=earlier, categories=view.categories)
        table["previous"] = totals.reindex(table["code"].astype(str), fill_value=0).to_numpy()
    else:
        table["previous"] = np.nan
    return table, compared


@st.cache_data(show_spinner=False, max_entries=32)
def _population(url: str, version: str, first: str, last: str) -> pd.DataFrame:
    from geo.store import read_population

    return read_population(context.get_store(), months=(first, last))


def population(view: View) -> pd.DataFrame:
    """Residents per area code for the view's period (``population``, ``year``; empty when none is loaded)."""
    if not view.month_from or not view.month_to:
        return pd.DataFrame(columns=["population", "year"])
    return _population(*results.version(), view.month_from, view.month_to)


def rates(view: View, table: pd.DataFrame) -> pd.Series | None:
    """Incidents per 1,000 residents per area code, worded, or None while no population table is loaded.

    From the *published* counts (``table["now"]``: suppressed, rounded) and the ONS mid-year estimate
    nearest the period's end (:func:`geo.store.read_population`), so a rate never says more than the count
    beside it (:func:`geo.publish.rates.rate_texts`: "not shown" where the count is hidden, "no population
    figure" where the area has none).
    """
    from geo.publish.rates import rate_texts

    residents = population(view)
    if residents.empty:
        return None
    return rate_texts(table.set_index("code")["now"], residents["population"])


def rates_words(view: View) -> str:
    """Which estimates the rates divide by, for the caption under the table."""
    years = sorted({int(y) for y in population(view)["year"]})
    mid = ", ".join(f"mid-{y}" for y in years)
    return (
        f"Per 1,000 residents: the published count over the ONS mid-year population estimate ({mid}), "
        "for the whole period chosen; hidden counts have no rate."
    )


def shown_table(
    table: pd.DataFrame, *, area_word: str, compare: str = "previous", rates: pd.Series | None = None
) -> pd.DataFrame:
    """The columns of :func:`area_table` the page lists, as it lists them: labels, not counts, falls first.

    ``area_word`` ("ward" or "estate") heads the name column, ``compare`` names the comparison column
    (:data:`BEFORE_COLUMN`); the change is in the words every published table uses ("-12%",
    "not shown", "no comparison"), sorted by its value, biggest fall first and the unprintable ones
    last. ``rates`` (per area code, already worded) adds the :data:`RATES_COLUMN` after the incidents.
    """
    ordered = table.sort_values(["change", "name"], na_position="last", kind="stable")
    shown = ordered[["name", "shown_now", "shown_before", "change_text"]].rename(
        columns={
            "name": area_word,
            "shown_now": "incidents",
            "shown_before": BEFORE_COLUMN[compare],
            "change_text": "change",
        }
    )
    if rates is not None:
        shown.insert(2, RATES_COLUMN, ordered["code"].map(rates).fillna("not shown").astype(str).to_numpy())
    return shown.reset_index(drop=True)


def shown_table_csv(shown: pd.DataFrame) -> bytes:
    """:func:`shown_table` as a CSV: the same labels and change words as the screen.

    Only published values go in, so the file says no more than the screen.
    """
    return frame_to_csv_bytes(shown)


def monthly_by_area(view: View) -> pd.DataFrame:
    """Long frame ``area, month, incidents`` (suppressed), plus the town's mean per area as ``Town (average)``.

    From the same released cells as :func:`area_table`, so an area's months add up, before the
    presentation rounding, to its count there.
    """
    result = counted(view)
    names = result.table.set_index("code")["name"]
    per = result.monthly.rename(index=names)
    long = per.stack().rename("raw").reset_index()
    long.columns = ["area", "month", "raw"]
    long["incidents"] = suppress(long["raw"])
    long["shown"] = suppress_labels(long["raw"].to_numpy())
    # the town line is the mean of the *shown* values (suppressed ones as 0): exact counts never enter it
    town = long.assign(v=long["incidents"].fillna(0)).groupby("month")["v"].mean()
    town_rows = pd.DataFrame(
        {
            "area": TOWN,
            "month": town.index,
            "incidents": town.to_numpy(),
            "shown": [f"{APPROX}{v:,.0f} (average of the shown counts)" for v in town.to_numpy()],  # no decimals
        }
    )
    return pd.concat([long.drop(columns="raw"), town_rows], ignore_index=True)


#: The chart's town line (the mean of the shown values per area).
TOWN = "Town (average per area)"


def areas_from_url(raw: str | None, names: pd.Series) -> tuple[list[str], list[str]]:
    """The area codes of a ``?area=`` value (comma-separated) that ``names`` (code → name) knows, and the rest.

    Known codes come back in the URL's order without repeats; unknown ones (typed, stale, or of the other
    layer) are returned apart so the page can say it ignored them. Codes are compared as written, after
    trimming spaces: ONS codes are upper case (``E05…``), and a lower-case one is another code.
    """
    if not raw:
        return [], []
    known: list[str] = []
    unknown: list[str] = []
    for part in str(raw).split(","):
        code = part.strip()
        if not code:
            continue
        target = known if code in names.index else unknown
        if code not in target:
            target.append(code)
    return known, unknown


_CODE_RE = re.compile(r"[A-Za-z0-9]{1,12}")
#: Session keys of the "my ward" link: the ``?area=`` value last applied, and the codes it had that no area has.
_SEEN, _UNKNOWN, _PICKED = "t_url_seen", "t_url_unknown", "t_areas"


def _new_link() -> str | None:
    """The page's ``?area=`` value when it has not been applied yet (a new arrival, or an edited address)."""
    raw = st.query_params.get("area")
    return raw if raw and st.session_state.get(_SEEN) != raw else None


def follow_link() -> None:
    """Before the sidebar: a link to estates' codes switches the boundaries to estates (wards' to wards).

    Once per link, so the user can still change the boundaries afterwards.
    """
    raw = _new_link()
    if raw is None:
        return
    codes = [c.strip() for c in raw.split(",") if c.strip()]
    try:
        wards = set(results.boundary_names("wards").index.astype(str))
        estates = set(results.boundary_names("estates").index.astype(str))
    except NestwatchError:
        return
    if codes and any(c in wards for c in codes):
        context.choose_filter("f_layer", "wards")
    elif codes and any(c in estates for c in codes):
        context.choose_filter("f_layer", "estates")


def pick_areas(names: pd.Series, *, area_word: str) -> list[str]:
    """The chart's area picker (codes, shown by name), started from the link, written back to the URL.

    ``names`` maps the layer's codes to names, in the order to offer them. A link's codes are picked
    once on arrival (unknown ones get a quiet note, :func:`unknown_codes_note`); after that the
    address follows the user's picks (``?area=A,B``) so the view can be bookmarked, and the default
    (the first three) leaves the address alone.
    """
    codes = [str(c) for c in names.index]
    raw = _new_link()
    if raw is not None:
        st.session_state[_SEEN] = raw
        known, unknown = areas_from_url(raw, names)
        if known:
            st.session_state[_PICKED] = known
        if unknown:
            st.session_state[_UNKNOWN] = unknown
    if st.session_state.get(_PICKED):  # picks of the other layer (the boundaries just changed) give way
        kept = [c for c in st.session_state[_PICKED] if c in names.index]
        if kept:
            st.session_state[_PICKED] = kept
        else:
            del st.session_state[_PICKED]
    picked = st.multiselect(
        f"{area_word.title()}s",
        codes,
        default=None if _PICKED in st.session_state else codes[:3],
        format_func=lambda c: str(names.get(c, c)),
        key=_PICKED,
        on_change=lambda: st.session_state.pop(_UNKNOWN, None),  # the note was about the link
        help=f"Link straight to a {area_word}: add ?area=CODE to this page's address.",
    )
    if st.session_state.get(_UNKNOWN):
        st.caption(unknown_codes_note(st.session_state[_UNKNOWN], area_word=area_word))
    link = ",".join(picked)
    if st.query_params.get("area") or picked != codes[:3]:  # follow a pick, not the default
        if link and st.query_params.get("area") != link:
            st.query_params["area"] = link
        elif not link and "area" in st.query_params:
            del st.query_params["area"]
        st.session_state[_SEEN] = link or None
    return list(picked)


def unknown_codes_note(codes: list[str], *, area_word: str) -> str:
    """The quiet note for codes a link asked for and no area has, safe to print as Markdown.

    A code is echoed only when it looks like one (letters and digits, up to 12): anything else in a
    link (``![](https://…)`` would make the browser fetch an image, ``:red[…]`` restyle the page) is
    not repeated, only counted.
    """
    shown = [c for c in codes if _CODE_RE.fullmatch(c)][:5]
    rest = len(codes) - len(shown)
    asked = ", ".join(shown)
    if rest:
        more = f"{rest} more" if shown else f"{rest} code{'s' if rest > 1 else ''}"
        asked = f"{asked} and {more}" if shown else more
    return f"The link asked for {asked}: no {area_word} here has that code, so it was left out."


def _fit(view: View, areas: gpd.GeoDataFrame, has_data: np.ndarray) -> tuple[float, float, float, float] | None:
    """Where the map opens: the areas with published incidents (``has_data``), else every area of the layer.

    Not every stored boundary (two towns 50 km apart would be specks), and never the hexagons that hold
    incidents (``results.data_bounds``): that box is exact, so for one month, one category and small
    hexagons it showed a cabinet member where a single incident was, where the published figure said 0.
    ``has_data`` comes from the published counts only. ``view`` is kept for the callers' symmetry.
    """
    del view
    picked = areas[has_data] if has_data.any() else areas
    return None if picked.empty else tuple(float(v) for v in picked.total_bounds)  # type: ignore[return-value]


def _density_text(d: float) -> str:
    """Incidents per km² from rounded counts: whole numbers, one decimal below 10 (no false precision)."""
    if not np.isfinite(d):
        return "not shown"
    return f"{d:,.0f} per km²" if d >= 10 else f"{d:.1f} per km²"


def choropleth(view: View, table: pd.DataFrame, *, value: str = "change", compare: str = "previous") -> folium.Map:
    """Areas shaded by change against the comparison period (or by incidents per km²), names on the map."""
    areas = results.boundaries(view.layer).merge(table, on=["code", "name"], how="left")
    has_data = (areas["now"].fillna(1) > 0).to_numpy()  # a hidden count is still some incidents
    m = maps.base_map(bounds=_fit(view, areas, has_data))
    vals = areas[value].to_numpy(dtype=float)
    colours = [_colour(v, value=value, top=np.nanmax(vals) if np.isfinite(vals).any() else 1.0) for v in vals]
    changes = ["not shown" if pd.isna(c) else str(c) for c in areas["change_text"]]
    densities = [_density_text(d) for d in areas["per_km2"]]
    maps.add_shaded_areas(
        m,
        list(areas.geometry),
        colours,
        {
            "name": ("Area", list(areas["name"])),
            "now": ("Incidents", list(areas["shown_now"])),
            "change": ("Change", changes),
            "density": ("Density", densities),
        },
    )
    if value == "change":
        legend = [
            ("fell 25 % or more", "#1b5e20"),
            ("fell", "#81c784"),
            ("rose", "#ef9a9a"),
            ("rose 25 % or more", "#b71c1c"),
        ]
    else:
        legend = [("fewer per km²", "#fff3e0"), ("more per km²", "#e65100")]
    legend.append(("not shown (small numbers)", "#bdbdbd"))
    title = f"Change on {COMPARISONS[compare]}" if value == "change" else "Incidents per km²"
    maps.add_legend(m, legend, title=title)
    playback.add_area_labels(m, areas[["name", "geometry"]])
    return m


@st.cache_data(show_spinner="Preparing the month-by-month map…", max_entries=16)
def _playback_payload(url: str, version: str, view: View, below: int) -> tuple[dict, tuple | None]:
    result = counted(view)
    areas = results.boundaries(view.layer)
    areas = areas[areas["code"].astype(str).isin(result.monthly.index)].reset_index(drop=True)
    raw = result.monthly.reindex(areas["code"].astype(str)).to_numpy(dtype=float)
    shown = suppress(raw)
    texts = np.asarray(suppress_labels(raw.ravel()), dtype=object).reshape(raw.shape)
    bounds = playback.fixed_scale(shown, step=below)
    payload = playback.playback_payload(
        areas,
        months=result.months,
        month_words=playback.month_words(result.months),
        shown=shown,
        texts=texts.tolist(),
        bounds=bounds,
        words={**playback.PLAYER_WORDS, "area": "Ward" if view.layer == "wards" else "Estate"},
    )
    has_data = (np.nan_to_num(shown, nan=1.0) > 0).any(axis=1)  # hidden: some incidents
    fit = _fit(view, areas, has_data)
    return {"payload": payload, "legend": playback.scale_legend(bounds, step=below, hidden=label())}, fit


def playback_map(view: View) -> folium.Map:
    """Each ward (or estate) shaded by its published count month by month, played in the browser.

    All the view's months go to the page at once with one colour scale for all of them
    (:func:`dashboard.playback.fixed_scale`), so playing it needs no rerun and a darker ward means more
    incidents in every frame. Counts are the shown ones: hidden small numbers are grey, "not shown".
    """
    built, fit = _playback_payload(*results.version(), view, threshold())
    m = maps.base_map(bounds=fit)
    playback.add_playback(m, built["payload"])
    maps.add_legend(m, built["legend"], title="Incidents a month (one scale for every month)")
    return m


def _colour(v: float, *, value: str, top: float) -> str:
    if not np.isfinite(v):
        return "#bdbdbd"
    if value == "change":
        if v <= -0.25:
            return "#1b5e20"
        if v < 0:
            return "#81c784"
        return "#b71c1c" if v >= 0.25 else "#ef9a9a"
    share = 0.0 if top <= 0 else min(1.0, v / top)
    palette = ["#fff3e0", "#ffcc80", "#ffa726", "#f57c00", "#e65100"]
    return palette[min(len(palette) - 1, int(share * len(palette)))]


@st.cache_data(show_spinner="Looking for emerging hot spots…", max_entries=16)
def _emerging(url: str, version: str, view: View, trend: TrendRule) -> pd.DataFrame:
    return analysis.emerging_table(results.cube(view), k=view.k, trend=trend)


def emerging(view: View, *, trend: TrendRule = DEFAULT_TREND) -> pd.DataFrame:
    """Emerging pattern per cell under the trend rule (cached per import, view and rule).

    Raises
    ------
    OptionError
        With fewer than 10 months in the trend (Esri's minimum): nothing is classified.
    """
    return _emerging(*results.version(), view, trend)


def emerging_words(view: View, *, trend: TrendRule = DEFAULT_TREND) -> str:
    """The rule and the months behind the map's patterns, for its caption."""
    months = results.cube(view).months
    rule = "complete months" if trend == "complete" else "every month, as Esri"
    return (
        f"Patterns of {months[0]}..{months[-1]}; the trend rule is “{rule}”: "
        f"{analysis.describe_trend(months, trend=trend)}. "
        "Esri's method needs at least 10 months in the trend."
    )


def emerging_map(view: View, *, trend: TrendRule = DEFAULT_TREND) -> folium.Map:
    """Hexagons coloured by emerging pattern; no counts in the tooltips; the legend names the rule."""
    table = emerging(view, trend=trend)
    shown = table[table["category"] != "no pattern detected"].copy()
    shown["colour"] = shown["category"].map(maps.EMERGING_COLOURS)
    boundaries = results.boundaries(view.layer)
    m = maps.base_map(bounds=_fit(view, boundaries, np.ones(len(boundaries), dtype=bool)))
    maps.add_hexes(m, shown, colour="colour", tooltip=("category",), name="Emerging hot spots")
    if not boundaries.empty:
        maps.add_boundaries(m, boundaries, name="Boundaries")
    present = [c for c in maps.EMERGING_COLOURS if c in set(shown["category"])]
    first = str(table["trend_from"].iloc[0]) if len(table) else ""
    rule = "complete months" if trend == "complete" else "every month (Esri)"
    maps.add_legend(
        m, [(c, maps.EMERGING_COLOURS[c]) for c in present], title=f"Emerging pattern · trend from {first}, {rule}"
    )
    maps.add_layer_control(m)
    return m
