"""Trends: how ASB moves by ward and estate over the months. Aggregates only, small counts hidden.

For a cabinet member: the change on the months before or on the same months a year earlier, a
month-by-month map played in the browser, and "my ward" by link (``/trends?area=CODE``, several
codes comma-separated; the address follows the areas picked, so it can be bookmarked).
"""

from __future__ import annotations

from functools import partial

import altair as alt
import streamlit as st
from streamlit_folium import st_folium

from dashboard import results, trends
from dashboard.context import ensure_shell, get_store, sidebar_view
from dashboard.downloads import Export, export_button, reason_input
from dashboard.messages import show_error
from geo.access.roles import can
from geo.core.errors import NestwatchError
from geo.publish.privacy import label, threshold
from geo.publish.published import PROTECTION_NOTE
from geo.stats.emerging import DEFAULT_TREND

session = ensure_shell("trends")
trends.follow_link()  # "my ward": /trends?area=CODE, before the sidebar draws its filters
view = sidebar_view()
st.title("Trends")
compare = st.radio(
    "Compare with",
    list(trends.COMPARISONS),
    horizontal=True,
    key="t_compare",
    format_func=trends.COMPARISONS.__getitem__,
    help="The same number of months just before, or the same months a year earlier (which takes out the "
    "seasons: summer evenings against last summer's).",
)
st.caption(
    f"Published figures, the same for every role. {PROTECTION_NOTE} "
    f"Counts from 1 to {threshold() - 1} show as “{label()}” and others are rounded to a multiple of {threshold()}. "
    f"Changes compare with {trends.COMPARISONS[compare]}, and are worked out from the shown counts. "
    "An incident counts in the area whose outline holds its point (on a shared border: the area whose code "
    "comes first)."
)

try:
    table = trends.area_table(view, compare=compare)
except NestwatchError as exc:
    show_error(exc)
    st.stop()

layer_word = "ward" if view.layer == "wards" else "estate"
measure = st.radio(
    "Shade by",
    ["change", "per_km2", "month"],
    horizontal=True,
    key="t_measure",
    format_func=lambda v: {
        "change": f"change on {trends.COMPARISONS[compare]}",
        "per_km2": "incidents per km²",
        "month": "month by month (play)",
    }[v],
)
st.markdown(  # below 1000 px (a tablet) the map and the table stack, so no column of the table is cut off
    """<style>
    @media (max-width: 1000px) {
      [data-testid="stMain"] [data-testid="stHorizontalBlock"] { flex-wrap: wrap; }
      [data-testid="stMain"] [data-testid="stColumn"] { min-width: 100% !important; flex: 1 1 100% !important; }
    }
    </style>""",
    unsafe_allow_html=True,  # a fixed style sheet: no data goes into it
)
left, right = st.columns([3, 2], gap="medium")
with left:
    if measure == "month":
        st.caption(
            f"Each {layer_word} shaded by its published count, one month at a time, on one colour scale for "
            "every month. Press ▶ Play on the map, or step through the months with ‹ › or the slider."
        )
        figure = trends.playback_map(view)
    else:
        figure = trends.choropleth(view, table, value=measure, compare=compare)
    st_folium(figure, key="t_map", height=460, use_container_width=True, returned_objects=[])
    st.caption(trends.CAVEATS)
with right:
    st.subheader(f"By {layer_word}")
    before_column = trends.BEFORE_COLUMN[compare]
    rates = trends.rates(view, table)
    shown = trends.shown_table(table, area_word=layer_word, compare=compare, rates=rates)
    st.dataframe(
        shown,
        hide_index=True,
        width="stretch",
        column_config={  # narrow figures, so that all four columns fit beside the map at 1366 px
            layer_word: st.column_config.TextColumn(layer_word.title(), width=150),
            "incidents": st.column_config.TextColumn("Incidents", width=72),
            trends.RATES_COLUMN: st.column_config.TextColumn("Per 1,000", width=72, help="per 1,000 residents"),
            before_column: st.column_config.TextColumn(
                "Before" if compare == "previous" else "Year before",
                width=64 if compare == "previous" else 84,
                help=trends.COMPARISONS[compare],
            ),
            "change": st.column_config.TextColumn("Change", width=80),
        },
    )
    st.caption(trends.NO_RATES if rates is None else trends.rates_words(view))
    if can(session.role, "export:ward_summary"):
        reason = reason_input(
            f"Why are you taking the {layer_word} table away?",
            key="t_reason",
            placeholder="e.g. ward councillors' briefing",
            help="Published figures only (small numbers hidden, others rounded); every download is logged.",
        )
        summary = Export(
            label=f"Download the {layer_word} table (CSV)",
            file_name=f"nestwatch-{layer_word}s-{view.month_from}-to-{view.month_to}.csv",
            mime="text/csv",
            key="t_download",
            build=partial(trends.shown_table_csv, shown),  # made on the click, after its audit entry
            rows=len(shown),
            personal=False,
            target=f"export:trends-{layer_word}s.csv",
        )
        export_button(st, summary, reason=reason, session=session, store=get_store())

st.subheader(f"Month by month, {layer_word} beside the town")
series = trends.monthly_by_area(view)
names = results.boundary_names(view.layer)
names = names[names.isin(series["area"].unique())].sort_values(kind="stable")
picked = trends.pick_areas(names, area_word=layer_word)
data = series[series["area"].isin([*(names[c] for c in picked), trends.TOWN])]
chart = (
    alt.Chart(data)
    .mark_line(point=True)
    .encode(
        x=alt.X("month:N", title="Month"),
        y=alt.Y("incidents:Q", title="Incidents (rounded; gaps are small numbers)"),
        color=alt.Color("area:N", title=layer_word.title()),
        strokeDash=alt.condition(alt.datum.area == trends.TOWN, alt.value([6, 3]), alt.value([1, 0])),
        tooltip=[  # the published words, never the chart's own number format (no "7.35")
            alt.Tooltip("area:N", title=layer_word.title()),
            alt.Tooltip("month:N", title="Month"),
            alt.Tooltip("shown:N", title="Incidents"),
        ],
    )
    .properties(height=300)
)
st.altair_chart(chart, width="stretch")

if can(session.role, "layer:emerging"):  # hexagon-level: finer than the ward figures above
    st.subheader("Emerging hot spots")
    trend = st.radio(
        "Measure each hexagon's trend over",
        list(trends.TREND_CHOICES),
        index=list(trends.TREND_CHOICES).index(DEFAULT_TREND),
        format_func=trends.TREND_CHOICES.__getitem__,
        key="t_trend",
        help="The first month's neighbourhood has no earlier month in it, so its hot spot score is lower "
        "for the same incidents; left in, a steady hot spot can look as if it were growing. "
        "Esri's ArcGIS Pro keeps it; choose that to compare with its maps.",
    )
    try:
        st_folium(
            trends.emerging_map(view, trend=trend),
            key="t_emerging",
            height=420,
            use_container_width=True,
            returned_objects=[],
        )
        st.caption(trends.emerging_words(view, trend=trend))
    except NestwatchError as exc:
        st.info(str(exc))
