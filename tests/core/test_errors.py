"""Three error types, one meaning each: a file or row, an option, the store."""

from __future__ import annotations

import pytest

from geo.core.errors import InputError, NestwatchError, OptionError, StoreError


def test_each_kind_of_fault_has_its_own_type():
    """Catching one never catches another: the fix differs (the file, the call, the set-up)."""
    assert not issubclass(OptionError, InputError) and not issubclass(InputError, OptionError)
    assert not issubclass(StoreError, InputError | OptionError)
    # all three reach the one-line message of the CLI and the pages
    assert all(issubclass(e, NestwatchError) for e in (InputError, OptionError, StoreError))


def test_input_and_option_errors_stay_value_errors():
    """Code written against ValueError (bad values in, as numpy and pandas raise) still catches both."""
    with pytest.raises(ValueError):
        raise OptionError("k must be 0 or more, not -1", option="k")
    with pytest.raises(ValueError):
        raise InputError("file is empty", file="a.csv")


def test_an_input_error_says_where_an_option_error_says_what():
    assert (
        str(InputError("not a month", file="a.csv", row=7, column="Month"))
        == "a.csv, row 7, column 'Month': not a month"
    )
    assert str(InputError("file is empty")) == "file is empty"
    bad = OptionError("H3 resolution must be between 6 and 11, not 12", option="res")
    assert str(bad) == "H3 resolution must be between 6 and 11, not 12" and bad.option == "res"


def test_one_line_is_printable_and_bounded_keeping_both_ends():
    from geo.core.errors import MAX_MESSAGE_CHARS, one_line, printable

    assert printable("evil\x1b[2J\u202ename\r\n") == "evil [2J name "
    assert one_line("a.csv:  two\nlines\tand  tabs") == "a.csv: two lines and tabs"
    long = "x.csv: " + "g" * 5000 + " (NESTWATCH_MAX_COLUMNS raises the limit)"
    shown = one_line(long)
    assert len(shown) == MAX_MESSAGE_CHARS
    assert shown.startswith("x.csv: ggg") and shown.endswith("(NESTWATCH_MAX_COLUMNS raises the limit)")
    assert " … " in shown
    assert (
        one_line("short") == "short" and one_line(InputError("file is empty", file="a.csv")) == "a.csv: file is empty"
    )
