"""Partnership day in Chromium: the presenter steps through the slides with the keyboard, offline.

One server over the demo town for the module. Each slide's headline (and, for a headline
figure, its big number) is checked against the published pack made here from the same store
(:func:`geo.publish.published.published_outcomes`), so the slides say what the report pack says.
The presentation view without slides is measured at 1920x1080: headlines, map and chart above
the fold. Set ``NESTWATCH_SHOTS`` to keep screenshots of each at three screen sizes.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

pytest.importorskip("playwright.sync_api")

from playwright.sync_api import Browser, FrameLocator, expect

from geo.publish.published import PublishedOutcomes, published_outcomes
from geo.store import Store
from tests.conftest import store_url
from tests.pages.browser_harness import Tab, keep_shot, launch, require_chromium, serve

SLIDES = ".st-key-o_slides_frame iframe"
SIZES = ((1920, 1080), (1366, 768), (768, 1024))


@pytest.fixture(scope="module")
def db(demo_town: str, tmp_path_factory: pytest.TempPathFactory) -> str:
    """The server's own copy of the demo store; the expected pack is read from it too (its release secret)."""
    return store_url(tmp_path_factory.mktemp("slides") / "demo.sqlite", template=demo_town)


@pytest.fixture(scope="module")
def server(db: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    require_chromium()
    with serve(db, tmp_path_factory.mktemp("server")) as url:
        yield url


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with launch() as b:
        yield b


@pytest.fixture(scope="module")
def pack(db: str) -> PublishedOutcomes:
    """What the page opens on: the last twelve months of the demo, the whole town."""
    store = Store(db)
    try:
        months = store.months()
        assert months is not None
        from geo.stats.aggregate import month_range

        every = month_range(*months)
        return published_outcomes(store, start=every[max(0, len(every) - 12)], end=every[-1])
    finally:
        store.dispose()


def _shot(tab: Tab, name: str) -> None:
    keep_shot(tab.page, f"{name}.png")


def _as_presenter(browser: Browser, server: str) -> Tab:
    tab = Tab(browser, server, "")
    page = tab.page
    page.get_by_role("combobox", name="View as").click()  # the demo's role switcher
    tab.rerun(page.get_by_role("option", name="Presentation screen").click)
    page.get_by_text("What the partnership achieved").first.wait_for()
    tab.idle()
    return tab


def _on(frame: FrameLocator) -> tuple[str, str]:
    """The visible slide's headline and big figure ("" when it has none)."""
    slide = frame.locator("section.slide.on")
    expect(slide).to_have_count(1)
    big = slide.locator(".big")
    return slide.locator("h1").inner_text(), (big.inner_text() if big.count() else "")


def test_the_presenter_steps_through_the_slides_with_the_keyboard(server: str, browser: Browser, pack) -> None:
    want = [(f"What the partnership achieved: {pack.area_name}", "")]
    want += [(f.label, f.now_text) for f in pack.figures]
    want += [("Around the closure orders", "")]
    assert pack.patrols is not None  # the demo's patrol week (October 2026) is in the last twelve months
    want += [("Patrol minutes delivered", pack.patrols.minutes_text)]
    want += [("ASB by ward: change on the previous period", ""), ("How these figures are made", "")]
    tab = _as_presenter(browser, server)
    page = tab.page
    page.set_viewport_size({"width": 1920, "height": 1080})
    page.get_by_role("button", name="Presenter").click()
    tab.rerun(page.get_by_text("Slides", exact=True).click)
    frame = page.frame_locator(SLIDES)
    menu = page.locator('[data-testid="stPopoverBody"]')
    expect(menu).to_be_visible()
    frame.locator("footer").click()  # a click in the slides is a click outside the presenter's menu: it closes
    expect(menu).to_be_hidden()
    expect(frame.locator("section.slide.on h1")).to_have_text(want[0][0])
    box = page.locator(SLIDES).bounding_box()
    assert box is not None and box["y"] <= 1 and box["height"] >= 1079, box  # the slides fill the 1080 px window
    # a clicker sends PageDown with the focus on the app around the frame: the slides still move on
    page.locator("body").press("PageDown")
    assert _on(frame) == want[1]
    # then in the frame: every key a presenter or a clicker uses
    frame.locator("section.slide.on").click()
    keys = ["Space", "ArrowRight", "ArrowDown", "Enter", "PageDown", "PageDown", "PageDown", "PageDown", "PageDown"]
    for i, key in enumerate(keys, start=2):
        page.keyboard.press(key)
        assert _on(frame) == want[i], key
        expect(frame.locator("#count")).to_have_text(f"{i + 1} / {len(want)}")
    page.keyboard.press("PageDown")  # the last slide stays the last
    assert _on(frame) == want[-1]
    map_slide = frame.locator("section.slide.map")
    page.keyboard.press("PageUp")
    expect(map_slide).to_be_visible()
    assert map_slide.locator("svg path").count() == 8  # the demo's eight wards, shaded
    svg = map_slide.locator("svg").bounding_box()
    assert svg is not None and svg["height"] > 600, svg  # the map fills the screen
    page.keyboard.press("ArrowLeft")
    assert _on(frame) == want[-3]
    page.keyboard.press("Home")
    assert _on(frame) == want[0]
    page.keyboard.press("End")
    assert _on(frame) == want[-1]
    # large type: a headline at least twice the 16 px body, on every screen size
    for width, height in SIZES:
        page.set_viewport_size({"width": width, "height": height})
        page.keyboard.press("Home")
        size = frame.locator("section.slide.on h1").evaluate("e => parseFloat(getComputedStyle(e).fontSize)")
        assert size >= 32, (width, size)
        banner = frame.locator("footer .demo")
        expect(banner).to_contain_text("Synthetic demo data")
        foot = frame.locator("footer").bounding_box()  # small, and on the screen: at its bottom edge
        assert foot is not None and foot["y"] + foot["height"] <= height + 1 and foot["height"] < 50, foot
        for step, name in ((0, "title"), (1, "asb"), (8, "closure"), (9, "map"), (10, "end")):
            page.keyboard.press("Home")
            for _ in range(step):
                page.keyboard.press("PageDown")
            _shot(tab, f"slides-{name}-{width}x{height}")
    tab.close()


def test_the_presentation_view_puts_headlines_map_and_chart_above_the_fold(server: str, browser: Browser) -> None:
    tab = _as_presenter(browser, server)
    page = tab.page
    for width, height in SIZES:
        page.set_viewport_size({"width": width, "height": height})
        tab.maps()
        page.locator('[data-testid="stVegaLiteChart"], [data-testid="stArrowVegaLiteChart"]').first.wait_for()
        if (width, height) == (1920, 1080):
            metrics = page.locator('[data-testid="stMetric"]')
            expect(metrics).to_have_count(7)
            last = metrics.nth(6).bounding_box()
            chart = page.locator('[data-testid="stVegaLiteChart"], [data-testid="stArrowVegaLiteChart"]').first
            chart_box = chart.bounding_box()
            map_box = page.locator('iframe[title="streamlit_folium.st_folium"]').bounding_box()
            assert last is not None and last["y"] + last["height"] < 1080
            # the map and the chart start above the fold and most of each is on the first screen
            assert map_box is not None and map_box["y"] + map_box["height"] / 2 < 1080, map_box
            assert chart_box is not None and chart_box["y"] + chart_box["height"] / 2 < 1080, chart_box
        _shot(tab, f"outcomes-presentation-{width}x{height}")
    tab.close()
