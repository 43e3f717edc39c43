"""Error text from a file is shown as the characters it is: no link, formula, colour or HTML from Markdown."""

from __future__ import annotations

import re

from hypothesis import given
from hypothesis import strategies as st
from markdown_it import MarkdownIt

from dashboard.messages import markdown_literal

HOSTILE = [
    "wards-[sign in](http://evil.example/login).geojson: no ward code",
    "![x](http://evil.example/pixel.png) is not a CSV",
    "<img src=x onerror=alert(1)> in column Location",
    "$\\frac{1}{0}$ and :red[alarm] and :material/warning: in row 3",
    "**bold** _it_ ~~gone~~ # heading | a | b |",
]


def _rendered(text: str) -> str:
    """CommonMark's HTML for ``text`` (Streamlit's Markdown is CommonMark plus extensions)."""
    return MarkdownIt("commonmark").render(text)


def test_hostile_messages_render_as_their_own_text():
    for message in HOSTILE:
        html = _rendered(markdown_literal(message))
        assert not re.search(r"<(a|img|strong|em|del|h\d|table|script)\b", html), (message, html)
        # what shows is what was said: unescape the HTML entities and drop the paragraph
        shown = html.removeprefix("<p>").removesuffix("</p>\n")
        shown = shown.replace("&lt;", "<").replace("&gt;", ">").replace("&quot;", '"').replace("&amp;", "&")
        assert shown == message


def test_our_own_code_spans_stay_code():
    html = _rendered(markdown_literal("remove the demo first with `python -m geo demo --remove`, or [x](y)"))
    assert "<code>python -m geo demo --remove</code>" in html and "<a " not in html


@given(st.text(alphabet=st.characters(min_codepoint=32, max_codepoint=126, blacklist_characters="`"), max_size=80))
def test_any_printable_text_without_backticks_renders_as_itself(text):
    html = _rendered(markdown_literal(text.strip()))
    assert "<a " not in html and "<img" not in html and "<em>" not in html and "<strong>" not in html


def test_block_markers_and_autolinks_are_taken_apart():
    for message, tag in (("# wards.geojson", "<h1"), ("12. item", "<ol"), ("- x", "<ul"), ("> quoted", "<blockquote")):
        html = _rendered(markdown_literal(message))
        assert tag not in html and html.startswith("<p>"), (message, html)
    # GitHub-flavoured Markdown (Streamlit's) links bare URLs, www. hosts and e-mail addresses: none stays whole
    literal = markdown_literal("see http://evil.example, https://evil.example, www.evil.example or ana@evil.example")
    assert not re.search(r"https?://|www\.|\w@\w", literal), literal
