"""Door-knock list: the homes around a flagged address or closure order, to knock on and write to."""

from __future__ import annotations

import streamlit as st

from dashboard import doorknock
from dashboard.auth import log_once
from dashboard.context import ensure_shell, get_store
from dashboard.downloads import export_button, reason_input
from dashboard.messages import show_error
from geo.access.roles import can
from geo.core.errors import NestwatchError

session = ensure_shell("doorknock")

st.title("Door-knock list")
st.caption(
    "After a warrant, a closure order or a new address of concern: the homes nearby and in the same block, "
    "nearest first, to knock on and write to (to explain what happened and to find hidden victims of "
    "cuckooing). The address itself is never on the list. OFFICIAL-SENSITIVE: for the operational team."
)

try:
    targets = doorknock.targets()
    homes = doorknock.properties()
except NestwatchError as exc:
    show_error(exc)
    st.stop()
if targets.empty:
    st.info("No open flagged addresses or closure orders are loaded.")
    st.stop()
if homes.empty:
    st.info(
        "No property list is loaded: import the housing stock or an address gazetteer "
        "(`python -m geo import properties FILE.csv`, or the Load data page)."
    )
    st.stop()

names = doorknock.labels(targets)
c1, c2 = st.columns([3, 1])
choice = c1.selectbox(
    "Address or order", range(len(targets)), format_func=names.__getitem__, key="dk_target", help="Newest first."
)
radius = c2.select_slider("Radius (metres)", options=doorknock.RADII, value=100, key="dk_radius")
target = targets.iloc[[choice]]
ref = str(target["ref"].iloc[0])
try:
    listed = doorknock.neighbours(target, radius_m=radius)
except NestwatchError as exc:
    show_error(exc)
    st.stop()
log_once(session, action="view_layer", target=f"doorknock:{target['kind'].iloc[0]}:{ref}", rows=len(listed))

st.subheader(f"{len(listed)} home{'s' if len(listed) != 1 else ''} to visit")
st.caption(f"Within {radius} m (straight line) or in the same block, nearest first.")
st.dataframe(doorknock.table(listed, radius_m=radius), hide_index=True, width="stretch")

st.subheader("Take the list with you")
if not can(session.role, "export:doorknock_list"):
    st.caption("Your role cannot export the list.")
    st.stop()
reason = reason_input(
    "Why are you taking the list away?",
    key="dk_reason",
    placeholder="e.g. joint visit with housing, Tuesday",
    help="The list names homes near an address of concern: every export is logged with this reason.",
)
store = get_store()
for column, export in zip(
    st.columns(2), doorknock.exports(listed, radius_m=radius, slug=doorknock.slug(ref)), strict=True
):
    export_button(column, export, reason=reason, session=session, store=store)
