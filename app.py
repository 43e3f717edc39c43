"""Nestwatch: entry point. ``streamlit run app.py`` (or scripts/run.sh)."""

from __future__ import annotations

import streamlit as st

from dashboard.auth import sign_in
from dashboard.context import configure_page, mark_shell, pages_for, show_shell

configure_page()  # before anything is drawn
session = sign_in()
configure_page(session.role)  # a projector: the page fills the screen, the menu stays out of sight
# Only the pages the role may open are registered: the others do not exist for this user.
allowed = pages_for(session.role, intel=session.intel)
# The menu is drawn by show_shell (page links), so that Streamlit's automatic
# listing of the pages/ folder never shows, not even for a moment on a rerun.
navigation = st.navigation(allowed, position="hidden")
show_shell(allowed, session)
mark_shell()
navigation.run()
