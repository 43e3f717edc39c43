"""Audit log (administrators): who looked at or took away what, when and why."""

from __future__ import annotations

from functools import partial

import streamlit as st

from dashboard.context import ensure_shell, get_store
from dashboard.downloads import Export, export_button, reason_input
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
# checked after this view's own entry is written, so the count and the head include it; not cached, since a
# cached "verified" would hide an edit made in the database since
chain = audit.verify_chain(store)
if chain.ok:
    entries = f"{chain.entries:,} entry" if chain.entries == 1 else f"{chain.entries:,} entries"
    st.success(f"Audit chain verified: {entries} (this view's own included), none changed, removed or inserted.")
    st.caption(
        f"Head of the chain: `{chain.head}`. Write it down where this machine's administrators cannot change it "
        "(e.g. the minutes); `python -m geo audit verify --expect-head` with it later shows whether the history "
        "was rewritten or cut short."
    )
else:
    st.error(f"Audit chain broken at entry {chain.bad_id}: {chain.problem}", icon=":material/gpp_bad:")
st.dataframe(log, hide_index=True, width="stretch")

reason = reason_input(
    "Why are you taking a copy of the log?",
    key="audit_reason",
    placeholder="e.g. subject access request 2026-014",
    help="The log names users and what they did: every copy is logged with this reason.",
)
copy = Export(
    label="Download the log (CSV)",
    file_name="nestwatch-audit.csv",
    mime="text/csv",
    key="audit_download",
    build=partial(frame_to_csv_bytes, log),  # the lines shown above, made on the click after its own entry
    rows=len(log),
    personal=True,  # who did what, when: personal data of the staff it names
    target="export:audit.csv",
)
export_button(st, copy, reason=reason, session=session, store=store)
