"""svt validate: each check has a failing fixture that asserts the message and the line, and
the clean store passes. Output formats follow GitHub's and GitLab's documented shapes."""
from __future__ import annotations

import json
import os
import re

import pytest

from svt_records import Database


def build_store(db: Database, png) -> Database:
    """A small valid store: an assembled, installed module with a test, a FEB, a link."""
    db.save_component("MOD-1", {"type": "module", "status": "qualified"})
    db.save_component("SEN-1", {"type": "sensor"})
    db.save_component("HYB-1", {"type": "hybrid"})
    db.save_component("FEB-1", {"type": "feb", "status": "spare"})
    db.assemble("MOD-1", sensor_id="SEN-1", hybrid_id="HYB-1", date="2025-01-10T10:00:00+00:00")
    db.record_test("MOD-1", "iv_curve", passed=True, images=[png],
                   measurements={"v": 1}, date="2025-01-11T10:00:00+00:00")
    db.install("MOD-1", "Layer1_top_axial", run_period="2025_run", date="2025-01-12T10:00:00+00:00")
    db.connect("MOD-1", "FEB-1", connection_type="signal", date="2025-01-12T11:00:00+00:00")
    return db


@pytest.fixture
def store(prebuilt) -> Database:
    """A copy of the store build_store makes, built once per session."""
    return prebuilt(build_store)


def path(db: Database, *parts: str):
    return db.root.joinpath("records", *parts)


def event(db: Database, cid: str, pattern: str):
    return next(db.root.joinpath("records").glob(f"*/{cid}/*/{pattern}"))


def replace(file, old: str, new: str) -> None:
    text = file.read_text()
    assert old in text, (old, text)
    file.write_text(text.replace(old, new, 1))


def drop_field(file, field: str) -> None:
    from svt_records.files import yamlio
    data = yamlio.load(file.read_text()).data
    del data[field]
    file.write_text(yamlio.dump(data))


def run(svt, *args):
    return svt("validate", *args, ok=False)


def test_clean_store_passes(store, svt):
    result = run(svt)
    assert result.exit_code == 0, result.stdout
    assert result.stdout.startswith("All ") and "valid" in result.stdout


def comp(db, ctype, cid):
    return path(db, ctype, cid, "component.yaml")


CASES = [
    # (name, edit(db), expected "path:line:column", expected message part)
    ("duplicate key", lambda db: replace(comp(db, "feb", "FEB-1"), "status: spare",
                                         "status: spare\nstatus: failed"),
     "records/feb/FEB-1/component.yaml:6:1", "duplicate key 'status'"),
    ("alias", lambda db: replace(comp(db, "feb", "FEB-1"), "status: spare",
                                 "status: &s spare\nnotes: *s"),
     "records/feb/FEB-1/component.yaml:5:9", "anchor &s is not allowed"),
    ("custom tag", lambda db: replace(comp(db, "feb", "FEB-1"), "status: spare",
                                      "status: !!python/name:os.system spare"),
     "records/feb/FEB-1/component.yaml:5:9", "tag"),
    ("yaml syntax", lambda db: replace(comp(db, "feb", "FEB-1"), "status: spare",
                                       "status: [spare"),
     "records/feb/FEB-1/component.yaml", "YAML syntax"),
    ("unknown status", lambda db: replace(comp(db, "feb", "FEB-1"), "status: spare",
                                          "status: spar"),
     "records/feb/FEB-1/component.yaml:5:9", "use one of installed, spare"),
    ("unknown field", lambda db: replace(comp(db, "feb", "FEB-1"), "status: spare",
                                         "status: spare\nstatsu: spare"),
     "records/feb/FEB-1/component.yaml:3:1", "unknown field 'statsu'"),
    ("id vs folder", lambda db: replace(comp(db, "feb", "FEB-1"), "id: FEB-1", "id: FEB-2"),
     "records/feb/FEB-1/component.yaml:3:5", "but the folder is 'FEB-1'"),
    ("type vs folder", lambda db: replace(comp(db, "feb", "FEB-1"), "type: feb", "type: cable"),
     "records/feb/FEB-1/component.yaml:4:7", "under records/feb/"),
    ("event date vs name", lambda db: replace(event(db, "MOD-1", "*_iv_curve_*.yaml"),
                                              "2025-01-11T10:00:00+00:00",
                                              "2025-01-11T11:00:00+00:00"),
     "_iv_curve_", "file name says 20250111_100000"),
    ("test type vs name", lambda db: replace(event(db, "MOD-1", "*_iv_curve_*.yaml"),
                                             "test_type: iv_curve", "test_type: noise"),
     "_iv_curve_", "rename the file"),
    ("stored file changed", lambda db: next(path(db, "module", "MOD-1").glob("*/*_0.png"))
     .write_bytes(b"tampered"),
     "_iv_curve_", "is 8 bytes but the record says"),
    ("stored file missing", lambda db: next(path(db, "module", "MOD-1").glob("*/*_0.png"))
     .unlink(), "_iv_curve_", "is missing"),
    ("unlisted file", lambda db: path(db, "module", "MOD-1", "2025", "stray.png")
     .write_bytes(b"x"), "records/module/MOD-1/2025/stray.png:1:1", "no record lists this file"),
    ("position vs history", lambda db: replace(comp(db, "module", "MOD-1"),
                                               "position: Layer1_top_axial",
                                               "position: Layer2_top_axial"),
     "records/module/MOD-1/component.yaml", "installs it at Layer1_top_axial"),
    ("assembly one side", lambda db: replace(comp(db, "sensor", "SEN-1"), "module: MOD-1\n", ""),
     "records/module/MOD-1/component.yaml", "sensor SEN-1 says it is on no module"),
    ("connection one side", lambda db: drop_field(comp(db, "feb", "FEB-1"), "connections"),
     "records/module/MOD-1/component.yaml", "FEB-1 does not list its signal connection"),
    ("yaml 1.1 octal warning", lambda db: replace(comp(db, "feb", "FEB-1"), "status: spare",
                                                  "status: spare\nattributes:\n  batch: 0123"),
     "records/feb/FEB-1/component.yaml:7:10", "octal"),
    ("conflict markers", lambda db: replace(comp(db, "feb", "FEB-1"), "status: spare",
                                            "<<<<<<< HEAD\nstatus: spare\n=======\nstatus: failed\n>>>>>>> b"),
     "records/feb/FEB-1/component.yaml:5:1", "merge conflict markers"),
]


@pytest.mark.parametrize("name,edit,where,message", CASES, ids=[c[0] for c in CASES])
def test_each_check_reports_where_and_what(store, svt, name, edit, where, message):
    edit(store)
    result = run(svt)
    lines = [l for l in result.stdout.splitlines() if where in l and message in l]
    assert lines, result.stdout
    warning_only = "warning" in name
    assert result.exit_code == (0 if warning_only else 1), result.stdout
    assert re.match(r"^records/\S+:\d+:\d+: (error|warning): ", lines[0])


def test_ids_differing_only_in_case_collide(store, svt):
    folder = path(store, "feb", "feb-1")
    folder.mkdir()
    (folder / "component.yaml").write_text("id: feb-1\ntype: feb\nstatus: spare\n")
    result = run(svt)
    assert result.exit_code == 1
    assert "collides with FEB-1" in result.stdout


def test_two_components_at_one_position(store, svt):
    replace(comp(store, "feb", "FEB-1"), "status: spare", "status: installed\nposition: FEB1")
    folder = path(store, "feb", "FEB-2")
    folder.mkdir()
    (folder / "component.yaml").write_text("id: FEB-2\ntype: feb\nstatus: installed\n"
                                           "position: FEB1\n")
    result = run(svt)
    assert "position FEB1 also holds FEB-2" in result.stdout


def test_events_in_a_folder_of_the_id_under_another_type_are_refused(store, svt):
    """What a merge leaves when one clone moved a component to another type and another
    recorded a test in the old folder: the test is not beside the component's record."""
    test = event(store, "MOD-1", "*_iv_curve_*.yaml")
    stray = path(store, "sensor", "MOD-1", "2025", test.name)
    stray.parent.mkdir(parents=True)
    stray.write_text(test.read_text().split("files:")[0])
    result = run(svt)
    assert result.exit_code == 1
    assert (f"records/sensor/MOD-1/2025/{test.name}:" in result.stdout and
            "records/sensor/MOD-1/ holds events of MOD-1, whose record is"
            " records/module/MOD-1/component.yaml: move them there" in result.stdout)


def test_symlinks_are_refused_and_not_followed(store, svt, tmp_path):
    secret = tmp_path / "secret.yaml"
    secret.write_text("id: X\n")
    os.symlink(secret, path(store, "feb", "FEB-1", "2025.yaml"))
    result = run(svt)
    assert result.exit_code == 1
    assert "records/feb/FEB-1/2025.yaml:1:1: error: is a symbolic link" in result.stdout


def test_linked_folders_and_special_files_are_refused(store, svt, tmp_path):
    # a link to a folder is not walked into, and a named pipe is no record
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (elsewhere / "component.yaml").write_text("id: GHOST-1\ntype: feb\nstatus: spar\n")
    os.symlink(elsewhere, path(store, "feb", "GHOST-1"))
    os.mkfifo(path(store, "feb", "FEB-1", "pipe"))
    result = run(svt)
    assert result.exit_code == 1
    assert "records/feb/GHOST-1:1:1: error: is a symbolic link" in result.stdout
    assert "records/feb/FEB-1/pipe:1:1: error: is not a regular file" in result.stdout
    assert "spar" not in result.stdout  # the linked record was never read
    given = run(svt, str(path(store, "feb", "GHOST-1")))  # it leads out of the store
    assert given.exit_code == 2 and "holds no records" in given.output


def test_only_given_paths_are_checked(store, svt):
    replace(comp(store, "feb", "FEB-1"), "status: spare", "status: spar")
    only_module = run(svt, str(path(store, "module", "MOD-1")))
    assert only_module.exit_code == 0, only_module.stdout
    assert run(svt, str(path(store, "feb"))).exit_code == 1


def test_since_checks_only_what_changed_after_the_revision(store, svt, gitcmd):
    replace(comp(store, "feb", "FEB-1"), "status: spare", "status: spar")
    gitcmd(store.root, "commit", "-qam", "bad edit")
    since_bad = run(svt, "--since", "HEAD~1")
    assert since_bad.exit_code == 1 and "FEB-1" in since_bad.stdout
    assert "MOD-1" not in since_bad.stdout
    assert run(svt, "--since", "HEAD").exit_code == 0


def test_since_an_unknown_revision_is_a_usage_error(store, svt):
    assert run(svt, "--since", "no-such-branch").exit_code == 2


def test_github_format(store, svt):
    replace(comp(store, "feb", "FEB-1"), "status: spare", "status: spar")
    out = run(svt, "--format", "github").stdout.splitlines()
    assert re.match(r"^::error file=records/feb/FEB-1/component\.yaml,line=5,col=9,"
                    r"title=svt validate%3A schema::status is 'spar'%3A use one of", out[0]) \
        or re.match(r"^::error file=records/feb/FEB-1/component\.yaml,line=5,col=9,"
                    r"title=svt validate%3A schema::status is 'spar': use one of", out[0])


def test_gitlab_code_quality_report(store, svt, tmp_path):
    replace(comp(store, "feb", "FEB-1"), "status: spare", "status: spar")
    report = tmp_path / "gl-code-quality-report.json"
    result = run(svt, "--format", "gitlab", "--output", str(report))
    assert result.exit_code == 1
    issues = json.loads(report.read_text())
    assert len(issues) == 1
    issue = issues[0]
    assert set(issue) == {"description", "check_name", "fingerprint", "severity", "location"}
    assert issue["location"] == {"path": "records/feb/FEB-1/component.yaml",
                                 "lines": {"begin": 5}}
    assert issue["severity"] in ("info", "minor", "major", "critical", "blocker")
    assert len(issue["fingerprint"]) == 64


def test_json_format(store, svt):
    data = json.loads(run(svt, "--format", "json").stdout)
    assert data["errors"] == 0 and data["checked"] > 5 and data["problems"] == []


def test_repository_example_records_are_valid(svt):
    root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    result = svt("--repo", root, "validate", ok=False)
    assert result.exit_code == 0, result.stdout


def test_fmt_rewrites_hand_edits_without_changing_meaning(store, svt):
    from svt_records.files import yamlio
    file = comp(store, "feb", "FEB-1")
    before = yamlio.load(file.read_text()).data
    file.write_text("status: 'spare'   # hand edited\ntype: feb\nid: FEB-1\n" +
                    "\n".join(l for l in file.read_text().splitlines()
                              if l.startswith(("connections", "  ", "created"))) + "\n")
    check = svt("fmt", "--check", ok=False)
    assert check.exit_code == 1 and "records/feb/FEB-1/component.yaml" in check.stdout
    svt("fmt")
    assert yamlio.load(file.read_text()).data == before
    assert file.read_text().startswith("# yaml-language-server: $schema=../../../schemas/")
    assert svt("fmt", "--check").exit_code == 0
    assert run(svt).exit_code == 0


def test_parallel_validation_finds_the_same_problems(store, svt, monkeypatch):
    import svt_records.rules.checks as checks
    replace(comp(store, "feb", "FEB-1"), "status: spare", "status: spar")
    next(path(store, "module", "MOD-1").glob("*/*_0.png")).write_bytes(b"tampered")
    serial = run(svt).stdout
    monkeypatch.setattr(checks, "PARALLEL_FROM", 1)
    assert run(svt).stdout == serial
    assert serial.count("error:") == 2


def test_an_invalid_hand_edit_blocks_its_own_component_with_the_line(store, svt):
    replace(comp(store, "feb", "FEB-1"), "status: spare", "status: broken")
    shown = svt("show", "FEB-1", ok=False)
    assert shown.exit_code == 1
    assert "records/feb/FEB-1/component.yaml:5:9: error: status is 'broken'" in shown.stderr
    assert "Traceback" not in shown.stderr
    refused = svt("comment", "FEB-1", "hello", ok=False)
    assert refused.exit_code == 1 and "component.yaml:5:9" in refused.stderr


def test_an_invalid_hand_edit_leaves_the_other_components_usable(store, svt):
    replace(comp(store, "feb", "FEB-1"), "status: spare", "status: broken")
    listed = svt("list", ok=False)  # left out, named, and exit 1 (issue 25)
    assert "MOD-1" in listed.stdout and "FEB-1" not in listed.stdout
    assert listed.exit_code == 1 and "skipped 1 unreadable record" in listed.stderr
    assert "records/feb/FEB-1/component.yaml" in listed.stderr
    assert svt("show", "MOD-1").exit_code == 0
    svt("comment", "MOD-1", "still works")


def test_fmt_refuses_a_file_that_does_not_load_and_leaves_it(store, svt):
    file = comp(store, "feb", "FEB-1")
    replace(file, "status: spare", "status: spare\nstatus: failed")
    before = file.read_text()
    result = svt("fmt", ok=False)
    assert result.exit_code == 1
    assert "records/feb/FEB-1/component.yaml:6:1: error: duplicate key 'status'" in result.stderr
    assert file.read_text() == before


@pytest.mark.parametrize("target", ["records/module/NO-SUCH", "schemas", "records/sensor/EMPTY"])
def test_a_path_that_does_not_exist_or_holds_no_records_cannot_be_validated(store, svt,
                                                                          monkeypatch, target):
    path(store, "sensor", "EMPTY").mkdir()
    monkeypatch.chdir(store.root)
    result = run(svt, target)
    assert result.exit_code == 2, result.stdout
    assert "All 0" not in result.stdout
    assert len(result.stderr.strip().splitlines()) == 1
    assert ("does not exist" if "NO-SUCH" in target else "holds no records") in result.stderr


def test_the_readme_path_outside_a_store_says_there_is_no_store_there(store, svt,
                                                                     monkeypatch, tmp_path):
    """With no --repo, svt outside a store uses the one in the home folder; a path meant for
    another store must not pass as "All 0 file(s) valid"."""
    Database(os.path.expanduser("~/.hps_svt_tracker")).initialize_schema()
    monkeypatch.delenv("SVT_REPO")
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)
    result = run(svt, "records/module/MODULE-L1-001")
    assert result.exit_code == 2, result.stdout
    assert "is in no svt store" in result.stderr and "--repo" in result.stderr
    result = run(svt, str(path(store, "module", "MOD-1")))  # another store's folder
    assert result.exit_code == 2 and "not in the store at" in result.stderr


def test_one_id_under_two_types_from_a_clean_merge_is_refused_and_reported(tmp_path, svt,
                                                                          gitcmd):
    """Alice adds NEW-1 as a sensor, Bob as a hybrid; git merges the two folders cleanly."""
    origin = tmp_path / "origin"
    svt("init", str(origin))
    gitcmd(tmp_path, "clone", "-q", "--bare", "origin", "shared.git")
    alice, bob = tmp_path / "alice", tmp_path / "bob"
    for clone in (alice, bob):
        gitcmd(tmp_path, "clone", "-q", "shared.git", clone.name)
    svt("--repo", str(alice), "add", "--id", "NEW-1", "--type", "sensor")
    gitcmd(alice, "push", "-q", "origin", "HEAD:main")
    svt("--repo", str(bob), "add", "--id", "NEW-1", "--type", "hybrid")
    gitcmd(bob, "pull", "-q", "--no-rebase", "--no-edit", "origin", "main")
    paths = ["records/hybrid/NEW-1/component.yaml", "records/sensor/NEW-1/component.yaml"]
    assert all((bob / p).is_file() for p in paths)

    for args in (["validate"], ["validate", str(bob / "records/sensor/NEW-1")]):
        result = svt("--repo", str(bob), *args, ok=False)
        assert result.exit_code == 1, result.stdout
        for path in paths:
            assert re.search(rf"^{path}:3:5: error: id NEW-1 is also used by", result.stdout,
                             re.M), result.stdout
    for args in (["show", "NEW-1"], ["test", "NEW-1", "--type", "iv_curve", "--pass"],
                 ["add", "--id", "NEW-1", "--status", "spare"], ["comment", "NEW-1", "hi"]):
        result = svt("--repo", str(bob), *args, ok=False)
        assert result.exit_code == 1, (args, result.stdout)
        error = result.stderr.strip()
        assert len(error.splitlines()) == 1 and all(p in error for p in paths), error
    listed = svt("--repo", str(bob), "list")
    assert listed.stdout.count("NEW-1") == 2 and "NEW-1 has 2 records" in listed.stderr
    assert "NEW-1" in svt("--repo", str(bob), "list", "--type", "hybrid").stdout
    summary = json.loads(svt("--repo", str(bob), "summary", "--format", "json").stdout)
    assert summary["total"] == 2
    assert summary["by_type"] == {"hybrid": {"incoming": 1}, "sensor": {"incoming": 1}}
    assert gitcmd(bob, "status", "--porcelain") == ""
