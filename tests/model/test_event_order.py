"""Events are ordered by their date, then by when svt recorded them, never by file name."""
from __future__ import annotations

import re

import yaml

from svt_records import Database

RECORDED = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$")


def _events(store_path, component_type, cid):
    folder = store_path / "records" / component_type / cid
    return sorted(p for p in folder.rglob("*.yaml") if p.name != "component.yaml")


def test_remove_then_install_in_the_same_second_keeps_the_order_they_happened(store_path, svt):
    """`install` sorts before `remove` by name; with the same --date the history must still
    end with the install, and validate must accept the store."""
    svt("add", "--id", "M-1", "--type", "module")
    svt("install", "M-1", "Layer1_top_axial", "--date", "2025-03-01T10:00:00")
    when = "2025-03-02T10:00:00"
    svt("remove", "M-1", "--date", when)
    svt("install", "M-1", "Layer2_top_axial", "--date", when)

    result = svt("validate")
    assert "valid" in result.stdout.lower() and result.exit_code == 0
    shown = svt("show", "M-1").stdout
    history = shown.split("Installation history")[1]
    assert history.index("remove") < history.index("Layer2_top_axial"), history
    assert history.rindex("install") > history.index("remove")


def test_every_event_svt_writes_carries_recorded_in_utc_with_microseconds(store_path, svt, png):
    svt("add", "--id", "M-1", "--type", "module")
    svt("add", "--id", "S-1", "--type", "sensor")
    svt("add", "--id", "FEB-1", "--type", "feb")
    svt("test", "M-1", "--type", "iv_curve", "--pass", "--images", str(png))
    svt("install", "M-1", "Layer1_top_axial")
    svt("remove", "M-1")
    svt("log", "M-1", "a note")
    svt("attach", "M-1", str(png))
    svt("connect", "M-1", "FEB-1")
    svt("assemble", "M-1", "--sensor", "S-1")
    files = _events(store_path, "module", "M-1")
    assert len(files) == 7
    for path in files:
        data = yaml.safe_load(path.read_text())
        assert RECORDED.match(str(data.get("recorded"))), (path.name, data.get("recorded"))


def test_events_without_recorded_fall_back_to_file_name_order_after_equal_dates(store_path, svt,
                                                                              gitcmd):
    """A hand-written pair of events of equal date and no `recorded`: file-name order decides,
    and both come before an svt-written event of the same date."""
    svt("add", "--id", "M-1", "--type", "module")
    folder = store_path / "records" / "module" / "M-1" / "2025"
    folder.mkdir(parents=True)
    head = "# yaml-language-server: $schema=../../../../schemas/log.schema.json\n"
    (folder / "20250302_100000_log.yaml").write_text(
        head + "kind: log\ndate: 2025-03-02T10:00:00+00:00\ncomponent: M-1\nlog_type: note\n"
        "text: first by name\n")
    (folder / "20250302_100000_log-2.yaml").write_text(
        head + "kind: log\ndate: 2025-03-02T10:00:00+00:00\ncomponent: M-1\nlog_type: note\n"
        "text: second by name\n")
    gitcmd(store_path, "add", "-A")
    gitcmd(store_path, "commit", "-qm", "hand-written logs")
    svt("log", "M-1", "written by svt", "--date", "2025-03-02T10:00:00+00:00")
    texts = [e["text"] for e in Database(store_path).events("M-1", kinds=("log",))]
    # file-name order: "..._log-2.yaml" < "..._log.yaml" ('-' sorts before '.')
    assert texts == ["second by name", "first by name", "written by svt"]


def test_a_store_whose_schemas_predate_recorded_still_takes_writes(store_path, svt, gitcmd):
    """Stores keep their own schemas/; one made before `recorded` existed must keep working."""
    import json
    schemas = store_path / "schemas"
    for path in schemas.glob("*.schema.json"):
        doc = json.loads(path.read_text())
        doc.get("properties", {}).pop("recorded", None)
        doc.get("$defs", {}).pop("recorded", None)
        path.write_text(json.dumps(doc, indent=2) + "\n")
    gitcmd(store_path, "commit", "-qam", "old schemas")
    svt("add", "--id", "M-1", "--type", "module")
    svt("log", "M-1", "still works")
    (event,) = _events(store_path, "module", "M-1")
    assert "recorded" not in yaml.safe_load(event.read_text())
    assert svt("validate").exit_code == 0
