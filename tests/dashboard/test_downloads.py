"""Logged downloads: the entry is written before the bytes exist, one entry per click, nothing without a reason.

The last tests pin what Streamlit 1.67 does with a deferred download, which
:mod:`dashboard.downloads` relies on: a disabled button registers nothing and
revokes what an earlier run registered, and every request of a deferred id
runs the callable again (no cached result that a second request would get
without an entry).
"""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest
from streamlit.elements.widgets import button as st_button
from streamlit.proto.DownloadButton_pb2 import DownloadButton as DownloadButtonProto
from streamlit.runtime.media_file_manager import MediaFileManager
from streamlit.runtime.media_file_storage import MediaFileStorageError
from streamlit.runtime.memory_media_file_storage import MemoryMediaFileStorage

from dashboard.auth import Session
from dashboard.downloads import Export, export_button, logged_build
from geo.access.roles import role
from geo.core.errors import OptionError, StoreError
from geo.store import Store
from tests.conftest import store_url

ROOT = Path(__file__).resolve().parents[2]
ANA = Session(user="ana", role=role("analyst"), mode="local")


@pytest.fixture
def store(tmp_path):
    s = Store(store_url(tmp_path / "downloads.sqlite"))
    yield s
    s.dispose()


class Container:
    """Stands in for ``st`` or a column: remembers what each download button was given."""

    def __init__(self) -> None:
        self.buttons: dict[str, dict] = {}

    def download_button(self, label, data, **options) -> bool:
        self.buttons[options["key"]] = {"label": label, "data": data, **options}
        return False


def _export(build, *, personal: bool = True) -> Export:
    return Export(
        label="Rejected rows (CSV)",
        file_name="rejects.csv",
        mime="text/csv",
        key="k",
        build=build,
        rows=3,
        personal=personal,
    )


def _exports(store: Store) -> list[dict]:
    return store.audit(action="export").to_dict("records")


def test_without_a_reason_the_button_is_disabled_and_its_data_builds_nothing(store):
    built = []
    box = Container()
    export_button(box, _export(lambda: built.append(1) or b"x"), reason="   ", session=ANA, store=store)
    button = box.buttons["k"]
    assert button["disabled"] is True
    assert callable(button["data"])  # never bytes: bytes would be stored and given a /media/ URL at once
    with pytest.raises(OptionError, match="needs a reason"):
        button["data"]()
    assert built == [] and _exports(store) == []


def test_the_page_draw_builds_nothing_and_a_click_logs_before_it_builds(store):
    seen = []

    def build() -> bytes:  # runs only once the entry is in the store
        seen.extend(_exports(store))
        return b"kind,row\r\nflagged,2\r\n"

    box = Container()
    export_button(box, _export(build), reason="  fixing the feed ", session=ANA, store=store)
    button = box.buttons["k"]
    assert button["disabled"] is False and button["file_name"] == "rejects.csv" and button["mime"] == "text/csv"
    # the click does not rerun the page: a rerun would drop the clicked callable before a slow request for it
    assert button["on_click"] == "ignore"
    assert seen == [] and _exports(store) == []  # drawn: no entry, nothing built
    assert button["data"]() == b"kind,row\r\nflagged,2\r\n"
    assert len(seen) == 1
    entry = seen[0]
    assert (entry["user"], entry["role"], entry["target"], entry["rows"], entry["reason"]) == (
        "ana",
        "analyst",
        "export:rejects.csv",
        3,
        "fixing the feed",
    )
    assert '"personal": true' in entry["detail"]


def test_each_click_is_one_entry(store):
    run = logged_build(_export(lambda: "text, saved as UTF-8 é"), store=store, user="ana", role="analyst", reason="why")
    assert run() == "text, saved as UTF-8 é".encode()
    assert run() == "text, saved as UTF-8 é".encode()
    assert len(_exports(store)) == 2


def test_a_published_export_needs_a_reason_too(store):
    run = logged_build(_export(lambda: b"x", personal=False), store=store, user="cab", role="cabinet", reason="")
    with pytest.raises(OptionError, match="needs a reason"):
        run()
    assert _exports(store) == []


def _unwritable(store: Store, monkeypatch: pytest.MonkeyPatch, message: str) -> None:
    def refuse(entry):
        raise StoreError(message)

    monkeypatch.setattr(store, "write_audit", refuse)


def test_when_the_log_cannot_be_written_nothing_is_built(store, monkeypatch):
    built = []
    _unwritable(store, monkeypatch, "the store is read-only")
    run = logged_build(_export(lambda: built.append(1) or b"x"), store=store, user="ana", role="analyst", reason="r")
    with pytest.raises(StoreError, match="read-only"):
        run()
    assert built == []


def test_an_explicit_target_names_the_entry(store):
    export = Export(
        label="l", file_name="nestwatch-audit.csv", mime="text/csv", key="k", build=lambda: b"", rows=0, personal=True
    )
    assert export.audit_target == "export:nestwatch-audit.csv"
    named = Export(
        label="l",
        file_name="nestwatch-audit.csv",
        mime="text/csv",
        key="k",
        build=lambda: b"",
        rows=0,
        personal=True,
        target="export:audit.csv",
    )
    logged_build(named, store=store, user="root", role="admin", reason="subject access request")()
    assert _exports(store)[0]["target"] == "export:audit.csv"


# --- what Streamlit 1.67 does with the callable (dashboard.downloads relies on it) ---


@pytest.fixture
def media(monkeypatch) -> MediaFileManager:
    """A real media file manager behind ``marshall_file``, as a running server has."""
    manager = MediaFileManager(MemoryMediaFileStorage("/media"))

    class Runtime:
        media_file_mgr = manager

    class FakeRuntimeModule:
        @staticmethod
        def exists() -> bool:
            return True

        @staticmethod
        def get_instance() -> Runtime:
            return Runtime()

    monkeypatch.setattr(st_button, "runtime", FakeRuntimeModule)
    return manager


def _marshall(data, *, disabled: bool) -> DownloadButtonProto:
    proto = DownloadButtonProto()
    st_button.marshall_file("1.(2).3", data, proto, "text/csv", "rejects.csv", disabled=disabled, element_id="id-k")
    return proto


def test_streamlit_registers_nothing_for_a_disabled_button_and_revokes_an_earlier_id(media, store):
    run = logged_build(_export(lambda: b"x"), store=store, user="ana", role="analyst", reason="why")
    disabled = _marshall(run, disabled=True)
    assert disabled.url == "" and not disabled.HasField("deferred_file_id")
    assert not media._deferred_callables  # nothing a client could ask for
    enabled = _marshall(run, disabled=False)
    assert enabled.url == "" and enabled.deferred_file_id  # an id, no file and no URL yet
    assert _exports(store) == []
    _marshall(run, disabled=True)  # the reason was cleared: the id the browser holds stops working
    with pytest.raises(MediaFileStorageError, match="not found"):
        media.execute_deferred(enabled.deferred_file_id)
    assert _exports(store) == []


def test_streamlit_runs_the_callable_on_every_request_of_its_id(media, store):
    run = logged_build(_export(lambda: b"kind\r\n"), store=store, user="ana", role="analyst", reason="why")
    file_id = _marshall(run, disabled=False).deferred_file_id
    first = media.execute_deferred(file_id)
    second = media.execute_deferred(file_id)
    assert first.startswith("/media/") and first == second  # the same bytes, stored once
    assert len(_exports(store)) == 2  # but each request built them again, after its own entry


def test_a_failing_callable_gives_streamlit_an_error_not_a_file(media, store, monkeypatch):
    _unwritable(store, monkeypatch, "the disk is full")
    run = logged_build(_export(lambda: b"x"), store=store, user="ana", role="analyst", reason="why")
    file_id = _marshall(run, disabled=False).deferred_file_id
    with pytest.raises(MediaFileStorageError, match="the disk is full"):
        media.execute_deferred(file_id)
    assert not media._file_metadata  # no file was stored


def test_the_app_config_turns_off_the_tables_own_csv_download():
    config = tomllib.loads((ROOT / ".streamlit" / "config.toml").read_text(encoding="utf-8"))
    assert config["client"]["disableDataExport"] is True
