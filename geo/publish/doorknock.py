"""The door-knock list on paper and the neighbour letter's mail merge, from :func:`geo.plan.neighbours.neighbours_of`.

Both files name homes and the address of concern or closure they are near:
they are OFFICIAL-SENSITIVE, exported only by roles with ``export:doorknock_list``
and only after a reason is in the audit log (the page and the command do that;
nothing here writes or checks it).

* :func:`doorknock_html`: one self-contained A4 page per target (no scripts, no
  external assets, every text escaped), marked OFFICIAL-SENSITIVE at the top
  and bottom of each page: what happened and where, then its homes nearest
  first with their distance, why each is listed and three tick boxes
  ("answered / no answer / letter left") and room for a note.
* :func:`doorknock_csv`: one row per letter, columns named for a word
  processor's mail merge (:data:`LETTER_COLUMNS`): the home's address split at
  its commas into ``address_1`` .. ``address_5`` (anything past the fourth comma
  stays in ``address_5``), its ``uprn`` and ``ref``, and ``reason``, a sentence
  the letter can quote. The letter goes to the neighbours, so the reason never
  names the address of concern (nor its ref, often its UPRN): only what
  happened nearby and when. Formulas are neutralised (:mod:`geo.publish.export`).
"""

from __future__ import annotations

import html

import numpy as np
import pandas as pd

from geo.plan.neighbours import INTERVENTION_KIND, day_words, why_words
from geo.publish.export import frame_to_csv_bytes

MARKING = "OFFICIAL-SENSITIVE"
#: The mail merge's columns, in order.
LETTER_COLUMNS = [
    *("addressee", "address_1", "address_2", "address_3", "address_4", "address_5"),
    *("uprn", "ref", "reason", "distance_m"),
]
#: What the letter says happened nearby, per target kind ({day} = "3 Nov 2026"); never where exactly.
LETTER_REASONS = {
    "flagged": "partners are following up concerns about an address near you (raised {day})",
    "closures": "a closure order was granted for a property near you on {day}",
    INTERVENTION_KIND: "police and partners acted at an address near you on {day}",
}
TICKS = ("answered", "no answer", "letter left")

_CSS = """
@page { size: A4; margin: 14mm 12mm; }
body { font-family: Arial, Helvetica, sans-serif; font-size: 10.5pt; color: #000; margin: 0; }
.page { page-break-after: always; break-after: page; }
.page:last-child { page-break-after: auto; break-after: auto; }
.marking { text-align: center; font-weight: bold; letter-spacing: 0.08em; margin: 2mm 0; }
h1 { font-size: 14pt; margin: 3mm 0 1mm; }
p.meta { margin: 0 0 3mm; color: #333; }
table { border-collapse: collapse; width: 100%; }
th, td { border: 1px solid #666; padding: 1.2mm 1.5mm; vertical-align: top; text-align: left; }
th { background: #eee; }
tr { page-break-inside: avoid; break-inside: avoid; }
td.n, td.d { text-align: right; white-space: nowrap; }
td.tick { white-space: nowrap; }
.box { display: inline-block; width: 3.2mm; height: 3.2mm; border: 1px solid #000; margin-right: 1mm;
  vertical-align: -0.5mm; }
td.note { width: 28%; }
"""


def _e(value: object) -> str:
    return html.escape(str(value), quote=True)


def _metres(d: float) -> str:
    return f"{d:,.0f} m"


def doorknock_html(neighbours: pd.DataFrame, *, radius_m: float, title: str = "Door-knock list", made: str = "") -> str:
    """The printable list: one A4 page per target, nearest home first.

    Parameters
    ----------
    neighbours
        :data:`geo.plan.neighbours.NEIGHBOUR_COLUMNS`.
    radius_m
        The radius the list was made with (said on each page).
    title
        The page heading's first words.
    made
        When and by whom, e.g. "2 Dec 2026" (printed under each heading when given).
    """
    why = why_words(neighbours, radius_m=radius_m) if len(neighbours) else pd.Series(dtype=object)
    pages = []
    groups = neighbours.assign(why_listed=why).groupby(["target_kind", "target_ref"], sort=False)
    ticks = "".join(f'<span class="box"></span>{_e(t)}<br>' for t in TICKS)
    for (_kind, ref), rows in groups:
        first = rows.iloc[0]
        where = str(first["target_address"]).strip()
        heading = f"{first['target']}" + (f" — {where}" if where else "") + f" ({ref})"
        body = "".join(
            "<tr>"
            f'<td class="n">{int(r.order)}</td>'
            f"<td>{_e(r.address or '(no address)')}"
            + (f"<br><small>UPRN {_e(r.uprn)}</small>" if r.uprn else "")
            + f'</td><td class="d">{_e(_metres(r.distance_m))}</td><td>{_e(r.why_listed)}</td>'
            f'<td class="tick">{ticks}</td><td class="note"></td>'
            "</tr>"
            for r in rows.itertuples(index=False)
        )
        meta = f"{len(rows)} home{'s' if len(rows) != 1 else ''} within {radius_m:g} m or in the same block"
        pages.append(
            '<section class="page">'
            f'<div class="marking">{MARKING}</div>'
            f"<h1>{_e(title)}: {_e(heading)}</h1>"
            f'<p class="meta">{_e(meta)}, nearest first{_e(" · " + made) if made else ""}. '
            "The address itself is not on the list.</p>"
            "<table><thead><tr><th>#</th><th>Address</th><th>Distance</th><th>Why</th><th>Visit</th>"
            "<th>Notes</th></tr></thead>"
            f"<tbody>{body}</tbody></table>"
            f'<div class="marking">{MARKING}</div>'
            "</section>"
        )
    if not pages:
        pages.append(
            f'<section class="page"><div class="marking">{MARKING}</div><h1>{_e(title)}</h1>'
            f"<p>No homes within {radius_m:g} m or in the same block.</p>"
            f'<div class="marking">{MARKING}</div></section>'
        )
    return (
        '<!DOCTYPE html><html lang="en"><head><meta charset="utf-8">'
        f"<title>{_e(title)} ({MARKING})</title><style>{_CSS}</style></head><body>" + "".join(pages) + "</body></html>"
    )


def address_lines(addresses: pd.Series) -> pd.DataFrame:
    """``address_1`` .. ``address_5`` from addresses written with commas (the fifth takes what is left)."""
    parts = addresses.fillna("").astype(str).str.split(",", n=4, expand=True)
    out = pd.DataFrame(index=addresses.index)
    for i in range(5):
        col = parts[i] if i in parts.columns else pd.Series("", index=addresses.index)
        out[f"address_{i + 1}"] = col.fillna("").astype(str).str.strip()
    return out


def letter_reasons(neighbours: pd.DataFrame) -> pd.Series:
    """The mail merge's ``reason``: what happened near the home, and when (:data:`LETTER_REASONS`)."""
    fallback = "partners acted at an address near you on {day}"
    return pd.Series(
        [
            LETTER_REASONS.get(str(kind), fallback).format(day=day_words(str(day)))
            for kind, day in zip(neighbours["target_kind"], neighbours["target_date"], strict=True)
        ],
        index=neighbours.index,
        dtype=object,
    )


def letters_frame(neighbours: pd.DataFrame) -> pd.DataFrame:
    """:data:`LETTER_COLUMNS`, one row per home per target, in the list's order."""
    lines = address_lines(neighbours["address"])
    return pd.DataFrame(
        {
            "addressee": "The Occupier",
            **{c: lines[c].to_numpy() for c in lines.columns},
            "uprn": neighbours["uprn"].astype(str).to_numpy(),
            "ref": neighbours["ref"].astype(str).to_numpy(),
            "reason": letter_reasons(neighbours).to_numpy(),
            "distance_m": np.round(neighbours["distance_m"].to_numpy(float)).astype(np.int64),
        },
        columns=LETTER_COLUMNS,
    )


def doorknock_csv(neighbours: pd.DataFrame) -> bytes:
    """The mail merge file (UTF-8 with a BOM, formulas neutralised)."""
    return frame_to_csv_bytes(letters_frame(neighbours))
