"""Users (administrators): who may sign in, as what role; role changes need a reason and are audited."""

from __future__ import annotations

import streamlit as st

from dashboard.context import ensure_shell, get_store
from dashboard.messages import show_error
from geo.access.roles import ROLES
from geo.access.users import list_users, load_oidc_roles, set_role, users_path
from geo.core.errors import NestwatchError
from geo.store import audit

session = ensure_shell("users")
st.title("Users")
path = users_path()
st.caption(f"Users file: `{path.name}` (passwords are stored only as argon2 hashes).")
users = list_users(path) if path.exists() else []
st.dataframe(
    [{"user": u, "role": ROLES[r].label} for u, r in users] or [{"user": "(none yet)", "role": ""}],
    hide_index=True,
    width="stretch",
)
oidc = load_oidc_roles(path) if path.exists() else {}
if oidc:
    st.subheader("Single sign-on")
    st.dataframe([{"e-mail": e, "role": ROLES[r].label} for e, r in oidc.items()], hide_index=True, width="stretch")

if users:
    st.subheader("Change a role")
    c1, c2 = st.columns(2)
    who = c1.selectbox("User", [u for u, _ in users], key="users_who")
    new_role = c2.selectbox("New role", list(ROLES), format_func=lambda r: ROLES[r].label, key="users_role")
    reason = st.text_input("Reason (recorded in the audit log)", key="users_reason").strip()
    if st.button("Change role", key="users_change", disabled=not reason):
        try:
            old = set_role(path, who, new_role)
            audit.record(
                get_store(),
                user=session.user,
                role=session.role.name,
                action="role_change",
                target=f"user:{who}",
                reason=reason,
                detail={"from": old, "to": new_role},
            )
        except NestwatchError as exc:
            show_error(exc)
        else:
            st.success(f"{who} is now {ROLES[new_role].label} (was {ROLES[old].label}).")

st.info(
    "Add or remove users on the server: `python -m geo users add NAME --role inspector`, "
    "`python -m geo users remove NAME`, `python -m geo users oidc EMAIL --role cabinet`.",
    icon=":material/terminal:",
)
