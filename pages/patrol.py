"""Patrol planner: where to go this week, in what order, and why."""

from __future__ import annotations

from functools import partial

import streamlit as st
from streamlit_folium import st_folium

from dashboard import patrol, results
from dashboard.auth import log_once
from dashboard.context import ensure_shell, get_store, sidebar_view
from dashboard.downloads import Export, export_button, reason_input
from dashboard.messages import show_error
from dashboard.plan import plan_to_csv, plan_to_geojson, plan_to_html
from geo.access.roles import can
from geo.core.errors import NestwatchError
from geo.plan.priority import DEFAULT_BALANCE

session = ensure_shell("patrol")

view = sidebar_view()
st.title("Patrol planner")
with st.sidebar:
    top = st.slider("Places to visit", min_value=3, max_value=30, value=10, key="p_top")
    balance = st.select_slider(
        patrol.BALANCE_LABEL,
        options=patrol.balance_options(),
        value=DEFAULT_BALANCE,
        format_func=patrol.balance_label,
        key="p_balance",
        help=patrol.BALANCE_HELP,
    )

try:
    ranked, scored, tour_m = results.priority(view, top=top, balance=balance)
    what = patrol.what_is_counted(view)
except NestwatchError as exc:
    show_error(exc)
    st.stop()

ranked = patrol.with_names(ranked)  # every cell's score stays without names: only a clicked one needs them
span = f"{view.month_from} to {view.month_to}"
st.caption(
    f"{len(ranked)} places ranked from {what.label} ({patrol.balance_label(balance).lower()}); a round trip of "
    f"{tour_m / 1000:.1f} km in the visiting order. Hexagons: Gi* hot spots after FDR correction; outlined: hot "
    "spots with open flagged addresses. A hot spot with no incidents of its own is there because its neighbours "
    "are busy: the list says so. Exact figures, for the operational team: not for sharing outside it."
)

left, right = st.columns([3, 2], gap="medium")
# The map goes to the browser first (it takes the longest to draw there), so the row picked in the table is
# read from the table's state as the last run left it: the map zooms to that place.
rows = patrol.picked_rows(st.session_state.get("p_table"), len(ranked))
focus = str(ranked["cell"].iloc[rows[0]]) if rows else None
with left:
    m = patrol.patrol_map(view, top=top, balance=balance, layers=session.role.layers, focus=focus)
    for layer in ("flagged", "closures"):
        if can(session.role, f"layer:{layer}"):
            log_once(session, action="view_layer", target=f"layer:{layer}")
    state = st_folium(m, key="p_map", height=560, use_container_width=True, returned_objects=["last_object_clicked"])

with right:
    st.subheader("Where to go")
    table = patrol.plan_table(ranked, what)
    st.dataframe(
        table,
        hide_index=True,
        width="stretch",
        on_select="rerun",
        selection_mode="single-row",
        key="p_table",
        column_config={
            "visit": st.column_config.NumberColumn(width=48),
            "rank": st.column_config.NumberColumn(width=48),
            "why": st.column_config.TextColumn(width="large"),
            "score": st.column_config.NumberColumn(format="%.0f"),
        },
    )

clicked = (state or {}).get("last_object_clicked")
cell = patrol.cell_at(clicked["lat"], clicked["lng"], res=view.res) if clicked else focus
if cell:
    details = patrol.cell_details(view, cell)
    if details["inside"]:
        log_once(session, action="view_cell", target=f"cell:{cell}", rows=len(details["flagged"]))
        row = patrol.with_names(scored[scored["cell"] == cell]).iloc[0]
        st.subheader(f"Hexagon {cell}")
        st.markdown(
            f"**{row['ward_name'] or 'outside the wards'}** · score {row['score']:.0f} · "
            f"{what.incidents(int(row['count']))} in {what.period} · pattern: {row['emerging'] or 'n/a'}"
        )
        st.write("Why: " + (row["reasons"] or "no hot spot or case data here."))
        c1, c2 = st.columns(2)
        c1.caption("Incidents per month")
        c1.bar_chart(details["monthly"], height=180)
        c2.caption("By category")
        c2.dataframe(details["categories"].rename("incidents"), width="stretch")
        if len(details["places"]):
            st.caption("Where in this hexagon (police.uk locations are anonymised street points)")
            st.dataframe(details["places"], hide_index=True, width="stretch")
        if len(details["flagged"]):
            st.caption("Flagged addresses in this hexagon")
            st.dataframe(
                details["flagged"][["address", "indicators", "first_flagged", "status", "agency"]],
                hide_index=True,
                width="stretch",
            )
        if len(details["closures"]):
            st.caption("Closure orders in this hexagon")
            st.dataframe(
                details["closures"][["ref", "address", "granted", "expiry", "status"]], hide_index=True, width="stretch"
            )

st.subheader("Take the plan with you")
if not can(session.role, "export:patrol_plan"):
    st.caption("Your role cannot export the plan.")
    st.stop()
reason = reason_input(
    "Why are you taking the plan away?",
    key="p_reason",
    placeholder="e.g. Monday briefing, Hillfields team",
    help="The plan names places linked to flagged addresses: every export is logged with this reason.",
)
# nothing is built here: each file is made when its button is clicked, after its audit entry
printable = partial(
    plan_to_html,
    ranked,
    title="Nestwatch patrol plan",
    subtitle=f"{what.label}; balance: {patrol.balance_label(balance).lower()}",
    boundaries=results.boundaries(view.layer),
    tour_m=tour_m,
    counted=what,
)
exports = (
    ("Patrol plan (CSV)", "patrol-plan.csv", "text/csv", "p_csv", partial(plan_to_csv, ranked, counted=what)),
    (
        "Patrol plan (GeoJSON)",
        "patrol-plan.geojson",
        "application/geo+json",
        "p_geojson",
        partial(plan_to_geojson, ranked, counted=what),
    ),
    ("Printable plan (HTML)", "patrol-plan.html", "text/html", "p_html", printable),
)
store = get_store()
for column, (label, name, mime, key, build) in zip(st.columns(3), exports, strict=True):
    export = Export(label=label, file_name=name, mime=mime, key=key, build=build, rows=len(ranked), personal=True)
    export_button(column, export, reason=reason, session=session, store=store)
