"""Who is using the dashboard, and as what role.

Three modes, decided by the deployment rather than by the user:

* **single sign-on** when ``[auth]`` is configured in ``.streamlit/secrets.toml``:
  Streamlit's ``st.login`` (OIDC); the e-mail is mapped to a role in the users
  file's ``[oidc]`` table, and an unknown e-mail is refused;
* **local users** when the users file exists (``NESTWATCH_USERS`` or
  ``data/users.toml``; ``python -m geo users add``): name and password, checked
  against argon2 hashes;
* **open** only while the store has never held anything but the synthetic
  demo town (or nothing at all): no sign-in, and the banner says so; the role
  can be switched to see what each kind of user gets.

Whether a store is the demo is the import log's ``synthetic`` flag, written by
``python -m geo demo`` alone (:mod:`geo.store.provenance`), never a file name.
It is read from the store on every run, not from a cache. A real import that
was later deleted still closes open mode: its file name stays in the import log
and its audit entries (who imported and erased what, and why) in the audit log.

A store with real data and no users file refuses every new session, with a
message that says how to add a user. A reload, a new tab or another browser is
a new session (Streamlit's session state lives as long as the websocket), so
it is refused. The one exception is the open session that itself loaded the
real data through *Load data* (:func:`note_import`): it keeps going, with a
warning, until it is reloaded, so that its user sees the validation report of
what they just loaded; they hold the file anyway. Any other open session that
is still connected when real data arrives (from the CLI, or another tab) is
refused at its next rerun. Every sign-in, and every refusal, goes to the audit
log (an open-mode refusal once per session).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import streamlit as st

from dashboard.context import get_store
from geo.access.roles import ROLES, Role, role
from geo.access.users import load_oidc_roles, users_path, verify
from geo.store import audit
from geo.store.provenance import store_has_held_real

_KEY = "nestwatch_session"
#: Set in an open session that imported data itself (see the module notes); never a widget key.
_LOADED = "nestwatch_open_session_imported"
#: Set once an open-mode refusal of this session is in the audit log.
_REFUSAL_LOGGED = "nestwatch_open_refusal_logged"
REFUSED = (
    "This store holds real data and no users are set up. An administrator adds them with "
    "`python -m geo users add NAME --role inspector` (see SECURITY.md)."
)
STILL_OPEN = (
    "This store now holds real data and no users are set up. This browser tab stays open until it is "
    "reloaded; after that everyone, you included, must sign in. Add users with "
    "`python -m geo users add NAME --role analyst` (see SECURITY.md)."
)


@dataclass(frozen=True)
class Session:
    """The signed-in user: name, role, how they signed in, and whether they may see police intelligence.

    ``intel`` (groups and county lines) is given per local user (:func:`geo.access.users.set_intel`); in open
    mode, where everything is the synthetic demo town, the inspector and analyst views have it, so the
    demo's lines can be seen. Single sign-on users do not have it (a role from the provider says nothing
    about intelligence).
    """

    user: str
    role: Role
    mode: str  # "oidc", "local" or "open"
    intel: bool = False


def current() -> Session | None:
    """The session's user, if signed in."""
    return st.session_state.get(_KEY)


def _oidc_configured() -> bool:
    try:
        return "auth" in st.secrets
    except Exception:  # no secrets.toml at all
        return False


def _open_allowed() -> bool:
    """Open mode: the store has never held real data (one query per run, no cache: this is the door)."""
    return not store_has_held_real(get_store())


def note_import(session: Session) -> None:
    """Called by *Load data* after an import succeeds: an open session that loads real data keeps going.

    Only until it is reloaded (see the module notes); other open sessions are refused at once.
    """
    if session.mode == "open":
        st.session_state[_LOADED] = True


def sign_in() -> Session:
    """Return the current session, or draw the sign-in and stop the run until there is one."""
    if _oidc_configured():
        return _oidc()
    path = users_path()
    if path.exists():
        return _local(path)
    if _open_allowed():
        return _open()
    existing = current()
    # the open session that loaded the real data itself keeps going until it is reloaded; every
    # other session (new, or open and still connected when someone else loaded it) is refused
    if existing is not None and existing.mode == "open" and st.session_state.get(_LOADED):
        st.warning(STILL_OPEN, icon=":material/lock_open:")
        return _open()
    st.session_state.pop(_KEY, None)  # nothing later in this run may take a stale open session for a signed-in one
    if not st.session_state.get(_REFUSAL_LOGGED):
        st.session_state[_REFUSAL_LOGGED] = True
        _log("(no sign-in)", "-", "sign_in_refused", "open")
    st.error(REFUSED, icon=":material/lock:")
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


#: Session key of the last refused sign-in (the form says so once, then forgets it).
_REFUSED = "auth_refused"


def _local(path: Path) -> Session:
    existing = current()
    if existing and existing.mode == "local":
        return existing
    st.title("Nestwatch")
    with st.form("auth_form"):
        st.text_input("User name", key="auth_user")
        st.text_input("Password", type="password", key="auth_password")
        st.form_submit_button("Sign in", on_click=_check_password, args=(path,))
    if st.session_state.pop(_REFUSED, False):
        st.error("Unknown user name or wrong password.")
    st.stop()
    raise AssertionError


def _check_password(path: Path) -> None:
    """The form's callback: check the name and password before the run that follows the press.

    In the callback, not in the run: a bookmarked page's first run draws the form under that page's
    identity and the next run under app.py's, so a value read in the run after the press was the new,
    empty form's, and the first press did nothing. The password is dropped from the session at once.
    """
    name = str(st.session_state.get("auth_user") or "").strip().lower()
    password = str(st.session_state.get("auth_password") or "")
    st.session_state["auth_password"] = ""
    granted = verify(path, name, password)
    if granted is None:
        _log(name, "-", "sign_in_refused", "local")
        st.session_state[_REFUSED] = True
        return
    _log(name, granted, "sign_in", "local")
    from geo.access.users import has_intel

    _remember(Session(user=name, role=role(granted), mode="local", intel=has_intel(path, name)))


_CHOSEN = "auth_view_as_chosen"


def _keep_choice() -> None:
    # kept outside the widget's own state, which Streamlit clears when the page changes under it
    st.session_state[_CHOSEN] = st.session_state["auth_view_as"]


def _open() -> Session:
    chosen = st.session_state.get(_CHOSEN) or st.session_state.get("auth_view_as", "analyst")
    from geo.access.users import INTEL_ROLES

    session = Session(user="demo", role=role(chosen), mode="open", intel=chosen in INTEL_ROLES)
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
        help="Open mode: no sign-in while the store holds only the synthetic demo town (or nothing). "
        "Each role sees only what it may.",
    )


def log_once(session: Session, *, action: str, target: str, rows: int | None = None) -> None:
    """Audit a view once per session and target (a rerun of the same view is not a new look)."""
    seen = st.session_state.setdefault("nestwatch_audited", set())
    key = (session.user, session.role.name, action, target)
    if key in seen:
        return
    seen.add(key)
    audit.record(get_store(), user=session.user, role=session.role.name, action=action, target=target, rows=rows)
