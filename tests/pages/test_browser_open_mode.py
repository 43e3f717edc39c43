"""Open mode in Debian's Chromium, offline: a fresh browser context after a real import is refused.

A browser context is a new person (no cookies, no Streamlit session), the case
an AppTest cannot show end to end: the served app, a real upload through
*Load data*, then other contexts and a reload. Served with
:mod:`tests.pages.browser_harness`; every request that leaves 127.0.0.1 fails the test.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

pytest.importorskip("playwright.sync_api")

from playwright.sync_api import Browser, BrowserContext, Page, expect

from tests.conftest import police_csv, police_row, store_url
from tests.pages.browser_harness import Tab, _ms, keep_shot, launch, require_chromium, serve

pytestmark = pytest.mark.browser

REFUSED = "no users are set up"
BANNER = "Synthetic demo data."


class Door(Tab):
    """A :class:`Tab` that may land on a refusal or a sign-in form, which have no sidebar to wait for."""

    def __init__(self, browser: Browser, url: str, path: str = "") -> None:
        self.finished = 0
        expect.set_options(timeout=_ms(60))
        self.context: BrowserContext = browser.new_context(viewport={"width": 1400, "height": 1000})
        self.context.set_default_timeout(_ms(60))
        self.blocked: list[str] = []
        self.context.route("**/*", self._only_loopback)
        self.page: Page = self.context.new_page()
        self.page.on("websocket", self._watch)
        self.page.goto(f"{url}/{path}")
        self.page.wait_for_selector("[data-testid='stApp']")
        self.idle(after=0)  # the first script run has finished, whatever it drew

    def expect_open(self) -> None:
        expect(self.page.get_by_text("View as").first).to_be_visible()
        expect(self.page.locator("[data-testid='stException']")).to_have_count(0)

    def expect_refused(self) -> None:
        expect(self.page.get_by_text(REFUSED)).to_be_visible()
        expect(self.page.get_by_text("View as")).to_have_count(0)
        expect(self.page.locator("[data-testid='stSidebarNavLink'], [data-testid='stPageLink']")).to_have_count(0)
        expect(self.page.get_by_text(BANNER)).to_have_count(0)


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    require_chromium()
    with launch() as b:
        yield b


def test_after_a_real_upload_a_fresh_context_and_a_reload_are_refused(browser: Browser, tmp_path: Path) -> None:
    db = store_url(tmp_path / "first.sqlite")
    upload = tmp_path / "2024-01-street.csv"
    upload.write_text(police_csv(police_row(), police_row(month="2024-02")), encoding="utf-8")
    with serve(db, tmp_path, env={"NESTWATCH_USERS": str(tmp_path / "no-users.toml")}) as url:
        bystander = Door(browser, url)  # open in another browser before any real data arrives
        bystander.expect_open()
        loader = Door(browser, url, "data")
        loader.expect_open()
        expect(loader.page.get_by_text(BANNER)).to_have_count(0)  # nothing loaded, so nothing synthetic either
        loader.rerun(lambda: loader.page.locator("input[type='file']").set_input_files(str(upload)))
        loader.page.get_by_text("Preview").first.wait_for()
        loader.rerun(loader.page.get_by_role("button", name="Import").click)
        # the loader sees what it just loaded, told that this tab stays open only until it is reloaded
        loader.page.get_by_text("Validation report").wait_for(timeout=_ms(120))
        expect(loader.page.get_by_text("stays open until it is reloaded")).to_be_visible()
        expect(loader.page.get_by_text(BANNER)).to_have_count(0)
        keep_shot(loader.page, "open-mode-loader.png", full_page=True)

        fresh = Door(browser, url)  # a new person
        fresh.expect_refused()
        keep_shot(fresh.page, "open-mode-refused.png", full_page=True)
        fresh.close()
        Door(browser, url, "data_quality").expect_refused()  # straight to the page with the real rejects

        # the bystander's session is still connected: its next run is refused
        bystander.rerun(bystander.page.get_by_role("link", name="Trends").first.click)
        bystander.expect_refused()
        bystander.close()

        loader.rerun(loader.page.reload)
        loader.expect_refused()
        loader.close()


def test_the_demo_town_opens_but_will_not_take_real_data(browser: Browser, demo_town: str, tmp_path: Path) -> None:
    db = store_url(tmp_path / "demo.sqlite", template=demo_town)
    with serve(db, tmp_path, env={"NESTWATCH_USERS": str(tmp_path / "no-users.toml")}) as url:
        tab = Door(browser, url, "data")
        tab.expect_open()
        expect(tab.page.get_by_text(BANNER)).to_be_visible()
        main = tab.page.locator("[data-testid='stMain']")
        expect(main).to_contain_text("python -m geo demo --remove")
        expect(tab.page.locator("input[type='file']")).to_have_count(0)  # nothing can be uploaded, so nothing read
        keep_shot(tab.page, "open-mode-demo-load-data.png", full_page=True)
        tab.close()


def test_the_demo_town_with_a_users_file_asks_everyone_to_sign_in(
    browser: Browser, demo_town: str, tmp_path: Path
) -> None:
    from geo.access.users import add_user

    users = tmp_path / "users.toml"
    add_user(users, "alice", "correct-horse-battery", role="analyst")
    with serve(demo_town, tmp_path, env={"NESTWATCH_USERS": str(users)}) as url:
        tab = Door(browser, url)
        expect(tab.page.get_by_label("User name")).to_be_visible()
        expect(tab.page.get_by_text("View as")).to_have_count(0)
        expect(tab.page.get_by_text(BANNER)).to_have_count(0)
        tab.close()
