"""The exact solver behind the disclosure attack harness: every value an unknown can take over all solutions.

An attack is a set of *units* (an unknown cell, or a piece of the release), each
taking one of its *options*, and linear constraints ``lo <= matrix @ x <= hi``
over the units' *channels*. An option is a tuple, one value per channel: a piece
of the release has two channels, its released value ``r`` and its true value
``t``, and its options are the ``(r, t)`` pairs the public perturbation table
allows; an area's true total, or an old-method cell, has one. Column
``u * channels + c`` of the matrix is channel ``c`` of unit ``u``.

:func:`feasible_values` returns, for each target ``(unit, channel)``, the exact
set of values it takes over all solutions. It never bounds a target from below
and above separately: it starts from a known solution (the truth) and asks the
integer program (``scipy.optimize.milp``, one binary per unit and option), round
after round, for any solution that reaches values not yet reached (one solution
covers many targets at once), until the solver proves that none is left. A
target settled by nothing else is settled on its own, and a pair the solver
cannot settle in its time limit counts as reachable (fewer pins: in the
attacker's disfavour) and is reported.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import partial

import numpy as np
from scipy import sparse
from scipy.optimize import Bounds, LinearConstraint, milp
from scipy.sparse.csgraph import connected_components

#: Print HiGHS's log (for debugging a slow attack).
DISP = False
_EPS = 1e-9

Option = tuple[int, ...]
Target = tuple[int, int]  # (unit, channel)


@dataclass(frozen=True)
class Problem:
    """Units with options, ``lo <= matrix @ x <= hi`` over their channels, and one solution known to satisfy it.

    ``options[u]``: the tuples unit ``u`` may take (ints are read as 1-tuples);
    ``truth[u]``: its value in the known solution (one of its options).
    """

    options: Sequence[Sequence[Option | int]]
    matrix: sparse.csr_matrix
    lo: np.ndarray
    hi: np.ndarray
    truth: Sequence[Option | int]
    channels: int = 1


@dataclass
class Solved:
    """Feasible values per target, and how hard the solver worked (integer programs solved, pairs undecided)."""

    values: dict
    programs: int = 0
    undecided: int = 0


@dataclass(frozen=True)
class _Lin:
    """The rows left after the presolve and the units' options: what the helpers below read."""

    opts: list[list[Option]]
    m: sparse.csr_matrix
    lo: np.ndarray
    hi: np.ndarray
    ch: int


def _as_option(v: Option | int, channels: int) -> Option:
    out = (int(v),) if np.isscalar(v) else tuple(int(x) for x in v)  # type: ignore[union-attr]
    if len(out) != channels:
        raise ValueError(f"an option needs {channels} values, not {out}")
    return out


class _Terms:
    """The matrix's non-zeros grouped by (row, unit): what each unit adds to each row it is in."""

    def __init__(self, m: sparse.csr_matrix, n_units: int, channels: int) -> None:
        coo = m.tocoo()
        self.row, unit, self.ch, self.coef = coo.row, coo.col // channels, coo.col % channels, coo.data
        self.col = coo.col
        key = self.row.astype(np.int64) * n_units + unit
        groups, self.gid = np.unique(key, return_inverse=True)
        self.g_row, self.g_unit = groups // n_units, groups % n_units
        self.g_coef = np.zeros((len(groups), channels))
        np.add.at(self.g_coef, (self.gid, self.ch), self.coef)


class RowSet:
    """Linear constraints gathered as sparse blocks over unit channels: ``lo <= block @ x <= hi``, with a family."""

    def __init__(self) -> None:
        self.blocks: list[sparse.csr_matrix] = []
        self.lo: list[np.ndarray] = []
        self.hi: list[np.ndarray] = []
        self.family: list[str] = []

    def add(self, block, lo, hi, family: str) -> None:
        block = sparse.csr_matrix(block)
        keep = np.diff(block.indptr) > 0
        if keep.any():
            self.blocks.append(block[keep])
            self.lo.append(np.broadcast_to(np.asarray(lo, float), keep.shape)[keep])
            self.hi.append(np.broadcast_to(np.asarray(hi, float), keep.shape)[keep])
            self.family += [family] * int(keep.sum())

    def stack(self, ncols: int) -> tuple[sparse.csr_matrix, np.ndarray, np.ndarray, np.ndarray]:
        """All rows, rows with the same terms merged into one (the tightest bounds)."""
        if not self.blocks:
            return sparse.csr_matrix((0, ncols)), np.zeros(0), np.zeros(0), np.zeros(0, dtype=object)
        blocks = [sparse.csr_matrix((b.data, b.indices, b.indptr), shape=(b.shape[0], ncols)) for b in self.blocks]
        m = sparse.vstack(blocks, format="csr")
        m.sort_indices()
        lo, hi = np.concatenate(self.lo), np.concatenate(self.hi)
        fam = np.array(self.family, dtype=object)
        seen: dict[tuple, int] = {}
        first = np.empty(m.shape[0], dtype=np.int64)
        for r in range(m.shape[0]):
            s, t = m.indptr[r], m.indptr[r + 1]
            first[r] = seen.setdefault((m.indices[s:t].tobytes(), m.data[s:t].tobytes()), r)
        keep = np.unique(first)
        lo_m, hi_m = np.full(m.shape[0], -np.inf), np.full(m.shape[0], np.inf)
        np.maximum.at(lo_m, first, lo)
        np.minimum.at(hi_m, first, hi)
        return m[keep], lo_m[keep], hi_m[keep], fam[keep]


def propagate(
    options: Sequence[Sequence[Option]], matrix: sparse.csr_matrix, lo: np.ndarray, hi: np.ndarray, channels: int
) -> list[list[Option]]:
    """Options with every one that no solution can take taken out, pass after pass until nothing changes.

    For a row ``lo <= sum of the units' contributions <= hi``, an option survives only
    if the other units' extremes leave room for what it adds. Sound (an option of any
    solution is never removed), not complete: what survives is settled by the integer
    programs. Vectorised over rows (each unit's extremes per channel, so a unit in a
    row on two channels is bounded loosely: still sound).
    """
    n = len(options)
    flat = np.array([o for opts in options for o in opts], dtype=float).reshape(-1, channels)
    owner = np.repeat(np.arange(n), [len(o) for o in options])
    alive = np.ones(len(flat), dtype=bool)
    t = _Terms(matrix, n, channels)
    start = np.concatenate([[0], np.cumsum([len(o) for o in options])])
    while True:
        cmin = np.full(n * channels, np.inf)
        cmax = np.full(n * channels, -np.inf)
        cols = owner[alive][:, None] * channels + np.arange(channels)[None, :]
        np.minimum.at(cmin, cols.ravel(), flat[alive].ravel())
        np.maximum.at(cmax, cols.ravel(), flat[alive].ravel())
        tmin = np.where(t.coef > 0, t.coef * cmin[t.col], t.coef * cmax[t.col])
        tmax = np.where(t.coef > 0, t.coef * cmax[t.col], t.coef * cmin[t.col])
        rmin = np.bincount(t.row, tmin, minlength=len(lo))
        rmax = np.bincount(t.row, tmax, minlength=len(lo))
        gmin = np.bincount(t.gid, tmin, minlength=len(t.g_row))
        gmax = np.bincount(t.gid, tmax, minlength=len(t.g_row))
        r = t.g_row
        low = lo[r] - (rmax[r] - gmax)
        high = hi[r] - (rmin[r] - gmin)
        cut = np.flatnonzero((low > gmin + _EPS) | (high < gmax - _EPS))
        if not len(cut):
            break
        units = t.g_unit[cut]
        counts = start[units + 1] - start[units]
        g = np.repeat(cut, counts)
        k = np.concatenate([np.arange(start[u], start[u + 1]) for u in units])
        add = (t.g_coef[g] * flat[k]).sum(axis=1)
        bad = alive[k] & ((add < low[g] - _EPS) | (add > high[g] + _EPS))
        if not bad.any():
            break
        alive[k[bad]] = False
        left = np.bincount(owner[alive], minlength=n)
        if (left == 0).any():
            u = int(np.flatnonzero(left == 0)[0])
            raise ValueError(f"unit {u}: no option satisfies the constraints: the known solution is wrong")
    return [[tuple(int(v) for v in flat[k]) for k in range(start[u], start[u + 1]) if alive[k]] for u in range(n)]


def feasible_values(
    problem: Problem,
    targets: Iterable[Target | int],
    *,
    time_limit: float = 20.0,
    whole: int = 200,
    hops: Sequence[int] = (1, 2, 4),
) -> Solved:
    """The exact set of values each target takes over all solutions of ``problem``.

    ``targets``: ``(unit, channel)`` pairs, or units (channel 0); the result is keyed
    the same way. Units whose contribution to every row is fixed are substituted and
    rows every combination of options satisfies are dropped (the presolve); a target
    in no remaining row takes every value its options have. The rest splits into
    independent components (units joined by rows). A component of up to ``whole``
    units is solved in rounds of one integer program each: find a solution reaching
    as many not-yet-reached (target, value) pairs as possible; stop when the solver
    proves none is left. In a larger one each open pair is first sought near the
    truth: only the units within ``hops`` links of it may move, the rest keep their
    true values, so any solution found is a solution of the whole; only a pair no
    neighbourhood reaches is settled on the whole component (its LP relaxation
    first: if that is infeasible, so is the integer program).
    """
    ch = problem.channels
    given = list(targets)
    keyed = {(t, 0) if np.isscalar(t) else (int(t[0]), int(t[1])): t for t in given}  # type: ignore[index]
    opts = [[_as_option(v, ch) for v in o] for o in problem.options]
    truth = [_as_option(v, ch) for v in problem.truth]
    for u, o in enumerate(opts):
        if truth[u] not in o:
            raise ValueError(f"unit {u}: the known solution {truth[u]} is not an option {o}")
    m = sparse.csr_matrix(problem.matrix, dtype=float)
    lo_all, hi_all = np.asarray(problem.lo, float), np.asarray(problem.hi, float)
    opts = propagate(opts, m, lo_all, hi_all, ch) if m.shape[0] else opts
    for u, o in enumerate(opts):
        if truth[u] not in o:
            raise ValueError(f"unit {u}: the known solution {truth[u]} breaks a constraint")
    n = len(opts)
    cmin = np.array([[min(o[c] for o in opts[u]) for c in range(ch)] for u in range(n)], dtype=float).ravel()
    cmax = np.array([[max(o[c] for o in opts[u]) for c in range(ch)] for u in range(n)], dtype=float).ravel()
    pos, neg = m.maximum(0), m.minimum(0)
    row_min, row_max = pos @ cmin + neg @ cmax, pos @ cmax + neg @ cmin
    live = ~((row_min >= lo_all - _EPS) & (row_max <= hi_all + _EPS))
    m, lo, hi = m[live], lo_all[live], hi_all[live]
    pattern = _pattern(m, cmin, cmax, n, ch)
    want = sorted(keyed)
    # totals (units one equality defines) are added up and small components enumerated, not searched
    done, drop, settled = _settle_small(_Lin(opts, m, lo, hi, ch), pattern, cmin, want)
    m, lo, hi, pattern = m[~drop], lo[~drop], hi[~drop], pattern[~drop]
    in_rows = np.asarray(pattern.sum(axis=0)).ravel() > 0
    in_rows[list(settled)] = False
    # options that differ only in channels no remaining row reads (and no target asks for) are one option
    relevant = (np.asarray(abs(m).sum(axis=0)).ravel() > 0).reshape(n, ch)
    for u, c in want:
        relevant[u, c] = True
    opts = [
        list(dict.fromkeys(tuple(o[c] if relevant[u, c] else truth[u][c] for c in range(ch)) for o in opts[u]))
        for u in range(n)
    ]
    solved = Solved({})
    rest = [t for t in want if in_rows[t[0]]]
    done |= {t: frozenset(o[t[1]] for o in opts[t[0]]) for t in want if not in_rows[t[0]] and t not in done}
    reached: dict[Target, set[int]] = {t: {truth[t[0]][t[1]]} for t in rest}
    if rest:
        _search(
            _Lin(opts, m, lo, hi, ch),
            truth,
            pattern,
            rest,
            reached=reached,
            solved=solved,
            in_rows=in_rows,
            time_limit=time_limit,
            whole=whole,
            hops=hops,
        )
    done.update({t: frozenset(v) for t, v in reached.items()})
    solved.values = {keyed[t]: done[t] for t in want}
    return solved


def _pattern(m: sparse.csr_matrix, cmin: np.ndarray, cmax: np.ndarray, n: int, ch: int) -> sparse.csr_matrix:
    """Rows × units, 1 where the unit is free in the row (its contribution there can change)."""
    varies = sparse.diags((cmax > cmin).astype(float))
    col_pattern = sparse.csr_matrix((abs(m) > 0).astype(float) @ varies)
    col_pattern.eliminate_zeros()
    to_unit = sparse.csr_matrix((np.ones(n * ch), (np.arange(n * ch), np.arange(n * ch) // ch)), shape=(n * ch, n))
    pattern = sparse.csr_matrix(col_pattern @ to_unit)
    pattern.data[:] = 1.0
    return pattern


#: A component whose options (as its rows read them) make at most this many combinations is enumerated.
ENUMERATE = 20_000


def _settle_small(rows: _Lin, pattern, cmin, want) -> tuple[dict, np.ndarray, set[int]]:
    """Targets settled without an integer program: totals and small components. Returns (values, rows, units).

    A *total* is a unit in one row only, an equality ``±x_u + sum of the rest = b`` with
    whole coefficients, whose values cover every whole number the rest can make: the
    row never constrains the rest, it only says what ``x_u`` is. The other rows split
    the units into independent components; one small enough is enumerated (every
    combination of its options as its rows read them, checked against its rows). A
    total whose rest lies in units no row constrains and in enumerated components takes
    exactly ``b`` minus the sums the rest can make: a sum of sets, one per free unit and
    one per component (over the component's solutions). A total over a component too
    large to enumerate goes back to the integer programs with its row. Returns the
    settled targets' values, the rows settled (to drop) and the units settled.
    """
    opts, m, lo, hi, ch = rows.opts, rows.m, rows.lo, rows.hi, rows.ch
    free_in = np.asarray(pattern.sum(axis=0)).ravel()
    cand: dict[int, tuple[int, int]] = {}  # row -> (unit, channel)
    for r in range(m.shape[0]):
        s, e = m.indptr[r], m.indptr[r + 1]
        cols, coef = m.indices[s:e], m.data[s:e]
        if lo[r] != hi[r] or not np.all(coef == np.round(coef)):
            continue
        units = cols // ch
        for col, a in zip(cols, coef, strict=True):
            u = int(col // ch)
            covered = abs(a) == 1 and free_in[u] == 1 and (units == u).sum() == 1
            if covered and _row_values(rows, r, u) <= {o[col % ch] for o in opts[u]}:
                cand[r] = (u, int(col % ch))
                break
    while True:
        stays = np.ones(m.shape[0], dtype=bool)
        stays[list(cand)] = False
        sub = pattern[stays]
        held = np.asarray(sub.sum(axis=0)).ravel() > 0
        _, comp = connected_components(sparse.csr_matrix(sub.T @ sub), directed=False)
        read = set(np.unique(m[stays].indices).tolist())
        size: dict[int, int] = {}
        for u in np.flatnonzero(held):
            size[comp[u]] = size.get(comp[u], 1) * len(_projected(opts[u], read, u, ch))
        small = {k for k, v in size.items() if v <= ENUMERATE}
        back = [r for r, (u, _) in cand.items() if any(held[v] and comp[v] not in small for v in pattern[r].indices)]
        if not back:
            break
        for r in back:
            del cand[r]
    stay_rows = np.flatnonzero(stays)
    done: dict[Target, frozenset[int]] = {}
    drop = ~stays
    settled = {u for u, _ in cand.values()}
    solutions: dict[int, tuple[list[int], list[list[frozenset[Option]]]]] = {}
    asked = {t[0] for t in want} | {int(v) for r in cand for v in pattern[r].indices}
    for k in small:
        units = [int(u) for u in np.flatnonzero(held & (comp == k))]
        its = stay_rows[np.unique(sub[:, units].tocsc().indices)]
        drop[its] = True  # a component no target depends on is dropped: the truth satisfies it
        settled |= set(units)
        if asked.isdisjoint(units):
            continue
        solutions[k] = (units, _enumerate(rows, its, units, cmin))
        for i, u in enumerate(units):
            for t in want:
                if t[0] == u:
                    done[t] = frozenset(o[t[1]] for sol in solutions[k][1] for o in sol[i])
    for r, (u, c) in cand.items():
        values = _total_values(rows, r, u, components=(held, comp, solutions))
        for t in want:
            if t[0] == u:
                done[t] = frozenset(o[t[1]] for o in opts[u] if o[c] in values)
    return done, drop, settled


def _projected(options, read: set[int], u: int, ch: int) -> dict[tuple, list[Option]]:
    """A unit's options grouped by what rows reading columns ``read`` see of them (its channels there)."""
    seen = [c for c in range(ch) if u * ch + c in read]
    out: dict[tuple, list[Option]] = {}
    for o in options:
        out.setdefault(tuple(o[c] for c in seen), []).append(o)
    return out


def _enumerate(lin: _Lin, rows: np.ndarray, units: list[int], cmin: np.ndarray) -> list[list[frozenset[Option]]]:
    """Every solution of a small component: per solution, per unit, the options consistent with it."""
    opts, m, lo, hi, ch = lin.opts, lin.m, lin.lo, lin.hi, lin.ch
    mr = m[rows]
    inside = np.zeros(len(opts) * ch, dtype=bool)
    for u in units:
        inside[u * ch : (u + 1) * ch] = True
    const = mr @ np.where(inside, 0.0, cmin)  # units outside the component are fixed in these rows
    read = set(np.unique(mr.indices).tolist())
    groups = [_projected(opts[u], read, u, ch) for u in units]
    keys = [list(g) for g in groups]
    adds = []
    for u, g in zip(units, groups, strict=True):
        block = mr[:, u * ch : (u + 1) * ch].toarray()
        adds.append(np.array([block @ np.array(g[k][0], dtype=float) for k in g]))  # options × rows
    pick = np.array(list(itertools.product(*[range(len(k)) for k in keys])), dtype=np.int64).reshape(-1, len(units))
    total = const[None, :] + sum(a[pick[:, i]] for i, a in enumerate(adds))
    ok = np.all((total >= lo[rows] - _EPS) & (total <= hi[rows] + _EPS), axis=1)
    return [[frozenset(groups[i][keys[i][j]]) for i, j in enumerate(row)] for row in pick[ok]]


def _total_values(lin: _Lin, r: int, u: int, *, components: tuple) -> frozenset[int]:
    """What a total takes: ``b`` minus every sum its rest makes (free units' options, components' solutions).

    ``components``: (units some row holds, their components, the components' solutions).
    """
    opts, m, ch, b = lin.opts, lin.m, lin.ch, lin.lo[r]
    held, comp, solutions = components
    s, e = m.indptr[r], m.indptr[r + 1]
    a_u = 1.0
    terms: dict[int, list[tuple[int, float]]] = {}
    for col, a in zip(m.indices[s:e], m.data[s:e], strict=True):
        if col // ch == u:
            a_u = a
        else:
            terms.setdefault(int(col // ch), []).append((int(col % ch), a))

    def add(o: Option, read) -> int:
        return round(sum(a * o[k] for k, a in read))

    sums = {0}
    by_comp: dict[int, list[int]] = {}
    for v, parts in terms.items():
        if held[v]:
            by_comp.setdefault(int(comp[v]), []).append(v)
        else:
            sums = {x + y for x in sums for y in {add(o, parts) for o in opts[v]}}
    for k, members in by_comp.items():
        units, sols = solutions[k]
        at = [units.index(v) for v in members]
        made: set[int] = set()
        for sol in {tuple(sol[i] for i in at) for sol in sols}:
            part = {0}
            for v, allowed in zip(members, sol, strict=True):
                part = {x + y for x in part for y in {add(o, terms[v]) for o in allowed}}
            made |= part
        sums = {x + y for x in sums for y in made}
    return frozenset(round((b - x) / a_u) for x in sums)


def _row_values(lin: _Lin, r: int, u: int) -> frozenset[int]:
    """The values ``x_u`` takes in row ``r`` (``a x_u + rest = b``) over every choice of the rest's options."""
    opts, m, ch, b = lin.opts, lin.m, lin.ch, lin.lo[r]
    s, e = m.indptr[r], m.indptr[r + 1]
    sums = {0}
    a_u = 1.0
    terms: dict[int, list[tuple[int, float]]] = {}
    for col, a in zip(m.indices[s:e], m.data[s:e], strict=True):
        if col // ch == u:
            a_u = a
        else:
            terms.setdefault(int(col // ch), []).append((int(col % ch), a))
    for v, parts in terms.items():
        adds = {round(sum(a * o[k] for k, a in parts)) for o in opts[v]}
        sums = {x + y for x in sums for y in adds}
    return frozenset(round((b - x) / a_u) for x in sums)


def _search(lin: _Lin, truth, pattern, rest, *, reached, solved, in_rows, time_limit, whole, hops) -> None:
    """The rounds of integer programs of :func:`feasible_values` over the units left free by the presolve."""
    opts, m, lo, hi, ch = lin.opts, lin.m, lin.lo, lin.hi, lin.ch
    n = len(opts)
    adjacency = (pattern.T @ pattern).tocsr()
    _, comp = connected_components(adjacency, directed=False)
    by_unit = pattern.T.tocsr()  # unit -> rows it is free in
    truth_cols = np.array([v for u in range(n) for v in truth[u]], dtype=float)
    target_units = {u for u, _ in rest}
    channels_of: dict[int, list[int]] = {}
    for u, c in rest:
        channels_of.setdefault(u, []).append(c)

    def sub(cells: np.ndarray, open_pairs, force=None, *, relax: bool = False):
        """Solve with only ``cells`` free (the rest at the truth): the number of open pairs reached, or None."""
        rows = np.unique(by_unit[cells].indices)
        mr = m[rows]
        movable = np.zeros(n * ch, dtype=bool)
        movable[(cells[:, None] * ch + np.arange(ch)).ravel()] = True
        const = mr @ np.where(movable, 0.0, truth_cols)
        cols: dict[tuple[int, int], int] = {}
        vr, vc, vv, er, ec = [], [], [], [], []
        for j, u in enumerate(cells):
            for k, o in enumerate(opts[u]):
                b = cols[(int(u), k)] = len(cols)
                er.append(j)
                ec.append(b)
                for c in range(ch):
                    if o[c]:
                        vr.append(j * ch + c)
                        vc.append(b)
                        vv.append(o[c])
        nb = len(cols)
        value = sparse.csr_matrix((vv, (vr, vc)), shape=(len(cells) * ch, nb))
        one = sparse.csr_matrix((np.ones(nb), (er, ec)), shape=(len(cells), nb))
        a = (mr[:, (cells[:, None] * ch + np.arange(ch)).ravel()] @ value).tocsr()
        obj = np.zeros(nb)
        for (u, c), v in open_pairs:
            for k, o in enumerate(opts[u]):
                if o[c] == v and (u, k) in cols:
                    obj[cols[(u, k)]] -= 1.0
        ub = np.ones(nb)
        if force is not None:
            (u, c), v = force
            for k, o in enumerate(opts[u]):
                if o[c] != v:
                    ub[cols[(u, k)]] = 0.0
        solved.programs += 1
        res = milp(
            obj,
            constraints=[LinearConstraint(one, 1, 1), LinearConstraint(a, lo[rows] - const, hi[rows] - const)],
            integrality=np.zeros(nb) if relax else np.ones(nb),
            bounds=Bounds(np.zeros(nb), ub),
            options={"time_limit": time_limit, "disp": DISP},
        )
        if res.x is None:
            return None, res.status
        if not relax:
            for (u, k), b in cols.items():
                if res.x[b] > 0.5 and u in target_units:
                    for c in channels_of[u]:
                        reached[(u, c)].add(opts[u][k][c])
        return -res.fun, res.status

    def open_in(units: set[int]):
        return [
            (t, v) for t in rest if t[0] in units for v in sorted({o[t[1]] for o in opts[t[0]]}) if v not in reached[t]
        ]

    labels = np.unique(comp[[u for u, _ in rest]])
    sizes = np.bincount(comp[in_rows], minlength=comp.max() + 1)
    small = labels[sizes[labels] <= whole]
    batches, packed, size = [], [], 0  # small components packed into programs of up to ``whole`` units
    for label in small:
        if size + sizes[label] > whole and packed:
            batches.append(np.flatnonzero(np.isin(comp, packed) & in_rows))
            packed, size = [], 0
        packed.append(label)
        size += sizes[label]
    if packed:
        batches.append(np.flatnonzero(np.isin(comp, packed) & in_rows))
    batches += [np.flatnonzero((comp == label) & in_rows) for label in labels[sizes[labels] > whole]]
    for cells in batches:
        members = set(cells.tolist())
        if np.all(sizes[np.unique(comp[cells])] <= whole):
            while pairs := open_in(members):
                gain, status = sub(cells, pairs)
                if gain is not None and gain > 0.5:
                    continue
                if status != 0:
                    _settle_each(pairs, partial(sub, cells, []), partial(sub, cells, [], relax=True), solved, reached)
                break
            continue
        # a large component: a few rounds on the whole first (they reach most pairs at once), then pair by pair
        for _ in range(3):
            pairs = open_in(members)
            if not pairs:
                break
            gain, _status = sub(cells, pairs)
            if gain is None or gain < 0.5:
                break
        for t, v in open_in(members):
            if v in reached[t]:
                continue
            near = np.array([t[0]])
            found = False
            for h in range(max(hops)):
                near = np.union1d(near, adjacency[near].indices)
                if h + 1 in hops:
                    gain, _ = sub(near, [], (t, v))
                    if gain is not None:
                        found = True
                        break
            if not found:
                _settle_each([(t, v)], partial(sub, cells, []), partial(sub, cells, [], relax=True), solved, reached)


def _settle_each(pairs, integer, relaxed, solved: Solved, reached: dict) -> None:
    """Settle each open (target, value) on its own: LP infeasible, or integer feasible/infeasible, or undecided."""
    for t, v in pairs:
        if v in reached[t]:
            continue
        gain, status = relaxed((t, v))
        if gain is None and status == 2:
            continue  # not even the relaxation reaches it
        gain, status = integer((t, v))
        if gain is None and status != 2:
            solved.undecided += 1
            reached[t].add(v)
