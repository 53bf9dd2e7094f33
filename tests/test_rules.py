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


# ---- item 10: pre-commit hooks also run on a commit that only deletes files ---------------

def _install_hooks(store: Path, gitcmd, tmp_path: Path) -> dict:
    """svt's hooks from .pre-commit-hooks.yaml, installed as local/system hooks with the real
    pre-commit; returns the environment that puts this svt on PATH."""
    import yaml  # the test extras have PyYAML (pre-commit needs it)
    hooks = yaml.safe_load((Path(__file__).parents[1] / ".pre-commit-hooks.yaml").read_text())
    local = [dict({k: v for k, v in h.items() if k != "description"}, language="system")
             for h in hooks]
    (store / ".pre-commit-config.yaml").write_text(
        yaml.safe_dump({"repos": [{"repo": "local", "hooks": local}]}))
    gitcmd(store, "add", ".pre-commit-config.yaml")
    gitcmd(store, "commit", "-q", "-m", "pre-commit hooks")
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    shim = bin_dir / "svt"
    shim.write_text(f'#!/bin/sh\nexec {sys.executable} -m svt_records "$@"\n')
    shim.chmod(0o755)
    env = dict(os.environ, PATH=f"{bin_dir}{os.pathsep}{Path(sys.executable).parent}"
                                f"{os.pathsep}{os.environ['PATH']}",
               PRE_COMMIT_HOME=str(tmp_path / "pre-commit-home"))
    subprocess.run([str(Path(sys.executable).parent / "pre-commit"), "install"], cwd=store,
                   env=env, check=True, capture_output=True)
    return env


def test_pre_commit_hook_refuses_a_deletion_that_orphans_an_image(db, png, gitcmd, tmp_path):
    db.save_component("MOD-1", {"type": "module"})
    db.record_test("MOD-1", "iv_curve", passed=True, images=[png])
    env = _install_hooks(db.root, gitcmd, tmp_path)
    event = next(db.root.glob("records/module/MOD-1/*/*.yaml")).relative_to(db.root)
    head = gitcmd(db.root, "rev-parse", "HEAD")
    gitcmd(db.root, "rm", "-q", str(event))
    proc = subprocess.run(["git", "commit", "-m", "drop a test"], cwd=db.root, env=env,
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode != 0, proc.stdout
    assert "no record lists this file" in proc.stdout + proc.stderr
    assert gitcmd(db.root, "rev-parse", "HEAD") == head
