"""Priority: scores added up by hand, reasons in words, the policy as a documented table, a visiting order."""

from __future__ import annotations

import re
from pathlib import Path

import h3
import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from geo.core.errors import OptionError
from geo.core.schema import INDICATORS, KINDS
from geo.plan import priority
from geo.plan.priority import (
    BALANCED_RULES,
    BALANCES,
    CASE_KINDS,
    DEFAULT_BALANCE,
    POINTS,
    RULES,
    SHARED_FEATURES,
    CaseData,
    CaseKind,
    Counted,
    Rule,
    apply_rules,
    balances_to_markdown,
    case_features,
    cells_to_areas,
    counted,
    months_to_words,
    policy_to_markdown,
    rank,
    rules_for,
    score_cells,
)
from geo.space.hexes import cells_to_latlng
from geo.stats.aggregate import Cube, StudyArea

README = Path(__file__).resolve().parents[2] / "README.md"


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
    assert list(feats.columns) == [c for kind in CASE_KINDS.values() for c in kind.columns]
    assert feats.loc[i["centre"], "flagged_open"] == 2  # F3 closed, F4 later
    assert feats.loc[i["centre"], "indicators"] == "visitors at odd hours, lock changes, noise"
    assert feats.loc[i["centre"], "strong_indicators"] == ("visitors_odd_hours", "lock_changes")
    assert feats.loc[i["far"], "closures_active"] == 1 and feats.loc[i["near"], "closures_recent"] == 1
    assert feats.loc[i["centre"], "victims_nearby"] == 1  # the victim lives in the neighbouring cell
    assert feats.loc[i["far"], "victims_nearby"] == 0


ASB_Q1 = Counted(("Anti-social behaviour",), ("2024-01", "2024-02", "2024-03"))


def test_scores_add_up_by_hand_and_say_why():
    area, at, i = area_and_points()
    feats = case_features(area, cases(at), as_of="2024-05-01")
    gi_bin = np.zeros(3, dtype=np.int8)
    gi_bin[i["centre"]] = 3
    category = np.array(["no pattern detected"] * 3, dtype=object)
    category[i["centre"]] = "intensifying hot spot"
    counts = np.zeros(3, dtype=np.int64)
    counts[i["centre"]] = 15
    scored = score_cells(area, counts=counts, gi_bin=gi_bin, category=category, features=feats, counted=ASB_Q1)
    # hot 99 % 30, intensifying 15, two open flags 2 x 12 = 24, two strong indicators 2 x 4 = 8, a victim next
    # door 4, and 15 incidents: log2(1 + 15) = 4 doublings x 2 = 8; 30 + 15 + 24 + 8 + 4 + 8 = 89
    assert scored.loc[i["centre"], "score"] == 89
    assert scored.loc[i["centre"], "reasons"] == (
        "hot spot (99 %); intensifying: hot in 90 % of months or more, and getting hotter; "
        "2 open flagged addresses: visitors at odd hours, lock changes, noise; safeguarded victims nearby; "
        "15 ASB incidents here in Jan–Mar 2024"
    )
    assert scored.loc[i["far"], "score"] == 6  # a closure order in force, no incidents: no doublings
    assert scored.loc[i["far"], "reasons"] == "closure order in force (watch for displacement)"
    assert scored.loc[i["near"], "score"] == 8 + 4  # one ended 2 months ago, the victim's own cell
    assert "strong_indicators" not in scored.columns and "victims_nearby" in scored.columns
    ranked, length = rank(scored, top=2)
    assert ranked["cell"].tolist() == [scored.loc[i["centre"], "cell"], scored.loc[i["near"], "cell"]]
    assert sorted(ranked["visit_order"]) == [1, 2] and length > 0
    assert ranked.loc[0, "visit_order"] == 1  # the round sets out from the first place on the list


def test_no_case_data_scores_only_the_hotspots():
    area, _at, _i = area_and_points()
    feats = case_features(area, CaseData(), as_of="2024-05-01")
    assert feats.drop(columns=["strong_indicators", "indicators"]).to_numpy().sum() == 0
    gi_bin = np.array([1, 0, 0], dtype=np.int8)
    scored = score_cells(area, counts=np.array([1, 255, 0]), gi_bin=gi_bin, category=None, features=feats)
    # the study area's first cell: hot 90 % 10 + 1 incident, log2(2) = 1 doubling x 2 = 12; the second has
    # 255 incidents but no reason: the incidents add points only to a cell that already scored
    assert scored["score"].tolist() == [12, 0, 0]
    assert scored["reasons"].tolist() == ["hot spot (90 %); 1 incident here in the period", "", ""]
    ranked, _ = rank(scored)
    assert ranked["cell"].tolist() == [scored.loc[0, "cell"]]  # a cell scoring 0 is never listed
    nothing, length = rank(scored.assign(score=0.0))
    assert nothing.empty and length == 0.0 and "visit_order" in nothing.columns


# --------------------------------------------------------------------------- the policy as data


def test_weights_and_balances_are_pinned():
    """The policy, written out: a changed weight must change this test too (it is not read from the table)."""
    assert dict(POINTS) == {
        "hot_3": 30,
        "hot_2": 20,
        "hot_1": 10,
        "beside_hot": 5,
        "emerging_new": 15,
        "emerging_consecutive": 15,
        "emerging_intensifying": 15,
        "emerging_persistent": 15,
        "emerging_sporadic": 5,
        "emerging_oscillating": 5,
        "flagged_each": 12,
        "strong_indicator": 4,
        "victim_each": 4,
        "closure_active": 6,
        "closure_recent": 8,
        "incidents_here": 2,
    }
    assert {r.name: r.cap for r in RULES if r.cap is not None} == {"flagged_each": 3, "victim_each": 3}
    assert [r.name for r in RULES if r.only_if_scored] == ["incidents_here"]
    assert DEFAULT_BALANCE == "both" and list(BALANCES) == ["established", "both", "emerging"]
    # hot 99, 95, 90 %, new, consecutive, intensifying, persistent, per doubling
    by_hand = {
        "established": (30, 20, 10, 5, 5, 5, 20, 4),
        "both": (30, 20, 10, 15, 15, 15, 15, 2),
        "emerging": (15, 10, 5, 30, 30, 30, 5, 1),
    }
    for name, points in by_hand.items():
        assert tuple(BALANCES[name].points[r] for r in BALANCED_RULES) == points, name
        assert {r.name: r.points for r in rules_for(name)} == {
            **POINTS,
            **dict(zip(BALANCED_RULES, points, strict=True)),
        }
    assert rules_for("both") == RULES  # the table's own points are the default balance's
    with pytest.raises(OptionError, match="balance must be one of established, both, emerging, not 'mixed'") as err:
        rules_for("mixed")
    assert err.value.option == "--balance"


def test_every_rule_is_documented_and_reads_features_that_exist():
    names = [r.name for r in RULES]
    assert len(set(names)) == len(names)
    produced = {"gi_bin", "emerging", "count", "counted"} | {c for kind in CASE_KINDS.values() for c in kind.columns}
    for rule in RULES:
        assert rule.help.strip(), rule.name
        assert set(rule.reads) <= produced, rule.name
        if rule.reason is not None and not isinstance(rule.reason, str):
            assert (rule.reason.__doc__ or "").strip(), rule.name  # the words, spelt out
    table = policy_to_markdown()
    assert all(f"`{name}`" in table for name in names)


def readme_priority_section() -> str | None:
    text = README.read_text(encoding="utf-8")
    match = re.search(r"^## [^\n]*[Pp]riority[^\n]*\n(.*?)(?=^## |\Z)", text, flags=re.M | re.S)
    return match.group(1) if match else None


def test_the_readme_names_every_rule():
    section = readme_priority_section()
    if section is None:
        pytest.skip("README.md has no '## … priority …' section yet (the coordinator adds it)")
    assert [r.name for r in RULES if r.name not in section] == []
    # the tables the README shows are the code's own, word for word (points, caps, words, why, balances)
    assert policy_to_markdown() in section and balances_to_markdown() in section


def test_every_case_kind_is_a_stored_kind_whose_features_are_declared():
    area, _at, _i = area_and_points()
    for name, kind in CASE_KINDS.items():
        assert name in KINDS and kind.help.strip()
        empty = kind.features(area, pd.DataFrame(), as_of="2024-05-01")
        assert tuple(empty.columns) == kind.columns and len(empty) == len(area)
        assert set(kind.shared) <= set(kind.columns) and set(kind.working) <= set(kind.columns)
    assert "victims_nearby" not in SHARED_FEATURES  # never in a plan that leaves the building


def test_case_data_by_name_attribute_or_mapping():
    flagged = pd.DataFrame({"ref": ["F1"]})
    cases = CaseData(flagged=flagged)
    assert cases["flagged"] is flagged and cases.flagged is flagged
    assert cases["closures"].empty and cases.victims.empty  # a kind not given is empty
    assert list(cases) == list(CASE_KINDS) and CaseData({"flagged": flagged})["flagged"] is flagged
    with pytest.raises(OptionError, match="unknown case kind"):
        CaseData(burglaries=flagged)
    with pytest.raises(AttributeError):
        _ = cases.burglaries
    with pytest.raises(KeyError):
        _ = cases["burglaries"]
    assert len(cases) == len(CASE_KINDS) == 3


def test_a_new_case_kind_is_one_entry_its_feature_function_and_its_rule(monkeypatch):
    """Repair requests with lock changes: counted in the plan without touching case_features or score_cells."""
    area, at, i = area_and_points()

    def repair_features(area, frame, /, *, as_of):
        out = pd.DataFrame({"lock_repairs": np.zeros(len(area), dtype=np.int64)})
        if not frame.empty:
            idx = priority._cell_index(area, frame[frame["requested"] <= as_of])
            out.loc[:, "lock_repairs"] = np.bincount(idx[idx >= 0], minlength=len(area))
        return out

    monkeypatch.setitem(CASE_KINDS, "repairs", CaseKind(repair_features, ("lock_repairs",), ("lock_repairs",), "x"))
    rule = Rule("lock_repair", ("lock_repairs",), 3, lambda c: c["lock_repairs"], "lock changes requested", "x")
    monkeypatch.setattr(priority, "RULES", (*RULES, rule))
    c = at["centre"]
    repairs = pd.DataFrame({"lat": [c[0]] * 3, "lng": [c[1]] * 3, "requested": ["2024-01-01", "2024-02-01", "2025-01"]})
    feats = case_features(area, CaseData(repairs=repairs), as_of="2024-05-01")
    zeros = np.zeros(3, dtype=np.int64)
    scored = score_cells(area, counts=zeros, gi_bin=zeros, category=None, features=feats)
    assert scored.loc[i["centre"], "score"] == 2 * 3  # the third request is after the plan date
    assert scored.loc[i["centre"], "reasons"] == "lock changes requested"


# --------------------------------------------------------------------------- vectorised = documented, cell by cell

# Gi* class -> (points under established, both, emerging; words)
HOT = {3: ((30, 30, 15), "hot spot (99 %)"), 2: ((20, 20, 10), "hot spot (95 %)"), 1: ((10, 10, 5), "hot spot (90 %)")}
CONFIDENCE = {3: "99 %", 2: "95 %", 1: "90 %"}
# pattern -> (points under established, both, emerging; words)
EMERGING = {
    "new hot spot": ((5, 15, 30), "new: hot for the first time in the latest month"),
    "consecutive hot spot": ((5, 15, 30), "consecutive: hot in an unbroken run of the latest months, not before"),
    "intensifying hot spot": ((5, 15, 30), "intensifying: hot in 90 % of months or more, and getting hotter"),
    "persistent hot spot": ((20, 15, 5), "persistent: hot in 90 % of months or more, with no trend"),
    "sporadic hot spot": ((5, 5, 5), "sporadic: hot on and off, and in the latest month"),
    "oscillating hot spot": ((5, 5, 5), "oscillating: hot in the latest month, a cold spot in an earlier one"),
}
PER_DOUBLING = (4, 2, 1)
SETTING = {"established": 0, "both": 1, "emerging": 2}
CATEGORIES = [*EMERGING, "diminishing hot spot", "no pattern detected", "new cold spot", ""]
STRONG = ["visitors_odd_hours", "lock_changes", "tenant_not_seen"]


def reference_scores(counts, gi_bin, category, features: pd.DataFrame, balance="both") -> tuple[list[float], list[str]]:
    """The policy as the README states it, one cell at a time (written from the rules, not from the code)."""
    at = SETTING[balance]
    scores, reasons = [], []
    for i in range(len(counts)):
        cell = features.iloc[i]
        score, why = 0, []
        here = counts[i] > 0
        if int(gi_bin[i]) in HOT and here:
            points, words = HOT[int(gi_bin[i])]
            score, why = score + points[at], [*why, words]
        if int(gi_bin[i]) > 0 and not here:
            score += 5
            why.append(f"0 ASB incidents here in Jan–Mar 2024; next to a hot spot ({CONFIDENCE[int(gi_bin[i])]})")
        if category is not None and category[i] in EMERGING and here:
            points, words = EMERGING[category[i]]
            score, why = score + points[at], [*why, words]
        flagged = int(cell["flagged_open"])
        if flagged > 0:
            score += 12 * min(flagged, 3) + 4 * len(cell["strong_indicators"])
            noun = "address" if flagged == 1 else "addresses"
            why.append(f"{flagged} open flagged {noun}" + (f": {cell['indicators']}" if cell["indicators"] else ""))
        if cell["victims_nearby"] > 0:
            score += 4 * min(int(cell["victims_nearby"]), 3)
            why.append("safeguarded victims nearby")
        if cell["closures_active"] > 0:
            score += 6 * int(cell["closures_active"])
            why.append("closure order in force (watch for displacement)")
        if cell["closures_recent"] > 0:
            score += 8 * int(cell["closures_recent"])
            why.append("closure order ended recently (watch for a return)")
        total = float(score)
        if score > 0 and here:
            total += PER_DOUBLING[at] * np.log2(1.0 + float(counts[i]))
            why.append(f"{int(counts[i])} ASB {'incident' if counts[i] == 1 else 'incidents'} here in Jan–Mar 2024")
        scores.append(float(np.round(total, 2)))
        reasons.append("; ".join(why))
    return scores, reasons


DISK = np.array(sorted(h3.str_to_int(c) for c in h3.grid_disk(h3.latlng_to_cell(51.45, -2.59, 9), 2)), dtype=np.uint64)


@st.composite
def cell_inputs(draw):
    """Random inputs for the 19 cells of a disk; small ranges so that caps bite and scores tie."""
    n = len(DISK)
    small = st.lists(st.integers(0, 5), min_size=n, max_size=n)
    flagged = draw(small)
    features = pd.DataFrame(
        {
            "flagged_open": np.array(flagged, dtype=np.int64),
            # drawn apart from the open addresses: strong indicators count only where an address is open
            "strong_indicators": [
                tuple(s) for s in draw(st.lists(st.sets(st.sampled_from(STRONG)), min_size=n, max_size=n))
            ],
            "indicators": draw(
                st.lists(st.sampled_from(["", "noise", "lock changes, smells"]), min_size=n, max_size=n)
            ),
            "closures_active": np.array(draw(st.lists(st.integers(0, 2), min_size=n, max_size=n)), dtype=np.int64),
            "closures_recent": np.array(draw(st.lists(st.integers(0, 2), min_size=n, max_size=n)), dtype=np.int64),
            "victims_nearby": np.array(draw(small), dtype=np.int64),
        }
    )
    category = draw(st.none() | st.lists(st.sampled_from(CATEGORIES), min_size=n, max_size=n))
    return {
        "balance": draw(st.sampled_from(list(SETTING))),
        "counts": np.array(draw(st.lists(st.integers(0, 40), min_size=n, max_size=n)), dtype=np.int64),
        "gi_bin": np.array(draw(st.lists(st.integers(-3, 3), min_size=n, max_size=n)), dtype=np.int8),
        "category": None if category is None else np.array(category, dtype=object),
        "features": features,
    }


@settings(max_examples=100, deadline=None)
@given(cell_inputs())
def test_vectorised_rules_score_and_word_every_cell_as_the_documented_rules_do(inputs):
    n = len(DISK)
    area = StudyArea(res=9, cells=DISK, ward=np.array(["W"] * n, dtype=object), estate=np.array([""] * n, dtype=object))
    scored = score_cells(area, counted=ASB_Q1, **inputs)
    scores, reasons = reference_scores(
        inputs["counts"], inputs["gi_bin"], inputs["category"], inputs["features"], inputs["balance"]
    )
    assert scored["score"].tolist() == scores
    assert scored["reasons"].tolist() == reasons
    assert all(scored.loc[scored["score"] > 0, "reasons"] != "")  # every place that can be listed says why
    # ties: the ranking is by score, then ASB count, then cell id, whatever the order of the cells
    ranked, _ = rank(scored, top=n)
    by_hand = sorted(
        (-s, -c, cell) for s, c, cell in zip(scores, inputs["counts"], scored["cell"], strict=True) if s > 0
    )
    assert ranked["cell"].tolist() == [cell for *_, cell in by_hand]


# --------------------------------------------------------------------------- hand-worked policy pins


def line_area(n: int) -> StudyArea:
    """``n`` cells in a row eastwards from one cell (each the next one's neighbour), in study-area (id) order."""
    cell = h3.latlng_to_cell(51.45, -2.59, 9)
    cells = [cell]
    while len(cells) < n:
        lat, _lng = h3.cell_to_latlng(cells[-1])
        ring = [c for c in h3.grid_ring(cells[-1], 1) if c not in cells]
        cells.append(max(ring, key=lambda c: h3.cell_to_latlng(c)[1] - abs(h3.cell_to_latlng(c)[0] - lat)))
    ids = np.array(sorted(h3.str_to_int(c) for c in cells), dtype=np.uint64)
    return StudyArea(res=9, cells=ids, ward=np.array(["W"] * n, dtype=object), estate=np.array([""] * n, dtype=object))


def feature_frame(n: int, **columns) -> pd.DataFrame:
    base = {
        "flagged_open": [0] * n,
        "strong_indicators": [()] * n,
        "indicators": [""] * n,
        "closures_active": [0] * n,
        "closures_recent": [0] * n,
        "victims_nearby": [0] * n,
    }
    return pd.DataFrame({**base, **columns})


def scores(area, *, counts, gi_bin=None, category=None, features=None, balance="both"):
    n = len(area)
    return score_cells(
        area,
        counts=np.asarray(counts, dtype=np.int64),
        gi_bin=np.zeros(n, dtype=np.int8) if gi_bin is None else np.asarray(gi_bin, dtype=np.int8),
        category=None if category is None else np.asarray(category, dtype=object),
        features=feature_frame(n) if features is None else features,
        counted=ASB_Q1,
        balance=balance,
    )


def test_caps_and_counts_above_one_by_hand():
    area = line_area(5)
    feats = feature_frame(
        5,
        flagged_open=[4, 3, 2, 1, 0],
        strong_indicators=[tuple(STRONG), (), ("lock_changes",), (), ("lock_changes",)],
        indicators=["noise", "", "", "", ""],
        victims_nearby=[5, 3, 2, 1, 0],
        closures_active=[0, 2, 0, 1, 0],
        closures_recent=[0, 2, 0, 1, 0],
    )
    scored = scores(area, counts=[0, 7, 3, 1, 0], features=feats)
    # 0: flagged 4 capped at 3 x 12 = 36, 3 strong x 4 = 12, victims 5 capped at 3 x 4 = 12          -> 60
    # 1: flagged 3 (the cap) 36, victims 3 12, in force 2 x 6 = 12, ended 2 x 8 = 16, 7 incidents:
    #    log2(8) = 3 doublings x 2 = 6                                                             -> 82
    # 2: flagged 2 x 12 = 24, 1 strong 4, victims 2 x 4 = 8, 3 incidents: log2(4) = 2 x 2 = 4       -> 40
    # 3: flagged 12, victim 4, in force 6, ended 8, 1 incident: log2(2) = 1 x 2 = 2                  -> 32
    # 4: a strong indicator but no open address: nothing                                             -> 0
    assert scored["score"].tolist() == [60, 82, 40, 32, 0]
    assert scored.loc[0, "reasons"] == "4 open flagged addresses: noise; safeguarded victims nearby"
    assert scored.loc[3, "reasons"] == (
        "1 open flagged address; safeguarded victims nearby; closure order in force (watch for displacement); "
        "closure order ended recently (watch for a return); 1 ASB incident here in Jan–Mar 2024"
    )


def test_a_hot_spot_without_incidents_of_its_own_says_so_and_scores_little():
    area = line_area(5)
    category = ["intensifying hot spot", "persistent hot spot", "new hot spot", "", "persistent hot spot"]
    both = scores(area, counts=[0, 1, 0, 0, 3], gi_bin=[3, 3, 1, 2, 0], category=category)
    # 0: hot 99 % by its neighbours, 0 incidents: beside 5, its pattern does not count, no doublings   -> 5
    # 1: hot 99 % 30, persistent 15, 1 incident: 1 doubling x 2 = 2                                     -> 47
    # 2, 3: beside 5 (90 % and 95 %); 4: persistent but not a hot spot over the period: 15 + 2 x 2 = 19
    assert both["score"].tolist() == [5, 47, 5, 5, 19]
    assert both["reasons"].tolist() == [
        "0 ASB incidents here in Jan–Mar 2024; next to a hot spot (99 %)",
        "hot spot (99 %); persistent: hot in 90 % of months or more, with no trend; "
        "1 ASB incident here in Jan–Mar 2024",
        "0 ASB incidents here in Jan–Mar 2024; next to a hot spot (90 %)",
        "0 ASB incidents here in Jan–Mar 2024; next to a hot spot (95 %)",
        "persistent: hot in 90 % of months or more, with no trend; 3 ASB incidents here in Jan–Mar 2024",
    ]
    # emerging: cell 1 is hot 15 + persistent 5 + 1 doubling x 1 = 21; the neighbours stay at 5; cell 4 5 + 2
    emerging = scores(area, counts=[0, 1, 0, 0, 3], gi_bin=[3, 3, 1, 2, 0], category=category, balance="emerging")
    assert emerging["score"].tolist() == [5, 21, 5, 5, 7]


def test_the_balance_moves_established_and_emerging_hot_spots_past_each_other():
    area = line_area(3)
    counts = [255, 31, 7]  # log2(256) = 8, log2(32) = 5, log2(8) = 3 doublings
    category = ["persistent hot spot", "intensifying hot spot", "new hot spot"]
    gi_bin = [3, 3, 2]
    by_hand = {
        # persistent       intensifying     new (95 %)
        "both": [30 + 15 + 2 * 8, 30 + 15 + 2 * 5, 20 + 15 + 2 * 3],  # 61, 55, 41
        "emerging": [15 + 5 + 1 * 8, 15 + 30 + 1 * 5, 10 + 30 + 1 * 3],  # 28, 50, 43
        "established": [30 + 20 + 4 * 8, 30 + 5 + 4 * 5, 20 + 5 + 4 * 3],  # 82, 55, 37
    }
    order = {"both": [0, 1, 2], "emerging": [1, 2, 0], "established": [0, 1, 2]}
    for balance, expected in by_hand.items():
        scored = scores(area, counts=counts, gi_bin=gi_bin, category=category, balance=balance)
        assert scored["score"].tolist() == expected, balance
        ranked, _ = rank(scored)
        assert ranked["cell"].tolist() == scored["cell"][order[balance]].tolist(), balance
    with pytest.raises(OptionError, match="balance must be one of"):
        scores(area, counts=counts, balance="newest")


def test_ties_rank_by_incidents_then_cell_id_and_top_cuts_after_them():
    area = line_area(5)
    feats = feature_frame(5, closures_active=[1, 1, 0, 2, 0])
    scored = scores(area, counts=[0, 0, 1, 0, 0], gi_bin=[0, 0, 1, 0, 0], features=feats)
    # 0, 1: one order in force, 6 each; 2: hot 90 % 10 + 1 incident x 2 = 12; 3: two orders 12; 4: 0
    assert scored["score"].tolist() == [6, 6, 12, 12, 0]
    ranked, _ = rank(scored, top=3)
    # 12 and 12: the one with an incident first; 6 and 6, no incidents: the lower cell id (cell 0) first
    assert ranked["cell"].tolist() == scored["cell"][[2, 3, 0]].tolist()
    assert ranked["rank"].tolist() == [1, 2, 3]
    assert rank(scored, top=10)[0]["cell"].tolist() == scored["cell"][[2, 3, 0, 1]].tolist()


def test_the_study_areas_first_cell_counts_its_cases():
    area = line_area(5)  # whichever of the row is first in id order, one cell is two or more away
    lat, lng = h3.cell_to_latlng(h3.int_to_str(int(area.cells[0])))
    frames = CaseData(
        flagged=pd.DataFrame(
            {
                "lat": [lat, lat],
                "lng": [lng, lng],
                "first_flagged": ["2024-05-01", "2024-01-01"],
                "indicators": ["lock_changes", ""],  # the second has no indicator yet
                "status": ["open", "open"],
            }
        ),
        closures=pd.DataFrame(
            {
                "lat": [lat, lat],
                "lng": [lng, lng],
                "granted": ["2024-05-01", "2023-01-01"],
                "expiry": ["2024-05-01", "2024-04-30"],
            }
        ),
        victims=pd.DataFrame({"lat": [lat], "lng": [lng], "date_safeguarded": ["2024-05-01"]}),
    )
    feats = case_features(area, frames, as_of="2024-05-01")  # every date on the plan day or the day before
    assert feats.loc[0, "flagged_open"] == 2 and feats.loc[0, "strong_indicators"] == ("lock_changes",)
    assert feats.loc[0, "indicators"] == "lock changes"
    assert (feats.loc[0, "closures_active"], feats.loc[0, "closures_recent"]) == (1, 1)
    rings = [h3.grid_distance(h3.int_to_str(int(area.cells[0])), h3.int_to_str(int(c))) for c in area.cells]
    assert feats["victims_nearby"].tolist() == [1 if d <= 1 else 0 for d in rings] and max(rings) >= 2


def test_dates_at_the_edges_of_the_plan_day_and_the_recent_window():
    area = line_area(1)
    lat, lng = h3.cell_to_latlng(h3.int_to_str(int(area.cells[0])))
    flagged = pd.DataFrame(
        {
            "lat": [lat] * 3,
            "lng": [lng] * 3,
            "first_flagged": ["2024-05-01", "2024-05-02", "2024-01-01"],
            "indicators": ["noise", "smells", ""],
            "status": ["open", "open", "closed"],
        }
    )
    closures = pd.DataFrame(
        {
            "lat": [lat] * 4,
            "lng": [lng] * 4,
            # in force from the plan day; granted the day after; ended exactly 6 months before; 6 months + 1 day
            "granted": ["2024-05-01", "2024-05-02", "2023-01-01", "2023-01-01"],
            "expiry": ["2024-12-31", "2024-12-31", "2023-11-01", "2023-10-31"],
        }
    )
    victims = pd.DataFrame({"lat": [lat] * 2, "lng": [lng] * 2, "date_safeguarded": ["2024-05-01", "2024-05-02"]})
    feats = case_features(area, CaseData(flagged=flagged, closures=closures, victims=victims), as_of="2024-05-01")
    assert feats.loc[0, "flagged_open"] == 1 and feats.loc[0, "indicators"] == "noise"
    assert (feats.loc[0, "closures_active"], feats.loc[0, "closures_recent"]) == (1, 1)
    assert feats.loc[0, "victims_nearby"] == 1


def test_victims_count_in_their_own_cell_and_one_ring_only():
    area = line_area(4)
    ids = [h3.int_to_str(int(c)) for c in area.cells]
    # the row's second cell: one cell either side, and one two cells away (its position in id order varies)
    home = next(c for c in ids if sorted(h3.grid_distance(c, o) for o in ids) == [0, 1, 1, 2])
    lat, lng = h3.cell_to_latlng(home)
    victims = pd.DataFrame({"lat": [lat] * 2, "lng": [lng] * 2, "date_safeguarded": ["2024-01-01"] * 2})
    nearby = case_features(area, CaseData(victims=victims), as_of="2024-05-01")["victims_nearby"].tolist()
    rings = [h3.grid_distance(home, h3.int_to_str(int(c))) for c in area.cells]
    assert nearby == [2 if d <= 1 else 0 for d in rings] and sorted(rings) == [0, 1, 1, 2]


def test_the_counts_heading_and_words_name_the_categories_and_months():
    assert [months_to_words(m) for m in ([], ["2024-03"], ["2024-01", "2024-03"], ["2023-11", "2024-02"])] == [
        "the period",
        "Mar 2024",
        "Jan–Mar 2024",
        "Nov 2023–Feb 2024",
    ]
    assert ASB_Q1.label == "ASB incidents, Jan–Mar 2024" and ASB_Q1.incidents(1) == "1 ASB incident"
    assert Counted(("Burglary",), ("2024-12",)).label == "burglary incidents, Dec 2024"
    two = Counted(("Burglary", "Anti-social behaviour"), ("2024-01", "2024-12"))
    assert two.label == "incidents (ASB, Burglary), Jan–Dec 2024" and two.incidents(2) == "2 incidents"
    three = Counted(("Drugs", "Burglary", "Anti-social behaviour"), ("2024-01",))
    assert three.label == "incidents (ASB, Burglary, Drugs), Jan 2024"
    four = Counted(("Burglary", "Anti-social behaviour", "Arson", "Drugs"), ())
    assert four.label == "incidents (4 categories), the period" and Counted().label == "incidents, the period"


def test_what_a_cube_counts_is_read_from_its_counts():
    area = line_area(2)
    counts = np.zeros((2, 3, 2), dtype=np.int64)
    counts[0, 0, 0] = 1  # ASB only: the second category holds nothing
    cube = Cube(
        area=area,
        months=["2024-01", "2024-02", "2024-03"],
        categories=["Anti-social behaviour", "Burglary"],
        counts=counts,
    )
    assert counted(cube) == ASB_Q1
    empty = Cube(area=area, months=[], categories=["Burglary"], counts=np.zeros((2, 0, 1), dtype=np.int64))
    assert counted(empty) == Counted()


def test_a_cells_ward_is_the_one_holding_its_centre_ties_to_the_lower_code():
    import geopandas as gpd
    from shapely.geometry import box

    area = line_area(3)
    lat, lng = cells_to_latlng(area.cells)
    # C (the first row) holds cell 1's centre; B's east edge and A's west edge run through cell 0's centre
    # (the lower code wins, whatever the rows' order); cell 2's centre is in none
    wards = gpd.GeoDataFrame(
        {"code": ["E05000003", "E05000002", "E05000001"]},  # C, B, A
        geometry=[
            box(lng[1] - 0.0002, lat[1] - 0.0002, lng[1] + 0.0002, lat[1] + 0.0002),  # cells are ~0.003° apart
            box(lng[0] - 0.0002, lat[0] - 0.0002, lng[0], lat[0] + 0.0002),
            box(lng[0], lat[0] - 0.0002, lng[0] + 0.0002, lat[0] + 0.0002),
        ],
        crs="EPSG:4326",
    )
    assert cells_to_areas(area.cells, wards).tolist() == ["E05000001", "E05000003", ""]
    assert cells_to_areas(area.cells, None).tolist() == ["", "", ""]
    assert cells_to_areas(area.cells, wards.iloc[:0]).tolist() == ["", "", ""]
    estates = wards.iloc[[0]].assign(code="EST-7")  # one estate, holding cell 1's centre
    scored = score_cells(
        area,
        counts=np.zeros(3),
        gi_bin=np.zeros(3),
        category=None,
        features=feature_frame(3),
        wards=wards,
        estates=estates,
    )
    assert scored["ward"].tolist() == ["E05000001", "E05000003", ""]
    assert scored["estate"].tolist() == ["", "EST-7", ""]
    area = StudyArea(res=9, cells=area.cells, ward=area.ward, estate=np.array(["S1", "S2", "S3"], dtype=object))
    kept = score_cells(area, counts=np.zeros(3), gi_bin=np.zeros(3), category=None, features=feature_frame(3))
    assert kept["ward"].tolist() == ["W"] * 3  # no boundaries given: the study area's own assignment
    assert kept["estate"].tolist() == ["S1", "S2", "S3"]


def test_rules_reading_a_column_the_features_lack_are_refused(monkeypatch):
    rule = Rule("repairs", ("lock_repairs",), 3, lambda c: c["lock_repairs"], "lock changes requested", "x")
    monkeypatch.setattr(priority, "RULES", (*RULES, rule))
    with pytest.raises(OptionError, match=r"read feature column\(s\) \['lock_repairs'\]"):
        scores(line_area(1), counts=[0])


def test_a_rule_marked_only_if_scored_waits_for_any_earlier_points():
    """The engine itself, on a variant policy: 1 point from a first rule is enough for the second to apply."""
    first = Rule("first", ("a",), 1, lambda c: np.asarray(c["a"]), "a", "x")
    quiet = Rule("quiet", ("a",), 7, lambda c: np.asarray(c["a"]) * 2, None, "no words of its own")
    second = Rule("second", ("b",), 0.5, lambda c: np.asarray(c["b"]), "b", "x", only_if_scored=True)
    score, reasons = apply_rules({"a": np.array([1, 0, 0]), "b": np.array([1, 1, 0])}, n=3, rules=(first, second))
    # cell 0: 1 x 1 + 0.5 x 1 = 1.5; cell 1: no earlier points, so "second" does not apply; cell 2: nothing
    assert score.tolist() == [1.5, 0, 0] and reasons.tolist() == ["a; b", "", ""]
    score, reasons = apply_rules({"a": np.array([1, 0])}, n=2, rules=(quiet,))
    assert score.tolist() == [14, 0] and reasons.tolist() == ["", ""]  # 7 x 2 points, no words
    assert list(quiet.words({}, np.array([0, 1]))) == ["", ""] and list(first.words({}, np.array([0]))) == ["a"]


def test_a_case_kind_giving_other_columns_than_it_declares_is_refused(monkeypatch):
    def wrong(area, frame, /, *, as_of):
        return pd.DataFrame({"something_else": np.zeros(len(area), dtype=np.int64)})

    monkeypatch.setitem(CASE_KINDS, "repairs", CaseKind(wrong, ("lock_repairs",), (), "x"))
    with pytest.raises(
        OptionError, match=r"repairs features gave columns \['something_else'\], not \['lock_repairs'\]"
    ):
        case_features(line_area(1), CaseData(), as_of="2024-05-01")


def test_the_words_without_a_plan_description_and_an_undocumented_words_function():
    area = line_area(2)
    columns = {  # what a caller of apply_rules alone gives: no "counted" (the benchmark does this)
        "gi_bin": np.array([3, 3]),
        "emerging": np.array(["", ""], dtype=object),
        "count": np.array([0, 2]),
        **{c: feature_frame(2)[c].to_numpy() for c in feature_frame(2).columns},
    }
    score, reasons = apply_rules(columns, n=len(area))
    # 0: beside 5; 1: hot 30 + 2 incidents: log2(3) = 1.585 doublings x 2 = 3.17
    assert np.round(score, 2).tolist() == [5, 33.17]
    assert reasons.tolist() == [
        "0 incidents here in the period; next to a hot spot (99 %)",
        "hot spot (99 %); 2 incidents here in the period",
    ]
    bare = Rule("bare", ("a",), 2, lambda c: c["a"], lambda c, rows: ["x"] * len(rows), "why", cap=1)
    assert policy_to_markdown([bare]).splitlines()[-1] == "| `bare` | 2 | 1 | `a` |  | why |"


def test_case_features_are_whole_numbers_and_blank_where_nothing_is_known():
    area = line_area(3)
    lat, lng = h3.cell_to_latlng(h3.int_to_str(int(area.cells[2])))
    flagged = pd.DataFrame(
        {
            "lat": [lat, "n/a"],  # the second has no usable location: it is in no cell
            "lng": [lng, "n/a"],
            "first_flagged": ["2024-01-01"] * 2,
            "indicators": ["noise"] * 2,
            "status": ["open"] * 2,
        }
    )
    closures = pd.DataFrame({"lat": [lat], "lng": [lng], "granted": ["2024-01-01"], "expiry": ["2024-12-31"]})
    victims = pd.DataFrame({"lat": [lat], "lng": [lng], "date_safeguarded": ["2024-01-01"]})
    for frames in (CaseData(flagged=flagged, closures=closures, victims=victims), CaseData()):
        feats = case_features(area, frames, as_of="2024-05-01")
        for column in ("flagged_open", "closures_active", "closures_recent", "victims_nearby"):
            assert feats[column].dtype.kind == "i", column  # a CSV says 2, never 2.0
        assert [feats.loc[i, "indicators"] for i in (0, 1)] == ["", ""]
        assert [feats.loc[i, "strong_indicators"] for i in (0, 1)] == [(), ()]
    assert feats["flagged_open"].sum() == 0
    feats = case_features(area, CaseData(flagged=flagged, closures=closures), as_of="2024-05-01")
    assert feats["flagged_open"].tolist() == [0, 0, 1] and feats["closures_active"].tolist() == [0, 0, 1]
    middle = closures.assign(
        lat=h3.cell_to_latlng(h3.int_to_str(int(area.cells[1])))[0],
        lng=h3.cell_to_latlng(h3.int_to_str(int(area.cells[1])))[1],
    )
    feats = case_features(area, CaseData(closures=middle), as_of="2024-05-01")  # a count for every cell, not up
    assert feats["closures_active"].tolist() == [0, 1, 0]  # to the last one with an order
    # a plain mapping may leave kinds out: they count as empty
    assert case_features(area, {"closures": closures}, as_of="2024-05-01")["closures_active"].tolist() == [0, 0, 1]


def test_case_records_are_placed_at_the_study_areas_resolution():
    cell = h3.latlng_to_cell(51.45, -2.59, 10)
    area = StudyArea(
        res=10,
        cells=np.array([h3.str_to_int(cell)], dtype=np.uint64),
        ward=np.array(["W"], dtype=object),
        estate=np.array([""], dtype=object),
    )
    lat, lng = h3.cell_to_latlng(cell)
    victims = pd.DataFrame({"lat": [lat], "lng": [lng], "date_safeguarded": ["2024-01-01"]})
    assert case_features(area, CaseData(victims=victims), as_of="2024-05-01")["victims_nearby"].tolist() == [1]


def test_case_data_says_what_it_refuses():
    with pytest.raises(
        OptionError, match=r"^unknown case kind\(s\) \['burglaries'\]; the plan counts flagged, closures, victims$"
    ):
        CaseData(burglaries=pd.DataFrame())
    with pytest.raises(KeyError) as err:
        CaseData()["burglaries"]
    assert err.value.args == ("burglaries",)
    with pytest.raises(AttributeError, match=r"^burglaries$"):
        _ = CaseData().burglaries


def test_the_scored_table_and_the_ranked_list_have_their_columns_in_order():
    area = line_area(12)
    feats = feature_frame(12, closures_active=[1] * 11 + [0])
    category = np.array(["new hot spot"] * 12, dtype=object)
    scored = scores(area, counts=[0] * 12, features=feats, category=category)
    assert list(scored.columns[:10]) == [
        "cell",
        "ward",
        "estate",
        "count",
        "gi_bin",
        "emerging",
        "score",
        "reasons",
        "lat",
        "lng",
    ]
    assert scored["emerging"].tolist() == ["new hot spot"] * 12 and scored["gi_bin"].tolist() == [0] * 12
    names = np.array([f"On or near Street {chr(65 + i)}" for i in range(12)], dtype=object)
    named = score_cells(
        area, counts=np.zeros(12, dtype=np.int64), gi_bin=np.zeros(12, dtype=np.int8), category=category,
        features=feats, counted=ASB_Q1, places=names,
    )  # fmt: skip
    assert list(named.columns[:3]) == ["cell", "place", "ward"] and named["place"].tolist() == list(names)
    pd.testing.assert_frame_equal(named.drop(columns="place"), scored)  # the name changes nothing else
    assert rank(named)[0].columns[:3].tolist() == ["rank", "cell", "place"]
    with pytest.raises(OptionError, match="places must name each of the 12 cells, not 11"):
        score_cells(
            area, counts=np.zeros(12, dtype=np.int64), gi_bin=np.zeros(12, dtype=np.int8), category=category,
            features=feats, counted=ASB_Q1, places=names[:11],
        )  # fmt: skip
    assert (scores(area, counts=[0] * 12)["emerging"] == "").all()
    ranked, _ = rank(scored)  # 11 cells scored: the default is the top 10
    assert len(ranked) == 10 and ranked.columns[0] == "rank" and ranked.columns[-1] == "visit_order"
    assert "index" not in ranked.columns and ranked["visit_order"].dtype.kind == "i"
    assert sorted(ranked["visit_order"]) == list(range(1, 11)) and ranked.loc[0, "visit_order"] == 1
    tiny = scored.assign(score=[0.5] + [0.0] * 11)  # any points at all are a reason to list a cell
    assert rank(tiny)[0]["cell"].tolist() == [scored.loc[0, "cell"]]


def _flagged_by_address(area: StudyArea, frame: pd.DataFrame, as_of: str) -> dict[int, tuple[int, str, tuple]]:
    """The reference: each cell's open addresses, gathered one address at a time (no arrays)."""
    keys = list(INDICATORS)
    cells: dict[int, list[str]] = {}
    for row in frame.itertuples():
        if row.status != "open" or row.first_flagged > as_of:
            continue
        cell = h3.str_to_int(h3.latlng_to_cell(row.lat, row.lng, area.res))
        if cell in set(area.cells.tolist()):
            cells.setdefault(int(np.searchsorted(area.cells, cell)), []).append(row.indicators or "")
    out = {}
    for i, lists in cells.items():
        found = [k for k in keys if any(k in text.split(";") for text in lists)]
        words = ", ".join(INDICATORS[k][0] for k in found)
        out[i] = (len(lists), words, tuple(k for k in found if k in priority.STRONG_INDICATORS))
    return out


@settings(max_examples=60, deadline=None)
@given(
    st.lists(
        st.tuples(
            st.integers(0, 6),  # which of a few cells (or outside, 6)
            st.sampled_from(["open", "closed"]),
            st.sampled_from(["2024-01-01", "2024-06-30", "2024-07-01"]),
            st.lists(st.sampled_from(sorted(INDICATORS)), max_size=4),
        ),
        max_size=25,
    )
)
def test_flagged_features_gather_each_cells_distinct_indicators_in_vocabulary_order(rows):
    centre = h3.latlng_to_cell(51.45, -2.59, 9)
    disk = sorted(h3.str_to_int(c) for c in h3.grid_disk(centre, 1))[:6]
    area = StudyArea(res=9, cells=np.array(disk, dtype=np.uint64), ward=np.array([""] * 6), estate=np.array([""] * 6))
    outside = h3.cell_to_latlng(h3.grid_ring(centre, 3)[0])
    frame = pd.DataFrame(
        [
            {
                "lat": (h3.cell_to_latlng(h3.int_to_str(disk[c])) if c < 6 else outside)[0],
                "lng": (h3.cell_to_latlng(h3.int_to_str(disk[c])) if c < 6 else outside)[1],
                "status": status,
                "first_flagged": when,
                "indicators": ";".join(keys),  # repeats and blanks as partners send them
            }
            for c, status, when, keys in rows
        ],
        columns=["lat", "lng", "status", "first_flagged", "indicators"],
    )
    got = priority.flagged_features(area, frame, as_of="2024-06-30")
    want = _flagged_by_address(area, frame, "2024-06-30")
    for i in range(6):
        n, words, strong = want.get(i, (0, "", ()))
        assert (got.at[i, "flagged_open"], got.at[i, "indicators"], got.at[i, "strong_indicators"]) == (
            n,
            words,
            strong,
        )
