"""Errors shown on a page as the plain text they are, whatever the file they quote holds.

Messages name files, headings and values taken from an upload, and Streamlit
draws ``st.error`` text as Markdown: a file called ``[sign in](http://…)``
would become a link on the page, ``$…$`` a formula, ``:red[…]`` coloured
text. :func:`markdown_literal` escapes every character Markdown (and
Streamlit's own extensions) would act on, except inside the backtick code
spans our own messages use for commands, where Markdown does nothing anyway.
"""

from __future__ import annotations

import re

import streamlit as st

from geo.core.errors import one_line

# inline Markdown and HTML, links and images, LaTeX and strikethrough (one line: no block but the first character's)
_ACTIVE = re.compile(r"([\\`*_\[\]<>$~&])")
# Streamlit's emoji and icon shortcodes (``:smile:``, ``:material/lock:``)
_SHORTCODE = re.compile(r":(?=[\w/+-]+:)")
# GitHub-flavoured autolinks (Streamlit's Markdown has them): ``http://…``, ``www.…``, ``name@host``
_AUTOLINK = re.compile(r"(?i)(?<=https)(:)(?=//)|(?<=http)(:)(?=//)|(?<=www)(\.)|(@)")
# a line that starts a heading, quote, list or rule
_BLOCK_START = re.compile(r"^(\s*)(?:([#>+\-=])|(\d+)([.)]))")
# a code span of our own: shown as code, and nothing inside it is acted on
_CODE = re.compile(r"(`[^`\n]+`)")


def markdown_literal(text: str) -> str:
    """``text`` escaped so that Markdown shows it character for character (code spans kept as code)."""
    parts = _CODE.split(text)
    escaped = "".join(part if i % 2 else _plain(part) for i, part in enumerate(parts))
    return _BLOCK_START.sub(_unblock, escaped, count=1)


def _plain(part: str) -> str:
    part = _ACTIVE.sub(r"\\\1", part)
    part = _SHORTCODE.sub(r"\\:", part)
    return _AUTOLINK.sub(lambda m: "\\" + m.group(0), part)


def _unblock(m: re.Match[str]) -> str:
    # "\#" for a marker; "12\." for a numbered item (a backslash before a digit would show)
    return m.group(1) + ("\\" + m.group(2) if m.group(2) else m.group(3) + "\\" + m.group(4))


def show_error(error: BaseException | str, *, icon: str = ":material/error:") -> None:
    """Show ``error`` as one plain line in an error box (what the CLI prints, as literal text)."""
    st.error(markdown_literal(one_line(error)), icon=icon)
