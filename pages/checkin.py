"""Check in: a patrol team's phone presses "Arrived" and "Left" at this week's planned places."""

from __future__ import annotations

from typing import Literal

import pandas as pd
import streamlit as st

from dashboard import checkin
from dashboard.context import ensure_shell, get_store
from dashboard.messages import markdown_literal as md
from geo.core.errors import NestwatchError
from geo.core.schema import MAX_KEY_LENGTH
from geo.store.patrols import open_checkins, read_plan

session = ensure_shell("checkin")
# big buttons for a thumb on a phone (a fixed style sheet: no data goes into it)
st.markdown(
    """<style>
[class*="st-key-c_arrived_"] button, [class*="st-key-c_left_"] button {
  min-height: 3.6rem; font-size: 1.3rem; font-weight: 600;
}
[class*="st-key-c_arrived_"] button p, [class*="st-key-c_left_"] button p { font-size: 1.3rem; }
</style>""",
    unsafe_allow_html=True,
)
store = get_store()
week = checkin.this_week()
st.title("Check in")
st.caption(f"This week's plan, week beginning {week.day} {week:%B %Y}. Times are UK time.")

done: checkin.Pressed | None = st.session_state.pop("c_done", None)
if done is not None:
    (st.success if done.ok else st.error)(md(done.text), icon=":material/check:" if done.ok else ":material/error:")

# the unit sits in the address (?unit=B21): a phone's bookmark opens the page ready to press
unit_text = st.text_input(
    checkin.UNIT_LABEL,
    key="unit",
    bind="query-params",
    max_chars=MAX_KEY_LENGTH,
    placeholder="e.g. B21",
    help=checkin.UNIT_HELP,
)
st.caption("A call sign or team, never an officer's name.")
try:
    unit = checkin.clean_unit(unit_text)
except NestwatchError:
    unit = ""

try:
    slots = read_plan(store, week=week)
except NestwatchError as exc:
    st.error(md(str(exc)), icon=":material/error:")
    st.stop()
if slots is None or slots.empty:
    st.info(
        "No plan has been saved for this week yet: an inspector plans the week on the Patrols page.",
        icon=":material/event_busy:",
    )
    st.stop()

teams = checkin.teams_of(slots)
team = checkin.ALL_TEAMS
if len(teams) > 1:
    team = st.selectbox("Places of", [checkin.ALL_TEAMS, *teams], key="c_team")
when = st.selectbox(
    "When you got there or left",
    list(checkin.EARLIER),
    format_func=checkin.EARLIER.__getitem__,
    key="c_when",
    help="Pressing late? Say how long ago you arrived or left.",
)
places = checkin.places_of(slots, team=team)
arrived = checkin.open_cells(open_checkins(store, unit=unit, user=session.user)) if unit else {}
if not unit:
    st.info(checkin.UNIT_NOTE, icon=":material/badge:")


def _press(row: pd.Series, action: Literal["arrived", "left"], since: object) -> None:
    # a button's callback: runs before the next script run, with every widget's new value already in place
    st.session_state["c_done"] = checkin.press(
        store,
        unit=st.session_state.get("unit", ""),
        place=row,
        action=action,
        user=session.user,
        role=session.role.name,
        minutes_ago=int(st.session_state.get("c_when") or 0),
        since=since,
    )
    st.session_state["c_when"] = 0  # the next press is "just now" unless said again


for _, row in places.iterrows():
    cell = int(row["cell"])
    with st.container(border=True):
        st.markdown(f"#### {md(row['place'])}")
        where = [md(row["ward"]) if row["ward"] else "outside the wards"]
        plural = "s" if row["visits"] != 1 else ""
        where.append(f"{row['visits']} visit{plural} planned this week")
        if row["next"]:
            where.append(f"next {row['next']}")
        if len(teams) > 1:
            where.append(md(row["teams"]))
        st.caption(" · ".join(where))
        if cell in arrived:
            st.markdown(f"Arrived at **{checkin.clock(arrived[cell])}**")
            st.button(
                "Left",
                key=f"c_left_{cell}",
                type="primary",
                width="stretch",
                icon=":material/logout:",
                on_click=_press,
                args=(row, "left", arrived[cell]),
            )
        else:
            st.button(
                "Arrived",
                key=f"c_arrived_{cell}",
                width="stretch",
                icon=":material/where_to_vote:",
                disabled=not unit,
                on_click=_press,
                args=(row, "arrived", None),
            )
