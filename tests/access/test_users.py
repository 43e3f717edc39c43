"""Local users: argon2 hashes in a 0600 TOML file, written atomically."""

from __future__ import annotations

import re
import stat
import time
import tomllib
from pathlib import Path

import pytest

from geo.access import users
from geo.access.users import add_user, list_users, load_oidc_roles, remove_user, set_oidc_role, users_path, verify
from geo.core.errors import InputError, OptionError

PASSWORD = "correct horse battery staple"


@pytest.fixture
def path(tmp_path: Path) -> Path:
    return tmp_path / "sub" / "users.toml"


def test_add_verify_remove_round_trip(path):
    add_user(path, "alice", PASSWORD, role="inspector")
    add_user(path, "bob", "another long passphrase", role="cabinet")
    assert verify(path, "alice", PASSWORD) == "inspector"
    assert verify(path, "bob", "another long passphrase") == "cabinet"
    assert list_users(path) == [("alice", "inspector"), ("bob", "cabinet")]
    assert remove_user(path, "alice") is True
    assert verify(path, "alice", PASSWORD) is None
    assert remove_user(path, "alice") is False
    assert list_users(path) == [("bob", "cabinet")]


def test_wrong_password_is_none(path):
    add_user(path, "alice", PASSWORD, role="analyst")
    assert verify(path, "alice", PASSWORD + "!") is None
    assert verify(path, "alice", "") is None


def test_unknown_user_is_none_and_still_hashes(path, monkeypatch):
    add_user(path, "alice", PASSWORD, role="analyst")
    calls = []
    real = users._check
    monkeypatch.setattr(users, "_check", lambda h, p: calls.append(h) or real(h, p))
    assert verify(path, "mallory", PASSWORD) is None
    assert len(calls) == 1 and calls[0].startswith("$argon2")


def test_missing_file_verifies_nobody(tmp_path):
    missing = tmp_path / "none.toml"
    assert verify(missing, "alice", PASSWORD) is None
    assert list_users(missing) == []
    assert load_oidc_roles(missing) == {}
    assert not missing.exists()


def test_unknown_user_costs_about_as_much_as_a_known_one(path):
    add_user(path, "alice", PASSWORD, role="analyst")
    verify(path, "nobody", PASSWORD)  # warm the dummy hash

    def best(user):
        times = []
        for _ in range(3):
            t = time.perf_counter()
            verify(path, user, "wrong password here")
            times.append(time.perf_counter() - t)
        return min(times)

    known, unknown = best("alice"), best("nobody")
    assert unknown > known / 4  # no fast path for unknown names


def test_file_holds_hashes_not_passwords(path):
    add_user(path, "alice", PASSWORD, role="inspector")
    text = path.read_text()
    assert PASSWORD not in text
    assert "horse" not in text
    data = tomllib.loads(text)
    assert all(entry["hash"].startswith("$argon2") for entry in data["users"].values())


def test_file_mode_is_0600_and_no_temp_files_left(path):
    add_user(path, "alice", PASSWORD, role="inspector")
    add_user(path, "alice", "a different passphrase", role="admin", replace=True)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert [p.name for p in path.parent.iterdir()] == ["users.toml"]


def test_weak_password_refused(path):
    with pytest.raises(OptionError, match="at least 12"):
        add_user(path, "alice", "short pass", role="inspector")
    with pytest.raises(OptionError, match="username"):
        add_user(path, "alicealice12", "AliceAlice12", role="inspector")
    assert not path.exists()


def test_unknown_role_refused(path):
    with pytest.raises(OptionError, match="unknown role"):
        add_user(path, "alice", PASSWORD, role="superuser")


@pytest.mark.parametrize("name", ["", "has space", 'quo"te', "-dash", "x" * 65, "a/b"])
def test_bad_usernames_refused(path, name):
    with pytest.raises(OptionError, match="invalid username"):
        add_user(path, name, PASSWORD, role="inspector")


def test_duplicate_refused_unless_replace(path):
    add_user(path, "alice", PASSWORD, role="inspector")
    with pytest.raises(OptionError, match="already exists"):
        add_user(path, "Alice", "some other passphrase", role="admin")
    assert verify(path, "alice", PASSWORD) == "inspector"
    add_user(path, "alice", "some other passphrase", role="admin", replace=True)
    assert verify(path, "alice", PASSWORD) is None
    assert verify(path, "ALICE", "some other passphrase") == "admin"


def test_oidc_mapping_read(path):
    path.parent.mkdir(parents=True)
    path.write_text(
        '[oidc]\n"Inspector.Jones@Force.police.uk" = "inspector"\n"cllr.smith@council.gov.uk" = "cabinet"\n'
    )
    assert load_oidc_roles(path) == {
        "inspector.jones@force.police.uk": "inspector",
        "cllr.smith@council.gov.uk": "cabinet",
    }
    assert list_users(path) == []


def test_oidc_survives_user_writes_and_can_be_set(path):
    set_oidc_role(path, "a@b.example", "presentation")
    add_user(path, "alice", PASSWORD, role="inspector")
    remove_user(path, "alice")
    assert load_oidc_roles(path) == {"a@b.example": "presentation"}
    set_oidc_role(path, "a@b.example", None)
    assert load_oidc_roles(path) == {}
    with pytest.raises(OptionError, match="unknown role"):
        set_oidc_role(path, "a@b.example", "mayor")


def test_unknown_role_in_file_is_an_error(path):
    path.parent.mkdir(parents=True)
    path.write_text('[oidc]\n"a@b.example" = "mayor"\n')
    with pytest.raises(InputError, match="unknown role"):
        load_oidc_roles(path)


def test_plain_text_password_in_file_is_refused(path):
    path.parent.mkdir(parents=True)
    path.write_text('[users.alice]\nrole = "admin"\nhash = "hunter2hunter2"\n')
    with pytest.raises(InputError, match="argon2"):
        verify(path, "alice", "hunter2hunter2")


def test_a_bad_argument_is_an_option_error_naming_what_is_accepted(path):
    """The caller's arguments are at fault, not the users file: OptionError, never InputError."""
    with pytest.raises(OptionError, match="use 1-64 letters, digits") as caught:
        add_user(path, "has space", PASSWORD, role="inspector")
    assert caught.value.option == "username"
    assert not isinstance(caught.value, InputError)
    with pytest.raises(OptionError, match="at least 12 characters") as caught:
        add_user(path, "alice", "short", role="inspector")
    assert caught.value.option == "password"
    add_user(path, "alice", PASSWORD, role="inspector")
    with pytest.raises(OptionError, match=f"^{re.escape(str(path))}: no user 'bob'$") as caught:
        users.set_role(path, "bob", "admin")
    assert caught.value.option == "username"


def test_unreadable_users_file_is_an_input_error_naming_the_file(path):
    path.parent.mkdir(parents=True)
    path.write_text("[users\n")
    with pytest.raises(InputError, match="not valid TOML") as caught:
        list_users(path)
    assert caught.value.file == str(path)


def test_toml_strings_are_escaped():
    nasty = 'a"b\\c\nd\x01'
    assert tomllib.loads(f"k = {users._toml_str(nasty)}")["k"] == nasty


def test_users_path_from_env(monkeypatch, tmp_path):
    monkeypatch.setenv("NESTWATCH_USERS", str(tmp_path / "u.toml"))
    assert users_path() == tmp_path / "u.toml"
    monkeypatch.delenv("NESTWATCH_USERS")
    assert users_path() == users.PROJECT / "data" / "users.toml"


def test_the_intel_flag_is_given_by_name_kept_with_the_user_and_only_for_inspectors_and_analysts(path):
    from geo.access.users import has_intel, set_intel, set_role

    add_user(path, "alice", PASSWORD, role="inspector")
    add_user(path, "carl", "cabinet member passphrase", role="cabinet")
    assert not has_intel(path, "alice")
    assert set_intel(path, "Alice", True) is False
    assert has_intel(path, "alice") and "intel = true" in path.read_text()
    assert verify(path, "alice", PASSWORD) == "inspector"  # the password and role are kept
    with pytest.raises(OptionError, match="only an inspector or an analyst"):
        set_intel(path, "carl", True)
    with pytest.raises(OptionError, match="no user"):
        set_intel(path, "nobody", True)
    set_role(path, "alice", "cabinet")  # a role that may not hold it: the flag stays in the file but counts for nothing
    assert not has_intel(path, "alice")
    set_role(path, "alice", "analyst")
    assert has_intel(path, "alice")
    assert set_intel(path, "alice", False) is True and not has_intel(path, "alice")
    assert "intel" not in path.read_text() and not has_intel(path, "nobody")


def test_an_intel_value_that_is_not_true_or_false_is_refused(path):
    add_user(path, "alice", PASSWORD, role="inspector")
    path.write_text(path.read_text().replace('role = "inspector"', 'role = "inspector"\nintel = "yes please"'))
    with pytest.raises(InputError, match="intel must be true or false"):
        verify(path, "alice", PASSWORD)
