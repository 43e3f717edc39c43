"""The early-warning review queue: addresses whose partner signals meet a rule, not yet flagged, for a person to decide.

Flagged addresses come from someone joining up what housing repairs, the
housing ASB case log and the police each noticed (GUIDE section 7). The queue
does that joining: it reads the stored ``signals`` (one row per event at an
address), groups them by address, and lists the addresses where a rule of
:mod:`geo.plan._review_rules` is met on the queue's day. It never flags
anything: a person flags, dismisses or books a joint visit
(:mod:`geo.store.review`).

One address
-----------
Partners name a home by their property ref, its UPRN or both. A signal row's
address is its UPRN (digits without leading zeros) when the row or the stored
home with its ref (``properties``), or another signal row with its ref, knows
one; otherwise its ref. Its point is the row's own, else the stored home's by
ref, then by UPRN; the address's point and words are those of its newest
signal that has them.

What is left out
----------------
* Signals dated after the queue's day (a typing slip, or a day asked for in
  the past).
* Addresses already flagged and open (status not ``closed``, no ``closed``
  date): a flagged row whose ref is one of the address's refs or its UPRN, or
  whose address reads the same once case, spacing and punctuation are ignored
  (:mod:`geo.plan._text`, as the door-knock list compares them). A closed flag
  leaves the address on the queue, with "flagged before" in its context.
* Addresses whose latest decision is *dismissed* or *flagged*, until a signal
  dated after the newest signal that decision saw arrives.

Weight and order
----------------
``weight`` = :data:`~geo.plan._review_rules.WEIGHTS` points for each rule met,
for being in or next to (one H3 ring) a Gi* hot spot (significant after FDR,
z > 0) and an emerging one, and for lying within ``CLOSURE_M`` metres (British
National Grid) of a closure order granted in the ``CLOSURE_DAYS`` days up to
the queue's day. The queue runs heaviest first, then newest signal, then key.

Hit counts
----------
:func:`review_queue`'s hit counts say, per rule, how many addresses met it on some day of the
``HIT_DAYS`` days up to and including the queue's day (flagged ones included:
the count is about the rule, not the queue), how many meet it on the day, and
how many of those are on the queue. A rule met on the day of signal *i* stays
met until the *n*-th newest signal of the window (for "two kinds", the
newest signal of the *n*-th newest family) is ``days`` days old, so each
address's met days are intervals computed from its sorted signals, without a
loop over days.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy.spatial import cKDTree

from geo.core.schema import ASB, INDICATORS
from geo.core.signals import SIGNALS
from geo.plan import _review_rules as _rules
from geo.plan._review_rules import RULES, ReviewRule
from geo.plan._text import normal_text as _normal
from geo.plan._text import text_of as _text
from geo.plan._text import uprn_key as _uprn_key
from geo.space.hexes import cells_to_weights, points_to_cells, strings_to_cells
from geo.stats.aggregate import Filters, month_range
from geo.stats.evaluate import to_metres
from geo.store import Store

__all__ = ["HIT_COLUMNS", "REVIEW_COLUMNS", "CellContext", "Review", "cell_context", "context_filters", "context_for"]
__all__ += ["hits_words", "queue_day", "review_for", "review_queue"]

#: The queue's columns, in the order the CSV writes them.
REVIEW_COLUMNS = [
    "key",
    "ref",
    "uprn",
    "address",
    "lat",
    "lng",
    "rules",
    "signals",
    "first",
    "last",
    "context",
    "weight",
    "status",
    "indicators",
    "signal_count",
    "rule_keys",
]
#: :func:`rule_hits`' columns.
HIT_COLUMNS = ["rule", "words", "addresses_12m", "met_now", "on_queue"]

_FAMILY = {key: s.family for key, s in SIGNALS.items()}
_FAMILIES = tuple(dict.fromkeys(s.family for s in SIGNALS.values()))
_NEVER = -(10**9)  # a day number older than any signal: "no such signal"


@dataclass(frozen=True)
class CellContext:
    """Which study-area cells are in or next to a Gi* hot spot and an emerging one (one H3 ring).

    Built by :func:`cell_context` from the tables the patrol planner shows, so the
    queue's "next to a hot spot" is the map's.
    """

    res: int
    cells: np.ndarray  # uint64, sorted
    near_hot: np.ndarray  # bool per cell
    near_emerging: np.ndarray  # bool per cell
    emerging_known: bool  # False when the months were too few for emerging hot spots


def cell_context(hot: pd.DataFrame, emerging: pd.DataFrame | None, *, res: int) -> CellContext:
    """The context from a hot spot table (``cell, gi_z, significant_fdr``) and an emerging one (``cell, category``).

    ``emerging`` None: fewer months than the emerging analysis needs; nothing counts as emerging.
    """
    cells = strings_to_cells(hot["cell"].astype(str).to_numpy()) if len(hot) else np.zeros(0, np.uint64)
    order = np.argsort(cells)
    cells = cells[order]
    is_hot = (hot["significant_fdr"].to_numpy(bool) & (hot["gi_z"].to_numpy(float) > 0))[order]
    is_emerging = np.zeros(len(cells), bool)
    if emerging is not None and len(emerging):
        grow = emerging[emerging["category"].astype(str).isin(_rules.EMERGING_CATEGORIES)]
        is_emerging = np.isin(cells, strings_to_cells(grow["cell"].astype(str).to_numpy()))
    w = cells_to_weights(cells, k=1)  # self included: "in or next to"
    near = (lambda flag: np.asarray(w @ flag.astype(float)).ravel() > 0) if len(cells) else (lambda flag: flag)
    return CellContext(res, cells, near(is_hot), near(is_emerging), emerging is not None)


def queue_day(signals: pd.DataFrame, *, today: dt.date) -> dt.date | None:
    """The queue's day: the newest signal's date not after ``today`` (None when there is none)."""
    days = _text(signals, "date").str[:10]
    days = days[(days != "") & (days <= today.isoformat())]
    return dt.date.fromisoformat(days.max()) if len(days) else None


_EPOCH = dt.date(1970, 1, 1).toordinal()


def _ordinals(days: pd.Series) -> np.ndarray:
    """``YYYY-MM-DD`` texts (stored, so valid) as day numbers (:meth:`datetime.date.toordinal`), vectorised."""
    if not len(days):
        return np.zeros(0, np.int64)
    stamp = pd.to_datetime(days.str[:10], format="%Y-%m-%d").to_numpy("datetime64[D]")
    return stamp.astype(np.int64) + _EPOCH


def _iso(day: np.ndarray) -> np.ndarray:
    """Day numbers back to ``YYYY-MM-DD`` texts."""
    return (np.asarray(day, np.int64) - _EPOCH).astype("datetime64[D]").astype(str).astype(object)


def _day_words(day: np.ndarray) -> pd.Series:
    """Day numbers as a briefing says them ("3 Nov 2026", :func:`geo.plan.neighbours.day_words`), vectorised."""
    stamp = pd.Series(pd.to_datetime(_iso(day)))
    return stamp.dt.day.astype(str) + " " + stamp.dt.strftime("%b %Y")


def _joined(acc: np.ndarray, mask: np.ndarray, text: str | np.ndarray) -> np.ndarray:
    """``acc`` with ``text`` added after "; " where ``mask`` (a loop over rules, not rows)."""
    added = np.where(acc == "", text, acc + "; " + text) if len(acc) else acc
    return np.where(mask, added, acc).astype(object)


def _addresses(signals: pd.DataFrame, properties: pd.DataFrame) -> pd.DataFrame:
    """One row per signal: ``key, ref, uprn, address, lat, lng, day, signal, family, source`` (see the docstring)."""
    ref, uprn = _text(signals, "ref"), _uprn_key(_text(signals, "uprn"))
    p_ref, p_uprn = _text(properties, "ref"), _uprn_key(_text(properties, "uprn"))
    props = pd.DataFrame(
        {
            "ref": p_ref.to_numpy(),
            "uprn": p_uprn.to_numpy(),
            "address": _text(properties, "address").to_numpy(),
            "lat": pd.to_numeric(properties.get("lat"), errors="coerce") if len(properties) else [],
            "lng": pd.to_numeric(properties.get("lng"), errors="coerce") if len(properties) else [],
        }
    )
    by_ref = props[props["ref"] != ""].drop_duplicates("ref").set_index("ref")
    by_uprn = props[props["uprn"] != ""].drop_duplicates("uprn").set_index("uprn")
    # a ref's UPRN: the stored home's, else one another signal row gives with the same ref
    known = pd.concat(
        [by_ref["uprn"][by_ref["uprn"] != ""], pd.Series(uprn.to_numpy(), index=ref.to_numpy())[uprn.to_numpy() != ""]]
    )
    known = known[~known.index.duplicated()]
    mapped = ref.map(known)
    uprn = uprn.where(uprn != "", mapped.astype(object).where(mapped.notna(), ""))
    key = np.where(uprn != "", "uprn:" + uprn, "ref:" + ref)
    lat = pd.to_numeric(signals["lat"], errors="coerce").to_numpy(float) if "lat" in signals else np.nan
    lng = pd.to_numeric(signals["lng"], errors="coerce").to_numpy(float) if "lng" in signals else np.nan
    out = pd.DataFrame(
        {
            "key": key,
            "ref": ref.to_numpy(),
            "uprn": uprn.to_numpy(),
            "address": _text(signals, "address").to_numpy(),
            "lat": lat,
            "lng": lng,
            "day": _ordinals(_text(signals, "date")),
            "signal": _text(signals, "signal").to_numpy(),
            "source": _text(signals, "source").to_numpy(),
        }
    )
    out["family"] = out["signal"].map(_FAMILY).fillna("")
    for by, lookup in (("ref", by_ref), ("uprn", by_uprn)):  # fill what the row lacks from the stored home
        missing = ~np.isfinite(out["lat"].to_numpy(float)) | ~np.isfinite(out["lng"].to_numpy(float))
        found = out[by].isin(lookup.index).to_numpy() & missing & (out[by] != "").to_numpy()
        if found.any():
            home = lookup.loc[out.loc[found, by]]
            out.loc[found, "lat"] = home["lat"].to_numpy(float)
            out.loc[found, "lng"] = home["lng"].to_numpy(float)
        blank = (out["address"] == "").to_numpy() & out[by].isin(lookup.index).to_numpy() & (out[by] != "").to_numpy()
        if blank.any():
            out.loc[blank, "address"] = lookup.loc[out.loc[blank, by], "address"].to_numpy()
    return out


def _met_until(rows: pd.DataFrame, rule: ReviewRule) -> tuple[np.ndarray, np.ndarray]:
    """Per signal row of ``rule``'s families (sorted by key, day): the rows used and the last day the rule stays met
    from that row's day (``_NEVER`` when it is not met on it).

    Counting rule: the ``at_least``-th newest signal up to the row's day, plus ``days``. "Two kinds": per family
    the newest signal up to the row's day; the ``at_least``-th newest of those, plus ``days``.
    """
    use = rows if not rule.families else rows[rows["family"].isin(rule.families)]
    use = use.sort_values(["key", "day"], kind="stable")
    day = use["day"].to_numpy(np.int64)
    code = pd.factorize(use["key"])[0].astype(np.int64)
    n = rule.at_least
    if not rule.distinct:
        # rows on one day: the last of them sees them all, the earlier ones a subset (a shorter interval, harmless)
        back = np.arange(len(use)) - (n - 1)
        ok = back >= 0
        ok[ok] = code[back[ok]] == code[ok]
        nth = np.where(ok, day[np.maximum(back, 0)], _NEVER)
    else:
        last = np.full((len(use), len(_FAMILIES)), _NEVER, dtype=np.int64)
        fam = use["family"].to_numpy()
        for j, f in enumerate(_FAMILIES):  # six families, not one per row
            mine = fam == f
            # the newest row of family f at or before each row, same address: a running maximum within the address
            seen = np.where(mine, day, _NEVER)
            frame = pd.Series(seen).groupby(code).cummax().to_numpy(np.int64)
            last[:, j] = frame
        # rows of one address and day: every row takes the day's last row's families
        grp = pd.DataFrame(last).groupby([code, day]).transform("max").to_numpy(np.int64)
        nth = np.sort(grp, axis=1)[:, len(_FAMILIES) - n] if n <= len(_FAMILIES) else np.full(len(use), _NEVER)
    until = np.where(nth > _NEVER, nth + rule.days, _NEVER)
    until = np.where(until >= day, until, _NEVER)
    return use.index.to_numpy(), until


def _open_flag_match(rows: pd.DataFrame, flagged: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    """Per signal row: an open flag names its address; a closed one does (refs, UPRN or address words)."""
    f_ref = _text(flagged, "ref")
    closed = (_text(flagged, "status").str.casefold() == "closed") | (_text(flagged, "closed") != "")
    f_uprn = _uprn_key(f_ref)
    f_addr = _normal(_text(flagged, "address"))
    out = []
    for mask in (~closed, closed):
        refs = set(f_ref[mask & (f_ref != "")])
        uprns = set(f_uprn[mask & (f_uprn != "")])
        words = set(f_addr[mask & (f_addr != "")])
        addr = _normal(rows["address"])
        hit = rows["ref"].isin(refs) & (rows["ref"] != "")
        hit |= rows["uprn"].isin(uprns) & (rows["uprn"] != "")
        hit |= addr.isin(words) & (addr != "")
        out.append(hit.to_numpy(bool))
    return out[0], out[1]


def _evaluate(
    rows: pd.DataFrame, *, as_of: int, rules: tuple[ReviewRule, ...]
) -> tuple[pd.DataFrame, dict[str, tuple[set[str], set[str]]]]:
    """Per address met now (bool per rule) and, per rule, (addresses met in the hit period, met now)."""
    keys = pd.Index(sorted(set(rows["key"])))
    met = pd.DataFrame(False, index=keys, columns=[r.key for r in rules])
    hits: dict[str, tuple[set[str], set[str]]] = {}
    start = as_of - _rules.HIT_DAYS + 1
    for rule in rules:
        idx, until = _met_until(rows, rule)
        day = rows.loc[idx, "day"].to_numpy(np.int64)
        key = rows.loc[idx, "key"].to_numpy()
        live = until > _NEVER
        now = live & (until >= as_of)
        period = live & (until >= start)
        met.loc[sorted(set(key[now])), rule.key] = True
        hits[rule.key] = (set(key[period & (day <= as_of)]), set(key[now]))
    return met, hits


def review_queue(
    signals: pd.DataFrame,
    *,
    properties: pd.DataFrame,
    flagged: pd.DataFrame,
    closures: pd.DataFrame,
    decisions: pd.DataFrame,
    context: CellContext | None,
    as_of: dt.date,
    rules: tuple[ReviewRule, ...] = RULES,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The queue on ``as_of`` and the rules' hit counts (see the module docstring for every rule).

    Parameters
    ----------
    signals
        Stored signals (``ref, address, uprn, lat, lng, date, signal, source``; ``signal`` the vocabulary key).
    properties
        Stored homes (``ref, address, uprn, lat, lng``) that place a signal named by ref or UPRN only.
    flagged, closures
        Stored flagged addresses and closure orders.
    decisions
        :func:`geo.store.review.read_decisions`: ``address, action, at, through`` (a row per decision).
    context
        The hot spot context (:func:`cell_context`); None when no incidents are stored.
    as_of
        The queue's day (:func:`queue_day`).

    Returns
    -------
    queue, hits
        :data:`REVIEW_COLUMNS` heaviest first; :data:`HIT_COLUMNS`, one row per rule.
    """
    day0 = as_of.toordinal()
    rows = _addresses(signals, properties)
    rows = rows[(rows["day"] <= day0) & (rows["family"] != "")].reset_index(drop=True)
    rows["label"] = rows["signal"].map({k: s.label for k, s in SIGNALS.items()})
    met, hits = _evaluate(rows, as_of=day0, rules=rules)
    open_flag, closed_flag = _open_flag_match(rows, flagged)
    by_key = pd.DataFrame({"key": rows["key"], "open": open_flag, "closed": closed_flag}).groupby("key").any()
    newest = rows.sort_values(["key", "day"], kind="stable").groupby("key")
    last_day = newest["day"].max()

    wanted = met.index[met.any(axis=1).to_numpy()]
    wanted = wanted[~by_key.loc[wanted, "open"].to_numpy(bool)]
    status = pd.Series("", index=wanted, dtype=object)
    if len(decisions) and len(wanted):
        dec = decisions.sort_values(["at", "id"] if "id" in decisions else ["at"], kind="stable")
        latest = dec.drop_duplicates("address", keep="last").set_index("address")
        latest = latest[latest.index.isin(wanted)]
        through = _ordinals(latest["through"].astype(str))
        fresh = last_day.loc[latest.index].to_numpy() > through
        hide = latest["action"].isin(["dismissed", "flagged"]).to_numpy() & ~fresh
        booked = (latest["action"] == "booked").to_numpy()
        at = _ordinals(latest["at"].astype(str).str[:10])
        status.loc[latest.index[booked]] = ("joint visit booked " + _day_words(at[booked])).to_numpy()
        wanted = wanted[~wanted.isin(latest.index[hide])]
        status = status.loc[wanted]
    queue = _rows_for(rows, wanted, met, rules=rules, as_of=day0, status=status, closed=by_key["closed"])
    queue = _add_context(queue, closures=closures, context=context, as_of=as_of)
    queue = queue.sort_values(["weight", "last", "key"], ascending=[False, False, True], kind="stable")
    queue = queue[REVIEW_COLUMNS].reset_index(drop=True)
    on_queue = set(queue["key"])
    hit_rows = [
        {
            "rule": r.key,
            "words": r.words,
            "addresses_12m": len(hits[r.key][0]),
            "met_now": len(hits[r.key][1]),
            "on_queue": len(hits[r.key][1] & on_queue),
        }
        for r in rules
    ]
    return queue, pd.DataFrame(hit_rows, columns=HIT_COLUMNS)


def _rows_for(
    rows: pd.DataFrame,
    wanted: pd.Index,
    met: pd.DataFrame,
    *,
    rules: tuple[ReviewRule, ...],
    as_of: int,
    status: pd.Series,
    closed: pd.Series,
) -> pd.DataFrame:
    """One queue row per wanted address: its words, point, and the signals behind its rules, newest first.

    A signal is *behind* an address's queue row when one of the rules the address meets counts its family and
    it lies in that rule's window up to the queue's day.
    """
    mine = rows[rows["key"].isin(wanted)].sort_values(["key", "day"], ascending=[True, False], kind="stable")
    mine = mine.reset_index(drop=True)
    behind = np.zeros(len(mine), bool)
    for r in rules:
        counts = mine["family"].isin(r.families).to_numpy() if r.families else np.ones(len(mine), bool)
        behind |= met.loc[mine["key"], r.key].to_numpy(bool) & counts & (mine["day"].to_numpy() >= as_of - r.days)
    back = mine[behind].copy()
    when = pd.Series(_day_words(back["day"].to_numpy()).to_numpy(), index=back.index)
    source = back["source"].where(back["source"] == "", " (" + back["source"] + ")")
    back["words"] = back["label"] + " " + when + source
    back["indicator"] = back["signal"].map({k: s.indicator for k, s in SIGNALS.items()})
    order = {k: i for i, k in enumerate(INDICATORS)}
    ind = back.drop_duplicates(["key", "indicator"]).assign(o=lambda f: f["indicator"].map(order).fillna(99))
    ind = ind.sort_values(["key", "o"], kind="stable").groupby("key")["indicator"].agg(";".join)
    placed = mine[np.isfinite(mine["lat"].to_numpy(float)) & np.isfinite(mine["lng"].to_numpy(float))]
    placed = placed.drop_duplicates("key").set_index("key")
    named = mine[mine["address"] != ""].drop_duplicates("key").set_index("key")["address"]
    refs = mine[mine["ref"] != ""].drop_duplicates("key").set_index("key")["ref"]
    keys = pd.Index(sorted(wanted))
    grouped = back.groupby("key")
    which = met.loc[keys, [r.key for r in rules]].to_numpy(bool)
    rule_words = np.full(len(keys), "", dtype=object)
    rule_keys = np.full(len(keys), "", dtype=object)
    for j, r in enumerate(rules):
        rule_words = _joined(rule_words, which[:, j], r.words)
        rule_keys = np.where(which[:, j], np.where(rule_keys == "", r.key, rule_keys + ";" + r.key), rule_keys)
    out = pd.DataFrame(
        {
            "key": keys,
            "ref": refs.reindex(keys).fillna("").to_numpy(),
            "uprn": mine.drop_duplicates("key").set_index("key")["uprn"].reindex(keys).fillna("").to_numpy(),
            "address": named.reindex(keys).fillna("").to_numpy(),
            "lat": placed["lat"].reindex(keys).to_numpy(float),
            "lng": placed["lng"].reindex(keys).to_numpy(float),
            "rules": rule_words,
            "rule_keys": rule_keys,
            "signals": grouped["words"].agg("; ".join).reindex(keys).fillna("").to_numpy(),
            "signal_count": grouped.size().reindex(keys).fillna(0).to_numpy(np.int64),
            "first": _iso(grouped["day"].min().reindex(keys).to_numpy()),
            "last": _iso(mine.groupby("key")["day"].max().reindex(keys).to_numpy()),
            "weight": _rules.WEIGHTS["rule"] * which.sum(axis=1).astype(np.int64),
            "status": status.reindex(keys).fillna("").to_numpy(),
            "indicators": ind.reindex(keys).fillna("").to_numpy(),
            "context": np.where(closed.reindex(keys).fillna(False).to_numpy(bool), "flagged before (closed)", ""),
        }
    )
    return out


def _add_context(
    queue: pd.DataFrame, *, closures: pd.DataFrame, context: CellContext | None, as_of: dt.date
) -> pd.DataFrame:
    """Hot spot, emerging and closure-order context: words and weight points."""
    if queue.empty:
        return queue
    lat, lng = queue["lat"].to_numpy(float), queue["lng"].to_numpy(float)
    placed = np.isfinite(lat) & np.isfinite(lng)
    words = np.full(len(queue), "", dtype=object)
    weight = queue["weight"].to_numpy(np.int64).copy()
    if context is not None and len(context.cells) and placed.any():
        cells = np.zeros(len(queue), np.uint64)
        cells[placed] = points_to_cells(lat[placed], lng[placed], res=context.res)
        at = np.minimum(np.searchsorted(context.cells, cells), len(context.cells) - 1)
        inside = placed & (context.cells[at] == cells)
        for flag, points, text in (
            (context.near_hot, "hot", "in or next to a hot spot"),
            (context.near_emerging, "emerging", "in or next to an emerging hot spot"),
        ):
            yes = inside & flag[at]
            weight += _rules.WEIGHTS[points] * yes
            words = _joined(words, yes, text)
    granted = _text(closures, "granted").str[:10]
    first = (as_of - dt.timedelta(days=_rules.CLOSURE_DAYS)).isoformat()
    recent = closures[((granted >= first) & (granted <= as_of.isoformat()) & (granted != "")).to_numpy(bool)]
    c_lat = pd.to_numeric(recent.get("lat"), errors="coerce") if len(recent) else pd.Series(dtype=float)
    c_lng = pd.to_numeric(recent.get("lng"), errors="coerce") if len(recent) else pd.Series(dtype=float)
    ok = (np.isfinite(c_lat.to_numpy(float)) & np.isfinite(c_lng.to_numpy(float))) if len(recent) else np.zeros(0, bool)
    if ok.any() and placed.any():
        tree = cKDTree(to_metres(pd.DataFrame({"lat": c_lat.to_numpy(float)[ok], "lng": c_lng.to_numpy(float)[ok]})))
        here = to_metres(pd.DataFrame({"lat": np.where(placed, lat, 0.0), "lng": np.where(placed, lng, 0.0)}))
        dist, idx = tree.query(here, distance_upper_bound=_rules.CLOSURE_M + 1e-9)
        near = placed & (np.asarray(dist, float) <= _rules.CLOSURE_M)
        weight += _rules.WEIGHTS["closure"] * near
        at = np.where(near, idx, 0)
        refs = _text(recent, "ref").to_numpy(object)[ok][at]
        when = _day_words(_ordinals(granted[recent.index][ok].iloc[at])).to_numpy(object)
        named = f"within {_rules.CLOSURE_M:g} m of closure order " + refs + " (granted " + when + ")"
        words = _joined(words, near, named)
    out = queue.copy()
    before = out["context"].astype(str).to_numpy()
    out["context"] = _joined(words, before != "", before)
    out["weight"] = weight
    return out


def _addresses_words(n: int) -> str:
    return f"{n} address" if n == 1 else f"{n} addresses"


def hits_words(hits: pd.DataFrame) -> str:
    """The hit counts as the CLI prints them, a rule a line."""
    return "\n".join(
        f"{r.words}: {_addresses_words(r.addresses_12m)} in the last 12 months, {r.met_now} meeting it now, "
        f"{r.on_queue} on the queue"
        for r in hits.itertuples()
    )


# --------------------------------------------------------------------------- from the store

#: The hot spot context's view: the patrol planner's opening one (the Overview's alert uses it too).
CONTEXT_RES, CONTEXT_K, CONTEXT_MONTHS = 9, 1, 12


@dataclass(frozen=True)
class Review:
    """The queue on its day, the rules' hit counts, and the words saying what they were computed from."""

    queue: pd.DataFrame
    hits: pd.DataFrame
    as_of: dt.date | None
    basis: str


def context_filters(months: tuple[str, str] | None) -> Filters | None:
    """Which incidents the context's hot spots count: ASB over the 12 months ending with the latest month stored."""
    if months is None:
        return None
    span = month_range(*months)
    return Filters(month_from=span[max(0, len(span) - CONTEXT_MONTHS)], month_to=span[-1], categories=(ASB,))


def context_for(store: Store) -> tuple[CellContext | None, str]:
    """The hot spot context from the store's incidents (None and the reason when there are none)."""
    from geo.plan.analysis import Pass, trend_long_enough

    filters = context_filters(store.months())
    if filters is None:
        return None, "no incidents are stored: no hot spot context"
    p = Pass(store, res=CONTEXT_RES, k=CONTEXT_K, filters=filters)
    emerging = p.emerging() if trend_long_enough(p.cube.months) else None
    return cell_context(p.hotspots(), emerging, res=CONTEXT_RES), context_words(filters, emerging is not None)


def context_words(filters: Filters, emerging: bool) -> str:
    """What the context was computed from, as the page's caption and the CLI say it."""
    from geo.plan.neighbours import day_words

    def month(m: str | None) -> str:
        return day_words(f"{m}-01").split(" ", 1)[1]

    words = f"hot spots: Gi* of anti-social behaviour, {month(filters.month_from)} to {month(filters.month_to)}"
    return words + ("" if emerging else "; too few months for emerging hot spots")


def review_for(
    store: Store,
    *,
    today: dt.date,
    as_of: dt.date | None = None,
    context: tuple[CellContext | None, str] | None = None,
) -> Review:
    """The queue from the store: the one call ``python -m geo review`` and the Review page make.

    ``as_of`` None: :func:`queue_day` of the stored signals (not after ``today``). ``context`` None computes it
    (:func:`context_for`); the page passes the one its cached hot spot tables give.
    """
    from geo.store.patrols import read_properties
    from geo.store.review import read_decisions

    signals = store.read("signals")
    day = as_of or queue_day(signals, today=today)
    if day is None:
        empty = pd.DataFrame({c: pd.Series(dtype=object) for c in REVIEW_COLUMNS})
        hits = pd.DataFrame(
            [{"rule": r.key, "words": r.words, "addresses_12m": 0, "met_now": 0, "on_queue": 0} for r in RULES],
            columns=HIT_COLUMNS,
        )
        return Review(empty, hits, None, "no signals are stored")
    ctx, basis = context if context is not None else context_for(store)
    queue, hits = review_queue(
        signals,
        properties=read_properties(store),
        flagged=store.read("flagged"),
        closures=store.read("closures"),
        decisions=read_decisions(store),
        context=ctx,
        as_of=day,
    )
    words = _day_words(np.array([day.toordinal()])).iloc[0]
    return Review(queue, hits, day, f"signals up to {words}; {basis}")
