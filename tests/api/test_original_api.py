"""The original tracker's Python API (github:mgignac/hps-svt-tracker: ``tests/``,
``examples/``, ``hps_svt_tracker/models.py``), translated to svt_records.

Each test below states, for svt, a behaviour the original's tests or examples rely on:
``tests/test_basic.py`` (creation, listing, a test result), ``tests/test_username_auto.py``
(who ran a test, who logged an entry), ``examples/example_usage.py`` (install, list
installed) and ``examples/example_connections.py`` (connections).

Left out, because they read the SQLite file directly (svt has none; the same facts are
checked through the API instead):
- test_username_auto's ``SELECT * FROM maintenance_log`` (here: ``get_maintenance_logs``);
- example_usage's ``SELECT COUNT(*) ... GROUP BY type`` summary (svt: ``Database.summary``);
- example_connections' ``JOIN`` of connections with components (here: the ids and types
  through ``get_connections_for_component`` and ``Component.get``).
Also left out: test_username_auto's ``hps_svt_tracker.cli.get_current_user`` (svt takes
the git user's name; tests/cli/test_cli.py covers it). Where the original returns an integer
row id, svt returns a stable string id (integers would collide between clones).
"""
from __future__ import annotations

import inspect
from pathlib import Path

import pytest

import svt_records
from svt_records import (Component, Database, TestResult, add_maintenance_log,
                         create_connection, get_connected_components,
                         get_connections_for_component, get_maintenance_logs,
                         install_component, remove_component, remove_connection)
from svt_records.model.errors import InvalidInput, NotFoundError, RuleViolation

# The original's signatures (hps_svt_tracker/models.py), parameter names in order.
ORIGINAL_SIGNATURES = {
    "install_component": ["component_id", "position", "run_period", "installed_by", "notes",
                          "db"],
    "remove_component": ["component_id", "removal_reason", "removed_by", "db"],
    "create_connection": ["component_a_id", "component_b_id", "connection_type", "cable_id",
                          "notes", "db"],
    "get_connections_for_component": ["component_id", "db"],
    "get_connected_components": ["component_id", "db"],
    "remove_connection": ["connection_id", "db"],
    "add_maintenance_log": ["component_id", "description", "log_type", "severity",
                            "logged_by", "resolution", "image_path", "db"],
    "get_maintenance_logs": ["component_id", "db"],
}


@pytest.fixture
def temp_db(tmp_path) -> Database:
    """As the original's fixture: Database(db_path, data_dir), then initialize_schema()."""
    db = Database(str(tmp_path / "test.db"), str(tmp_path / "test_data"))
    db.initialize_schema()
    return db


# ---- the package ------------------------------------------------------------------------

@pytest.mark.parametrize("name", sorted(ORIGINAL_SIGNATURES))
def test_the_package_exports_the_original_functions_with_their_signatures(name):
    assert name in svt_records.__all__
    function = getattr(svt_records, name)
    assert list(inspect.signature(function).parameters) == ORIGINAL_SIGNATURES[name]


def test_the_original_database_form_opens_the_folder_holding_the_db_file(tmp_path):
    db = Database(str(tmp_path / "svt_components.db"), str(tmp_path / "test_data"))
    assert db.root == tmp_path
    assert (db.db_path, db.data_dir) == (str(tmp_path / "svt_components.db"),
                                         str(tmp_path / "test_data"))
    assert db.initialize_schema()
    assert (tmp_path / "svt.yaml").is_file() and not (tmp_path / "svt_components.db").exists()
    Component(id="TEST-001", type="module").save(db)
    assert Database(tmp_path).get_component("TEST-001")["type"] == "module"


# ---- tests/test_basic.py ------------------------------------------------------------------

def test_component_creation(temp_db):
    Component(id="TEST-001", type="module", manufacturer="Test Corp",
              installation_status="incoming").save(temp_db)
    retrieved = Component.get("TEST-001", temp_db)
    assert retrieved is not None
    assert (retrieved.id, retrieved.type, retrieved.manufacturer) == ("TEST-001", "module",
                                                                      "Test Corp")


def test_component_list(temp_db):
    Component(id="MOD-1", type="module", installation_status="spare").save(temp_db)
    Component(id="MOD-2", type="module", installation_status="installed").save(temp_db)
    Component(id="FEB-1", type="feb", installation_status="spare").save(temp_db)
    assert len(Component.list_all(db=temp_db)) == 3
    assert len(Component.list_all(component_type="module", db=temp_db)) == 2
    assert len(Component.list_all(status="spare", db=temp_db)) == 2
    assert [c.id for c in Component.list_all(status="installed", db=temp_db)] == ["MOD-2"]


def test_test_result(temp_db):
    Component(id="TEST-002", type="module", installation_status="testing").save(temp_db)
    test_id = TestResult(component_id="TEST-002", test_type="iv_curve", pass_fail=True,
                         measurements={"voltage": 60.0, "current": 1e-6}).save(temp_db)
    assert test_id
    history = TestResult.get_for_component("TEST-002", temp_db)
    assert len(history) == 1
    assert history[0]["test_type"] == "iv_curve"
    assert history[0]["pass_fail"] == 1  # the original's SQLite gives 1; svt True, equal
    assert history[0]["id"] == test_id


# ---- installed without a position, as test_component_list does ----------------------------

def test_installed_without_a_position_is_stored_listed_and_only_warned_about(temp_db, svt):
    Component(id="MOD-2", type="module", installation_status="installed").save(temp_db)
    record = temp_db.get_component("MOD-2")
    assert record["status"] == "installed" and "position" not in record
    assert any("svt install MOD-2 POSITION" in note for note in temp_db.notes)
    listed = svt("--repo", str(temp_db.root), "list", "--status", "installed").stdout
    assert "MOD-2" in listed
    result = svt("--repo", str(temp_db.root), "validate", ok=False)
    assert result.exit_code == 0, result.stdout + result.stderr
    assert "warning: status is installed but there is no position" in result.stdout
    assert "svt install" in result.stdout


def test_svt_add_status_installed_adds_and_prints_the_warning(db, svt):
    result = svt("add", "--id", "MOD-3", "--type", "module", "--status", "installed")
    assert "Added MOD-3" in result.stdout
    assert result.stderr.strip() == ("note: MOD-3 is installed but has no position: record"
                                     " where with `svt install MOD-3 POSITION`")
    assert db.get_component("MOD-3")["status"] == "installed"
    assert "MOD-3" in svt("list", "--status", "installed").stdout


def test_setting_an_existing_component_installed_warns_too(db, svt):
    svt("add", "--id", "MOD-4", "--type", "module", "--status", "spare")
    result = svt("add", "--id", "MOD-4", "--status", "installed")
    assert "record where with `svt install MOD-4 POSITION`" in result.stderr
    result = svt("add", "--id", "MOD-4", "--notes", "still here")
    assert result.stderr == ""  # said once, when it became installed


def test_installing_later_records_where(temp_db):
    Component(id="MOD-2", type="module", installation_status="installed").save(temp_db)
    install_component("MOD-2", "Layer1_top_axial", "2025_spring_run", db=temp_db)
    assert temp_db.get_component("MOD-2")["position"] == "Layer1_top_axial"


# ---- tests/test_username_auto.py ----------------------------------------------------------

def test_tested_by_and_logged_by_are_kept(temp_db):
    Component(id="TEST-001", type="module", manufacturer="Test Corp",
              installation_status="testing").save(temp_db)
    TestResult(component_id="TEST-001", test_type="iv_curve", pass_fail=True,
               tested_by="jdoe", measurements={"voltage_measured": 60.0,
                                               "current_measured": 2.3e-6}).save(temp_db)
    log_id = add_maintenance_log("TEST-001", "Component is functioning normally",
                                 log_type="note", logged_by="jdoe", db=temp_db)
    assert [t["tested_by"] for t in TestResult.get_for_component("TEST-001", temp_db)] == [
        "jdoe"]
    logs = get_maintenance_logs("TEST-001", db=temp_db)
    assert [(log["id"], log["description"], log["logged_by"]) for log in logs] == [
        (log_id, "Component is functioning normally", "jdoe")]


def test_maintenance_logs_newest_first_with_type_severity_and_resolution(temp_db):
    Component(id="M-1", type="module").save(temp_db)
    first = add_maintenance_log("M-1", "Noisy channel 47", log_type="issue",
                                severity="warning", db=temp_db)
    second = add_maintenance_log("M-1", "Rebonded channel 47", log_type="repair",
                                 resolution="fixed", logged_by="Jane Doe", db=temp_db)
    logs = get_maintenance_logs("M-1", db=temp_db)
    assert [log["id"] for log in logs] == [second, first]
    assert (logs[0]["log_type"], logs[0]["severity"], logs[0]["resolution"],
            logs[0]["logged_by"]) == ("repair", "info", "fixed", "Jane Doe")
    assert (logs[1]["log_type"], logs[1]["severity"], logs[1]["resolution"]) == (
        "issue", "warning", None)
    assert all(log["component_id"] == "M-1" and log["log_date"] for log in logs)


def test_maintenance_log_stores_its_photo_beside_the_entry(temp_db, png):
    Component(id="M-1", type="module").save(temp_db)
    add_maintenance_log("M-1", "Scratch on the flex", image_path=str(png), db=temp_db)
    (log,) = get_maintenance_logs("M-1", db=temp_db)
    (photo,) = log["files"]
    assert photo["kind"] == "image" and photo["original_name"] == png.name
    stored = temp_db.root / log["id"].rsplit("/", 1)[0] / photo["path"]
    assert stored.read_bytes() == png.read_bytes()


def test_maintenance_log_refuses_what_the_original_refuses(temp_db):
    Component(id="M-1", type="module").save(temp_db)
    with pytest.raises(InvalidInput, match="log type"):
        add_maintenance_log("M-1", "x", log_type="gossip", db=temp_db)
    with pytest.raises(InvalidInput, match="severity"):
        add_maintenance_log("M-1", "x", severity="meh", db=temp_db)
    with pytest.raises(NotFoundError, match="NOPE"):  # the original: ValueError
        add_maintenance_log("NOPE", "x", db=temp_db)
    assert get_maintenance_logs("M-1", db=temp_db) == []


# ---- examples/example_usage.py -------------------------------------------------------------

def test_install_then_list_installed_then_remove(temp_db):
    Component(id="HPK-SN123456", type="module", manufacturer="Hamamatsu",
              installation_status="incoming", current_location="Receiving",
              attributes={"channel_count": 512}).save(temp_db)
    module = Component.get("HPK-SN123456", temp_db)
    module.installation_status = "qualified"
    module.current_location = "Clean Room Storage"
    module.save(temp_db)
    install_component(component_id="HPK-SN123456", position="Layer1_top_axial",
                      run_period="2025_spring_run", installed_by="John Doe",
                      notes="Installed for spring physics run", db=temp_db)
    installed = Component.list_all(component_type="module", status="installed", db=temp_db)
    assert [(c.id, c.installed_position, c.run_period) for c in installed] == [
        ("HPK-SN123456", "Layer1_top_axial", "2025_spring_run")]
    remove_component("HPK-SN123456", "end_of_run", removed_by="John Doe", db=temp_db)
    after = Component.get("HPK-SN123456", temp_db)
    assert (after.installation_status, after.installed_position,
            after.current_location) == ("spare", None, "Clean Room Storage")


# ---- examples/example_connections.py --------------------------------------------------------

@pytest.fixture
def wired(temp_db):
    Component(id="HPK-SN999", type="module", manufacturer="Hamamatsu",
              installation_status="qualified", current_location="Clean Room").save(temp_db)
    Component(id="FEB-100", type="feb", serial_number="FEB-100-2024", manufacturer="SLAC",
              installation_status="spare").save(temp_db)
    Component(id="CABLE-SIG-42", type="cable", installation_status="spare",
              attributes={"length_cm": 50, "cable_type": "signal"}).save(temp_db)
    return temp_db


def test_create_connection_returns_its_stable_id(wired):
    cid = create_connection(component_a_id="FEB-100", component_b_id="HPK-SN999",
                            connection_type="signal", cable_id="CABLE-SIG-42",
                            notes="Connected for Layer1_top_axial readout", db=wired)
    assert cid == "FEB-100~HPK-SN999~signal"
    for component in ("FEB-100", "HPK-SN999"):  # the same id from either side
        [row] = get_connections_for_component(component, wired)
        assert row == {"id": cid, "component_a_id": "FEB-100", "component_b_id": "HPK-SN999",
                       "connection_type": "signal", "cable_id": "CABLE-SIG-42",
                       "installation_date": row["installation_date"],
                       "notes": "Connected for Layer1_top_axial readout"}
        assert row["installation_date"][:4].isdigit()
    assert get_connected_components("HPK-SN999", wired) == [
        {"connected_id": "FEB-100", "connection_type": "signal", "cable_id": "CABLE-SIG-42"}]
    assert Component.get("FEB-100", wired).type == "feb"


def test_connections_newest_first_and_untyped_is_signal(wired):
    first = create_connection("FEB-100", "HPK-SN999", db=wired)
    second = create_connection("HPK-SN999", "FEB-100", connection_type="power", db=wired)
    assert first == "FEB-100~HPK-SN999~signal"
    assert second == "FEB-100~HPK-SN999~power"
    rows = get_connections_for_component("FEB-100", wired)
    assert {r["id"] for r in rows} == {first, second}
    dates = [r["installation_date"] for r in rows]
    assert dates == sorted(dates, reverse=True)
    power = next(r for r in rows if r["id"] == second)
    assert (power["component_a_id"], power["component_b_id"]) == ("HPK-SN999", "FEB-100")


def test_create_connection_refuses_missing_components(wired):
    with pytest.raises(NotFoundError, match="NOPE"):
        create_connection("FEB-100", "NOPE", db=wired)
    with pytest.raises(NotFoundError, match="NOPE"):
        create_connection("FEB-100", "HPK-SN999", cable_id="NOPE", db=wired)
    assert get_connections_for_component("FEB-100", wired) == []


def test_remove_connection_by_its_id(wired):
    signal = create_connection("FEB-100", "HPK-SN999", connection_type="signal", db=wired)
    power = create_connection("FEB-100", "HPK-SN999", connection_type="power", db=wired)
    remove_connection(power, db=wired)
    assert [r["id"] for r in get_connections_for_component("HPK-SN999", wired)] == [signal]
    with pytest.raises(RuleViolation, match="there is no connection"):
        remove_connection(power, db=wired)
    remove_connection(signal, db=wired)
    assert get_connected_components("FEB-100", wired) == []


# ---- the CLI: connection ids -----------------------------------------------------------------

@pytest.fixture
def linked(db, svt):
    svt("add", "--id", "M-1", "--type", "module")
    svt("add", "--id", "F-1", "--type", "feb")
    svt("connect", "M-1", "F-1")
    svt("connect", "M-1", "F-1", "--type", "power")
    return db


def test_svt_connections_prints_the_ids(linked, svt):
    out = svt("connections", "M-1").stdout
    assert out.splitlines()[0].split()[0] == "ID"
    assert "F-1~M-1~signal" in out and "F-1~M-1~power" in out
    assert "F-1~M-1~power" in svt("connections", "F-1").stdout  # the same id on both sides
    assert "F-1~M-1~signal" in svt("connections", "F-1", "--format", "csv").stdout
    assert '"id": "F-1~M-1~signal"' in svt("connections", "M-1", "--format", "json").stdout


def test_svt_disconnect_takes_a_connection_id(linked, svt_proc):
    result = svt_proc("disconnect", "F-1~M-1~power")
    assert "Disconnected F-1~M-1~power" in result.stdout
    assert [link["id"] for link in linked.connections("M-1")] == ["F-1~M-1~signal"]
    assert [link["id"] for link in linked.connections("F-1")] == ["F-1~M-1~signal"]
    svt_proc("disconnect", "M-1", "F-1")  # the two-component form still works
    assert linked.connections("M-1") == [] and linked.connections("F-1") == []


@pytest.mark.parametrize("args, message", [
    (("F-1~M-1~optical",), "Error: there is no connection F-1~M-1~optical: `svt connections"
                           " F-1` lists the connections and their ids"),
    (("F-1",), "Error: 'F-1' is not a connection id (A~B~TYPE"),
    (("F-1~M-1~power", "--type", "power"), "--type goes with A B"),
])
def test_svt_disconnect_refuses_a_bad_connection_id(linked, svt, args, message):
    head = linked.repo.run("rev-parse", "HEAD")
    result = svt("disconnect", *args, ok=False)
    assert result.exit_code != 0 and message in result.stderr.strip().splitlines()[-1]
    assert "Traceback" not in result.stderr
    assert linked.repo.run("rev-parse", "HEAD") == head
    assert len(linked.connections("M-1")) == 2
