"""A dashboard session without a browser: Streamlit's own websocket protocol, as its front end speaks it.

Used by the load benchmark and the concurrency tests to hold many sessions at
once on a 2-core machine, where 20 Chromium tabs would measure Chromium rather
than the server. A session connects to ``/_stcore/stream``, asks for one page
(a ``rerun_script`` back-message, as a browser does on load) and reads forward
messages until the script has finished: that is when the last element of the
page has left the server. The browser's own drawing of the map comes on top
and does not depend on server load; ``tests/pages/test_browser.py`` covers it.

Built to be slow without failing: a session's only bound is its ``timeout``.
The client sends no keepalive pings (websockets' default is a ping every 20 s
that must be answered within 20 s): on loopback a dead server closes the
socket at once, while a live one that is busy running twenty scripts on two
cores may answer a ping late, and closing the session then would report
load as an error. A failure says what the session was waiting for.
"""

from __future__ import annotations

import asyncio
import subprocess
import time
from dataclasses import dataclass, field

import websockets
from streamlit.proto.BackMsg_pb2 import BackMsg
from streamlit.proto.ForwardMsg_pb2 import ForwardMsg
from websockets.typing import Subprotocol


@dataclass
class SessionResult:
    """One page load: how long until the script finished, and what it showed."""

    seconds: float
    texts: list[str] = field(default_factory=list)  # markdown and captions, in order
    exceptions: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)  # st.error boxes
    finished: bool = False

    @property
    def ok(self) -> bool:
        return self.finished and not self.exceptions


async def open_session(base: str, page: str = "", *, timeout: float = 60.0) -> SessionResult:
    """Load ``page`` (its URL path, "" for the default) from the app at ``base`` (``host:port``).

    ``timeout`` bounds the whole load, from connecting to the script's end;
    when it runs out (or the connection fails) ``exceptions`` says which of
    those it was waiting for, after how long, and how many messages had come.
    """
    start = time.perf_counter()
    result = SessionResult(seconds=0.0)
    waiting = "connecting"
    received = 0
    try:
        async with websockets.connect(
            f"ws://{base}/_stcore/stream",
            subprotocols=[Subprotocol("streamlit")],
            max_size=None,
            open_timeout=timeout,
            ping_interval=None,
        ) as ws:
            msg = BackMsg()
            msg.rerun_script.query_string = ""
            msg.rerun_script.page_name = page
            waiting = "sending the rerun request"
            await ws.send(msg.SerializeToString())
            waiting = "the script to finish"
            deadline = start + timeout
            while True:
                raw = await asyncio.wait_for(ws.recv(), max(0.1, deadline - time.perf_counter()))
                received += 1
                fm = ForwardMsg()
                fm.ParseFromString(raw)
                kind = fm.WhichOneof("type")
                if kind == "delta" and fm.delta.WhichOneof("type") == "new_element":
                    element = fm.delta.new_element
                    what = element.WhichOneof("type")
                    if what == "markdown":
                        result.texts.append(element.markdown.body)
                    elif what == "exception":
                        result.exceptions.append(f"{element.exception.type}: {element.exception.message}")
                    elif what == "alert" and element.alert.format == element.alert.ERROR:
                        result.errors.append(element.alert.body)
                elif kind == "script_finished":
                    result.finished = fm.script_finished in (
                        fm.FINISHED_SUCCESSFULLY,
                        fm.FINISHED_FRAGMENT_RUN_SUCCESSFULLY,
                    )
                    break
    except (TimeoutError, OSError, websockets.WebSocketException) as exc:
        result.exceptions.append(
            f"{exc.__class__.__name__} ({exc}) while waiting for {waiting} of page {page or '(default)'!r}, "
            f"{time.perf_counter() - start:.0f} s into a {timeout:.0f} s limit, after {received} messages"
        )
    result.seconds = time.perf_counter() - start
    return result


async def open_sessions(base: str, page: str, n: int, *, timeout: float = 60.0) -> list[SessionResult]:
    """``n`` sessions at the same moment."""
    return list(await asyncio.gather(*(open_session(base, page, timeout=timeout) for _ in range(n))))


def load_pages(base: str, page: str, n: int, *, timeout: float = 60.0) -> list[SessionResult]:
    """Blocking form of :func:`open_sessions`."""
    return asyncio.run(open_sessions(base, page, n, timeout=timeout))


def free_port() -> int:
    """A free loopback port."""
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class AppServer:
    """``streamlit run app.py`` on loopback over a given store, tiles off; a context manager.

    ``base`` is ``host:port``; ``pid`` the server process, for memory readings.
    ``start_timeout`` bounds the wait for the server to answer its health
    check, ``stop_timeout`` the wait for it to exit before it is killed (a
    busy machine needs more of both than an idle one).
    """

    def __init__(
        self,
        db_url: str,
        *,
        port: int | None = None,
        env: dict[str, str] | None = None,
        start_timeout: float = 60.0,
        stop_timeout: float = 10.0,
    ) -> None:
        import os
        from pathlib import Path

        self.root = Path(__file__).resolve().parents[1]
        self.port = port or free_port()
        self.base = f"127.0.0.1:{self.port}"
        self.env = {**os.environ, "NESTWATCH_DB": db_url, "NESTWATCH_TILES": "none", **(env or {})}
        self.env.pop("NESTWATCH_DATABASE_URL", None)
        self.start_timeout = start_timeout
        self.stop_timeout = stop_timeout
        self.proc: subprocess.Popen[bytes] | None = None

    def __enter__(self) -> AppServer:
        import sys
        import urllib.request

        self.proc = subprocess.Popen(
            [
                *(sys.executable, "-m", "streamlit", "run", str(self.root / "app.py")),
                *("--server.port", str(self.port), "--server.address", "127.0.0.1", "--server.headless", "true"),
            ],
            cwd=self.root,
            env=self.env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + self.start_timeout
        while time.monotonic() < deadline and self.proc.poll() is None:
            try:
                urllib.request.urlopen(f"http://{self.base}/_stcore/health", timeout=1)
                return self
            except OSError:
                time.sleep(0.3)  # the interval between polls of the health check
        self.proc.kill()
        self.proc.wait()
        raise RuntimeError(
            f"the app did not answer http://{self.base}/_stcore/health within {self.start_timeout:.0f} s "
            f"(exit code {self.proc.returncode})"
        )

    @property
    def pid(self) -> int:
        assert self.proc is not None
        return self.proc.pid

    def rss_mb(self) -> float:
        """Resident memory of the server process now (MB)."""
        with open(f"/proc/{self.pid}/status") as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) / 1024
        return float("nan")

    def __exit__(self, *exc: object) -> None:
        if self.proc is not None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=self.stop_timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
