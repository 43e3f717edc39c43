"""Hostile files, built small and fast: zips whose directory claims what it likes, real zip bombs, long lines.

Shared by the reader, command-line and page tests (issue #13, files that take
the machine down or are misread). A claimed size costs nothing to build: the
readers must refuse from the archive's directory before unpacking a byte, so
the bytes behind a claim are never read (and would fail their checksum if they were).
"""

from __future__ import annotations

import struct
import zipfile
import zlib
from pathlib import Path

from tests.conftest import police_csv, police_row

GIB = 1 << 30
MIB = 1 << 20
_ZIP64 = 0xFFFFFFFF


def claimed_zip(
    path: Path, members: list[tuple[str, int, int] | tuple[str, bytes]], *, data: bytes = b"x" * 64
) -> Path:
    """A deflate zip whose directory says each ``(name, size, compressed size)``; behind each, only ``data``.

    A member given as ``(name, content)`` is real: its content deflated, with
    its true sizes. Sizes from 4 GiB up are written as zip64 (as real archives write them).
    """
    out, central = bytearray(), bytearray()
    for member in members:
        if isinstance(member[1], bytes):
            name, content = member
            packer = zlib.compressobj(9, zlib.DEFLATED, -15)
            body = packer.compress(content) + packer.flush()
            size, packed, crc = len(content), len(body), zlib.crc32(content)
        else:
            name, size, packed = member
            body, crc = data, zlib.crc32(data)
        raw = name.encode()
        big = size >= _ZIP64 or packed >= _ZIP64
        extra = struct.pack("<HHQQ", 1, 16, size, packed) if big else b""
        size32, packed32 = (_ZIP64, _ZIP64) if big else (size, packed)
        offset = len(out)
        out += struct.pack("<IHHHHHIIIHH", 0x04034B50, 45, 0, 8, 0, 0, crc, packed32, size32, len(raw), len(extra))
        out += raw + extra + body
        central += struct.pack(
            "<IHHHHHHIIIHHHHHII",
            0x02014B50,
            45,
            45,
            0,
            8,
            0,
            0,
            crc,
            packed32,
            size32,
            len(raw),
            len(extra),
            0,
            0,
            0,
            0,
            offset,
        )
        central += raw + extra
    start = len(out)
    out += central
    out += struct.pack("<IHHHHIIH", 0x06054B50, 0, 0, len(members), len(members), len(central), start, 0)
    path.write_bytes(bytes(out))
    return path


def zeros_zip(path: Path, name: str, *, size: int, head: bytes = b"") -> Path:
    """A real zip bomb: ``head`` then zeros up to ``size`` bytes, deflated (about 1,000 to 1), written in chunks."""
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as zf, zf.open(name, "w") as f:
        f.write(head)
        left, chunk = size - len(head), b"\0" * MIB
        while left > 0:
            f.write(chunk[: min(left, MIB)])
            left -= MIB
    return path


def many_files_zip(path: Path, n: int) -> Path:
    """``n`` one-row police.uk street files (distinct rows), as a police.uk download nests them."""
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        for i in range(n):
            zf.writestr(f"2024-01/{i:04d}-street.csv", police_csv(police_row(crime_id=f"c{i}")))
    return path


def long_line_csv(length: int, *, where: str = "middle") -> bytes:
    """A police.uk file with one line of ``length`` bytes before, among or after two good rows."""
    header, good = police_csv().encode(), (police_row() + "\r\n").encode()
    long = b"x" * length + b"\r\n"
    body = {"first": long + good + good, "middle": good + long + good, "last": good + good + long[:-2]}[where]
    return header + body
