"""The limits on input files are data: each documented, each changed by its own variable, a bad value refused."""

from __future__ import annotations

import pytest

from geo.core.errors import OptionError
from geo.ingest import LIMITS
from geo.ingest._limits import FILES, MEMBER_BYTES, size_text


def test_every_limit_has_a_reason_and_a_variable_of_its_own():
    assert len({limit.env for limit in LIMITS}) == len(LIMITS)
    for limit in LIMITS:
        assert limit.env.startswith("NESTWATCH_MAX_") and limit.default > 0
        assert len(limit.why) > 60, f"{limit.name}: say why the default is what it is"
        assert limit.hint() == f"{limit.env} raises the limit"


def test_the_defaults_are_the_documented_ones():
    """SECURITY.md lists these numbers: a change here is a change there."""
    assert {limit.env: limit.default for limit in LIMITS} == {
        "NESTWATCH_MAX_MEMBER_BYTES": 1024**3,
        "NESTWATCH_MAX_ARCHIVE_BYTES": 4 * 1024**3,
        "NESTWATCH_MAX_COMPRESSION_RATIO": 200,
        "NESTWATCH_MAX_ARCHIVE_ENTRIES": 5000,
        "NESTWATCH_MAX_FILES": 500,
        "NESTWATCH_MAX_LINE_BYTES": 1024**2,
        "NESTWATCH_MAX_COLUMNS": 1000,
    }


def test_a_variable_sets_its_limit_when_the_file_is_read(monkeypatch):
    monkeypatch.delenv("NESTWATCH_MAX_FILES", raising=False)
    assert FILES.value() == 500
    monkeypatch.setenv("NESTWATCH_MAX_FILES", "2_000")
    assert FILES.value() == 2000
    monkeypatch.setenv("NESTWATCH_MAX_MEMBER_BYTES", " 3221225472 ")
    assert MEMBER_BYTES.value() == 3 * 1024**3


@pytest.mark.parametrize("value", ["lots", "-5", "0", "1.5", "1e9"])
def test_a_variable_that_is_not_a_whole_number_above_0_is_an_option_error(monkeypatch, value):
    monkeypatch.setenv("NESTWATCH_MAX_FILES", value)
    with pytest.raises(OptionError) as caught:
        FILES.value()
    assert caught.value.option == "NESTWATCH_MAX_FILES"
    assert str(caught.value).startswith("NESTWATCH_MAX_FILES must be a whole number above 0, not ")


@pytest.mark.parametrize(
    ("n", "text"),
    [(0, "0 bytes"), (1023, "1023 bytes"), (1024, "1.0 KiB"), (1536 * 1024, "1.5 MiB"), (4 * 1024**3, "4.0 GiB")],
)
def test_sizes_are_written_as_people_read_them(n, text):
    assert size_text(n) == text
