"""A cabinet member's Trends flow in Chromium: a link to their ward, then the month-by-month map played.

One server for the module over a copy of the demo town with a users file holding a cabinet member, so the
page is reached as a real user would: ``/trends?area=CODE``, sign in, the ward is already picked. The map
lives in the streamlit-folium iframe; the assertions read its DOM (the player's month label, each ward's
SVG path fill), and the page never reruns while the months play.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

pytest.importorskip("playwright.sync_api")

from playwright.sync_api import Browser, BrowserContext, Page, expect

from tests.conftest import store_url
from tests.pages.browser_harness import MAP_FRAMES, Tab, _ms, keep_shot, launch, require_chromium, serve

pytestmark = pytest.mark.browser

ST_ANNES = "X05000004"  # a demo ward's code (data/demo-synthetic)
USER, PASSWORD = "councillor", "correct-horse-battery-staple"
FILLS = "els => els.map(e => e.getAttribute('fill'))"


class SignIn(Tab):
    """A :class:`Tab` that lands on the sign-in form (no sidebar yet) and signs in."""

    def __init__(self, browser: Browser, url: str, path: str, *, viewport: dict[str, int]) -> None:
        self.finished = 0
        expect.set_options(timeout=_ms(60))
        self.context: BrowserContext = browser.new_context(viewport=viewport)
        self.context.set_default_timeout(_ms(60))
        self.blocked: list[str] = []
        self.context.route("**/*", self._only_loopback)
        self.page: Page = self.context.new_page()
        self.page.on("websocket", self._watch)
        self.page.goto(f"{url}/{path}")
        self.page.get_by_label("User name").wait_for()
        self.idle(after=0)
        sidebar = self.page.locator("[data-testid='stSidebar']")
        # once: on a page's URL (a councillor's bookmark) the first press signs in, as it does at "/"
        self.page.get_by_label("User name").fill(USER)
        self.page.get_by_role("textbox", name="Password").fill(PASSWORD)
        self.rerun(lambda: self.page.get_by_role("textbox", name="Password").press("Enter"))
        sidebar.wait_for()
        self.idle()


@pytest.fixture(scope="module")
def server(demo_town: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    require_chromium()
    from geo.access.users import add_user

    work = tmp_path_factory.mktemp("trends")
    db = store_url(work / "demo.sqlite", template=demo_town)
    users = work / "users.toml"
    add_user(users, USER, PASSWORD, role="cabinet")
    with serve(db, work, env={"NESTWATCH_USERS": str(users)}) as url:
        yield url


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with launch() as b:
        yield b


def test_a_councillor_opens_their_ward_by_link_and_plays_the_months(server: str, browser: Browser) -> None:
    tab = SignIn(browser, server, f"trends?area={ST_ANNES}", viewport={"width": 1366, "height": 768})
    page = tab.page
    expect(page.get_by_role("heading", name="Trends")).to_be_visible()
    picked = page.locator("[data-testid='stMultiSelect']").filter(has_text="Wards")
    expect(picked).to_contain_text("St Anne's (synthetic)")  # preselected from the link
    assert f"area={ST_ANNES}" in page.url  # and still in the address, to bookmark
    expect(page.get_by_text("Per 1,000 residents: the published count over the ONS", exact=False)).to_be_visible()
    expect(page.get_by_text("approximate snap point").first).to_be_visible()

    tab.maps(minimum=8)  # the change map first, at the three sizes
    for w, h in ((768, 1024), (1920, 1080), (1366, 768)):
        page.set_viewport_size({"width": w, "height": h})
        tab.maps(minimum=8)
        keep_shot(page, f"trends-change-{w}.png", full_page=True)

    tab.rerun(page.get_by_text("month by month (play)").click)
    tab.maps(minimum=8)  # the eight demo wards
    frame = page.frame_locator(MAP_FRAMES).first
    month = frame.locator("[data-nw='month']")
    areas = frame.locator("path.nestwatch-playback-area")
    expect(areas).to_have_count(8)
    expect(month).to_have_text("Oct 2026")  # opens on the latest month
    expect(frame.get_by_text("one scale for every month")).to_be_visible()
    expect(frame.locator(".nestwatch-label").filter(has_text="St Anne's (synthetic)")).to_have_count(1)
    latest = areas.evaluate_all(FILLS)
    runs = tab.finished
    keep_shot(page, "trends-playback-1366.png", full_page=True)

    frame.get_by_role("button", name="Play").click()
    expect(frame.locator("[data-playing='true']")).to_have_count(1)
    expect(month).not_to_have_text("Oct 2026")  # from the end it starts again at the first month
    seen = {month.get_attribute("data-month")}
    fills = {tuple(latest)}
    page.wait_for_function(  # the months move on by themselves, and the wards' colours with them
        """([sel, first]) => {
          const f = document.querySelector(sel).contentDocument;
          const m = f.querySelector("[data-nw='month']").getAttribute("data-month");
          return m !== first && m !== "2026-10";
        }""",
        arg=[MAP_FRAMES, month.get_attribute("data-month")],
        timeout=_ms(30),
    )
    seen.add(month.get_attribute("data-month"))
    fills.add(tuple(areas.evaluate_all(FILLS)))
    assert len(seen) >= 2, seen
    assert len(fills) >= 2, "the wards' colours did not change between months"
    frame.get_by_role("button", name="Pause").click()
    expect(frame.locator("[data-playing='false']")).to_have_count(1)
    expect(frame.get_by_role("button", name="Play")).to_be_visible()
    paused = month.get_attribute("data-month")
    frame.get_by_role("button", name="Next month").click()  # the stepper moves one month, and only one
    expect(month).to_have_attribute("data-month", _next(paused))
    assert tab.finished == runs, "playing the map reran the page"

    # hover a ward: the tooltip names the area, the month and the published count
    areas.nth(3).hover()
    tip = frame.locator(".leaflet-tooltip").filter(has_text="Month:")
    expect(tip).to_contain_text("Incidents:")
    for size, name in (((768, 1024), "768"), ((1920, 1080), "1920")):
        page.set_viewport_size({"width": size[0], "height": size[1]})
        tab.maps(minimum=8)
        keep_shot(page, f"trends-playback-{name}.png", full_page=True)
    tab.close()


def _next(month: str | None) -> str:
    """The month after ``YYYY-MM`` (the last one stays: the stepper stops at the end)."""
    assert month is not None
    year, m = int(month[:4]), int(month[5:])
    if month == "2026-10":
        return month
    return f"{year + (m == 12)}-{m % 12 + 1:02d}"
