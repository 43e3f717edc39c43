"""The report pack: the same published figures in the PDF and the HTML, pages that render, a page that
stays offline, no personal data and no small count; and the ``report`` command.

Every count in the pack is a sum of the protected release's cells, shown by the presentation rule: each
is checked here against a sum of :attr:`Release.cells` rows made in the test, never against the code's
own adding up.
"""

from __future__ import annotations

import dataclasses
import html
import io
import re
import shutil
import subprocess
import sys
from html.parser import HTMLParser
from pathlib import Path

import numpy as np
import pytest

from geo.core.errors import InputError, OptionError
from geo.plan.outcomes import outcomes_for
from geo.publish.privacy import suppress_labels, threshold
from geo.publish.published import NONE_MEASURED, published_outcomes
from geo.publish.release import Release, release_for
from geo.publish.report import (
    ReportPack,
    build_report,
    effect_lines,
    figure_rows,
    report_filename,
    report_to_html,
    report_to_pdf,
)
from geo.stats.evaluate import COUNT_FIELDS
from geo.store import Store

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--no-first-run"]
#: A calendar year: its closure orders (7 on the demo) are enough for the published comparison.
YEAR = ("2025-01", "2025-12")
#: The last twelve months: they end in 2026, a year with 2 orders measured, too few to publish the comparison.
NOW = ("2025-11", "2026-10")
#: What each headline adds up in the release, and whether it is read at the period's last month (a stock).
CELLS = {
    "asb": ("incidents", False),
    "people_safeguarded": ("people_safeguarded", False),
    "orders_secured": ("orders_secured", False),
    "orders_active": ("orders_active", True),
    "flagged_opened": ("flagged_opened", False),
    "flagged_resolved": ("flagged_resolved", False),
    "quiet_addresses": ("quiet_addresses", True),
}


@pytest.fixture(scope="module")
def demo_db(demo_town):
    """The demo town's store (a SQLite file, or a PostgreSQL database when the suite runs on one)."""
    return demo_town


@pytest.fixture(scope="module")
def demo(demo_db):
    store = Store(demo_db)
    yield store
    store.dispose()


@pytest.fixture(scope="module")
def release(demo) -> Release:
    """The store's release, made here on its own (the same data gives the same release)."""
    return release_for(demo)


@pytest.fixture(scope="module")
def town(demo) -> ReportPack:
    return build_report(demo, start=YEAR[0], end=YEAR[1])


@pytest.fixture(scope="module")
def estate(demo) -> ReportPack:
    """An estate over a year: small counts to hide."""
    return build_report(demo, start=YEAR[0], end=YEAR[1], area="XEST005")


@pytest.fixture(scope="module")
def recent(demo, release) -> ReportPack:
    """The last twelve months, ending in 2026: the closure comparison has too few orders to publish."""
    p = published_outcomes(demo, start=NOW[0], end=NOW[1], release=release)
    return ReportPack(published=p, pdf=report_to_pdf(p), html=report_to_html(p), timings={})


def release_sum(release: Release, measure: str, *, area: str | None, months: list[str], asb: bool = False) -> int:
    """The release's cells for one area (None: the town) and months, added up here (pandas, not Release.totals)."""
    c, a = release.cells, release.areas
    layer, code = ("town", "") if area is None else (str(a.loc[a["code"] == area, "layer"].iloc[0]), area)
    rows = c[(c["measure"] == measure) & (c["layer"] == layer) & (c["area"] == code) & c["month"].isin(months)]
    if asb:
        rows = rows[rows["category"] == "Anti-social behaviour"]
    return int(rows["value"].sum())


def release_label(release: Release, measure: str, **kw) -> str:
    """:func:`release_sum` as the presentation rule prints it."""
    return suppress_labels([release_sum(release, measure, **kw)])[0]


def expected_figures(release: Release, pack: ReportPack) -> dict[str, tuple[str, str]]:
    """Each headline's label now and in the previous period, from the release's cells."""
    p = pack.published
    out = {}
    for key, (measure, stock) in CELLS.items():
        texts = []
        for period in (p.period, p.period.previous):
            months = [period.end] if stock else period.months
            if key == "quiet_addresses" and period.end < str(release.quiet_from):
                texts.append("not enough data" if period is p.period else "no earlier data")
                continue
            texts.append(release_label(release, measure, area=p.area, months=months, asb=key == "asb"))
        out[key] = (texts[0], texts[1])
    return out


def pdf_text(data: bytes) -> str:
    from pypdf import PdfReader

    return " ".join(page.extract_text() for page in PdfReader(io.BytesIO(data)).pages)


def squash(text: str) -> str:
    return re.sub(r"\s+", " ", text)


class Tables(HTMLParser):
    """Rows of every table (header and data cells as text), with each row's ``data-figure``."""

    def __init__(self) -> None:
        super().__init__()
        self.rows: list[tuple[str | None, list[str]]] = []
        self._cell: list[str] | None = None

    def handle_starttag(self, tag, attrs):
        if tag == "tr":
            self.rows.append((dict(attrs).get("data-figure"), []))
        elif tag in ("td", "th"):
            self._cell = []

    def handle_endtag(self, tag):
        if tag in ("td", "th") and self._cell is not None:
            self.rows[-1][1].append("".join(self._cell).strip())
            self._cell = None

    def handle_data(self, data):
        if self._cell is not None:
            self._cell.append(data)


class Links(HTMLParser):
    """Every attribute that could make a browser load something."""

    def __init__(self) -> None:
        super().__init__()
        self.found: list[str] = []

    def handle_starttag(self, tag, attrs):
        self.found += [v or "" for k, v in attrs if k in ("src", "href", "srcset", "action", "poster", "data")]


def html_rows(page: str) -> list[tuple[str | None, list[str]]]:
    parser = Tables()
    parser.feed(page)
    return parser.rows


def visible_html(page: str) -> str:
    """The page without its inlined pictures (base64 is not text anyone reads)."""
    return re.sub(r"data:image/png;base64,[A-Za-z0-9+/=]+", "", page)


# --------------------------------------------------------------------------- same figures everywhere


@pytest.mark.parametrize("pack", ["town", "estate", "recent"])
def test_html_pdf_and_dataclass_show_the_same_published_figures(pack, request):
    r: ReportPack = request.getfixturevalue(pack)
    p = r.published
    expected = figure_rows(p)
    assert [row[0] for row in expected if row[0] not in ("closure_effect", "patrol_minutes")] == [
        f.key for f in p.figures
    ]
    for (key, label, now, before, change), f in zip(expected, p.figures, strict=False):
        assert (key, label, now, before, change) == (f.key, f.label, f.now_text, f.previous_text, f.change_text)
    by_key = {key: cells for key, cells in html_rows(r.html) if key}
    assert by_key == {key: [label, now, before, change] for key, label, now, before, change in expected}
    text = squash(pdf_text(r.pdf))
    for _key, label, now, before, change in expected:
        assert f"{label} {now} {before} {change}" in text
    columns = ("name", "layer", "asb_text", "asb_previous_text", "change_text")
    for name, layer, now, before, change in p.areas[list(columns)].itertuples(index=False):
        assert f"{name} {layer} {now} {before} {change}" in text
        assert [name, layer, now, before, change] in [cells for key, cells in html_rows(r.html) if not key]
    for part in (p.effect.sentence, p.suppression_note, *p.sources, *p.attribution, p.area_name):
        assert squash(part) in text and html.escape(part) in r.html


@pytest.mark.parametrize("pack", ["town", "estate", "recent"])
def test_the_evaluation_reads_the_same_in_the_pdf_and_the_html(pack, request):
    """Counts, relative change with its interval, displacement in words, the peak note: one set of lines, both files."""
    r: ReportPack = request.getfixturevalue(pack)
    e, n = r.published.effect, threshold()
    lines = effect_lines(r.published)
    assert lines[0] == e.sentence
    text = squash(pdf_text(r.pdf))
    for line in lines:
        assert squash(line) in text and html.escape(line) in r.html
    for key in (*COUNT_FIELDS, "earlier", "earlier_before"):
        value = e.texts[key]
        number = value.removeprefix("≈ ").replace(",", "")  # a rounded count is marked, 0 is exact
        assert value in (f"fewer than {n}", "unknown", "0") or (value.startswith("≈ ") and int(number) % n == 0), (
            key,
            value,
        )
    if e.used:
        assert f"Displacement: {e.texts['wdq_words']}." in lines and e.texts["peak"] in lines
        assert e.texts["relative"] in squash(text)


@pytest.mark.parametrize("pack", ["town", "estate", "recent"])
def test_every_figure_and_area_is_the_label_of_a_sum_of_release_cells(pack, request, release):
    r: ReportPack = request.getfixturevalue(pack)
    p = r.published
    want = expected_figures(release, r)
    assert {f.key: (f.now_text, f.previous_text) for f in p.figures} == want
    html_figures = {
        key: cells[1:3] for key, cells in html_rows(r.html) if key and key not in ("closure_effect", "patrol_minutes")
    }
    assert html_figures == {k: list(v) for k, v in want.items()}
    # every ward and estate of the pack's area table, ASB now and before (the same areas Trends lists)
    for row in p.areas.itertuples(index=False):
        now = release_label(release, "incidents", area=row.code, months=p.period.months, asb=True)
        before = release_label(release, "incidents", area=row.code, months=p.period.previous.months, asb=True)
        assert (row.asb_text, row.asb_previous_text) == (now, before), row.name
    assert len(p.areas) == 13  # 8 wards and 5 estates
    # the month-by-month line is the area's (or the town's) cells month by month
    for month, text in zip(p.monthly["month"], p.monthly["asb_text"], strict=True):
        assert text == release_label(release, "incidents", area=p.area, months=[month], asb=True)


def test_the_pack_is_the_release_not_the_exact_counts(town, estate, release, demo):
    """The test above could tell the two apart: on the demo, some printed label differs from the exact count's.

    With noise on every cell that is all but certain (every area over a year, 13 areas, 7 figures, two packs);
    if it ever failed, the release would equal the truth and the test above would prove nothing.
    """
    differ = 0
    for r in (town, estate):
        p = r.published
        exact = outcomes_for(demo, start=p.period.start, end=p.period.end, area=p.area)
        for f in p.figures:
            truth = exact.figures[f.key].now
            differ += truth is not None and f.now_text != suppress_labels([truth])[0]
        ex = exact.areas.set_index("code")["asb"]
        differ += sum(
            t != suppress_labels([ex[c]])[0] for c, t in zip(p.areas["code"], p.areas["asb_text"], strict=True)
        )
    assert differ > 0


def _granted_in(demo: Store, year: str) -> int:
    """Closure orders granted in ``year`` (every demo order has six months of incidents either side of it)."""
    return int((demo.read("closures")["granted"].astype(str).str.slice(0, 4) == year).sum())


def test_the_town_evaluation_on_the_demo(town, estate, release, demo):
    p = town.published
    e = p.effect
    assert p.effect_year == 2025 and e.used == _granted_in(demo, "2025") == 7
    assert e.shown.enough and e.texts["relative"].startswith("-")
    assert e.sentence.startswith("About 5 closure orders granted in 2025 across the whole town could be measured.")
    # the counts are the release's (perturbed once, for the year), shown by the presentation rule
    held = release.effects[2025].effect
    assert held is not None
    for key in COUNT_FIELDS:
        assert e.texts[key] == suppress_labels([getattr(held, key)])[0], key
    assert any("matched comparison" in line for line in effect_lines(p))
    # the previous year's orders (6 granted in 2024), and the words between the two
    assert p.effect_previous is not None and p.effect_previous.used == _granted_in(demo, "2024") == 6
    assert p.effect_previous.sentence.startswith("About 5 closure orders granted in 2024 across the whole town could")
    [row] = [row for row in figure_rows(p) if row[0] == "closure_effect"]
    assert row[1].endswith(": orders granted in 2025 (previous: 2024)")
    assert (row[2], row[3]) == (e.texts["relative"], p.effect_previous.texts["relative"])
    # an estate's pack has the same, whole-town comparison: the only one published
    assert estate.published.effect.sentence == e.sentence and estate.published.effect_notes == p.effect_notes


def test_a_year_with_too_few_orders_says_so_in_both_files(recent, demo):
    p = recent.published
    assert p.effect_year == 2026 and _granted_in(demo, "2026") == 2
    assert p.effect.sentence.startswith("Fewer than 5 closure orders granted in 2026 could be measured")
    assert effect_lines(p) == [p.effect.sentence]  # no counts, no displacement, no peak
    text = squash(pdf_text(recent.pdf))
    assert squash(p.effect.sentence) in text and html.escape(p.effect.sentence) in recent.html
    assert "Around the closure orders measured" not in text and "Around the closure orders measured" not in recent.html
    assert recent.html.count("data:image/png;base64,") == 3  # trend and the two maps: no closure chart
    assert p.effect_trend_text == "no comparison" and p.effect_previous is not None
    assert p.effect_previous.sentence.startswith("About 5 closure orders granted in 2025 across the whole town could")


def test_the_closure_row_does_not_say_none_measured_when_some_were(recent):
    # 2 orders measured in 2026 on the demo: too few to publish, and the row says that rather than "none"
    [row] = [row for row in figure_rows(recent.published) if row[0] == "closure_effect"]
    assert row[2] != NONE_MEASURED and row[2] == "not published (fewer than 5 orders)"


def test_every_stage_is_timed(town):
    assert set(town.timings) == {"figures", "charts", "maps", "pdf", "html", "total"}
    assert town.timings["total"] == pytest.approx(sum(v for k, v in town.timings.items() if k != "total"))
    assert town.pdf.startswith(b"%PDF") and town.html.startswith("<!DOCTYPE html>")
    assert report_filename(town.published) == "nestwatch-outcomes-2025-01-to-2025-12-whole-town.pdf"


def test_the_suppression_note_and_the_demo_label_are_printed(town):
    n = threshold()
    note = f"Counts from 1 to {n - 1} are shown as 'fewer than {n}'; other counts are rounded to the nearest {n}."
    assert town.published.suppression_note == note
    text = squash(pdf_text(town.pdf))
    assert note in text and "Synthetic demo data" in text and "synthetic demo data" in text  # sources and footer
    assert "Synthetic demo data" in town.html and "2025-01 to 2025-12 (12 months)" in text


# --------------------------------------------------------------------------- privacy


def personal_strings(store: Store) -> list[str]:
    """Every address and ref of the demo's case data, and each safeguarded person's home coordinates."""
    out: list[str] = []
    for kind in ("closures", "flagged", "victims"):
        frame = store.read(kind)
        out += frame["ref"].astype(str).tolist()
        if "address" in frame:
            out += frame["address"].astype(str).tolist()
    victims = store.read("victims")
    out += [f"{v:.4f}" for v in np.concatenate([victims["lat"].to_numpy(), victims["lng"].to_numpy()])]
    return out


COUNT_TEXT = re.compile(r"^(0|≈ [1-9]\d{0,2}(,\d{3})*)$")  # a rounded count carries the mark, 0 is exact


@pytest.mark.parametrize("pack", ["town", "estate", "recent"])
def test_no_personal_data_and_no_small_count(pack, request, demo):
    r: ReportPack = request.getfixturevalue(pack)
    n = threshold()
    html_text, text = visible_html(r.html), pdf_text(r.pdf)
    secrets = personal_strings(demo)
    assert len(secrets) > 200
    for s in secrets:
        assert s not in html_text and s not in text, s
    # every count printed is 0, a multiple of N, or "fewer than N" (never 1..N-1)
    counts = []
    minutes = []
    for key, cells in html_rows(r.html):
        if key == "patrol_minutes":  # unit-minutes, not people: rounded to 10, "none" when no patrol was logged
            minutes += cells[1:3]
        elif key and key != "closure_effect":
            counts += cells[1:3]
        elif not key and len(cells) == 5 and cells[1] in ("ward", "estate"):
            counts += cells[2:4]
    assert counts and bool(minutes) == (pack == "recent")  # the patrol log starts in October 2026
    for m in minutes:
        shown = re.fullmatch(r"≈ ([\d,]+) minutes", m)
        assert (shown and int(shown[1].replace(",", "")) % 10 == 0) or m in ("none", "no patrol log"), m
    for c in counts:
        if COUNT_TEXT.match(c):
            assert int(c.removeprefix("≈ ").replace(",", "")) % n == 0, c
        else:
            assert c in (f"fewer than {n}", "no earlier data", "not enough data"), c
    # a true count from 1 to N-1 is never printed as itself (it reads as its release sum does: "0",
    # "fewer than N" or N, the test above checks which); the estate over a year has some to check
    p = r.published
    o = outcomes_for(demo, start=p.period.start, end=p.period.end, area=p.area)
    small = [(k, f.now) for k, f in o.figures.items() if f.now is not None and 0 < f.now < n]
    for key, value in small:
        assert p.figure(key).now_text != str(value), key
    if pack == "estate":
        assert small
    for number in re.findall(r"reports? went from (\S+) to (\S+) reports", squash(text)):
        for value in number:
            assert value == "fewer" or int(value.replace(",", "")) % n == 0


def test_report_takes_published_outcomes_only(demo):
    exact = outcomes_for(demo, start=NOW[0], end=NOW[1])
    for fn in (report_to_pdf, report_to_html):
        with pytest.raises(OptionError, match="published outcomes only") as caught:
            fn(exact)
        assert caught.value.option == "published"
        assert not isinstance(caught.value, InputError)  # the wrong argument, not a bad file


def test_every_value_is_escaped(town):
    payload = "<img src=x onerror=alert(1)>"
    hostile = dataclasses.replace(
        town.published, area_name=f"{payload} & 'quotes'", sources=(f"{payload}.csv",), notes=("</p><script>x",)
    )
    page = report_to_html(hostile, pictures=None)
    assert payload not in page and "<script>" not in page
    assert "&lt;img src=x onerror=alert(1)&gt; &amp; &#x27;quotes&#x27;" in page


def test_html_has_no_external_reference(town):
    links = Links()
    links.feed(town.html)
    assert links.found and all(v.startswith("data:image/png;base64,") for v in links.found), links.found[:3]
    page = visible_html(town.html)
    assert "http://" not in page and "https://" not in page and "url(" not in page
    assert town.html.count("data:image/png;base64,") == 4  # trend, closures, ward map, estate map


# --------------------------------------------------------------------------- rendering


def test_pdf_pages_render_and_none_is_blank(town, tmp_path):
    pdftoppm = shutil.which("pdftoppm")
    if pdftoppm is None:
        pytest.skip("pdftoppm is not installed (apt-get install poppler-utils)")
    from PIL import Image

    (tmp_path / "r.pdf").write_bytes(town.pdf)
    subprocess.run([pdftoppm, "-png", "-r", "50", str(tmp_path / "r.pdf"), str(tmp_path / "page")], check=True)
    from pypdf import PdfReader

    pages = sorted(tmp_path.glob("page-*.png"))
    # every page of the file rendered (a year with a published closure comparison runs to five)
    assert len(pages) == len(PdfReader(io.BytesIO(town.pdf)).pages) >= 4
    for page in pages:
        pixels = np.asarray(Image.open(page).convert("L"), dtype=float)
        assert pixels.shape[0] > pixels.shape[1]  # A4 portrait
        assert pixels.std() > 10, f"{page.name} looks blank"
        assert (pixels < 128).mean() > 0.005, f"{page.name} has almost no ink"


@pytest.mark.browser
def test_html_opens_in_chromium_with_no_network_request(town, tmp_path):
    pytest.importorskip("playwright")
    if not Path(CHROMIUM).exists():
        pytest.skip("Chromium is not installed (apt-get install chromium)")
    from playwright.sync_api import sync_playwright

    path = tmp_path / "report.html"
    path.write_text(town.html, encoding="utf-8")
    url = path.as_uri()
    requests: list[str] = []

    def route(r):
        if r.request.url == url:
            r.continue_()
        else:
            requests.append(r.request.url)
            r.abort()

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        try:
            page = browser.new_page(viewport={"width": 1100, "height": 900})
            page.route("**/*", route)
            page.goto(url)
            page.wait_for_load_state("load")
            loaded = page.evaluate("() => [...document.images].map(i => i.complete && i.naturalWidth > 0)")
            heading = page.locator("h1").inner_text()
            page.screenshot(path=str(tmp_path / "report.png"), full_page=True)
        finally:
            browser.close()
    assert [r for r in requests if not r.startswith("data:")] == []
    assert loaded == [True] * 4 and heading == "Nestwatch outcomes report"


# --------------------------------------------------------------------------- the command


def cli(*args: str, db: Path | str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "geo", "report", *args, "--db", str(db)],
        capture_output=True,
        text=True,
        cwd=ROOT,
        check=False,
    )


def test_report_command_writes_pdf_and_html_and_audits_them(demo_db, tmp_path):
    pdf, page = tmp_path / "out.pdf", tmp_path / "out.html"
    out = cli("--from", NOW[0], "--to", NOW[1], "--area", "XEST002", "--out", str(pdf), "--html", str(page), db=demo_db)
    assert out.returncode == 0, out.stderr
    assert pdf.read_bytes().startswith(b"%PDF") and page.read_text(encoding="utf-8").startswith("<!DOCTYPE html>")
    assert "Gorse Hill" in page.read_text(encoding="utf-8")
    only_html = tmp_path / "only.html"
    assert cli("--from", NOW[0], "--to", NOW[1], "--out", str(only_html), db=demo_db).returncode == 0
    assert only_html.read_text(encoding="utf-8").startswith("<!DOCTYPE html>")
    store = Store(demo_db)
    log = store.audit(action="export")
    store.dispose()
    log = log[log["role"] == "cli"]  # the demo town is shared: other tests' exports are in the log too
    assert {"export:out.pdf", "export:out.html", "export:only.html"} <= set(log["target"])
    mine = log[log["target"].isin(["export:out.pdf", "export:out.html"])]
    assert mine["detail"].str.contains('"area": "XEST002"').all() and len(mine) >= 2


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("--from", "2025-13", "--to", "2026-10"), "YYYY-MM"),
        (("--from", "2026-10", "--to", "2025-10"), "after"),
        (("--from", "2025-11", "--to", "2026-10", "--area", "E05999999"), "unknown area code"),
        (("--from", "2025-11", "--to", "2026-10", "--out", "report.docx"), ".pdf or .html"),
    ],
)
def test_report_command_errors_are_one_line(demo_db, tmp_path, args, message, capfd):
    from tests.cli import in_process

    if "--out" not in args:
        args = (*args, "--out", str(tmp_path / "r.pdf"))
    out = in_process.run(capfd, "report", *args, db=demo_db)
    assert out.returncode == 2 and out.stdout == ""
    assert len(out.stderr.strip().splitlines()) == 1 and "Traceback" not in out.stderr
    assert message in out.stderr
    assert not (tmp_path / "r.pdf").exists()


def test_report_on_an_empty_store_says_so(tmp_path, capfd):
    from tests.cli import in_process

    out = in_process.run(capfd, "report", "--out", str(tmp_path / "r.pdf"), db=tmp_path / "empty.sqlite")
    assert out.returncode == 2 and "empty" in out.stderr and len(out.stderr.strip().splitlines()) == 1


def test_the_report_says_what_each_change_means_and_colours_it_by_that():
    """The hand-made release (tests/publish/test_published.py): ASB 85 -> 125 is bad news, people neither."""
    from geo.publish.charts import Picture
    from geo.publish.published import publish
    from geo.publish.report import Pictures, figure_tones, meaning_lines
    from tests.publish.test_published import hand_release, hand_scope

    p = publish(hand_release(), hand_scope(), below=5)
    blank = Picture("t", b"\x89PNG", "alt", 0.5)
    page = report_to_html(p, pictures=Pictures(trend=blank, effect=None, maps=()))
    lines = meaning_lines(p)
    assert lines[0] == "About 40 more ASB reports than the previous period — more reports, bad news."  # 125 - 85
    assert lines[-1] == "Closed addresses quiet for a year or more: No earlier period to compare with."
    assert f'<li data-figure="asb" class="tone-bad">{html.escape(lines[0])}</li>' in page
    assert '<li data-figure="people_safeguarded" class="tone-neutral">' in page
    # the change cell of each row carries its tone; the closure row: 24 points better (lower is better)
    assert figure_tones(p) == ["bad", "neutral", "none", "good", "neutral", "none", "none", "good"]
    assert '<td class="n tone-bad">+47%</td>' in page and '<td class="n tone-good">24 points better</td>' in page
    assert ".tone-bad{color:#b71c1c" in page
    assert "How to read the changes (green is good news, red bad news, grey neither)" in page
