"""Overview: what is loaded and how incidents run month by month."""

from __future__ import annotations

import streamlit as st

from dashboard.context import current_summary, ensure_shell, get_store, monthly_counts
from geo.access.roles import can
from geo.publish.privacy import suppress, suppress_labels

session = ensure_shell("overview")

st.title("Nestwatch")
st.caption("ASB hotspots, flagged addresses and closure orders, for community-safety partnerships.")

info = current_summary()
counts = info["counts"]
if not counts["incidents"]:
    st.info("No incidents loaded yet. Import police.uk files with `python -m geo import incidents PATH`.")
    st.stop()

suppressed = not can(session.role, "unsuppressed")  # cabinet and presentation: small counts hidden, others rounded
shown = {k: (suppress_labels([v])[0] if suppressed else f"{v:,}") for k, v in counts.items()}
cols = st.columns(4)
cols[0].metric("Incidents", shown["incidents"])
cols[1].metric("Flagged addresses", shown["flagged"])
cols[2].metric("Closure orders", shown["closures"])
cols[3].metric("Wards / estates", f"{counts['wards']} / {counts['estates']}")

store = get_store()
st.subheader("Incidents per month")
monthly = monthly_counts(store.url, store.data_version())
if suppressed:
    monthly = monthly.apply(suppress)  # gaps where a month's count is small
st.line_chart(monthly)
