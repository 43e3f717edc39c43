"""The field-check registry: one check per table kind, found by name, and no branch on kind names."""

from __future__ import annotations

import ast
from dataclasses import replace
from pathlib import Path

import pandas as pd
import pytest

from geo.core.schema import BOUNDARY_KINDS, KINDS, Column, Kind
from geo.ingest.readers import read_csv_kind
from geo.validate import validate_table
from geo.validate._checks import FIELD_CHECKS
from geo.validate._fields import check_dates
from geo.validate._verdict import Rejector

VALIDATE = Path(__file__).resolve().parents[2] / "geo" / "validate"


def test_every_kind_is_validated_exactly_one_way():
    """A table kind has one field check; a boundary kind none (shapes go through validate_boundaries)."""
    for name in KINDS:
        assert (name in FIELD_CHECKS) != (name in BOUNDARY_KINDS), name
    assert set(FIELD_CHECKS) <= set(KINDS)


def kind_name_comparisons(source: str) -> list[str]:
    """``line 'name'`` for every comparison (``==``, ``in``, ...) of something with a kind's name."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Compare):
            operands = [node.left, *node.comparators]
            operands += [e for n in operands if isinstance(n, ast.Tuple | ast.List | ast.Set) for e in n.elts]
            found += [
                f"{node.lineno} {n.value!r}" for n in operands if isinstance(n, ast.Constant) and n.value in KINDS
            ]
    return found


def test_no_check_compares_a_kind_name():
    """What differs between kinds is data on the Kind or a registry entry, never ``kind.name == "victims"``."""
    found = {p.name: kind_name_comparisons(p.read_text(encoding="utf-8")) for p in sorted(VALIDATE.glob("*.py"))}
    assert {name: lines for name, lines in found.items() if lines} == {}


def test_the_kind_name_test_would_catch_an_if_chain():
    planted = 'if kind.name == "closures":\n    pass\nelif raw.kind in ("victims", "x"):\n    pass\nok = a == "b"\n'
    assert kind_name_comparisons(planted) == ["1 'closures'", "3 'victims'"]


def test_a_table_that_is_not_a_kind_of_table_is_an_option_error(write):
    from geo.core.errors import OptionError

    [raw] = read_csv_kind(
        write("c.csv", "Ref,Lat,Lng,Granted,Expiry\r\nC1,51.45,-2.59,2024-01-01,2024-02-01\r\n"), "closures"
    )
    raw.kind = "wards"
    with pytest.raises(OptionError, match="validate_boundaries"):
        validate_table(raw)


# --------------------------------------------------------------------------- a new kind: its Kind and one check

REPAIRS = Kind(
    name="repairs",
    table="repairs",
    ref_column="ref",
    coordinates_optional=True,  # a repair logged by phone may have no point
    columns=(
        Column("ref", "str", required=True),
        Column("lat", "float", synonyms=("lat",)),
        Column("lng", "float", synonyms=("lng",)),
        Column("requested", "date", required=True, synonyms=("requested",)),
        Column("job", "str", synonyms=("job",)),
    ),
)


def repair_fields(text, out, rej: Rejector) -> None:
    out["requested"] = check_dates(text["requested"], "requested", rej, required=True)


def test_a_new_kind_needs_only_its_kind_and_one_field_check(write, monkeypatch):
    monkeypatch.setitem(KINDS, "repairs", REPAIRS)
    monkeypatch.setitem(FIELD_CHECKS, "repairs", repair_fields)
    text = (
        "Ref,Lat,Lng,Requested,Job\r\n"
        "R1,51.45,-2.59,05/03/2024,lock change\r\n"
        "R2,,,2024-03-06,lock change\r\n"  # no point: kept, the kind says coordinates are optional
        "R3,51.45,-2.59,31/02/2024,repair\r\n"  # no 31 February
        ",51.45,-2.59,2024-03-07,repair\r\n"  # ref is required
    )
    [raw] = read_csv_kind(write("r.csv", text), REPAIRS)
    v = validate_table(raw)
    assert v.accepted["ref"].tolist() == ["R1", "R2"]
    assert v.accepted["requested"].tolist() == ["2024-03-05", "2024-03-06"]
    assert pd.isna(v.accepted["lat"].iloc[1])
    assert v.rejects[["row", "column", "reason"]].values.tolist() == [
        [4, "Requested", "unparseable date: 31/02/2024"],
        [5, "Ref", "ref is blank"],
    ]


def test_optional_coordinates_are_data_on_the_kind(write, monkeypatch):
    """The same file, with the kind saying coordinates are required: the row without a point is rejected."""
    strict = replace(REPAIRS, coordinates_optional=False)
    monkeypatch.setitem(KINDS, "repairs", strict)
    monkeypatch.setitem(FIELD_CHECKS, "repairs", repair_fields)
    [raw] = read_csv_kind(write("r.csv", "Ref,Lat,Lng,Requested\r\nR1,,,2024-03-06\r\n"), strict)
    v = validate_table(raw)
    assert v.accepted.empty
    assert v.rejects["reason"].tolist() == ["no coordinates (blank location, e.g. police.uk 'No Location')"]
