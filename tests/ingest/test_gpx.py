"""GPX tracks: track points become one unit's pings, numbered in file order; hostile XML is refused unread."""

from __future__ import annotations

import pytest

from geo.core.errors import InputError, OptionError
from geo.ingest.gpx import read_gpx
from geo.validate import validate_table

GPX11 = 'xmlns="http://www.topografix.com/GPX/1/1"'


def gpx(body: str, *, head: str = '<?xml version="1.0" encoding="UTF-8"?>\n', ns: str = GPX11) -> str:
    return f'{head}<gpx version="1.1" creator="test" {ns}>{body}</gpx>\n'


def trkpt(lat: str, lon: str, time: str | None) -> str:
    when = f"<time>{time}</time>" if time is not None else ""
    return f'<trkpt lat="{lat}" lon="{lon}"><ele>12.5</ele>{when}</trkpt>'


TRACK = gpx(
    '<wpt lat="51.4" lon="-0.1"><time>2024-05-01T13:00:00Z</time></wpt>'  # a waypoint: not where anyone was
    '<rte><rtept lat="51.4" lon="-0.1"><time>2024-05-01T13:00:00Z</time></rtept></rte>'  # a route: a plan
    "<trk><name>Evening round</name><trkseg>"
    + trkpt("51.5", "-0.12", "2024-05-01T14:00:00Z")
    + trkpt("51.5001", "-0.1201", "2024-05-01T15:01:00+01:00")
    + "</trkseg><trkseg>"  # a second segment (the receiver lost its fix): the same track
    + trkpt("51.5002", "-0.1202", " 2024-05-01T14:02:00Z ")
    + "</trkseg></trk><trk><trkseg>"
    + trkpt("51.5003", "-0.1203", "2024-05-01T14:03:00Z")
    + "</trkseg></trk>"
)


def test_track_points_are_one_units_rows_in_file_order(write):
    raw = read_gpx(write("round.gpx", TRACK), unit=" B21 ", label="round.gpx")
    assert raw.kind == "patrols" and raw.source_format == "gpx" and raw.n_rows == 4 and raw.file == "round.gpx"
    assert raw.frame[["unit", "time", "lat", "lng", "source"]].values.tolist() == [
        ["B21", "2024-05-01T14:00:00Z", "51.5", "-0.12", "gpx"],
        ["B21", "2024-05-01T15:01:00+01:00", "51.5001", "-0.1201", "gpx"],
        ["B21", "2024-05-01T14:02:00Z", "51.5002", "-0.1202", "gpx"],
        ["B21", "2024-05-01T14:03:00Z", "51.5003", "-0.1203", "gpx"],
    ]
    assert raw.rows.tolist() == [1, 2, 3, 4]
    v = validate_table(raw)
    assert v.rejects.empty
    assert v.accepted["time"].tolist()[1] == "2024-05-01T14:01:00.000000Z"


def test_gpx_1_0_tracks_are_read_the_same_way(write):
    text = gpx("<trk><trkseg>" + trkpt("51.5", "-0.12", "2024-05-01T14:00:00Z") + "</trkseg></trk>")
    raw = read_gpx(write("old.gpx", text.replace("GPX/1/1", "GPX/1/0")), unit="B21")
    assert raw.frame["time"].tolist() == ["2024-05-01T14:00:00Z"]


def test_a_bad_track_point_is_rejected_naming_its_row_and_column(write):
    points = [
        trkpt("51.5", "-0.12", "2024-05-01T14:00:00Z"),
        trkpt("north", "-0.12", "2024-05-01T14:01:00Z"),
        trkpt("51.5", "-0.12", None),
        trkpt("51.5", "-0.12", "yesterday"),
        trkpt("48.85", "2.35", "2024-05-01T14:04:00Z"),
        '<trkpt lat="51.5"><time>2024-05-01T14:05:00Z</time></trkpt>',
    ]
    raw = read_gpx(write("t.gpx", gpx("<trk><trkseg>" + "".join(points) + "</trkseg></trk>")), unit="B21")
    v = validate_table(raw)
    assert len(v.accepted) == 1
    got = [(r["row"], r["column"], r["reason"].split(":")[0]) for r in v.rejects.to_dict("records")]
    assert got == [
        (2, "lat", "not a number"),
        (3, "time", "time is blank"),
        (4, "time", "unreadable time (expected ISO 8601 with a time of day, e.g. 2024-05-01T14"),
        (5, "lat", "outside Great Britain (lat 48.85, lng 2.35)"),
        (6, "lon", "not a number"),
    ]
    assert set(v.rejects["file"]) == {raw.file}


BOMB = (
    '<?xml version="1.0"?>\n<!DOCTYPE gpx [<!ENTITY a "aaaaaaaaaa">'
    + "".join(f'<!ENTITY {n} "{("&" + p + ";") * 10}">' for p, n in zip("abcd", "bcde", strict=True))
    + "]>\n"
)


@pytest.mark.parametrize(
    ("head", "time"),
    [
        (BOMB, "&e;"),  # "billion laughs" (kept to 10^5 characters, so that a parser that expands fails fast)
        ('<?xml version="1.0"?>\n<!DOCTYPE gpx [<!ENTITY x SYSTEM "file:///etc/passwd">]>\n', "&x;"),  # XXE
        ('<?xml version="1.0"?>\n<!DOCTYPE gpx SYSTEM "http://example.invalid/gpx.dtd">\n', "2024-05-01T14:00:00Z"),
    ],
)
def test_a_document_type_is_refused_before_anything_is_expanded_or_fetched(write, head, time):
    path = write("hostile.gpx", gpx("<trk><trkseg>" + trkpt("51.5", "-0.12", time) + "</trkseg></trk>", head=head))
    with pytest.raises(InputError, match=r"declares a document type \(<!DOCTYPE>\).*refused, nothing read") as caught:
        read_gpx(path, unit="B21", label="hostile.gpx")
    assert caught.value.file == "hostile.gpx"


@pytest.mark.parametrize(
    ("content", "says"),
    [
        ("", "not readable as XML"),
        ("unit,time\r\nB21,2024-05-01T14:00:00Z\r\n", "not readable as XML"),
        (gpx("<trk><trkseg>", head=""), "not readable as XML"),  # cut short
        ('<kml xmlns="http://www.opengis.net/kml/2.2"></kml>', "not a GPX file: its root is 'kml'"),
        ("<gpx><trk/></gpx>", "without the GPX namespace"),
        (gpx('<wpt lat="51.5" lon="-0.1"><time>2024-05-01T14:00:00Z</time></wpt>'), "holds no track points"),
    ],
)
def test_a_file_that_is_not_a_track_is_refused_plainly(write, content, says):
    with pytest.raises(InputError, match=says):
        read_gpx(write("t.gpx", content), unit="B21")


@pytest.mark.parametrize("unit", ["", "   ", "B" * 101])
def test_the_unit_must_be_given_and_short(write, unit):
    with pytest.raises(OptionError) as caught:
        read_gpx(write("t.gpx", TRACK), unit=unit)
    assert caught.value.option == "unit"


def test_memory_stays_flat_however_much_else_the_file_holds():
    """20,000 waypoints (1.6 MB) beside 1,000 track points: the parse holds neither the waypoints nor the points'
    elements (measured at 100,000 waypoints: 70 MB peak when elements were kept, under 1 MB when dropped)."""
    import tracemalloc

    from geo.ingest.gpx import _track_points

    head = b'<?xml version="1.0"?><gpx version="1.1" xmlns="http://www.topografix.com/GPX/1/1">'
    wpt = b"".join(
        b'<wpt lat="51.5" lon="-0.12"><name>w%d</name><desc>some text here</desc></wpt>' % i for i in range(20_000)
    )
    point = b'<trkpt lat="51.5" lon="-0.12"><time>2024-05-01T14:00:00Z</time><ele>3</ele></trkpt>'
    data = head + wpt + b"<trk><trkseg>" + point * 1000 + b"</trkseg></trk></gpx>"
    tracemalloc.start()
    try:
        points = _track_points(data, file="big.gpx")
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert points == [("2024-05-01T14:00:00Z", "51.5", "-0.12")] * 1000
    assert peak < len(data) / 2


def test_nesting_deeper_than_a_track_ever_does_is_refused(tmp_path):
    from geo.ingest.gpx import MAX_DEPTH, read_gpx

    deep = "<extensions>" * MAX_DEPTH + "</extensions>" * MAX_DEPTH
    path = tmp_path / "deep.gpx"
    path.write_text(f'<gpx version="1.1" xmlns="http://www.topografix.com/GPX/1/1">{deep}</gpx>', encoding="utf-8")
    with pytest.raises(InputError, match=f"more than {MAX_DEPTH} deep"):
        read_gpx(path, unit="B21")
