"""Exact messages (issue 25, item 10): a syntax error at its own line, one error for a
component file that does not load (not a cascade of "missing" ones), schema bounds in words,
and installs and removals dated ahead refused or explained. Real stores, the real CLI."""
from __future__ import annotations

import json
import re
import subprocess
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from svt_records import Database


def build_store(db: Database, png) -> Database:
    """An assembled module with a test, and a spare FEB."""
    db.save_component("MOD-1", {"type": "module", "status": "qualified"})
    db.save_component("SEN-1", {"type": "sensor"})
    db.save_component("HYB-1", {"type": "hybrid"})
    db.save_component("FEB-1", {"type": "feb", "status": "spare"})
    db.assemble("MOD-1", sensor_id="SEN-1", hybrid_id="HYB-1", date="2025-01-10T10:00:00+00:00")
    db.record_test("MOD-1", "iv_curve", passed=True, measurements={"v": 1},
                   date="2025-01-11T10:00:00+00:00")
    return db


@pytest.fixture
def store(prebuilt) -> Database:
    return prebuilt(build_store)


def component_file(db: Database, ctype: str, cid: str) -> Path:
    return db.root / "records" / ctype / cid / "component.yaml"


def errors(result) -> list[str]:
    return [line for line in (result.stdout + result.stderr).splitlines() if ": error: " in line]


def head(db: Database) -> str:
    return subprocess.run(["git", "rev-parse", "HEAD"], cwd=db.root, capture_output=True,
                          text=True, check=True).stdout.strip()


def ahead(**delta: float) -> str:
    return (datetime.now(timezone.utc) + timedelta(**delta)).strftime("%Y-%m-%dT%H:%M:%SZ")


# ---- a syntax error where it is ------------------------------------------------------------

@pytest.mark.parametrize("quote", ['"', "'"])
def test_an_unclosed_quote_is_reported_on_its_own_line(store, svt, quote):
    path = component_file(store, "feb", "FEB-1")
    lines = path.read_text().splitlines()
    lines.append(f"notes: {quote}left open")
    lines += [f"attributes:", "  a: 1", "  b: 2"]  # more lines after it: still its line
    path.write_text("\n".join(lines) + "\n")
    line = len(lines) - 3
    found = errors(svt("validate", ok=False))
    assert found == [f"records/feb/FEB-1/component.yaml:{line}:8: error: YAML syntax: a quoted"
                     " value starts here and its closing quote is missing: close it with the"
                     " same quote"], found


def test_a_key_without_its_colon_is_reported_on_its_own_line(store, svt):
    path = component_file(store, "feb", "FEB-1")
    lines = path.read_text().splitlines()
    lines.insert(4, "serial_number SN-1")
    path.write_text("\n".join(lines) + "\n")
    found = errors(svt("validate", ok=False))
    assert len(found) == 1 and found[0].startswith("records/feb/FEB-1/component.yaml:5:1: "), found
    assert "no ':' after its key" in found[0]


# ---- one error for a component file that does not load ---------------------------------------

@pytest.mark.parametrize("broken", ["status: testing\n", "<<<<<<< HEAD\nstatus: x\n=======\n"
                                    "status: y\n>>>>>>> theirs\n"])
def test_a_component_that_does_not_load_is_one_error(store, svt, broken):
    """A duplicate key (or conflict markers) in MOD-1's file: that file's problem, once; not
    "module MOD-1 does not exist" in its parts nor "MOD-1 is missing" for its tests."""
    path = component_file(store, "module", "MOD-1")
    path.write_text(path.read_text() + broken)
    result = svt("validate", ok=False)
    found = errors(result)
    assert result.exit_code == 1
    assert len(found) == 1 and found[0].startswith("records/module/MOD-1/component.yaml:"), found
    said = result.stdout + result.stderr
    assert "does not exist" not in said and "is missing" not in said
    # the same when only the module, or only a part, is checked
    for target in ("records/module/MOD-1", "records/sensor/SEN-1"):
        result = svt("validate", str(store.root / target), ok=False)
        assert "does not exist" not in result.stdout + result.stderr, target
        assert "is missing" not in result.stdout + result.stderr, target


# ---- schema bounds in words -------------------------------------------------------------------

def test_a_note_over_the_limit_says_how_long_in_words(store, svt):
    before = head(store)
    result = svt("comment", "MOD-1", "x" * 20_001, ok=False)
    assert result.exit_code == 1 and "Traceback" not in result.stderr
    assert "20,001 characters, longer than 20,000 characters" in result.stderr, result.stderr
    assert "maxLength" not in result.stderr and head(store) == before
    result = svt("add", "--id", "FEB-1", "--notes", "y" * 20_001, ok=False)
    assert "notes is 20,001 characters, longer than 20,000 characters" in result.stderr
    path = component_file(store, "feb", "FEB-1")  # by hand: validate says the same
    path.write_text(path.read_text() + f"notes: {'z' * 20_001}\n")
    found = errors(svt("validate", ok=False))
    assert len(found) == 1 and "notes is 20,001 characters, longer than 20,000 characters:" \
        " shorten it" in found[0], found
    assert "z" * 50 not in found[0]  # the value itself is not repeated


def test_an_empty_name_and_a_number_beyond_its_bound_say_so(store):
    from svt_records.files import schema
    found = dict(schema.check({"id": "X", "type": "feb", "status": "spare", "serial_number": "",
                               "created": "2025-01-01T00:00:00Z"}, "component", reference=True))
    assert found[("serial_number",)] == "serial_number is empty: write at least one character," \
        " or leave the field out"
    quick = dict(schema.check({"id": "X", "type": "feb", "status": "spare", "serial_number": "",
                               "created": "2025-01-01T00:00:00Z"}, "component"))
    assert quick == found  # one message, whichever checker answers


def test_the_docs_state_the_text_limit_the_schema_sets():
    root = Path(__file__).resolve().parents[2]
    defs = json.loads((root / "schemas" / "defs.schema.json").read_text())
    limit = defs["$defs"]["text"]["maxLength"]
    values = (root / "docs" / "reference" / "values.md").read_text()
    assert re.search(rf"free text\s.*?at most {limit:,} characters", values, re.S), limit


# ---- installs and removals dated ahead ----------------------------------------------------------

def test_an_install_dated_hours_ahead_is_refused(store, svt):
    before = head(store)
    result = svt("install", "MOD-1", "Layer1_top_axial", "--date", ahead(hours=20), ok=False)
    assert result.exit_code == 1 and "Traceback" not in result.stderr
    assert "is 20 hours ahead of this computer's clock" in result.stderr, result.stderr
    assert "leave out --date" in result.stderr and head(store) == before
    assert not store.read_component("MOD-1").data.get("position")


def test_an_install_a_few_minutes_ahead_does_not_block_the_removal(store, svt):
    svt("install", "MOD-1", "Layer1_top_axial", "--date", ahead(minutes=5))
    svt("remove", "MOD-1")  # now: before that install, by the other clone's clock
    assert not store.read_component("MOD-1").data.get("position")
    assert svt("validate", ok=False).exit_code == 0


def test_a_removal_dated_hours_ahead_is_refused(store, svt):
    svt("install", "MOD-1", "Layer1_top_axial")
    result = svt("remove", "MOD-1", "--date", ahead(hours=20), ok=False)
    assert result.exit_code == 1 and "removal date" in result.stderr
    assert "20 hours ahead" in result.stderr
    assert store.read_component("MOD-1").data.get("position") == "Layer1_top_axial"


def test_a_hand_dated_install_ahead_is_a_warning_and_the_removal_says_what_to_do(store, svt):
    """An install record dated 20 hours ahead (written by hand, or by an older svt): validate
    warns, and svt remove names the file to correct instead of only refusing."""
    svt("install", "MOD-1", "Layer1_top_axial", "--date", "2025-02-01T10:00:00+00:00")
    late = ahead(hours=20).replace("Z", "+00:00")
    path = component_file(store, "module", "MOD-1")
    path.write_text(path.read_text().replace("2025-02-01T10:00:00+00:00", late))
    event = next(store.root.glob("records/module/MOD-1/2025/*_install*.yaml"))
    event.write_text(event.read_text().replace("2025-02-01T10:00:00+00:00", late))
    subprocess.run(["git", "commit", "-qam", "install dated ahead"], cwd=store.root, check=True)
    said = svt("validate", ok=False)
    assert said.exit_code == 1  # the file name and year no longer match the date
    warning = [l for l in said.stdout.splitlines() if l.startswith(str(event.relative_to(
        store.root))) and "warning" in l and "ahead" in l]
    assert warning and "no later install or removal of MOD-1" in warning[0], said.stdout
    result = svt("remove", "MOD-1", ok=False)
    assert result.exit_code == 1 and "20 hours ahead" in result.stderr, result.stderr
    assert "records/module/MOD-1/component.yaml" in result.stderr
    assert "svt validate then names the file to rename" in result.stderr
