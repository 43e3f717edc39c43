"""The patrol loop in Debian's Chromium, offline: plan this week, check in on a phone, see delivered minutes rise.

One server over a copy of the demo town (:mod:`tests.pages.browser_harness`:
tiles off, every request that leaves 127.0.0.1 refused and failing the test).
The inspector plans the current week on the Patrols page and takes the
briefing after a reason; a phone (375 × 740) opens Check in with its call sign
in the address, presses "Arrived" (15 minutes late) then "Left" at the first
place; back on the Patrols page the week's delivered minutes are 15 higher.
Screenshots at 1366 × 768, 768 × 1024, 1920 × 1080 and 375 × 740 go to
the folder ``NESTWATCH_SHOTS`` names (none when unset).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest

pytest.importorskip("playwright.sync_api")

from playwright.sync_api import Browser, Page, expect

from dashboard.checkin import this_week
from geo.store import Store
from tests.conftest import store_url
from tests.pages.browser_harness import Tab, keep_shot, launch, require_chromium, serve, shots_wanted

pytestmark = pytest.mark.browser

DELIVERED = re.compile(r"^(\d+) minutes delivered")
UNIT = "P7"

# whether anything on the page is wider than the window (a clipped column scrolls sideways on a phone)
OVERFLOW = "() => document.documentElement.scrollWidth - window.innerWidth"


@pytest.fixture(scope="module")
def db(demo_town: str, tmp_path_factory: pytest.TempPathFactory) -> str:
    """A copy of the demo town: the plan, the check-ins and the export's audit entry are written to it."""
    require_chromium()
    return store_url(tmp_path_factory.mktemp("patrols") / "demo.sqlite", template=demo_town)


@pytest.fixture(scope="module")
def server(db: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    with serve(db, tmp_path_factory.mktemp("server")) as url:
        yield url


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with launch() as b:
        yield b


def _delivered(page: Page) -> int:
    line = page.get_by_text(DELIVERED).first
    line.wait_for()
    got = DELIVERED.match(line.inner_text().strip())
    assert got is not None
    return int(got.group(1))


def _shot(tab: Tab, name: str, width: int, height: int, *, anchors: tuple[str, ...] = ()) -> None:
    """Screenshots of the window at ``width`` × ``height``: the top, then each heading in ``anchors`` scrolled
    to the top (Streamlit scrolls its main block, not the page, so one full-page picture shows only the window).
    Only when ``NESTWATCH_SHOTS`` asks for them: the resizing and scrolling are for the pictures alone."""
    if not shots_wanted():
        return
    tab.page.set_viewport_size({"width": width, "height": height})
    tab.idle()
    tab.page.locator("[data-testid='stMain']").evaluate("el => el.scrollTo(0, 0)")
    keep_shot(tab.page, f"{name}-{width}x{height}.png")
    for i, heading in enumerate(anchors, start=1):
        tab.page.get_by_role("heading", name=heading).first.evaluate("el => el.scrollIntoView({block: 'start'})")
        keep_shot(tab.page, f"{name}-{width}x{height}-{i}.png")


#: The Patrols page's sections, for the screenshots.
SECTIONS = ("This week: the plan", "This week: planned vs delivered", "Did it work?")


def test_plan_this_week_check_in_on_a_phone_and_see_delivered_minutes_rise(
    server: str, browser: Browser, db: str
) -> None:
    week = this_week()
    desk = Tab(browser, server, "patrols")
    page = desk.page
    page.set_viewport_size({"width": 1366, "height": 768})
    page.get_by_text("Plan a week").first.wait_for()
    desk.idle()

    # plan the current week (the form opens on next week), every day 08:00-20:00 so every slot is this week
    for part, value in (("day", f"{week:%d}"), ("month", f"{week:%m}"), ("year", f"{week:%Y}")):
        segment = page.get_by_role("spinbutton", name=f"{part}, Week beginning (a Monday)")
        segment.click()
        segment.press_sequentially(value)
    expect(page.get_by_role("spinbutton", name="day, Week beginning (a Monday)")).to_have_attribute(
        "aria-valuenow", str(week.day)
    )
    shifts = page.get_by_role("textbox", name="Shifts (UK time)")
    shifts.fill("Mon-Sun 08:00-20:00")
    desk.rerun(page.get_by_role("button", name="Plan and save the week").click)
    expect(page.get_by_text("Saved:", exact=False)).to_have_count(1)
    expect(page.get_by_text("This week: planned vs delivered")).to_have_count(1)
    before = _delivered(page)

    # the briefing, after its reason: OFFICIAL-SENSITIVE, and one audit entry
    reason = page.get_by_role("textbox", name="Why are you taking the briefing away?")
    reason.fill("Browser test tasking")
    desk.rerun(lambda: reason.press("Enter"))
    printable = page.get_by_role("button", name="Briefing to print (HTML, A4)")
    expect(printable).to_be_enabled()
    with page.expect_download() as info:
        printable.click()
    sheet = Path(info.value.path()).read_text(encoding="utf-8")
    assert "OFFICIAL-SENSITIVE" in sheet and "<script" not in sheet.lower()

    # the phone: the call sign in the address, big buttons, nothing wider than the screen
    phone = Tab(browser, server, f"checkin?unit={UNIT}")
    mobile = phone.page
    mobile.set_viewport_size({"width": 375, "height": 740})
    mobile.reload()
    mobile.get_by_role("heading", name="Check in").wait_for()
    phone.idle()
    expect(mobile.get_by_role("textbox", name="Call sign or team")).to_have_value(UNIT)
    arrived = mobile.get_by_role("button", name="Arrived", exact=True).first
    expect(arrived).to_be_enabled()
    box = arrived.bounding_box()
    assert box is not None and box["width"] >= 300 and box["height"] >= 48, box
    assert mobile.evaluate(OVERFLOW) <= 0
    expect(mobile.get_by_role("button", name="Left", exact=True)).to_have_count(0)  # Left only after Arrived
    when = mobile.get_by_role("combobox", name="When you got there or left")
    when.click()
    mobile.get_by_role("option", name="15 minutes ago").click()
    phone.idle()
    phone.rerun(arrived.click)
    expect(mobile.get_by_text(f"{UNIT} arrived at", exact=False)).to_have_count(1)
    _shot(phone, "checkin-arrived", 375, 740)
    left = mobile.get_by_role("button", name="Left", exact=True)
    expect(left).to_have_count(1)
    phone.rerun(left.click)
    expect(mobile.get_by_text("after 15 minutes.", exact=False)).to_have_count(1)
    assert mobile.evaluate(OVERFLOW) <= 0
    _shot(phone, "checkin", 375, 740)
    phone.close()

    # back at the desk: the week's delivered minutes are 15 higher
    desk.rerun(page.reload)
    page.get_by_text("This week: planned vs delivered").wait_for()
    desk.idle()
    assert _delivered(page) == before + 15
    desk.maps(minimum=1)
    details = page.locator("[data-testid='stMain']").inner_text()
    for raw in ("planned_minutes", "planned_visits", "delivered_share", "visit_order"):
        assert raw not in details
    for width, height in ((1366, 768), (768, 1024), (1920, 1080)):
        _shot(desk, "patrols", width, height, anchors=SECTIONS)
    desk.close()

    store = Store(db)
    entries = store.audit(action="export")
    store.dispose()
    mine = entries[entries["reason"] == "Browser test tasking"]
    assert mine["target"].tolist() == [f"export:briefing-{week}.html"]
