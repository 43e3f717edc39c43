"""Where CSV bytes come from: a file, a folder of files or a zip archive, and their hash.

Why a module of its own: finding the files (only the ``*-street.csv`` of a
police.uk download), handing them over as memory maps rather than copies, and
hashing their bytes for the import log are the same whichever reader parses
them. The hash is worked out in the background while the file is parsed.
"""

from __future__ import annotations

import contextlib
import hashlib
import mmap
import os
import threading
import zipfile
from collections.abc import Iterator
from pathlib import Path

from geo.core.errors import InputError


def iter_csv_sources(
    path: str | Path, *, label: str | None = None, mapped: bool = False
) -> Iterator[tuple[str, bytes | mmap.mmap]]:
    """Yield ``(label, bytes)`` for each CSV in a file, a folder or a zip archive.

    ``label`` names the file in messages and the import log instead of its
    path (an upload is saved under a temporary folder the user never saw).
    With ``mapped``, files on disk come as read-only memory maps instead of
    bytes: the page cache is read in place, not copied (hundreds of megabytes
    for a force-year).

    police.uk archives hold ``*-street.csv`` beside outcomes and stop-and-search
    files; when street files are present only they are read, because the others
    have different columns and would all be rejected.
    """
    p = Path(path)
    if not p.exists():
        raise InputError("no such file or folder", file=str(path))
    if p.is_dir():
        found = sorted(f for f in p.rglob("*") if f.is_file() and f.suffix.lower() == ".csv")
        files = _prefer_street([(str(f), f.name) for f in found])
        if not files:
            raise InputError("folder holds no .csv files", file=str(path))
        for file, _name in files:
            shown = f"{label}/{Path(file).relative_to(p)}" if label else file
            yield shown, _read(Path(file), mapped=mapped)
        return
    if zipfile.is_zipfile(p) and p.suffix.lower() == ".zip":
        with zipfile.ZipFile(p) as zf:
            members = [
                (m.filename, m.filename)
                for m in zf.infolist()
                if not m.is_dir() and m.filename.lower().endswith(".csv")
            ]
            members = _prefer_street(sorted(members))
            if not members:
                raise InputError("zip archive holds no .csv files", file=str(path))
            for name, _ in members:
                yield f"{label or p}:{name}", zf.read(name)
        return
    yield label or str(p), _read(p, mapped=mapped)


def _read(path: Path, *, mapped: bool) -> bytes | mmap.mmap:
    if not mapped:
        return path.read_bytes()
    with path.open("rb") as f:
        try:
            return mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ)
        except (ValueError, OSError):  # empty file, or a file system without mmap
            return path.read_bytes()


def _prefer_street(files: list[tuple[str, str]]) -> list[tuple[str, str]]:
    street = [f for f in files if f[1].lower().endswith("-street.csv")]
    return street or files


class FileDigest:
    """The SHA-256 of a file's bytes, worked out on a thread of the lowest CPU priority.

    The parse and the checks have both cores first; the hash fills their idle
    moments. Whatever is left when :meth:`result` is called (on a busy
    machine a lowest-priority thread may hardly run) is hashed right there,
    at normal priority, so the import never waits on a starved thread.
    """

    _CHUNK = 1 << 22

    def __init__(self, data: bytes | mmap.mmap) -> None:
        self._view: memoryview | None = memoryview(data)
        self._hash = hashlib.sha256()
        self._done = 0
        self._lock = threading.Lock()
        self._hex: str | None = None
        self._thread = threading.Thread(target=self._background, daemon=True)
        self._thread.start()

    def _step(self) -> bool:
        with self._lock:  # the chunks must go in order, whoever hashes them
            if self._view is None or self._done >= len(self._view):
                self._view = None  # done: the file's bytes may go
                return False
            self._hash.update(self._view[self._done : self._done + self._CHUNK])
            self._done += self._CHUNK
            return True

    def _background(self) -> None:
        with contextlib.suppress(OSError, AttributeError):  # a thread's priority is settable on Linux only
            os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), 19)
        while self._step():
            pass

    def result(self) -> str:
        if self._hex is None:
            while self._step():
                pass
            self._hex = self._hash.hexdigest()
        return self._hex
