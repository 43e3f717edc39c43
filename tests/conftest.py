"""Shared fixtures: throw-away stores, tiny CSV writers, and the real-data folder."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from geo.schema import POLICE_UK_HEADER
from geo.store import Store

REAL = Path(__file__).resolve().parents[2] / "shared" / "data" / "real"
if os.environ.get("NESTWATCH_REAL_DATA"):
    REAL = Path(os.environ["NESTWATCH_REAL_DATA"])

POLICE_HEADER = ",".join(POLICE_UK_HEADER)


def real_file(name: str) -> Path:
    """Path of a file in ../shared/data/real, or skip the test when it is absent."""
    path = REAL / name
    if not path.exists():
        pytest.skip(f"real data not available: {path}")
    return path


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    s = Store(tmp_path / "test.sqlite")
    yield s
    s.dispose()


@pytest.fixture
def write(tmp_path: Path) -> Callable[..., Path]:
    """Write text (or bytes) to a file in tmp_path and return its path."""

    def _write(name: str, content: str | bytes, *, encoding: str = "utf-8") -> Path:
        path = tmp_path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        data = content if isinstance(content, bytes) else content.encode(encoding)
        path.write_bytes(data)
        return path

    return _write


def police_row(
    *,
    crime_id: str = "",
    month: str = "2024-01",
    lng: str = "-2.590000",
    lat: str = "51.450000",
    location: str = "On or near Park Street",
    lsoa: str = "E01014540",
    category: str = "Anti-social behaviour",
    outcome: str = "",
) -> str:
    """One police.uk street-level row (Bristol by default)."""
    return ",".join(
        [
            crime_id,
            month,
            "Avon and Somerset Constabulary",
            "Avon and Somerset Constabulary",
            lng,
            lat,
            f'"{location}"',
            lsoa,
            "Bristol 032B",
            category,
            outcome,
            "",
        ]
    )


def police_csv(*rows: str, eol: str = "\r\n") -> str:
    return eol.join([POLICE_HEADER, *rows]) + eol
