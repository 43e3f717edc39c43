"""Spatial weights prepared for Gi*: the matrix and every sum Gi* takes from the weights alone.

The space layer (:func:`geo.space.hexes.cells_to_weights`) says which cells
are neighbours; this module turns that matrix into what the statistics need,
once per study area: a canonical, read-only CSR matrix, its row sums and
Gi*'s per-cell denominator. :mod:`geo.stats.hotspots` and
:mod:`geo.stats.emerging` read weights only through here, so both check and
sum them the same way.
"""

from __future__ import annotations

from typing import Any, NoReturn

import numpy as np
import scipy.sparse as sp

from geo.core.errors import OptionError
from geo.space.hexes import cells_to_weights


class Weights:
    """Spatial weights prepared for Gi*: the matrix and everything Gi* derives from it alone.

    Build once per study area and neighbourhood, then pass to :func:`gi_star`
    (or :func:`geo.stats.emerging.space_time_gi`) as often as needed: the checks,
    the conversion to CSR, the row sums and Gi*'s per-cell denominator are
    not repeated. Immutable: the matrix is a private copy with read-only
    arrays, so the sums cannot go stale behind the object's back.

    Parameters
    ----------
    w
        n × n weights in any form :func:`gi_star` takes (dense, any scipy sparse
        matrix or array, duplicates summed), or another :class:`Weights`.

    Attributes
    ----------
    matrix
        n × n float64 CSR matrix, canonical (sorted indices, no duplicates).
    w_sum, w_sq_sum
        ``Σ_j w_ij`` and ``Σ_j w_ij²`` of every row (read-only).
    """

    __slots__ = ("_root", "_undefined", "matrix", "w_sq_sum", "w_sum")

    matrix: sp.csr_matrix
    w_sum: np.ndarray
    w_sq_sum: np.ndarray
    _root: np.ndarray
    _undefined: np.ndarray

    def __init__(self, w: Any) -> None:
        if isinstance(w, Weights):
            for name in self.__slots__:
                object.__setattr__(self, name, getattr(w, name))
            return
        matrix = _to_csr(w)
        if matrix.shape[0] != matrix.shape[1]:
            raise OptionError(f"weights must be a square n × n matrix, not shape {matrix.shape}", option="w")
        self._prepare(matrix, copy=True)

    @classmethod
    def _of(cls, w: Any, n: int) -> Weights:
        """``w`` as Weights over n values: as it is if it already is, else prepared for one use.

        The one-use object shares the caller's arrays (no copy, nothing set
        read-only) and lives only for the call that made it.
        """
        if isinstance(w, Weights):
            if w.n != n:
                raise OptionError(
                    f"weights of shape {w.matrix.shape} do not match {n} values; expected ({n}, {n})", option="w"
                )
            return w
        out = cls.__new__(cls)
        out._prepare(as_weights(w, n), copy=False)
        return out

    def _prepare(self, matrix: sp.csr_matrix, *, copy: bool) -> None:
        if copy:
            matrix = sp.csr_matrix(
                (matrix.data.copy(), matrix.indices.copy(), matrix.indptr.copy()), shape=matrix.shape
            )
            matrix.has_canonical_format = True  # a copy of a canonical matrix
            for a in (matrix.data, matrix.indices, matrix.indptr):
                a.setflags(write=False)
        w_sum, w_sq_sum = weight_sums(matrix)
        if not (np.isfinite(w_sum).all() and np.isfinite(w_sq_sum).all()):
            raise OptionError("weights must all be finite (no NaN or infinity), and so must their row sums", option="w")
        n = matrix.shape[0]
        # The denominator √((n S1 − W²)/(n − 1)) without the standard deviation. n·S1 − W² ≥ 0
        # (Cauchy–Schwarz), 0 only when every value is an equally weighted neighbour (or none is):
        # such cells are "undefined" and get z = 0. The tolerance absorbs rounding of non-binary weights.
        spread = n * w_sq_sum - w_sum**2
        ok = spread > 1e-12 * n * w_sq_sum
        root = np.ones(n)
        if n > 1:
            np.sqrt(spread / (n - 1), out=root, where=ok)
        undefined = np.flatnonzero(~ok)
        for a in (w_sum, w_sq_sum, root, undefined):
            a.setflags(write=False)
        for name, value in (
            ("matrix", matrix),
            ("w_sum", w_sum),
            ("w_sq_sum", w_sq_sum),
            ("_root", root),
            ("_undefined", undefined),
        ):
            object.__setattr__(self, name, value)

    @property
    def n(self) -> int:
        """Number of cells (rows and columns)."""
        return int(self.matrix.shape[0])

    def __setattr__(self, name: str, value: object) -> NoReturn:
        raise AttributeError(f"Weights are immutable; cannot set {name!r}")

    def __delattr__(self, name: str) -> NoReturn:
        raise AttributeError(f"Weights are immutable; cannot delete {name!r}")

    def __repr__(self) -> str:
        return f"Weights(n={self.n}, nnz={self.matrix.nnz})"

    def __reduce__(self) -> tuple[type[Weights], tuple[sp.csr_matrix]]:
        # Pickled (e.g. by a cache) as its matrix, and prepared again on loading.
        return Weights, (self.matrix,)


def _to_csr(w: Any) -> sp.csr_matrix:
    """``w`` as a float CSR matrix with duplicate entries summed, never modifying the caller's matrix."""
    try:
        out = sp.csr_matrix(w, dtype=np.float64)
    except (TypeError, ValueError) as exc:
        raise OptionError(f"weights must be an n × n matrix: {exc}", option="w") from None
    if not out.has_canonical_format:
        out = out.copy()
        out.sum_duplicates()
    return out


def as_weights(w: Weights | sp.spmatrix | sp.sparray | np.ndarray, n: int) -> sp.csr_matrix:
    """``w`` as an n × n float CSR matrix with duplicate entries summed, or an :class:`~geo.core.errors.OptionError`.

    Shared with :mod:`geo.stats.emerging` so both read weights the same way; the
    caller's matrix is never modified. A :class:`Weights` gives its (read-only) matrix.
    """
    out = w.matrix if isinstance(w, Weights) else _to_csr(w)
    if out.shape != (n, n):
        raise OptionError(f"weights of shape {out.shape} do not match {n} values; expected ({n}, {n})", option="w")
    return out


def weight_sums(w: Weights | sp.csr_matrix) -> tuple[np.ndarray, np.ndarray]:
    """``W_i = Σ_j w_ij`` and ``S1_i = Σ_j w_ij²`` of every row of a matrix from :func:`as_weights`.

    As products with a vector of ones: several times faster than
    ``w.sum(axis=1)``. A :class:`Weights` gives the sums it holds (read-only).
    """
    if isinstance(w, Weights):
        return w.w_sum, w.w_sq_sum
    ones = np.ones(w.shape[1])
    w_sum = w @ ones
    if np.all(w.data == 1.0):  # binary weights (the usual case): squares are the weights themselves
        return w_sum, w_sum.copy()
    squared = sp.csr_matrix((w.data**2, w.indices, w.indptr), shape=w.shape)
    return w_sum, squared @ ones


def cells_to_gi_weights(cells: np.ndarray, *, k: int = 1) -> Weights:
    """:func:`geo.space.hexes.cells_to_weights` prepared for Gi* (:class:`Weights`): build once per study area.

    Holds the checked CSR matrix with its row sums and Gi*'s per-cell
    denominator, so :func:`geo.stats.hotspots.gi_star` on it does only the work that
    depends on the values.
    """
    return Weights(cells_to_weights(cells, k=k))
