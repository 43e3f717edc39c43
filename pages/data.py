"""Load data: upload a file, check how its columns are read, import it and see what was rejected."""

from __future__ import annotations

from functools import partial

import streamlit as st
from streamlit_folium import st_folium

from dashboard import upload
from dashboard.auth import note_import
from dashboard.context import ensure_shell, get_store
from dashboard.downloads import Export, export_button, reason_input
from dashboard.messages import show_error
from geo.core.errors import NestwatchError
from geo.core.schema import BOUNDARY_KINDS, KINDS
from geo.core.schema import MAX_KEY_LENGTH as KEY_LENGTH
from geo.publish.export import frame_to_csv_bytes
from geo.store import audit
from geo.store.importer import ImportOptions
from geo.store.provenance import MixedDataError, provenance, refuse_mixing

session = ensure_shell("data")

st.title("Load data")
st.caption(
    "police.uk downloads, partner exports and boundaries, without a terminal. Nothing is stored until you press "
    "Import, and importing the same file again changes nothing."
)

kinds = upload.kinds_for(intel=session.intel)  # police intelligence only from a user who may see it
kind = st.selectbox("What are you loading?", kinds, format_func=upload.KIND_LABELS.get, key="data_kind")
st.caption(KINDS[kind].help)
if kind == "patrols":
    st.caption(f":material/badge: Each ping's unit is {upload.UNIT_WORDS}.")
with st.expander("Expected columns", icon=":material/table_view:"):
    st.dataframe(upload.expected_columns(kind), hide_index=True, width="stretch")
    if kind == "victims":
        st.caption("Or, when only numbers are shared:")
        st.dataframe(upload.expected_columns("victim_counts"), hide_index=True, width="stretch")
    st.caption(upload.column_rules(kind))

# Everything loaded here is real data, which never joins the demo town: say so before a file is
# chosen or read, in the importer's own words (the importer refuses it again under its write lock).
try:
    refuse_mixing(provenance(get_store()), synthetic=False)
except MixedDataError as exc:
    message = str(exc)
    st.warning(f"{message[:1].upper()}{message[1:]}.", icon=":material/block:")
    st.stop()

if kind == "estates":
    with st.expander("Or draw an estate on the map", icon=":material/draw:"):
        st.caption("Use the polygon tool (top left of the map), then give the estate a code and a name.")
        drawn = st_folium(
            upload.draw_map(get_store()), key="draw_map", height=420, returned_objects=["last_active_drawing"]
        )
        shape = upload.drawn_polygon(drawn)
        c1, c2 = st.columns(2)
        code = c1.text_input("Estate code", key="draw_code", placeholder="e.g. EST-HILLFIELDS")
        name = c2.text_input("Estate name", key="draw_name", placeholder="e.g. Hillfields estate")
        if st.button("Save estate", key="draw_save", disabled=shape is None or not code.strip() or not name.strip()):
            try:
                saved = upload.save_drawn_estate(get_store(), shape, code=code, name=name)
            except NestwatchError as exc:
                show_error(exc)
            else:
                note_import(session)
                st.success(f"Estate {name} saved ({saved.stored} stored, {saved.already_present} already present).")

file = st.file_uploader(
    "File",
    type=upload.FILE_TYPES,
    key="data_file",
    help="CSV (or a .zip of police.uk monthly CSVs) for incidents, closures, victims, flagged addresses, ward "
    "populations, patrol pings and properties; a GPX track for one unit's patrol; "
    "GeoJSON, GeoPackage or a zipped Shapefile for wards and estates.",
)
if file is None:
    st.info("Choose what you are loading, then upload the file.", icon=":material/upload_file:")
    st.stop()

boundary = kind in BOUNDARY_KINDS
try:
    preview = upload.preview_upload(
        file.file_id, file.name, file.getvalue(), kind, layer=st.session_state.get("data_opt_layer")
    )
except (NestwatchError, OSError) as exc:
    show_error(exc)
    st.stop()

st.subheader("Preview")
if boundary:
    st.caption(
        f"{preview.label}: {preview.features if preview.features is not None else '?'} features "
        f"({preview.geometry_type or 'unknown geometry'}), CRS {preview.crs or 'not declared'}. "
        f"First {len(preview.frame)} attribute rows:"
    )
elif preview.track:
    st.caption(f"First {len(preview.frame)} track points of {preview.label} (GPX), as text.")
else:
    st.caption(f"First {len(preview.frame)} rows of {preview.label}, as text ({preview.encoding}).")
st.dataframe(preview.frame, hide_index=True, width="stretch")

mapping: dict[str, str] | None = None
mapping_problem: str | None = None
source = ""
coords = "auto"
code_column = name_column = crs = layer = unit = None
if preview.track:
    st.subheader("Unit")
    unit = st.text_input(
        "Whose track is this?",
        key="data_opt_unit",
        placeholder="e.g. B21",
        max_chars=KEY_LENGTH,
        help=f"The unit every point of the track is stored under: {upload.UNIT_WORDS}.",
    )
    if not unit.strip():
        mapping_problem = "Give the unit whose track this is."
        st.caption(f":material/info: {mapping_problem}")
elif boundary:
    st.subheader("Attributes")
    if len(preview.layers) > 1:
        layer = st.selectbox("Layer", preview.layers, index=preview.layers.index(preview.layer), key="data_opt_layer")
    attrs = preview.header
    c1, c2, c3 = st.columns(3)
    code_column = c1.selectbox(
        "Code column",
        attrs,
        index=attrs.index(preview.code_column) if preview.code_column in attrs else 0,
        key=f"data_opt_code_{preview.layer}",
        help="The boundary's code, e.g. WD23CD for ONS wards.",
    )
    name_column = c2.selectbox(
        "Name column",
        attrs,
        index=attrs.index(preview.name_column) if preview.name_column in attrs else 0,
        key=f"data_opt_name_{preview.layer}",
        help="The boundary's name, e.g. WD23NM for ONS wards.",
    )
    crs = c3.text_input(
        "CRS override",
        key="data_opt_crs",
        placeholder="e.g. EPSG:27700",
        help=f"Only for files whose CRS is missing or wrong; this file declares {preview.crs or 'none'}.",
    )
elif kind == "incidents" and preview.police_uk:
    st.success("police.uk street-level file: every column is recognised.", icon=":material/check_circle:")
else:
    st.subheader("Column mapping")
    target = kind
    if kind == "victims":
        target = st.radio(
            "The file holds",
            list(upload.VICTIM_SHAPES),
            index=1 if preview.counts_like else 0,
            format_func=upload.VICTIM_SHAPES.get,
            horizontal=True,
            key="data_opt_victim_shape",
        )
    suggested, _ = upload.suggest_mapping(preview.header, target, file=preview.label)
    st.caption("Pre-filled from the headings. Check each one; required columns must be mapped.")
    headings = [upload.NOT_IN_FILE, *dict.fromkeys(preview.header)]
    grid = st.columns(3)
    mapping = {}
    for i, col in enumerate(upload.mapping_targets(target)):
        pick = grid[i % 3].selectbox(
            f"{col.name} (required)" if col.required else col.name,
            headings,
            index=headings.index(suggested[col.name]) if col.name in suggested else 0,
            key=f"data_opt_map_{target}_{col.name}",
            help=col.help or None,
        )
        if pick != upload.NOT_IN_FILE:
            mapping[col.name] = pick
    mapping_problem = upload.check_mapping(preview.header, target, mapping, file=preview.label)
    if mapping_problem:
        st.warning(mapping_problem, icon=":material/warning:")
    else:
        st.caption(":material/check: Every required column is mapped.")
    if kind == "incidents":
        source = st.text_input(
            "Source", key="data_opt_source", placeholder="e.g. housing", help="Who the rows came from (default: csv)."
        )
    if "lat" in KINDS[target].column_names:
        coords = st.radio(
            "Coordinates",
            list(upload.COORD_LABELS),
            format_func=upload.COORD_LABELS.get,
            horizontal=True,
            key="data_opt_coords",
        )

store = get_store()
if st.button(
    "Import", type="primary", icon=":material/upload:", key="data_import", disabled=mapping_problem is not None
):
    bar = st.progress(0.0, text="Starting the import")
    try:
        result = upload.import_upload(
            store,
            kind,
            file.name,
            file.getvalue(),
            ImportOptions(
                mapping=mapping,
                source=source,
                coords=coords,
                crs=crs,
                code_column=code_column,
                name_column=name_column,
                layer=layer,
                unit=unit,
            ),
            progress=lambda fraction, message: bar.progress(fraction, text=message),
        )
        note_import(session)
        # in the try: a store that fills up or turns read-only now is the same plain line as during the import
        audit.record_import(store, result, user=session.user, role=session.role.name)
    except (NestwatchError, OSError) as exc:
        bar.empty()
        show_error(exc)
    else:
        st.session_state["data_report"] = upload.Report(
            file.file_id, kind, result, upload.import_rejects(store, result)
        )
        st.rerun()  # the sidebar and every cached view pick up the new import id

report = st.session_state.get("data_report")
if report is not None and report.upload_id == file.file_id:
    result = report.result
    st.subheader("Validation report")
    st.caption(f"{result.path}, imported as {report.kind}.")
    m = st.columns(4)
    m[0].metric("Rows", f"{result.rows:,}")
    m[1].metric("Stored", f"{result.stored:,}")
    m[2].metric("Rejected", f"{result.rejected:,}")
    m[3].metric("Already present", f"{result.already_present:,}")
    if result.already_present and not result.stored:
        st.info("Everything readable in this file was already in the store: nothing new was stored.")
    elif result.stored:
        st.success(f"{result.stored:,} rows stored.", icon=":material/check_circle:")
    if len(result.files) > 1:
        st.dataframe(upload.files_frame(result), hide_index=True, width="stretch")
    for note in result.notes:
        st.caption(f":material/info: {note}")
    if result.reasons:
        st.markdown("**Why rows were rejected**")
        st.table(upload.reasons_frame(result).set_index("reason"))
    if result.rejected > len(report.rejects):
        st.caption(
            f":material/info: {result.rejected - len(report.rejects):,} rejected rows are in the quarantine from an "
            "earlier import of the same rows, so they are not listed again (see Imports and rejects)."
        )
    if not report.rejects.empty:
        st.markdown(f"**Rejected rows ({len(report.rejects):,})**")
        st.dataframe(report.rejects, hide_index=True, width="stretch")
        reason = reason_input(
            "Why are you downloading the rejected rows?",
            key="data_rejects_reason",
            help="Rejected rows are raw partner data and may name people or addresses: downloads are logged.",
        )
        rejected = Export(
            label="Download rejected rows (CSV)",
            file_name=upload.rejects_file_name(result.path),
            mime="text/csv",
            key="data_download_rejects",
            build=partial(frame_to_csv_bytes, report.rejects),  # made on the click, after its audit entry
            rows=len(report.rejects),
            personal=True,
            icon=":material/download:",
        )
        export_button(st, rejected, reason=reason, session=session, store=get_store())
