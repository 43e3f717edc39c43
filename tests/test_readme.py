"""The README's "who sees what" table says what geo/access/roles.py grants, role by role."""

from __future__ import annotations

from pathlib import Path

from dashboard.context import PAGE_SPECS
from geo.access.roles import OPERATIONAL_PAGES, ROLES

README = Path(__file__).resolve().parents[1] / "README.md"

#: The README's words for each export id (geo.access.roles.EXPORTS).
EXPORT_WORDS = {
    "patrol_plan": "patrol plan",
    "briefing": "briefing sheet",
    "dosage": "dosage table",
    "doorknock_list": "door-knock list",
    "hotspot_table": "hot spot table",
    "outcomes_report": "outcomes report",
    "rejects": "rejected rows",
    "ward_summary": "ward/estate table",
    "audit_log": "audit log",
    "review_agenda": "review agenda",
}


def _table() -> dict[str, list[str]]:
    text = README.read_text(encoding="utf-8")
    start = text.index("<!-- roles table")
    rows = {}
    for line in text[start:].splitlines()[3:]:
        if not line.startswith("|"):
            break
        cells = [c.strip() for c in line.strip("|").split("|")]
        rows[cells[0]] = cells[1:]
    return rows


def test_every_role_is_in_the_table_with_its_pages_points_figures_and_exports():
    table = _table()
    assert set(table) == {r.label for r in ROLES.values()}
    for role in ROLES.values():
        pages, points, figures, exports = table[role.label]
        assert pages.split(", ") == [PAGE_SPECS[p][1] for p in role.pages], role.name
        assert points == ("yes" if role.point_data else "no"), role.name
        operational = any(p in OPERATIONAL_PAGES for p in role.pages)
        assert figures == ("none" if not operational else "published" if role.suppress else "exact"), role.name
        words = [EXPORT_WORDS[e] for e in role.exports] or ["nothing"]
        assert exports.split(", ") == words, role.name


def test_the_run_script_passes_streamlit_options_through():
    script = (README.parent / "scripts" / "run.sh").read_text(encoding="utf-8")
    assert 'streamlit run app.py "$@"' in script  # what the README promises: its arguments go to streamlit


def test_the_repairs_worked_example_imports_as_the_readme_says(store, tmp_path):
    """The README's repairs export, as printed there, is stored whole with no --map: every heading is recognised."""
    from geo.store.importer import import_path

    text = README.read_text(encoding="utf-8")
    start = text.index("    Job No,Job Code,")
    block = text[start:].split("\n\n", 1)[0]
    lines = [line.removeprefix("    ") for line in block.splitlines()]
    path = tmp_path / "repairs.csv"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    result = import_path(store, "signals", path)
    assert (result.rows, result.stored, result.rejected) == (len(lines) - 1, len(lines) - 1, 0), result.reasons
    stored = store.read("signals").sort_values("event")
    assert stored["signal"].tolist() == ["lock_change", "lock_change", "no_access"]
    assert stored["event"].tolist() == ["J40017", "J40233", "J40251"]
    assert stored["date"].tolist() == ["2026-09-02", "2026-10-14", "2026-10-20"]
