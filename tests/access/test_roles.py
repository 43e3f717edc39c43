"""The role table: who may see points, pages, layers and exports."""

from __future__ import annotations

import pytest

from geo.access.roles import LAYERS, OPERATIONAL_PAGES, PAGES, ROLES, Role, can, role
from geo.core.errors import InputError, OptionError


def test_the_six_roles_exist():
    assert set(ROLES) == {"inspector", "analyst", "team", "cabinet", "presentation", "admin"}
    assert all(r.name == name and r.label for name, r in ROLES.items())


@pytest.mark.parametrize("name", ["cabinet", "presentation", "team"])
def test_aggregate_roles_never_see_points(name):
    r = role(name)
    assert r.point_data is False
    assert r.suppress is True
    assert not {"patrol", "patrols", "doorknock", "data", "data_quality"} & set(r.pages)
    assert not {"flagged", "closures", "hotspots", "emerging"} & set(r.layers)
    assert not {"patrol_plan", "briefing", "dosage", "doorknock_list", "hotspot_table", "rejects"} & set(r.exports)
    assert not can(r, "point_data") and not can(r, "unsuppressed")


def test_a_patrol_team_phone_gets_the_check_in_page_and_nothing_else():
    r = role("team")
    assert r.pages == ("checkin",)
    assert r.layers == () and r.exports == ()


@pytest.mark.parametrize("name", ["inspector", "analyst"])
def test_the_patrol_loop_is_for_inspectors_and_analysts(name):
    r = role(name)
    assert {"patrols", "checkin", "doorknock"} <= set(r.pages)
    assert {"briefing", "dosage", "doorknock_list"} <= set(r.exports)


def test_presentation_has_no_exports():
    assert role("presentation").exports == ()


def test_admin_has_no_operational_data():
    r = role("admin")
    assert not set(OPERATIONAL_PAGES) & set(r.pages)
    assert {"users", "audit"} <= set(r.pages)
    assert r.layers == ()
    assert r.point_data is False


def test_analyst_has_everything_the_inspector_has_and_the_data_pages():
    inspector, analyst = role("inspector"), role("analyst")
    assert set(inspector.pages) <= set(analyst.pages)
    assert set(inspector.layers) <= set(analyst.layers)
    assert set(inspector.exports) <= set(analyst.exports)
    assert {"data", "data_quality"} <= set(analyst.pages)
    assert not {"data", "data_quality"} & set(inspector.pages)


def test_inspector_gets_full_detail():
    r = role("inspector")
    assert r.point_data and not r.suppress
    assert set(r.layers) == set(LAYERS)
    assert can(r, "page:patrol") and can(r, "layer:flagged") and can(r, "export:patrol_plan")


def test_only_known_ids_in_the_table():
    for r in ROLES.values():
        assert set(r.pages) <= set(PAGES)
        assert set(r.layers) <= set(LAYERS)


def test_roles_are_frozen():
    with pytest.raises(AttributeError):
        role("cabinet").point_data = True  # type: ignore[misc]


def test_a_role_cannot_show_points_under_suppression():
    with pytest.raises(ValueError, match="suppression"):
        Role("x", "X", pages=(), point_data=True, layers=(), suppress=True)


def test_unknown_role_lists_the_roles():
    with pytest.raises(OptionError, match="inspector, analyst, team, cabinet, presentation, admin") as caught:
        role("superuser")
    assert caught.value.option == "role"
    assert not isinstance(caught.value, InputError)  # the caller named the role; no file is to blame


def test_can_by_name_and_by_role():
    assert can("cabinet", "page:trends") is True
    assert can("cabinet", "page:patrol") is False
    assert can(role("analyst"), "page:data_quality") is True
    assert can("admin", "page:users") is True
    assert can("inspector", "page:users") is False


@pytest.mark.parametrize("permission", ["page:patrl", "layer:addresses", "export:everything", "patrol", "admin"])
def test_misspelt_permission_is_an_error(permission):
    with pytest.raises(OptionError, match=r"unknown permission.*page:/layer:/export:<id>") as caught:
        can("inspector", permission)
    assert caught.value.option == "permission"
    assert not isinstance(caught.value, InputError)


def test_can_unknown_role_is_an_error():
    with pytest.raises(OptionError, match="unknown role"):
        can("mayor", "page:overview")
