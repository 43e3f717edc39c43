"""Where CSV bytes come from: a file, a folder of files or a zip archive, and their hash.

Why a module of its own: finding the files (only the ``*-street.csv`` of a
police.uk download), handing them over as memory maps rather than copies, and
hashing their bytes for the import log are the same whichever reader parses
them. The hash is worked out in the background while the file is parsed.

Archives are judged from their directory before anything is unpacked
(:func:`check_members`, with the limits of :mod:`geo.ingest._limits`): how
many entries, how large each file unpacks, how much it expands and how much
all of them come to. A zip bomb is refused in the time it takes to read its
directory, naming the member; the boundary reader applies the same checks
(:func:`check_archive`) before GDAL opens the archive.
"""

from __future__ import annotations

import contextlib
import hashlib
import mmap
import os
import threading
import zipfile
import zlib
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from geo.core.errors import InputError, printable
from geo.ingest._limits import (
    ARCHIVE_BYTES,
    ARCHIVE_ENTRIES,
    FILES,
    MEMBER_BYTES,
    MEMBER_RATIO,
    RATIO_FROM_BYTES,
    size_text,
)


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
    have different columns and would all be rejected. Archives inside the archive
    are not opened (a nested zip is the classic way round a bomb check).

    Raises
    ------
    InputError
        For a missing path, a folder or archive without CSV files, more files
        than one import reads, an archive past its limits (checked before anything
        is unpacked) or one that is damaged, encrypted or compressed in a way
        that cannot be unpacked.
    """
    p = Path(path)
    shown = printable(label or str(p))
    if not p.exists():
        raise InputError("no such file or folder", file=shown)
    if p.is_dir():
        found = sorted(f for f in p.rglob("*") if f.is_file() and f.suffix.lower() == ".csv")
        files = _prefer_street([(str(f), f.name) for f in found])
        if not files:
            raise InputError("folder holds no .csv files", file=shown)
        _check_count(len(files), file=shown, where="folder")
        for file, _name in files:
            named = f"{label}/{Path(file).relative_to(p)}" if label else file
            yield printable(named), _read(Path(file), mapped=mapped)
        return
    if zipfile.is_zipfile(p) and p.suffix.lower() == ".zip":
        with open_zip(p, label=shown) as zf:
            entries = [m for m in zf.infolist() if not m.is_dir()]
            by_name = {m.filename: m for m in entries}
            csvs = [(m.filename, m.filename) for m in entries if m.filename.lower().endswith(".csv")]
            members = [by_name[name] for name, _ in _prefer_street(sorted(csvs))]
            if not members:
                nested = [m.filename for m in entries if m.filename.lower().endswith(".zip")]
                also = ""
                if nested:
                    also = f" (it holds {printable(nested[0])}: archives inside an archive are not opened)"
                raise InputError(f"zip archive holds no .csv files{also}", file=shown)
            _check_count(len(members), file=shown, where="zip archive")
            check_members(members, archive=shown)
            for member in members:
                yield f"{shown}:{printable(member.filename)}", read_member(zf, member, archive=shown)
        return
    if p.suffix.lower() == ".zip":
        raise InputError("is not a readable zip archive (damaged, or not a zip file at all)", file=shown)
    yield shown, _read(p, mapped=mapped)


@contextmanager
def open_zip(path: Path, *, label: str) -> Iterator[zipfile.ZipFile]:
    """The archive at ``path``, its directory read and its entries counted (nothing unpacked yet)."""
    try:
        zf = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, zipfile.LargeZipFile, ValueError, EOFError) as exc:
        raise InputError(f"not a readable zip archive ({printable(str(exc))})", file=label) from None
    with zf:
        limit = ARCHIVE_ENTRIES.value()
        if len(zf.infolist()) > limit:
            raise InputError(
                f"zip archive holds {len(zf.infolist()):,} entries, more than the {limit:,} an archive may hold "
                f"({ARCHIVE_ENTRIES.hint()}): nothing was read",
                file=label,
            )
        yield zf


def check_members(members: list[zipfile.ZipInfo], *, archive: str) -> None:
    """Refuse an archive whose files, by its own directory, unpack too large, expand too much or cannot be read.

    Judged before anything is unpacked, from the sizes the directory declares;
    :func:`read_member` then never unpacks more than a member declared, so a
    directory that lies about a size only makes that member fail its checksum.
    """
    per_member, ratio, total_limit = MEMBER_BYTES.value(), MEMBER_RATIO.value(), ARCHIVE_BYTES.value()
    for m in members:
        where = f"{archive}:{printable(m.filename)}"
        if m.file_size > per_member:
            raise InputError(
                f"unpacks to {size_text(m.file_size)}, more than the {size_text(per_member)} one file in an "
                f"archive may be ({MEMBER_BYTES.hint()}): refused before unpacking, nothing was read",
                file=where,
            )
        expands = m.file_size / max(m.compress_size, 1)
        if m.file_size > RATIO_FROM_BYTES and expands > ratio:
            raise InputError(
                f"expands {expands:,.0f} times ({size_text(m.compress_size)} unpacks to {size_text(m.file_size)}); "
                f"real files expand less than {ratio:,} times ({MEMBER_RATIO.hint()}): refused as a likely "
                "zip bomb before unpacking, nothing was read",
                file=where,
            )
        if m.flag_bits & 0x1:
            raise InputError("is encrypted: unzip it with its password first", file=where)
        if m.compress_type not in _UNPACKABLE:
            raise InputError(
                f"is compressed with a method this reader cannot unpack (zip method {m.compress_type}): "
                "re-create the archive with ordinary (deflate) compression",
                file=where,
            )
    total = sum(m.file_size for m in members)
    if total > total_limit:
        raise InputError(
            f"its {len(members):,} files unpack to {size_text(total)} in all, more than the "
            f"{size_text(total_limit)} one import may read ({ARCHIVE_BYTES.hint()}): split the archive; "
            "refused before unpacking, nothing was read",
            file=archive,
        )


def check_archive(path: str | Path, *, label: str) -> None:
    """:func:`check_members` for every file of the archive at ``path`` (boundary archives: GDAL may read any).

    Archives inside it are refused: GDAL could be asked to open them, and
    their contents escape the checks of the outer directory.
    """
    with open_zip(Path(path), label=label) as zf:
        entries = [m for m in zf.infolist() if not m.is_dir()]
        nested = [m.filename for m in entries if m.filename.lower().endswith(".zip")]
        if nested:
            raise InputError(
                f"holds another archive ({printable(nested[0])}): archives inside an archive are not opened; "
                "unzip it and use the inner archive",
                file=label,
            )
        check_members(entries, archive=label)


#: Compression methods zipfile unpacks: stored, deflate, bzip2, lzma.
_UNPACKABLE = (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED, zipfile.ZIP_BZIP2, zipfile.ZIP_LZMA)


def read_member(zf: zipfile.ZipFile, member: zipfile.ZipInfo, *, archive: str) -> bytes:
    """One member's bytes, never more than its directory entry declared (already judged by :func:`check_members`)."""
    where = f"{archive}:{printable(member.filename)}"
    try:
        with zf.open(member) as f:
            return f.read(member.file_size)
    except (zipfile.BadZipFile, zlib.error, EOFError, NotImplementedError, RuntimeError) as exc:
        raise InputError(f"is damaged and cannot be unpacked ({printable(str(exc))})", file=where) from None


def _check_count(n: int, *, file: str, where: str) -> None:
    limit = FILES.value()
    if n > limit:
        raise InputError(
            f"{where} holds {n:,} CSV files to import, more than the {limit:,} one import reads "
            f"({FILES.hint()}): import it in parts (a year at a time, say); nothing was read",
            file=file,
        )


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
