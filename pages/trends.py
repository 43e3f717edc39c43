"""Trends: how ASB moves by ward and estate over the months. Aggregates only, small counts hidden."""

from __future__ import annotations

from functools import partial

import altair as alt
import streamlit as st
from streamlit_folium import st_folium

from dashboard import trends
from dashboard.context import ensure_shell, get_store, sidebar_view
from dashboard.downloads import Export, export_button, reason_input
from dashboard.messages import show_error
from geo.access.roles import can
from geo.core.errors import NestwatchError
from geo.publish.privacy import label, threshold
from geo.publish.published import PROTECTION_NOTE
from geo.stats.emerging import DEFAULT_TREND

session = ensure_shell("trends")

view = sidebar_view()
st.title("Trends")
st.caption(
    f"Published figures, the same for every role. {PROTECTION_NOTE} "
    f"Counts from 1 to {threshold() - 1} show as “{label()}” and others are rounded to a multiple of {threshold()}. "
    "Changes compare with the same number of months just before. An incident counts in the area whose outline "
    "holds its point (on a shared border: the area whose code comes first)."
)

try:
    table = trends.area_table(view)
except NestwatchError as exc:
    show_error(exc)
    st.stop()

layer_word = "ward" if view.layer == "wards" else "estate"
measure = st.radio(
    "Shade by",
    ["change", "per_km2"],
    horizontal=True,
    key="t_measure",
    format_func=lambda v: {"change": "change on the previous period", "per_km2": "incidents per km²"}[v],
)
left, right = st.columns([3, 2], gap="medium")
with left:
    st_folium(
        trends.choropleth(view, table, value=measure),
        key="t_map",
        height=460,
        use_container_width=True,
        returned_objects=[],
    )
with right:
    st.subheader(f"By {layer_word}")
    shown = trends.shown_table(table, area_word=layer_word)
    st.dataframe(
        shown,
        hide_index=True,
        width="stretch",
        column_config={  # narrow figures, so that all four columns fit beside the map at 1366 px
            layer_word: st.column_config.TextColumn(layer_word.title(), width=150),
            "incidents": st.column_config.TextColumn("Incidents", width=72),
            "previous period": st.column_config.TextColumn(
                "Before", width=64, help="the same number of months just before"
            ),
            "change": st.column_config.TextColumn("Change", width=80),
        },
    )
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
areas = sorted(a for a in series["area"].unique() if not a.startswith("Town"))
picked = st.multiselect(f"{layer_word.title()}s", areas, default=areas[:3], key="t_areas")
data = series[series["area"].isin([*picked, "Town (average per area)"])]
chart = (
    alt.Chart(data)
    .mark_line(point=True)
    .encode(
        x=alt.X("month:N", title="Month"),
        y=alt.Y("incidents:Q", title="Incidents (rounded; gaps are small numbers)"),
        color=alt.Color("area:N", title=layer_word.title()),
        strokeDash=alt.condition(alt.datum.area == "Town (average per area)", alt.value([6, 3]), alt.value([1, 0])),
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
