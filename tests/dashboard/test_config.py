"""The Streamlit settings the security model relies on (SECURITY.md, Hardening)."""

from __future__ import annotations

import tomllib
from pathlib import Path

CONFIG = Path(__file__).resolve().parents[2] / ".streamlit" / "config.toml"


def test_no_traceback_or_exception_detail_reaches_the_browser():
    """``false`` is Streamlit's deprecated spelling of "stacktrace": only "none" keeps tracebacks out of the page."""
    client = tomllib.loads(CONFIG.read_text(encoding="utf-8"))["client"]
    assert client["showErrorDetails"] == "none"


def test_streamlit_reads_the_setting_as_generic_messages_only():
    from streamlit import config

    config.get_config_options(force_reparse=True, options_from_flags={})
    assert config.get_option("client.showErrorDetails") == "none"
