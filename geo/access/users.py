"""Local user accounts for a single machine, kept in one TOML file.

The file (``$NESTWATCH_USERS``, default ``<project>/data/users.toml``; never in
git) looks like::

    [users."alice"]
    role = "inspector"
    hash = "$argon2id$v=19$m=65536,t=3,p=4$..."
    intel = true        # may see police intelligence on groups and county lines (optional)

    [oidc]
    "alice@example.police.uk" = "inspector"

Passwords are stored only as argon2id hashes (argon2-cffi defaults). The
``[oidc]`` table maps e-mail addresses from a single-sign-on provider to roles.
Every write goes to a temporary file in the same folder which then replaces
the original (``os.replace``), so a crash never leaves half a file, and the
file is readable by its owner only (mode 0600). Usernames and e-mails are
compared in lower case.

``intel`` is a permission on top of a role, not a role: police intelligence
linking addresses to a group or county line is more restricted than the
flagged list, so an inspector or analyst sees it only when given it by name
(:func:`set_intel`, ``python -m geo users intel NAME --on --reason …``, audited).
Any other role never has it, whatever the file says.
"""

from __future__ import annotations

import os
import re
import secrets
import tempfile
import tomllib
from functools import cache
from pathlib import Path

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

from geo.access.roles import ROLES, role
from geo.core.errors import InputError, OptionError

PROJECT = Path(__file__).resolve().parents[2]
ENV_VAR = "NESTWATCH_USERS"
MIN_PASSWORD = 12
MAX_PASSWORD = 1024  # argon2 copes, but an unbounded password is a cheap denial of service
USERNAME = re.compile(r"[a-z0-9][a-z0-9._-]{0,63}")
EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")

_hasher = PasswordHasher()


def users_path() -> Path:
    """Where the users file lives: ``$NESTWATCH_USERS`` or ``<project>/data/users.toml``."""
    env = os.environ.get(ENV_VAR)
    return Path(env) if env else PROJECT / "data" / "users.toml"


def add_user(path: str | os.PathLike, username: str, password: str, *, role: str, replace: bool = False) -> None:
    """Create ``username`` with ``role`` (or overwrite it when ``replace``).

    Raises
    ------
    OptionError
        An invalid username, a password shorter than 12 characters, an unknown role, or an
        existing user without ``replace=True``: the call is at fault, not the file.
    InputError
        The users file exists but cannot be read (not TOML, or an entry without a known role and hash).
    """
    name = _username(username)
    _role_name(role)
    if not isinstance(password, str) or len(password) < MIN_PASSWORD:
        raise OptionError(
            f"password too short: use at least {MIN_PASSWORD} characters (a passphrase is best)", option="password"
        )
    if len(password) > MAX_PASSWORD:
        raise OptionError(f"password too long: at most {MAX_PASSWORD} characters", option="password")
    if password.strip().lower() == name:
        raise OptionError("password must not be the username", option="password")
    users, oidc = _load(path)
    if name in users and not replace:
        raise OptionError(f"{path}: user {name!r} already exists (pass replace=True to change it)", option="replace")
    users[name] = {"role": role, "hash": _hasher.hash(password)}
    _save(path, users, oidc)


def set_role(path: str | os.PathLike, username: str, role: str) -> str:
    """Give an existing user another role, keeping the password; return the old role.

    Raises :class:`~geo.core.errors.OptionError` for an invalid or unknown username or an unknown role.
    """
    name = _username(username)
    _role_name(role)
    users, oidc = _load(path)
    if name not in users:
        raise OptionError(f"{path}: no user {name!r}", option="username")
    old = users[name]["role"]
    users[name] = {**users[name], "role": role}
    _save(path, users, oidc)
    return old


#: The roles a user with the intel flag may hold (the others never see points, let alone intelligence).
INTEL_ROLES = ("inspector", "analyst")


def set_intel(path: str | os.PathLike, username: str, on: bool) -> bool:
    """Give ``username`` the intel permission (``on``) or take it away; return whether it had it.

    Raises :class:`~geo.core.errors.OptionError` for an unknown user, or for giving it to a role outside
    :data:`INTEL_ROLES`.
    """
    name = _username(username)
    users, oidc = _load(path)
    if name not in users:
        raise OptionError(f"{path}: no user {name!r}", option="username")
    if on and users[name]["role"] not in INTEL_ROLES:
        raise OptionError(
            f"{name} is a {users[name]['role']}: only an inspector or an analyst may see intelligence", option="role"
        )
    old = users[name].get("intel") == "yes"
    users[name] = {**users[name], "intel": "yes" if on else ""}
    _save(path, users, oidc)
    return old


def has_intel(path: str | os.PathLike, username: str) -> bool:
    """Whether ``username`` has the intel permission (and a role that may hold it); False for anyone unknown."""
    users, _ = _load(path) if Path(path).exists() else ({}, {})
    entry = users.get(username.strip().lower() if isinstance(username, str) else "")
    return bool(entry and entry.get("intel") == "yes" and entry["role"] in INTEL_ROLES)


def verify(path: str | os.PathLike, username: str, password: str) -> str | None:
    """The user's role when ``password`` is right, else None.

    An unknown user (or a missing file) still costs one argon2 check against a dummy
    hash, so response time does not reveal which usernames exist.
    """
    users, _ = _load(path) if Path(path).exists() else ({}, {})
    name = username.strip().lower() if isinstance(username, str) else ""
    entry = users.get(name)
    ok = _check(entry["hash"] if entry else _dummy_hash(), password)
    return entry["role"] if entry and ok else None


def remove_user(path: str | os.PathLike, username: str) -> bool:
    """Delete ``username``; True if it existed."""
    name = _username(username)
    users, oidc = _load(path)
    if name not in users:
        return False
    del users[name]
    _save(path, users, oidc)
    return True


def list_users(path: str | os.PathLike) -> list[tuple[str, str]]:
    """``(username, role)`` pairs, sorted by username; hashes are never returned."""
    users, _ = _load(path) if Path(path).exists() else ({}, {})
    return sorted((name, entry["role"]) for name, entry in users.items())


def load_oidc_roles(path: str | os.PathLike) -> dict[str, str]:
    """The ``[oidc]`` table: lower-case e-mail → role name (empty if the file or table is absent)."""
    if not Path(path).exists():
        return {}
    return dict(_load(path)[1])


def set_oidc_role(path: str | os.PathLike, email: str, role: str | None) -> None:
    """Map ``email`` to ``role`` in the ``[oidc]`` table; ``role=None`` removes the mapping."""
    key = _email(email)
    users, oidc = _load(path)
    if role is None:
        oidc.pop(key, None)
    else:
        oidc[key] = _role_name(role)
    _save(path, users, oidc)


# --- internals ----------------------------------------------------------------------------------------------------


def _username(username: str) -> str:
    name = username.strip().lower() if isinstance(username, str) else ""
    if not USERNAME.fullmatch(name):
        raise OptionError(
            f"invalid username {username!r}: "
            "use 1-64 letters, digits, '.', '_' or '-', starting with a letter or digit",
            option="username",
        )
    return name


def _email(email: str) -> str:
    key = email.strip().lower() if isinstance(email, str) else ""
    if not EMAIL.fullmatch(key):
        raise OptionError(f"invalid e-mail address {email!r}", option="email")
    return key


def _role_name(name: str) -> str:
    return role(name).name


def _check(hashed: str, password: str) -> bool:
    if not isinstance(password, str) or len(password) > MAX_PASSWORD:
        password = ""  # still spend the time, then fail
    try:
        return _hasher.verify(hashed, password)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


@cache
def _dummy_hash() -> str:
    return _hasher.hash(secrets.token_urlsafe(32))


def _load(path: str | os.PathLike) -> tuple[dict[str, dict[str, str]], dict[str, str]]:
    """``(users, oidc)`` from ``path``; both empty when the file does not exist. Validates structure."""
    p = Path(path)
    if not p.exists():
        return {}, {}
    try:
        with p.open("rb") as fh:
            data = tomllib.load(fh)
    except tomllib.TOMLDecodeError as exc:
        raise InputError(f"users file is not valid TOML: {exc}", file=str(p)) from None
    users: dict[str, dict[str, str]] = {}
    for name, entry in (data.get("users") or {}).items():
        if not (
            isinstance(entry, dict)
            and isinstance(entry.get("hash"), str)
            and entry["hash"].startswith("$argon2")
            and entry.get("role") in ROLES
        ):
            raise InputError(f"user {name!r} needs a known role and an argon2 hash", file=str(p))
        if not isinstance(entry.get("intel", False), bool):
            raise InputError(f"user {name!r}: intel must be true or false", file=str(p))
        users[name.lower()] = {
            "role": entry["role"],
            "hash": entry["hash"],
            "intel": "yes" if entry.get("intel") else "",
        }
    oidc: dict[str, str] = {}
    for email, r in (data.get("oidc") or {}).items():
        if r not in ROLES:
            raise InputError(f"[oidc] {email!r}: unknown role {r!r}; roles are: {', '.join(ROLES)}", file=str(p))
        oidc[email.strip().lower()] = r
    return users, oidc


def _toml_str(value: str) -> str:
    """A TOML basic string: quotes, backslashes and control characters escaped."""
    out = []
    for ch in value:
        if ch in ('"', "\\"):
            out.append("\\" + ch)
        elif ord(ch) < 0x20 or ord(ch) == 0x7F:
            out.append(f"\\u{ord(ch):04X}")
        else:
            out.append(ch)
    return '"' + "".join(out) + '"'


def _dumps(users: dict[str, dict[str, str]], oidc: dict[str, str]) -> str:
    lines = ["# Nestwatch local users. Managed by geo.access.users; passwords are argon2 hashes only.", ""]
    for name in sorted(users):
        lines += [
            f"[users.{_toml_str(name)}]",
            f"role = {_toml_str(users[name]['role'])}",
            f"hash = {_toml_str(users[name]['hash'])}",
            *(["intel = true"] if users[name].get("intel") == "yes" else []),
            "",
        ]
    lines.append("[oidc]")
    lines += [f"{_toml_str(email)} = {_toml_str(oidc[email])}" for email in sorted(oidc)]
    return "\n".join(lines) + "\n"


def _save(path: str | os.PathLike, users: dict[str, dict[str, str]], oidc: dict[str, str]) -> None:
    """Write atomically (temp file in the same folder, then ``os.replace``) with mode 0600."""
    p = Path(path)
    text = _dumps(users, oidc)
    tomllib.loads(text)  # never write a file that cannot be read back
    p.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{p.name}.", suffix=".tmp", dir=p.parent)  # created 0600
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(text)
            fh.flush()
            os.fsync(fh.fileno())
        os.chmod(tmp, 0o600)
        os.replace(tmp, p)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    os.chmod(p, 0o600)
