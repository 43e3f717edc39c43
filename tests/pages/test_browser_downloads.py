"""Every download in Chromium: no file on the server before its reason, one audit entry per download.

For each page with downloads (patrol plan ×3, rejects, report pack ×2, ward
table, audit log) as the role that gets them: before a reason is typed, no
frame the app sent over the websocket holds a ``/media/`` URL and every
download button's proto is disabled with neither a URL nor a deferred id,
and the page holds no ``/media/`` URL; after the reason, the buttons carry a
deferred id and still no URL (nothing is built yet); each click then yields
the file, and the store holds exactly one export entry per click, with the
reason. The tables' own "Download as CSV" is not offered.
"""

from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import streamlit

pytest.importorskip("playwright.sync_api")

from playwright.sync_api import Browser, expect
from streamlit.proto.DownloadButton_pb2 import DownloadButton
from streamlit.proto.ForwardMsg_pb2 import ForwardMsg

from geo.demo import load_demo
from geo.store import Store
from tests.pages.browser_harness import Tab, _all_html, keep_shot, launch, require_chromium, serve

pytestmark = pytest.mark.browser

STATIC = Path(streamlit.__file__).parent / "static" / "static" / "js"
#: A file in Streamlit's media store (``/media/<hash>.<ext>``), where a built export would be served;
#: not Streamlit's bundled assets under ``./static/media/`` (fonts).
MEDIA = re.compile(r"(?<!/static)/media/[0-9a-f]+(?:\.\w+)?")


class RecordingTab(Tab):
    """A :class:`Tab` that keeps every binary websocket frame the app sent it."""

    def __init__(self, browser: Browser, url: str, path: str) -> None:
        self.frames: list[bytes] = []
        super().__init__(browser, url, path)

    def _frame(self, payload: str | bytes) -> None:
        if isinstance(payload, bytes):
            self.frames.append(payload)
        super()._frame(payload)


@pytest.fixture(scope="module")
def db(tmp_path_factory: pytest.TempPathFactory) -> str:
    """A demo store of its own, so every export entry in it was made by this file."""
    require_chromium()
    from tests.conftest import store_url

    url = store_url(tmp_path_factory.mktemp("downloads") / "demo.sqlite")
    store = Store(url)
    load_demo(store)
    store.dispose()
    return url


@pytest.fixture(scope="module")
def server(db: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    with serve(db, tmp_path_factory.mktemp("server")) as url:
        yield url


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with launch() as b:
        yield b


def _buttons(frames: list[bytes]) -> dict[str, DownloadButton]:
    """The latest download button proto the app sent for each label."""
    latest: dict[str, DownloadButton] = {}
    for msg in _messages(frames):
        if msg.WhichOneof("type") != "delta" or msg.delta.WhichOneof("type") != "new_element":
            continue
        element = msg.delta.new_element
        if element.WhichOneof("type") == "download_button":
            latest[element.download_button.label] = element.download_button
    return latest


def _messages(frames: list[bytes]) -> Iterator[ForwardMsg]:
    for raw in frames:
        msg = ForwardMsg()
        msg.ParseFromString(raw)
        yield msg


def _media_urls(tab: RecordingTab, since: int) -> set[str]:
    """Media-store URLs in the frames since ``since`` and in the page, except the app's favicon.

    The favicon (a PNG file the app ships, named in ``page_config_changed``) is the one
    media file a page is meant to have.
    """
    favicons = {m.page_config_changed.favicon for m in _messages(tab.frames) if m.HasField("page_config_changed")}
    assert all(f.endswith(".png") for f in favicons if f), favicons
    sent = {u for f in tab.frames[since:] for u in MEDIA.findall(f.decode("latin-1"))}
    return (sent | set(MEDIA.findall(_all_html(tab.page)))) - favicons


def _entries(db: str, reason: str) -> list[dict]:
    store = Store(db)
    log = store.audit(action="export")
    store.dispose()
    return log[log["reason"] == reason].to_dict("records")


def _as(tab: Tab, label: str) -> None:
    """Switch the demo's role switcher to ``label``."""
    tab.page.get_by_role("combobox", name="View as").click()
    tab.rerun(tab.page.get_by_role("option", name=label).click)


def _downloads_wait_for_their_reason(
    tab: RecordingTab,
    db: str,
    *,
    since: int,
    reason_box: str,
    reason: str,
    files: dict[str, Callable[[Path], None]],
    targets: list[str] | None,
) -> list[str]:
    """The whole check on one page: ``files`` maps each button's label to a check of the file it gives.

    Returns the file names the browser saved, in click order. ``targets`` are the audit targets
    expected (``None``: ``export:<file name>`` for each).
    """
    page = tab.page
    for label in files:
        expect(page.get_by_role("button", name=label)).to_be_disabled()
    sent = _buttons(tab.frames[since:])
    assert set(files) <= set(sent), f"download buttons sent: {sorted(sent)}"
    for label in files:
        proto = sent[label]
        assert proto.disabled and proto.url == "" and not proto.HasField("deferred_file_id"), (label, proto)
    assert not _media_urls(tab, since), "a /media/ URL was sent before a reason"

    box = page.get_by_role("textbox", name=reason_box)
    box.fill(reason)
    tab.rerun(lambda: box.press("Enter"))
    for label in files:
        expect(page.get_by_role("button", name=label)).to_be_enabled()
    sent = _buttons(tab.frames[since:])
    for label in files:
        proto = sent[label]
        assert not proto.disabled and proto.url == "" and proto.deferred_file_id, (label, proto)
    assert not _media_urls(tab, since), "a file was built before its button was clicked"
    assert _entries(db, reason) == []

    names = []
    for n, (label, check) in enumerate(files.items(), start=1):
        with page.expect_download() as info:
            page.get_by_role("button", name=label).click()  # no script run: the file is all there is to wait for
        check(Path(info.value.path()))
        names.append(info.value.suggested_filename)
        assert len(_entries(db, reason)) == n, f"{label}: not one entry per download"
    entries = _entries(db, reason)
    expected = targets if targets is not None else [f"export:{name}" for name in names]
    assert sorted(e["target"] for e in entries) == sorted(expected)
    return names


def _csv(path: Path) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(path.read_text(encoding="utf-8-sig"))))


def _no_table_download(tab: Tab, table: int = -1) -> None:
    """The toolbar of a table, shown by hovering it, offers its search but not Streamlit's own CSV download."""
    page = tab.page
    page.locator("[data-testid='stDataFrame']").nth(table).hover()
    expect(page.get_by_role("button", name=re.compile(r"^Search"))).not_to_have_count(0)
    expect(page.get_by_role("button", name=re.compile(r"^Download as CSV"))).to_have_count(0)


def test_the_toolbar_download_this_file_checks_for_is_streamlits_label() -> None:
    bundle = "".join(p.read_text(encoding="utf-8", errors="replace") for p in STATIC.glob("DataFrame.*.js"))
    assert "Download as CSV" in bundle  # so a missing button below is the config, not a renamed label


def test_patrol_plan_downloads(server: str, browser: Browser, db: str) -> None:
    def plan_csv(path: Path) -> None:
        rows = _csv(path)
        assert len(rows) == 10 and list(rows[0])[:3] == ["visit_order", "rank", "cell"]

    def plan_geojson(path: Path) -> None:
        data = json.loads(path.read_text(encoding="utf-8"))
        assert len(data["features"]) == 10 and data["features"][0]["geometry"]["type"] == "Polygon"

    def printable(path: Path) -> None:
        text = path.read_text(encoding="utf-8")
        assert text.startswith("<!doctype html>") and text.count("<tr>") == 11

    tab = RecordingTab(browser, server, "patrol")
    tab.page.get_by_text("Where to go").wait_for()
    tab.idle()
    _downloads_wait_for_their_reason(
        tab,
        db,
        since=0,
        reason_box="Why are you taking the plan away?",
        reason="Monday briefing (browser)",
        files={
            "Patrol plan (CSV)": plan_csv,
            "Patrol plan (GeoJSON)": plan_geojson,
            "Printable plan (HTML)": printable,
        },
        targets=["export:patrol-plan.csv", "export:patrol-plan.geojson", "export:patrol-plan.html"],
    )
    entries = _entries(db, "Monday briefing (browser)")
    assert {(e["user"], e["role"], e["rows"]) for e in entries} == {("demo", "analyst", 10)}
    assert all('"personal": true' in e["detail"] for e in entries)
    tab.close()


def test_rejects_download_and_no_table_download(server: str, browser: Browser, db: str) -> None:
    def rejects(path: Path) -> None:
        rows = _csv(path)
        assert len(rows) == 40 and {"kind", "file", "row", "column", "reason"} <= set(rows[0])

    tab = RecordingTab(browser, server, "data_quality")
    tab.page.get_by_text("Rejected rows (40)").wait_for()
    tab.idle()
    _no_table_download(tab)
    _downloads_wait_for_their_reason(
        tab,
        db,
        since=0,
        reason_box="Why are you downloading the rejected rows?",
        reason="fixing the feed (browser)",
        files={"Download rejected rows (CSV)": rejects},
        targets=["export:rejects.csv"],
    )
    tab.close()


def test_cabinet_ward_table_and_report_pack_downloads(server: str, browser: Browser, db: str) -> None:
    def ward_table(path: Path) -> None:
        rows = _csv(path)
        columns = ["ward", "incidents", "per 1,000 residents", "previous period", "change"]
        assert len(rows) == 8 and list(rows[0]) == columns
        for value in (r["incidents"] for r in rows):
            assert value == "fewer than 5" or int(value.removeprefix("≈ ").replace(",", "")) % 5 == 0, value

    def pdf(path: Path) -> None:
        assert path.read_bytes().startswith(b"%PDF")

    def html(path: Path) -> None:
        assert path.read_text(encoding="utf-8").startswith("<!DOCTYPE html>")

    tab = RecordingTab(browser, server, "")
    tab.page.get_by_text("Nestwatch").first.wait_for()
    tab.idle()
    _as(tab, "Cabinet member")
    since = len(tab.frames)
    tab.rerun(tab.page.get_by_role("link", name="Trends").click)
    tab.page.get_by_text("By ward").wait_for()
    tab.idle()
    _downloads_wait_for_their_reason(
        tab,
        db,
        since=since,
        reason_box="Why are you taking the ward table away?",
        reason="ward briefing (browser)",
        files={"Download the ward table (CSV)": ward_table},
        targets=["export:trends-wards.csv"],
    )
    since = len(tab.frames)
    tab.rerun(tab.page.get_by_role("link", name="Outcomes").click)
    tab.page.get_by_text("Hand it out").wait_for()
    tab.idle()
    names = _downloads_wait_for_their_reason(
        tab,
        db,
        since=since,
        reason_box="Who is the report pack for?",
        reason="partnership meeting (browser)",
        files={"Report pack (PDF)": pdf, "Report pack (HTML)": html},
        targets=None,
    )
    assert names[0].endswith(".pdf") and names[1].endswith(".html")
    assert {e["role"] for e in _entries(db, "partnership meeting (browser)")} == {"cabinet"}
    keep_shot(tab.page, "cabinet-report-downloads.png", full_page=True)
    tab.close()


def test_audit_log_copy_and_no_table_download(server: str, browser: Browser, db: str) -> None:
    def log_copy(path: Path) -> None:
        rows = _csv(path)
        assert rows and {"at", "user", "action", "target", "reason"} <= set(rows[0])

    tab = RecordingTab(browser, server, "")
    tab.page.get_by_text("Nestwatch").first.wait_for()
    tab.idle()
    _as(tab, "Administrator")
    since = len(tab.frames)
    tab.rerun(tab.page.get_by_role("link", name="Audit log").click)
    tab.page.get_by_text("Sign-ins, views of sensitive layers").wait_for()
    tab.idle()
    _no_table_download(tab)
    _downloads_wait_for_their_reason(
        tab,
        db,
        since=since,
        reason_box="Why are you taking a copy of the log?",
        reason="subject access request (browser)",
        files={"Download the log (CSV)": log_copy},
        targets=["export:audit.csv"],
    )
    [entry] = _entries(db, "subject access request (browser)")
    assert entry["role"] == "admin" and '"personal": true' in entry["detail"]
    tab.close()
