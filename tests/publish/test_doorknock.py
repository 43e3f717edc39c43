"""The printed door-knock list and the neighbour letter's mail merge: marked, escaped, formula-safe."""

from __future__ import annotations

import io
import re

import pandas as pd

from geo.publish.doorknock import LETTER_COLUMNS, MARKING, address_lines, doorknock_csv, doorknock_html

HOSTILE = "<img src=x onerror=alert(1)>"


def listed() -> pd.DataFrame:
    """Two targets; the closure's homes 12 m and 40 m away, the flag's one home in its block 300 m away."""
    return pd.DataFrame(
        {
            "target_kind": ["closures", "closures", "flagged"],
            "target_ref": ["C1", "C1", "000010000037"],
            "target": ["closure order granted 3 Nov 2026"] * 2 + ["address of concern flagged 20 Nov 2026"],
            "target_address": ["9 Elm Road", "9 Elm Road", f"Flat 2 {HOSTILE}"],
            "target_date": ["2026-11-03", "2026-11-03", "2026-11-20"],
            "order": [1, 2, 1],
            "ref": ["P1", '=HYPERLINK("x")', "P9"],
            "address": ["11 Elm Road, Nestwick, NW1 2AB", "+44 Oak Road", "Flat 9, Beacon Court, a, b, c, d"],
            "uprn": ["000010000099", "", "100"],
            "landlord": "",
            "block": ["", "", "Beacon Court"],
            "lat": 51.45,
            "lng": -2.59,
            "distance_m": [12.4, 40.0, 300.2],
            "within_radius": [True, True, False],
            "same_block": [False, False, True],
        }
    )


def test_the_list_has_one_marked_page_per_target_nearest_first_with_tick_boxes():
    page = doorknock_html(listed(), radius_m=100, made="2 Dec 2026")
    assert page.count('<section class="page">') == 2
    assert page.count(f'<div class="marking">{MARKING}</div>') == 4  # top and bottom of each page
    assert "Door-knock list: closure order granted 3 Nov 2026 — 9 Elm Road (C1)" in page
    first = page.split('<section class="page">')[1]
    assert first.index("11 Elm Road") < first.index("+44 Oak Road")
    assert "12 m" in first and "40 m" in first and "within 100 m" in first
    assert first.count('<span class="box"></span>answered') == 2
    assert first.count('<span class="box"></span>no answer') == 2
    assert first.count('<span class="box"></span>letter left') == 2
    assert "same block (Beacon Court)" in page and "300 m" in page
    # nothing fetched, nothing run, the hostile text shown as text
    assert HOSTILE not in page and "&lt;img src=x onerror=alert(1)&gt;" in page
    assert not re.search(r"<script|https?://|src=", page.replace("src=x onerror", ""))


def test_an_empty_list_says_so():
    page = doorknock_html(listed().iloc[0:0], radius_m=50)
    assert "No homes within 50 m or in the same block." in page and page.count(MARKING) == 3  # title + 2


def test_address_lines_split_at_commas_and_keep_the_rest_in_the_fifth():
    lines = address_lines(pd.Series(["1 A St, Town", "x, y, z, w, v, u", ""]))
    assert lines.to_dict("records") == [
        {"address_1": "1 A St", "address_2": "Town", "address_3": "", "address_4": "", "address_5": ""},
        {"address_1": "x", "address_2": "y", "address_3": "z", "address_4": "w", "address_5": "v, u"},
        {"address_1": "", "address_2": "", "address_3": "", "address_4": "", "address_5": ""},
    ]


def test_the_mail_merge_names_its_columns_never_the_address_of_concern_and_defuses_formulas():
    data = doorknock_csv(listed())
    assert data.startswith("\ufeff".encode())
    text = data.decode("utf-8-sig")
    frame = pd.read_csv(io.StringIO(text), dtype=str, keep_default_na=False)
    assert list(frame.columns) == LETTER_COLUMNS
    assert frame["uprn"].tolist() == ["000010000099", "", "100"]  # leading zeros kept
    assert frame["ref"].tolist()[1] == '\'=HYPERLINK("x")' and frame["address_1"].tolist()[1] == "'+44 Oak Road"
    assert frame["reason"].tolist() == [
        "a closure order was granted for a property near you on 3 Nov 2026",
        "a closure order was granted for a property near you on 3 Nov 2026",
        "partners are following up concerns about an address near you (raised 20 Nov 2026)",
    ]
    assert frame["distance_m"].tolist() == ["12", "40", "300"]
    assert "000010000037" not in text and "Flat 2" not in text and "9 Elm Road" not in text
