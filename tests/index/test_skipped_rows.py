"""The records a query left out (issue 25) come from the index's partial indexes of broken
rows: a store without a broken record pays nothing for the question."""
from __future__ import annotations

from svt_records.index.queries import Index


def test_the_broken_rows_are_asked_of_the_partial_indexes(db, svt):
    svt("add", "--id", "M1", "--type", "module")
    index = Index(db)
    assert index.components() and index.skipped == []
    plans = []
    real = index.db

    class Spy:  # records the plan of each question unreadable() asks
        def execute(self, sql, args=()):
            plans.append(" ".join(r[3] for r in real.execute("EXPLAIN QUERY PLAN " + sql, args)))
            return real.execute(sql, args)
    index.db = Spy()  # type: ignore[assignment]
    index.unreadable("components")
    index.unreadable("components", "module")
    index.unreadable("events")
    index.db = real
    assert plans == ["SCAN components USING INDEX components_broken"] * 2 + [
        "SCAN events USING INDEX events_broken"], plans


def test_unreadable_names_each_file_by_type(db, svt):
    svt("add", "--id", "M1", "--type", "module")
    svt("add", "--id", "F1", "--type", "feb")
    path = db.root / "records/module/M1/component.yaml"
    path.write_text(path.read_text() + "status: spare\n")
    index = Index(db)
    index.components()
    assert [s.path for s in index.skipped] == ["records/module/M1/component.yaml"]
    assert "duplicate key" in index.skipped[0].problem
    index.components("feb")
    assert index.skipped == []
