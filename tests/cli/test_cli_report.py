"""The report command's files: the format follows the suffix, anything else is refused first."""

from __future__ import annotations

from pathlib import Path

import pytest

from geo.cli._report import outputs_to_formats
from geo.core.errors import OptionError


def test_suffix_gives_the_format_in_the_order_given():
    assert outputs_to_formats("pack.PDF", "page.htm") == [(Path("pack.PDF"), "pdf"), (Path("page.htm"), "html")]
    assert outputs_to_formats("pack.html", None) == [(Path("pack.html"), "html")]


@pytest.mark.parametrize(("out", "html", "option"), [("pack.docx", None, "--out"), ("pack.pdf", "page.txt", "--html")])
def test_another_suffix_is_an_option_error_naming_the_option(out, html, option):
    with pytest.raises(OptionError, match=r"the report is written as \.pdf or \.html") as caught:
        outputs_to_formats(out, html)
    assert caught.value.option == option
