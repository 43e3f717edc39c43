"""GPX 1.1 tracks as patrol pings: one unit per file, one row per track point, nothing judged yet.

A GPS handset or a phone app records a patrol as a GPX track
(``<gpx><trk><trkseg><trkpt lat lon><time>``). Each track point becomes a
row of the ``patrols`` kind, numbered by its place among the file's track
points (the first is row 1), so that a rejected point is named by file, row
and column (``lat``, ``lon`` or ``time``) as a CSV row would be. The unit is
not in the file (a track is one device's) and is given by whoever loads it
(``--unit``, or the Load data page's question). Waypoints and route points
are plans, not where anyone was, and are not read.

Why defusedxml: a GPX file is XML from outside, and the standard library's
parser expands entities, so a few hundred bytes of nested entity definitions
(the "billion laughs") can take gigabytes, and an external entity can make
the parser read a local file into a value. A track needs no document type
declaration at all, so any file with one is refused before it is parsed
further (``forbid_dtd``), as are entities and external references.
"""

from __future__ import annotations

import hashlib
import io
import xml.etree.ElementTree as ET
from pathlib import Path

import defusedxml  # type: ignore[import-untyped]  # ships no types; types-defusedxml is not a dependency
import defusedxml.ElementTree as SafeET  # type: ignore[import-untyped]
import pandas as pd

from geo.core.errors import InputError, OptionError, printable
from geo.core.rejects import empty_rejects
from geo.core.schema import MAX_KEY_LENGTH
from geo.ingest._limits import MEMBER_BYTES, size_text
from geo.ingest.readers import RawTable

__all__ = ["GPX_HEADINGS", "GPX_SOURCE", "is_gpx", "read_gpx"]

#: The ``source`` of pings read from a GPX track.
GPX_SOURCE = "gpx"
#: The namespaces of GPX 1.1 and of its predecessor 1.0, whose track points are the same.
_NAMESPACES = ("http://www.topografix.com/GPX/1/1", "http://www.topografix.com/GPX/1/0")
#: Canonical column -> the name a rejected point's column is given (the GPX attribute or element).
GPX_HEADINGS = {"unit": "unit", "time": "time", "lat": "lat", "lng": "lon", "source": "source"}
#: The deepest nesting read (a track is gpx/trk/trkseg/trkpt/time or extensions a few levels more).
MAX_DEPTH = 32


def is_gpx(path: str | Path) -> bool:
    """True for a file named ``*.gpx`` (what a GPS handset or an app exports a track as)."""
    return Path(path).suffix.lower() == ".gpx"


def read_gpx(path: str | Path, *, unit: str, label: str | None = None) -> RawTable:
    """Read the track points of one GPX file as ``patrols`` rows of ``unit``.

    Parameters
    ----------
    path
        The ``.gpx`` file.
    unit
        The call sign or team the track is of (never a person's name): every
        point's ``unit``.
    label
        Names the file in messages instead of its path (an upload's own name).

    Raises
    ------
    OptionError
        When ``unit`` is blank or longer than a key may be.
    InputError
        When the file is missing, larger than a file may be, not XML, not GPX,
        holds no track point, or declares a document type or entities (refused:
        see the module's docstring).
    """
    name = unit.strip() if isinstance(unit, str) else ""
    if not name:
        raise OptionError("a GPX track does not name its unit: give the call sign or team (--unit B21)", option="unit")
    if len(name) > MAX_KEY_LENGTH:
        raise OptionError(f"the unit is {len(name):,} characters long; at most {MAX_KEY_LENGTH}", option="unit")
    p = Path(path)
    shown = printable(label or str(p))
    if not p.is_file():
        raise InputError("no such file", file=shown)
    most = MEMBER_BYTES.value()
    size = p.stat().st_size
    if size > most:
        raise InputError(
            f"the track is {size_text(size)}, more than {size_text(most)} ({MEMBER_BYTES.name}; {MEMBER_BYTES.hint()})",
            file=shown,
        )
    data = p.read_bytes()
    points = _track_points(data, file=shown)
    original = pd.DataFrame(points, columns=["time", "lat", "lon"], dtype="str")
    original.insert(0, "unit", name)
    original["source"] = GPX_SOURCE
    original["_row"] = range(1, len(original) + 1)  # the point's place among the file's track points
    return RawTable(
        file=shown,
        digest=hashlib.sha256(data).hexdigest(),
        text=original,
        rejects=empty_rejects(),
        n_rows=len(original),
        notes=[f"rows are track points in file order (row 1 is the first); unit {name!r} from the loader"],
        source_format="gpx",
        columns=dict(GPX_HEADINGS),
        kind="patrols",
        source=GPX_SOURCE,
    )


def _track_points(data: bytes, *, file: str) -> list[tuple[str, str, str]]:
    """``(time, lat, lon)`` text of every ``trk/trkseg/trkpt``, in file order ("" where absent).

    Memory stays flat however long the file: every element is dropped from
    its parent once it has ended (a track point's children only after the
    point is read), so waypoints, extensions and anything else a file holds
    are never kept; nesting deeper than :data:`MAX_DEPTH` is refused.
    """
    points: list[tuple[str, str, str]] = []
    root_seen = False
    try:
        events = SafeET.iterparse(io.BytesIO(data), events=("start", "end"), forbid_dtd=True)
        stack: list[str] = []
        open_elements: list[ET.Element] = []
        for event, element in events:
            ns, _, local = element.tag.rpartition("}")
            if event == "start":
                if not root_seen:
                    root_seen = True
                    if local != "gpx" or ns.lstrip("{") not in _NAMESPACES:
                        raise InputError(
                            f"not a GPX file: its root is {local!r}"
                            + (f" in {ns.lstrip('{')!r}" if ns else " without the GPX namespace")
                            + " (expected <gpx> of GPX 1.1, http://www.topografix.com/GPX/1/1)",
                            file=file,
                        )
                if len(stack) >= MAX_DEPTH:
                    raise InputError(
                        f"the GPX file nests elements more than {MAX_DEPTH} deep, which a track never does: refused",
                        file=file,
                    )
                stack.append(local)
                open_elements.append(element)
                continue
            stack.pop()
            open_elements.pop()
            if local == "trkpt" and stack[-2:] == ["trk", "trkseg"]:
                when = next((c.text or "" for c in element if c.tag.rpartition("}")[2] == "time"), "")
                points.append((when.strip(), element.get("lat", "").strip(), element.get("lon", "").strip()))
            if stack and stack[-1] == "trkpt":
                continue  # a point's <time>: read when the point ends
            element.clear()
            if open_elements:
                open_elements[-1].remove(element)  # not even an empty shell is kept
    except defusedxml.DTDForbidden:
        raise InputError(
            "the GPX file declares a document type (<!DOCTYPE>), which a track never needs and which can hide "
            "entity expansion or references to other files: refused, nothing read",
            file=file,
        ) from None
    except (defusedxml.EntitiesForbidden, defusedxml.ExternalReferenceForbidden):
        raise InputError(
            "the GPX file defines entities or refers to other files: refused, nothing read", file=file
        ) from None
    except ET.ParseError as exc:
        raise InputError(f"not readable as XML ({exc})", file=file) from None
    if not root_seen:
        raise InputError("the file is empty", file=file)
    if not points:
        raise InputError("the GPX file holds no track points (<trk><trkseg><trkpt>)", file=file)
    return points
