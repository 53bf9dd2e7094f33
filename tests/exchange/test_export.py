"""Data out and bulk data in: exports, the results grid, backup and restore, CSV input."""
from __future__ import annotations

import csv
import io
import json

import pytest


def fill(db, png) -> None:
    db.save_component("M-1", {"type": "module", "status": "spare"},
                      attributes={"channel_count": 512})
    db.save_component("M-2", {"type": "module", "status": "qualified", "location": "Hall B"})
    db.save_component("F-1", {"type": "feb"})
    db.record_test("M-1", "iv_curve", passed=False, date="2025-01-01T10:00:00+00:00",
                   measurements={"current": {"value": 9e-6, "unit": "A"}, "voltage": 60})
    db.record_test("M-1", "iv_curve", passed=True, date="2025-02-01T10:00:00+00:00",
                   measurements={"current": {"value": 2e-6, "unit": "A"}, "voltage": 60})
    db.record_test("M-2", "iv_curve", passed=True, date="2025-01-15T10:00:00+00:00",
                   measurements={"current": {"value": 3e-6, "unit": "A"}, "leak": "low"})
    db.record_test("M-2", "noise_test", passed=True, measurements={"noise": 1500})


@pytest.fixture
def filled(prebuilt):
    """A copy of the store fill makes, built once per session."""
    return prebuilt(fill)


def test_csv_export_round_trips(filled, svt):
    text = svt("export", "--format", "csv").stdout
    rows = list(csv.DictReader(io.StringIO(text)))
    assert [r["id"] for r in rows] == ["F-1", "M-1", "M-2"]
    m1 = next(r for r in rows if r["id"] == "M-1")
    assert m1["attr.channel_count"] == "512" and m1["tests"] == "2" and m1["status"] == "spare"
    assert next(r for r in rows if r["id"] == "M-2")["location"] == "Hall B"


def test_json_and_yaml_exports_hold_every_event(filled, svt):
    data = json.loads(svt("export").stdout)
    m1 = next(c for c in data if c["id"] == "M-1")
    assert [e["test_type"] for e in m1["events"]] == ["iv_curve", "iv_curve"]
    only = json.loads(svt("export", "--type", "feb").stdout)
    assert [c["id"] for c in only] == ["F-1"]
    from svt_records.files import yamlio
    assert yamlio.load(svt("export", "--format", "yaml").stdout).data["components"] == data


def test_results_grid_latest_and_all(filled, svt):
    rows = json.loads(svt("results", "--type", "iv_curve", "--format", "json").stdout)
    assert rows == [
        {"component": "M-1", "date": "2025-02-01T10:00:00+00:00", "result": "pass",
         "tested_by": "Test Tech", "current [A]": 2e-6, "voltage": 60, "leak": None},
        {"component": "M-2", "date": "2025-01-15T10:00:00+00:00", "result": "pass",
         "tested_by": "Test Tech", "current [A]": 3e-6, "voltage": None, "leak": "low"},
    ]
    everything = list(csv.DictReader(io.StringIO(
        svt("results", "--type", "iv_curve", "--all", "--format", "csv").stdout)))
    assert [(r["component"], r["result"]) for r in everything] == [
        ("M-1", "fail"), ("M-1", "pass"), ("M-2", "pass")]
    table = svt("results", "--type", "iv_curve").stdout
    assert "current [A]" in table and "2 component(s)" in table


def test_backup_restore_gives_an_identical_store(filled, svt, tmp_path):
    before = svt("export").stdout
    bundle = tmp_path / "backup.bundle"
    svt("backup", str(bundle))
    restored = tmp_path / "restored"
    svt("restore", str(bundle), str(restored))
    assert svt("--repo", str(restored), "export").stdout == before
    assert svt("--repo", str(restored), "validate").exit_code == 0
    again = svt("restore", str(bundle), str(restored), ok=False)
    assert again.exit_code == 1 and "not empty" in again.stderr


def test_add_from_csv_one_commit(db, svt, tmp_path, gitcmd):
    sheet = tmp_path / "parts.csv"
    sheet.write_text("id,type,serial,manufacturer,status,thickness_um\n"
                     "S-1,sensor,HPK-1,HPK,incoming,320\nS-2,sensor,HPK-2,HPK,spare,300\n")
    head = gitcmd(db.root, "rev-parse", "HEAD").strip()
    svt("add", "--from-csv", str(sheet))
    assert gitcmd(db.root, "rev-list", "--count", f"{head}..HEAD").strip() == "1"
    s1 = db.get_component("S-1")
    assert s1["serial_number"] == "HPK-1" and s1["attributes"] == {"thickness_um": 320}


def test_add_from_csv_bad_row_writes_nothing(db, svt, tmp_path, gitcmd):
    sheet = tmp_path / "parts.csv"
    sheet.write_text("id,type,status\nS-1,sensor,incoming\nS-2,sensor,brokn\n")
    head = gitcmd(db.root, "rev-parse", "HEAD")
    result = svt("add", "--from-csv", str(sheet), ok=False)
    assert result.exit_code == 1
    assert "parts.csv, line 3: unknown status 'brokn'" in result.stderr
    assert gitcmd(db.root, "rev-parse", "HEAD") == head
    assert db.get_component("S-1") is None


def test_tests_from_csv_one_commit_with_units_and_files(db, svt, tmp_path, png, gitcmd):
    db.save_component("M-1", {"type": "module"})
    db.save_component("M-2", {"type": "module"})
    (tmp_path / "plot.png").write_bytes(png.read_bytes())
    sheet = tmp_path / "iv.csv"
    sheet.write_text("component,type,result,date,current [A],voltage,images\n"
                     "M-1,iv_curve,pass,2025-03-01T10:00:00+00:00,2.1e-6,60,plot.png\n"
                     "M-2,iv_curve,fail,2025-03-01T10:00:00+00:00,9e-6,60,\n")
    head = gitcmd(db.root, "rev-parse", "HEAD").strip()
    svt("test", "--from-csv", str(sheet))
    assert gitcmd(db.root, "rev-list", "--count", f"{head}..HEAD").strip() == "1"
    m1 = db.tests("M-1")[0]
    assert m1["measurements"] == {"current": {"value": 2.1e-6, "unit": "A"},
                                  "voltage": {"value": 60, "unit": "V"}}
    assert m1["files"][0]["kind"] == "image" and db.tests("M-2")[0]["result"] == "fail"
    bad = tmp_path / "bad.csv"
    bad.write_text("component,type,result\nM-1,iv_curve,pass\nNOPE,iv_curve,pass\n")
    result = svt("test", "--from-csv", str(bad), ok=False)
    assert result.exit_code == 1 and "bad.csv, line 3: no component 'NOPE'" in result.stderr
    assert len(db.tests("M-1")) == 1
