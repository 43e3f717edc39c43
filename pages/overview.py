"""Overview: what is loaded and how incidents run month by month."""

from __future__ import annotations

import streamlit as st

from dashboard import alerts, results
from dashboard.auth import log_once
from dashboard.context import current_summary, ensure_shell, get_store, monthly_counts, published_loaded
from dashboard.messages import markdown_literal
from geo.access.roles import can
from geo.plan.concern import NEW_DAYS, concern_words
from geo.publish.privacy import suppress
from geo.publish.release import loaded_monthly

session = ensure_shell("overview")

st.title("Nestwatch")
st.caption("ASB hotspots, flagged addresses and closure orders, for community-safety partnerships.")

info = current_summary()
counts = info["counts"]
if not counts["incidents"]:
    st.info("No incidents loaded yet. Import police.uk files with `python -m geo import incidents PATH`.")
    st.stop()

suppressed = not can(session.role, "unsuppressed")  # cabinet and presentation: the protected release only
shown = published_loaded() if suppressed else {k: f"{v:,}" for k, v in counts.items()}
st.caption(
    "Published figures: sums of the protected release (a little fixed noise on each count per area and month), "
    "small numbers shown as “fewer than 5”, others rounded."
    if suppressed
    else "Exact figures, for the operational team: not for sharing outside it."
)
cols = st.columns(4)
cols[0].metric("Incidents", shown["incidents"])
cols[1].metric("Flagged addresses", shown["flagged"])
cols[2].metric("Closure orders", shown["closures"])
cols[3].metric("Wards / estates", f"{counts['wards']} / {counts['estates']}")

if can(session.role, "point_data"):  # the alert names addresses: never for a role that sees published figures only
    concerns = alerts.new_concerns()
    if len(concerns):
        log_once(session, action="view_layer", target="alert:new_flagged", rows=len(concerns))
        lines = "\n".join(f"- {markdown_literal(concern_words(row))}" for _, row in concerns.iterrows())
        st.warning(
            f"**New address{'es' if len(concerns) != 1 else ''} of concern** (first flagged in the last "
            f"{NEW_DAYS} days): plan the joint visit.\n\n{lines}",
            icon=":material/campaign:",
        )

store = get_store()
st.subheader("Incidents per month")
if suppressed:  # the release's months, with gaps where a month's protected count is small
    monthly = loaded_monthly(results.release()).apply(suppress)
else:
    monthly = monthly_counts(store.url, store.data_version())
st.line_chart(monthly)
