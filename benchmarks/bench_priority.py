"""Priority scoring benchmark: :func:`geo.plan.priority.score_cells` against the per-cell loop it replaced.

Baseline, measured in the same run: the loop ``score_cells`` was before the
policy became a table of vectorised rules (kept below as :func:`score_cells_loop`:
one ``features.iloc[i]`` per cell, 187 s on a force's 207k cells), its weights
written inline and its rules brought up to today's policy in the default balance
(a hot spot's own incidents, ``beside_hot``, points per doubling of the incidents).
Both score the same synthetic feature frame (~200,000 cells at res 9, every
rule firing somewhere, ties and caps included), the outputs are checked equal,
and the ratio is printed. Target: >= 20x for the whole function, whose remaining
time is mostly ``cells_to_strings`` (a per-cell h3 call both sides pay).

    .venv/bin/python benchmarks/bench_priority.py [--cells 200000]
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from geo.plan.priority import apply_rules, score_cells  # noqa: E402
from geo.space.hexes import cells_to_latlng, cells_to_strings  # noqa: E402
from geo.stats.aggregate import StudyArea  # noqa: E402

CATEGORIES = (
    "new hot spot",
    "consecutive hot spot",
    "intensifying hot spot",
    "persistent hot spot",
    "sporadic hot spot",
    "oscillating hot spot",
    "diminishing hot spot",
    "no pattern detected",
)
STRONG = ("visitors_odd_hours", "lock_changes", "tenant_not_seen")


def synthetic(cells: int, *, seed: int = 5) -> tuple[StudyArea, dict[str, object]]:
    """A square-ish block of res-9 cells around Bristol and random inputs, mostly empty as a real force's are."""
    import h3

    k = int(np.ceil((np.sqrt(12 * cells - 3) - 3) / 6))  # a disk of radius k holds 3k(k+1)+1 cells
    disk = h3.grid_disk(h3.latlng_to_cell(51.46, -2.59, 9), k)
    ids = np.array(sorted(h3.str_to_int(c) for c in disk), dtype=np.uint64)[:cells]
    n = len(ids)
    rng = np.random.default_rng(seed)
    area = StudyArea(res=9, cells=ids, ward=np.array(["W"] * n, dtype=object), estate=np.array([""] * n, dtype=object))
    flagged = np.where(rng.random(n) < 0.01, rng.integers(1, 6, n), 0)
    strong = [tuple(STRONG[: rng.integers(0, 4)]) if f else () for f in flagged]
    features = pd.DataFrame(
        {
            "flagged_open": flagged.astype(np.int64),
            "strong_indicators": strong,
            "indicators": ["lock changes, noise" if f and rng.random() < 0.7 else "" for f in flagged],
            "closures_active": np.where(rng.random(n) < 0.005, rng.integers(1, 3, n), 0).astype(np.int64),
            "closures_recent": np.where(rng.random(n) < 0.005, 1, 0).astype(np.int64),
            "victims_nearby": np.where(rng.random(n) < 0.02, rng.integers(1, 6, n), 0).astype(np.int64),
        }
    )
    inputs = {
        "counts": rng.poisson(0.8, n).astype(np.int64),
        "gi_bin": rng.choice(np.arange(-3, 4), n, p=[0.01, 0.02, 0.03, 0.84, 0.05, 0.03, 0.02]).astype(np.int8),
        "category": rng.choice(np.array(CATEGORIES, dtype=object), n, p=[0.01] * 7 + [0.93]),
        "features": features,
    }
    return area, inputs


def score_cells_loop(area, *, counts, gi_bin, category, features) -> pd.DataFrame:
    """The baseline: ``geo.plan.priority.score_cells`` before the policy became vectorised rules."""
    p = {
        "hot_3": 30,
        "hot_2": 20,
        "hot_1": 10,
        "beside_hot": 5,
        "emerging_strong": 15,
        "emerging_persistent": 15,
        "emerging_weak": 5,
        "flagged_each": 12,
        "flagged_max": 3,
        "strong_indicator": 4,
        "victim_each": 4,
        "victim_max": 3,
        "closure_active": 6,
        "closure_recent": 8,
        "per_doubling": 2,
    }
    confidence = {3: "99 %", 2: "95 %", 1: "90 %"}
    emerging_points = {
        "new hot spot": "emerging_strong",
        "consecutive hot spot": "emerging_strong",
        "intensifying hot spot": "emerging_strong",
        "persistent hot spot": "emerging_persistent",
        "sporadic hot spot": "emerging_weak",
        "oscillating hot spot": "emerging_weak",
    }
    emerging_words = {
        "new hot spot": "new: hot for the first time in the latest month",
        "consecutive hot spot": "consecutive: hot in an unbroken run of the latest months, not before",
        "intensifying hot spot": "intensifying: hot in 90 % of months or more, and getting hotter",
        "persistent hot spot": "persistent: hot in 90 % of months or more, with no trend",
        "sporadic hot spot": "sporadic: hot on and off, and in the latest month",
        "oscillating hot spot": "oscillating: hot in the latest month, a cold spot in an earlier one",
    }
    n = len(area)
    score = np.zeros(n)
    reasons: list[list[str]] = [[] for _ in range(n)]
    for i in range(n):
        b = int(gi_bin[i])
        here = counts[i] > 0
        if b > 0 and here:
            score[i] += p[f"hot_{b}"]
            reasons[i].append(f"hot spot ({confidence[b]})")
        if b > 0 and not here:
            score[i] += p["beside_hot"]
            reasons[i].append(f"0 incidents here in the period; next to a hot spot ({confidence[b]})")
        cat = str(category[i]) if category is not None else ""
        if cat in emerging_points and here:
            score[i] += p[emerging_points[cat]]
            reasons[i].append(emerging_words[cat])
        row = features.iloc[i]
        flagged = int(row["flagged_open"])
        if flagged:
            score[i] += p["flagged_each"] * min(flagged, p["flagged_max"])
            score[i] += p["strong_indicator"] * len(row["strong_indicators"])
            noun = "address" if flagged == 1 else "addresses"
            detail = f": {row['indicators']}" if row["indicators"] else ""
            reasons[i].append(f"{flagged} open flagged {noun}{detail}")
        victims = int(row["victims_nearby"])
        if victims:
            score[i] += p["victim_each"] * min(victims, p["victim_max"])
            reasons[i].append("safeguarded victims nearby")
        if row["closures_active"]:
            score[i] += p["closure_active"] * int(row["closures_active"])
            reasons[i].append("closure order in force (watch for displacement)")
        if row["closures_recent"]:
            score[i] += p["closure_recent"] * int(row["closures_recent"])
            reasons[i].append("closure order ended recently (watch for a return)")
        if score[i] > 0 and here:
            score[i] += p["per_doubling"] * np.log2(1 + counts[i])
            reasons[i].append(f"{counts[i]} {'incident' if counts[i] == 1 else 'incidents'} here in the period")
    lat, lng = cells_to_latlng(area.cells)
    return pd.DataFrame(
        {
            "cell": cells_to_strings(area.cells),
            "ward": area.ward,
            "estate": area.estate,
            "count": counts,
            "gi_bin": gi_bin,
            "emerging": category if category is not None else "",
            "score": np.round(score, 2),
            "reasons": ["; ".join(r) for r in reasons],
            "lat": lat,
            "lng": lng,
        }
    ).join(features.drop(columns=["strong_indicators"]))


def best_of(repeat: int, fn, *args, **kw) -> tuple[float, object]:
    best, out = float("inf"), None
    for _ in range(repeat):
        t = time.perf_counter()
        out = fn(*args, **kw)
        best = min(best, time.perf_counter() - t)
    return best, out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cells", type=int, default=200_000)
    args = parser.parse_args()
    area, inputs = synthetic(args.cells)
    vectorised, new = best_of(3, score_cells, area, **inputs)
    features = inputs["features"]
    assert isinstance(features, pd.DataFrame)
    columns = {
        "gi_bin": inputs["gi_bin"],
        "emerging": inputs["category"],
        "count": inputs["counts"],
        **{c: features[c].to_numpy() for c in features.columns},
    }
    rules, _ = best_of(3, apply_rules, columns, n=len(area))
    strings, _ = best_of(3, cells_to_strings, area.cells)
    loop, old = best_of(1, score_cells_loop, area, **inputs)
    pd.testing.assert_frame_equal(new, old)
    scored = int((new["score"] > 0).sum())  # type: ignore[index]
    print(f"score_cells on {len(area):,} cells ({scored:,} scoring), best of 3: {vectorised:.3f} s")
    print(
        f"  of which the rules (apply_rules) {rules:.3f} s; cells_to_strings {strings:.3f} s (the baseline pays it too)"
    )
    print(f"  baseline score_cells_loop (one features.iloc[i] per cell): {loop:.1f} s")
    print(f"  ratio {loop / vectorised:,.0f}x whole function (target >= 20x); outputs equal")


if __name__ == "__main__":
    main()
