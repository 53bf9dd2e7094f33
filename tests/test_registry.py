"""One registry: enumerations read from each store's schemas, event kinds declared once."""
from __future__ import annotations

from svt_records import yamlio


def _only_event(store_path, kind):
    found = [p for p in (store_path / "records").rglob(f"*_{kind}.yaml")]
    assert len(found) == 1, found
    return yamlio.load_file(found[0]).data


def test_log_type_defaults_to_note_on_the_command_line(store_path, svt):
    svt("add", "--id", "M1", "--type", "module")
    svt("log", "M1", "Noise looks fine")
    assert _only_event(store_path, "log")["log_type"] == "note"
    assert "[default: note]" in svt("log", "--help").output


def test_log_type_defaults_to_note_in_the_library(store_path, db):
    db.save_component("M1", {"type": "module"})
    db.add_log("M1", "Noise looks fine")
    assert _only_event(store_path, "log")["log_type"] == "note"
