"""Who sees what, as data: one :class:`Role` per kind of user.

The records behind a hotspot are law-enforcement processing under the Data
Protection Act 2018 Part 3, and an address flagged for a closure order or a
vulnerable occupant is *sensitive processing* (special-category data, s.35):
it may go only to people with a strict operational need. So the roles differ
less in what pages they get than in whether a single address can reach them.

inspector
    The neighbourhood inspector who plans patrols. Full operational detail:
    the patrol planner with flagged addresses, closure orders, hexagon
    drill-down, and exports of the plan. Counts are not suppressed because
    the inspector needs the real numbers to deploy officers.
analyst
    Everything the inspector has, plus Load data and Imports and rejects
    (the data-quality page), because the analyst owns the data feed and has
    to see the rejected rows to fix them.
cabinet
    A council cabinet member. Ward and estate aggregates and trends only: no
    point data, no flagged or closure layers, and small counts suppressed
    (see :mod:`geo.publish.privacy`). A cabinet member must never receive an
    address, not even by drilling into a hexagon or exporting a table.
team
    A patrol team's phone on the street: the check-in page only (this week's
    planned places, by name, and "arrived" / "left"). It records where a unit
    was, never which officer, and shows no case data: a phone can be lost.
presentation
    A public or partnership-day screen. Outcomes only, aggregated and
    suppressed, on the overview page; no exports, because anything on screen
    may be photographed.
admin
    Looks after the machine: user accounts and the audit log. No operational
    data at all: running the system is not an operational need (data
    minimisation, s.37).

Permissions are checked with :func:`can`, e.g. ``can("cabinet", "page:patrol")``.
"""

from __future__ import annotations

from dataclasses import dataclass

from geo.core.errors import OptionError

PAGES = (
    *("overview", "patrol", "patrols", "checkin", "doorknock", "review", "lines", "trends", "outcomes"),
    *("data", "data_quality", "audit", "users"),
)
LAYERS = ("hotspots", "flagged", "closures", "boundaries", "emerging")
EXPORTS = (
    *("patrol_plan", "briefing", "dosage", "doorknock_list", "hotspot_table", "rejects"),
    *("ward_summary", "outcomes_report", "audit_log", "review_agenda"),
)
OPERATIONAL_PAGES = (
    *("overview", "patrol", "patrols", "checkin", "doorknock", "review", "lines", "trends", "outcomes"),
    *("data", "data_quality"),
)
#: Pages a role lists but a user opens only with the intel permission (geo.access.users.set_intel).
INTEL_PAGES = ("lines",)
# Flags (permissions without an id): point_data, unsuppressed.
FLAGS = ("point_data", "unsuppressed")


@dataclass(frozen=True)
class Role:
    """What one kind of user may see and take away.

    Attributes
    ----------
    name
        Identifier stored in the users file (``"inspector"``).
    label
        Human name for menus.
    pages
        Page ids the role may open, in menu order.
    point_data
        Whether individual records (addresses, points, hexagon drill-down) may be shown.
    layers
        Map layers the role may switch on.
    suppress
        Whether small counts are suppressed and the rest rounded (:mod:`geo.publish.privacy`).
    exports
        Downloads the role may take.
    """

    name: str
    label: str
    pages: tuple[str, ...]
    point_data: bool
    layers: tuple[str, ...]
    suppress: bool
    exports: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        for kind, values, allowed in (("page", self.pages, PAGES), ("layer", self.layers, LAYERS)):
            bad = [v for v in values if v not in allowed]
            if bad:
                raise ValueError(f"role {self.name}: unknown {kind}(s) {bad}")
        bad = [e for e in self.exports if e not in EXPORTS]
        if bad:
            raise ValueError(f"role {self.name}: unknown export(s) {bad}")
        if self.point_data and self.suppress:
            raise ValueError(f"role {self.name}: point data cannot be shown under suppression")


_INSPECTOR = Role(
    name="inspector",
    label="Inspector",
    pages=("overview", "patrol", "patrols", "checkin", "doorknock", "review", "lines", "trends", "outcomes"),
    point_data=True,
    layers=LAYERS,
    suppress=False,
    exports=(
        *("patrol_plan", "briefing", "dosage", "doorknock_list", "hotspot_table", "outcomes_report"),
        "review_agenda",
    ),
)

ROLES: dict[str, Role] = {
    r.name: r
    for r in (
        _INSPECTOR,
        Role(
            name="analyst",
            label="Analyst",
            pages=(*_INSPECTOR.pages, "data", "data_quality"),
            point_data=True,
            layers=LAYERS,
            suppress=False,
            exports=(*_INSPECTOR.exports, "rejects"),
        ),
        Role(
            name="team",
            label="Patrol team",
            pages=("checkin",),  # a phone on patrol: this week's places and two buttons, nothing else
            point_data=False,
            layers=(),
            suppress=True,
            exports=(),
        ),
        Role(
            name="cabinet",
            label="Cabinet member",
            pages=("overview", "trends", "outcomes"),
            point_data=False,
            layers=("boundaries",),
            suppress=True,
            exports=("ward_summary", "outcomes_report"),
        ),
        Role(
            name="presentation",
            label="Presentation screen",
            pages=("outcomes",),  # a projector in a room: the outcomes and nothing else
            point_data=False,
            layers=("boundaries",),
            suppress=True,
            exports=(),
        ),
        Role(
            name="admin",
            label="Administrator",
            pages=("users", "audit"),
            point_data=False,
            layers=(),
            suppress=True,
            exports=("audit_log",),
        ),
    )
}


def role(name: str | Role) -> Role:
    """The :class:`Role` called ``name`` (a Role is returned as is).

    Raises :class:`~geo.core.errors.OptionError` listing the known roles when ``name`` is not one
    (the caller named the role; no file is at fault).
    """
    if isinstance(name, Role):
        return name
    try:
        return ROLES[name]
    except (KeyError, TypeError):
        raise OptionError(f"unknown role {name!r}; roles are: {', '.join(ROLES)}", option="role") from None


def can(who: str | Role, permission: str) -> bool:
    """Whether role ``who`` has ``permission``.

    ``permission`` is ``"page:<id>"``, ``"layer:<id>"``, ``"export:<id>"``, or a flag:
    ``"point_data"`` (individual records) or ``"unsuppressed"`` (exact small counts).
    A misspelt permission raises :class:`~geo.core.errors.OptionError` rather than quietly
    answering False, so a typo in a page guard is caught by the tests.
    """
    r = role(who)
    if permission == "point_data":
        return r.point_data
    if permission == "unsuppressed":
        return not r.suppress
    kind, _, ident = permission.partition(":")
    table = {"page": (PAGES, r.pages), "layer": (LAYERS, r.layers), "export": (EXPORTS, r.exports)}
    if kind not in table or ident not in table[kind][0]:
        raise OptionError(
            f"unknown permission {permission!r}; use page:/layer:/export:<id> or one of {', '.join(FLAGS)}",
            option="permission",
        )
    return ident in table[kind][1]
