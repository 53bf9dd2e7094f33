"""svt import-sqlite on databases built from the description of the original tracker (a
recent one and an old one lacking later columns and tables): every row and file comes over,
the database is never written, and a second import brings nothing twice."""
from __future__ import annotations

import hashlib
import json
import sqlite3
from pathlib import Path


from svt_records import Database

FULL_SCHEMA = """
CREATE TABLE components (id TEXT PRIMARY KEY, type TEXT, serial_number TEXT UNIQUE,
  asset_tag TEXT, manufacturer TEXT, manufacture_date TEXT, installation_status TEXT,
  current_location TEXT, installed_position TEXT, assembled_sensor_id TEXT,
  assembled_hybrid_id TEXT, attributes_json TEXT, notes TEXT, created_at TEXT, updated_at TEXT);
CREATE TABLE installation_history (id INTEGER PRIMARY KEY, component_id TEXT, position TEXT,
  installation_date TEXT, removal_date TEXT, installed_by TEXT, removed_by TEXT,
  removal_reason TEXT, run_period TEXT, notes TEXT, created_at TEXT);
CREATE TABLE test_results (id INTEGER PRIMARY KEY, component_id TEXT, test_date TEXT,
  test_type TEXT, pass_fail INTEGER, voltage_measured REAL, current_measured REAL,
  noise_level REAL, temperature REAL, measurements_json TEXT, tested_by TEXT, test_setup TEXT,
  test_conditions TEXT, notes TEXT, created_at TEXT);
CREATE TABLE test_files (id INTEGER PRIMARY KEY, test_id INTEGER, file_type TEXT,
  file_path TEXT, original_filename TEXT, description TEXT, file_size INTEGER,
  metadata_json TEXT, upload_date TEXT, created_at TEXT);
CREATE TABLE maintenance_log (id INTEGER PRIMARY KEY, component_id TEXT, log_date TEXT,
  log_type TEXT, severity TEXT, description TEXT, resolution TEXT, resolved_date TEXT,
  logged_by TEXT, created_at TEXT);
CREATE TABLE connections (id INTEGER PRIMARY KEY, component_a_id TEXT, component_b_id TEXT,
  connection_type TEXT, cable_id TEXT, installation_date TEXT, notes TEXT, created_at TEXT);
CREATE TABLE component_images (id INTEGER PRIMARY KEY, component_id TEXT, image_path TEXT,
  description TEXT, uploaded_by TEXT, upload_date TEXT, created_at TEXT);
"""


def make_legacy(folder: Path, old: bool = False) -> Path:
    """A database and test_data folder as the original tracker left them."""
    db_path = folder / "svt_components.db"
    data = folder / "test_data"
    plot = data / "2024/MODULE-L1-001/20241115_143022_iv_curve/image/iv.png"
    plot.parent.mkdir(parents=True)
    plot.write_bytes(b"\x89PNG fake iv plot")
    raw = data / "2024/MODULE-L1-001/20241115_143022_iv_curve/raw_data/iv.csv"
    raw.parent.mkdir(parents=True)
    raw.write_text("v,i\n0,0\n60,2.3e-6\n")
    photo = data / "photos/module1.jpg"
    photo.parent.mkdir(parents=True)
    photo.write_bytes(b"jpeg photo")
    con = sqlite3.connect(db_path)
    schema = FULL_SCHEMA
    if old:  # an early version: no assembly columns, no photos table
        schema = schema.replace("assembled_sensor_id TEXT,\n  assembled_hybrid_id TEXT, ", "")
        schema = schema.split("CREATE TABLE component_images")[0]
    con.executescript(schema)
    comp_cols = "id, type, serial_number, manufacturer, installation_status, current_location," \
                " installed_position, attributes_json, notes, created_at, updated_at"
    rows = [
        ("MODULE-L1-001", "module", "SN-1", "HPK", "installed", "Hall B", "Layer1_top_axial",
         json.dumps({"channel_count": 512}), "first module", "2024-11-01 10:00:00",
         "2024-11-20 10:00:00"),
        ("SENSOR-S1", "sensor", "SN-2", "HPK", "spare", "Clean Room", None, None, None,
         "2024-11-01 10:00:00", "2024-11-01 10:00:00"),
        ("HYBRID-H1", "hybrid", "SN-3", "SLAC", "spare", "Clean Room", None, None, None,
         "2024-11-01 10:00:00", "2024-11-01 10:00:00"),
        ("FEB-1", "feb", "SN-4", "SLAC", "installed", "Hall B", "FEB1", None, None,
         "2024-11-01 10:00:00", "2024-11-01 10:00:00"),
        ("CABLE-1", "cable", "SN-5", "SLAC", "spare", None, None, None, None,
         "2024-11-01 10:00:00", "2024-11-01 10:00:00"),
        ("BAD/ID", "module", "SN-6", None, "spare", None, None, None, None,
         "2024-11-01 10:00:00", "2024-11-01 10:00:00"),
    ]
    con.executemany(f"INSERT INTO components ({comp_cols}) VALUES"
                    " (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", rows)
    if not old:
        con.execute("UPDATE components SET assembled_sensor_id='SENSOR-S1',"
                    " assembled_hybrid_id='HYBRID-H1' WHERE id='MODULE-L1-001'")
    con.executemany("INSERT INTO installation_history (component_id, position, installation_date,"
                    " removal_date, installed_by, removed_by, removal_reason, run_period) VALUES"
                    " (?, ?, ?, ?, ?, ?, ?, ?)", [
                        ("MODULE-L1-001", "Layer2_top_axial", "2024-06-01T09:00:00",
                         "2024-08-01T17:00:00", "John", "Jane", "end_of_run", "2024_run"),
                        ("MODULE-L1-001", "Layer1_top_axial", "2024-11-20T09:00:00.250000", None,
                         "John", None, None, "2025_spring_run")])
    con.executemany("INSERT INTO test_results (id, component_id, test_date, test_type, pass_fail,"
                    " voltage_measured, current_measured, noise_level, temperature,"
                    " measurements_json, tested_by, test_setup, notes) VALUES"
                    " (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", [
                        (1, "MODULE-L1-001", "2024-11-15T14:30:22.123456", "iv_curve", 1, 60.0,
                         2.3e-6, None, -9.0, json.dumps({"leakage": {"value": 2.1e-5, "unit": "A"},
                                                         "bad_channels": [47, 128]}),
                         "Jane Doe", "stand 2", "Normal"),
                        (2, "MODULE-L1-001", "2024-11-16T10:00:00", "noise test", 0, None, None,
                         1580.0, None, None, "Jane Doe", None, None),
                        (3, "SENSOR-S1", "2024-11-10T10:00:00", "iv_curve", None, None, None,
                         None, None, None, None, None, None)])
    con.executemany("INSERT INTO test_files (test_id, file_type, file_path, original_filename,"
                    " description) VALUES (?, ?, ?, ?, ?)", [
                        (1, "image", str(plot.relative_to(data)), "iv.png", "IV plot"),
                        (1, "raw_data", str(raw.relative_to(data)), "iv.csv", None),
                        (1, "plot", "2024/MODULE-L1-001/missing.png", "missing.png", None)])
    con.executemany("INSERT INTO maintenance_log (component_id, log_date, log_type, severity,"
                    " description, logged_by) VALUES (?, ?, ?, ?, ?, ?)", [
                        ("MODULE-L1-001", "2024-11-02T10:00:00", "maintenance", "info",
                         "Assembly: sensor SENSOR-S1 and hybrid HYBRID-H1 attached", "Jane"),
                        ("MODULE-L1-001", "2024-11-21T10:00:00", "issue", "warning",
                         "Noisy channel 311", "John"),
                        ("MODULE-L1-001", "2024-11-22T10:00:00", "note", "info",
                         "Stable after two weeks", "Jane")])
    con.execute("INSERT INTO connections (component_a_id, component_b_id, connection_type,"
                " cable_id, installation_date) VALUES ('MODULE-L1-001', 'FEB-1', 'signal',"
                " 'CABLE-1', '2024-11-20T11:00:00')")
    if not old:
        con.execute("INSERT INTO component_images (component_id, image_path, description,"
                    " uploaded_by, upload_date) VALUES ('MODULE-L1-001', 'photos/module1.jpg',"
                    " 'front side', 'Jane', '2024-11-03T12:00:00')")
    con.commit()
    con.close()
    return db_path


def events(db: Database, cid: str) -> list[dict]:
    return db.events(cid)


def test_full_import_brings_every_row_and_file(db, svt, tmp_path, gitcmd):
    legacy = make_legacy(tmp_path / "legacy")
    digest = hashlib.sha256(legacy.read_bytes()).hexdigest()
    mtime = legacy.stat().st_mtime_ns
    head = gitcmd(db.root, "rev-parse", "HEAD")
    out = svt("import-sqlite", str(legacy)).stdout
    assert "Skipped" in out and "BAD/ID" in out and "missing.png" in out
    assert gitcmd(db.root, "rev-list", "--count", f"{head.strip()}..HEAD").strip() == "1"
    assert hashlib.sha256(legacy.read_bytes()).hexdigest() == digest
    assert legacy.stat().st_mtime_ns == mtime

    module = db.get_component("MODULE-L1-001")
    assert module["status"] == "installed" and module["position"] == "Layer1_top_axial"
    assert module["run_period"] == "2025_spring_run"
    assert module["sensor"] == "SENSOR-S1" and module["hybrid"] == "HYBRID-H1"
    assert db.get_component("SENSOR-S1")["module"] == "MODULE-L1-001"
    assert module["attributes"] == {"channel_count": 512} and module["notes"] == "first module"
    assert module["created"] == "2024-11-01T10:00:00+00:00"
    assert module["connections"] == [{"to": "FEB-1", "type": "signal", "cable": "CABLE-1",
                                      "since": module["connections"][0]["since"]}]
    assert db.get_component("FEB-1")["connections"][0]["to"] == "MODULE-L1-001"

    evs = events(db, "MODULE-L1-001")
    kinds = [e["kind"] for e in evs]
    assert kinds.count("test") == 2 and kinds.count("install") == 2
    assert kinds.count("remove") == 1 and "assembly" in kinds and "comment" in kinds
    assert "log" in kinds and "connect" in kinds and "attachment" in kinds
    iv = next(e for e in evs if e.get("test_type") == "iv_curve")
    assert iv["date"].startswith("2024-11-15T14:30:22.123456")
    assert iv["result"] == "pass" and iv["tested_by"] == "Jane Doe" and iv["setup"] == "stand 2"
    assert iv["measurements"] == {"leakage": {"value": 2.1e-5, "unit": "A"},
                                  "bad_channels": [47, 128], "voltage": {"value": 60.0, "unit": "V"},
                                  "current": {"value": 2.3e-6, "unit": "A"},
                                  "temperature": {"value": -9.0, "unit": "C"}}
    kinds_of_files = sorted(f["kind"] for f in iv["files"])
    assert kinds_of_files == ["data", "image"]
    image = next(f for f in iv["files"] if f["kind"] == "image")
    folder = db.root / iv["_path"].rsplit("/", 1)[0]
    assert (folder / image["path"]).read_bytes() == b"\x89PNG fake iv plot"
    assert image["sha256"] == hashlib.sha256(b"\x89PNG fake iv plot").hexdigest()
    assert image["description"] == "IV plot" and image["original_name"] == "iv.png"
    noise = next(e for e in evs if e.get("test_type") == "noise_test")
    assert noise["result"] == "fail"
    assert noise["measurements"] == {"noise": {"value": 1580.0, "unit": "e"}}
    assembly = next(e for e in evs if e["kind"] == "assembly")
    assert assembly["sensor"] == "SENSOR-S1" and assembly["hybrid"] == "HYBRID-H1"
    assert db.tests("SENSOR-S1")[0].get("result") is None
    assert svt("validate", ok=False).exit_code == 0


def test_second_import_brings_nothing_twice(db, svt, tmp_path, gitcmd):
    legacy = make_legacy(tmp_path / "legacy")
    svt("import-sqlite", str(legacy))
    files = sorted(str(p) for p in (db.root / "records").rglob("*"))
    head = gitcmd(db.root, "rev-parse", "HEAD")
    out = svt("import-sqlite", str(legacy)).stdout
    assert "Imported: nothing new" in out and "Already in the store" in out
    assert gitcmd(db.root, "rev-parse", "HEAD") == head
    assert sorted(str(p) for p in (db.root / "records").rglob("*")) == files


def test_old_database_without_later_columns_and_tables(db, svt, tmp_path):
    legacy = make_legacy(tmp_path / "old", old=True)
    svt("import-sqlite", str(legacy), "--data-dir", str(tmp_path / "old" / "test_data"))
    module = db.get_component("MODULE-L1-001")
    assert "sensor" not in module
    assert [e for e in events(db, "MODULE-L1-001") if e["kind"] == "attachment"] == []
    assert len(db.tests("MODULE-L1-001")) == 2
    assert svt("validate", ok=False).exit_code == 0


def test_not_a_database_is_a_clear_error(db, svt, tmp_path):
    bogus = tmp_path / "x.db"
    bogus.write_text("not sqlite")
    result = svt("import-sqlite", str(bogus), ok=False)
    assert result.exit_code == 1 and "is not an SQLite database" in result.stderr


def small_legacy(folder: Path, components: list[tuple], installs: list[tuple] = (),
                 tests: list[tuple] = (), logs: list[tuple] = ()) -> Path:
    """A database of the original tracker holding just the given rows."""
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "svt_components.db"
    con = sqlite3.connect(path)
    con.executescript(FULL_SCHEMA)
    con.executemany("INSERT INTO components (id, type, installation_status, installed_position,"
                    " assembled_sensor_id, assembled_hybrid_id, created_at, updated_at) VALUES"
                    " (?, ?, ?, ?, ?, ?, '2024-01-01 08:00:00', ?)", components)
    con.executemany("INSERT INTO installation_history (component_id, position, installation_date)"
                    " VALUES (?, ?, ?)", installs)
    con.executemany("INSERT INTO test_results (id, component_id, test_date, test_type, pass_fail,"
                    " voltage_measured, current_measured, noise_level, temperature,"
                    " measurements_json) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", tests)
    con.executemany("INSERT INTO maintenance_log (id, component_id, log_date, log_type, severity,"
                    " description, logged_by) VALUES (?, ?, ?, ?, ?, ?, 'Jane')", logs)
    con.commit()
    con.close()
    return path


def test_legacy_columns_and_json_become_the_measurements_svt_test_writes(db, svt, tmp_path):
    # as the original's `svt test --voltage 60 --current 2.3e-6 --noise 1500 --temp -9` and its
    # TestResult.save() left them: the columns, and the same keys in measurements_json
    original = {"voltage_measured": 60.0, "current_measured": 2.3e-6, "noise_level": 1500.0,
                "temperature": -9.0}
    legacy = small_legacy(tmp_path / "legacy", [
        ("M-1", "module", "spare", None, None, None, "2024-01-01 08:00:00"),
        ("M-2", "module", "spare", None, None, None, "2024-01-01 08:00:00")], tests=[
        (1, "M-1", "2024-11-15T14:30:22", "iv_curve", 1, 60.0, 2.3e-6, 1500.0, -9.0,
         json.dumps(dict(original, depletion_voltage=30.0))),
        # the Python API also took {value, unit} under those keys; its unit is kept
        (2, "M-2", "2024-11-16T10:00:00", "iv_curve", 0, 80.0, 4.0e-6, None, None,
         json.dumps({"voltage_measured": {"value": 80.0, "unit": "V"},
                     "current_measured": {"value": 4.0, "unit": "uA"}, "file_filter": None}))])
    svt("import-sqlite", str(legacy))
    svt("add", "--id", "M-3", "--type", "module")
    svt("test", "M-3", "--type", "iv_curve", "--pass", "--voltage", "60", "--current", "2.3e-6",
        "--temp", "-9.0")
    written = db.tests("M-3")[0]["measurements"]
    imported = db.tests("M-1")[0]["measurements"]
    assert imported == dict(written, noise={"value": 1500.0, "unit": "e"}, depletion_voltage=30.0)
    assert db.tests("M-2")[0]["measurements"] == {"voltage": {"value": 80.0, "unit": "V"},
                                                  "current": {"value": 4.0, "unit": "uA"}}
    shown = svt("show", "M-1").stdout
    assert "voltage=60.0 V" in shown and "temperature=-9.00 C" in shown
    assert "noise=1.50 ke" in shown and "_measured" not in shown and "noise_level" not in shown
    header = svt("results", "--type", "iv_curve", "--format", "csv").stdout.splitlines()[0]
    columns = header.split(",")
    assert [c for c in columns if c.startswith("voltage")] == ["voltage [V]"]
    assert [c for c in columns if c.startswith("temperature")] == ["temperature [C]"]
    assert [c for c in columns if c.startswith("noise")] == ["noise [e]"]
    assert not [c for c in columns if "_measured" in c or c == "file_filter"]


def rule_breaking_legacy(folder: Path) -> Path:
    """Data the original tracker accepted and svt's rules refuse."""
    return small_legacy(folder, [
        # two modules at one position (both rows of installation_history still open)
        ("A-1", "module", "installed", "Layer2_top_axial", None, None, "2024-03-01 08:00:00"),
        ("A-2", "module", "installed", "Layer2_top_axial", None, None, "2024-04-01 08:00:00"),
        # installed, but where?
        ("B-1", "module", "installed", None, None, None, "2024-03-01 08:00:00"),
        ("B-2", "module", "installed", None, None, None, "2024-03-01 08:00:00"),
        # one sensor on two modules; M-2's assembly is the later one (M-1's row changed later)
        ("M-1", "module", "installed", "Layer1_top_axial", "S-1", "H-1", "2024-06-01 08:00:00"),
        ("M-2", "module", "spare", None, "S-1", None, "2024-02-10 08:00:00"),
        ("S-1", "sensor", "spare", None, None, None, "2024-02-10 08:00:00"),
        ("H-1", "hybrid", "spare", None, None, None, "2024-01-10 08:00:00"),
    ], installs=[("A-1", "Layer2_top_axial", "2024-03-01T09:00:00"),
                 ("A-2", "Layer2_top_axial", "2024-04-01T09:00:00"),
                 ("M-1", "Layer1_top_axial", "2024-01-20T09:00:00"),
                 ("B-2", None, "2024-03-05T09:00:00")],
        tests=[(41, "M-2", "2999-01-01T10:00:00", "iv_curve", 1, 70.0, None, None, None, None),
               (42, "A-1", "2024-05-01T10:00:00", "iv_curve", 1, 60.0, None, None, None, None)],
        logs=[(16, "M-1", "2024-01-10T10:00:00", "maintenance", "info",
               "Assembly: sensor S-1 and hybrid H-1 attached"),
              (17, "M-2", "2024-02-10T10:00:00", "maintenance", "info",
               "Assembly: sensor S-1 attached"),
              (18, "A-1", "2024-05-02T10:00:00", "issue", "warning", "Noisy channel 311"),
              (19, "A-1", "2024-05-03T10:00:00", "note", "info", "Fine again")])


def test_rule_breaking_data_is_imported_as_it_was_and_listed_with_fixes(db, svt, tmp_path):
    legacy = rule_breaking_legacy(tmp_path / "legacy")
    out = svt("import-sqlite", str(legacy)).stdout
    problems = out.split("Problems", 1)[1]
    assert "svt remove A-1" in problems  # the earlier of the two at Layer2_top_axial
    assert "svt install B-1 POSITION" in problems and "svt install B-2 POSITION" in problems
    assert "svt disassemble M-1 --only sensor" in problems
    assert "2999-01-01" in problems
    # imported as it was: both at the position, B-1 installed nowhere, M-1 still names S-1
    assert db.get_component("A-1")["position"] == db.get_component("A-2")["position"]
    assert db.get_component("B-1")["status"] == "installed"
    assert "position" not in db.get_component("B-1")
    assert {"position", "installed_date"}.isdisjoint(db.get_component("B-2"))
    assert db.get_component("M-1")["sensor"] == "S-1"
    assert db.get_component("S-1")["module"] == "M-2"  # a sensor names one module: the latest
    assert db.tests("M-2")[0]["date"].startswith("2999-01-01T10:00:00")

    report = svt("validate", ok=False)
    assert report.exit_code == 1
    lines = report.stdout.splitlines()

    def found(path: str, severity: str, text: str) -> bool:
        return any(l.startswith(path) and f": {severity}: " in l and text in l for l in lines)
    assert found("records/module/A-1/component.yaml", "error", "also holds A-2")
    assert found("records/module/A-2/component.yaml", "error", "also holds A-1")
    assert found("records/module/B-1/component.yaml", "warning", "no position")
    assert found("records/module/M-1/component.yaml", "error", "S-1 says it is on M-2")
    assert found("records/module/M-2/2999/", "error", "in the future")
    assert "error" not in [l for l in lines if "B-1" in l][0].split(":")[3]

    # the commands the import gave fix what they say
    svt("remove", "A-1")
    svt("install", "B-1", "Layer3_top_axial")
    svt("install", "B-2", "Layer3_bottom_axial")
    svt("disassemble", "M-1", "--only", "sensor")
    assert db.get_component("S-1")["module"] == "M-2"  # M-2's sensor is left alone
    assert db.get_component("M-1")["hybrid"] == "H-1"
    refused = svt("disassemble", "M-1", ok=False)  # H-1 really is on M-1, installed
    assert refused.exit_code == 1 and "remove it before disassembling" in refused.stderr
    left = svt("validate", ok=False).stdout.splitlines()
    assert [l for l in left if ": error: " in l or ": warning: " in l] == [
        l for l in left if "records/module/M-2/2999/" in l and "in the future" in l]


def test_legacy_ids_of_tests_and_logs_are_kept_and_reimport_adds_nothing(db, svt, tmp_path,
                                                                         gitcmd):
    legacy = rule_breaking_legacy(tmp_path / "legacy")
    svt("import-sqlite", str(legacy))
    tests = {t["date"][:10]: t for t in db.tests("M-2") + db.tests("A-1")}
    assert tests["2999-01-01"]["legacy_id"] == 41 and tests["2024-05-01"]["legacy_id"] == 42
    logs = {e["kind"]: e for e in db.events("A-1") if e["kind"] in ("log", "comment")}
    assert logs["log"]["legacy_id"] == 18 and logs["comment"]["legacy_id"] == 19
    path = db.root / tests["2024-05-01"]["_path"]
    assert path.read_text().rstrip().endswith("legacy_id: 42")
    head = gitcmd(db.root, "rev-parse", "HEAD")
    out = svt("import-sqlite", str(legacy)).stdout
    assert "Imported: nothing new" in out and gitcmd(db.root, "rev-parse", "HEAD") == head


def test_a_store_with_older_schemas_imports_without_the_legacy_ids(db, svt_proc, tmp_path,
                                                                     gitcmd):
    for name in ("test", "log"):  # as `svt init` wrote them before legacy_id existed
        path = db.root / "schemas" / f"{name}.schema.json"
        doc = json.loads(path.read_text())
        del doc["properties"]["legacy_id"]
        path.write_text(json.dumps(doc, indent=2))
    gitcmd(db.root, "commit", "-qam", "older schemas")
    legacy = rule_breaking_legacy(tmp_path / "legacy")
    out = svt_proc("import-sqlite", str(legacy)).stdout
    assert "predate legacy_id" in out
    assert [t.get("legacy_id") for t in db.tests("A-1")] == [None]
    assert len([e for e in db.events("A-1") if e["kind"] in ("log", "comment")]) == 2


def test_a_hybrid_on_two_modules_names_the_one_changed_last(db, svt, tmp_path):
    # no Assembly: log rows, so the rows' updated_at tells which assembly is later
    legacy = small_legacy(tmp_path / "legacy", [
        ("N-1", "module", "spare", None, None, "H-9", "2024-05-01 08:00:00"),
        ("N-2", "module", "spare", None, None, "H-9", "2024-04-01 08:00:00"),
        ("H-9", "hybrid", "spare", None, None, None, "2024-01-01 08:00:00")])
    out = svt("import-sqlite", str(legacy)).stdout
    assert "hybrid H-9 is on both N-2 and N-1" in out and "svt disassemble N-2 --only hybrid" in out
    assert db.get_component("H-9")["module"] == "N-1"
    assert db.get_component("N-2")["hybrid"] == "H-9"
    report = svt("validate", ok=False)
    assert report.exit_code == 1 and "records/module/N-2/component.yaml" in report.stdout
    svt("disassemble", "N-2", "--only", "hybrid")
    assert db.get_component("H-9")["module"] == "N-1"
    assert svt("validate", ok=False).exit_code == 0


def test_import_takes_the_statuses_the_store_itself_adds(db, svt, tmp_path, gitcmd):
    """The store's own schemas decide its statuses for an import as for every other write."""
    import json
    defs = db.root / "schemas" / "defs.schema.json"
    doc = json.loads(defs.read_text(encoding="utf-8"))
    doc["$defs"]["status"]["enum"].append("irradiated")
    defs.write_text(json.dumps(doc, indent=2) + "\n", encoding="utf-8")
    gitcmd(db.root, "commit", "-qam", "schemas: add the status irradiated")
    legacy = small_legacy(tmp_path / "old", [("S-9", "sensor", "irradiated", None, None, None,
                                              "2024-01-02 08:00:00")])
    svt("import-sqlite", str(legacy))
    assert Database(db.root).get_component("S-9")["status"] == "irradiated"


def test_installs_and_removals_out_of_step_are_listed_as_validate_reports_them(db, svt,
                                                                              tmp_path):
    legacy = small_legacy(tmp_path / "legacy", [
        ("C-1", "module", "installed", "Layer3_top_axial", None, None, "2024-05-01 08:00:00"),
        ("D-1", "module", "spare", None, None, None, "2024-05-01 08:00:00")],
        # two open rows of one module: installed twice, never removed between
        installs=[("C-1", "Layer2_top_axial", "2024-03-01T09:00:00"),
                  ("C-1", "Layer3_top_axial", "2024-04-01T09:00:00")])
    con = sqlite3.connect(legacy)  # a removal whose installation has no readable date
    con.execute("INSERT INTO installation_history (component_id, position, installation_date,"
                " removal_date) VALUES ('D-1', 'Layer2_bottom_axial', 'soon',"
                " '2024-04-02T09:00:00')")
    con.commit()
    con.close()
    out = svt("import-sqlite", str(legacy)).stdout
    problems = out.split("Problems", 1)[1]
    again = "records/module/C-1/2024/20240401_090000_install.yaml"
    alone = "records/module/D-1/2024/20240402_090000_remove.yaml"
    assert f"{again}: installs C-1 at Layer3_top_axial, but it is still installed at" in problems
    assert f"fix: delete the install that did not happen (git rm {again}" in problems
    assert f"{alone}: removes D-1 from Layer2_bottom_axial, but there is no install" in problems
    assert f"fix: if it is the same removal recorded twice, delete this one (git rm {alone})" \
        in problems
    lines = svt("validate", ok=False).stdout.splitlines()
    errors = [l for l in lines if ": error: " in l]
    assert [l.split(":")[0] for l in errors] == [again, alone], lines
    assert "no removal between" in errors[0] and "no install before it" in errors[1]


def test_after_import_sqlite_the_original_test_numbers_work(store_path, svt, tmp_path):
    legacy = small_legacy(tmp_path / "legacy",
                          [("MOD-7", "module", "spare", None, None, None, None)],
                          tests=[(42, "MOD-7", "2024-05-01 10:00:00", "iv_curve", 1, 60.0,
                                  2.3e-6, None, None, None),
                                 (43, "MOD-7", "2024-05-02 10:00:00", "noise", 0, None,
                                  None, 1500.0, None, None)])
    svt("import-sqlite", str(legacy))
    out = svt("show-test", "42").stdout
    assert "iv_curve" in out and "PASS" in out and "voltage: 60.0 V" in out
    assert "noise" in svt("show-test", "43").stdout
    # the imported tests' names carry no tag: show still prints an id show-test takes
    for test in json.loads(svt("show", "MOD-7", "--format", "json").stdout)["tests"]:
        data = json.loads(svt("show-test", test["id"], "--format", "json").stdout)
        assert data["legacy_id"] == test["legacy_id"]


def test_a_number_is_an_id_and_an_original_number_at_once(store_path, svt, tmp_path):
    """A test id of six digits may also be the original tracker's number of another test:
    both are named. The numbers come from the index, which sees a number edited by hand."""
    legacy = small_legacy(tmp_path / "legacy",
                          [("MOD-7", "module", "spare", None, None, None, None)],
                          tests=[(123456, "MOD-7", "2024-05-01 10:00:00", "iv_curve", 1, 60.0,
                                  2.3e-6, None, None, None)])
    svt("import-sqlite", str(legacy))
    assert json.loads(svt("show-test", "123456", "--format", "json").stdout)[
        "legacy_id"] == 123456
    imported = next((store_path / "records/module/MOD-7").glob("*/*.yaml"))
    twin = imported.with_name("20240502_100000_iv_curve_123456.yaml")  # its id: 123456
    twin.write_text(imported.read_text().replace("legacy_id: 123456\n", ""))
    result = svt("show-test", "123456", ok=False)
    assert "123456 names 2 tests" in result.stderr
    imported.write_text(imported.read_text().replace("legacy_id: 123456", "legacy_id: 654321"))
    shown = json.loads(svt("show-test", "123456", "--format", "json").stdout)
    assert shown["_path"].endswith(twin.name) and "legacy_id" not in shown
    assert json.loads(svt("show-test", "654321", "--format", "json").stdout)[
        "legacy_id"] == 654321


def test_a_measurement_name_svt_cannot_store_is_imported_as_it_was_and_named(store_path, svt,
                                                                           tmp_path):
    """The original took any key in measurements_json; one that cannot name a file (svt site
    writes a plot per measurement) comes over as it was, and the import says which and how
    to put it right, as for the other rules the original data breaks."""
    legacy = small_legacy(tmp_path / "legacy",
                          [("MOD-7", "module", "spare", None, None, None, None)],
                          tests=[(42, "MOD-7", "2024-05-01 10:00:00", "iv_curve", 1, 60.0,
                                  2.3e-6, None, None,
                                  json.dumps({"leakage current": 1.0e-6, "ok_name": 2}))])
    out = svt("import-sqlite", str(legacy)).stdout
    assert "measurement name 'leakage current' cannot name a file" in out
    assert "fix: rename the measurement" in out and "ok_name" not in out
    shown = json.loads(svt("show-test", "42", "--format", "json").stdout)
    assert shown["measurements"]["leakage current"] == 1.0e-6  # kept as it was
    assert "'leakage current' cannot name a file" in svt("validate", ok=False).stdout
