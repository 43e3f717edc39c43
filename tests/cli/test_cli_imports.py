"""The import command's options: ``--map`` pairs and the one ImportOptions the page also builds."""

from __future__ import annotations

import pytest

from geo.cli import build_parser
from geo.cli._imports import COORD_CHOICES, args_to_import_options, pairs_to_mapping
from geo.core.errors import InputError, OptionError
from geo.store.importer import COORD_MODES, ImportOptions


def test_map_pairs_drop_spaces_around_both_sides_and_keep_spaces_inside():
    assert pairs_to_mapping([" ref = Case Ref ", "lat=Y"]) == {"ref": "Case Ref", "lat": "Y"}
    assert pairs_to_mapping(["note=a=b"]) == {"note": "a=b"}  # only the first = splits
    assert pairs_to_mapping([]) == {}


def test_a_map_pair_without_equals_is_an_option_error():
    with pytest.raises(OptionError, match="COLUMN=HEADING, got 'Case Ref'") as caught:
        pairs_to_mapping(["ref=Case Ref", "Case Ref"])
    assert caught.value.option == "--map" and not isinstance(caught.value, InputError)


def test_the_command_line_fills_the_same_options_object_as_the_page():
    args = build_parser().parse_args(
        ["import", "wards", "w.gpkg", "--layer", "wards", "--crs", "EPSG:27700", "--code-column", "C"]
    )
    assert args_to_import_options(args) == ImportOptions(layer="wards", crs="EPSG:27700", code_column="C")
    args = build_parser().parse_args(["import", "flagged", "f.csv", "--map", "ref=Id", "--coords", "bng"])
    assert args_to_import_options(args) == ImportOptions(mapping={"ref": "Id"}, coords="bng")


def test_coords_choices_are_the_importers_modes():
    """Spelt out in the CLI so that --help stays fast; they must not drift apart."""
    assert COORD_CHOICES == COORD_MODES
