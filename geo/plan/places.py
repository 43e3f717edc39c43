"""Names people use for the hexagons, and the lookups that find a place on the map.

An inspector briefs "Beacon Court", not ``89194559203ffff``. Every study-area
cell gets a name by the first of these rules that gives one (:data:`RULES`;
each is a whole-array step over the view's rows, never a loop per cell):

1. ``location``: the location text of most of the cell's incidents in the view
   (its months, categories and sources), e.g. "On or near Beacon Court". That is
   police.uk's own anonymised snap-point name: what the public map shows.
2. ``address``: the street of most of the case addresses (flagged addresses and
   closure orders; never victims' homes) in the cell, for partner data that has
   no location text. Only the street leaves: the rule of :func:`texts_to_streets`.
3. ``near location`` / ``near address``: as 1 and 2 over the cell's six
   neighbours, "near Beacon Court" (a hot spot's quiet neighbour is scored too).
4. ``estate`` / ``ward``: "in Gorse Hill estate", "in Hillfields ward": the areas
   holding the cell's centre (the study area's one rule), the smaller first.
5. ``edge``: a cell whose centre lies outside every area: "at the edge of
   Hillfields ward", the ward (else estate) of most of its neighbours.
6. ``position``: the cell's centre, "near 51.4545° N, 2.5879° W", so a name is never
   empty and never only an H3 id.

**Ties** (two texts with as many incidents, two streets with as many addresses)
go to the text first in alphabetical order (lower-cased, then by code point), so
the same data always gives the same name, whatever order the rows were stored or
read in, on either backend, and a person can see why.

**Location text** is cleaned before it counts (:func:`texts_to_places`): a text
that names nothing ("On or near " with no street, police.uk's "No Location", a
blank) is no name. Partner exports put addresses and notes in their location
columns, so every text goes through the street rule (:mod:`geo.plan._street`): no
door number, person's name, e-mail address, phone number, control character or
note reaches a name, a tooltip or an export, whoever wrote the text. Only rows
whose ``source`` is police.uk keep whatever their "On or near …" names: the
leniency follows where the row came from, never how its text begins.

:func:`search_entries` lists wards, estates and streets with their bounds for
the search box; :func:`cell_from_text` reads a typed H3 id; :func:`cells_to_bounds`
gives the bounds of hexagons (the map fits the data of the view).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import scipy.sparse as sp
import shapely

from geo.core.keys import dictionary_parts
from geo.plan._street import STREET_WORDS, clean_texts, streets
from geo.space.hexes import RESOLUTIONS, cells_to_latlng, cells_to_polygons, cells_to_weights, points_to_cells
from geo.space.hexes import strings_to_cells as _strings_to_cells
from geo.stats.aggregate import Filters, Incidents, StudyArea, filters_to_mask

if TYPE_CHECKING:
    import geopandas as gpd

    from geo.store import Store

__all__ = ["CASE_ADDRESS_KINDS", "LOCATION_COLUMNS", "NO_LOCATION", "RULES", "SEARCH_COLUMNS", "STREET_WORDS"]
__all__ += ["Places", "cell_bounds", "cell_from_text", "cell_places", "cells_to_bounds", "incidents_to_locations"]
__all__ += ["load_places", "locations_in_cell", "search_entries", "texts_to_places", "texts_to_streets"]

#: The naming rules in the order they are tried (the module docstring says what each does and why).
RULES = ("location", "address", "near location", "near address", "estate", "ward", "edge", "position")
#: Case kinds whose addresses may name a street (closure orders are public; victims' homes never name anything).
CASE_ADDRESS_KINDS = ("flagged", "closures")
#: What a cell's list of places says for incidents whose text names no place.
NO_LOCATION = "(no location text)"
#: One row per cell and location text: its incidents in the view and the bounds of their points.
LOCATION_COLUMNS = ["cell", "text", "location", "street", "incidents", "min_lng", "min_lat", "max_lng", "max_lat"]
#: The search index: what the user picks, what it is, and where the map goes.
SEARCH_COLUMNS = ["label", "kind", "min_lng", "min_lat", "max_lng", "max_lat"]

#: police.uk's names for snap points that are not streets: no search entry of kind "street" (they are everywhere).
_POLICE_UK_PLACES = (
    "Parking Area|Supermarket|Petrol Station|Shopping Area|Sports/Recreation Area|Nightclub|Theatre/Concert Hall|"
    "Further/Higher Educational Building|Hospital|Police Station|Conference/Exhibition Centre|Pedestrian Subway|"
    "Bus/Coach Station|Airport/Airfield|Prison|Park/Open Space"
)
POLICE_UK_PLACES = frozenset(_POLICE_UK_PLACES.lower().split("|"))
#: The ``source`` of rows from police.uk's own files: only their "On or near …" texts name whatever they name.
POLICE_UK = "police.uk"

_HEX_ID = re.compile(r"[0-9a-f]{15}")


def _text(values: pa.Array | pd.Series | np.ndarray) -> pa.Array:
    """Text as one ``large_string`` array, missing values blank."""
    if isinstance(values, pa.ChunkedArray):
        values = values.combine_chunks() if values.num_chunks else pa.array([], pa.large_string())
    if not isinstance(values, pa.Array):
        series = pd.Series(values, dtype=object)
        values = pa.array(series.where(series.notna(), None).astype(object), type=pa.large_string(), from_pandas=True)
    return pc.fill_null(values.cast(pa.large_string()), "")


def texts_to_streets(values: pa.Array | pd.Series | np.ndarray, *, police: np.ndarray | bool = False) -> np.ndarray:
    """The street named by each address or location text, ``""`` when it names none.

    The rule (why: only the street may leave; a door number, a flat, a house's name,
    a postcode, a person's name, an e-mail address or a phone number would place
    or name one household; the detail is in :mod:`geo.plan._street`):

    1. Control and format characters are spaces, NFKC folds compatibility forms,
       any whitespace is one space; police.uk's "On or near" is set aside.
    2. Postcodes, floors, flat/unit designators with their number or letter,
       door numbers in any digits or words ("12", "12-14", "١٢", "Twelve") and
       free text (brackets, colons, e-mail and web addresses, phone numbers, a
       spaced dash) break the text into parts like its commas.
    3. The street is, in the first part that followed a door number, else the
       first part holding one, the shortest run of words ending in a street word
       (:data:`STREET_WORDS`): "Beacon Court" of "Outside Jane Doe house Beacon
       Court". Only police.uk's own "On or near …" texts (``police`` true: the
       row's source is police.uk) name whatever they name ("Supermarket", "A38"),
       at most six words. Anything else names no street: "Rose Cottage" is a
       house, "NE1 4XY" a postcode, "behind the shops" a note.
    4. At most 60 characters, cut at a word with "…".

    ``police``: per text (or one for all), whether it came from a police.uk file; default none did.
    Vectorised in arrow over the texts given (pass distinct values: the work is per text, not per row).
    """
    return _streets(values, police)[0]


def texts_to_places(
    values: pa.Array | pd.Series | np.ndarray, *, police: np.ndarray | bool = False
) -> tuple[np.ndarray, np.ndarray]:
    """Each location text as a place name and its street: ``("On or near Beacon Court", "Beacon Court")``.

    police.uk's "On or near …" form (of a text whose ``police`` is true: its row's source
    is police.uk) is kept as police.uk writes it (the public map's wording); any other
    text is an address or a description and names its street only (:func:`texts_to_streets`).
    ``("", "")`` for a text that names nothing.
    """
    street, lenient = _streets(values, police)
    named = street != ""
    place = street.copy()
    near = lenient & named
    place[near] = "On or near " + pd.Series(street[near], dtype=object)
    return place, street


def _streets(values: pa.Array | pd.Series | np.ndarray, police: np.ndarray | bool) -> tuple[np.ndarray, np.ndarray]:
    """:func:`geo.plan._street.streets` of the texts cleaned first (control characters, NFKC, spaces)."""
    text = clean_texts(_text(values))
    return streets(text, np.broadcast_to(np.asarray(police, dtype=bool), (len(text),)))


def _alphabetical(texts: np.ndarray) -> np.ndarray:
    """Each text's position in alphabetical order: lower-cased, then by code point (a total order; arrow, no loop)."""
    t, keys = _text(texts), [("f", "ascending"), ("t", "ascending")]
    order = pc.sort_indices(pa.table({"f": pc.utf8_lower(t), "t": t}), sort_keys=keys).to_numpy()
    return np.argsort(order, kind="stable").astype(np.int64)  # the inverse permutation


def _floats(frame: Incidents, name: str) -> np.ndarray:
    column = frame[name]
    if isinstance(column, pd.Series):
        return pd.to_numeric(column, errors="coerce").to_numpy(dtype=float)
    return np.asarray(pc.cast(column, pa.float64()).to_numpy(zero_copy_only=False), dtype=float)


def _coded(frame: Incidents, name: str) -> tuple[pa.Array, np.ndarray]:
    """A text column's distinct values and a code per row (-1 for a missing value)."""
    column = frame[name]
    if isinstance(column, pd.Series):
        column = pa.array(column.astype(object).where(column.notna(), None), type=pa.large_string(), from_pandas=True)
    if not pa.types.is_dictionary(column.type):
        column = pc.dictionary_encode(column)
    values, indices = dictionary_parts(column)
    return values, np.asarray(pc.fill_null(indices, -1).to_numpy(zero_copy_only=False), dtype=np.int64)


def incidents_to_locations(incidents: Incidents, *, res: int, filters: Filters) -> pd.DataFrame:
    """The view's incidents counted per cell and location text, with the bounds of their points.

    One row per (cell, text) of :data:`LOCATION_COLUMNS`, sorted by cell, then
    most incidents, then alphabetically by text (the tie rule). ``text`` is the
    stored text with its spaces tidied (``""`` for none): what a cell's list of
    places shows inside the building. ``location`` is the name it gives
    (:func:`texts_to_places`, ``""`` when it names nothing) and ``street`` its
    street. Rows without a point are left out. Text work runs once per distinct
    stored text; the counting is one groupby over integer codes.
    """
    keep = filters_to_mask(incidents, filters)
    lat, lng = _floats(incidents, "lat"), _floats(incidents, "lng")
    keep &= np.isfinite(lat) & np.isfinite(lng)
    values, codes = _coded(incidents, "location")
    tidy = clean_texts(_text(values))  # no control or format character reaches a list either
    tidy = np.concatenate([tidy.to_numpy(zero_copy_only=False).astype(object), np.array([""], dtype=object)])
    merged, texts = pd.factorize(tidy)  # the last value stands for a missing text
    text_code = merged[np.where(codes >= 0, codes, len(tidy) - 1)]
    police = np.zeros(len(lat), dtype=bool)  # police.uk's leniency is the row's source's, never the text's
    if "source" in (incidents.column_names if isinstance(incidents, pa.Table) else incidents.columns):
        sources, source_codes = _coded(incidents, "source")
        is_police = np.append(pc.equal(sources, POLICE_UK).to_numpy(zero_copy_only=False), False).astype(bool)
        police = is_police[source_codes]
    # one name per distinct (text, police.uk or not): the text work stays per distinct text
    pair, pairs = pd.factorize(text_code * 2 + police)
    pair_text = np.asarray(texts, dtype=object)[np.asarray(pairs) // 2]
    place, street = texts_to_places(pair_text, police=np.asarray(pairs) % 2 == 1)
    texts = pair_text
    frame = pd.DataFrame(
        {
            "cell": _points_to_cells(lat[keep], lng[keep], res=res),
            "code": pair[keep],
            "lat": lat[keep],
            "lng": lng[keep],
        }
    )
    g = frame.groupby(["cell", "code"], sort=False).agg(
        incidents=("lat", "size"), min_lat=("lat", "min"), max_lat=("lat", "max"), min_lng=("lng", "min"),
        max_lng=("lng", "max"),
    )  # fmt: skip
    g = g.reset_index()
    code = g["code"].to_numpy(dtype=np.int64)
    order = np.lexsort((_alphabetical(texts)[code], -g["incidents"].to_numpy(), g["cell"].to_numpy()))
    g, code = g.iloc[order].reset_index(drop=True), code[order]
    out = g.assign(
        cell=g["cell"].to_numpy(dtype=np.uint64), text=texts[code], location=place[code], street=street[code]
    )
    return out[LOCATION_COLUMNS]


def _points_to_cells(lat: np.ndarray, lng: np.ndarray, *, res: int) -> np.ndarray:
    """The cell of each (finite) point, h3 run once per distinct point (police.uk's snap points repeat)."""
    codes, points = pd.factorize(lat + 1j * lng)
    return points_to_cells(points.real, points.imag, res=res)[codes]


def _best(
    n: int, pos: np.ndarray, label: np.ndarray, weight: np.ndarray, *, spread: sp.csr_matrix | None = None
) -> np.ndarray:
    """Per cell: the label with the most weight, ties to the lowest (labels are alphabetical ranks); -1 for none.

    ``spread`` (cells × cells) sums each cell's neighbours' weights instead of its own.
    """
    out = np.full(n, -1, dtype=np.int64)
    ok = pos >= 0
    if not ok.any():
        return out
    m = sp.csr_matrix((weight[ok].astype(float), (pos[ok], label[ok])), shape=(n, int(label[ok].max()) + 1))
    if spread is not None:
        m = spread @ m
    m = m.tocoo()
    live = m.data > 0
    row, col, data = m.row[live], m.col[live], m.data[live]
    order = np.lexsort((col, -data, row))
    rows, first = np.unique(row[order], return_index=True)
    out[rows] = col[order][first]
    return out


def _names_of(codes: np.ndarray, boundaries: gpd.GeoDataFrame | None) -> np.ndarray:
    """An area's name per code (the code itself when its name is unknown or blank; ``""`` for no area)."""
    codes = np.asarray(codes, dtype=object)
    if boundaries is None or boundaries.empty:
        return codes
    names = pd.Series(boundaries["name"].astype(str).to_numpy(), index=boundaries["code"].astype(str).to_numpy())
    names = names[~names.index.duplicated()]
    found = pd.Series(codes).map(names).to_numpy(dtype=object)
    blank = pd.isna(found) | (pd.Series(found, dtype=object).fillna("").str.strip() == "").to_numpy()
    return np.where(blank, codes, found)


def _area_words(names: np.ndarray, word: str) -> np.ndarray:
    """ "Hillfields ward" per cell (``""`` where there is no area); the word is not repeated ("Kestrel Estate")."""
    distinct, where = np.unique(np.asarray(names, dtype=object).astype(str), return_inverse=True)
    s = pd.Series(distinct, dtype=object)
    ends = s.str.casefold().str.endswith(word).to_numpy()
    text = (s + pd.Series(np.where(ends, "", " " + word), dtype=object)).where(s != "", "")
    return text.to_numpy(dtype=object)[where]


def locations_in_cell(locations: pd.DataFrame, cell: int) -> pd.DataFrame:
    """Location texts of the incidents in one cell with their counts, most first (ties alphabetical).

    Columns ``location, incidents`` (:data:`NO_LOCATION` for incidents without
    text), from :func:`incidents_to_locations`' table, found by a binary search
    on its sorted cells. The stored texts, tidied, not the names: inside the
    building an inspector may see a partner's "behind the shops".
    """
    keys = locations["cell"].to_numpy(dtype=np.uint64)
    lo, hi = np.searchsorted(keys, np.uint64(cell), side="left"), np.searchsorted(keys, np.uint64(cell), "right")
    rows = locations.iloc[lo:hi]
    if rows["text"].duplicated().any():  # one text from police.uk and a partner: one line
        rows = rows.groupby("text", sort=False, as_index=False)["incidents"].sum()
        rows = rows.iloc[np.lexsort((_alphabetical(rows["text"].to_numpy(dtype=object)), -rows["incidents"]))]
    text = rows["text"].to_numpy(dtype=object)
    return pd.DataFrame(
        {"location": np.where(text == "", NO_LOCATION, text), "incidents": rows["incidents"].to_numpy(dtype=np.int64)}
    )


@dataclass(frozen=True)
class Places:
    """The names of one view's cells, and its location texts per cell (for the list of places and search).

    Attributes
    ----------
    cells, names, rules
        The study area's cells (``uint64``, its order), each one's name (never empty) and the :data:`RULES` rule.
    locations
        :func:`incidents_to_locations` of the view (every cell with incidents, in the area or not).
    areas, area_names
        Each cell's ward code, else estate code, else ``""`` (streets are searched per ward); their names.
    """

    cells: np.ndarray
    names: np.ndarray
    rules: np.ndarray
    locations: pd.DataFrame
    areas: np.ndarray
    area_names: dict[str, str]

    def in_cell(self, cell: int) -> pd.DataFrame:
        """:func:`locations_in_cell` of this view's table (a binary search: no read, no count)."""
        return locations_in_cell(self.locations, cell)

    def name_of(self, cell: int) -> str | None:
        """The name of one study-area cell, None for a cell outside the area."""
        i = np.searchsorted(self.cells, np.uint64(cell))
        return str(self.names[i]) if i < len(self.cells) and self.cells[i] == np.uint64(cell) else None


def cell_places(
    area: StudyArea,
    locations: pd.DataFrame | None,
    *,
    addresses: pd.DataFrame | None = None,
    wards: gpd.GeoDataFrame | None = None,
    estates: gpd.GeoDataFrame | None = None,
) -> Places:
    """Name every study-area cell by :data:`RULES` (see the module docstring for the rules and why).

    Parameters
    ----------
    locations
        :func:`incidents_to_locations` of the view; None when there are no texts to read
        (the names then come from the addresses and the areas).
    addresses
        Case addresses: ``address, lat, lng`` (flagged addresses and closure orders).
    wards, estates
        The boundaries, for the areas' names (None: the areas are named by code).
    """
    n = len(area)
    cells = np.asarray(area.cells, dtype=np.uint64)
    names = np.full(n, "", dtype=object)
    rules = np.full(n, "", dtype=object)
    ring = _neighbours(cells)

    def fill(rule: str, text: np.ndarray) -> None:
        todo = (names == "") & (text != "")
        names[todo], rules[todo] = text[todo], rule

    # per rule: each row's cell position, label and weight; each label's text and street
    texts: list[tuple[str, np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]] = []
    if locations is not None and len(locations):
        named = locations[locations["location"].to_numpy(dtype=object) != ""]
        label, by_label = _labels(named["location"].to_numpy(dtype=object))
        streets = np.empty(len(by_label), dtype=object)
        streets[label] = named["street"].to_numpy(dtype=object)  # a text's street is a function of the text
        pos = area.index_of(named["cell"].to_numpy(dtype=np.uint64))
        texts.append(("location", pos, label, named["incidents"].to_numpy(dtype=float), by_label, streets))
    if addresses is not None and len(addresses):
        lat, lng = _floats(addresses, "lat"), _floats(addresses, "lng")
        values, codes = _coded(addresses, "address")
        street = np.concatenate([texts_to_streets(values), np.array([""], dtype=object)])[codes]  # -1: missing
        ok = (street != "") & np.isfinite(lat) & np.isfinite(lng)
        if ok.any():
            label, by_label = _labels(street[ok])
            pos = area.index_of(points_to_cells(lat[ok], lng[ok], res=area.res))
            texts.append(("address", pos, label, np.ones(len(pos)), by_label, by_label))
    for rule, pos, label, weight, by_label, _streets in texts:
        fill(rule, _pick(_best(n, pos, label, weight), by_label))
    for rule, pos, label, weight, _by_label, streets in texts:
        fill(f"near {rule}", _lead("near ", _pick(_best(n, pos, label, weight, spread=ring), streets)))
    estate_names, ward_names = _names_of(area.estate, estates), _names_of(area.ward, wards)
    estate_words, ward_words = _area_words(estate_names, "estate"), _area_words(ward_names, "ward")
    fill("estate", _lead("in ", estate_words))
    fill("ward", _lead("in ", ward_words))
    in_ward = np.asarray(area.ward, dtype=object) != ""
    group = np.where(in_ward, area.ward, area.estate).astype(object)
    group_names = np.where(in_ward, ward_names, estate_names).astype(object)
    if (names == "").any():  # centres outside every area: the area of most of the neighbours
        words = np.where(in_ward, ward_words, estate_words).astype(object)
        labelled = np.flatnonzero(words != "")
        label, by_label = _labels(words[labelled])
        best = _best(n, labelled, label, np.ones(len(labelled)), spread=ring)
        fill("edge", _lead("at the edge of ", _pick(best, by_label)))
    if (names == "").any():
        lat, lng = cells_to_latlng(cells)
        fill("position", _position_words(lat, lng))
    area_names = pd.Series(group_names, index=group).groupby(level=0).first().drop("", errors="ignore").to_dict()
    locations = locations if locations is not None else pd.DataFrame({c: [] for c in LOCATION_COLUMNS})
    return Places(cells=cells, names=names, rules=rules, locations=locations, areas=group, area_names=area_names)


def _neighbours(cells: np.ndarray) -> sp.csr_matrix:
    """Cells × cells, 1 where the other cell is one of a cell's six neighbours (not the cell itself)."""
    if not len(cells):
        return sp.csr_matrix((0, 0))
    w = cells_to_weights(cells, k=1).tocoo()
    other = w.row != w.col
    return sp.csr_matrix((w.data[other], (w.row[other], w.col[other])), shape=w.shape)


def _labels(texts: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Each text's label, numbered in alphabetical order (so the lowest label is the tie's winner), and the texts."""
    distinct, where = np.unique(np.asarray(texts, dtype=object).astype(str), return_inverse=True)
    rank = _alphabetical(distinct.astype(object))
    by_label = np.empty(len(distinct), dtype=object)
    by_label[rank] = distinct
    return rank[where], by_label


def _pick(best: np.ndarray, by_label: np.ndarray) -> np.ndarray:
    """The text of each cell's label (``""`` for -1)."""
    if not len(by_label):
        return np.full(len(best), "", dtype=object)
    return np.where(best >= 0, by_label[np.maximum(best, 0)], "").astype(object)


def _lead(lead: str, words: np.ndarray) -> np.ndarray:
    """``lead`` before each non-blank text ("in " + "Hillfields ward"); blank stays blank."""
    distinct, where = np.unique(np.asarray(words, dtype=object).astype(str), return_inverse=True)
    s = pd.Series(distinct, dtype=object)
    return (lead + s).where(s != "", "").to_numpy(dtype=object)[where]


def _position_words(lat: np.ndarray, lng: np.ndarray) -> np.ndarray:
    """ "near 51.4545° N, 2.5879° W" per cell centre (four decimals: about 10 m)."""
    la, lo = (pd.Series(np.abs(v)).map("{:.4f}°".format) for v in (lat, lng))
    return ("near " + la + np.where(lat >= 0, " N, ", " S, ") + lo + np.where(lng >= 0, " E", " W")).to_numpy(object)


def load_places(store: Store, area: StudyArea, *, filters: Filters) -> Places:
    """:func:`cell_places` for the store's incidents of the view, case addresses and boundaries.

    One read of the incidents (location text as dictionary codes: no string per
    row), one of each case kind's addresses (:data:`CASE_ADDRESS_KINDS`) and of the boundaries.
    """
    incidents = store.read_table(
        "incidents",
        columns=["lat", "lng", "month", "category", "source", "location"],
        months=(filters.month_from, filters.month_to),
        dictionary=("month", "category", "source", "location"),
    )
    locations = incidents_to_locations(incidents, res=area.res, filters=filters)
    addresses = case_addresses(
        {kind: store.read(kind, columns=["address", "lat", "lng"]) for kind in CASE_ADDRESS_KINDS}
    )
    wards, estates = store.read_boundaries("wards"), store.read_boundaries("estates")
    return cell_places(area, locations, addresses=addresses, wards=wards, estates=estates)


def case_addresses(cases: Mapping[str, pd.DataFrame]) -> pd.DataFrame:
    """``address, lat, lng`` of the case kinds that may name a street (:data:`CASE_ADDRESS_KINDS`), by kind."""
    frames = [cases[k][["address", "lat", "lng"]] for k in CASE_ADDRESS_KINDS if k in cases and len(cases[k])]
    return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame({"address": [], "lat": [], "lng": []})


def search_entries(
    places: Places, *, wards: gpd.GeoDataFrame | None = None, estates: gpd.GeoDataFrame | None = None
) -> pd.DataFrame:
    """Wards, estates and streets to search for, with where the map should go (:data:`SEARCH_COLUMNS`).

    Wards and estates come from their boundaries ("Hillfields (ward)", bounds of
    the outline). Streets come from the view's location texts inside the study
    area, "On or near" left off, one entry per street with the bounds of its
    incidents' points. A street name found in more than one ward (every town
    has a Station Road) is one entry per ward, "Station Road (street, Easton)",
    so the map never fits two towns at once. police.uk's names for snap points
    that are not streets ("Supermarket") are not listed. A label that would
    repeat (two wards of one name) carries its code.
    """
    parts = []
    for kind, frame in (("ward", wards), ("estate", estates)):
        if frame is None or frame.empty:
            continue
        b = frame.geometry.bounds.set_axis(["min_lng", "min_lat", "max_lng", "max_lat"], axis=1)
        parts.append(
            b.assign(label=frame["name"].astype(str) + f" ({kind})", kind=kind, code=frame["code"].astype(str))
        )
    loc = places.locations
    pos = _positions_in(places.cells, loc["cell"].to_numpy(dtype=np.uint64))
    street, poi = _text(loc["street"].to_numpy(dtype=object)), pa.array(sorted(POLICE_UK_PLACES), pa.large_string())
    ok = (pos >= 0) & ~pc.is_in(pc.utf8_lower(street), value_set=poi).to_numpy(zero_copy_only=False)
    ok &= pc.not_equal(street, "").to_numpy(zero_copy_only=False)
    if ok.any():
        rows = loc[ok].assign(group=places.areas[pos[ok]])
        g = rows.groupby(["street", "group"], sort=True).agg(
            min_lng=("min_lng", "min"), min_lat=("min_lat", "min"), max_lng=("max_lng", "max"),
            max_lat=("max_lat", "max"),
        ).reset_index()  # fmt: skip
        several = g["street"].duplicated(keep=False).to_numpy()
        known = dict(places.area_names)
        for frame in (estates, wards):  # the boundaries given name the areas (a ward's name over an estate's)
            if frame is not None and not frame.empty:
                known |= dict(zip(frame["code"].astype(str), frame["name"].astype(str), strict=True))
        where = g["group"].map(known).fillna("outside the wards").to_numpy(dtype=object)
        label = g["street"] + np.where(several, " (street, " + pd.Series(where, dtype=object) + ")", " (street)")
        parts.append(g.assign(label=label, kind="street", code=g["street"] + "|" + g["group"]))
    if not parts:
        return pd.DataFrame(
            {c: pd.Series(dtype=float if c.startswith(("min", "max")) else object) for c in SEARCH_COLUMNS}
        )
    out = pd.concat(parts, ignore_index=True)
    twice = out["label"].duplicated(keep=False)
    out.loc[twice, "label"] = out.loc[twice, "label"].str[:-1] + ", " + out.loc[twice, "code"] + ")"
    kind_order = out["kind"].map({"ward": 0, "estate": 1, "street": 2})
    out = out.assign(_k=kind_order, _f=out["label"].str.lower()).sort_values(["_k", "_f", "label"], kind="stable")
    return out[SEARCH_COLUMNS].reset_index(drop=True)


def _positions_in(sorted_cells: np.ndarray, cells: np.ndarray) -> np.ndarray:
    """Position of each cell in the sorted ``sorted_cells``, -1 when absent."""
    padded = np.append(sorted_cells, np.uint64(0))  # a last place to land (0 is no cell): nothing past the end
    pos = np.searchsorted(sorted_cells, cells)
    return np.where((padded[pos] == cells) & (pos < len(sorted_cells)), pos, -1)


def cells_to_bounds(cells: np.ndarray) -> tuple[float, float, float, float] | None:
    """(min lng, min lat, max lng, max lat) of the hexagons ``cells``; None for no cells."""
    cells = np.asarray(cells, dtype=np.uint64)
    if not len(cells):
        return None
    west, south, east, north = shapely.total_bounds(cells_to_polygons(cells))
    return float(west), float(south), float(east), float(north)


def cell_from_text(text: str) -> int | None:
    """The H3 cell a person typed or pasted ("89194559203ffff"), or None when the text is not one.

    Spaces around it and capitals are forgiven; anything else must be h3's
    15-hex-digit form of a valid cell at a resolution the app draws
    (:data:`geo.space.hexes.RESOLUTIONS`): a malformed or impossible id, or one of
    a cell far larger or smaller than any hexagon on the map, is None, never an error.
    """
    if not isinstance(text, str):
        return None
    t = text.strip().lower()
    if not _HEX_ID.fullmatch(t):
        return None
    cell = int(_strings_to_cells([t])[0])
    if (cell >> 52) & 0xF not in RESOLUTIONS:
        return None
    try:
        lat, lng = cells_to_latlng(np.array([cell], dtype=np.uint64))
    except ValueError:  # h3 refuses it: not a cell (a bad mode, digit or base cell)
        return None
    return cell if int(points_to_cells(lat, lng, res=(cell >> 52) & 0xF)[0]) == cell else None


def cell_bounds(cell: int) -> tuple[float, float, float, float]:
    """(min lng, min lat, max lng, max lat) of one hexagon (e.g. what :func:`cell_from_text` found)."""
    return cells_to_bounds(np.array([cell], dtype=np.uint64))  # type: ignore[return-value]  # one cell: never None
