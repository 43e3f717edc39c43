"""``python -m geo ARGS --db DB`` run inside the test process, as :func:`tests.conftest.cli` runs it in a new one.

A new process pays 2-3 s of imports (pandas, geopandas, GDAL) before the
command starts; a suite with dozens of message and exit-code checks spent
minutes on that. :func:`run` calls :func:`geo.cli.main` here instead and gives
back what the process would have: its exit code and everything it wrote to
standard output and standard error. What makes the difference between the two
is put back around the call:

* output is captured at the file-descriptor level (pytest's ``capfd``), so a
  message GDAL or SQLite writes from C to fd 2 is seen, as in a terminal;
* Python warnings are printed to standard error under the interpreter's
  default filters, as a fresh process prints them (pytest would otherwise
  record them for its summary and the stderr checks would not see them);
* log records of WARNING and above reach standard error through
  :data:`logging.lastResort`, as in a process that configured no logging;
* every store the command opened is disposed when it returns, as process
  exit would close it (a SQLite connection left open keeps its WAL file).

What only a real process shows (the ``python -m geo`` entry point, the exit
status the shell sees, output at interpreter exit, a library's once-per-process
first message) stays with the real-subprocess tests that keep
:func:`tests.conftest.cli`: at least one per path (CSV import, boundary import,
``audit verify``).
"""

from __future__ import annotations

import logging
import os
import subprocess
import sys
import warnings
from pathlib import Path
from unittest import mock

import pytest

from geo.store import Store

ROOT = Path(__file__).resolve().parents[2]


def _default_warning_filters() -> None:
    """The filters a fresh ``python`` starts with (no ``-W``, no ``PYTHONWARNINGS``, not a debug build)."""
    warnings.resetwarnings()
    warnings.simplefilter("default")
    for category in (ResourceWarning, ImportWarning, PendingDeprecationWarning, DeprecationWarning):
        warnings.filterwarnings("ignore", category=category)
    warnings.filterwarnings("default", category=DeprecationWarning, module="__main__")


def run(capfd: pytest.CaptureFixture[str], *args: str, db: Path | str) -> subprocess.CompletedProcess[str]:
    """What ``python -m geo ARGS --db DB`` exits with and prints, from a call to :func:`geo.cli.main` here.

    ``capfd`` is the calling test's fixture; output captured before the call
    is discarded, so each call's output is its own.
    """
    from geo.cli import main

    argv = [*args, "--db", str(db)]
    capfd.readouterr()
    opened: list[Store] = []
    real_init = Store.__init__

    def init(self: Store, *a: object, **k: object) -> None:
        real_init(self, *a, **k)
        opened.append(self)

    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    here = os.getcwd()
    try:
        os.chdir(ROOT)  # where the real command runs (tests.conftest.cli's cwd)
        root.handlers, root.level = [], logging.WARNING  # no handler: lastResort prints WARNING+ to stderr
        with warnings.catch_warnings(record=True) as caught, mock.patch.object(Store, "__init__", init):
            _default_warning_filters()
            try:
                code = main(argv)
            except SystemExit as done:  # argparse's own usage errors
                code = done.code if isinstance(done.code, int) else (0 if done.code is None else 1)
            finally:
                for store in opened:
                    store.dispose()
        for w in caught:  # printed as a fresh process prints them, after what the command printed
            sys.stderr.write(warnings.formatwarning(w.message, w.category, w.filename, w.lineno, w.line))
    finally:
        root.handlers, root.level = handlers, level
        os.chdir(here)
    out, err = capfd.readouterr()
    return subprocess.CompletedProcess([sys.executable, "-m", "geo", *argv], code, out, err)
