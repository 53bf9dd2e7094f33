"""The incremental build is the full build: after each kind of change (a status, a new IV test
with its data file, a log, a component added, a result resting on placeholder limits, one
deleted) every file `svt site OUT` leaves in OUT is byte for byte the file a fresh `svt site --full` writes, but the manifest. (The
rebuild takes what it can from the last build's manifest: the components table's rows,
the digests; none of it may show.)"""
from __future__ import annotations

import json
from pathlib import Path

from svt_records import Database
from svt_records.site import drawing

from conftest import IV_CSV, git

MANIFEST = ".svt-site/manifest.json"


def files(out: Path) -> dict[str, bytes]:
    return {p.relative_to(out).as_posix(): p.read_bytes() for p in sorted(out.rglob("*"))
            if p.is_file() and p.relative_to(out).as_posix() != MANIFEST}


def same_as_full(svt, store: Path, out: Path, full: Path) -> dict[str, bytes]:
    svt("--repo", str(store), "site", str(out))
    svt("--repo", str(store), "site", str(full), "--full")
    built, fresh = files(out), files(full)
    assert sorted(built) == sorted(fresh)
    assert [rel for rel in fresh if built[rel] != fresh[rel]] == []
    return built


def test_each_kind_of_change_rebuilds_to_the_full_builds_bytes(tmp_path, svt, monkeypatch):
    series_of: list[set[str]] = []  # the components each trend_series was made from
    trend_series = drawing.trend_series

    def recorded(digests, *args):
        series_of.append(set(digests))
        return trend_series(digests, *args)
    monkeypatch.setattr(drawing, "trend_series", recorded)
    store = tmp_path / "store"
    db = Database(store)
    db.initialize_schema()
    (tmp_path / "iv.csv").write_text(IV_CSV)
    (tmp_path / "iv2.csv").write_text(IV_CSV.replace("2.2e-06", "3.5e-06"))
    db.save_component("MOD-1", {"type": "module", "status": "testing",
                                "location": "Clean Room"}, attributes={"batch": 7})
    db.save_component("MOD-2", {"type": "module", "status": "spare"})
    db.save_component("SEN-1", {"type": "sensor", "status": "qualified"})
    db.record_test("MOD-1", "iv_curve", passed=True, measurements={"current": 2.2e-6},
                   data_files=[str(tmp_path / "iv.csv")], date="2025-01-10T10:00")
    db.record_test("MOD-2", "noise_test", passed=True, measurements={"noise": 1500.0},
                   date="2025-01-11T10:00")
    out = tmp_path / "out"
    svt("--repo", str(store), "site", str(out))
    first = files(out)
    rows = json.loads((out / MANIFEST).read_text())["table_rows"]
    assert set(rows) == {"MOD-1", "MOD-2", "SEN-1"}  # each row kept for the next build

    def table(built: dict[str, bytes]) -> str:
        return built["components.html"].decode()

    # a status
    db.save_component("MOD-2", {"status": "installed"})
    built = same_as_full(svt, store, out, tmp_path / "full-status")
    assert "status-installed" in table(built) and table(built) != table(first)
    # a new IV test with its data file, failing: a verdict column and a health change
    db.record_test("SEN-1", "iv_curve", passed=False, measurements={"current": 3.5e-6},
                   data_files=[str(tmp_path / "iv2.csv")], date="2025-02-10T10:00")
    built = same_as_full(svt, store, out, tmp_path / "full-iv")
    assert "components/iv/SEN-1.png" in built
    # a log (the component's page changes, not its row)
    db.add_log("MOD-1", "cooling issue <b>bold</b>", log_type="issue")
    same_as_full(svt, store, out, tmp_path / "full-log")
    # a component added, of a type not seen before
    db.save_component("FEB-1", {"type": "feb", "status": "spare"}, attributes={"note": "x<y"})
    built = same_as_full(svt, store, out, tmp_path / "full-add")
    assert "components/FEB-1.html" in built and ">FEB-1</a>" in table(built)
    # a test of a type no other component has (its page and plots come, and go with it)
    db.record_test("FEB-1", "bias_scan", passed=True, measurements={"bias": 120.0},
                   date="2025-03-10T10:00")
    built = same_as_full(svt, store, out, tmp_path / "full-type")
    assert "tests/bias_scan.html" in built
    # another noise test: only its type's plots are worked out again, the others kept
    db.record_test("MOD-1", "noise_test", passed=False, measurements={"noise": 2500.0},
                   date="2025-03-11T10:00")
    series_of.clear()
    same_as_full(svt, store, out, tmp_path / "full-noise")
    assert series_of == [{"MOD-1", "MOD-2"}, {"FEB-1", "MOD-1", "MOD-2", "SEN-1"}]
    # a result resting on svt.yaml's placeholder limits, after builds that warned of none
    # (the tests read then are not read again, this one is), then another
    def warned(built: dict[str, bytes]) -> list[str]:
        return [line for line in built["validation.html"].decode().splitlines()
                if "result(s))" in line]
    assert warned(built) == []
    svt("--repo", str(store), "test", "MOD-2", "--type", "iv_curve", "--measure",
        "leakage_20C=1uA")
    built = same_as_full(svt, store, out, tmp_path / "full-placeholder")
    first_warning = warned(built)
    assert len(first_warning) == 1 and "iv_curve (" in first_warning[0], first_warning
    svt("--repo", str(store), "test", "SEN-1", "--type", "iv_curve", "--measure",
        "leakage_20C=2uA")
    built = same_as_full(svt, store, out, tmp_path / "full-placeholder-2")
    assert len(warned(built)) == 1 and warned(built) != first_warning  # a count of one more
    # a component deleted: its row, page and type gone from the table
    git(store, "rm", "-rq", "records/feb/FEB-1")
    git(store, "commit", "-qm", "FEB-1 was never made")
    built = same_as_full(svt, store, out, tmp_path / "full-delete")
    assert "components/FEB-1.html" not in built and "FEB-1" not in table(built)
    assert "tests/bias_scan.html" not in built
    assert not any(rel.startswith("tests/") and "bias_scan" in rel for rel in built)
    # the table's rows and the test types' plots the manifest keeps are this build's
    manifest = json.loads((out / MANIFEST).read_text())
    assert set(manifest["table_rows"]) == {"MOD-1", "MOD-2", "SEN-1"}
    assert set(manifest["plots"]) == {"iv_curve", "noise_test"}


def two_modules_built(tmp_path: Path, svt) -> tuple[Database, Path, Path, dict]:
    """A store of two modules, its site built in tmp_path/out: (db, store, out, the
    manifest that build left)."""
    store = tmp_path / "store"
    db = Database(store)
    db.initialize_schema()
    db.save_component("MOD-1", {"type": "module", "status": "testing"})
    db.save_component("MOD-2", {"type": "module", "status": "spare"})
    out = tmp_path / "out"
    svt("--repo", str(store), "site", str(out))
    return db, store, out, json.loads((out / MANIFEST).read_text())


def test_a_manifest_row_with_other_inputs_is_rendered_again(tmp_path, svt):
    """A row is taken from the manifest only under this clone's seal over its values, its
    template and its HTML: a row whose seal does not match (an older template, an edited
    manifest) is rendered again."""
    db, store, out, manifest = two_modules_built(tmp_path, svt)
    manifest["table_rows"]["MOD-1"] = ["stale", "<tr><td>stale</td></tr>"]
    (out / MANIFEST).write_text(json.dumps(manifest))
    db.save_component("MOD-2", {"status": "installed"})
    same_as_full(svt, store, out, tmp_path / "full")
    assert "stale" not in (out / "components.html").read_text()
