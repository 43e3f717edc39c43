"""``python -m geo users intel``: the permission is changed only with a reason, and the change is audited."""

from __future__ import annotations

import pytest

from geo.access.users import add_user, has_intel
from tests.cli.in_process import run


@pytest.fixture
def users_file(tmp_path, monkeypatch):
    path = tmp_path / "users.toml"
    add_user(path, "alice", "correct horse battery staple", role="analyst")
    add_user(path, "carl", "cabinet member passphrase", role="cabinet")
    monkeypatch.setenv("NESTWATCH_USERS", str(path))
    return path


def test_intel_on_and_off_each_audited_with_its_reason(store, users_file, capfd):
    done = run(capfd, "users", "intel", "alice", "--on", "--reason", "county lines analyst from 1 Dec", db=store.url)
    assert done.returncode == 0, done.stderr
    assert has_intel(users_file, "alice") and "alice: intel on (was off)" in done.stdout
    done = run(capfd, "users", "intel", "alice", "--off", "--reason", "moved team", db=store.url)
    assert done.returncode == 0 and not has_intel(users_file, "alice")
    log = store.audit(action="intel_change").sort_values("id")
    assert log["reason"].tolist() == ["county lines analyst from 1 Dec", "moved team"]
    assert log["target"].tolist() == ["user:alice", "user:alice"]


@pytest.mark.parametrize(
    ("args", "words"),
    [
        (("carl", "--on", "--reason", "r"), "only an inspector or an analyst"),
        (("alice", "--on", "--reason", " "), "needs a --reason"),
        (("nobody", "--on", "--reason", "r"), "no user"),
    ],
)
def test_refusals_change_nothing_and_log_nothing(store, users_file, capfd, args, words):
    done = run(capfd, "users", "intel", *args, db=store.url)
    assert done.returncode == 2 and words in done.stderr and "Traceback" not in done.stderr
    assert not has_intel(users_file, "alice") and store.audit(action="intel_change").empty
