"""The rules a store is checked against: schemas other validators can resolve, pre-commit
hooks that run on deletions, and branches that change the rules they are checked against."""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from svt_records.files import schema

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



def test_pre_commit_hook_refuses_a_deletion_that_orphans_an_image(db, png, gitcmd, tmp_path, svt_hooks):
    db.save_component("MOD-1", {"type": "module"})
    db.record_test("MOD-1", "iv_curve", passed=True, images=[png])
    env = svt_hooks(db.root, tmp_path)
    event = next(db.root.glob("records/module/MOD-1/*/*.yaml")).relative_to(db.root)
    head = gitcmd(db.root, "rev-parse", "HEAD")
    gitcmd(db.root, "rm", "-q", str(event))
    proc = subprocess.run(["git", "commit", "-m", "drop a test"], cwd=db.root, env=env,
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode != 0, proc.stdout
    assert "no record lists this file" in proc.stdout + proc.stderr
    assert gitcmd(db.root, "rev-parse", "HEAD") == head


# ---- item 11: a branch cannot loosen the rules it is checked against ------------------------

@pytest.fixture
def banana(db, gitcmd):
    """The issue's branch: `banana` added to the status enum, and a module set to banana."""
    db.save_component("MOD-1", {"type": "module", "status": "qualified"})
    gitcmd(db.root, "switch", "-q", "-c", "banana")
    defs = db.root / "schemas/defs.schema.json"
    doc = json.loads(defs.read_text())
    doc["$defs"]["status"]["enum"].append("banana")
    defs.write_text(json.dumps(doc, indent=2) + "\n")
    component = db.root / "records/module/MOD-1/component.yaml"
    component.write_text(component.read_text().replace("status: qualified", "status: banana"))
    gitcmd(db.root, "commit", "-q", "-am", "bananas are a status now")
    return db


def test_validate_since_fails_a_branch_that_loosens_the_schemas(banana, svt_proc):
    # a new process each: svt reads a store's schemas once per process
    def svt(*args, ok=False):
        proc = svt_proc("--repo", str(banana.root), *args, check=False)
        proc.exit_code = proc.returncode
        return proc

    result = svt("validate", "--since", "main", ok=False)
    assert result.exit_code == 1, result.stdout
    line = next(l for l in result.stdout.splitlines() if "component.yaml" in l)
    assert line.startswith("records/module/MOD-1/component.yaml:")
    assert "banana" in line and "under the rules of main" in line
    assert "changes the rules (schemas/defs.schema.json)" in line
    assert "--allow-rule-changes" in line
    approved = svt("validate", "--since", "main", "--allow-rule-changes", ok=False)
    assert approved.exit_code == 0, approved.stdout
    assert "warning:" in approved.stdout and "a maintainer approved" in approved.stdout
    # the whole store, or a branch with no rule change, is checked as before
    assert svt("validate", ok=False).exit_code == 0
    assert svt("validate", "--since", "HEAD", ok=False).exit_code == 0


def test_validate_since_fails_a_branch_that_loosens_a_setting(db, svt, gitcmd, png):
    """max_file_mb raised in svt.yaml on the branch: the file it let in fails under main's."""
    db.save_component("MOD-1", {"type": "module", "status": "qualified"})
    config = db.root / "svt.yaml"
    config.write_text(config.read_text() + "max_file_mb: 0.00001\n")  # 10 bytes
    gitcmd(db.root, "commit", "-q", "-am", "main takes tiny files only")
    gitcmd(db.root, "switch", "-q", "-c", "loosen")
    config.write_text(config.read_text().replace("max_file_mb: 0.00001", "max_file_mb: 5"))
    gitcmd(db.root, "commit", "-q", "-am", "larger files")
    svt("test", "MOD-1", "--type", "iv_curve", "--image", str(png))
    result = svt("validate", "--since", "main", ok=False)
    assert result.exit_code == 1, result.stdout
    line = next(l for l in result.stdout.splitlines() if ".png" in l)
    assert "over max_file_mb" in line and "(svt.yaml max_file_mb)" in line


def test_review_opens_with_the_rules_that_changed(banana, svt_proc, gitcmd):
    gitcmd(banana.root, "rm", "-q", ".gitlab-ci.yml")
    gitcmd(banana.root, "commit", "-q", "-m", "no GitLab")
    text = svt_proc("--repo", str(banana.root), "review", "main..HEAD").stdout
    sections = [l for l in text.splitlines() if l.startswith("### ")]
    assert sections[0] == "### Rules changed", text
    rules = text.split("### Rules changed", 1)[1].split("###", 1)[0]
    assert "`schemas/defs.schema.json`" in rules and "`.gitlab-ci.yml`" in rules
    assert "MOD-1" not in rules
    assert "banana" in text.split("### Validation", 1)[1]


def test_review_without_rule_changes_has_no_rules_section(db, svt):
    db.save_component("MOD-1", {"type": "module"})
    assert "Rules changed" not in svt("review").stdout


def test_init_writes_codeowners_for_the_rules(svt, tmp_path):
    store = tmp_path / "s"
    out = svt("init", str(store), "--ci", "github,gitlab", "--maintainer", "@alice",
              "--maintainer", "@hps/svt-leads")
    assert "CODEOWNERS" not in out.stdout
    from svt_records.rules.rulefiles import owners
    for path in (".github/CODEOWNERS", ".gitlab/CODEOWNERS"):
        text = (store / path).read_text()
        for rule_file in ("schemas/defs.schema.json", "svt.yaml", ".gitattributes",
                          ".gitlab-ci.yml", ".github/workflows/svt-validate.yml", path,
                          ".pre-commit-config.yaml"):
            assert owners(text, rule_file) == ["@alice", "@hps/svt-leads"], rule_file
        assert owners(text, "records/module/M-1/component.yaml") == []
    assert "maintainers:" in (store / "svt.yaml").read_text()
    again = svt("init", str(store), "--maintainer", "@bob")  # an existing store: it says how
    assert "nothing changed" in again.stdout and "svt upgrade --maintainer" in again.stdout
    assert "@bob" not in (store / "svt.yaml").read_text()
    bare = svt("init", str(tmp_path / "t"), "--ci", "github,gitlab")
    assert "CODEOWNERS names no maintainers" in bare.stdout
    text = (tmp_path / "t/.github/CODEOWNERS").read_text()
    assert all(l.startswith("#") for l in text.splitlines())
    bad = svt("init", str(tmp_path / "u"), "--maintainer", "alice", ok=False)
    assert bad.exit_code != 0 and "maintainers" in bad.stderr and "Traceback" not in bad.stderr


def test_svt_init_commits_through_the_hooks_in_a_repository_without_commits(tmp_path, gitcmd, svt_hooks):
    """`validate --since HEAD` before the first commit checks everything (there is no HEAD)."""
    repo = tmp_path / "fresh"
    repo.mkdir()
    gitcmd(repo, "init", "-q", "--initial-branch=main")
    env = svt_hooks(repo, tmp_path, commit=False)
    proc = subprocess.run(["svt", "init", "."], cwd=repo, env=env, capture_output=True,
                          text=True, timeout=120)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert gitcmd(repo, "log", "--format=%s").startswith("init fresh")
