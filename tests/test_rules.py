"""The rules a store is checked against: schemas other validators can resolve, pre-commit
hooks that run on deletions, and branches that change the rules they are checked against."""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from svt_records import schema

CHECK_JSONSCHEMA = [sys.executable, "-m", "check_jsonschema"]


def _check_jsonschema(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([*CHECK_JSONSCHEMA, *args], capture_output=True, text=True,
                          timeout=120)


# ---- item 9: schemas independent validators can resolve ------------------------------------

def test_check_jsonschema_resolves_the_store_schemas_on_real_records(db, png):
    """`check-jsonschema --schemafile schemas/X.schema.json FILE` resolves the shared
    definitions next to the schema file, with no network."""
    db.save_component("MOD-1", {"type": "module", "status": "qualified"})
    db.record_test("MOD-1", "iv_curve", passed=True, images=[png], measurements={"v": 1})
    component = db.root / "records/module/MOD-1/component.yaml"
    test = next(db.root.glob("records/module/MOD-1/*/*.yaml"))
    for schema_name, record in (("component", component), ("test", test),
                                ("config", db.root / "svt.yaml")):
        proc = _check_jsonschema("--schemafile", str(db.root / f"schemas/{schema_name}.schema.json"),
                                 str(record))
        assert proc.returncode == 0, proc.stdout + proc.stderr
    component.write_text(component.read_text().replace("status: qualified", "status: banana"))
    proc = _check_jsonschema("--schemafile", str(db.root / "schemas/component.schema.json"),
                             str(component))
    assert proc.returncode == 1 and "banana" in proc.stdout + proc.stderr
    assert "Unretrievable" not in proc.stdout + proc.stderr


def test_svt_still_resolves_schemas_that_carry_absolute_ids(tmp_path):
    """A store made by an older svt keeps schemas with https `$id`s: both of svt's checkers
    still resolve their references."""
    old = tmp_path / "schemas"
    old.mkdir()
    for name in schema.SCHEMA_NAMES:
        doc = json.loads((schema.package_schema_dir() / f"{name}.schema.json").read_text())
        doc = {"$id": f"https://hps-svt.example/schemas/{name}.schema.json", **doc}
        (old / f"{name}.schema.json").write_text(json.dumps(doc))
    bad = {"id": "MOD-1", "type": "module", "status": "banana"}
    good = {"id": "MOD-1", "type": "module", "status": "qualified"}
    for reference in (False, True):
        assert schema.check(good, "component", old, reference=reference) == []
        found = schema.check(bad, "component", old, reference=reference)
        assert [path for path, _ in found] == [("status",)]
