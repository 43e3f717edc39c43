"""Streamlit glue shared by every page: the store, cached summaries, the demo banner.

Caches are keyed by the store URL and the newest import id, so a new import
shows at once while repeated page runs cost nothing.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd
import streamlit as st
import streamlit_folium  # type: ignore[import-untyped]  # noqa: F401  (with the shell: saves a first map 0.5 s)

from dashboard.view import View
from geo.access.roles import can
from geo.store import Store, default_url
from geo.store.provenance import provenance

if TYPE_CHECKING:
    from dashboard.auth import Session
    from geo.access.roles import Role


@st.cache_resource(show_spinner=False)
def _store(url: str) -> Store:
    return Store(url)


def get_store() -> Store:
    """The store named by the environment (NESTWATCH_DATABASE_URL / NESTWATCH_DB)."""
    return _store(default_url())


@st.cache_data(show_spinner=False)
def summary(url: str, version: str) -> dict:
    """What the store holds; ``version`` (:meth:`Store.data_version`) invalidates the cache.

    ``demo`` is true only when every live import is the synthetic demo town
    (:func:`geo.store.provenance.store_is_synthetic`): the banner that says "no
    real place, person or address" must never sit above a real row. The
    sign-in's open mode does not read this cached copy (:func:`dashboard.auth.sign_in`).
    """
    store = _store(url)
    imports = store.imports()
    return {
        "counts": store.counts(),
        "months": store.months(),
        "last_import": imports["imported_at"].iloc[0] if len(imports) else None,
        "demo": provenance(store).is_synthetic,
    }


@st.cache_data(show_spinner="Counting incidents…")
def monthly_counts(url: str, version: str) -> pd.DataFrame:
    """Incidents per month: ASB beside all other categories."""
    frame = _store(url).read("incidents", columns=["month", "category"])
    frame["kind"] = frame["category"].where(frame["category"] == "Anti-social behaviour", "Other crime")
    return frame.pivot_table(index="month", columns="kind", aggfunc="size", fill_value=0)


def current_summary() -> dict:
    store = get_store()
    return summary(store.url, store.data_version())


def published_loaded() -> dict[str, str]:
    """What is loaded, as a role with published figures only sees it: release sums, shown by the presentation rule."""
    from dashboard.results import release  # here: dashboard.results imports this module
    from geo.publish.privacy import suppress_labels
    from geo.publish.release import loaded_totals

    totals = loaded_totals(release())
    return dict(zip(totals, suppress_labels(list(totals.values())), strict=True))


def show_shell(pages: list | None = None, session: Session | None = None) -> None:
    """The menu, who is signed in, what is loaded, and the synthetic-data banner when it applies."""
    from dashboard.auth import role_switcher

    info = current_summary()
    if info["demo"]:
        st.warning(
            "**Synthetic demo data.** Nestwick is an invented town: no real place, person or address.",
            icon=":material/science:",
        )
    with st.sidebar:
        if pages:
            for page in pages:
                st.page_link(page)
            st.divider()
        if session is not None:
            role_switcher(session)
        st.subheader("Loaded")
        counts = info["counts"]
        suppressed = session is not None and not can(session.role, "unsuppressed")
        shown = published_loaded() if suppressed else None

        def n(key: str) -> str:
            return shown[key] if shown else f"{counts[key]:,}"

        line = f"{n('incidents')} incidents · {counts['wards']:,} wards · {counts['estates']:,} estates"
        if session is None or can(session.role, "point_data"):
            line = (
                f"{n('incidents')} incidents · {n('flagged')} flagged addresses · "
                f"{n('closures')} closure orders · {counts['wards']:,} wards · {counts['estates']:,} estates"
            )
        st.caption(line)
        if info["months"]:
            st.caption(f"Months covered: {info['months'][0]} to {info['months'][1]}")
        st.caption(f"Last import: {info['last_import'] or 'never'}")


#: Where a shared filter's choice is kept between pages (:func:`_kept`).
_KEPT = "_nestwatch_kept_"

#: The hexagon sizes the sidebar offers, in words an inspector can picture.
_RES_WORDS = {7: "7 (5 km²)", 8: "8 (0.7 km²)", 9: "9 (0.1 km²)", 10: "10 (0.015 km²)"}


def default_months(months: list[str]) -> tuple[str, str]:
    """The period a page opens on: the 12 months that end with the latest month holding data.

    ``months`` are the months with data, in order (the store's months, or an area's). Why the
    latest: an inspector plans this week's patrols and a cabinet member asks about the last year;
    fewer than 12 months with data give all of them.
    """
    return months[max(0, len(months) - 12)], months[-1]


def _kept(key: str, default: Any, *, valid: Callable[[Any], bool]) -> Any:
    """The value the user last chose for the filter ``key`` on any page, to draw its widget with.

    Streamlit gives a widget on another page another identity (its id holds the page's script hash),
    so a choice made on the patrol planner was dropped when the user opened Trends and the widget
    went back to its default. Each choice is copied to a plain session key when it changes (the
    widget's ``on_change``, :func:`_keep`) and handed back here as the widget's starting value (never
    written to the widget's own key: Streamlit warns when both are set, and a range slider started from
    its key alone turns into a single slider). A kept value the data no longer offers (``valid`` is
    false, e.g. months after an import was deleted) falls back to ``default``.
    """
    kept = st.session_state.get(_KEPT + key, default)
    return kept if valid(kept) else default


def choose_filter(key: str, value: Any) -> None:
    """Set the shared filter ``key`` to ``value`` for this run and the pages after it (a page's link can).

    Call before the sidebar draws it (:func:`sidebar_view`). The widget's own value is dropped so that it
    starts from the kept choice, as on a page the user has just opened.
    """
    st.session_state[_KEPT + key] = value
    st.session_state.pop(key, None)


def _keep(key: str) -> None:
    st.session_state[_KEPT + key] = st.session_state[key]


def sidebar_view() -> View:
    """The shared filters (months, categories, hexagon size, boundary layer) from the sidebar.

    Every choice follows the user from page to page (:func:`_kept`).
    """
    from geo.core.schema import INCIDENT_CATEGORIES
    from geo.stats.aggregate import month_range

    info = current_summary()
    months = month_range(*info["months"]) if info["months"] else []
    with st.sidebar:
        st.subheader("Filters")
        start: str | None
        end: str | None
        if months:
            period = _kept(
                "f_months",
                default_months(months),
                valid=lambda v: isinstance(v, tuple) and len(v) == 2 and all(m in months for m in v) and v[0] <= v[1],
            )
            start, end = st.select_slider(
                "Months", options=months, value=period, key="f_months", on_change=_keep, args=("f_months",)
            )
        else:
            start = end = None
        categories = list(INCIDENT_CATEGORIES)
        chosen = _kept(
            "f_categories",
            ["Anti-social behaviour"],
            valid=lambda v: isinstance(v, list) and all(c in categories for c in v),
        )
        cats = st.multiselect(
            "Categories",
            categories,
            default=chosen,
            key="f_categories",
            on_change=_keep,
            args=("f_categories",),
            help="Incident categories counted in the hexagons (leave empty for all).",
        )
        res = st.select_slider(
            "Hexagon size",
            options=list(_RES_WORDS),
            value=_kept("f_res", 9, valid=_RES_WORDS.__contains__),
            format_func=_RES_WORDS.__getitem__,
            key="f_res",
            on_change=_keep,
            args=("f_res",),
        )
        layers = ["wards", "estates"]
        layer = st.radio(
            "Boundaries",
            layers,
            index=layers.index(_kept("f_layer", "wards", valid=layers.__contains__)),
            horizontal=True,
            key="f_layer",
            on_change=_keep,
            args=("f_layer",),
        )
    return View(month_from=start, month_to=end, categories=tuple(cats) or None, res=res, layer=layer)


SHELL_FLAG = "_nestwatch_shell_ran"

#: Every page: id -> (script, title, icon). A role's ``pages`` say which it gets, in its order.
PAGE_SPECS = {
    "overview": ("pages/overview.py", "Overview", ":material/monitoring:"),
    "patrol": ("pages/patrol.py", "Patrol planner", ":material/local_police:"),
    "patrols": ("pages/patrols.py", "Patrols", ":material/directions_walk:"),
    "checkin": ("pages/checkin.py", "Check in", ":material/where_to_vote:"),
    "doorknock": ("pages/doorknock.py", "Door-knock lists", ":material/door_front:"),
    "review": ("pages/review.py", "Review queue", ":material/person_search:"),
    "lines": ("pages/lines.py", "County lines", ":material/hub:"),
    "trends": ("pages/trends.py", "Trends", ":material/trending_up:"),
    "outcomes": ("pages/outcomes.py", "Outcomes", ":material/emoji_events:"),
    "data": ("pages/data.py", "Load data", ":material/upload_file:"),
    "data_quality": ("pages/data_quality.py", "Imports and rejects", ":material/fact_check:"),
    "audit": ("pages/audit.py", "Audit log", ":material/policy:"),
    "users": ("pages/users.py", "Users", ":material/group:"),
}


#: The browser tab's icon: a file the app serves (a ":material/…:" icon makes the browser fetch it from a font host).
FAVICON = Path(__file__).resolve().parents[1] / "static" / "favicon.png"


def configure_page(role: Role | None = None) -> None:
    """Wide pages (maps beside lists), the app's name and icon; a projector's menu folded out of sight."""
    st.set_page_config(page_title="Nestwatch", page_icon=str(FAVICON), layout="wide")
    if role is not None and role.name == "presentation":
        st.set_page_config(layout="wide", initial_sidebar_state="collapsed")


def pages_for(role: Role, *, intel: bool = False) -> list:
    """The st.Page objects of the pages ``role`` may open (the first is the default).

    The intelligence pages (:data:`geo.access.roles.INTEL_PAGES`) only with ``intel``: without it they do not
    exist for the user, not even as a menu entry.
    """
    from geo.access.roles import INTEL_PAGES

    ids = [p for p in role.pages if p in PAGE_SPECS and (intel or p not in INTEL_PAGES)]
    return [
        st.Page(PAGE_SPECS[p][0], title=PAGE_SPECS[p][1], icon=PAGE_SPECS[p][2], default=i == 0)
        for i, p in enumerate(ids)
    ]


def mark_shell() -> None:
    """Called by app.py before it runs the page: this run went through the entry script."""
    st.session_state[SHELL_FLAG] = True


def ensure_shell(page: str) -> Session:
    """First line of every page: the shell ran, the user is signed in, and the role may open ``page``.

    With a ``pages/`` folder beside app.py, Streamlit runs the very first
    request after the server starts in its old folder-based mode, which runs a
    page straight from its URL and skips app.py. The page then signs the user
    in and draws the shell itself, and Streamlit is switched to
    ``st.navigation`` mode (what ``st.navigation`` does on its first call), so
    later runs go through app.py. The role check runs either way: a page the
    role may not see stops before it reads any data.
    """
    from dashboard.auth import current, sign_in

    if not st.session_state.pop(SHELL_FLAG, False):
        from streamlit.runtime.pages_manager import PagesManager

        PagesManager.uses_pages_directory = False
        configure_page()  # as app.py does: without it this first page was drawn narrow
        fallback = sign_in()
        configure_page(fallback.role)
        show_shell(pages_for(fallback.role, intel=fallback.intel), fallback)
    session = current() or sign_in()
    if not can(session.role, f"page:{page}"):
        if session.mode == "open" and session.role.pages:  # the demo's "View as" just changed: go to its first page
            st.switch_page(PAGE_SPECS[session.role.pages[0]][0])
        st.error(f"The {session.role.label} role cannot open this page.", icon=":material/lock:")
        st.stop()
    from geo.access.roles import INTEL_PAGES

    if page in INTEL_PAGES and not session.intel:
        st.error("This page needs the intel permission (ask an administrator).", icon=":material/lock:")
        st.stop()
    return session
