"""The force's basemap file as :mod:`dashboard.basemap` reads and copies it: only a regular file, every read
error a plain :class:`~geo.core.errors.InputError`, and the file's identity to tell a changed file by.

Why each guard (each was a hang or a traceback on every map page, found in review):

* **Regular files only.** A FIFO, a terminal, ``/dev/zero`` or a socket named by ``NESTWATCH_BASEMAP``
  blocks ``open`` or never ends a read, and the page lock is held meanwhile, so every map page hangs. The
  path is ``stat``-ed first (``S_ISREG``) and opened with ``O_NONBLOCK`` (opening a FIFO then returns at
  once), and the open descriptor is checked again, in case the path was swapped between the two.
* **A read that fails is the file's fault, said in words.** ``/proc/self/mem`` is a "regular file" whose
  reads fail (EIO); a failing disk or a network share gone away does the same mid-copy. :class:`Source`
  turns any ``OSError`` of opening, seeking or reading into "cannot be read (…)", which the caller
  remembers like any other fault in the file.
* **Identity.** :func:`identity` is what names one version of the file: device and inode (a replacement
  with the same size and modification time, as ``rsync -t`` or ``cp -p`` make), size, modification time
  and change time (``chmod`` changes only that, and can make an unreadable file readable).
"""

from __future__ import annotations

import contextlib
import os
import stat
from pathlib import Path
from typing import Any, BinaryIO

from geo.core.errors import InputError, printable

ENV = "NESTWATCH_BASEMAP"


def fail(path: str, message: str) -> InputError:
    """The one plain error for a basemap file that cannot be used, naming the file and the setting."""
    return InputError(f"{message} Set {ENV} to a PMTiles (.pmtiles) or MBTiles (.mbtiles) file.", file=printable(path))


def cannot_read(path: str, error: OSError) -> InputError:
    return fail(path, f"cannot be read ({error.strerror or 'not allowed'}).")


def identity(st: os.stat_result) -> tuple[int, ...]:
    """What tells one version of a file from another (see the module's notes)."""
    return (st.st_dev, st.st_ino, st.st_size, st.st_mtime_ns, st.st_ctime_ns)


def stat_key(path: str) -> tuple[Any, ...]:
    """The cache key of the file ``path`` names now: its path, real path and :func:`identity`."""
    try:
        return (path, os.path.realpath(path), *identity(os.stat(path)))
    except (OSError, ValueError):  # ValueError: a NUL in the path
        return (path, None)


def _check_kind(path: str, mode: int) -> None:
    if stat.S_ISDIR(mode):
        raise fail(path, "is a folder, not a basemap file.")
    if not stat.S_ISREG(mode):
        raise fail(path, "is not a regular file (a pipe, device or socket cannot be a basemap).")


def check_regular(path: str) -> os.stat_result:
    """``stat`` of the regular file at ``path``, or the InputError saying why it is not one (never opens it)."""
    try:
        st = os.stat(path)
    except FileNotFoundError:
        raise fail(path, "no such file.") from None
    except ValueError:
        raise fail(path, "is not a file name (it holds a NUL character).") from None
    except OSError as e:
        raise cannot_read(path, e) from None
    _check_kind(path, st.st_mode)
    return st


class Source:
    """The regular file at ``path`` open for reading; every ``OSError`` of a read is a plain InputError."""

    def __init__(self, path: str) -> None:
        self.path = path
        check_regular(path)
        flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_CLOEXEC", 0) | getattr(os, "O_NOCTTY", 0)
        try:
            fd = os.open(path, flags)
        except FileNotFoundError:
            raise fail(path, "no such file.") from None
        except OSError as e:
            raise cannot_read(path, e) from None
        try:
            _check_kind(path, os.fstat(fd).st_mode)  # swapped for a pipe since the stat above
            self._file: BinaryIO = os.fdopen(fd, "rb")
        except BaseException:
            os.close(fd)
            raise

    def __enter__(self) -> Source:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        with contextlib.suppress(OSError):
            self._file.close()

    def stat(self) -> os.stat_result:
        return self._guard(lambda: os.fstat(self._file.fileno()))

    def read(self, n: int) -> bytes:
        return self._guard(lambda: self._file.read(n))

    def seek(self, offset: int) -> None:
        self._guard(lambda: self._file.seek(offset))

    def _guard(self, call: Any) -> Any:
        try:
            return call()
        except OSError as e:
            raise cannot_read(self.path, e) from None


class Parts:
    """A write-only file that spreads what is written over ``0.bin``, ``1.bin``… of ``part_bytes`` each."""

    def __init__(self, folder: Path, part_bytes: int) -> None:
        self.folder, self.part_bytes, self.size = folder, part_bytes, 0
        self._file: BinaryIO | None = None

    def write(self, data: bytes) -> int:
        view = memoryview(data)
        while view:
            index, used = divmod(self.size, self.part_bytes)
            if used == 0 or self._file is None:
                if self._file is not None:
                    self._file.close()
                self._file = (self.folder / f"{index}.bin").open("wb")
            n = min(len(view), self.part_bytes - used)
            self._file.write(view[:n])
            self.size += n
            view = view[n:]
        return len(data)

    def close(self) -> None:
        if self._file is not None:
            self._file.close()
        if self.size == 0:
            (self.folder / "0.bin").touch()

    def head(self, n: int) -> bytes:
        """The first ``n`` bytes written, read back from the parts (to check the copy, not the source)."""
        out = b""
        index = 0
        while len(out) < n and (self.folder / f"{index}.bin").exists():
            with (self.folder / f"{index}.bin").open("rb") as f:
                out += f.read(n - len(out))
            index += 1
        return out


def copy(source: Source, out: Parts) -> None:
    """All of ``source`` from its start into ``out``."""
    source.seek(0)
    while chunk := source.read(1 << 20):
        out.write(chunk)
