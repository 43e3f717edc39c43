"""Imports and rejects: the import log and the quarantine, downloadable."""

from __future__ import annotations

import streamlit as st

from dashboard.auth import log_export
from dashboard.context import ensure_shell, get_store
from geo.export import frame_to_csv_bytes

session = ensure_shell("data_quality")

store = get_store()
st.title("Imports and rejects")

imports = store.imports()
st.subheader("Import log")
if imports.empty:
    st.info("Nothing imported yet.")
else:
    st.dataframe(
        imports[["id", "kind", "file", "imported_at", "rows", "stored", "rejected", "already_present"]],
        hide_index=True,
        width="stretch",
    )

rejects = store.rejects()
st.subheader(f"Rejected rows ({len(rejects):,})")
if rejects.empty:
    st.success("No rejected rows.")
else:
    kinds = sorted(rejects["kind"].unique())
    chosen = st.multiselect("Kinds", kinds, default=kinds, key="reject_kinds")
    shown = rejects[rejects["kind"].isin(chosen)]
    st.dataframe(shown[["kind", "file", "row", "column", "reason"]], hide_index=True, width="stretch")
    reason = st.text_input(
        "Why are you downloading the rejected rows?",
        key="rejects_reason",
        help="Rejected rows are raw partner data and may name people or addresses: downloads are logged.",
    ).strip()
    st.download_button(
        "Download rejected rows (CSV)",
        frame_to_csv_bytes(shown),
        file_name="nestwatch-rejects.csv",
        mime="text/csv",
        key="download_rejects",
        disabled=not reason,
        on_click=log_export,
        args=(session,),
        kwargs={"target": "export:rejects.csv", "rows": len(shown), "reason": reason, "personal": True},
    )
