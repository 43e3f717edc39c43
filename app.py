"""Nestwatch: entry point. ``streamlit run app.py`` (or scripts/run.sh)."""

from __future__ import annotations

from pathlib import Path

import streamlit as st

from dashboard.auth import sign_in
from dashboard.context import mark_shell, pages_for, show_shell

FAVICON = Path(__file__).resolve().parent / "static" / "favicon.png"

# the icon is a file the app serves: a ":material/…:" icon makes the browser fetch it from a font host
st.set_page_config(page_title="Nestwatch", page_icon=str(FAVICON), layout="wide")

session = sign_in()
if session.role.name == "presentation":  # a projector: the page fills the screen, the menu stays out of sight
    st.set_page_config(layout="wide", initial_sidebar_state="collapsed")
# Only the pages the role may open are registered: the others do not exist for this user.
allowed = pages_for(session.role)
# The menu is drawn by show_shell (page links), so that Streamlit's automatic
# listing of the pages/ folder never shows, not even for a moment on a rerun.
navigation = st.navigation(allowed, position="hidden")
show_shell(allowed, session)
mark_shell()
navigation.run()
