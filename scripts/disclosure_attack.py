"""Attack the demo town's published figures and print what a determined cabinet user could recover (issue #19).

Usage: ``.venv/bin/python scripts/disclosure_attack.py [--sample N] [--seed S] [--time-links] [--secrets N]
[--incidents]``. It builds the demo in a throw-away SQLite store, attacks its release with the harness in
``tests/publish/disclosure_attack.py`` (attackers A, B and B2; the incidents on a seeded sample of
``--sample`` series and category-months) and prints the figures in plain words; ``--secrets N`` then
attacks N more releases of the same data (release secrets 0..N-1) and prints pins, guess rates and the
error of published figures over them (the case measures; ``--incidents``: incidents too, sampled).
"""

from __future__ import annotations

import sys
import time
from collections.abc import Sequence
from pathlib import Path

import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tests.publish.disclosure_attack import (
    FixedSecret,
    case_measures,
    describe,
    in_words,
    pinned,
    published_error,
    run_attack,
    secret,
)


def main(argv: Sequence[str] | None = None) -> int:
    """Build the demo in a throw-away SQLite store, attack its release, print the figures."""
    import argparse
    import tempfile
    from pathlib import Path

    from geo.demo import load_demo
    from geo.publish._cells import base_cells
    from geo.publish.release import protect
    from geo.store import Store

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sample", type=int, default=40, help="incident series / category-months (0: all; slow)")
    parser.add_argument("--seed", type=int, default=19, help="seed of the incident sample")
    parser.add_argument("--time-links", action="store_true", help="B2 also links months and measures")
    parser.add_argument("--secrets", type=int, default=0, help="also attack N more releases (secrets 0..N-1)")
    parser.add_argument("--incidents", action="store_true", help="the N more releases' incidents too (sampled)")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        started = time.perf_counter()
        store = Store(f"sqlite:///{Path(tmp) / 'demo.sqlite'}")
        try:
            load_demo(store)
            base = base_cells(store)
            release = protect(base, version=store.data_version())
            built = time.perf_counter() - started
            report = run_attack(
                base, release, incident_sample=args.sample or None, seed=args.seed, time_links=args.time_links
            )
            print(f"Demo built and its release made in {built:.1f} s (the store's own release secret).")
            print(describe(report))
            if args.secrets:
                _many(
                    store,
                    args.secrets,
                    time_links=args.time_links,
                    incident_sample=(args.sample or None) if args.incidents else 0,
                    seed=args.seed,
                )
        finally:
            store.dispose()
    return 0


#: The attackers' guesses of a small count (the middle of the feasible values; the most likely under the table).
GUESSES = ("b_guess", "b_likely", "b2_guess", "b2_likely")


def _many(store, n: int, *, time_links: bool, incident_sample: int | None = 0, seed: int = 19) -> None:
    """Attack ``n`` more releases (secrets 0..n-1) and print pins, guesses and errors over them.

    The case measures always; incidents too unless ``incident_sample`` is 0 (None: every
    category-month). The error of published figures is measured on every measure.
    """
    from geo.publish._cells import base_cells
    from geo.publish.release import protect

    started = time.perf_counter()
    leaking, summaries, errors, pooled = [], [], [], []
    for i in range(n):
        whole = base_cells(FixedSecret(store, secret(i)))  # type: ignore[arg-type]  # a Store with another secret
        errors.append(published_error(whole, protect(whole, version="many")).assign(secret=i))
        base = whole if incident_sample != 0 else case_measures(whole)
        report = run_attack(
            base, protect(base, version="many"), time_links=time_links, incident_sample=incident_sample, seed=seed
        )
        hit = pinned(report.cells)
        if len(hit):
            leaking.append((i, hit))
        summaries.append(report.summary().assign(secret=i))
        cases = report.cells[(report.cells["measure"] != "incidents") & (report.cells["kind"] == "area")]
        pooled.append({g: float((abs(cases[g].astype(float) - cases["exact"]) <= 1).mean()) for g in GUESSES})
        pooled[-1]["baseline"] = float((abs(cases["exact"] - 2) <= 1).mean())
    s, e, p = pd.concat(summaries), pd.concat(errors), pd.DataFrame(pooled)
    what = "every measure attacked" if incident_sample != 0 else "the case measures attacked"
    print(
        f"\nOf {n} more releases (secrets 0..{n - 1}, {what}, {time.perf_counter() - started:.0f} s), "
        f"{len(leaking)} let a small count be pinned by B or B2" + (" with the time links" if time_links else "") + ":"
    )
    for i, p in leaking:
        where = ", ".join(f"{r.measure} {r.layer} {r.area or 'town'} {r.month} = {r.exact}" for r in p.itertuples())
        print(f"  secret {i}: {where}")
    print("Per measure over those releases (smallest..largest per release):")
    for (measure, kind), g in s.groupby(["measure", "kind"], sort=False):
        parts = [f"{kind}s: {g['small'].min()}..{g['small'].max()} small"]
        if kind == "area":
            parts.append(f"A pins {g['a_pinned'].min()}..{g['a_pinned'].max()}")
        parts.append(f"B pins {g['b_pinned'].max()} at most, B2 {g['b2_pinned'].max()} at most")
        for who in ("b", "b_likely", "b2", "b2_likely"):
            col = f"{who}_within1"
            parts.append(f"{who} within 1: {g[col].min():.0%}..{g[col].max():.0%}")
        parts.append(f"know-nothing {g['baseline_within1'].min():.0%}..{g['baseline_within1'].max():.0%}")
        print(f"  {in_words(measure)}, " + "; ".join(parts))
    print(
        "Small area counts of the five case measures together, guessed within 1 (smallest..largest per release): "
        + "; ".join(f"{g} {p[g].min():.0%}..{p[g].max():.0%}" for g in [*GUESSES, "baseline"])
    )
    print("Median absolute error of released figures (smallest..largest median over releases; largest error):")
    for (measure, level), g in e.groupby(["measure", "level"], sort=False):
        print(
            f"  {in_words(measure)}, {level}: median {g['released_median_abs_error'].min():g}.."
            f"{g['released_median_abs_error'].max():g}, largest {g['released_max_abs_error'].max():g}"
        )


if __name__ == "__main__":
    raise SystemExit(main())
