"""County lines: which group or line is where, from police intelligence (the intel permission only)."""

from __future__ import annotations

import streamlit as st
from streamlit_folium import st_folium

from dashboard import lines
from dashboard.auth import log_once
from dashboard.context import ensure_shell
from dashboard.messages import show_error
from geo.core.errors import NestwatchError

session = ensure_shell("lines")

st.title("County lines")
st.caption(
    "Which group or county line police intelligence links to flagged addresses, closure orders and warrants: "
    "where each one is, since when, and whether its footprint is moving. Police intelligence: every view is "
    "audited; do not copy names out of this page."
)
try:
    links, unplaced, summary = lines.links()
except NestwatchError as exc:
    show_error(exc)
    st.stop()
log_once(session, action="view_intel", target="lines:summary", rows=len(summary))
if summary.empty:
    st.info("No intelligence links are loaded (`python -m geo import lines FILE.csv`).")
    st.stop()
if unplaced:
    st.caption(
        f"{unplaced} link{'s' if unplaced != 1 else ''} could not be placed: the record is not stored and the row "
        "has no point of its own (load the flagged addresses or closure orders first)."
    )
st.table(lines.summary_table(summary))
st.caption(
    "Live: the flag is open, the order has not expired. Footprint: the centre of the line's live records in its "
    "latest quarter against its first; moving when it is further than the first quarter's spread."
)

names = summary["line"].tolist()
line = st.selectbox("Group or line", names, key="ln_line")
records = lines.records_table(links, line)
log_once(session, action="view_intel", target=f"lines:detail:{names.index(line) + 1}", rows=len(records))
st_folium(
    lines.line_map(links, line, wards=lines.wards()),
    key="ln_map",
    height=460,
    use_container_width=True,
    returned_objects=[],
)
st.table(records)
