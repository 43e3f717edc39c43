"""The release secret: made once per store, the same for every caller ever after, even two first callers at once."""

from __future__ import annotations

import secrets
import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
import sqlalchemy as sa

from geo.core.errors import OptionError, StoreError
from geo.store import Store
from tests.conftest import drop_store, patience, store_url


def _rows(store: Store) -> list[tuple]:
    """The table as the database holds it, read past the store's own code."""
    with store.engine.connect() as conn:
        return [tuple(r) for r in conn.execute(sa.text("SELECT id, secret, created_at FROM release_secret"))]


def test_the_secret_is_made_on_first_use_and_is_the_same_after_reopening(store):
    assert _rows(store) == []  # a new store has none until a release asks
    secret = store.release_secret()
    assert isinstance(secret, bytes) and len(secret) == 32
    assert store.release_secret() == secret
    [(row_id, text, created_at)] = _rows(store)
    assert row_id == 1 and text == secret.hex() and len(text) == 64 and created_at.endswith("+00:00")
    reopened = Store(store.url)
    assert reopened.release_secret() == secret and len(_rows(reopened)) == 1
    reopened.dispose()


def test_two_first_calls_at_once_end_with_one_secret_that_both_return(tmp_path, monkeypatch):
    """Both callers find the table empty and both insert (the barrier sees to it); one row wins, both return it."""
    url = store_url(tmp_path / "race.sqlite")
    first, second = Store(url), Store(url)  # two engines: two connections, as two processes would have
    both_read_nothing = threading.Barrier(2, timeout=patience(30))
    offered: list[str] = []
    lock = threading.Lock()

    def token_hex(nbytes: int) -> str:  # called only after a caller has found no secret stored
        assert nbytes == 32
        with lock:
            value = ("ab" if not offered else "cd") * 32  # two different candidates, so the winner is visible
            offered.append(value)
        both_read_nothing.wait()  # neither inserts before both have looked
        return value

    monkeypatch.setattr(secrets, "token_hex", token_hex)
    with ThreadPoolExecutor(2) as pool:
        calls = [pool.submit(s.release_secret) for s in (first, second)]
        got = [c.result(timeout=patience(120)) for c in calls]
    assert len(offered) == 2  # both took the insert path
    assert got[0] == got[1] and got[0].hex() in offered  # the loser read the winner's back
    [(_, stored, _)] = _rows(first)
    assert stored == got[0].hex()
    monkeypatch.undo()
    assert Store(url).release_secret() == got[0]  # and it stays
    for s in (first, second):
        s.dispose()
    drop_store(url)


def test_a_damaged_secret_is_refused_and_never_replaced(store):
    store.release_secret()
    with store.engine.begin() as conn:
        conn.execute(sa.text("UPDATE release_secret SET secret = :s"), {"s": "AB" * 32})  # hex, but not as written
    with pytest.raises(StoreError, match="release secret is damaged"):
        store.release_secret()
    assert _rows(store)[0][1] == "AB" * 32


def test_the_table_holds_one_secret_only(store):
    store.release_secret()
    with pytest.raises(sa.exc.IntegrityError), store.engine.begin() as conn:  # the CHECK: no id but 1
        conn.execute(sa.text("INSERT INTO release_secret VALUES (2, :s, 'now')"), {"s": "0" * 64})
    assert len(_rows(store)) == 1


def test_outlines_have_no_record_keys(store):
    with pytest.raises(OptionError, match="wards are outlines, not records") as caught:
        store.read("wards", keys=True)
    assert caught.value.option == "keys"
