"""Every command and option of the seed README and issue 2, through the real CLI on real
git repositories: the files written, their content, and the commit each change makes."""
from __future__ import annotations

import csv
import io
import json
import re
from pathlib import Path

import pytest

from svt_records import Component, Database, TestResult, get_default_db
from svt_records.files import yamlio


def last_commit(root: Path, gitcmd) -> tuple[str, list[str]]:
    subject = gitcmd(root, "log", "-1", "--format=%s").strip()
    files = gitcmd(root, "show", "--name-only", "--format=", "HEAD").split()
    return subject, sorted(files)


def record(root: Path, rel: str) -> dict:
    return yamlio.load((root / rel).read_text()).data


# ---- where records live -------------------------------------------------------------------

def test_init_default_home_and_idempotent(svt, isolated_env, gitcmd):
    result = svt("init")
    home_store = isolated_env / ".hps_svt_tracker"
    assert str(home_store) in result.stdout
    for path in ("svt.yaml", "schemas/component.schema.json", "records/README.md"):
        assert (home_store / path).is_file()
    assert gitcmd(home_store, "log", "--format=%s").strip().startswith("init ")
    again = svt("init")
    assert "already exists" in again.stdout
    assert gitcmd(home_store, "rev-list", "--count", "HEAD").strip() == "1"


def test_init_in_an_existing_repository_touches_nothing_else(tmp_path, svt, gitcmd):
    repo = tmp_path / "existing"
    repo.mkdir()
    gitcmd(repo, "init", "-q")
    (repo / "mine.txt").write_text("keep me")
    svt("init", str(repo))
    assert "mine.txt" not in gitcmd(repo, "show", "--name-only", "--format=", "HEAD")
    assert gitcmd(repo, "status", "--porcelain").strip() == "?? mine.txt"


def test_store_selection_order(tmp_path, svt, monkeypatch):
    a, b = tmp_path / "a", tmp_path / "b"
    svt("init", str(a))
    svt("init", str(b))
    svt("--repo", str(a), "add", "--id", "IN-A", "--type", "feb")
    svt("--db-path", str(b), "add", "--id", "IN-B", "--type", "feb")
    monkeypatch.setenv("SVT_REPO", str(a))
    assert "IN-A" in svt("list").stdout
    monkeypatch.delenv("SVT_REPO")
    (b / "records" / "feb" / "IN-B").mkdir(exist_ok=True)
    monkeypatch.chdir(b / "records" / "feb")
    assert "IN-B" in svt("list").stdout  # found like git finds .git


def test_a_missing_store_says_to_run_svt_init(tmp_path, svt):
    result = svt("--repo", str(tmp_path / "nowhere"), "list", ok=False)
    assert result.exit_code == 1 and "run `svt init" in result.stderr


def test_the_old_database_file_given_as_store_says_to_import_it(tmp_path, svt):
    old_db = tmp_path / "svt_components.db"
    old_db.write_bytes(b"SQLite format 3\x00")
    result = svt("--db-path", str(old_db), "list", ok=False)
    assert result.exit_code == 1 and "import-sqlite" in result.stderr


# ---- components -----------------------------------------------------------------------------

def test_add_writes_one_record_and_one_commit(store_path, svt, gitcmd):
    svt("add", "--id", "FEB-042", "--type", "feb", "--serial", "FEB-042-2024", "--manufacturer",
        "SLAC", "--status", "spare", "--location", "Hall B", "--notes", "spare board",
        "--asset-tag", "JLAB-77", "--manufacture-date", "2024-03", "--attr", "channels=640",
        "--attr", "firmware=v2.1")
    rel = "records/feb/FEB-042/component.yaml"
    data = record(store_path, rel)
    assert data["serial_number"] == "FEB-042-2024" and data["status"] == "spare"
    assert data["attributes"] == {"channels": 640, "firmware": "v2.1"}
    assert (store_path / rel).read_text().startswith(
        "# yaml-language-server: $schema=../../../schemas/component.schema.json")
    assert last_commit(store_path, gitcmd) == ("add FEB-042: new feb, spare", [rel])


def test_add_on_an_existing_id_updates_only_given_fields(store_path, svt, gitcmd):
    svt("add", "--id", "M1", "--type", "module", "--manufacturer", "HPK", "--location", "CR")
    svt("add", "--id", "M1", "--status", "qualified")
    data = record(store_path, "records/module/M1/component.yaml")
    assert data["status"] == "qualified" and data["manufacturer"] == "HPK"
    assert data["location"] == "CR"
    assert last_commit(store_path, gitcmd)[0] == "update M1: status incoming -> qualified"


def test_add_refuses_to_change_a_components_type(store_path, svt):
    svt("add", "--id", "M1", "--type", "module")
    assert "type cannot change" in svt("add", "--id", "M1", "--type", "feb", ok=False).stderr


def test_add_of_a_new_id_needs_its_type(store_path, svt):
    assert "give its --type" in svt("add", "--id", "NEW", ok=False).stderr


def test_list_filters_and_formats(store_path, svt):
    svt("add", "--id", "M1", "--type", "module", "--status", "spare", "--location", "Clean Room")
    svt("add", "--id", "M2", "--type", "module", "--status", "qualified")
    svt("add", "--id", "F1", "--type", "feb", "--status", "spare")
    svt("install", "M2", "Layer0_top_axial")
    ids = lambda *a: [r["id"] for r in json.loads(svt("list", "--format", "json", *a).stdout)]
    assert ids() == ["F1", "M1", "M2"]
    assert ids("--type", "module") == ["M1", "M2"]
    assert ids("--status", "spare") == ["F1", "M1"]
    assert ids("--location", "clean room") == ["M1"]
    assert ids("--position", "Layer0_top_axial") == ["M2"]
    rows = list(csv.DictReader(io.StringIO(svt("list", "--format", "csv").stdout)))
    assert rows[2]["position"] == "Layer0_top_axial"
    assert "3 component(s)" in svt("list").stdout


def test_show_text_and_json(store_path, svt, png):
    svt("add", "--id", "MOD", "--type", "module", "--attr", "channel_count=512")
    svt("add", "--id", "SEN", "--type", "sensor")
    svt("add", "--id", "FEB", "--type", "feb")
    svt("assemble", "MOD", "--sensor", "SEN")
    svt("test", "MOD", "--type", "iv_curve", "--pass", "--current", "2.3e-6", "--image", str(png))
    svt("install", "MOD", "Layer1_top_axial", "--run-period", "2025")
    svt("log", "MOD", "Noise rising", "--type", "issue", "--severity", "warning")
    svt("connect", "MOD", "FEB")
    info = json.loads(svt("show", "MOD", "--format", "json").stdout)
    assert info["assembly"] == {"sensor": "SEN"}
    assert info["tests"][0]["measurements"]["current"] == {"value": 2.3e-6, "unit": "A"}
    assert info["installations"][0]["position"] == "Layer1_top_axial"
    assert info["logs"][0]["severity"] == "warning"
    assert info["connections"][0]["to"] == "FEB"
    assert info["commits"][0]["subject"].startswith("connect MOD")
    assert json.loads(svt("show", "SEN", "--format", "json").stdout)["assembly"] == {"module": "MOD"}
    text = svt("show", "MOD").stdout
    for part in ("Sensor:       SEN", "channel_count: 512", "iv_curve  PASS", "Noise rising",
                 "signal -> FEB", "Recent commits:"):
        assert part in text


# ---- tests ------------------------------------------------------------------------------------

def test_test_result_with_everything(store_path, svt, png, tmp_path, gitcmd):
    svt("add", "--id", "M1", "--type", "module")
    data_file = tmp_path / "scan.csv"
    data_file.write_text("ch,noise\n1,1500\n")
    svt("test", "M1", "--type", "cv_curve", "--fail", "--voltage", "60", "--current", "2.3e-6",
        "--temp", "-9.0", "--noise", "1580", "--measure", "leakage=2.1e-5A",
        "--measure", "bad_channels=47,128", "--measure", "gain=2.5mV", "--images", str(png),
        "--image", str(png), "--data", str(data_file), "--tested-by", "Jane Doe",
        "--setup", "stand 2", "--conditions", "dry N2", "--notes", "Normal operation",
        "--date", "2024-11-15T14:30:22-05:00")
    subject, files = last_commit(store_path, gitcmd)
    assert subject == "test M1: cv_curve fail, 3 file(s)"
    base = files[0][:-len(".yaml")]
    assert re.fullmatch(r"records/module/M1/2024/20241115_143022_cv_curve_[0-9a-f]{6}", base)
    assert files == sorted([f"{base}.yaml", f"{base}_0.png", f"{base}_1.png",
                            f"{base}_data.csv"])
    ev = record(store_path, f"{base}.yaml")
    assert ev["date"] == "2024-11-15T14:30:22-05:00" and ev["result"] == "fail"
    assert ev["measurements"] == {
        "voltage": {"value": 60.0, "unit": "V"}, "current": {"value": 2.3e-6, "unit": "A"},
        "temperature": {"value": -9.0, "unit": "C"}, "noise": {"value": 1580.0, "unit": "e"},
        "leakage": {"value": 2.1e-5, "unit": "A"}, "bad_channels": [47, 128],
        "gain": {"value": 2.5, "unit": "mV"}}
    assert ev["tested_by"] == "Jane Doe" and ev["setup"] == "stand 2"
    import hashlib
    data_entry = next(f for f in ev["files"] if f["kind"] == "data")
    assert data_entry["size"] == data_file.stat().st_size
    assert data_entry["sha256"] == hashlib.sha256(data_file.read_bytes()).hexdigest()


def test_by_fields_default_to_the_git_identity(store_path, svt):
    svt("add", "--id", "M1", "--type", "module")
    svt("test", "M1", "--type", "iv_curve", "--pass")
    svt("install", "M1", "Layer0_top_axial")
    svt("comment", "M1", "hello")
    info = json.loads(svt("show", "M1", "--format", "json").stdout)
    assert info["tests"][0]["tested_by"] == "Test Tech"
    assert info["installations"][0]["installed_by"] == "Test Tech"
    assert info["logs"][0]["logged_by"] == "Test Tech"


# ---- installation ---------------------------------------------------------------------------

def parts_to_install_assemble_and_connect(db: Database, png) -> None:
    db.save_component("M1", {"type": "module", "status": "qualified"})
    for cid, ctype in (("M2", "module"), ("MOD-1", "module"), ("MOD-2", "module"),
                       ("S1", "sensor"), ("H1", "hybrid"), ("F1", "feb"), ("C1", "cable"),
                       ("CAB", "cable")):
        db.save_component(cid, {"type": ctype})


@pytest.fixture
def parts(prebuilt) -> Path:
    """A store holding modules M1 (qualified), M2, MOD-1 and MOD-2, sensor S1, hybrid H1,
    FEB F1 and cables C1 and CAB (a copy of one built once per session)."""
    return prebuilt(parts_to_install_assemble_and_connect).root


def test_remove_refuses_a_component_that_is_not_installed(parts, svt):
    assert "not installed" in svt("remove", "M1", ok=False).stderr


def test_install_refuses_a_position_meant_for_another_type(parts, svt):
    assert "not a module position" in svt("install", "M1", "FEB1", ok=False).stderr
    assert "not a FEB position" in svt("install", "F1", "Layer0_top_axial", ok=False).stderr


def test_install_refuses_a_slot_or_hole_on_layers_0_to_3(parts, svt):
    assert "layers 0-3 have no slot/hole" in svt("install", "M1", "Layer1_top_axial_slot",
                                                 ok=False).stderr


def test_install_commits_position_and_run_period(parts, svt, gitcmd):
    svt("install", "M1", "Layer4_bottom_stereo_hole", "--run-period", "2025_spring_run",
        "--installed-by", "John Doe", "--notes", "first", "--date", "2025-02-01T09:00:00Z")
    assert last_commit(parts, gitcmd)[0] == \
        "install M1: at Layer4_bottom_stereo_hole for 2025_spring_run"
    comp = record(parts, "records/module/M1/component.yaml")
    assert comp["status"] == "installed" and comp["position"] == "Layer4_bottom_stereo_hole"


def test_install_refuses_a_position_another_component_holds(parts, svt):
    svt("install", "M1", "Layer4_bottom_stereo_hole")
    assert "already holds M1" in svt("install", "M2", "Layer4_bottom_stereo_hole",
                                     ok=False).stderr


def test_install_refuses_a_component_already_installed(parts, svt):
    svt("install", "M1", "Layer4_bottom_stereo_hole")
    assert "already installed" in svt("install", "M1", "Layer0_top_axial", ok=False).stderr


def test_other_types_install_at_positions_with_free_names(parts, svt):
    svt("install", "C1", "Crate1_Slot3")
    assert record(parts, "records/cable/C1/component.yaml")["position"] == "Crate1_Slot3"


def test_remove_makes_the_component_spare_where_it_went_and_frees_the_position(parts, svt):
    svt("install", "M1", "Layer4_bottom_stereo_hole", "--date", "2025-02-01T09:00:00Z")
    svt("remove", "M1", "--reason", "end_of_run", "--removed-by", "Jane Doe", "--location",
        "Clean Room Storage", "--date", "2025-06-01T17:00:00Z")
    comp = record(parts, "records/module/M1/component.yaml")
    assert comp["status"] == "spare" and "position" not in comp
    assert comp["location"] == "Clean Room Storage"
    svt("install", "M2", "Layer4_bottom_stereo_hole")  # the position is free again
    assert svt("validate").exit_code == 0


def test_location_moves_with_history(store_path, svt, gitcmd):
    svt("add", "--id", "M1", "--type", "module", "--location", "Clean Room")
    svt("location", "M1", "Hall B", "--notes", "for install")
    assert record(store_path, "records/module/M1/component.yaml")["location"] == "Hall B"
    assert last_commit(store_path, gitcmd)[0] == "move M1: to Hall B"
    move = json.loads(svt("show", "M1", "--format", "json").stdout)["moves"][0]
    assert move["from"] == "Clean Room" and move["to"] == "Hall B"


def test_a_new_location_given_to_add_is_a_move_too(store_path, svt, gitcmd):
    """validate compares the location with the latest move: every way svt changes it records
    one (a location changed without a move is what a merge can leave, and validate refuses)."""
    svt("add", "--id", "M1", "--type", "module", "--location", "Clean Room")
    svt("location", "M1", "Hall B")
    svt("add", "--id", "M1", "--location", "JLab", "--status", "testing")
    subject, files = last_commit(store_path, gitcmd)
    assert subject == "update M1: location Hall B -> JLab; status incoming -> testing"
    assert len([f for f in files if "_move_" in f]) == 1
    moves = json.loads(svt("show", "M1", "--format", "json").stdout)["moves"]
    assert [(m["from"], m["to"]) for m in moves] == [("Clean Room", "Hall B"), ("Hall B", "JLab")]
    svt("add", "--id", "M1", "--status", "qualified")  # the same place: no move
    assert len(json.loads(svt("show", "M1", "--format", "json").stdout)["moves"]) == 2
    assert svt("validate").exit_code == 0


# ---- assembly, logs, connections -----------------------------------------------------------

def test_assemble_needs_a_sensor_or_a_hybrid(parts, svt):
    assert "give --sensor, --hybrid or both" in svt("assemble", "MOD-1", ok=False).stderr


def test_assemble_checks_the_type_of_each_side(parts, svt):
    assert "not a sensor" in svt("assemble", "MOD-1", "--sensor", "H1", ok=False).stderr
    assert "not a module" in svt("assemble", "F1", "--sensor", "S1", ok=False).stderr


def test_assemble_writes_both_records_in_one_commit(parts, svt, gitcmd):
    svt("assemble", "MOD-1", "--sensor", "S1", "--assembled-by", "Jane Doe")
    subject, files = last_commit(parts, gitcmd)
    assert subject == "assemble MOD-1: sensor S1"
    assert "records/sensor/S1/component.yaml" in files


def test_a_part_on_one_module_cannot_join_another(parts, svt):
    svt("assemble", "MOD-1", "--sensor", "S1")
    assert "already assembled on MOD-1" in svt("assemble", "MOD-2", "--sensor", "S1",
                                               ok=False).stderr


def test_disassemble_frees_both_sides_and_keeps_the_history(parts, svt):
    svt("assemble", "MOD-1", "--sensor", "S1")
    svt("assemble", "MOD-1", "--hybrid", "H1")
    svt("disassemble", "MOD-1", "--disassembled-by", "Jane Doe", "--notes", "reuse")
    assert "sensor" not in record(parts, "records/module/MOD-1/component.yaml")
    assert "module" not in record(parts, "records/sensor/S1/component.yaml")
    svt("assemble", "MOD-2", "--sensor", "S1", "--hybrid", "H1")
    history = json.loads(svt("show", "MOD-1", "--format", "json").stdout)["assembly_history"]
    assert [e["kind"] for e in history] == ["assembly", "assembly", "disassembly"]


def test_log_and_comment_each_commit(parts, svt, gitcmd):
    svt("log", "M1", "Monitoring noise levels", "--type", "observation")
    assert last_commit(parts, gitcmd)[0] == "log M1: Monitoring noise levels"
    svt("comment", "M1", "Performance stable after 2 weeks")
    logs = json.loads(svt("show", "M1", "--format", "json").stdout)["logs"]
    assert len(logs) == 2


def test_log_refuses_an_unknown_severity(parts, svt):
    assert "Invalid value for '--severity'" in svt("log", "M1", "x", "--severity", "fatal",
                                                  ok=False).stderr


def test_a_connection_through_a_cable_is_listed_from_both_ends(parts, svt):
    svt("connect", "M1", "F1", "--type", "signal", "--cable", "CAB", "--notes", "J3")
    links = json.loads(svt("connections", "F1", "--format", "json").stdout)
    assert links == [{"to": "M1", "type": "signal", "cable": "CAB",
                      "since": links[0]["since"], "from": "F1", "id": "F1~M1~signal"}]
    assert json.loads(svt("connections", "M1", "--format", "json").stdout)[0]["to"] == "F1"


def test_connect_refuses_a_cable_that_is_not_a_cable(parts, svt):
    assert "not a cable" in svt("connect", "M1", "F1", "--cable", "F1", ok=False).stderr


def test_connect_refuses_a_second_connection_of_one_type(parts, svt):
    svt("connect", "M1", "F1")
    assert "already have a signal connection" in svt("connect", "M1", "F1", ok=False).stderr


def test_disconnect_removes_the_connection_from_both_ends(parts, svt):
    svt("connect", "M1", "F1", "--cable", "CAB")
    svt("disconnect", "M1", "F1")
    assert "no connections" in svt("connections", "M1").stdout
    assert "no connections" in svt("connections", "F1").stdout
    summary = json.loads(svt("summary", "--format", "json").stdout)
    assert summary["total"] == 9 and summary["connections"] == 0


def test_summary(store_path, svt):
    svt("add", "--id", "M1", "--type", "module", "--status", "qualified")
    svt("add", "--id", "F1", "--type", "feb")
    svt("install", "M1", "Layer0_top_axial", "--run-period", "2025")
    svt("test", "M1", "--type", "iv_curve", "--pass")
    svt("test", "F1", "--type", "iv_curve", "--fail")
    data = json.loads(svt("summary", "--format", "json").stdout)
    assert data["by_type"] == {"feb": {"incoming": 1}, "module": {"installed": 1}}
    assert data["installed"] == {"2025": [{"id": "M1", "type": "module",
                                           "position": "Layer0_top_axial"}]}
    assert data["tests"]["iv_curve"]["pass"] == 1 and data["tests"]["iv_curve"]["fail"] == 1
    assert "Layer0_top_axial" in svt("summary").stdout


# ---- the Python API -------------------------------------------------------------------------

def test_python_api(store_path, png):
    db = get_default_db()
    assert db.root == store_path
    assert Component.get("NOPE", db) is None
    Component(id="HPK-SN789", type="module", manufacturer="Hamamatsu",
              installation_status="spare", current_location="Storage",
              attributes={"channel_count": 512}).save(db)
    test_id = TestResult(component_id="HPK-SN789", test_type="noise_test", pass_fail=True,
                         measurements={"mean_noise": 1600, "bad_channels": [47, 128],
                                       "i": {"value": 2e-6, "unit": "A"}, "grade": "A"},
                         files=[str(png)], tested_by="Jane Doe").save(db)
    assert re.search(r"_noise_test_[0-9a-f]{6}\.yaml$", test_id)
    got = TestResult.get_for_component("HPK-SN789", db)
    assert got[0]["test_type"] == "noise_test" and got[0]["pass_fail"] is True
    assert got[0]["measurements"]["bad_channels"] == [47, 128] and got[0]["test_date"]
    assert [c.id for c in Component.list_all(component_type="module", db=db)] == ["HPK-SN789"]
    assert Component.list_all(status="retired", db=db) == []
    comp = Component.get("HPK-SN789", db)
    comp.installation_status = "qualified"
    comp.save(db)
    assert Component.get("HPK-SN789", db).installation_status == "qualified"
    with pytest.raises(ValueError):
        Component(id="X", type="widget")
    with pytest.raises(ValueError):
        Component(id="X", type="module", installation_status="broken")
    with pytest.raises(ValueError):
        TestResult(component_id="HPK-SN789", test_type="t", measurements={"x": float("nan")}).save(db)
    db.install("HPK-SN789", "Layer2_top_axial", run_period="2025")
    db.add_log("HPK-SN789", "checked", log_type="maintenance")
    assert db.describe("HPK-SN789")["installations"][0]["position"] == "Layer2_top_axial"


def test_database_path_and_initialize_schema(tmp_path):
    db = Database(tmp_path / "new")
    assert db.initialize_schema() is True
    assert db.initialize_schema() is False
    assert (tmp_path / "new" / "svt.yaml").is_file()


def test_commits_read_back_through_gitpython(store_path, svt, png):
    """GitPython (a declared dependency) sees exactly the commit svt made."""
    import git
    svt("add", "--id", "M1", "--type", "module")
    svt("test", "M1", "--type", "iv_curve", "--pass", "--image", str(png),
        "--tested-by", "Jane Doe")
    commit = git.Repo(store_path).head.commit
    assert commit.message.startswith("test M1: iv_curve pass, 1 file(s)")
    assert commit.author.name == "Test Tech"
    assert sorted(commit.stats.files) == sorted(
        p for p in commit.stats.files if p.startswith("records/module/M1/"))
    assert len(commit.stats.files) == 2 and len(commit.parents) == 1
