"""Files that are misread or fail whole: line ends, lines too long, mixed encodings, UTF-16, binary.

The rule each test holds the readers to: a broken line costs that row (rejected
with its reason), never the file nor the good rows; a file that is not text
at all is refused in one short line naming it. Both readers (fast and careful)
give the same answer.
"""

from __future__ import annotations

import json
import random

import pytest

import geo.ingest._csv_fast
from geo.core.errors import InputError
from geo.ingest import read_csv_kind, read_csv_text
from tests.conftest import POLICE_HEADER, police_csv, police_row
from tests.ingest.hostile import MIB, long_line_csv

FLAGGED = "UPRN,Address,Lat,Lng,First Flagged,Indicators,Status"


@pytest.fixture(params=["fast", "careful"])
def reader(request, monkeypatch):
    """Run the test with the reader that would be chosen, and again with the careful one forced."""
    if request.param == "careful":
        monkeypatch.setattr(geo.ingest._csv_fast, "read_clean_utf8", lambda *_a, **_k: None)
    return request.param


def read_one(path, kind="incidents"):
    [raw] = read_csv_kind(path, kind)
    return raw


# --------------------------------------------------------------------------- line ends


def test_cr_only_line_ends_are_line_breaks(write, reader):
    path = write("cr.csv", police_csv(police_row(crime_id="a"), police_row(crime_id="b"), eol="\r"))
    raw = read_one(path)
    assert raw.n_rows == 2 and raw.rejects.empty
    assert raw.frame["ref"].tolist() == ["a", "b"] and raw.frame["_row"].tolist() == [2, 3]
    assert raw.frame["context"].tolist() == ["", ""]  # the last column holds no stray CR


def test_crlf_cr_and_lf_mixed_in_one_file(write, reader):
    text = POLICE_HEADER + "\r\n" + police_row(crime_id="a") + "\r" + police_row(crime_id="b") + "\n"
    text += police_row(crime_id="c") + "\r\n"
    raw = read_one(write("mixed-eol.csv", text))
    assert raw.frame["ref"].tolist() == ["a", "b", "c"] and raw.frame["_row"].tolist() == [2, 3, 4]


def test_a_cr_inside_a_quoted_value_stays_in_the_value(write, reader):
    raw = read_one(write("q.csv", police_csv(police_row(location="two\rlines"), eol="\r")))
    assert raw.frame["location"].tolist() == ["two\rlines"]


# --------------------------------------------------------------------------- lines too long


@pytest.mark.parametrize("length", [2 * MIB, 5 * MIB])  # under and over the fast reader's 4 MiB block
@pytest.mark.parametrize(("where", "row"), [("first", 2), ("middle", 3), ("last", 4)])
def test_a_line_too_long_is_rejected_as_its_row_and_the_rest_is_read(write, reader, length, where, row):
    raw = read_one(write("long.csv", long_line_csv(length, where=where)))
    assert raw.n_rows == 3  # accounting: the long line is a row, rejected
    assert raw.rejects["row"].tolist() == [row]
    size = "2.0 MiB" if length == 2 * MIB else "5.0 MiB"
    assert raw.rejects["reason"].tolist() == [f"row is too long: a line of {size}, more than the 1.0 MiB a line may be"]
    assert json.loads(raw.rejects["raw"].iloc[0]) == {"line": "x" * 200 + f"… ({size} in all)"}  # not 5 MB kept
    assert raw.frame["_row"].tolist() == [r for r in (2, 3, 4) if r != row]
    assert raw.frame["category"].tolist() == ["Anti-social behaviour"] * 2


def test_a_long_line_inside_a_quoted_value_rejects_that_row(write, reader):
    location = "a\n" + "x" * (2 * MIB) + "\nb"
    raw = read_one(write("quoted.csv", police_csv(police_row(crime_id="r1"), police_row(location=location))))
    assert raw.rejects["row"].tolist() == [3]
    assert raw.rejects["reason"].iloc[0].startswith("row is too long: a line of 2.0 MiB")
    assert raw.frame["ref"].tolist() == ["r1"]


def test_a_long_line_in_a_one_column_file_is_rejected_too():
    """With one column the set-aside line is a well-formed row: it is found by its mark, not by pyarrow."""
    header, frame, rejects = read_csv_text("note\n" + "x" * (2 * MIB) + "\nshort\n", file="notes.csv")
    assert header == ["note"] and frame["note"].tolist() == ["short"] and frame["_row"].tolist() == [3]
    assert rejects[["file", "row"]].values.tolist() == [["notes.csv", 2]]


def test_the_line_limit_is_the_variable_when_set(write, monkeypatch, reader):
    monkeypatch.setenv("NESTWATCH_MAX_LINE_BYTES", "200")
    short, wide = police_row(), police_row(location="y" * 150)
    assert len(short) < 200 < len(wide)
    raw = read_one(write("w.csv", police_csv(short, wide)))
    assert raw.rejects["row"].tolist() == [3]
    assert raw.rejects["reason"].iloc[0].endswith("more than the 200 bytes a line may be")


def test_a_header_too_long_is_not_a_header(write, reader):
    path = write("h.csv", "a," * (MIB // 2 + 1) + "z\r\n1\r\n")
    with pytest.raises(InputError) as caught:
        read_one(path)
    assert str(caught.value) == (
        f"{path}, row 1: the first line (the header) is 1.0 MiB long, more than the 1.0 MiB a line may be "
        "(NESTWATCH_MAX_LINE_BYTES raises the limit): this is not the header of a CSV file"
    )


def test_a_header_with_too_many_columns_is_refused_without_listing_them(write, reader):
    path = write("c.csv", ",".join(f"c{i}" for i in range(1001)) + "\r\n" + ",".join("1" * 1001) + "\r\n")
    with pytest.raises(InputError) as caught:
        read_one(path)
    assert str(caught.value) == (
        f"{path}, row 1: header has 1,001 columns, more than the 1,000 a file may have "
        "(NESTWATCH_MAX_COLUMNS raises the limit)"
    )


def test_an_unclosed_quote_costs_one_row_said_in_plain_words(write, reader):
    """A quote never closed makes the rest of the file one value: that row is rejected as too long, not kept."""
    unquoted = police_row().replace('"', "")  # no quote after the open one: nothing closes it
    rows = [police_row(crime_id="ok"), police_row(location="open").replace('"open"', '"open')] + [unquoted] * 10_000
    raw = read_one(write("u.csv", police_csv(*rows)))
    assert raw.n_rows == 2 and raw.frame["ref"].tolist() == ["ok"]
    size = len(police_csv(*rows).split("\r\n", 2)[2].rstrip("\r\n").encode())  # from row 3 to the end
    assert raw.rejects[["row", "reason"]].values.tolist() == [
        [
            3,
            f"row is too long: {size / MIB:.1f} MiB from a quote that is never closed (or closed far too late), "
            "more than the 1.0 MiB a line may be",
        ]
    ]


# --------------------------------------------------------------------------- encodings


def test_one_cp1252_row_in_a_utf8_file_leaves_the_good_rows_unchanged(write):
    good = police_row(location="On or near Café Street")
    bad = police_row(location="On or near Crème Road", crime_id="z")
    data = police_csv(good).encode() + bad.encode("cp1252") + b"\r\n" + good.encode() + b"\r\n"
    raw = read_one(write("mixed.csv", data))
    assert raw.frame["location"].tolist() == [
        "On or near Café Street",
        "On or near Crème Road",
        "On or near Café Street",
    ]
    assert raw.rejects.empty
    assert raw.notes == ["decoded as utf-8, with line 3 read as cp1252"]


def test_a_row_that_is_neither_utf8_nor_cp1252_is_rejected_with_the_byte(write):
    """0x81 has no character in cp1252: that row cannot be read, the others are."""
    odd = police_row(location="On or near \x81 Street", crime_id="odd").encode("latin-1")
    data = police_csv(police_row(location="Café")).encode() + odd + b"\r\n"
    raw = read_one(write("odd.csv", data))
    position = odd.index(b"\x81") + 1
    assert raw.rejects[["row", "reason"]].values.tolist() == [
        [3, f"row is not UTF-8 or cp1252 text (byte 0x81 at position {position} of the line)"]
    ]
    assert raw.frame["location"].tolist() == ["Café"]
    assert "\\x81" in json.loads(raw.rejects["raw"].iloc[0])["line"]  # kept as it was, escaped


def test_a_row_mixing_utf8_and_cp1252_is_rejected_not_guessed(write):
    line = "2024-01," + police_row(location="Café").split(",", 1)[1]  # UTF-8 é, then a cp1252 è
    data = police_csv(police_row()).encode() + line.encode() + "Crème".encode("cp1252") + b"\r\n"
    raw = read_one(write("both.csv", data))
    assert raw.rejects["row"].tolist() == [3]
    assert raw.rejects["reason"].iloc[0].startswith("row mixes UTF-8 with another encoding (byte 0xe8 at position ")


def test_a_cp1252_byte_in_the_header_changes_only_the_header(write):
    header = (FLAGGED + ",Notes\xe9").encode("cp1252")
    rows = "0001,1 Café Row,51.45,-2.59,2024-01-02,noise,open,x\r\n".encode()
    raw = read_one(write("h.csv", header + b"\r\n" + rows), "flagged")
    assert raw.frame["address"].tolist() == ["1 Café Row"]
    assert raw.notes[0] == "decoded as utf-8, with line 1 read as cp1252"
    assert "columns not used: Notesé" in raw.notes


def test_a_whole_cp1252_file_is_still_read_as_cp1252(write):
    text = FLAGGED + "\r\n0001,1 Crème Row,51.45,-2.59,2024-01-02,noise,open\r\n"
    raw = read_one(write("w.csv", text.encode("cp1252")), "flagged")
    assert raw.frame["address"].tolist() == ["1 Crème Row"] and raw.notes == ["decoded as cp1252"]


@pytest.mark.parametrize("encoding", ["utf-16", "utf-16-le", "utf-16-be"])
def test_utf16_with_and_without_a_byte_order_mark(write, encoding):
    text = FLAGGED + "\r\n0001,1 Café Row,51.45,-2.59,2024-01-02,noise,open\r\n"
    raw = read_one(write("u.csv", text.encode(encoding)), "flagged")
    assert raw.frame["address"].tolist() == ["1 Café Row"] and raw.notes == ["decoded as utf-16"]


@pytest.mark.parametrize("encoding", ["utf-16", "utf-16-le"])
def test_truncated_utf16_names_the_file_and_the_byte(write, encoding):
    data = police_csv(police_row(), police_row()).encode(encoding)[:-1]  # cut in the middle of the last character
    path = write("cut.csv", data)
    with pytest.raises(InputError) as caught:
        read_one(path)
    assert str(caught.value) == (
        f"{path}: is not valid UTF-16 text: the file ends in the middle of a character (was it cut short?) "
        f"at byte {len(data) - 1:,} of {len(data):,}"
    )


def test_utf16_with_an_unpaired_surrogate_names_the_byte(write):
    good = (FLAGGED + "\r\n").encode("utf-16-le")
    data = b"\xff\xfe" + good + b"\x00\xdc" + "1,2\r\n".encode("utf-16-le")
    path = write("s.csv", data)
    with pytest.raises(InputError) as caught:
        read_one(path, "flagged")
    assert str(caught.value) == (
        f"{path}: is not valid UTF-16 text: an invalid character (illegal encoding) at byte {2 + len(good):,} "
        f"of {len(data):,}"
    )


# --------------------------------------------------------------------------- not text at all

#: The control bytes no text file holds, as the readers document them (tab, line ends, FF, VT, SUB are text).
CONTROL = {*range(0x01, 0x09), *range(0x0E, 0x1A), *range(0x1B, 0x20), 0x7F}


def test_random_binary_without_nul_bytes_is_refused_in_a_short_line(write, reader):
    rng = random.Random(3)
    data = bytes(rng.randrange(1, 256) for _ in range(20_000))
    path = write("random.csv", data)
    with pytest.raises(InputError) as caught:
        read_one(path)
    control = sum(b in CONTROL for b in data)
    assert str(caught.value) == (
        f"{path}: not a text CSV file: {control:,} of its first 20,000 bytes are control codes (binary data)"
    )


def test_random_binary_with_nul_bytes_is_refused_in_a_short_line(write, reader):
    rng = random.Random(4)
    data = bytes(rng.randrange(0, 256) for _ in range(20_000))
    path = write("random.csv", data)
    with pytest.raises(InputError) as caught:
        read_one(path)
    control = sum(b in CONTROL for b in data)
    assert str(caught.value) == (
        f"{path}: not a text CSV file: {control:,} of its first 20,000 bytes are control codes (binary data)"
    )
    many_nuls = write("zeros.csv", b"a,b\r\n" + b"\x00" * 400)
    with pytest.raises(InputError) as caught:
        read_one(many_nuls)
    assert str(caught.value) == f"{many_nuls}: file holds 400 NUL bytes: it is binary or corrupt, not a CSV text file"


def test_binary_after_a_text_like_first_line_is_refused_too(write, reader):
    """Garbage whose first line happens to look like a header is still not text (no kilobytes echoed back)."""
    rng = random.Random(5)
    data = b"a,b,c\r\n" + bytes(rng.randrange(1, 256) for _ in range(4000))
    path = write("tail.csv", data)
    with pytest.raises(InputError, match="not a text CSV file") as caught:
        read_one(path)
    assert len(str(caught.value)) < len(str(path)) + 100


@pytest.mark.parametrize(
    ("start", "says"),
    [
        (b"%PDF-1.7\n", "this is a PDF document, not a CSV file: export the table as CSV"),
        (b"\x1f\x8b\x08\x00", "this is a gzip-compressed file, not a CSV file: unpack it first"),
        (
            b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1",
            "this is an Excel 97-2003 workbook (.xls), not a CSV file: save it as CSV",
        ),
        (b"SQLite format 3\x00", "this is a SQLite database, not a CSV file"),
    ],
)
def test_known_binary_formats_are_named(write, reader, start, says):
    path = write("thing.csv", start + b"a,b\r\n1,2\r\n")
    with pytest.raises(InputError) as caught:
        read_one(path)
    assert str(caught.value) == f"{path}: {says}"


def test_a_few_control_characters_in_a_text_file_are_only_text(write, reader):
    """A form feed or a vertical tab (a line break inside a cell, in some exports) does not make a file binary."""
    raw = read_one(write("ff.csv", police_csv(police_row(location="page\x0cbreak"), police_row(location="a\x0bb"))))
    assert raw.frame["location"].tolist() == ["page\x0cbreak", "a\x0bb"]
