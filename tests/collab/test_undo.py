"""`svt undo [COMMIT]`: a new commit takes back one commit of records, through svt's write
path; history is never rewritten; refusals leave everything as it was."""
from __future__ import annotations

import shutil
import signal
import subprocess
from pathlib import Path

import pytest

from svt_records import Database
from svt_records.git.commit import BULK_THRESHOLD
from test_collab import clones  # noqa: F401  (a fixture: two clones of a bare remote)

DATE = "2025-03-01T10:00:00+00:00"


def git(path: Path, *args: str) -> str:
    return subprocess.run(["git", *args], cwd=path, capture_output=True, text=True,
                          check=True).stdout


def head(store: Path) -> str:
    return git(store, "rev-parse", "HEAD").strip()


def state(store: Path) -> tuple[str, str, list[str]]:
    """What a refusal must leave as it was: HEAD, status and every file."""
    files = sorted(str(p.relative_to(store)) for p in store.rglob("*")
                   if ".git" not in p.relative_to(store).parts)
    return head(store), git(store, "status", "--porcelain", "--untracked-files=all"), files


def refused(svt, *args: str) -> str:
    """Run svt, expecting a one-line refusal; return it."""
    result = svt(*args, ok=False)
    assert result.exit_code == 1, result.stdout + result.stderr
    message = result.stderr.strip()
    assert len(message.splitlines()) == 1 and "Traceback" not in message, message
    return message


def validates(svt) -> None:
    result = svt("validate", ok=False)
    assert result.exit_code == 0, result.stdout + result.stderr


def module(db: Database, png: Path) -> None:
    db.save_component("M1", {"type": "module", "status": "spare", "location": "SLAC"})


@pytest.fixture
def store(prebuilt) -> Path:
    """A store holding module M1 (spare, at SLAC); SVT_REPO points at it."""
    return prebuilt(module).root


def test_undo_add_deletes_the_component_with_a_new_commit(store, svt):
    svt("add", "--id", "M2", "--type", "module", "--status", "spare")
    added = head(store)
    assert "M2" in svt("list").stdout  # the index knows M2 before the undo
    out = svt("undo").stdout
    assert f"Undid {added[:10]} (add M2: new module, spare)" in out
    assert "delete  records/module/M2/component.yaml" in out
    assert not (store / "records/module/M2").exists()
    # a new commit on top: history kept, message as git revert writes it
    assert git(store, "rev-parse", "HEAD~1").strip() == added
    assert git(store, "log", "-1", "--format=%B").strip() == (
        f"undo: add M2: new module, spare\n\nThis reverts commit {added}.")
    assert git(store, "status", "--porcelain") == ""
    assert git(store, "ls-files", "records/module/M2") == ""
    # the index answers at once
    assert "M2" not in svt("list").stdout and "M1" in svt("list").stdout
    assert "no component 'M2'" in refused(svt, "show", "M2")
    validates(svt)


@pytest.mark.parametrize("how", ["plumbing", "hook", "bulk"])
def test_the_undo_commit_holds_exactly_the_tree_before(store, svt, tmp_path, how):
    """However svt commits (its own trees, git commit when a hook is present, a private
    index for large changes), the undo's tree is the tree before the commit undone: no
    file and no empty folder left."""
    if how == "hook":
        hook = store / ".git/hooks/pre-commit"
        hook.write_text("#!/bin/sh\nexit 0\n")
        hook.chmod(0o755)
    before = git(store, "rev-parse", "HEAD^{tree}").strip()
    if how == "bulk":
        sheet = tmp_path / "parts.csv"
        sheet.write_text("id,type,status\n" + "".join(
            f"S-{n},sensor,incoming\n" for n in range(BULK_THRESHOLD + 2)))
        svt("add", "--from-csv", str(sheet))
    else:
        svt("add", "--id", "S1", "--type", "sensor")
    svt("undo")
    assert git(store, "rev-parse", "HEAD^{tree}").strip() == before
    assert not (store / "records/sensor").exists()
    assert git(store, "status", "--porcelain") == ""
    fsck = subprocess.run(["git", "fsck", "--strict", "--no-progress"], cwd=store,
                          capture_output=True, text=True)
    assert fsck.returncode == 0, fsck.stdout + fsck.stderr
    assert Database(store).list_components(component_type="sensor") == []


def test_undo_a_test_with_an_image_and_undo_that_undo(store, svt, png):
    svt("test", "M1", "--type", "iv_curve", "--pass", "--image", str(png), "--date", DATE)
    tested = head(store)
    files = sorted(p.relative_to(store).as_posix() for p in store.glob("records/module/M1/2025/*"))
    assert len(files) == 2 and files[1].endswith("_0.png")
    blobs = {p: git(store, "rev-parse", f"HEAD:{p}").strip() for p in files}
    test_id = Database(store).tests("M1")[0]["id"]
    assert "iv_curve" in svt("show-test", test_id).stdout  # the index knows the test
    svt("undo", tested[:8])
    assert not (store / "records/module/M1/2025").exists()
    assert Database(store).tests("M1") == []
    assert f"no test '{test_id}'" in refused(svt, "show-test", test_id)
    validates(svt)
    # undoing the undo brings the result back, the image byte for byte, the same blobs
    out = svt("undo").stdout
    assert "Undid" in out and "restore" in out
    assert git(store, "log", "-1", "--format=%s").strip() == (
        "undo: undo: test M1: iv_curve pass, 1 file(s)")
    assert {p: git(store, "rev-parse", f"HEAD:{p}").strip() for p in files} == blobs
    assert (store / files[1]).read_bytes() == png.read_bytes()
    assert [t["result"] for t in Database(store).tests("M1")] == ["pass"]
    assert "iv_curve" in svt("show-test", test_id).stdout
    assert git(store, "status", "--porcelain") == ""
    validates(svt)


def test_undo_a_status_change_and_history_names_the_undo(store, svt):
    svt("add", "--id", "M1", "--status", "failed")
    assert [r["id"] for r in Database(store).list_components(status="failed")] == ["M1"]
    svt("undo")
    assert Database(store).get_component("M1")["status"] == "spare"
    assert [r["id"] for r in Database(store).list_components(status="spare")] == ["M1"]
    assert Database(store).list_components(status="failed") == []
    history = svt("history", "M1").stdout
    assert "undo  " in history and "status: failed → spare" in history
    validates(svt)


def test_dry_run_shows_the_change_and_writes_nothing(store, svt, png):
    svt("test", "M1", "--type", "iv_curve", "--pass", "--image", str(png), "--date", DATE)
    before = state(store)
    out = svt("undo", "--dry-run").stdout
    assert out.startswith(f"Would undo {head(store)[:10]} (test M1: iv_curve pass, 1 file(s)):")
    assert out.count("delete  records/module/M1/2025/20250301_100000_iv_curve_") == 2
    assert "Nothing was written (--dry-run)." in out
    assert state(store) == before


def test_a_later_commit_on_the_component_blocks_the_undo_and_is_named(store, svt):
    svt("add", "--id", "M2", "--type", "module")
    added = head(store)
    svt("log", "M2", "first look", "--type", "observation")
    logged = head(store)
    svt("add", "--id", "M3", "--type", "module")  # another component: no dependency
    before = state(store)
    message = refused(svt, "undo", added)
    assert f"later commits change the same component(s) as {added[:10]}" in message
    assert f"{logged[:10]} (log M2: " in message
    assert f"svt undo {logged[:10]}" in message and "newest first" in message
    assert state(store) == before
    # undone newest first, it works: a commit and its undo no longer count
    svt("undo", logged)
    svt("undo", added)
    assert Database(store).get_component("M2") is None
    validates(svt)
    # an undo that was itself undone (the change is back) counts again
    svt("add", "--id", "M4", "--type", "module")
    added = head(store)
    svt("location", "M4", "Clean Room")
    moved = head(store)
    svt("undo")
    svt("undo")
    assert f"as {added[:10]}: {moved[:10]} (move M4: to Clean Room); undo" in refused(
        svt, "undo", added)


def test_undoing_an_undone_commit_again_names_the_undo(store, svt):
    svt("add", "--id", "M1", "--status", "failed")
    changed = head(store)
    svt("undo")
    undo = head(store)
    message = refused(svt, "undo", changed)
    assert f"{changed[:10]} was already undone by {undo[:10]}" in message
    assert f"svt undo {undo[:10]}" in message


def test_undo_refuses_what_it_cannot_take_back(store, svt, tmp_path):
    before = state(store)
    assert "no commit 'cafe1234' in this store" in refused(svt, "undo", "cafe1234")
    # the first commit, and one that changes files outside records/
    first = git(store, "rev-list", "--max-parents=0", "HEAD").strip()
    assert "is the first commit" in refused(svt, "undo", first)
    git(store, "commit", "-q", "--allow-empty", "-m", "nothing")
    assert refused(svt, "undo", "HEAD") == (
        f"Error: {head(store)[:10]} (nothing) changes no files: nothing to undo")
    (store / "svt.yaml").write_text((store / "svt.yaml").read_text() + "max_file_mb: 20\n")
    git(store, "commit", "-qam", "raise the file limit")
    outside = head(store)
    message = refused(svt, "undo")
    assert f"the last commit, {outside[:10]} (raise the file limit), was not made by svt" in message
    assert "outside records/" in refused(svt, "undo", outside)
    # a merge, and a commit of another branch
    git(store, "switch", "-qc", "side")
    svt("add", "--id", "S1", "--type", "module")
    side = head(store)
    git(store, "switch", "-q", "main")
    svt("add", "--id", "M2", "--type", "module")
    assert "is not on the current branch" in refused(svt, "undo", side)
    git(store, "merge", "-q", "--no-edit", "side")
    assert "is a merge" in refused(svt, "undo", "HEAD")
    assert "was not made by svt" in refused(svt, "undo")
    assert git(store, "status", "--porcelain") == ""
    assert before[0] != head(store)  # (the set-up committed; the refusals did not)


def test_a_file_of_the_commit_missing_from_the_work_tree_blocks_the_undo(store, svt):
    svt("location", "M1", "Clean Room")
    record = store / "records/module/M1/component.yaml"
    record.unlink()
    before = state(store)
    assert refused(svt, "undo") == (
        "Error: refused: records/module/M1/component.yaml is missing from the work tree:"
        " restore it (git checkout -- records/module/M1/component.yaml), then undo again")
    assert state(store) == before
    git(store, "checkout", "--", "records/module/M1/component.yaml")
    svt("undo")
    assert "location: SLAC" in record.read_text()


def test_a_store_without_commits_has_nothing_to_undo(store, svt, tmp_path, monkeypatch):
    empty = tmp_path / "empty"
    empty.mkdir()
    git(empty, "init", "-q")
    for name in ("svt.yaml", "schemas", "records"):
        if (store / name).is_dir():
            shutil.copytree(store / name, empty / name)
        else:
            shutil.copy(store / name, empty / name)
    monkeypatch.setenv("SVT_REPO", str(empty))
    assert refused(svt, "undo") == "Error: nothing to undo: this store has no commits yet"
    assert subprocess.run(["git", "rev-parse", "--verify", "-q", "HEAD"], cwd=empty,
                          capture_output=True).returncode == 1  # still no commit


def test_a_hand_edit_of_records_can_be_undone_by_naming_it(store, svt):
    record = store / "records/module/M1/component.yaml"
    original = record.read_text()
    record.write_text(original.replace("location: SLAC", "location: Clean Room"))
    git(store, "commit", "-qam", "fix the location by hand")
    assert "was not made by svt" in refused(svt, "undo")
    svt("undo", "HEAD")
    assert record.read_text() == original
    assert git(store, "log", "-1", "--format=%s").strip() == "undo: fix the location by hand"
    assert Database(store).list_components(location="SLAC")[0]["id"] == "M1"


def test_uncommitted_edits_to_the_files_block_the_undo(store, svt):
    svt("add", "--id", "M1", "--status", "failed")
    record = store / "records/module/M1/component.yaml"
    record.write_text(record.read_text() + "notes: my edit\n")
    before = state(store)
    message = refused(svt, "undo")
    assert "records/module/M1/component.yaml has uncommitted changes" in message
    assert state(store) == before and "notes: my edit" in record.read_text()


def test_undo_is_refused_on_a_detached_head_and_during_a_merge(store, svt):
    svt("add", "--id", "M1", "--status", "failed")
    git(store, "checkout", "-q", "--detach")
    before = state(store)
    assert "HEAD is detached at" in refused(svt, "undo")
    assert state(store) == before
    git(store, "switch", "-q", "main")
    (store / ".git/MERGE_HEAD").write_text(head(store) + "\n")
    assert "a merge is in progress" in refused(svt, "undo")
    assert state(store) == before


def test_an_undo_whose_result_would_not_validate_is_refused(store, svt):
    svt("add", "--id", "M2", "--type", "module", "--status", "spare")
    svt("install", "M1", "Layer1_top_axial", "--date", "2025-01-01")
    installed = head(store)
    svt("remove", "M1", "--date", "2025-01-02")
    removal = head(store)
    svt("install", "M2", "Layer1_top_axial", "--date", "2025-01-03")
    before = state(store)
    # the install is followed by M1's removal, which builds on it
    assert f"{removal[:10]} (remove M1: from Layer1_top_axial)" in refused(
        svt, "undo", installed)
    message = refused(svt, "undo", removal)
    assert message.startswith(f"Error: refused: undoing {removal[:10]} would leave ")
    assert "position Layer1_top_axial also holds" in message
    assert message.endswith("; nothing was written")
    assert state(store) == before
    assert Database(store).installed_at("Layer1_top_axial") == "M2"
    validates(svt)


@pytest.mark.parametrize("new_id", ["M9", "m9"])
def test_bringing_back_an_id_that_was_taken_meanwhile_is_refused(store, svt, new_id):
    """M9 (a module) was undone, then another component took its id (or the id but for
    case, which collides on macOS and Windows): undoing the undo must not bring M9 back."""
    svt("add", "--id", "M9", "--type", "module")
    svt("undo")
    gone = head(store)
    svt("add", "--id", new_id, "--type", "feb")
    before = state(store)
    message = refused(svt, "undo", gone)
    assert f"undoing {gone[:10]} would leave records/" in message
    assert ("is also used by" if new_id == "M9" else "differ only") in message
    assert state(store) == before


def test_problems_the_records_had_before_do_not_block_an_undo(store, svt):
    """A hand edit broke M1 (a position but no install event), then svt changed its
    location: undoing that change leaves the old problem, which is not the undo's doing."""
    record = store / "records/module/M1/component.yaml"
    record.write_text(record.read_text() + "position: Layer1_top_axial\n")
    git(store, "commit", "-qam", "set the position by hand")
    svt("location", "M1", "Clean Room")
    assert svt("validate", ok=False).exit_code != 0
    svt("undo")
    assert Database(store).get_component("M1")["location"] == "SLAC"


def test_undo_runs_as_a_program(store, svt_proc):
    added = svt_proc("add", "--id", "M2", "--type", "module")
    assert added.returncode == 0
    done = svt_proc("undo")
    assert done.returncode == 0 and done.stdout.startswith("Undid ")
    again = svt_proc("undo", "nonsense", check=False)
    assert again.returncode == 1 and again.stderr.startswith("Error: no commit 'nonsense'")
    assert "Traceback" not in again.stderr and len(again.stderr.strip().splitlines()) == 1
    assert "M2" not in svt_proc("list").stdout


@pytest.mark.parametrize("point", ["moving", "ref-updated"])
def test_kill_9_during_an_undo_loses_nothing(store, svt, svt_proc, png, point):
    svt("test", "M1", "--type", "iv_curve", "--pass", "--image", str(png), "--date", DATE)
    before = state(store)
    killed = svt_proc("undo", check=False, env={"SVT_FAULT_POINT": point})
    assert killed.returncode == -signal.SIGKILL
    assert "interrupted svt command" in svt_proc("list").stderr
    assert git(store, "status", "--porcelain") == ""
    if point == "ref-updated":  # the commit had landed: finished
        assert git(store, "log", "-1", "--format=%s").startswith("undo: test M1")
        assert not (store / "records/module/M1/2025").exists()
    else:  # rolled back: every file is back
        assert state(store) == before
    validates(svt)


@pytest.mark.skipif(shutil.which("git-lfs") is None, reason="git-lfs is not installed")
def test_undo_restores_files_stored_with_git_lfs(tmp_path, svt, png, monkeypatch):
    store = tmp_path / "lfs"
    monkeypatch.setenv("SVT_REPO", str(store))
    svt("init", "--lfs", "--no-ci", str(store))
    svt("add", "--id", "M1", "--type", "module")
    svt("test", "M1", "--type", "iv_curve", "--pass", "--image", str(png), "--date", DATE)
    image = next(store.glob("records/module/M1/2025/*_0.png")).relative_to(store).as_posix()
    pointer = git(store, "rev-parse", f"HEAD:{image}").strip()
    svt("undo")
    svt("undo")
    assert git(store, "rev-parse", f"HEAD:{image}").strip() == pointer  # the same pointer
    assert (store / image).read_bytes() == png.read_bytes()  # the image itself on disk
    assert git(store, "status", "--porcelain") == ""
    validates(svt)


@pytest.mark.parametrize("how", ["merge", "rebase"])
def test_a_commit_of_another_clone_merged_alongside_does_not_block_an_undo(
        clones, svt, png, how):
    """Clone B tested M1 while clone A set its status, then B pulled. Merged, B's test sits
    beside A's change and B can undo that change; rebased, B's test now follows it (and
    builds on it): undo the test first."""
    a, b = clones
    svt("--repo", str(a), "add", "--id", "M1", "--status", "failed")
    failed = head(a)
    git(a, "push", "-q")
    svt("--repo", str(b), "test", "M1", "--type", "iv_curve", "--pass", "--image", str(png))
    git(b, "pull", "-q", "--rebase" if how == "rebase" else "--no-rebase", "--no-edit")
    if how == "rebase":
        message = refused(svt, "--repo", str(b), "undo", failed)
        assert f"{head(b)[:10]} (test M1: iv_curve pass, 1 file(s))" in message
        return
    svt("--repo", str(b), "undo", failed)
    assert Database(b).get_component("M1")["status"] == "spare"
    assert [t["result"] for t in Database(b).tests("M1")] == ["pass"]
    result = svt("--repo", str(b), "validate", ok=False)
    assert result.exit_code == 0, result.stdout


def test_an_undo_that_would_drop_a_change_merged_into_the_same_record_is_refused(
        clones, svt):
    """A moved M1 while B graded it; the merge driver kept both fields. Undoing A's move by
    putting back the record before it would drop B's grade: refused, naming B's commit."""
    a, b = clones
    svt("--repo", str(a), "location", "M1", "Clean Room")
    moved = head(a)
    git(a, "push", "-q")
    svt("--repo", str(b), "add", "--id", "M1", "--attr", "grade=A")
    graded = head(b)
    git(b, "pull", "-q", "--no-rebase", "--no-edit")
    before = state(b)
    message = refused(svt, "--repo", str(b), "undo", moved)
    assert (f"records/module/M1/component.yaml changed alongside {moved[:10]}, in"
            f" {graded[:10]} (update M1: attribute grade set to A)") in message
    assert f"git revert {moved[:10]}" in message
    assert state(b) == before


def test_undo_passes_svts_own_pre_commit_hooks(store, svt, png, tmp_path, svt_hooks,
                                                monkeypatch):
    """With svt's hooks installed the undo goes through `git commit`, and the hooks (validate
    --since HEAD, fmt) check a commit that only deletes files, and one that restores them."""
    Database(store).record_test("M1", "iv_curve", passed=True, images=[png])
    tested = head(store)
    calls = tmp_path / "hook-calls"
    env = svt_hooks(store, tmp_path, log=calls)  # commits .pre-commit-config.yaml
    for key in ("PATH", "PRE_COMMIT_HOME"):
        monkeypatch.setenv(key, env[key])
    svt("undo", tested)
    assert not list(store.glob("records/module/M1/*/*_0.png"))
    svt("undo")
    assert git(store, "log", "-1", "--format=%s").startswith("undo: undo: test M1")
    assert len(list(store.glob("records/module/M1/*/*_0.png"))) == 1
    assert git(store, "status", "--porcelain") == ""
    assert calls.read_text().count("validate --since HEAD") == 2  # the hooks did run
