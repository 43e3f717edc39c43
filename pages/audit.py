"""Audit log (administrators): who looked at or took away what, when and why."""

from __future__ import annotations

import streamlit as st

from dashboard.context import ensure_shell, get_store
from geo.publish.export import frame_to_csv_bytes
from geo.store import audit

session = ensure_shell("audit")
st.title("Audit log")
st.caption("Sign-ins, views of sensitive layers and hexagons, exports, imports and role changes.")

store = get_store()
c1, c2 = st.columns(2)
user = c1.text_input("User", key="audit_user").strip().lower() or None
action = c2.selectbox("Action", ["(all)", *audit.ACTIONS], key="audit_action")
log = store.audit(user=user, action=None if action == "(all)" else action)
audit.record(store, user=session.user, role=session.role.name, action="view_audit", target="audit", rows=len(log))
st.dataframe(log, hide_index=True, width="stretch")


def _exported() -> None:
    audit.record(
        store, user=session.user, role=session.role.name, action="export", target="export:audit.csv", rows=len(log)
    )


st.download_button(
    "Download the log (CSV)",
    frame_to_csv_bytes(log),
    file_name="nestwatch-audit.csv",
    mime="text/csv",
    key="audit_download",
    on_click=_exported,
)
