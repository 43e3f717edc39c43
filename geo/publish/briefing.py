"""The weekly patrol briefing: a printable A4 sheet per team, and a CSV for the force's tasking system.

The sheet is what a team takes out: its places named as people name them
("On or near Beacon Court", :mod:`geo.plan.places`), the round to walk
(:func:`geo.space.tour.visiting_order`), every visit with its day and time, and
why each place is on the list, in the plan's own words. It is one
self-contained HTML file: no scripts, no fonts, images or styles from
anywhere else, so it prints the same on a locked-down police network; every
text in it is escaped. Each team's page starts on a new sheet and carries the
government security marking OFFICIAL-SENSITIVE at its top and bottom (and, in
browsers that print page margins, on every printed page).

The CSV has one row per visit with ISO 8601 times (offset included: a week
with a clock change is unambiguous) and the H3 cell, and its text cells are
formula-neutralised (:func:`geo.publish.export.frame_to_csv_bytes`).
"""

from __future__ import annotations

import datetime as dt
import html
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from geo.publish.export import frame_to_csv_bytes
from geo.space.hexes import cells_to_strings

if TYPE_CHECKING:
    from geo.plan.schedule import WeekPlan

MARKING = "OFFICIAL-SENSITIVE"
#: The tasking CSV, one row per visit.
BRIEFING_COLUMNS = [
    "week",
    "team",
    "stop",
    "place",
    "ward",
    "day",
    "date",
    "start",
    "end",
    "minutes",
    "start_time",
    "end_time",
    "cell",
    "lat",
    "lng",
    "reason",
]
#: What the sheet tells a team about the visits, whatever the plan (the reasons are per place).
GUIDANCE = (
    "Stay the whole of each visit, on foot and visible: visits of 10 to 15 minutes deter most (the Koper curve); "
    "a drive-by does far less.",
    "The times are drawn at random on purpose, so that nobody can learn the pattern: keep to them rather than "
    "making a habit of your own.",
    "Record each visit as you arrive and leave (GPS on, or the check-in page) under the team's call sign, never "
    "an officer's name: what was delivered is compared with this plan.",
)

_STYLE = """
@page { size: A4; margin: 12mm;
  @top-center { content: "OFFICIAL-SENSITIVE"; } @bottom-center { content: "OFFICIAL-SENSITIVE"; } }
body { font-family: sans-serif; font-size: 10pt; color: #111; margin: 0; }
.page { max-width: 186mm; margin: 0 auto 2em auto; }
.marking { text-align: center; font-weight: bold; letter-spacing: 0.1em; margin: 0.3em 0; }
h1 { font-size: 15pt; margin: 0.2em 0; }
h2 { font-size: 11pt; margin: 0.8em 0 0.3em 0; }
p, li { margin: 0.2em 0; }
.sub, .notes, .guide { font-size: 9pt; color: #333; }
table { border-collapse: collapse; width: 100%; font-size: 9pt; }
td, th { border: 1px solid #888; padding: 2px 4px; vertical-align: top; text-align: left; }
th { background: #eee; }
td.blank { width: 14mm; }
tr { break-inside: avoid; }
@media print { .page { break-after: page; margin: 0 auto; } .page:last-child { break-after: auto; } }
"""


def briefing_html(plan: WeekPlan, *, made: dt.datetime | None = None) -> str:
    """The printable briefing: one A4 page per team (the module docstring says what is on it).

    ``made`` is the time printed as when the sheet was made (default: now).
    """
    when = (made or dt.datetime.now()).strftime("%d %B %Y %H:%M")
    pages = [_page(plan, team, when) for team in plan.teams]
    title = f"Patrol briefing, week beginning {_day(plan.week)}"
    return (
        '<!doctype html>\n<html lang="en"><head><meta charset="utf-8">'
        f"<title>{_esc(MARKING)}: {_esc(title)}</title>\n<style>{_STYLE}</style></head><body>\n"
        + "\n".join(pages)
        + "\n</body></html>\n"
    )


def _page(plan: WeekPlan, team: str, when: str) -> str:
    route = plan.route[plan.route["team"] == team].sort_values("order")
    slots = plan.slots[plan.slots["team"] == team].sort_values(["start", "order"])
    visits = slots.groupby("cell").size()
    reason = plan.places.set_index("cell")["reason"]
    stops = " → ".join(f"{o} {_esc(p)}" for o, p in zip(route["order"], route["place"], strict=True))
    length = plan.route_m.get(team, 0.0) / 1000
    round_words = (
        f"{stops} → back to 1: {length:.1f} km in straight lines between {len(route)} places."
        if len(route) > 1
        else f"{stops}: one place."
    )
    place_rows = "\n".join(
        _row(o, p, w, int(visits.get(c, 0)), reason.get(c, ""))
        for o, p, w, c in zip(route["order"], route["place"], route["ward"], route["cell"], strict=True)
    )
    local = slots["start"].dt.tz_convert("Europe/London")
    ends = local + pd.to_timedelta(slots["minutes"], unit="min")
    visit_rows = "\n".join(
        "<tr>"
        + "".join(f"<td>{_esc(v)}</td>" for v in (f"{s:%a} {s.day} {s:%b}", f"{s:%H:%M}–{e:%H:%M}", o, p))
        + '<td class="blank"></td><td class="blank"></td></tr>'
        for s, e, o, p in zip(local, ends, slots["order"], slots["place"], strict=True)
    )
    notes = "".join(f"<li>{_esc(n)}</li>" for n in plan.notes)
    guide = "".join(f"<li>{_esc(g)}</li>" for g in GUIDANCE)
    return f"""<section class="page">
<div class="marking">{_esc(MARKING)}</div>
<h1>Patrol briefing: {_esc(team)}</h1>
<p class="sub">Week beginning {_esc(_day(plan.week))}. Shifts: {_esc(plan.shifts)}. {_esc(str(plan.dose).capitalize())},
at the times below. Sheet {_esc(plan.seed)} (the same sheet number gives the same times). Made {_esc(when)}.</p>
<ul class="notes">{notes}</ul>
<h2>Round</h2>
<p>{round_words}</p>
<h2>Places</h2>
<table><thead><tr><th>Stop</th><th>Place</th><th>Ward</th><th>Visits</th><th>Why this place</th></tr></thead>
<tbody>
{place_rows}
</tbody></table>
<h2>Visits ({len(slots)})</h2>
<table><thead><tr><th>Day</th><th>Time</th><th>Stop</th><th>Place</th><th>Arrived</th><th>Left</th></tr></thead>
<tbody>
{visit_rows}
</tbody></table>
<ul class="guide">{guide}</ul>
<div class="marking">{_esc(MARKING)}</div>
</section>"""


def _row(*values: object) -> str:
    return "<tr>" + "".join(f"<td>{_esc(v)}</td>" for v in values) + "</tr>"


def _esc(value: object) -> str:
    return html.escape(str(value), quote=True)


def _day(day: dt.date) -> str:
    return f"{day:%A} {day.day} {day:%B %Y}"


def briefing_frame(plan: WeekPlan) -> pd.DataFrame:
    """The visits as :data:`BRIEFING_COLUMNS`: wall-clock day, date and times, ISO times with their offset."""
    slots = plan.slots
    local = slots["start"].dt.tz_convert("Europe/London")
    ends = local + pd.to_timedelta(slots["minutes"], unit="min")
    at = plan.places.set_index("cell")[["lat", "lng"]]
    cells = slots["cell"].to_numpy(dtype=np.int64)
    return pd.DataFrame(
        {
            "week": [d.isoformat() for d in slots["week"]],
            "team": slots["team"].astype(object).to_numpy(),
            "stop": slots["order"].to_numpy(dtype=np.int64),
            "place": slots["place"].astype(object).to_numpy(),
            "ward": slots["ward"].astype(object).to_numpy(),
            "day": local.dt.strftime("%a").to_numpy(dtype=object),
            "date": local.dt.strftime("%Y-%m-%d").to_numpy(dtype=object),
            "start": local.dt.strftime("%H:%M").to_numpy(dtype=object),
            "end": ends.dt.strftime("%H:%M").to_numpy(dtype=object),
            "minutes": slots["minutes"].to_numpy(dtype=np.int64),
            "start_time": [t.isoformat() for t in local],
            "end_time": [t.isoformat() for t in ends],
            "cell": cells_to_strings(cells.astype(np.uint64)),
            "lat": at["lat"].reindex(cells).to_numpy(dtype=float),
            "lng": at["lng"].reindex(cells).to_numpy(dtype=float),
            "reason": slots["reason"].astype(object).to_numpy(),
        }
    )[BRIEFING_COLUMNS]


def briefing_csv(plan: WeekPlan) -> bytes:
    """The tasking CSV (UTF-8 with BOM, formula-neutralised): :func:`briefing_frame`."""
    return frame_to_csv_bytes(briefing_frame(plan))
