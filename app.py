"""Nestwatch: entry point. ``streamlit run app.py`` (or scripts/run.sh)."""

from __future__ import annotations

import streamlit as st

from dashboard.context import mark_shell, show_shell

st.set_page_config(page_title="Nestwatch", page_icon=":material/shield:", layout="wide")

PAGES = [
    st.Page("pages/overview.py", title="Overview", icon=":material/monitoring:", default=True),
    st.Page("pages/patrol.py", title="Patrol planner", icon=":material/local_police:"),
    st.Page("pages/trends.py", title="Trends", icon=":material/trending_up:"),
    st.Page("pages/data.py", title="Load data", icon=":material/upload_file:"),
    st.Page("pages/data_quality.py", title="Imports and rejects", icon=":material/fact_check:"),
]
# The menu is drawn by show_shell (page links), so that Streamlit's automatic
# listing of the pages/ folder never shows, not even for a moment on a rerun.
navigation = st.navigation(PAGES, position="hidden")
show_shell(PAGES)
mark_shell()
navigation.run()
