"""Priority: scores added up by hand, reasons in words, and a visiting order."""

import h3
import numpy as np
import pandas as pd

from geo.plan.priority import POINTS, CaseData, case_features, rank, score_cells
from geo.stats.aggregate import StudyArea


def area_and_points():
    centre = h3.latlng_to_cell(51.45, -2.59, 9)
    far = h3.latlng_to_cell(51.47, -2.55, 9)  # a few km away: not a neighbour
    near = sorted(h3.grid_ring(centre, 1))[0]
    cells = np.array(sorted(h3.str_to_int(c) for c in (centre, near, far)), dtype=np.uint64)
    area = StudyArea(
        res=9, cells=cells, ward=np.array(["W"] * 3, dtype=object), estate=np.array([""] * 3, dtype=object)
    )
    at = {name: h3.cell_to_latlng(c) for name, c in (("centre", centre), ("near", near), ("far", far))}
    idx = {
        name: int(np.flatnonzero(cells == h3.str_to_int(c))[0])
        for name, c in (("centre", centre), ("near", near), ("far", far))
    }
    return area, at, idx


def cases(at):
    c, n, f = at["centre"], at["near"], at["far"]
    flagged = pd.DataFrame(
        {
            "ref": ["F1", "F2", "F3", "F4"],
            "lat": [c[0], c[0], n[0], c[0]],
            "lng": [c[1], c[1], n[1], c[1]],
            "first_flagged": ["2024-01-10", "2024-02-01", "2024-01-01", "2024-09-01"],
            "indicators": ["lock_changes;noise", "visitors_odd_hours", "litter_needles", "damage"],
            "status": ["open", "open", "closed", "open"],  # F3 closed, F4 flagged after the plan date
        }
    )
    closures = pd.DataFrame(
        {
            "ref": ["C1", "C2"],
            "lat": [f[0], n[0]],
            "lng": [f[1], n[1]],
            "granted": ["2024-01-01", "2023-06-01"],
            "expiry": ["2024-12-31", "2024-03-01"],  # C1 in force on the plan date; C2 ended 2 months before
        }
    )
    victims = pd.DataFrame({"ref": ["V1"], "lat": [n[0]], "lng": [n[1]], "date_safeguarded": ["2024-02-02"]})
    return CaseData(flagged=flagged, closures=closures, victims=victims)


def test_features_count_open_flags_active_closures_and_victims_next_door():
    area, at, i = area_and_points()
    feats = case_features(area, cases(at), as_of="2024-05-01")
    assert feats.loc[i["centre"], "flagged_open"] == 2  # F3 closed, F4 later
    assert feats.loc[i["centre"], "indicators"] == "visitors at odd hours, lock changes, noise"
    assert feats.loc[i["far"], "closures_active"] == 1 and feats.loc[i["near"], "closures_recent"] == 1
    assert feats.loc[i["centre"], "victims_nearby"] == 1  # the victim lives in the neighbouring cell
    assert feats.loc[i["far"], "victims_nearby"] == 0


def test_scores_add_up_by_hand_and_say_why():
    area, at, i = area_and_points()
    feats = case_features(area, cases(at), as_of="2024-05-01")
    gi_bin = np.zeros(3, dtype=np.int8)
    gi_bin[i["centre"]] = 3
    category = np.array(["no pattern detected"] * 3, dtype=object)
    category[i["centre"]] = "intensifying hot spot"
    counts = np.zeros(3, dtype=np.int64)
    counts[i["centre"]] = 20
    scored = score_cells(area, counts=counts, gi_bin=gi_bin, category=category, features=feats)
    p = POINTS
    centre = p["hot_3"] + p["emerging_strong"] + 2 * p["flagged_each"] + 2 * p["strong_indicator"] + p["victim_each"]
    assert scored.loc[i["centre"], "score"] == round(centre + np.log1p(20), 2)  # 30+15+24+8+4 + log(21)
    assert scored.loc[i["centre"], "reasons"] == (
        "hot 99 %; intensifying; 2 open flagged addresses: visitors at odd hours, lock changes, noise; "
        "safeguarded victims nearby"
    )
    assert scored.loc[i["far"], "score"] == p["closure_active"]
    assert scored.loc[i["near"], "score"] == p["closure_recent"] + p["victim_each"]
    ranked, length = rank(scored, top=2)
    assert ranked["cell"].tolist() == [scored.loc[i["centre"], "cell"], scored.loc[i["near"], "cell"]]
    assert sorted(ranked["visit_order"]) == [1, 2] and length > 0
