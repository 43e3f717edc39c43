"""Imports and rejects: the import log and the quarantine, downloadable."""

from __future__ import annotations

from functools import partial

import streamlit as st

from dashboard.context import ensure_shell, get_store
from dashboard.downloads import Export, export_button, reason_input
from dashboard.messages import show_error
from geo.core.errors import NestwatchError
from geo.publish.export import frame_to_csv_bytes
from geo.store.importer import delete_import

session = ensure_shell("data_quality")

store = get_store()
st.title("Imports and rejects")

if note := st.session_state.pop("deleted_note", None):
    st.success(note, icon=":material/delete:")
imports = store.imports()
st.subheader("Import log")
if imports.empty:
    st.info("Nothing imported yet.")
else:
    st.dataframe(
        imports[["id", "kind", "file", "imported_at", "rows", "stored", "rejected", "already_present", "deleted_at"]],
        hide_index=True,
        width="stretch",
    )
    live = imports[imports["deleted_at"].isna()]
    if not live.empty:
        with st.expander("Delete an import", icon=":material/delete:"):
            st.caption(
                "Erases every row the import stored and every row it quarantined: for data shared in error or an "
                "erasure request. The import log keeps its line, marked deleted, and the audit log records who "
                "deleted it and why. Rows that later imports found already present were stored by this import, so "
                "they go too; import those files again to restore them."
            )
            labels = {
                int(r.id): f"#{r.id} {r.kind}: {r.file} ({r.stored:,} stored, {r.rejected:,} rejected)"
                for r in live.itertuples()
            }
            chosen = st.selectbox("Import", list(labels), format_func=labels.get, key="delete_import")
            why = st.text_input("Why is it being deleted?", key="delete_reason").strip()
            sure = st.checkbox("I understand that this cannot be undone", key="delete_confirm")
            if st.button("Delete this import", type="primary", key="delete_go", disabled=not (why and sure)):
                try:
                    removed = delete_import(store, chosen, user=session.user, role=session.role.name, reason=why)
                except NestwatchError as exc:
                    show_error(exc)
                else:
                    parts = ", ".join(f"{n:,} {kind}" for kind, n in removed.items())
                    st.session_state["deleted_note"] = f"Import #{chosen} deleted: {parts} removed."
                    for key in ("delete_reason", "delete_confirm"):
                        st.session_state.pop(key, None)
                    st.rerun()

rejects = store.rejects()
st.subheader(f"Rejected rows ({len(rejects):,})")
if rejects.empty:
    st.success("No rejected rows.")
else:
    kinds = sorted(rejects["kind"].unique())
    chosen = st.multiselect("Kinds", kinds, default=kinds, key="reject_kinds")
    shown = rejects[rejects["kind"].isin(chosen)]
    st.dataframe(shown[["kind", "file", "row", "column", "reason"]], hide_index=True, width="stretch")
    reason = reason_input(
        "Why are you downloading the rejected rows?",
        key="rejects_reason",
        help="Rejected rows are raw partner data and may name people or addresses: downloads are logged.",
    )
    rejected = Export(
        label="Download rejected rows (CSV)",
        file_name="nestwatch-rejects.csv",
        mime="text/csv",
        key="download_rejects",
        build=partial(frame_to_csv_bytes, shown),  # made on the click, after its audit entry
        rows=len(shown),
        personal=True,
        target="export:rejects.csv",
    )
    export_button(st, rejected, reason=reason, session=session, store=store)
