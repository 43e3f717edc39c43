"""Downloads that are logged, with their reason, before their bytes exist.

``st.download_button(data=<bytes>)`` stores the file in Streamlit's media
store and sends its ``/media/<hash>`` URL to the browser when the page is
drawn, *disabled or not*: anyone signed in can read the URL off the websocket
and fetch the file with no reason given and no line in the audit log. So no
page hands Streamlit bytes. :func:`export_button` hands it a zero-argument
callable instead (Streamlit's deferred download), which Streamlit keeps on the
server and runs only when the button is clicked (on a worker thread, outside
the script run, once per click: nothing is cached between clicks). That
callable, made by :func:`logged_build`, writes the audit entry first and only
then builds the file, so every file that exists has its entry, and each
download is exactly one entry.

Until a reason is typed the button is disabled, and a disabled button
registers nothing: Streamlit (1.67) sends no URL and no deferred id for it and
revokes any id an earlier run registered. The callable given for a disabled
button refuses anyway, so a Streamlit that did register it would still build
nothing.

When the log cannot be written, or the file cannot be built, the callable
raises; Streamlit then shows "Failed to generate file for download" under the
button (no traceback reaches the browser; the server log has it). A failed
build after its entry was written leaves the entry: the log may record an
attempt that delivered nothing, never a delivery it does not record.

Streamlit's own "Download as CSV" in a table's toolbar is client-side and
cannot be logged, so it is switched off for the whole app in
``.streamlit/config.toml`` (``client.disableDataExport``). That is tidiness,
not protection: a table's rows are in the browser once it is drawn.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import streamlit as st

from geo.core.errors import OptionError
from geo.store import audit

if TYPE_CHECKING:
    from dashboard.auth import Session
    from geo.store import Store


@dataclass(frozen=True, kw_only=True)
class Export:
    """One file a page offers: its button, how to build it, and what its audit entry says.

    Attributes
    ----------
    label
        The button's text.
    file_name, mime
        What the browser saves, and as what.
    key
        The button's widget key.
    build
        Makes the file (bytes, or text saved as UTF-8). Called only after the entry is written,
        once per click, off the script thread: no ``st.*`` calls inside (Streamlit ignores them
        there). Bind what it needs when the page is drawn (``functools.partial``).
    rows
        How many rows (places, figures, log lines) the file holds, for the entry.
    personal
        The file holds personal data (flagged addresses, raw partner rows, who did what).
    target
        The entry's target; ``"export:<file_name>"`` when not given.
    icon
        The button's icon (``":material/download:"``), if any.
    """

    label: str
    file_name: str
    mime: str
    key: str
    build: Callable[[], bytes | str]
    rows: int
    personal: bool
    target: str = ""
    icon: str | None = None

    @property
    def audit_target(self) -> str:
        """What the audit entry names (never the data itself)."""
        return self.target or f"export:{self.file_name}"


def reason_input(label: str, *, key: str, help: str, placeholder: str = "") -> str:
    """A short text box for why the files below are being taken away; its value, stripped.

    Every download on a page waits for it; every entry carries it.
    """
    return st.text_input(label, key=key, placeholder=placeholder, help=help).strip()


def logged_build(export: Export, *, store: Store, user: str, role: str, reason: str) -> Callable[[], bytes]:
    """The callable a download runs on each click: write the audit entry, then build the bytes.

    Who, as what role and why are fixed here, when the page is drawn, because
    the callable runs outside the script run (no session state there).

    Raises
    ------
    OptionError
        (when called) No reason: nothing is written or built.
    StoreError
        (when called) The entry could not be written: nothing is built.
    """
    why = (reason or "").strip()

    def run() -> bytes:
        if not why:
            raise OptionError("an export needs a reason", option="reason")
        audit.record(
            store,
            user=user,
            role=role,
            action="export",
            target=export.audit_target,
            rows=export.rows,
            reason=why,
            personal=export.personal,
        )
        data = export.build()
        return data.encode("utf-8") if isinstance(data, str) else data

    return run


def _refused() -> bytes:
    raise OptionError("an export needs a reason", option="reason")


def export_button(container: Any, export: Export, *, reason: str, session: Session, store: Store) -> None:
    """Draw ``export``'s download button in ``container`` (``st``, a column…): disabled until ``reason``.

    The button carries :func:`logged_build`'s callable, never bytes: the page
    draw builds nothing and puts no file on the server.
    """
    ready = bool((reason or "").strip())
    data = (
        logged_build(export, store=store, user=session.user, role=session.role.name, reason=reason)
        if ready
        else _refused
    )
    container.download_button(
        export.label,
        data,
        file_name=export.file_name,
        mime=export.mime,
        key=export.key,
        disabled=not ready,
        icon=export.icon,
        help="Every download is logged with the reason given above (needed first).",
        # no rerun on the click: a rerun registers a new callable and drops the clicked one once it ends, so on
        # a busy server the browser's request for the file could arrive after its callable was gone
        on_click="ignore",
    )
