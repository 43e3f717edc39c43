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
from geo.core.schema import KINDS
from geo.plan import priority
from geo.plan.priority import (
    CASE_KINDS,
    POINTS,
    RULES,
    SHARED_FEATURES,
    CaseData,
    CaseKind,
    Rule,
    case_features,
    policy_to_markdown,
    rank,
    score_cells,
)
from geo.stats.aggregate import StudyArea

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
    # hot 99 % 30, intensifying 15, two open flags 2 x 12, two strong indicators 2 x 4, a victim next door 4
    assert scored.loc[i["centre"], "score"] == round(30 + 15 + 24 + 8 + 4 + np.log(21), 2) == 84.04
    assert scored.loc[i["centre"], "reasons"] == (
        "hot 99 %; intensifying; 2 open flagged addresses: visitors at odd hours, lock changes, noise; "
        "safeguarded victims nearby"
    )
    assert scored.loc[i["far"], "score"] == 6  # a closure order in force, no ASB to break ties
    assert scored.loc[i["far"], "reasons"] == "closure order in force (watch for displacement)"
    assert scored.loc[i["near"], "score"] == 8 + 4  # one ended 2 months ago, the victim's own cell
    assert "strong_indicators" not in scored.columns and "victims_nearby" in scored.columns
    ranked, length = rank(scored, top=2)
    assert ranked["cell"].tolist() == [scored.loc[i["centre"], "cell"], scored.loc[i["near"], "cell"]]
    assert sorted(ranked["visit_order"]) == [1, 2] and length > 0


def test_no_case_data_scores_only_the_hotspots():
    area, _at, _i = area_and_points()
    feats = case_features(area, CaseData(), as_of="2024-05-01")
    assert feats.drop(columns=["strong_indicators", "indicators"]).to_numpy().sum() == 0
    gi_bin = np.array([1, 0, 0], dtype=np.int8)
    scored = score_cells(area, counts=np.array([0, 9, 0]), gi_bin=gi_bin, category=None, features=feats)
    assert scored["score"].tolist() == [10, 0, 0]  # 9 incidents but no reason: the count only breaks ties
    assert scored["reasons"].tolist() == ["hot 90 %", "", ""]


# --------------------------------------------------------------------------- the policy as data


def test_weights_are_pinned():
    assert dict(POINTS) == {
        "hot_3": 30,
        "hot_2": 20,
        "hot_1": 10,
        "emerging_new": 15,
        "emerging_consecutive": 15,
        "emerging_intensifying": 15,
        "emerging_persistent": 10,
        "emerging_sporadic": 5,
        "emerging_oscillating": 5,
        "flagged_each": 12,
        "strong_indicator": 4,
        "victim_each": 4,
        "closure_active": 6,
        "closure_recent": 8,
        "count_log": 1.0,
    }
    assert {r.name: r.cap for r in RULES if r.cap is not None} == {"flagged_each": 3, "victim_each": 3}


def test_every_rule_is_documented_and_reads_features_that_exist():
    names = [r.name for r in RULES]
    assert len(set(names)) == len(names)
    produced = {"gi_bin", "emerging", "count"} | {c for kind in CASE_KINDS.values() for c in kind.columns}
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

HOT = {3: (30, "hot 99 %"), 2: (20, "hot 95 %"), 1: (10, "hot 90 %")}
EMERGING = {
    "new hot spot": (15, "new"),
    "consecutive hot spot": (15, "consecutive"),
    "intensifying hot spot": (15, "intensifying"),
    "persistent hot spot": (10, "persistent"),
    "sporadic hot spot": (5, "sporadic"),
    "oscillating hot spot": (5, "oscillating"),
}
CATEGORIES = [*EMERGING, "diminishing hot spot", "no pattern detected", "new cold spot", ""]
STRONG = ["visitors_odd_hours", "lock_changes", "tenant_not_seen"]


def reference_scores(counts, gi_bin, category, features: pd.DataFrame) -> tuple[list[float], list[str]]:
    """The policy as the README states it, one cell at a time (written from the rules, not from the code)."""
    scores, reasons = [], []
    for i in range(len(counts)):
        cell = features.iloc[i]
        score, why = 0, []
        if int(gi_bin[i]) in HOT:
            points, words = HOT[int(gi_bin[i])]
            score, why = score + points, [*why, words]
        if category is not None and category[i] in EMERGING:
            points, words = EMERGING[category[i]]
            score, why = score + points, [*why, words]
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
        total = float(score) + (np.log1p(float(counts[i])) if score > 0 and counts[i] > 0 else 0.0)
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
    scored = score_cells(area, **inputs)
    scores, reasons = reference_scores(inputs["counts"], inputs["gi_bin"], inputs["category"], inputs["features"])
    assert scored["score"].tolist() == scores
    assert scored["reasons"].tolist() == reasons
    # ties: the ranking is by score, then ASB count, then cell id, whatever the order of the cells
    ranked, _ = rank(scored, top=n)
    by_hand = sorted(
        (-s, -c, cell) for s, c, cell in zip(scores, inputs["counts"], scored["cell"], strict=True) if s > 0
    )
    assert ranked["cell"].tolist() == [cell for *_, cell in by_hand]
