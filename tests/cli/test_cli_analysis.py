"""The statistics' shared options: which incidents count, and the plan's own options."""

from __future__ import annotations

import pytest

from geo.cli import build_parser
from geo.cli._analysis import args_to_filters, check_plan_options
from geo.core.errors import InputError, OptionError
from geo.stats.aggregate import Filters


def _filters(*argv: str) -> Filters:
    return args_to_filters(build_parser().parse_args(["hotspots", *argv]))


def test_anti_social_behaviour_by_default_and_all_for_every_category():
    assert _filters() == Filters(categories=("Anti-social behaviour",))
    assert _filters("--category", "all").categories is None
    assert _filters("--category", "Drugs", "--category", "all").categories is None
    assert _filters("--category", "Drugs", "--category", "Robbery").categories == ("Drugs", "Robbery")
    assert _filters("--from", "2024-01", "--to", "2024-03", "--source", "housing") == Filters(
        month_from="2024-01", month_to="2024-03", categories=("Anti-social behaviour",), sources=("housing",)
    )


def test_a_category_that_can_never_match_is_an_option_error_listing_the_accepted():
    with pytest.raises(OptionError) as caught:
        _filters("--category", "Drugs", "--category", "asb")  # stored categories are police.uk's exact names
    message = str(caught.value)
    assert message.startswith("unknown category 'asb'; expected 'all' or one of: Anti-social behaviour, ")
    assert "Violence and sexual offences" in message and caught.value.option == "--category"
    assert not isinstance(caught.value, InputError)


@pytest.mark.parametrize("as_of", [None, "2024-01-31", "2024-02-29"])
def test_plan_options_accepted(as_of):
    check_plan_options(top=0, as_of=as_of)


@pytest.mark.parametrize(
    ("top", "as_of", "words"),
    [
        (-1, None, "--top must be 0 or more, not -1"),
        (10, "2024-02-30", "not '2024-02-30'"),  # no such day
        (10, "2023-02-29", "not '2023-02-29'"),  # not a leap year
        (10, "31/01/2024", "--as-of must be a day YYYY-MM-DD"),
        (10, "2024-01", "--as-of must be a day YYYY-MM-DD"),
        (10, "20240131", "--as-of must be a day YYYY-MM-DD"),  # ISO basic form: compared as text it would misorder
    ],
)
def test_plan_options_refused(top, as_of, words):
    with pytest.raises(OptionError, match=words):
        check_plan_options(top=top, as_of=as_of)
