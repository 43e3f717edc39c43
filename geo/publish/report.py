"""The report pack: published outcomes as a PDF (fpdf2) and as one self-contained HTML file.

Both carry the same content: the period and area, the headline figures with
their trends, the closure-order evaluation (:func:`effect_lines`: counts,
relative change with its interval, displacement in words, the peak note and
how many orders were left out), a monthly chart, ward and estate maps,
the table by area, the data sources, the suppression rule and the licence
statements. Both take :class:`geo.publish.published.PublishedOutcomes` only: a report
leaves the operational team, so exact counts never reach this module.

The HTML opens anywhere without a network: pictures are inlined PNG
(``data:`` URLs), the CSS is inline, a Content-Security-Policy forbids any
other load, and every value is HTML-escaped. The PDF embeds DejaVu Sans
(shipped with matplotlib), so "©", "²" and accents print everywhere.
"""

from __future__ import annotations

import base64
import datetime as dt
import html
import io
import re
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

import matplotlib
from fpdf import FPDF
from fpdf.fonts import FontFace

from geo.core.errors import OptionError
from geo.publish.charts import Picture, effect_to_png, maps_to_png, trend_to_png
from geo.publish.patrol_figures import patrol_lines, patrol_row
from geo.publish.published import (
    MEANINGS,
    NO_EARLIER_DATA,
    PROTECTION_NOTE,
    PublishedOutcomes,
    Tone,
    published_outcomes,
)
from geo.store import Store

FONT_DIR = Path(matplotlib.get_data_path()) / "fonts" / "ttf"
TITLE = "Nestwatch outcomes report"
DEMO_BANNER = "Synthetic demo data: the town of Nestwick and everything in it is invented."
FIGURE_HEADINGS = ("Figure", "This period", "Previous period", "Change")
AREA_HEADINGS = ("Area", "Type", "This period", "Previous period", "Change")
#: The patrol section's heading (the PDF, the HTML and the page).
PATROL_HEADING = "Patrols: minutes delivered and did they work"
EFFECT_LABEL = "ASB around closure orders, relative to the rest of the town (95 % interval)"
#: The colour of a change, by what it means (:data:`geo.publish.published.MEANINGS`): the page and slides use the same.
TONE_COLOURS: dict[str, str] = {"good": "#1b5e20", "bad": "#b71c1c", "neutral": "#37474f", "none": "#1f2933"}
T = TypeVar("T")


@dataclass(frozen=True)
class Pictures:
    """The report's pictures, rendered once and shared by the PDF and the HTML."""

    trend: Picture
    effect: Picture | None
    maps: tuple[Picture, ...]


@dataclass(frozen=True)
class ReportPack:
    """A built report: both files, and seconds spent per stage (figures, charts, maps, pdf, html)."""

    published: PublishedOutcomes
    pdf: bytes
    html: str
    timings: dict[str, float]


def build_report(
    store: Store,
    *,
    start: str,
    end: str,
    area: str | None = None,
    today: dt.date | None = None,
) -> ReportPack:
    """Figures, pictures, PDF and HTML for one period and area, each stage timed."""
    timings: dict[str, float] = {}

    def timed(stage: str, fn: Callable[[], T]) -> T:
        t0 = time.perf_counter()
        out = fn()
        timings[stage] = time.perf_counter() - t0
        return out

    published = timed("figures", lambda: published_outcomes(store, start=start, end=end, area=area, today=today))
    charts = timed("charts", lambda: (trend_to_png(published), effect_to_png(published)))
    maps = timed("maps", lambda: tuple(maps_to_png(published)))
    pictures = Pictures(trend=charts[0], effect=charts[1], maps=maps)
    pdf = timed("pdf", lambda: report_to_pdf(published, pictures=pictures))
    page = timed("html", lambda: report_to_html(published, pictures=pictures))
    timings["total"] = sum(timings.values())
    return ReportPack(published=published, pdf=pdf, html=page, timings=timings)


def report_pictures(published: PublishedOutcomes) -> Pictures:
    """Render the charts and maps of a report."""
    _check(published)
    return Pictures(trend=trend_to_png(published), effect=effect_to_png(published), maps=tuple(maps_to_png(published)))


def report_filename(published: PublishedOutcomes, *, suffix: str = ".pdf") -> str:
    """A download name such as ``nestwatch-outcomes-2025-11-to-2026-10-whole-town.pdf``."""
    where = published.area or "whole-town"
    slug = re.sub(r"[^a-z0-9-]+", "-", f"{published.period.start}-to-{published.period.end}-{where}".lower())
    return f"nestwatch-outcomes-{slug.strip('-')}{suffix}"


def _check(published: object) -> None:
    if not isinstance(published, PublishedOutcomes):
        raise OptionError(
            "a report takes published outcomes only: pass the result of geo.publish.published.publish",
            option="published",
        )


# --------------------------------------------------------------------------- shared content


def figure_rows(published: PublishedOutcomes) -> list[tuple[str, str, str, str, str]]:
    """``(key, label, this period, previous period, change)`` per headline row, as both files print them."""
    rows = [(f.key, f.label, f.now_text, f.previous_text, f.change_text) for f in published.figures]
    before = published.effect_previous.texts["relative"] if published.effect_previous else NO_EARLIER_DATA
    rows.append(
        (
            "closure_effect",
            f"{EFFECT_LABEL}: orders granted in {published.effect_year} (previous: {published.effect_year - 1})",
            published.effect.texts["relative"],
            before,
            published.effect_trend_text,
        )
    )
    if published.patrols is not None:
        rows.append(patrol_row(published.patrols))
    return rows


def figure_tones(published: PublishedOutcomes) -> list[Tone]:
    """The tone of each row of :func:`figure_rows` (the closure row: lower is better)."""
    trend = published.effect_trend_text
    closure: Tone = "good" if trend.endswith("better") else "bad" if trend.endswith("worse") else "none"
    patrols: list[Tone] = ["none"] if published.patrols is not None else []
    return [*(f.tone for f in published.figures), closure, *patrols]


def meaning_lines(published: PublishedOutcomes) -> list[str]:
    """Each headline's change in words, as the page and the slides say it.

    Led by the figure's label when the words do not name what is counted ("Not enough data for this period.").
    """
    lines = []
    for f in published.figures:
        named = f.key in MEANINGS and MEANINGS[f.key].noun.lower() in f.words.lower()
        lines.append(f.words if named else f"{f.label}: {f.words}")
    return lines


def area_rows(published: PublishedOutcomes) -> list[tuple[str, str, str, str, str]]:
    """``(name, type, this period, previous period, change)`` per ward and estate."""
    a = published.areas
    return [
        (str(n), str(layer), str(now), str(before), str(change))
        for n, layer, now, before, change in zip(
            a["name"], a["layer"], a["asb_text"], a["asb_previous_text"], a["change_text"], strict=True
        )
    ]


def protection_note(published: PublishedOutcomes) -> str:
    """How the figures are protected and shown, as the Outcomes page's foot says it."""
    return f"How these figures are protected: {PROTECTION_NOTE} {published.suppression_note}"


def effect_lines(published: PublishedOutcomes) -> list[str]:
    """The closure-order evaluation in words, as the PDF, the HTML and the Outcomes page print it."""
    e = published.effect
    if not e.used:
        return [e.sentence, *(t for t in (e.texts["skipped"],) if t)]
    lines = [e.sentence, f"Displacement: {e.texts['wdq_words']}.", e.texts["peak"], e.texts["skipped"]]
    return [line for line in (*lines, *published.effect_notes, published.effect_trend_words) if line]


def patrol_section(published: PublishedOutcomes) -> list[str]:
    """The patrol figures in words (:func:`geo.publish.patrol_figures.patrol_lines`); empty with no patrol log."""
    return [] if published.patrols is None else patrol_lines(published.patrols)


def period_lines(published: PublishedOutcomes) -> list[str]:
    """What the report covers, against what, and when it was made."""
    p = published.period
    compared = f"Compared with {p.previous.label()}." if published.compared else "No earlier data to compare with."
    return [f"Period: {p.label()}. {compared}", f"Prepared {published.generated} with Nestwatch."]


def method_lines(published: PublishedOutcomes) -> list[str]:
    """How each figure is counted, in words, so a reader can check the numbers."""
    r, w, q, end = f"{published.radius_m:g}", published.window_months, published.quiet_months, published.period
    victims = {
        "records": "victim records dated in the period whose home lies in the area (homes are never shown)",
        "counts": "the counts partners shared for the area and months",
        "none": "no victim records or counts are stored",
    }[published.victims_from]
    reading = "; ".join(f"{label}: {MEANINGS[key].why}" for key, label in _labels(published))
    return [
        f"How to read the changes (green is good news, red bad news, grey neither): {reading}.",
        "Rounded counts are marked ≈; a change is a whole percent of the shown counts.",
        "Areas: a record belongs to a ward or estate when its location lies inside the outline; "
        "the whole town is everything inside any ward or estate.",
        "ASB reports: incidents in the category 'Anti-social behaviour' (police.uk and partner records).",
        f"People safeguarded: {victims}.",
        f"Closure orders: secured = granted in the period; active = granted on or before {end.end_date}, "
        "expiring on or after it, and not discharged or revoked.",
        "Flagged addresses: opened = first flagged in the period; resolved = closed in the period.",
        f"Closure evaluation: distinct ASB reports within {r} m of the orders granted in the period (each report "
        f"once, however many orders it is near), in the {w} whole months before and after each order's month; "
        f"the ring is {r}-{published.ring_m:g} m around them; the control is the rest of the town over the same "
        f"months. Orders without {w} months of data on both sides (up to the period's end) are left out. "
        "The relative change is (after/before around the orders) / (after/before in the control) - 1, with a "
        "95 % interval (Farrington & Welsh 2005; it does not allow for extra month-to-month variation). "
        "Displacement is the Weighted Displacement Quotient (Bowers & Johnson 2003). Every change and interval "
        "uses the shown (rounded) counts.",
        f"Quiet addresses: closure-order premises with no ASB report within {r} m in the {q} months to "
        f"{end.end}; a count only, never which ones.",
    ]


def _labels(published: PublishedOutcomes) -> list[tuple[str, str]]:
    return [(f.key, f.label) for f in published.figures if f.key in MEANINGS]


# --------------------------------------------------------------------------- PDF


class _Pdf(FPDF):
    def __init__(self, footer: str) -> None:
        super().__init__(orientation="P", unit="mm", format="A4")
        self.footer_text = footer
        self.add_font("DejaVu", "", FONT_DIR / "DejaVuSans.ttf")
        self.add_font("DejaVu", "B", FONT_DIR / "DejaVuSans-Bold.ttf")
        self.add_font("DejaVu", "I", FONT_DIR / "DejaVuSans-Oblique.ttf")
        self.set_margins(15, 15, 15)
        self.set_auto_page_break(auto=True, margin=16)

    def footer(self) -> None:
        self.set_y(-11)
        self.set_font("DejaVu", size=7)
        self.set_text_color(110, 120, 130)
        self.cell(0, 5, f"{self.footer_text} · page {self.page_no()} of {{nb}}", align="C")
        self.set_text_color(0, 0, 0)

    def heading(self, text: str, *, size: float = 13, keep: float = 40) -> None:
        """A bold heading; on a new page when fewer than ``keep`` mm would follow it on this one."""
        if self.will_page_break(size * 0.5 + keep):
            self.add_page()
        self.set_font("DejaVu", "B", size)
        self.multi_cell(0, size * 0.5, text, new_x="LMARGIN", new_y="NEXT")
        self.ln(1.5)
        self.set_font("DejaVu", size=9.5)

    def para(self, text: str, *, size: float = 9.5, style: str = "") -> None:
        self.set_font("DejaVu", style, size)
        self.multi_cell(0, size * 0.5, text, new_x="LMARGIN", new_y="NEXT")
        self.ln(1.2)
        self.set_font("DejaVu", size=9.5)

    def picture(self, pic: Picture, *, width: float, max_height: float = 250) -> None:
        """Centred, ``width`` mm wide unless that would make it taller than ``max_height`` mm."""
        w = min(width, max_height / pic.aspect)
        self.image(io.BytesIO(pic.png), x=(self.w - w) / 2, w=w, alt_text=pic.alt)
        self.ln(2)


def report_to_pdf(published: PublishedOutcomes, *, pictures: Pictures | None = None) -> bytes:
    """The report as PDF bytes (A4)."""
    _check(published)
    pics = pictures or report_pictures(published)
    footer = f"{TITLE} · {published.area_name} · {published.period.start} to {published.period.end}"
    if published.demo:
        footer += " · synthetic demo data"
    pdf = _Pdf(footer)
    pdf.set_title(f"{TITLE}: {published.area_name}, {published.period.start} to {published.period.end}")
    pdf.set_creator("Nestwatch")
    pdf.add_page()
    pdf.set_font("DejaVu", "B", 20)
    pdf.cell(0, 10, TITLE, new_x="LMARGIN", new_y="NEXT")
    pdf.heading(published.area_name, size=14)
    for line in period_lines(published):
        pdf.para(line)
    if published.demo:
        pdf.set_fill_color(255, 237, 213)
        pdf.set_font("DejaVu", "B", 9.5)
        pdf.multi_cell(0, 7, DEMO_BANNER, fill=True, new_x="LMARGIN", new_y="NEXT", padding=(1, 3))
        pdf.set_fill_color(255, 255, 255)
        pdf.ln(3)
    pdf.heading("Headline figures")
    _pdf_table(
        pdf,
        FIGURE_HEADINGS,
        [row[1:] for row in figure_rows(published)],
        widths=(82, 33, 35, 30),
        tones=figure_tones(published),
    )
    pdf.ln(3)
    pdf.heading("What the changes mean", size=11, keep=20)
    for line in meaning_lines(published):
        pdf.para(line)
    pdf.ln(2)
    for line in effect_lines(published):
        pdf.para(line)
    pdf.para(protection_note(published), size=8.5, style="I")
    for note in published.notes:
        pdf.para(note, size=8.5, style="I")
    pdf.ln(2)
    pdf.heading("ASB over time")
    pdf.picture(pics.trend, width=180)

    pdf.add_page()
    pdf.heading("Before and after closure orders")
    if pics.effect is not None:
        pdf.picture(pics.effect, width=180)
    for line in effect_lines(published):
        pdf.para(line)
    if patrol_section(published):
        pdf.ln(2)
        pdf.heading(PATROL_HEADING, size=11, keep=30)
        for line in patrol_section(published):
            pdf.para(line)
    pdf.ln(2)
    pdf.heading("ASB reports by area")
    _pdf_table(pdf, AREA_HEADINGS, area_rows(published), widths=(68, 18, 27, 37, 30))

    if pics.maps:
        pdf.add_page()
        pdf.heading("Where: ASB reports by ward and estate")
        for pic in pics.maps:
            pdf.picture(pic, width=180, max_height=118 if len(pics.maps) > 1 else 240)

    pdf.add_page()
    pdf.heading("Data sources")
    for line in (*published.sources, *published.attribution):
        pdf.para(line)
    pdf.ln(2)
    pdf.heading("How the figures are counted")
    for line in method_lines(published):
        pdf.para(line, size=8.5)
    pdf.para(protection_note(published), size=8.5, style="I")
    return bytes(pdf.output())


def _pdf_table(
    pdf: FPDF,
    headings: tuple[str, ...],
    rows: Sequence[tuple[str, ...]],
    *,
    widths: tuple[int, ...],
    tones: Sequence[str] | None = None,
) -> None:
    """A table; with ``tones`` each row's last cell (its change) is coloured by what it means."""
    pdf.set_font("DejaVu", size=9)
    pdf.set_draw_color(200, 205, 212)
    pdf.set_line_width(0.2)
    style = FontFace(emphasis="BOLD", fill_color=(234, 238, 242))
    align = ("LEFT", *("LEFT" if h == "Type" else "RIGHT" for h in headings[1:]))
    with pdf.table(
        col_widths=widths,
        width=sum(widths),
        text_align=align,
        headings_style=style,
        line_height=5.5,
        padding=(1, 2),
        borders_layout="HORIZONTAL_LINES",
    ) as table:
        for i, row in enumerate((headings, *rows)):
            r = table.row()
            tone = tones[i - 1] if tones is not None and i > 0 else "none"
            for j, value in enumerate(row):
                last = j == len(row) - 1 and tone != "none"
                r.cell(value, style=FontFace(color=_rgb(TONE_COLOURS[tone]), emphasis="BOLD") if last else None)


def _rgb(colour: str) -> tuple[int, int, int]:
    return int(colour[1:3], 16), int(colour[3:5], 16), int(colour[5:7], 16)


# --------------------------------------------------------------------------- HTML

_CSS = """
body{font-family:"DejaVu Sans",Arial,Helvetica,sans-serif;color:#1f2933;max-width:60rem;margin:2rem auto;padding:0 1rem;
line-height:1.45}
h1{font-size:1.7rem;margin-bottom:.2rem}h2{font-size:1.2rem;margin-top:2rem;border-bottom:1px solid #d9dde3}
.area{font-size:1.2rem;font-weight:bold;margin:.2rem 0 .6rem}
.demo{background:#ffedd5;border-left:4px solid #c2410c;padding:.5rem .8rem;font-weight:bold}
table{border-collapse:collapse;width:100%;margin:.5rem 0}th,td{padding:.3rem .5rem;border-bottom:1px solid #e4e7eb}
thead th{background:#eaeef2;text-align:left}tbody th{text-align:left;font-weight:normal}
td.n,thead th.n{text-align:right;white-space:nowrap}
figure{margin:1rem 0}figure img{max-width:100%;height:auto}figcaption{font-size:.85rem;color:#52606d}
.note{font-size:.85rem;font-style:italic;color:#52606d}.small{font-size:.85rem}
@media print{body{margin:0}h2{break-after:avoid}figure{break-inside:avoid}}
"""
_CSS += "".join(f".tone-{t}{{color:{c};font-weight:bold}}" for t, c in TONE_COLOURS.items() if t != "none")
# nothing but inline styles and data: images may load, whatever ends up in the page
_CSP = "default-src 'none'; img-src data:; style-src 'unsafe-inline'"


def _e(value: object) -> str:
    return html.escape(str(value), quote=True)


def report_to_html(published: PublishedOutcomes, *, pictures: Pictures | None = None) -> str:
    """The report as one self-contained HTML page (no external URL, every value escaped)."""
    _check(published)
    pics = pictures or report_pictures(published)
    p = published.period
    title = f"{TITLE}: {published.area_name}, {p.start} to {p.end}"
    out = [
        "<!DOCTYPE html>",
        '<html lang="en-GB"><head><meta charset="utf-8">',
        f'<meta http-equiv="Content-Security-Policy" content="{_CSP}">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>{_e(title)}</title><style>{_CSS}</style></head><body>",
        f"<h1>{_e(TITLE)}</h1>",
        f'<p class="area">{_e(published.area_name)}</p>',
        *(f"<p>{_e(line)}</p>" for line in period_lines(published)),
    ]
    if published.demo:
        out.append(f'<p class="demo">{_e(DEMO_BANNER)}</p>')
    tones = figure_tones(published)
    out += ["<h2>Headline figures</h2>", _html_table(FIGURE_HEADINGS, figure_rows(published), keyed=True, tones=tones)]
    out += ["<h3>What the changes mean</h3>", '<ul class="meaning">']
    out += [
        f'<li data-figure="{_e(f.key)}" class="tone-{_e(f.tone)}">{_e(line)}</li>'
        for f, line in zip(published.figures, meaning_lines(published), strict=True)
    ]
    out += ["</ul>"]
    out += [*(f'<p class="effect">{_e(line)}</p>' for line in effect_lines(published))]
    out += [f'<p class="note">{_e(protection_note(published))}</p>']
    out += [f'<p class="note">{_e(n)}</p>' for n in published.notes]
    out += ["<h2>ASB over time</h2>", _html_picture(pics.trend), "<h2>Before and after closure orders</h2>"]
    if pics.effect is not None:
        out.append(_html_picture(pics.effect))
    out += [f'<p class="effect">{_e(line)}</p>' for line in effect_lines(published)]
    if patrol_section(published):
        out += [f"<h2>{_e(PATROL_HEADING)}</h2>"]
        out += [f'<p class="patrol">{_e(line)}</p>' for line in patrol_section(published)]
    if pics.maps:
        out += ["<h2>Where: ASB reports by ward and estate</h2>", *(_html_picture(m) for m in pics.maps)]
    out += ["<h2>ASB reports by area</h2>", _html_table(AREA_HEADINGS, area_rows(published), keyed=False)]
    out += ["<h2>Data sources</h2>", *(f"<p>{_e(s)}</p>" for s in (*published.sources, *published.attribution))]
    out += ["<h2>How the figures are counted</h2>", '<ul class="small">']
    out += [f"<li>{_e(line)}</li>" for line in method_lines(published)]
    out += ["</ul>", f'<p class="note">{_e(protection_note(published))}</p>', "</body></html>"]
    return "\n".join(out) + "\n"


def _html_table(
    headings: tuple[str, ...], rows: Sequence[tuple[str, ...]], *, keyed: bool, tones: Sequence[str] | None = None
) -> str:
    """A table; with ``keyed`` the first value of each row is its ``data-figure`` key, not a cell.

    With ``tones`` the last cell of each row (its change) carries the class ``tone-good``/``-bad``/``-neutral``.
    """
    head = "".join(f'<th scope="col"{"" if i == 0 else " class=n"}>{_e(h)}</th>' for i, h in enumerate(headings))
    body = []
    for i, row in enumerate(rows):
        key, cells = (row[0], row[1:]) if keyed else (None, row)
        attr = f' data-figure="{_e(key)}"' if key is not None else ""
        tone = tones[i] if tones is not None else "none"
        last = len(cells) - 2
        tds = "".join(
            f'<td class="n{f" tone-{_e(tone)}" if j == last and tone != "none" else ""}">{_e(v)}</td>'
            for j, v in enumerate(cells[1:])
        )
        body.append(f'<tr{attr}><th scope="row">{_e(cells[0])}</th>{tds}</tr>')
    return f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody></table>"


def _html_picture(pic: Picture) -> str:
    data = base64.b64encode(pic.png).decode("ascii")
    return (
        f'<figure><img src="data:image/png;base64,{data}" alt="{_e(pic.alt)}">'
        f"<figcaption>{_e(pic.title)}</figcaption></figure>"
    )
