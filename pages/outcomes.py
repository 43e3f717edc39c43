"""Outcomes: what the partnership achieved in a period, safe to put on a projector and to hand out.

Every number here is published: a sum of the protected release (geo.publish.release),
then counts from 1 to N-1 read "fewer than N" and the rest are rounded (geo.publish.privacy),
for every role, so the room, the handout and the minutes agree. The period and area live in
the URL (``?from=2025-11&to=2026-10&area=X05000003``) so a presenter can open the exact screen
from a bookmark; ``&slides=1`` opens the slides for a partnership day (dashboard.slides: one
headline per screen, the map full screen, arrow keys or a clicker to move on).
"""

from __future__ import annotations

from functools import partial

import altair as alt
import pandas as pd
import streamlit as st
from streamlit_folium import st_folium

from dashboard import outcomes, results, slides
from dashboard.context import current_summary, default_months, ensure_shell, get_store
from dashboard.downloads import Export, export_button, reason_input
from dashboard.messages import markdown_literal, show_error
from geo.access.roles import can
from geo.core.errors import NestwatchError
from geo.publish.report import (
    PATROL_HEADING,
    patrol_section,
    protection_note,
    report_filename,
    report_to_html,
    report_to_pdf,
)
from geo.stats.aggregate import month_range

session = ensure_shell("outcomes")
presenting = session.role.name == "presentation"

info = current_summary()
months = month_range(*info["months"]) if info["months"] else []
if not months:
    st.info("No incidents loaded yet: outcomes are counted once police.uk or partner data is imported.")
    st.stop()

areas = {"": "Whole town"}
for layer in ("wards", "estates"):
    b = results.boundaries(layer)
    areas |= {str(c): f"{n} ({layer[:-1]})" for c, n in zip(b["code"], b["name"], strict=True)}

# the URL is the source of truth, so the screen can be bookmarked; widgets write back to it
q = st.query_params
area = q.get("area") if q.get("area") in areas else ""
with_data = [m for m in outcomes.area_months(area) if m in months]  # the chosen area's own latest year
default = default_months(with_data or months)
start = q.get("from") if q.get("from") in months else default[0]
end = q.get("to") if q.get("to") in months else default[1]
if start > end:
    start, end = default
layer = q.get("layer") if q.get("layer") in ("ward", "estate") else "ward"
as_slides = q.get("slides") == "1"


def _controls() -> tuple[str, str, str, str, bool]:
    c1, c2, c3, c4 = st.columns([3, 2, 1, 1])
    period = c1.select_slider("Period", options=months, value=(start, end), key="o_months")
    chosen = c2.selectbox("Area", list(areas), index=list(areas).index(area), format_func=areas.get, key="o_area")
    shown = c3.radio("Map by", ["ward", "estate"], index=["ward", "estate"].index(layer), key="o_layer")
    slide = c4.toggle(
        "Slides",
        value=as_slides,
        key="o_slides",
        help="One headline per screen for a projector: arrow keys, Space or a clicker move on.",
    )
    return period[0], period[1], chosen, shown, slide


if presenting:  # large type, nothing an audience could misread; the presenter's controls fold away
    st.markdown(
        """<style>
        [data-testid="stMetricValue"], [data-testid="stMetricValue"] * {
          font-size: clamp(1.6rem, 2.3vw, 3.4rem) !important; white-space: normal !important; line-height: 1.1; }
        [data-testid="stMetricLabel"], [data-testid="stMetricLabel"] * { font-size: 1.35rem !important; }
        h1 { font-size: 2.4rem !important; padding-top: 0 !important; }
        [data-testid="stMetricDelta"], [data-testid="stMetricDelta"] * { font-size: 1.25rem !important; }
        [data-testid="stMarkdownContainer"] p { font-size: 1.3rem; }
        [data-testid="stCaptionContainer"], [data-testid="stCaptionContainer"] p { font-size: 1.1rem !important; }
        @media (max-width: 1100px) {
          [data-testid="stMetricValue"], [data-testid="stMetricValue"] * { font-size: 1.6rem !important; }
          [data-testid="stMetricLabel"], [data-testid="stMetricLabel"] * { font-size: 1rem !important; }
        }
        [data-testid="stMetricLabel"] * { white-space: normal !important; overflow: visible !important; }
        [data-testid="stMetricDelta"] * { white-space: normal !important; }
        /* the seven headlines in one row on a wide screen, wrapping to four a row below 1400 px */
        @media (max-width: 1400px) {
          .st-key-o_figures [data-testid="stHorizontalBlock"] { flex-wrap: wrap; }
          .st-key-o_figures [data-testid="stColumn"] { min-width: calc(25% - 1rem) !important; }
        }
        </style>""",
        unsafe_allow_html=True,  # a fixed style sheet: no data goes into it
    )
else:
    st.markdown(  # "fewer than 5" must fit a quarter of a tablet's width, not end in an ellipsis
        """<style>
        @media (max-width: 1100px) {
          [data-testid="stMetricValue"], [data-testid="stMetricValue"] * { font-size: 1.45rem !important; }
        }
        [data-testid="stMetricLabel"] * { white-space: normal !important; overflow: visible !important; }
        </style>""",
        unsafe_allow_html=True,  # a fixed style sheet: no data goes into it
    )
if presenting or as_slides:  # the controls fold away: on a projector, or under the slides
    with st.container(key="o_presenter"), st.popover("Presenter", icon=":material/tune:"):
        start, end, area, layer, as_slides = _controls()
else:
    start, end, area, layer, as_slides = _controls()
st.query_params.update({"from": start, "to": end, "area": area, "layer": layer, "slides": "1" if as_slides else "0"})

try:
    pack = outcomes.published(start, end, area or None)
except NestwatchError as exc:
    show_error(exc)
    st.stop()

if as_slides:  # the slides fill the window; the app's own chrome folds away (the banner is on each slide)
    st.markdown(
        """<style>
        [data-testid="stSidebar"], [data-testid="stSidebarCollapsedControl"], [data-testid="stHeader"],
        [data-testid="stAlert"] { display: none !important; }
        /* the whole window, whatever is above it in the page; the presenter's button over its top right corner */
        .st-key-o_slides_frame { position: fixed !important; inset: 0; z-index: 100; background: #000; }
        .st-key-o_slides_frame iframe { width: 100vw !important; height: 100vh !important; border: 0; }
        .st-key-o_presenter { position: fixed !important; top: 0.4rem; right: 0.6rem; z-index: 101;
          width: auto !important; opacity: 0.45; }
        .st-key-o_presenter:hover, .st-key-o_presenter:focus-within { opacity: 1; }
        .st-key-o_presenter button { background: #222 !important; color: #fff !important;
          border-color: #888 !important; }
        </style>""",
        unsafe_allow_html=True,  # a fixed style sheet: no data goes into it
    )
    with st.container(key="o_slides_frame"):
        # every value in it is escaped (dashboard.slides); the frame holds its own keyboard handling
        st.iframe(slides.slides_html(pack, layer=layer), height=760, tab_index=0)
    st.stop()

st.title(markdown_literal(f"What the partnership achieved: {pack.area_name}"))
compared = "against the same number of months just before" if pack.compared else "(no earlier data to compare with)"
st.caption(f"{pack.period.label()}, {compared}. Published figures, the same for every role (see the foot of the page).")

figures = list(pack.figures)
with st.container(key="o_figures"):
    for row in [figures] if presenting else [figures[:4], figures[4:]]:
        cols = st.columns(len(row) if presenting else 4)
        for col, figure in zip(cols, row, strict=False):
            delta = outcomes.delta_of(figure)
            col.metric(
                figure.label,
                figure.now_text,
                delta=delta.text,
                delta_color=delta.colour,  # type: ignore[arg-type]
                delta_arrow=delta.arrow,  # type: ignore[arg-type]
                help=f"Previous period: {figure.previous_text} ({figure.change_text}).",
            )
            col.caption(figure.words)


def _closure() -> None:
    st.subheader("Around the closure orders")
    st.info(pack.effect.sentence, icon=":material/lock:")
    for line in outcomes.effect_notes(pack):
        if line.peak:  # interventions sited at a peak: the room must see it beside the fall it qualifies
            st.warning(line.text, icon=":material/trending_down:")
        else:
            st.caption(line.text)
    _patrols()


def _patrols() -> None:
    """Patrol minutes delivered and the patrol evaluation: the report's lines (nothing when no patrol log)."""
    lines = patrol_section(pack)
    if not lines:
        return
    st.subheader(PATROL_HEADING)
    st.info(markdown_literal(lines[0]), icon=":material/directions_walk:")
    st.markdown(markdown_literal(lines[1]))
    for line in lines[2:]:
        st.caption(markdown_literal(line))


if not presenting:
    _closure()


left, right = st.columns([3, 2], gap="medium")
with left:
    st.subheader(f"ASB by {layer}")
    st_folium(
        outcomes.outcomes_map(pack, layer),
        key="o_map",
        height=420 if presenting else 440,
        use_container_width=True,
        returned_objects=[],
    )
with right:
    st.subheader("ASB month by month")
    monthly = pack.monthly
    order = ["this period", "previous period"]  # the previous period's months laid under this period's
    long = pd.concat(
        [
            pd.DataFrame({"month": monthly["month"], "ASB reports": monthly["asb"], "period": order[0]}),
            pd.DataFrame({"month": monthly["month"], "ASB reports": monthly["asb_previous"], "period": order[1]}),
        ]
    )
    chart = (
        alt.Chart(long)
        .mark_line(point=True)
        .encode(
            x=alt.X("month:O", title=None),
            y=alt.Y("ASB reports:Q"),
            color=alt.Color(
                "period:N",
                title=None,
                legend=alt.Legend(orient="bottom"),
                scale=alt.Scale(domain=order, range=["#1565c0", "#90a4ae"]),
            ),
            strokeDash=alt.StrokeDash("period:N", legend=None, scale=alt.Scale(domain=order, range=[[1, 0], [5, 4]])),
        )
        .properties(height=300 if presenting else 280)
    )
    st.altair_chart(chart, width="stretch")
    if not presenting:
        st.dataframe(outcomes.areas_frame(pack, layer), hide_index=True, width="stretch", height=240)
if presenting:  # below the map and the chart, so those are above the fold on a 1920x1080 projector
    _closure()
    st.dataframe(outcomes.areas_frame(pack, layer), hide_index=True, width="stretch", height=240)

st.divider()
source = "Synthetic demo data: Nestwick is an invented town." if pack.demo else "Data: " + "; ".join(pack.sources) + "."
st.caption(markdown_literal(source))
st.caption(protection_note(pack))
for line in pack.attribution:
    st.caption(markdown_literal(line))

if can(session.role, "export:outcomes_report"):
    st.subheader("Hand it out")
    reason = reason_input(
        "Who is the report pack for?",
        key="o_reason",
        placeholder="e.g. community safety partnership, March meeting",
        help="The pack holds published figures only; every download is logged with this reason.",
    )
    store = get_store()
    # built when the button is pressed, after its audit entry, not on every run (a PDF takes about a second)
    for col, build, suffix, mime in zip(
        st.columns(2),
        (partial(report_to_pdf, pack), partial(report_to_html, pack)),
        (".pdf", ".html"),
        ("application/pdf", "text/html"),
        strict=True,
    ):
        export = Export(
            label=f"Report pack ({suffix[1:].upper()})",
            file_name=report_filename(pack, suffix=suffix),
            mime=mime,
            key=f"o_download{suffix}",
            build=build,
            rows=len(figures),
            personal=False,
        )
        export_button(col, export, reason=reason, session=session, store=store)
