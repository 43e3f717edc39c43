"""Who is using the dashboard, and as what role.

Three modes, decided by the deployment rather than by the user:

* **single sign-on** when ``[auth]`` is configured in ``.streamlit/secrets.toml``:
  Streamlit's ``st.login`` (OIDC); the e-mail is mapped to a role in the users
  file's ``[oidc]`` table, and an unknown e-mail is refused;
* **local users** when the users file exists (``NESTWATCH_USERS`` or
  ``data/users.toml``; ``python -m geo users add``): name and password, checked
  against argon2 hashes;
* **open** only while the store holds nothing real (the synthetic demo town, or
  nothing at all): no sign-in, and the banner says so; the role can be switched
  to see what each kind of user gets.

A store with real data and no users file refuses every new session, with a
message that says how to add a user (the session that loaded the first real
file keeps going). Every sign-in, and every refusal, goes to the audit log.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import streamlit as st

from dashboard.context import current_summary, get_store
from geo.access.roles import ROLES, Role, role
from geo.access.users import load_oidc_roles, users_path, verify
from geo.store import audit

_KEY = "nestwatch_session"


@dataclass(frozen=True)
class Session:
    """The signed-in user: name, role and how they signed in."""

    user: str
    role: Role
    mode: str  # "oidc", "local" or "open"


def current() -> Session | None:
    """The session's user, if signed in."""
    return st.session_state.get(_KEY)


def _oidc_configured() -> bool:
    try:
        return "auth" in st.secrets
    except Exception:  # no secrets.toml at all
        return False


def _open_allowed() -> bool:
    info = current_summary()
    counts = info["counts"]
    nothing = not any(v for k, v in counts.items() if k != "rejects")
    return bool(info["demo"]) or nothing


def sign_in() -> Session:
    """Return the current session, or draw the sign-in and stop the run until there is one."""
    if _oidc_configured():
        return _oidc()
    path = users_path()
    if path.exists():
        return _local(path)
    existing = current()
    # A session that started open (demo or empty store) stays open: the person who
    # has just loaded the first real file is the one who opened it. A new session
    # on a store with real data must sign in.
    if _open_allowed() or (existing is not None and existing.mode == "open"):
        return _open()
    st.error(
        "This store holds real data and no users are set up. An administrator adds them with "
        "`python -m geo users add NAME --role inspector` (see SECURITY.md).",
        icon=":material/lock:",
    )
    st.stop()
    raise AssertionError  # st.stop() does not return


def _remember(session: Session) -> Session:
    st.session_state[_KEY] = session
    return session


def _log(user: str, role_name: str, action: str, target: str) -> None:
    audit.record(get_store(), user=user or "(blank)", role=role_name, action=action, target=target)


def _oidc() -> Session:
    if not st.user.is_logged_in:
        st.title("Nestwatch")
        st.button("Sign in", on_click=st.login, key="auth_login", icon=":material/login:")
        st.stop()
    email = str(st.user.get("email") or "").lower()
    existing = current()
    if existing and existing.user == email:
        return existing
    mapped = load_oidc_roles(users_path()).get(email)
    if mapped is None:
        _log(email, "-", "sign_in_refused", "oidc")
        st.error(f"{email or 'This account'} is not allowed to use Nestwatch. Ask an administrator.")
        st.button("Sign out", on_click=st.logout, key="auth_logout")
        st.stop()
    _log(email, mapped, "sign_in", "oidc")
    return _remember(Session(user=email, role=role(mapped), mode="oidc"))


def _local(path: Path) -> Session:
    existing = current()
    if existing and existing.mode == "local":
        return existing
    st.title("Nestwatch")
    with st.form("auth_form"):
        name = st.text_input("User name", key="auth_user")
        password = st.text_input("Password", type="password", key="auth_password")
        pressed = st.form_submit_button("Sign in")
    if pressed:
        granted = verify(path, name, password)
        if granted is None:
            _log(name.strip().lower(), "-", "sign_in_refused", "local")
            st.error("Unknown user name or wrong password.")
        else:
            _log(name.strip().lower(), granted, "sign_in", "local")
            _remember(Session(user=name.strip().lower(), role=role(granted), mode="local"))
            st.rerun()
    st.stop()
    raise AssertionError


_CHOSEN = "auth_view_as_chosen"


def _keep_choice() -> None:
    # kept outside the widget's own state, which Streamlit clears when the page changes under it
    st.session_state[_CHOSEN] = st.session_state["auth_view_as"]


def _open() -> Session:
    chosen = st.session_state.get(_CHOSEN) or st.session_state.get("auth_view_as", "analyst")
    session = Session(user="demo", role=role(chosen), mode="open")
    return _remember(session)


def role_switcher(session: Session) -> None:
    """In open (demo) mode, let the viewer see the dashboard as each role would."""
    if session.mode != "open":
        st.caption(f"Signed in as **{session.user}** ({session.role.label}).")
        return
    st.selectbox(
        "View as",
        list(ROLES),
        index=list(ROLES).index(session.role.name),
        format_func=lambda n: ROLES[n].label,
        key="auth_view_as",
        on_change=_keep_choice,
        help="Demo mode: no sign-in (synthetic data only). Each role sees only what it may.",
    )


def log_once(session: Session, *, action: str, target: str, rows: int | None = None) -> None:
    """Audit a view once per session and target (a rerun of the same view is not a new look)."""
    seen = st.session_state.setdefault("nestwatch_audited", set())
    key = (session.user, session.role.name, action, target)
    if key in seen:
        return
    seen.add(key)
    audit.record(get_store(), user=session.user, role=session.role.name, action=action, target=target, rows=rows)


def log_export(session: Session, *, target: str, rows: int, reason: str, personal: bool) -> None:
    """Audit an export (called when the download button is pressed)."""
    audit.record(
        get_store(),
        user=session.user,
        role=session.role.name,
        action="export",
        target=target,
        rows=rows,
        reason=reason,
        personal=personal,
    )
