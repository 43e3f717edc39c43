"""Patrols: plan the week's dose, take the briefing, see planned against delivered, and whether it worked."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from functools import partial

import streamlit as st
from streamlit_folium import st_folium  # type: ignore[import-untyped]

from dashboard import patrol, patrols, patrols_map, results
from dashboard.checkin import this_week, week_of
from dashboard.context import ensure_shell, get_store, sidebar_view
from dashboard.downloads import Export, export_button, reason_input
from dashboard.messages import markdown_literal as md
from dashboard.messages import show_error
from geo.access.roles import can
from geo.core.errors import NestwatchError

session = ensure_shell("patrols")
view = sidebar_view()
role = session.role.name
st.title("Patrols")
st.caption(
    "Plan each place's dose (visits a week × minutes a visit, at random times in the shifts), take the briefing "
    "out, then see what the patrol log says was delivered and whether the patrolled places did better. "
    "Exact figures, for the operational team: not for sharing outside it."
)

# --------------------------------------------------------------------------- plan a week
st.subheader("Plan a week")
with st.form("pp_form", border=True):
    left, right = st.columns(2)
    week = left.date_input("Week beginning (a Monday)", value=patrols.next_monday(), key="pp_week", format="DD/MM/YYYY")
    teams = right.text_input("Teams", value="Team 1", key="pp_teams", help=patrols.TEAMS_HELP)
    shifts = st.text_input("Shifts (UK time)", value=patrols.DEFAULT_SHIFTS, key="pp_shifts", help=patrols.SHIFTS_HELP)
    c1, c2, c3, c4 = st.columns(4)
    top = c1.number_input("Places", min_value=1, max_value=30, value=10, step=1, key="pp_top")
    visits = c2.number_input("Visits a week per place", min_value=1, max_value=14, value=3, step=1, key="pp_visits")
    minutes = c3.number_input("Minutes a visit", min_value=5, max_value=60, value=15, step=5, key="pp_minutes")
    seed = c4.number_input(
        "Seed", min_value=0, max_value=999_999, value=0, step=1, key="pp_seed", help=patrols.SEED_HELP
    )
    st.caption(
        "The places are the patrol planner's ranking for the months, categories and hexagon size in the sidebar. "
        "The Koper curve puts an effective visit at 10 to 15 minutes, at random, intermittent times."
    )
    submitted = st.form_submit_button("Plan and save the week", type="primary", icon=":material/event_available:")
if submitted and isinstance(week, dt.date):
    try:
        plan, plan_id = patrols.make_plan(
            view,
            week=week,
            shifts=shifts,
            teams=teams,
            visits=int(visits),
            minutes=int(minutes),
            seed=int(seed),
            top=int(top),
            user=session.user,
            role=session.role.name,
        )
    except NestwatchError as exc:
        show_error(exc)
    else:
        st.session_state["pp_plan"] = plan
        st.session_state["pp_show"] = plan.week  # the week just planned is shown below
        st.success(
            f"Saved: {md(patrols.plan_summary(plan.slots))} Week beginning {plan.week:%A %d %B %Y}.",
            icon=":material/check:",
        )

# --------------------------------------------------------------------------- the week shown
st.divider()
st.session_state.setdefault("pp_show", this_week())
shown_day = st.date_input(
    "Week to show",
    key="pp_show",
    format="DD/MM/YYYY",
    help="Any day of the week: the page shows Monday to Sunday.",
)
shown = week_of(shown_day if isinstance(shown_day, dt.date) else this_week())
label = "This week" if shown == this_week() else f"Week beginning {shown:%d %b %Y}"
try:
    slots = patrols.saved_slots(shown)
except NestwatchError as exc:
    show_error(exc)
    st.stop()

st.subheader(f"{label}: the plan")
if slots is None or slots.empty:
    st.info(patrols.NO_PLAN, icon=":material/event_busy:")
else:
    st.caption(md(patrols.plan_summary(slots)))
    made = st.session_state.get("pp_plan")
    if made is not None and made.week == shown:
        for note in made.notes:
            st.caption(md(note))
    listing = patrols.slots_table(slots)
    # the columns add up to 736 px, Streamlit's content width on a 768 px tablet: nothing scrolls sideways
    why_width = 276
    row = patrol.row_height(listing["Why this place"], width=why_width)
    st.dataframe(
        listing,
        hide_index=True,
        width="stretch",
        height=patrol.table_height(len(listing), row, most=6),
        row_height=row,
        column_config={
            "Team": st.column_config.TextColumn("Team", width=64),
            "Stop": st.column_config.NumberColumn("Stop", width=44, help="The stop's number on the team's round"),
            "Place": st.column_config.TextColumn("Place", width=150),
            "Visits (UK time)": st.column_config.TextColumn("Visits (UK time)", width=140),
            "Minutes": st.column_config.NumberColumn("Minutes", width=62, help="Minutes a visit"),
            "Why this place": st.column_config.TextColumn("Why this place", width=why_width),
        },
    )

# --------------------------------------------------------------------------- the briefing
planned = slots is not None and not slots.empty
made = st.session_state.get("pp_plan")
# the briefing of the plan made in this session, while it is the week's saved plan (a newer one saved elsewhere wins)
brief = (
    made
    if slots is not None and planned and made is not None and made.week == shown and len(made.slots) == len(slots)
    else None
)
if planned and can(session.role, "export:briefing"):
    st.markdown("**Take the briefing with you**")
if planned and brief is None and can(session.role, "export:briefing"):
    st.caption(
        "This week's plan was saved earlier (here or from the command line): plan it again above with the same "
        "options and seed for its briefing (the same seed gives the same times)."
    )
elif brief is not None and can(session.role, "export:briefing"):
    from geo.publish.briefing import briefing_csv, briefing_html

    reason = reason_input(
        "Why are you taking the briefing away?",
        key="pp_reason",
        placeholder="e.g. Monday tasking, Hillfields team",
        help="The briefing names the week's places, times and why (flagged addresses among the reasons): every "
        "download is logged with this reason.",
    )
    exports: tuple[tuple[str, str, str, str, Callable[[], bytes | str]], ...] = (
        (
            "Briefing to print (HTML, A4)",
            f"briefing-{shown}.html",
            "text/html",
            "pp_html",
            partial(briefing_html, brief),
        ),
        ("Briefing for tasking (CSV)", f"briefing-{shown}.csv", "text/csv", "pp_csv", partial(briefing_csv, brief)),
    )
    store, n = get_store(), len(brief.slots)
    for column, (text, name, mime, key, build) in zip(st.columns(2), exports, strict=True):
        export = Export(label=text, file_name=name, mime=mime, key=key, build=build, rows=n, personal=True)
        export_button(column, export, reason=reason, session=session, store=store)

# --------------------------------------------------------------------------- planned vs delivered
st.subheader(f"{label}: planned vs delivered")
res = patrols.plan_res(slots, view.res)
try:
    dose = patrols.dosage(shown, role=role, res=res)
except NestwatchError as exc:
    show_error(exc)
    st.stop()
table = dose.table
has_log = dose.stays is not None and len(dose.stays) > 0
if not has_log:
    st.info(patrols.NO_LOG, icon=":material/route:")
if len(table):
    st.markdown(md(patrols.totals_words(table)))
    places = patrols.delivered_places(table)
    if len(places):
        st.altair_chart(patrols.dosage_chart(table), width="stretch")
        st.dataframe(patrols.dosage_frame(table), hide_index=True, width="stretch")
    st.caption(
        "A visit is a unit's stay of 2 minutes or more in the place's hexagon (pings with no gap over 5 minutes; "
        "minutes from the first ping to the last); a shorter stay is a drive-by. Trials that tracked patrols by "
        "GPS found about half the planned minutes delivered."
    )
    if has_log:
        bounds = patrols_map.map_bounds(table, dose.stays)
        outlines = results.outlines(view.layer, name="Wards" if view.layer == "wards" else "Estates")
        m = patrols_map.patrols_map(table, dose.stays, bounds=bounds, outlines=outlines)
        st_folium(m, key="pp_map", height=480, use_container_width=True, returned_objects=[])
        with st.expander("How to read this map"):
            st.markdown("\n".join(f"- {md(item)}" for item in patrols_map.MAP_NOTES))
    if can(session.role, "export:dosage"):
        from geo.publish.export import frame_to_csv_bytes

        why = reason_input(
            "Why are you taking the delivered minutes away?",
            key="pp_dosage_reason",
            placeholder="e.g. tasking meeting",
            help="Every download is logged with this reason.",
        )
        frame = patrols.dosage_frame(table)
        export = Export(
            label="Planned vs delivered (CSV)",
            file_name=f"dosage-{shown}.csv",
            mime="text/csv",
            key="pp_dosage_csv",
            build=partial(frame_to_csv_bytes, frame),
            rows=len(frame),
            personal=False,
        )
        export_button(st, export, reason=why, session=session, store=get_store())

# --------------------------------------------------------------------------- did it work
st.subheader("Did it work?")
period = st.date_input(
    "Patrol period to test",
    value=(shown, shown + dt.timedelta(days=6)),
    key="pp_period",
    format="DD/MM/YYYY",
    help="The days the patrols ran: their months are compared with the months before.",
)
if not (isinstance(period, tuple) and len(period) == 2):
    st.caption("Pick the first and the last day of the period.")
    st.stop()
try:
    result = patrols.evaluation(period[0], period[1], role=role, res=res)
except NestwatchError as exc:
    show_error(exc)
    st.stop()
st.markdown(md(result.words))
for line in (result.trend_words, result.wdq_words):
    if line:
        st.markdown(md(line))
for note in result.notes:
    st.caption(md(note))
with st.expander("What this can and cannot tell you", expanded=True):
    st.markdown("\n".join(f"- {md(c)}" for c in result.caveats))
