"""The early-warning review queue on fixtures that sit on each rule's edge, and its hit counts against brute force."""

from __future__ import annotations

import datetime as dt

import h3
import numpy as np
import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st

from geo.plan._review_rules import RULES
from geo.plan.review import REVIEW_COLUMNS, cell_context, queue_day, review_queue
from geo.space.hexes import cells_to_strings, strings_to_cells

LAT, LNG = 53.48, -2.24  # central Manchester: a point inside Great Britain


def sig(ref: str, date: str, signal: str = "lock_change", **more: object) -> dict[str, object]:
    row: dict[str, object] = {"ref": ref, "address": "", "uprn": "", "lat": LAT, "lng": LNG}
    row |= {"date": date, "signal": signal, "source": "repairs", "event": ""}
    row.update(more)
    return row


def frame(rows: list[dict[str, object]], columns: list[str]) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=columns)


NO_PROPS = frame([], ["ref", "address", "uprn", "lat", "lng", "landlord", "block"])
NO_FLAGS = frame([], ["ref", "address", "lat", "lng", "first_flagged", "indicators", "status", "closed"])
NO_CLOSURES = frame([], ["ref", "address", "lat", "lng", "granted", "expiry"])
NO_DECISIONS = frame([], ["id", "address", "action", "at", "user", "reason", "through", "flagged_ref"])


def queue(rows, *, as_of: str, props=NO_PROPS, flags=NO_FLAGS, closures=NO_CLOSURES, decisions=NO_DECISIONS, ctx=None):
    signals = pd.DataFrame(rows)
    return review_queue(
        signals,
        properties=props,
        flagged=flags,
        closures=closures,
        decisions=decisions,
        context=ctx,
        as_of=dt.date.fromisoformat(as_of),
    )


def test_two_lock_changes_90_days_apart_meet_the_rule_and_91_do_not():
    q, hits = queue([sig("R1", "2026-01-03"), sig("R1", "2026-04-03")], as_of="2026-04-03")
    assert list(q["key"]) == ["ref:R1"]
    assert q.loc[0, "rules"] == "2 or more lock changes in 90 days"
    assert q.loc[0, "signals"] == "lock change 3 Apr 2026 (repairs); lock change 3 Jan 2026 (repairs)"
    assert (q.loc[0, "first"], q.loc[0, "last"], q.loc[0, "weight"]) == ("2026-01-03", "2026-04-03", 2)
    assert q.loc[0, "indicators"] == "lock_changes"
    assert list(q.columns) == REVIEW_COLUMNS
    q, hits = queue([sig("R1", "2026-01-03"), sig("R1", "2026-04-04")], as_of="2026-04-04")
    assert q.empty
    assert hits.set_index("rule").loc["lock_changes", "addresses_12m"] == 0


def test_one_lock_change_is_not_enough_and_the_next_day_the_pair_has_expired():
    q, _ = queue([sig("R1", "2026-04-03")], as_of="2026-04-03")
    assert q.empty
    q, hits = queue(
        [sig("R1", "2026-01-03"), sig("R1", "2026-04-03"), sig("R2", "2026-04-04", "welfare_concern")],
        as_of="2026-04-04",
    )
    assert q.empty  # met on 3 Apr only: 3 Jan is 91 days before 4 Apr
    h = hits.set_index("rule")
    assert (h.loc["lock_changes", "addresses_12m"], h.loc["lock_changes", "met_now"]) == (1, 0)


def test_two_lock_changes_on_one_day_are_two():
    q, _ = queue([sig("R1", "2026-04-03", event="J1"), sig("R1", "2026-04-03", event="J2")], as_of="2026-04-10")
    assert list(q["rule_keys"]) == ["lock_changes"]


def test_three_complaints_in_60_days_and_not_in_61():
    three = [sig("R1", "2026-03-01", "complaint_noise"), sig("R1", "2026-03-15", "complaint_visitors")]
    q, _ = queue([*three, sig("R1", "2026-04-30", "complaint_fights")], as_of="2026-04-30")
    assert list(q["rule_keys"]) == ["complaints"]
    assert q.loc[0, "rules"] == "3 or more neighbour complaints in 60 days"
    assert q.loc[0, "indicators"] == "visitors_odd_hours;noise;other"  # in the vocabulary's order
    q, _ = queue([*three, sig("R1", "2026-05-01", "complaint_fights")], as_of="2026-05-01")
    assert q.empty


def test_two_kinds_within_30_days_and_not_31():
    q, _ = queue([sig("R1", "2026-03-01"), sig("R1", "2026-03-31", "rubbish_needles")], as_of="2026-03-31")
    assert list(q["rule_keys"]) == ["two_kinds"]
    assert q.loc[0, "rules"] == "2 or more different kinds of signal within 30 days"
    q, _ = queue([sig("R1", "2026-03-01"), sig("R1", "2026-04-01", "rubbish_needles")], as_of="2026-04-01")
    assert q.empty
    # two complaints of different sorts are one family: not two kinds
    q, _ = queue(
        [sig("R1", "2026-03-01", "complaint_noise"), sig("R1", "2026-03-02", "complaint_visitors")], as_of="2026-03-02"
    )
    assert q.empty


def test_rules_met_together_weigh_more_and_come_first():
    both = [sig("A", "2026-03-01"), sig("A", "2026-03-05", "no_access"), sig("A", "2026-03-10")]
    one = [sig("B", "2026-03-01"), sig("B", "2026-03-20")]
    q, _ = queue([*one, *both], as_of="2026-03-20")
    assert list(q["key"]) == ["ref:A", "ref:B"]
    assert list(q["weight"]) == [4, 2]
    assert q.loc[0, "rule_keys"] == "lock_changes;two_kinds"


def test_signals_after_the_queue_day_are_not_counted():
    q, _ = queue([sig("R1", "2026-03-01"), sig("R1", "2026-03-02")], as_of="2026-03-01")
    assert q.empty


def test_an_address_already_flagged_and_open_is_left_off():
    rows = [sig("R1", "2026-03-01", uprn="00010001", address="12, Elm Road"), sig("R1", "2026-03-02", uprn="10001")]
    flag = {"lat": LAT, "lng": LNG, "first_flagged": "2026-01-01", "indicators": "", "closed": ""}
    by_ref = frame([{"ref": "R1", "address": "x", "status": "open"} | flag], list(NO_FLAGS.columns))
    by_uprn = frame([{"ref": "10001", "address": "x", "status": "open"} | flag], list(NO_FLAGS.columns))
    by_words = frame([{"ref": "F9", "address": "12 elm road", "status": ""} | flag], list(NO_FLAGS.columns))
    for flags in (by_ref, by_uprn, by_words):
        q, _ = queue(rows, as_of="2026-03-02", flags=flags)
        assert q.empty, flags
    closed = frame([{"ref": "R1", "address": "x", "status": "closed"} | flag], list(NO_FLAGS.columns))
    q, _ = queue(rows, as_of="2026-03-02", flags=closed)
    assert list(q["key"]) == ["uprn:10001"] and q.loc[0, "context"] == "flagged before (closed)"
    other = frame([{"ref": "R2", "address": "14 Elm Road", "status": "open"} | flag], list(NO_FLAGS.columns))
    q, _ = queue(rows, as_of="2026-03-02", flags=other)
    assert len(q) == 1


def decision(address: str, action: str, through: str, at: str = "2026-03-05T09:00:00.000000Z", id_: int = 1):
    return {"id": id_, "address": address, "action": action, "at": at, "user": "u", "reason": "r", "through": through}


def test_a_dismissal_hides_the_address_until_a_newer_signal():
    rows = [sig("R1", "2026-03-01"), sig("R1", "2026-03-02")]
    dismissed = frame([decision("ref:R1", "dismissed", "2026-03-02")], list(NO_DECISIONS.columns))
    q, hits = queue(rows, as_of="2026-03-10", decisions=dismissed)
    assert q.empty
    assert hits.set_index("rule").loc["lock_changes", "met_now"] == 1  # met, but decided
    assert hits.set_index("rule").loc["lock_changes", "on_queue"] == 0
    q, _ = queue([*rows, sig("R1", "2026-03-09", "complaint_noise")], as_of="2026-03-10", decisions=dismissed)
    assert list(q["key"]) == ["ref:R1"]
    # the newest decision stands: booked after the dismissal shows the address, with its status
    later = pd.concat(
        [
            dismissed,
            frame(
                [decision("ref:R1", "booked", "2026-03-02", "2026-03-06T10:00:00.000000Z", 2)],
                list(NO_DECISIONS.columns),
            ),
        ]
    )
    q, _ = queue(rows, as_of="2026-03-10", decisions=later)
    assert q.loc[0, "status"] == "joint visit booked 6 Mar 2026"


def test_a_signal_named_by_ref_only_is_placed_and_joined_by_the_stored_home():
    props = frame(
        [
            {
                "ref": "H7",
                "address": "7 Oak Court",
                "uprn": "000200",
                "lat": 53.5,
                "lng": -2.2,
                "landlord": "",
                "block": "",
            }
        ],
        list(NO_PROPS.columns),
    )
    rows = [sig("H7", "2026-03-01", lat=np.nan, lng=np.nan), sig("", "2026-03-03", uprn="200", lat=np.nan, lng=np.nan)]
    q, _ = queue(rows, as_of="2026-03-03", props=props)
    assert list(q["key"]) == ["uprn:200"]
    assert (q.loc[0, "address"], q.loc[0, "lat"], q.loc[0, "lng"], q.loc[0, "ref"]) == ("7 Oak Court", 53.5, -2.2, "H7")
    # unknown to the stored homes: no point, still on the queue (a person can find it)
    q, _ = queue(
        [sig("Z1", "2026-03-01", lat=np.nan, lng=np.nan), sig("Z1", "2026-03-02", lat=np.nan, lng=np.nan)],
        as_of="2026-03-02",
    )
    assert list(q["key"]) == ["ref:Z1"] and np.isnan(q.loc[0, "lat"])


def test_hot_spot_emerging_and_closure_context_add_weight():
    home = h3.latlng_to_cell(LAT, LNG, 9)
    ring = sorted(h3.grid_disk(home, 2))
    far = next(c for c in ring if h3.grid_distance(home, c) == 2)
    nextdoor = next(c for c in ring if h3.grid_distance(home, c) == 1)
    hot = pd.DataFrame({"cell": ring, "gi_z": [3.0 if c == nextdoor else 0.0 for c in ring]})
    hot["significant_fdr"] = hot["gi_z"] > 0
    emerging = pd.DataFrame(
        {"cell": ring, "category": ["intensifying hot spot" if c == far else "no pattern detected" for c in ring]}
    )
    ctx = cell_context(hot, emerging, res=9)
    rows = [sig("R1", "2026-03-01"), sig("R1", "2026-03-02")]
    q, _ = queue(rows, as_of="2026-03-02", ctx=ctx)
    assert (
        q.loc[0, "context"] == "in or next to a hot spot" and q.loc[0, "weight"] == 4
    )  # 2 rule + 2 hot; far is 2 rings
    # a closure order ~60 m north, granted within the year: +1; one granted 366 days before: nothing
    north = LAT + 60 / 111_200
    closure = {"ref": "C1", "address": "", "lat": north, "lng": LNG, "expiry": "2027-01-01"}
    near = frame([closure | {"granted": "2025-03-02"}], list(NO_CLOSURES.columns))
    old = frame([closure | {"granted": "2025-03-01"}], list(NO_CLOSURES.columns))
    q, _ = queue(rows, as_of="2026-03-02", ctx=ctx, closures=near)
    assert q.loc[0, "weight"] == 5
    assert q.loc[0, "context"] == "in or next to a hot spot; within 100 m of closure order C1 (granted 2 Mar 2025)"
    q, _ = queue(rows, as_of="2026-03-02", ctx=ctx, closures=old)
    assert q.loc[0, "weight"] == 4
    far_closure = frame([closure | {"granted": "2026-01-01", "lat": LAT + 150 / 111_200}], list(NO_CLOSURES.columns))
    q, _ = queue(rows, as_of="2026-03-02", closures=far_closure)
    assert q.loc[0, "weight"] == 2 and q.loc[0, "context"] == ""
    # emerging next door counts once
    emerging2 = emerging.assign(category=["new hot spot" if c == nextdoor else "no pattern detected" for c in ring])
    q, _ = queue(rows, as_of="2026-03-02", ctx=cell_context(hot, emerging2, res=9))
    assert q.loc[0, "weight"] == 5
    assert strings_to_cells(cells_to_strings(ctx.cells)).tolist() == ctx.cells.tolist()


def test_queue_day_is_the_newest_signal_not_after_today():
    signals = pd.DataFrame([sig("R", "2026-03-01"), sig("R", "2026-05-01"), sig("R", "2027-01-01")])
    assert queue_day(signals, today=dt.date(2026, 12, 3)) == dt.date(2026, 5, 1)
    assert queue_day(signals.iloc[:0], today=dt.date(2026, 12, 3)) is None


# --------------------------------------------------------------------------- brute force: day by day

FAMILY_OF = {"lock_change": "lock", "complaint_noise": "complaint", "complaint_visitors": "complaint"}
FAMILY_OF |= {"no_access": "access", "rubbish_needles": "rubbish"}


def brute_met(days: list[tuple[int, str]], rule, day: int) -> bool:
    """Is ``rule`` met on ``day`` by the signals (day number, signal key) of one address? Counted by hand."""
    window = [(d, FAMILY_OF[s]) for d, s in days if day - rule.days <= d <= day]
    if rule.distinct:
        return len({f for _, f in window}) >= rule.at_least
    return sum(1 for _, f in window if f in rule.families) >= rule.at_least


@settings(max_examples=60, deadline=None)
@given(
    st.lists(
        st.tuples(st.sampled_from(["A", "B", "C"]), st.integers(0, 500), st.sampled_from(sorted(FAMILY_OF))),
        max_size=25,
    ),
    st.integers(200, 520),
)
def test_hit_counts_agree_with_a_day_by_day_count(events, as_of_n):
    base = dt.date(2025, 1, 1).toordinal()
    rows = [sig(a, dt.date.fromordinal(base + d).isoformat(), s) for a, d, s in events]
    as_of = base + as_of_n
    signals = pd.DataFrame(rows, columns=list(sig("x", "2026-01-01")))
    q, hits = review_queue(
        signals,
        properties=NO_PROPS,
        flagged=NO_FLAGS,
        closures=NO_CLOSURES,
        decisions=NO_DECISIONS,
        context=None,
        as_of=dt.date.fromordinal(as_of),
    )
    h = hits.set_index("rule")
    for rule in RULES:
        per = {a: [(base + d, s) for b, d, s in events if b == a] for a in "ABC"}
        now = {a for a, ds in per.items() if brute_met([x for x in ds if x[0] <= as_of], rule, as_of)}
        period = {
            a
            for a, ds in per.items()
            if any(brute_met([x for x in ds if x[0] <= as_of], rule, d) for d in range(as_of - 364, as_of + 1))
        }
        assert h.loc[rule.key, "met_now"] == len(now), rule
        assert h.loc[rule.key, "addresses_12m"] == len(period), rule
        assert {k for k, rk in zip(q["key"], q["rule_keys"], strict=True) if rule.key in rk.split(";")} == {
            f"ref:{a}" for a in now
        }


def test_the_hit_period_is_the_365_days_up_to_and_including_the_queue_day():
    as_of = dt.date(2026, 6, 30)

    def pair_ending(days_before: int):
        # two lock changes 10 days apart, first at d: met from d + 10 until d + 90 (the first is then 90 days old)
        d = as_of - dt.timedelta(days=days_before + 90)
        rows = [sig("R1", d.isoformat()), sig("R1", (d + dt.timedelta(days=10)).isoformat())]
        _, hits = queue(rows, as_of=as_of.isoformat())
        return hits.set_index("rule").loc["lock_changes", "addresses_12m"]

    assert pair_ending(364) == 1  # still met on the first day of the period
    assert pair_ending(365) == 0  # no longer met by then
    # a rule first met on the queue's day itself counts in the period and now
    _, hits = queue([sig("R1", "2026-06-01"), sig("R1", "2026-06-30")], as_of="2026-06-30")
    assert hits.set_index("rule").loc["lock_changes", ["addresses_12m", "met_now", "on_queue"]].tolist() == [1, 1, 1]


def test_a_signal_dated_today_sets_the_queue_day():
    signals = pd.DataFrame([sig("R", "2026-03-01"), sig("R", "2026-12-03")])
    assert queue_day(signals, today=dt.date(2026, 12, 3)) == dt.date(2026, 12, 3)


def test_a_rule_needing_every_family_is_met_only_when_all_six_are_there():
    from geo.plan._review_rules import ReviewRule

    six = (ReviewRule("all_six", days=30, at_least=6, distinct=True),)
    keys = ["lock_change", "door_window_repair", "complaint_noise", "rubbish_needles", "no_access", "welfare_concern"]
    rows = [sig("R1", f"2026-03-{i + 1:02d}", k) for i, k in enumerate(keys)]
    got = review_queue(
        pd.DataFrame(rows),
        properties=NO_PROPS,
        flagged=NO_FLAGS,
        closures=NO_CLOSURES,
        decisions=NO_DECISIONS,
        context=None,
        as_of=dt.date(2026, 3, 6),
        rules=six,
    )[0]
    assert list(got["rule_keys"]) == ["all_six"]
    got = review_queue(
        pd.DataFrame(rows[:5]),
        properties=NO_PROPS,
        flagged=NO_FLAGS,
        closures=NO_CLOSURES,
        decisions=NO_DECISIONS,
        context=None,
        as_of=dt.date(2026, 3, 6),
        rules=six,
    )[0]
    assert got.empty


def test_a_flag_closed_by_its_closed_day_alone_or_keyed_by_uprn_is_closed():
    rows = [sig("R1", "2026-03-01", uprn="10001"), sig("R1", "2026-03-02")]
    flag = {"address": "", "lat": LAT, "lng": LNG, "first_flagged": "2026-01-01", "indicators": ""}
    by_day = frame([{"ref": "R1", "status": "", "closed": "2026-02-01"} | flag], list(NO_FLAGS.columns))
    by_uprn = frame([{"ref": "000010001", "status": "closed", "closed": ""} | flag], list(NO_FLAGS.columns))
    for flags in (by_day, by_uprn):
        q, _ = queue(rows, as_of="2026-03-02", flags=flags)
        assert q["context"].tolist() == ["flagged before (closed)"], flags


def test_one_home_named_by_ref_in_one_row_and_by_ref_and_uprn_in_another_is_one_address():
    rows = [sig("R1", "2026-03-01"), sig("R1", "2026-03-02", uprn="0042")]  # no stored homes at all
    q, _ = queue(rows, as_of="2026-03-02")
    assert q["key"].tolist() == ["uprn:42"] and q.loc[0, "uprn"] == "42"


def test_the_newest_decision_wins_and_a_flag_from_the_queue_hides_it_like_a_dismissal():
    rows = [sig("R1", "2026-03-01"), sig("R1", "2026-03-02")]
    same_moment = "2026-03-05T09:00:00.000000Z"
    decisions = frame(
        [
            decision("ref:R1", "booked", "2026-03-02", same_moment, 1),
            decision("ref:R1", "flagged", "2026-03-02", same_moment, 2),
        ],
        list(NO_DECISIONS.columns),
    )
    q, _ = queue(rows, as_of="2026-03-10", decisions=decisions)
    assert q.empty  # the flag (id 2) came after the booking at the same moment
    q, _ = queue(rows, as_of="2026-03-10", decisions=decisions.iloc[::-1])  # whatever order they are read in
    assert q.empty
    q, _ = queue(rows, as_of="2026-03-10", decisions=decisions.iloc[:1])
    assert q["status"].tolist() == ["joint visit booked 5 Mar 2026"]


def test_equal_weights_run_newest_signal_first_then_by_address_key():
    rows = [
        sig("B", "2026-03-01"),
        sig("B", "2026-03-05"),
        sig("A", "2026-03-01"),
        sig("A", "2026-03-05"),
        sig("C", "2026-03-01"),
        sig("C", "2026-03-09"),
    ]
    q, _ = queue(rows, as_of="2026-03-10")
    assert q["key"].tolist() == ["ref:C", "ref:A", "ref:B"]


def test_a_row_with_half_a_point_is_placed_by_its_stored_home():
    props = frame(
        [{"ref": "H7", "address": "7 Oak Court", "uprn": "", "lat": 53.5, "lng": -2.2, "landlord": "", "block": ""}],
        list(NO_PROPS.columns),
    )
    q, _ = queue(
        [sig("H7", "2026-03-01", lng=np.nan), sig("H7", "2026-03-02", lat=np.nan)], as_of="2026-03-02", props=props
    )
    assert (q.loc[0, "lat"], q.loc[0, "lng"]) == (53.5, -2.2)
