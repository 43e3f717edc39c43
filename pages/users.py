"""Users (administrators): who may sign in, and as what role."""

from __future__ import annotations

import streamlit as st

from dashboard.context import ensure_shell
from geo.roles import ROLES
from geo.users import list_users, load_oidc_roles, users_path

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
st.info(
    "Add or remove users on the server: `python -m geo users add NAME --role inspector`, "
    "`python -m geo users remove NAME`, `python -m geo users oidc EMAIL --role cabinet`.",
    icon=":material/terminal:",
)
