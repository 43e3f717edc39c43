"""The Door-knock page's glue: targets and homes read once per import, the list as a table, its two exports.

The page is for inspectors and analysts (``page:doorknock``); its files need
``export:doorknock_list`` and a reason, logged before any byte is built
(:mod:`dashboard.downloads`).
"""

from __future__ import annotations

import datetime as dt
from functools import partial

import pandas as pd
import streamlit as st

from dashboard.context import get_store
from dashboard.downloads import Export
from geo.plan.neighbours import neighbours_of, target_label, targets_from, why_words
from geo.publish.doorknock import doorknock_csv, doorknock_html
from geo.store.patrols import read_properties

RADII = (25, 50, 75, 100, 150, 200, 300, 400, 500)


@st.cache_data(show_spinner=False, max_entries=4)
def _targets(url: str, version: str) -> pd.DataFrame:
    return targets_from(get_store())


@st.cache_data(show_spinner="Reading the property list…", max_entries=4)
def _properties(url: str, version: str) -> pd.DataFrame:
    return read_properties(get_store())


def targets() -> pd.DataFrame:
    """Open flagged addresses and closure orders (:func:`geo.plan.neighbours.targets_from`), once per import."""
    store = get_store()
    return _targets(store.url, store.data_version())


def properties() -> pd.DataFrame:
    """The stored homes (:func:`geo.store.patrols.read_properties`), once per import."""
    store = get_store()
    return _properties(store.url, store.data_version())


def labels(frame: pd.DataFrame) -> list[str]:
    """How each target is offered in the picker (what, when, where, ref)."""
    return [target_label(row) for _, row in frame.iterrows()]


def neighbours(target: pd.DataFrame, *, radius_m: float) -> pd.DataFrame:
    """The chosen target's homes (:func:`geo.plan.neighbours.neighbours_of`)."""
    return neighbours_of(properties(), target, radius_m=radius_m)


def table(listed: pd.DataFrame, *, radius_m: float) -> pd.DataFrame:
    """What the page shows: number, address, UPRN, distance (whole metres) and why each home is listed."""
    return pd.DataFrame(
        {
            "#": listed["order"].to_numpy(),
            "address": listed["address"].to_numpy(),
            "uprn": listed["uprn"].to_numpy(),
            "distance (m)": listed["distance_m"].round().astype("int64").to_numpy(),
            "why": why_words(listed, radius_m=radius_m).to_numpy(),
        }
    )


def exports(listed: pd.DataFrame, *, radius_m: float, slug: str) -> tuple[Export, Export]:
    """The printable list and the mail merge; each built only when its button is clicked, after its entry."""
    made = f"{dt.date.today():%d %b %Y}".lstrip("0")
    html = Export(
        label="Door-knock list (printable HTML)",
        file_name=f"doorknock-{slug}.html",
        mime="text/html",
        key="dk_html",
        build=partial(doorknock_html, listed, radius_m=radius_m, made=made),
        rows=len(listed),
        personal=True,
        icon=":material/print:",
    )
    csv = Export(
        label="Neighbour letters (mail merge CSV)",
        file_name=f"doorknock-{slug}.csv",
        mime="text/csv",
        key="dk_csv",
        build=partial(doorknock_csv, listed),
        rows=len(listed),
        personal=True,
        icon=":material/mail:",
    )
    return html, csv


def slug(ref: str) -> str:
    """A file-name-safe form of a target's ref."""
    kept = "".join(c if c.isalnum() or c in "-_" else "-" for c in str(ref))[:40].strip("-")
    return kept or "target"
