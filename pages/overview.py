"""Overview: what is loaded and how incidents run month by month."""

from __future__ import annotations

import streamlit as st

from dashboard.context import current_summary, ensure_shell, get_store, monthly_counts

ensure_shell()

st.title("Nestwatch")
st.caption("ASB hotspots, flagged addresses and closure orders, for community-safety partnerships.")

info = current_summary()
counts = info["counts"]
if not counts["incidents"]:
    st.info("No incidents loaded yet. Import police.uk files with `python -m geo import incidents PATH`.")
    st.stop()

cols = st.columns(4)
cols[0].metric("Incidents", f"{counts['incidents']:,}")
cols[1].metric("Flagged addresses", f"{counts['flagged']:,}")
cols[2].metric("Closure orders", f"{counts['closures']:,}")
cols[3].metric("Wards / estates", f"{counts['wards']} / {counts['estates']}")

store = get_store()
st.subheader("Incidents per month")
st.line_chart(monthly_counts(store.url, store.latest_import_id()))
