"""The Load data page: upload, preview, column mapping, import, validation report, rejects download.

The page is driven through Streamlit's AppTest, whose file_uploader accepts
``set_value((name, bytes, mime))``; the glue in ``dashboard/upload.py`` is also
tested directly.
"""

from __future__ import annotations

import io
import re
import zipfile
from pathlib import Path

import geopandas as gpd
import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

from dashboard import upload
from geo.core.errors import InputError
from geo.core.schema import IMPORT_KINDS
from geo.store import Store
from geo.store.importer import ImportOptions
from tests.conftest import patience, police_csv, police_row, store_url

ROOT = Path(__file__).resolve().parents[2]
APP = ROOT / "app.py"
WARDS = ROOT / "data" / "boundaries" / "demo_wards.geojson"

POLICE = police_csv(
    police_row(crime_id="a1"),
    police_row(crime_id="a2", lat="51.451000", lng="-2.591000"),
    police_row(crime_id="a3", lat="", lng=""),
).encode()

#: A housing export: no heading is a known spelling of category or date.
PARTNER = (
    b"Case Number,Logged,Problem,Easting,Northing,Block\n"
    b"007,2024-01-05,ASB,358000,173000,Park House\n"
    b"008,2024-01-09,Drugs,358100,173150,NA\n"
)


def shown(element) -> str:
    """An error box's text as the reader sees it: the page escapes Markdown in messages (dashboard.messages)."""
    return re.sub(r"\\([!-/:-@\[-`{-~])", r"\1", element.value)  # a backslash before ASCII punctuation


def xlsx_bytes() -> bytes:
    """A minimal Excel workbook: a zip holding XML parts and no CSV."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        zf.writestr("[Content_Types].xml", '<?xml version="1.0"?><Types/>')
        zf.writestr("xl/workbook.xml", '<?xml version="1.0"?><workbook/>')
        zf.writestr("xl/worksheets/sheet1.xml", '<?xml version="1.0"?><worksheet/>')
    return buf.getvalue()


# --------------------------------------------------------------------------- fixtures


@pytest.fixture(scope="module")
def demo_db(demo_town):
    return demo_town


def open_page(db: Path, monkeypatch) -> AppTest:
    monkeypatch.setenv("NESTWATCH_DB", str(db))
    monkeypatch.delenv("NESTWATCH_DATABASE_URL", raising=False)
    at = AppTest.from_file(str(APP), default_timeout=patience(60))
    at.run()
    at.switch_page("pages/data.py").run()
    assert not at.exception
    return at


@pytest.fixture
def empty_db(tmp_path) -> Path:
    return store_url(tmp_path / "empty.sqlite")


def stored(db: Path) -> dict[str, int]:
    store = Store(db)
    try:
        return store.counts()
    finally:
        store.dispose()


def upload_file(at: AppTest, kind: str, name: str, data: bytes, mime: str = "text/csv") -> AppTest:
    at.selectbox(key="data_kind").set_value(kind).run()
    at.file_uploader(key="data_file").set_value((name, data, mime)).run()
    assert not at.exception
    return at


def metrics(at: AppTest) -> dict[str, str]:
    return {m.label: m.value for m in at.metric}


# --------------------------------------------------------------------------- the page


def test_page_runs_on_an_empty_store_for_every_kind(empty_db, monkeypatch):
    at = open_page(empty_db, monkeypatch)
    assert at.title[0].value == "Load data"
    assert len(at.file_uploader) == 1
    assert "upload the file" in at.info[-1].value
    for kind in IMPORT_KINDS:
        at.selectbox(key="data_kind").set_value(kind).run()
        assert not at.exception, kind
        table = at.dataframe[0].value  # expected columns
        assert {"column", "required", "accepted headings"} <= set(table.columns)
    at.selectbox(key="data_kind").set_value("incidents").run()
    cols = at.dataframe[0].value.set_index("column")
    assert cols.loc["category", "required"] == "yes"
    assert "crimetype" in cols.loc["category", "accepted headings"]


def test_police_csv_imports_reports_and_offers_the_rejected_row(empty_db, monkeypatch):
    from streamlit.elements.widgets import button

    handed: dict[str, tuple[object, bool]] = {}  # file name -> (what the button gave Streamlit, disabled?)
    original = button.marshall_file

    def record(coordinates, data, proto, mimetype, file_name=None, **options):
        handed[str(file_name)] = (data, bool(options.get("disabled")))
        return original(coordinates, data, proto, mimetype, file_name, **options)

    monkeypatch.setattr(button, "marshall_file", record)  # AppTest cannot press a download button
    at = open_page(empty_db, monkeypatch)
    upload_file(at, "incidents", "2024-01-avon-and-somerset-street.csv", POLICE)
    assert any("police.uk street-level file" in s.value for s in at.success)
    preview = at.dataframe[-1].value
    assert len(preview) == 3 and preview["Crime ID"].tolist() == ["a1", "a2", "a3"]
    assert not [s for s in at.selectbox if s.key and s.key.startswith("data_opt_map_")]  # no mapping needed

    at.button(key="data_import").click().run()
    assert not at.exception
    assert not at.error
    assert metrics(at) == {"Rows": "3", "Stored": "2", "Rejected": "1", "Already present": "0"}
    [reasons] = [t.value for t in at.table]  # a plain HTML table: readable, and its text is on the page
    assert reasons.index.str.startswith("no coordinates").any() and reasons["rows"].tolist() == [1]
    assert at.download_button(key="data_download_rejects").label == "Download rejected rows (CSV)"
    assert at.download_button(key="data_download_rejects").disabled  # no reason yet
    at.text_input(key="data_rejects_reason").set_value("fixing the feed").run()
    assert not at.download_button(key="data_download_rejects").disabled
    [(click, disabled)] = [v for name, v in handed.items() if name.endswith("-rejects.csv")]
    assert not disabled and callable(click)  # built on the click, after its audit entry
    rejects = pd.read_csv(io.BytesIO(click()), dtype=str, keep_default_na=False, encoding="utf-8-sig")
    store = Store(empty_db)
    [entry] = store.audit(action="export").to_dict("records")
    store.dispose()
    assert (entry["reason"], entry["rows"]) == ("fixing the feed", 1) and '"personal": true' in entry["detail"]
    assert len(rejects) == 1
    assert rejects.loc[0, "file"] == "2024-01-avon-and-somerset-street.csv"  # as uploaded, no temp folder
    assert rejects.loc[0, "row"] == "4"
    assert "no coordinates" in rejects.loc[0, "reason"]
    assert stored(empty_db)["incidents"] == 2

    # the same file again: nothing new
    at.button(key="data_import").click().run()
    assert not at.exception
    assert metrics(at) == {"Rows": "3", "Stored": "0", "Rejected": "1", "Already present": "2"}
    assert any("already in the store" in i.value for i in at.info)
    assert any("earlier import" in c.value for c in at.caption)
    assert stored(empty_db)["incidents"] == 2


def test_partner_csv_needs_a_mapping_and_imports_with_it(empty_db, monkeypatch):
    at = open_page(empty_db, monkeypatch)
    upload_file(at, "incidents", "housing asb.csv", PARTNER)
    preview = at.dataframe[-1].value
    assert preview["Case Number"].tolist() == ["007", "008"]  # leading zeros kept
    assert preview["Block"].tolist() == ["Park House", "NA"]  # "NA" is text, not missing
    warning = at.warning[-1].value
    assert "housing asb.csv" in warning and "category" in warning and "month or date" in warning
    assert "--map" not in warning
    assert at.button(key="data_import").disabled
    # the automatic mapping found the coordinates
    assert at.selectbox(key="data_opt_map_incidents_easting").value == "Easting"
    assert at.selectbox(key="data_opt_map_incidents_category").value == upload.NOT_IN_FILE

    at.selectbox(key="data_opt_map_incidents_category").set_value("Problem")
    at.selectbox(key="data_opt_map_incidents_date").set_value("Logged")
    at.selectbox(key="data_opt_map_incidents_ref").set_value("Case Number")
    at.text_input(key="data_opt_source").set_value("housing")
    at.radio(key="data_opt_coords").set_value("bng")
    at.run()
    assert not at.exception
    assert not at.button(key="data_import").disabled
    at.button(key="data_import").click().run()
    assert not at.exception and not at.error
    assert metrics(at)["Stored"] == "2"
    store = Store(empty_db)
    try:
        incidents = store.read("incidents", columns=["source", "ref", "category", "lat"])
    finally:
        store.dispose()
    assert incidents["source"].tolist() == ["housing", "housing"]
    assert incidents["ref"].tolist() == ["007", "008"]
    assert incidents["lat"].between(51, 52).all()  # BNG converted


@pytest.mark.parametrize(
    ("name", "data", "expected"),
    [
        ("empty.csv", b"", "empty.csv: file is empty"),
        ("book.zip", xlsx_bytes(), "book.zip: zip archive holds no .csv files"),
        ("book.xlsx", xlsx_bytes(), "Excel workbook"),
        ("wards.geojson", WARDS.read_bytes(), "incidents are read from CSV files"),
    ],
)
def test_bad_files_give_a_clear_message_and_store_nothing(empty_db, monkeypatch, name, data, expected):
    at = open_page(empty_db, monkeypatch)
    upload_file(at, "incidents", name, data, "application/octet-stream")
    assert not at.exception
    assert expected in shown(at.error[0])
    assert "nestwatch-upload-" not in shown(at.error[0])
    assert not at.button  # nothing to import
    assert Store(empty_db).is_empty()


def test_ward_boundaries_upload(empty_db, monkeypatch):
    at = open_page(empty_db, monkeypatch)
    upload_file(at, "wards", "wards.geojson", WARDS.read_bytes(), "application/geo+json")
    assert at.selectbox(key="data_opt_code_synthetic demo boundaries").value == "code"
    at.button(key="data_import").click().run()
    assert not at.exception and not at.error
    assert metrics(at)["Stored"] == "8"
    assert stored(empty_db)["wards"] == 8


def test_zipped_shapefile_without_prj_asks_for_a_crs_and_imports_with_one(empty_db, monkeypatch, tmp_path):
    wards = gpd.read_file(WARDS).to_crs("EPSG:27700")
    wards.to_file(tmp_path / "est.shp")
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        for ext in ("shp", "shx", "dbf"):  # no .prj
            zf.write(tmp_path / f"est.{ext}", f"est.{ext}")
    at = open_page(empty_db, monkeypatch)
    upload_file(at, "estates", "estates.zip", buf.getvalue(), "application/zip")
    assert any("CRS not declared" in c.value for c in at.caption)
    at.button(key="data_import").click().run()
    message = shown(at.error[0])
    assert message.startswith("estates.zip: the file declares no coordinate reference system")
    assert 'enter EPSG:27700 under "CRS override"' in message and "--crs" not in message
    assert Store(empty_db).is_empty()
    at.text_input(key="data_opt_crs").set_value("EPSG:27700").run()
    at.button(key="data_import").click().run()
    assert not at.exception and not at.error
    assert metrics(at)["Stored"] == "8"
    assert any("CRS set to EPSG:27700 by override" in c.value for c in at.caption)


def test_bad_crs_override_is_an_error_not_a_traceback(empty_db, monkeypatch):
    at = open_page(empty_db, monkeypatch)
    upload_file(at, "wards", "wards.geojson", WARDS.read_bytes(), "application/geo+json")
    at.text_input(key="data_opt_crs").set_value("EPSG:27700").run()
    at.button(key="data_import").click().run()
    assert not at.exception
    assert "wards.geojson" in shown(at.error[0]) and "degrees" in shown(at.error[0])
    assert Store(empty_db).is_empty()


# --------------------------------------------------------------------------- the glue


def test_import_upload_names_files_as_uploaded(store):
    ticks: list[tuple[float, str]] = []
    result = upload.import_upload(store, "incidents", "jan.csv", POLICE, progress=lambda f, m: ticks.append((f, m)))
    fractions = [f for f, _ in ticks]
    assert fractions[0] == 0.0 and fractions[-1] == 1.0 and fractions == sorted(fractions)
    assert ("reading jan.csv" in [m for _, m in ticks]) and not any("nestwatch-upload-" in m for _, m in ticks)
    assert (result.rows, result.stored, result.rejected, result.already_present) == (3, 2, 1, 0)
    assert result.path == "jan.csv" and result.files[0]["file"] == "jan.csv"
    rejects = upload.import_rejects(store, result)
    assert rejects["file"].tolist() == ["jan.csv"]
    again = upload.import_upload(store, "incidents", "jan.csv", POLICE)
    assert (again.stored, again.already_present) == (0, 2)
    # the quarantine keeps a rejected row once: this import lists none, and the page says why
    assert again.rejected == 1 and upload.import_rejects(store, again).empty


def test_import_upload_zip_of_monthly_files(store):
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        zf.writestr("2024-01/2024-01-force-street.csv", POLICE)
        zf.writestr("2024-01/2024-01-force-outcomes.csv", "ignored\n1\n")
    result = upload.import_upload(store, "incidents", "force.zip", buf.getvalue())
    assert result.stored == 2
    assert result.files[0]["file"] == "force.zip:2024-01/2024-01-force-street.csv"


def test_import_upload_errors_name_the_file_not_the_temp_folder(store):
    with pytest.raises(InputError, match=r"^empty\.csv: file is empty$"):
        upload.import_upload(store, "incidents", "empty.csv", b"  \n")
    with pytest.raises(InputError, match="cannot find column"):
        upload.import_upload(store, "incidents", "p.csv", PARTNER)
    with pytest.raises(InputError, match="Shapefile is several files"):
        upload.import_upload(store, "wards", "wards.shp", b"x")
    assert store.is_empty()


def test_mapping_is_passed_to_the_importer(store):
    data = b"Property Ref,Date Raised,Lat,Lng\n0001,2024-02-01,51.45,-2.59\n"
    suggested, problem = upload.suggest_mapping(["Property Ref", "Date Raised", "Lat", "Lng"], "flagged", file="h.csv")
    assert suggested == {"ref": "Property Ref", "lat": "Lat", "lng": "Lng"}
    assert "h.csv" in problem and "first_flagged" in problem
    mapping = suggested | {"first_flagged": "Date Raised"}
    assert upload.check_mapping(["Property Ref", "Date Raised", "Lat", "Lng"], "flagged", mapping) is None
    result = upload.import_upload(store, "flagged", "h.csv", data, ImportOptions(mapping=mapping))
    assert result.stored == 1
    assert store.read("flagged")["ref"].tolist() == ["0001"]


def test_blank_text_boxes_mean_no_source_and_no_crs_override(store):
    """A text box gives "" or spaces when left empty: the page's options turn those into None, as before."""
    partner = b"ref,month,category,lat,lng\n1,2024-01,ASB,51.45,-2.59\n"
    result = upload.import_upload(store, "incidents", "p.csv", partner, ImportOptions(source="  "))
    assert result.stored == 1
    assert store.read("incidents", columns=["source"])["source"].tolist() == ["csv"]  # the default, not "  "
    other = partner.replace(b"\n1,", b"\n2,")
    tagged = upload.import_upload(store, "incidents", "q.csv", other, ImportOptions(source=" housing "))
    assert tagged.stored == 1 and sorted(store.read("incidents", columns=["source"])["source"]) == ["csv", "housing"]
    wards = upload.import_upload(store, "wards", "wards.geojson", WARDS.read_bytes(), ImportOptions(crs=" "))
    assert wards.stored > 0 and not any("override" in n for n in wards.notes)  # " " is no override


def test_preview_keeps_text_and_reads_only_the_head(tmp_path):
    rows = "".join(f'{i:04d},NA,"line\nbreak"\n' for i in range(100))
    path = tmp_path / "long.csv"
    path.write_bytes(("ref,value,note\n" + rows).encode("cp1252"))
    preview = upload.preview_path(path, "flagged")
    assert len(preview.frame) == upload.PREVIEW_ROWS
    assert preview.frame["ref"].iloc[0] == "0000"
    assert preview.frame["value"].iloc[0] == "NA"
    assert preview.frame["note"].iloc[0] == "line\nbreak"


def test_safe_name_and_messages_for_the_page():
    assert upload.safe_name("C:\\Users\\me\\asb.csv") == "asb.csv"
    assert upload.safe_name("../") == "upload"
    assert "CRS override" in upload.for_page("x.geojson: no CRS: pass --crs EPSG:27700 for British National Grid")


def test_the_import_log_names_the_file_as_uploaded(tmp_path):
    store = Store(store_url(tmp_path / "log.sqlite"))
    body = police_csv(police_row(), police_row(lat="", lng=""))
    upload.import_upload(store, "incidents", "asb-2024.csv", body.encode())
    assert store.imports()["file"].tolist() == ["asb-2024.csv"]
    assert store.rejects()["file"].tolist() == ["asb-2024.csv"]
    store.dispose()


def test_a_drawn_estate_is_saved_through_the_importer(tmp_path):
    store = Store(store_url(tmp_path / "draw.sqlite"))
    square = {"type": "Polygon", "coordinates": [[[0.9, 53.9], [0.92, 53.9], [0.92, 53.92], [0.9, 53.92], [0.9, 53.9]]]}
    assert upload.drawn_polygon({"last_active_drawing": {"type": "Feature", "properties": {}, "geometry": square}})
    clicked_cell = {"type": "Feature", "properties": {"layer": "Hexagons", "cell": "89"}, "geometry": square}
    assert upload.drawn_polygon({"last_active_drawing": clicked_cell}) is None  # a click on a layer, not a drawing
    result = upload.save_drawn_estate(store, square, code="EST-1", name="Hill <b>estate</b>")
    assert result.stored == 1
    estates = store.read_boundaries("estates")
    assert estates["name"].tolist() == ["Hill <b>estate</b>"] and estates.geometry.iloc[0].area > 0
    with pytest.raises(InputError):
        upload.save_drawn_estate(store, square, code=" ", name="x")
    store.dispose()


# --------------------------------------------------------------------------- hostile files (issue #13)


def test_the_preview_refuses_a_zip_bomb_as_the_import_does(tmp_path):
    """The preview reads the file first: the same limits, before a byte is unpacked, in the same words."""
    from tests.ingest.hostile import GIB, MIB, claimed_zip

    bomb = claimed_zip(tmp_path / "bomb.zip", [("2024-01-x-street.csv", 4 * GIB, 4 * MIB)]).read_bytes()
    with pytest.raises(InputError) as caught:
        upload.preview_upload("b1", "bomb.zip", bomb, "incidents")
    assert str(caught.value) == (
        "bomb.zip:2024-01-x-street.csv: unpacks to 4.0 GiB, more than the 1.0 GiB one file in an archive may be "
        "(NESTWATCH_MAX_MEMBER_BYTES raises the limit): refused before unpacking, nothing was read"
    )
    with pytest.raises(InputError, match=r"^wards\.zip:wards\.shp: unpacks to 4\.0 GiB"):
        claimed = claimed_zip(tmp_path / "wards.zip", [("wards.shp", 4 * GIB, 4 * MIB)]).read_bytes()
        upload.preview_upload("b2", "wards.zip", claimed, "wards")


@pytest.mark.parametrize(
    ("data", "header", "rows"),
    [
        (police_csv(police_row(crime_id="a"), police_row(crime_id="b"), eol="\r").encode(), 12, ["a", "b"]),
        (
            (
                police_csv(police_row(crime_id="a")) + "x" * (2 << 20) + "\r\n" + police_row(crime_id="b") + "\r\n"
            ).encode(),
            12,
            ["a", "b"],
        ),
    ],
    ids=["cr-only", "a-long-line"],
)
def test_the_preview_reads_what_the_import_reads(tmp_path, data, header, rows):
    path = tmp_path / "p.csv"
    path.write_bytes(data)
    preview = upload.preview_path(path, "incidents")
    assert len(preview.header) == header and preview.police_uk
    assert preview.frame["Crime ID"].tolist() == rows


def test_the_preview_refuses_binary_and_broken_utf16_in_one_short_line():
    import random

    rng = random.Random(2)
    with pytest.raises(InputError) as caught:
        upload.preview_upload("r1", "x.csv", bytes(rng.randrange(1, 256) for _ in range(5000)), "incidents")
    assert str(caught.value).startswith("x.csv: not a text CSV file: ") and len(str(caught.value)) < 120
    cut = police_csv(police_row()).encode("utf-16")[:-1]
    with pytest.raises(InputError) as caught:
        upload.preview_upload("r2", "cut.csv", cut, "incidents")
    assert str(caught.value) == (
        "cut.csv: is not valid UTF-16 text: the file ends in the middle of a character (was it cut short?) "
        f"at byte {len(cut) - 1:,} of {len(cut):,}"
    )


def test_a_read_only_store_shows_the_command_lines_words(tmp_path, monkeypatch):
    """Import into a store that cannot be written: the page's error is the line the CLI prints, nothing stored."""
    from tests.store.test_dberrors import READ_ONLY, read_only_file

    db = tmp_path / "ro.sqlite"
    Store(f"sqlite:///{db}").dispose()
    with read_only_file(db):
        at = open_page(f"sqlite:///{db}", monkeypatch)
        upload_file(at, "incidents", "jan.csv", POLICE)
        at.button(key="data_import").click().run()
        assert not at.exception
        assert [shown(e) for e in at.error] == [READ_ONLY.format(db)]
    assert stored(f"sqlite:///{db}")["incidents"] == 0


def test_intelligence_is_offered_for_loading_only_to_a_user_with_the_intel_permission():
    from dashboard.upload import kinds_for
    from geo.core.schema import IMPORT_KINDS

    assert kinds_for(intel=True) == list(IMPORT_KINDS)
    assert "lines" not in kinds_for(intel=False) and "signals" in kinds_for(intel=False)
