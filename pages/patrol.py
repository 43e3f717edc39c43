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
from dashboard.plan import pattern_in_words, plan_to_csv, plan_to_geojson, plan_to_html, reading_guide
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
plan = patrol.in_visiting_order(ranked)
md = patrol.markdown_text
st.caption(
    f"{len(plan)} places ranked from {what.label} ({patrol.balance_label(balance).lower()}), numbered on the map "
    f"in the order to visit them: a round trip of {tour_m / 1000:.1f} km. Exact figures, for the operational "
    "team: not for sharing outside it."
)

index = patrol.search_index(view)
choice = st.selectbox(
    patrol.SEARCH_LABEL,
    index["label"].tolist(),
    index=None,
    placeholder="Ward, estate, street or H3 id",
    accept_new_options=True,
    key="p_search",
    help=patrol.SEARCH_HELP,
)
found = patrol.find_place(view, index, choice)
if found is not None and found.note:
    (st.caption if found.bounds else st.warning)(patrol.markdown_text(found.note))

# What the user did last decides where the map goes (a place looked for, or a row picked in the list) and
# which place is detailed below (those two, or a click on the map). Streamlit keeps each input's value
# after newer actions, so each one's last change is noted; the click is the map's state from the last run.
rows = patrol.picked_rows(st.session_state.get("p_table"), len(plan))
picked = str(plan["cell"].iloc[rows[0]]) if rows else None
click = (st.session_state.get("p_map") or {}).get("last_object_clicked")
values = {
    "search": found.label if found is not None and found.bounds else None,
    "table": picked,
    "click": (click["lat"], click["lng"]) if click else None,
}
changed = patrol.note_changes(st.session_state, values)
zoom = patrol.latest(changed, values, ("search", "table"))
if zoom == "search" and found is not None:
    bounds = found.bounds
elif zoom == "table" and picked:
    bounds = patrol.cell_bounds(picked)
else:
    bounds = patrol.data_bounds(view, scored)
m = patrol.patrol_map(view, top=top, balance=balance, layers=session.role.layers, plan=plan, bounds=bounds)
for layer in ("flagged", "closures"):
    if can(session.role, f"layer:{layer}"):
        log_once(session, action="view_layer", target=f"layer:{layer}")
st_folium(m, key="p_map", height=520, use_container_width=True, returned_objects=["last_object_clicked"])

with st.expander("How to read this map and list"):
    for heading, items in [*reading_guide(balance=balance, counted=what), ("On the map", patrol.MAP_NOTES)]:
        st.markdown(f"**{md(heading)}**\n\n" + "\n".join(f"- {md(item)}" for item in items))

st.subheader("Where to go")
st.caption(
    "In the order to go round: visit 1 first, and back to it at the end. Rank is the priority (1 = the highest "
    "score). Pick a row to zoom the map to it and read about it below the list."
)
table = patrol.plan_table(plan, what)
# with the row picker's 34 px the columns add up to 736 px, Streamlit's content width on a 768 px tablet
why_width = 300
row_height = patrol.row_height(table["why"], width=why_width)
st.dataframe(
    table,
    hide_index=True,
    width="stretch",
    height=patrol.table_height(len(table), row_height),
    on_select="rerun",
    selection_mode="single-row",
    key="p_table",
    row_height=row_height,
    column_config={
        "visit": st.column_config.NumberColumn("Visit", width=46),
        "rank": st.column_config.NumberColumn("Rank", width=46, help="Priority: 1 has the highest score"),
        "score": st.column_config.NumberColumn("Score", format="%.0f", width=50),
        "place": st.column_config.TextColumn("Place · ward", width=150),
        "why": st.column_config.TextColumn("Why", width=why_width),
        what.label: st.column_config.NumberColumn(what.label[:1].upper() + what.label[1:], width=110),
    },
)

detailed = patrol.latest(changed, values, ("search", "table", "click"))
cell = {"search": found.cell if found is not None else None, "table": picked}.get(detailed or "")
if detailed == "click" and click:
    cell = patrol.cell_at(click["lat"], click["lng"], res=view.res)
if cell:
    details = patrol.cell_details(view, cell)
    if details["inside"]:
        log_once(session, action="view_cell", target=f"cell:{cell}", rows=len(details["flagged"]))
        row = patrol.with_names(scored[scored["cell"] == cell]).iloc[0]
        where = row["ward_name"] or "outside the wards"
        if row.get("estate_name"):
            where += f" · {row['estate_name']}"
        st.subheader(patrol.markdown_text(patrol.place_names(scored[scored["cell"] == cell]).iloc[0]))
        st.markdown(
            f"**{md(where)}** · score {row['score']:.0f} · {md(what.incidents(int(row['count'])))} in {what.period}"
        )
        st.caption(f"Hexagon {cell}")
        st.markdown("**Why:** " + md(row["reasons"] or "no hot spot or case data here."))
        st.markdown("**Over the months:** " + md(pattern_in_words(row["emerging"])))
        c1, c2 = st.columns(2)
        c1.caption("Incidents per month")
        c1.bar_chart(details["monthly"], height=180)
        c2.caption("By category")
        c2.dataframe(details["categories"], hide_index=True, width="stretch")
        if len(details["places"]):
            st.caption("Where in this hexagon (police.uk locations are anonymised street points)")
            st.dataframe(patrol.places_table(details["places"], what), hide_index=True, width="stretch")
        if len(details["flagged"]):
            st.caption("Flagged addresses in this hexagon")
            st.dataframe(details["flagged"], hide_index=True, width="stretch")
        if len(details["closures"]):
            st.caption("Closure orders in this hexagon")
            st.dataframe(details["closures"], hide_index=True, width="stretch")

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
    plan,
    title="Nestwatch patrol plan",
    subtitle=f"{what.label}; balance: {patrol.balance_label(balance).lower()}",
    boundaries=results.boundaries(view.layer),
    tour_m=tour_m,
    counted=what,
    balance=balance,
)
exports = (
    ("Patrol plan (CSV)", "patrol-plan.csv", "text/csv", "p_csv", partial(plan_to_csv, plan, counted=what)),
    (
        "Patrol plan (GeoJSON)",
        "patrol-plan.geojson",
        "application/geo+json",
        "p_geojson",
        partial(plan_to_geojson, plan, counted=what),
    ),
    ("Printable plan (HTML)", "patrol-plan.html", "text/html", "p_html", printable),
)
store = get_store()
for column, (label, name, mime, key, build) in zip(st.columns(3), exports, strict=True):
    export = Export(label=label, file_name=name, mime=mime, key=key, build=build, rows=len(plan), personal=True)
    export_button(column, export, reason=reason, session=session, store=store)
