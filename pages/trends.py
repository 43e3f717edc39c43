"""Trends: how ASB moves by ward and estate over the months. Aggregates only, small counts hidden."""

from __future__ import annotations

import altair as alt
import streamlit as st
from streamlit_folium import st_folium

from dashboard import trends
from dashboard.context import ensure_shell, sidebar_view
from geo.access.roles import can
from geo.core.errors import NestwatchError
from geo.publish.privacy import label, threshold

session = ensure_shell("trends")

view = sidebar_view()
st.title("Trends")
st.caption(
    f"Counts from 1 to {threshold() - 1} show as “{label()}” and others are rounded to a multiple of {threshold()}. "
    "Changes compare with the same number of months just before."
)

try:
    table = trends.area_table(view)
except NestwatchError as exc:
    st.error(str(exc))
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
    shown = table[["name", "shown_now", "shown_before", "change"]].rename(
        columns={"name": layer_word, "shown_now": "incidents", "shown_before": "previous period"}
    )
    st.dataframe(
        shown.sort_values("change", na_position="last"),
        hide_index=True,
        width="stretch",
        column_config={"change": st.column_config.NumberColumn(format="percent")},
    )

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
    try:
        st_folium(
            trends.emerging_map(view), key="t_emerging", height=420, use_container_width=True, returned_objects=[]
        )
    except NestwatchError as exc:
        st.info(str(exc))
