"""``python -m geo doorknock``: the reason is logged before the file exists; HTML or CSV by suffix; one target or all.

Run through the command's own parser (:data:`geo.cli._doorknock.DOORKNOCK`) until the lead registers it.
"""

from __future__ import annotations

import argparse

import pandas as pd
import pytest

from geo.cli._doorknock import DOORKNOCK
from geo.core.errors import OptionError, StoreError
from geo.store.importer import import_path

LAT, LNG = 51.45, -2.59
# 0.0005 deg of latitude is about 56 m, 0.0012 about 133 m: well inside and well outside 100 m
PROPERTIES = (
    "ref,address,uprn,lat,lng,block\n"
    f'P1,"12 Elm Road, Nestwick",000010000037,{LAT},{LNG},\n'
    f'P2,"14 Elm Road, Nestwick",000010000038,{LAT + 0.0005},{LNG},\n'
    f'P3,"30 Elm Road, Nestwick",000010000039,{LAT + 0.0012},{LNG},\n'
    f'P4,"Flat 1, Beacon Court",000010000040,{LAT - 0.0002},{LNG},Beacon Court\n'
    f'P5,"Flat 9, Beacon Court",000010000041,{LAT - 0.004},{LNG},Beacon Court\n'
)


def run(*argv: str) -> int:
    parser = argparse.ArgumentParser()
    DOORKNOCK.add_arguments(parser)
    return DOORKNOCK.run(parser.parse_args(list(argv)))


@pytest.fixture
def db(store, write):
    flagged = f"ref,address,lat,lng,first_flagged,status\n000010000037,12 Elm Road,{LAT},{LNG},2026-11-20,open\n"
    closures = (
        f"ref,address,lat,lng,granted,expiry\nC1,Flat 1 Beacon Court,{LAT - 0.0002},{LNG},2026-11-03,2027-02-03\n"
    )
    assert import_path(store, "flagged", write("f.csv", flagged)).stored == 1
    assert import_path(store, "closures", write("c.csv", closures)).stored == 1
    assert import_path(store, "properties", write("p.csv", PROPERTIES)).stored == 5
    return store


def test_one_target_as_a_mail_merge_logged_with_its_reason(db, tmp_path):
    out = tmp_path / "letters.csv"
    assert run("--db", db.url, "--target", "000010000037", "--out", str(out), "--reason", "joint visit Tue") == 0
    frame = pd.read_csv(out, dtype=str, keep_default_na=False, encoding="utf-8-sig")
    # the flagged home (P1, its UPRN as the flag's ref) is left out; P2 56 m, P4 22 m; P3 133 m and P5 445 m out
    assert frame["ref"].tolist() == ["P4", "P2"]
    assert frame["uprn"].tolist() == ["000010000040", "000010000038"]
    assert frame["address_1"].tolist() == ["Flat 1", "14 Elm Road"]
    [entry] = db.audit(action="export").to_dict("records")
    assert (entry["target"], entry["reason"], entry["rows"], entry["role"]) == (
        "export:letters.csv",
        "joint visit Tue",
        2,
        "cli",
    )


def test_every_target_as_the_printed_list(db, tmp_path):
    out = tmp_path / "list.html"
    assert run("--db", db.url, "--out", str(out), "--reason", "weekly") == 0
    page = out.read_text(encoding="utf-8")
    assert page.count('<section class="page">') == 2
    closure = page.split('<section class="page">')[2]
    assert "closure order granted 3 Nov 2026" in closure
    # the closure's address is Flat 1's (commas aside): Flat 1 is left out and its block brings in Flat 9,
    # 420 m away; 12 Elm Road is 22 m, 14 Elm Road 78 m, 30 Elm Road 156 m (out)
    assert "Flat 1, Beacon Court" not in closure and "30 Elm Road" not in closure
    assert "same block (Beacon Court)" in closure
    assert closure.index("12 Elm Road") < closure.index("14 Elm Road") < closure.index("Flat 9, Beacon Court")


def test_the_reason_is_logged_before_the_file_and_a_failed_log_writes_nothing(db, tmp_path, monkeypatch):
    import geo.store.audit

    def refuse(*_a: object, **_k: object) -> None:
        raise StoreError("the log is read-only")

    monkeypatch.setattr(geo.store.audit, "record", refuse)
    out = tmp_path / "list.html"
    with pytest.raises(StoreError):
        run("--db", db.url, "--out", str(out), "--reason", "weekly")
    assert not out.exists()


def test_bad_options_are_refused_before_anything_is_written(db, tmp_path):
    for argv, option in [
        (("--out", str(tmp_path / "x.pdf"), "--reason", "r"), "--out"),
        (("--out", str(tmp_path / "x.csv"), "--reason", "  "), "--reason"),
        (("--out", str(tmp_path / "x.csv"), "--reason", "r", "--radius", "0"), "radius"),
        (("--out", str(tmp_path / "x.csv"), "--reason", "r", "--target", "nobody"), "target"),
    ]:
        with pytest.raises(OptionError) as err:
            run("--db", db.url, *argv)
        assert err.value.option == option
    assert list(tmp_path.glob("x.*")) == [] and db.audit(action="export").empty


def test_no_properties_stored_says_how_to_load_them(store, tmp_path):
    with pytest.raises(StoreError, match="import properties"):
        run("--db", store.url, "--out", str(tmp_path / "x.csv"), "--reason", "r")
