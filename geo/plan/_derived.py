"""The study area and its spatial weights, computed once per boundaries and kept in the store.

Laying hexagons over a force's wards takes about a second, and nationally
several; the Gi* weights over them a fraction more. Both depend only on the
boundaries, the resolution (and for the weights the neighbourhood ``k``), so
every command and every dashboard process can share one copy
(:meth:`geo.store.Store.derived`): the CLI's ``hotspots``, ``emerging`` and
``priority`` and the patrol planner no longer rebuild them.

The key is a SHA-256 of exactly what the result is computed from: a rule
version (:data:`RULES`, bumped whenever the study-area or weights rule
changes), the resolution and ``k``, and every ward's and estate's code and
outline (WKB, in code order). So a key can never name a stale result: new
boundaries give a new key, and the old entry is pruned when nobody reads it.

Entries are ``numpy.savez`` archives read with ``allow_pickle=False``: the
bytes in a database are data, never code, whoever wrote them. A damaged or
unreadable entry is recomputed (and the recomputed one is what is used), not
trusted.
"""

from __future__ import annotations

import hashlib
import io
import zipfile

import geopandas as gpd
import numpy as np
import scipy.sparse as sp
import shapely

from geo.core.errors import OptionError
from geo.stats.aggregate import StudyArea, study_area
from geo.stats.weights import Weights, cells_to_gi_weights
from geo.store import Store

#: What the kept results were computed by; a change to either rule must change these, so old keys are never read.
RULES = {"area": "study-area/1 overlap cells, centre labels", "weights": "gi-weights/1 binary k rings, self included"}


def boundaries_digest(wards: gpd.GeoDataFrame | None, estates: gpd.GeoDataFrame | None) -> str:
    """SHA-256 of every ward's and estate's code and outline, in code order (the layer named in front)."""
    h = hashlib.sha256()
    for name, layer in (("wards", wards), ("estates", estates)):
        h.update(f"\x00{name}\x00".encode())
        if layer is None or layer.empty:
            continue
        order = np.argsort(layer["code"].astype(str).to_numpy(), kind="stable")
        codes = layer["code"].astype(str).to_numpy()[order]
        wkb = shapely.to_wkb(layer.geometry.to_numpy()[order])
        h.update(
            b"".join(
                f"{len(c)}:{c}".encode() + len(g).to_bytes(8, "little") + g for c, g in zip(codes, wkb, strict=True)
            )
        )
    return h.hexdigest()


def area_key(digest: str, *, res: int) -> str:
    """The key of the study area over boundaries with this digest at ``res``."""
    return hashlib.sha256(f"{RULES['area']}|res={res}|{digest}".encode()).hexdigest()


def weights_key(area: StudyArea, *, k: int) -> str:
    """The key of the Gi* weights over these cells with ``k`` rings (hashed from the cells themselves)."""
    cells = np.ascontiguousarray(area.cells, dtype=np.uint64)
    return hashlib.sha256(f"{RULES['weights']}|k={k}|".encode() + cells.tobytes()).hexdigest()


def area_to_bytes(area: StudyArea) -> bytes:
    """The study area as a numpy archive: cells, and ward and estate codes as a list plus positions."""
    ward_codes, ward_at = np.unique(np.asarray(area.ward, dtype=str), return_inverse=True)
    estate_codes, estate_at = np.unique(np.asarray(area.estate, dtype=str), return_inverse=True)
    out = io.BytesIO()
    np.savez(
        out,
        res=np.array([area.res]),
        cells=np.asarray(area.cells, dtype=np.uint64),
        ward_codes=ward_codes,
        ward_at=ward_at.astype(np.int32),
        estate_codes=estate_codes,
        estate_at=estate_at.astype(np.int32),
    )
    return out.getvalue()


def bytes_to_area(data: bytes) -> StudyArea:
    """Inverse of :func:`area_to_bytes` (``ValueError`` and kin for bytes that are not one)."""
    with np.load(io.BytesIO(data), allow_pickle=False) as z:
        labels = {name: z[f"{name}_codes"].astype(object)[z[f"{name}_at"]] for name in ("ward", "estate")}
        cells = z["cells"].astype(np.uint64)
        if any(len(v) != len(cells) for v in labels.values()):
            raise ValueError("labels do not match the cells")
        return StudyArea(res=int(z["res"][0]), cells=cells, ward=labels["ward"], estate=labels["estate"])


def weights_to_bytes(weights: Weights) -> bytes:
    m = weights.matrix
    out = io.BytesIO()
    np.savez(out, shape=np.array(m.shape), indptr=m.indptr, indices=m.indices, data=m.data)
    return out.getvalue()


def bytes_to_weights(data: bytes) -> Weights:
    with np.load(io.BytesIO(data), allow_pickle=False) as z:
        shape = tuple(int(v) for v in z["shape"])
        return Weights(sp.csr_matrix((z["data"], z["indices"], z["indptr"]), shape=shape))


#: What reading bytes that are not one of our archives raises (OptionError: a matrix Weights refuses).
_UNREADABLE = (ValueError, KeyError, OSError, EOFError, zipfile.BadZipFile, OptionError)


def cached_study_area(store: Store, *, res: int) -> StudyArea:
    """The study area over the store's wards and estates at ``res``: kept in the store, computed on a miss.

    The boundaries are read to hash them (a tenth of a second nationally); the
    hexagons are laid over them only when no process has done so before.
    """
    wards, estates = store.read_boundaries("wards"), store.read_boundaries("estates")
    key = area_key(boundaries_digest(wards, estates), res=res)
    kept = store.derived(key)
    if kept is not None:
        try:
            area = bytes_to_area(kept)
            if area.res == res:
                return area
        except _UNREADABLE:
            pass  # damaged (or not ours): computed again and replaced below
    area = study_area(wards, estates, res=res)
    store.keep_derived(key, area_to_bytes(area), replace=kept is not None)
    return area


def cached_weights(store: Store, area: StudyArea, *, k: int) -> Weights:
    """Gi* weights over the study area's cells with ``k`` rings: kept in the store, computed on a miss."""
    key = weights_key(area, k=k)
    kept = store.derived(key)
    if kept is not None:
        try:
            weights = bytes_to_weights(kept)
            if weights.n == len(area):
                return weights
        except _UNREADABLE:
            pass
    weights = cells_to_gi_weights(area.cells, k=k)
    store.keep_derived(key, weights_to_bytes(weights), replace=kept is not None)
    return weights
