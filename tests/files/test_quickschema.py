"""The compiled schema checker agrees with jsonschema, field by field, on valid and invalid
records of every kind (it replaces jsonschema on the write path only for speed)."""
import copy

import pytest

from svt_records.files import schema

VALID = {
    "component": {"id": "MODULE-L1-001", "type": "module", "status": "installed",
                  "position": "Layer1_top_axial", "sensor": "S-1", "hybrid": "H-1",
                  "connections": [{"to": "FEB-1", "type": "signal", "cable": "C-1",
                                   "since": "2025-01-01T10:00:00-05:00"}],
                  "attributes": {"n": 512, "tags": ["a"], "x": None, "m": {"k": 1}},
                  "created": "2025-01-01T10:00:00Z"},
    "test": {"kind": "test", "date": "2025-01-01T10:00:00.5+01:00", "component": "M-1",
             "test_type": "iv_curve", "result": "pass",
             "measurements": {"v": 60, "i": {"value": 2.3e-6, "unit": "A"}, "b": [1, 2],
                              "t": "text", "l": {"value": [1, 2]}},
             "files": [{"path": "x_0.png", "kind": "image", "size": 3, "sha256": "a" * 64}]},
    "install": {"kind": "install", "date": "2025-01-01T10:00:00Z", "component": "M-1",
                "position": "FEB1", "run_period": "2025"},
    "assembly": {"kind": "disassembly", "date": "2025-01-01T10:00:00Z", "component": "M-1",
                 "sensor": "S-1"},
    "log": {"kind": "comment", "date": "2025-01-01T10:00:00Z", "component": "M-1",
            "log_type": "note", "severity": "info", "text": "ok"},
    "config": {"schema_version": 1, "lfs": True, "max_file_mb": 0.5,
               "positions": {"cable": "^C.*$"}},
    "remove": {"kind": "remove", "date": "2025-01-02T10:00:00Z", "component": "M-1",
               "position": "Layer1_top_axial", "run_period": "2025", "reason": "noisy",
               "removed_by": "Jane Doe", "location": "Clean Room", "notes": "",
               "recorded": "2025-01-02T10:00:01.000000Z"},
    "move": {"kind": "move", "date": "2025-01-02T10:00:00Z", "component": "M-1",
             "from": "Clean Room", "to": "Hall B", "moved_by": "Jane Doe", "notes": "crate 4"},
    "connect": {"kind": "disconnect", "date": "2025-01-02T10:00:00-05:00", "component": "M-1",
                "other": "FEB-1", "connection_type": "signal", "cable": "C-1",
                "by": "Jane Doe", "notes": "reseated"},
    "attachment": {"kind": "attachment", "date": "2025-01-02T10:00:00Z", "component": "M-1",
                   "description": "bond pads", "uploaded_by": "Jane Doe",
                   "files": [{"path": "x_0.jpg", "kind": "image", "size": 3,
                              "sha256": "b" * 64}]},
}

MUTATIONS = [
    ("component", lambda r: r.update(status="instaled")),
    ("component", lambda r: r.update(stauts="spare")),
    ("component", lambda r: r.pop("type")),
    ("component", lambda r: r.update(id="bad/id")),
    ("component", lambda r: r.update(type="sensor")),  # sensor cannot have sensor/hybrid
    ("component", lambda r: r.update(module="M-2")),  # a module cannot sit on a module
    ("component", lambda r: r["connections"][0].pop("to")),
    ("component", lambda r: r.update(created="2025-01-01")),
    ("component", lambda r: r.update(notes=5)),
    ("component", lambda r: r.update(attributes=[1])),
    ("test", lambda r: r.update(result="passed")),
    ("test", lambda r: r["measurements"].update(bad={"value": 1, "units": "A"})),
    ("test", lambda r: r["measurements"].update(bad=True)),
    ("test", lambda r: r["measurements"].update(bad=None)),
    ("test", lambda r: r["files"][0].update(path="../../etc/passwd")),
    ("test", lambda r: r["files"][0].update(sha256="xyz")),
    ("test", lambda r: r["files"][0].update(size=-1)),
    ("test", lambda r: r["files"][0].update(size=1.5)),
    ("test", lambda r: r.update(kind="install")),
    ("test", lambda r: r.update(test_type="iv curve")),
    ("install", lambda r: r.update(position="bad position")),
    ("assembly", lambda r: r.update(kind="assemble")),
    ("log", lambda r: r.update(severity="fatal")),
    ("log", lambda r: r.pop("text")),
    ("config", lambda r: r.update(schema_version=2)),
    ("config", lambda r: r.update(positions={"module": "x"})),
    ("config", lambda r: r.update(max_file_mb=0)),
    ("config", lambda r: r.update(lfs="yes")),
    ("config", lambda r: r.update(detector={"febs": 1000})),
    ("remove", lambda r: r.pop("position")),
    ("remove", lambda r: r.update(position="Layer 1")),
    ("remove", lambda r: r.update(kind="install")),
    ("remove", lambda r: r.update(run_period="")),
    ("remove", lambda r: r.update(reason=["noisy"])),
    ("remove", lambda r: r.update(recorded="yesterday")),
    ("move", lambda r: r.pop("to")),
    ("move", lambda r: r.update(to="")),
    ("move", lambda r: r.update({"from": 4})),
    ("move", lambda r: r.update(moved_by="x" * 201)),
    ("move", lambda r: r.update(date="2025-01-02 10:00")),
    ("connect", lambda r: r.pop("other")),
    ("connect", lambda r: r.update(kind="connected")),
    ("connect", lambda r: r.update(cable="bad/cable")),
    ("connect", lambda r: r.update(other="x" * 65)),
    ("connect", lambda r: r.update(by="")),
    ("connect", lambda r: r.update(to="FEB-2")),
    ("attachment", lambda r: r.pop("files")),
    ("attachment", lambda r: r.update(files={"path": "x_0.jpg"})),
    ("attachment", lambda r: r["files"][0].pop("sha256")),
    ("attachment", lambda r: r["files"][0].update(path="/etc/passwd")),
    ("attachment", lambda r: r.update(description="x" * 20001)),
    ("attachment", lambda r: r.update(component="")),
]


def test_the_corpus_covers_every_schema():
    schemas = {p.name for p in schema.package_schema_dir().glob("*.schema.json")}
    assert {schema.schema_file(kind) for kind in VALID} == schemas - {"defs.schema.json"}
    assert {kind for kind, _ in MUTATIONS} == set(VALID)


@pytest.mark.parametrize("kind", sorted(VALID))
def test_valid_records_pass_both(kind):
    record = VALID[kind]
    assert schema.check(record, kind) == []
    assert schema.check(record, kind, reference=True) == []


@pytest.mark.parametrize("kind,mutate", MUTATIONS)
def test_invalid_records_fail_both_at_the_same_fields(kind, mutate):
    record = copy.deepcopy(VALID[kind])
    mutate(record)
    quick = schema.check(record, kind)
    reference = schema.check(record, kind, reference=True)
    assert quick, "the compiled checker accepted an invalid record"
    assert reference, "jsonschema accepted it: the mutation is not invalid"
    # jsonschema reports a `false` subschema at the record's root; we point at the field
    for path, _ in reference:
        assert any(q[:len(path)] == path for q, _ in quick)


def test_every_schema_svt_ships_compiles_to_the_quick_checker():
    """A keyword the quick checker lacks sends every write through jsonschema (0.1 s to
    import), e.g. the `maximum` of svt.yaml's detector.febs."""
    checkers = schema._quick(str(schema.package_schema_dir()))
    assert all(checkers.get(name) is not None for name in schema.SCHEMA_NAMES if name != "defs")


@pytest.mark.parametrize("where", ["log", "defs"])
def test_a_schema_beyond_the_subset_is_checked_by_jsonschema_and_only_it(tmp_path, where):
    """Schemas compile when first used, each on its own: one that uses a keyword the quick
    checker lacks (in its own file, or in a definition others share) goes to jsonschema,
    and every other kind keeps the compiled checker and its verdicts."""
    import json
    import shutil
    for p in schema.package_schema_dir().glob("*.schema.json"):
        shutil.copy(p, tmp_path / p.name)
    path = tmp_path / f"{where}.schema.json"
    doc = json.loads(path.read_text())
    target = doc["properties"]["text"] if where == "log" else doc["$defs"]["id"]
    target["dependentRequired"] = {}  # a keyword outside the subset
    path.write_text(json.dumps(doc))
    checkers = schema._quick(str(tmp_path))
    log = {"kind": "log", "date": "2024-01-01T10:00:00+00:00", "component": "M-1", "text": "x"}
    for _ in range(2):  # the same answers once compiled (or refused)
        assert schema.check(log, "log", tmp_path) == []
        assert schema.check(dict(log, text=3), "log", tmp_path)
        assert checkers.get("log") is None
        component = {"id": "M-1", "type": "module", "status": "spare"}
        assert schema.check(component, "component", tmp_path) == []
        assert schema.check(dict(component, id="a/b"), "component", tmp_path)
        assert (checkers.get("component") is None) == (where == "defs")
        assert checkers.get("config") is not None
