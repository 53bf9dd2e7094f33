"""Writes never clobber what svt cannot see: a detached HEAD, a sparse checkout, files that
should go to Git LFS, and svt's own pre-commit hooks (which must not wait for svt's lock)."""
from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

from svt_records import Database
from svt_records.api.setup import LFS_EXTENSIONS, _LFS_ATTRIBUTES as LFS_ATTRIBUTES


def git(path: Path, *args: str) -> str:
    return subprocess.run(["git", *args], cwd=path, capture_output=True, text=True,
                          check=True).stdout


def test_writes_on_a_detached_head_are_refused_and_name_the_branch(store_path, svt, gitcmd):
    svt("add", "--id", "M1", "--type", "module")
    svt("add", "--id", "M2", "--type", "module")
    gitcmd(store_path, "checkout", "-q", "--detach", "HEAD~1")
    head = gitcmd(store_path, "rev-parse", "HEAD").strip()
    before = gitcmd(store_path, "status", "--porcelain")
    for args in (("add", "--id", "M3", "--type", "module"),
                 ("log", "M1", "a note"),
                 ("location", "M1", "Clean Room")):
        result = svt(*args, ok=False)
        assert result.exit_code == 1, result.stdout
        message = result.stderr.strip()
        assert len(message.splitlines()) == 1 and "Traceback" not in message
        assert f"HEAD is detached at {head[:7]}" in message
        assert "git switch main" in message
    assert gitcmd(store_path, "rev-parse", "HEAD").strip() == head
    assert gitcmd(store_path, "status", "--porcelain") == before
    assert not (store_path / "records" / "module" / "M3").exists()
    # reads still work
    assert "M1" in svt("list").stdout
    assert "M1" in svt("show", "M1").stdout


def test_readers_never_wait_for_a_live_writers_lock(store_path, svt, tmp_path):
    """A live svt holds the lock and its change's journal exists (it is committing): validate
    and fmt --check read as they are, leaving that change alone."""
    svt("add", "--id", "M1", "--type", "module")
    tx = store_path / ".git" / "svt" / "tx"
    tx.mkdir()
    journal = tx / "journal.json"
    journal.write_text('{"message": "add M2", "commit": null, "parent": null, "entries": []}')
    holder = subprocess.Popen([sys.executable, "-c", (
        "import sys, time; from svt_records.store.txn import StoreLock; from pathlib import Path;"
        "lock = StoreLock(Path(sys.argv[1])); lock.__enter__(); print('held', flush=True);"
        "time.sleep(120)"), str(store_path / ".git" / "svt" / "lock")], stdout=subprocess.PIPE,
        text=True)
    try:
        assert holder.stdout.readline().strip() == "held"
        for args in (("validate",), ("fmt", "--check"), ("list",)):
            proc = subprocess.run([sys.executable, "-m", "svt_records", *args], cwd=store_path,
                                  capture_output=True, text=True, timeout=30)
            assert proc.returncode == 0, proc.stderr
            assert "interrupted" not in proc.stderr
        assert journal.exists()  # the live writer's change is its own business
    finally:
        holder.kill()
        holder.wait()


def _hooks_file() -> list[dict]:
    import yaml  # the test extras have PyYAML (pre-commit needs it)
    return yaml.safe_load((Path(__file__).parents[2] / ".pre-commit-hooks.yaml").read_text())


def test_svt_writes_through_its_own_pre_commit_hooks(store_path, gitcmd, tmp_path,
                                                     svt_hooks):
    """The hooks run `svt validate` and `svt fmt` while the writing svt holds its lock and
    its change's journal exists: they must not wait for that lock."""
    hooks = _hooks_file()
    assert all(h.get("require_serial") is True for h in hooks)
    calls = tmp_path / "calls.txt"  # the shim in front of the real svt notes each call
    env = svt_hooks(store_path, tmp_path, log=calls)
    proc = subprocess.run(["svt", "add", "--id", "M1", "--type", "module"], cwd=store_path,
                          env=env, capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr
    assert gitcmd(store_path, "log", "-1", "--format=%s").startswith("add M1")
    ran = calls.read_text().splitlines()
    assert any(line.endswith(" validate --since HEAD") for line in ran), ran
    assert any(" fmt " in line and "records/module/M1/component.yaml" in line for line in ran)
    assert gitcmd(store_path, "status", "--porcelain") == ""


# ---- Git LFS ---------------------------------------------------------------------------------

HAVE_LFS = shutil.which("git-lfs") is not None


def _lfs_origin(path: Path, svt) -> Path:
    """A store whose .gitattributes sends stored files to Git LFS (svt init --lfs, or the same
    attributes committed by hand where git-lfs is missing)."""
    if HAVE_LFS:
        svt("init", "--lfs", str(path))
    else:
        svt("init", str(path))
        (path / ".gitattributes").write_text(LFS_ATTRIBUTES)
        git(path, "add", ".gitattributes")
        git(path, "commit", "-q", "-m", "route stored files to Git LFS")
    return path


def test_a_clone_without_git_lfs_refuses_files_meant_for_lfs(tmp_path, svt, png, gitcmd):
    origin = _lfs_origin(tmp_path / "origin", svt)
    clone = tmp_path / "clone"
    gitcmd(tmp_path, "clone", "-q", str(origin), str(clone))  # the global config has no lfs filter
    svt("--repo", str(clone), "add", "--id", "M1", "--type", "module")
    head = gitcmd(clone, "rev-parse", "HEAD")
    result = svt("--repo", str(clone), "test", "M1", "--type", "iv_curve", "--image", str(png),
                 ok=False)
    assert result.exit_code == 1
    message = result.stderr.strip()
    assert len(message.splitlines()) == 1 and "Traceback" not in message
    assert "records/module/M1/" in message and ".png" in message and "Git LFS" in message
    assert "apt-get install git-lfs" in message and "git lfs install" in message
    assert gitcmd(clone, "rev-parse", "HEAD") == head
    assert gitcmd(clone, "status", "--porcelain", "--untracked-files=all") == ""
    # files .gitattributes keeps in git are stored as before
    notes = tmp_path / "notes.txt"
    notes.write_text("bias scan notes\n")
    svt("--repo", str(clone), "attach", "M1", str(notes))


def test_validate_reports_lfs_files_committed_as_plain_blobs(store_path, svt, png, gitcmd):
    svt("add", "--id", "M1", "--type", "module")
    svt("test", "M1", "--type", "iv_curve", "--image", str(png))
    image = next(p for p in gitcmd(store_path, "ls-files").split() if p.endswith(".png"))
    assert svt("validate").exit_code == 0
    (store_path / ".gitattributes").write_text(LFS_ATTRIBUTES)
    gitcmd(store_path, "add", ".gitattributes")
    gitcmd(store_path, "commit", "-q", "-m", "route stored files to Git LFS")
    result = svt("validate", ok=False)
    assert result.exit_code == 1
    line = next(l for l in result.stdout.splitlines() if image in l)
    assert "error" in line and "plain git" in line and "git lfs migrate import" in line


def test_init_lfs_on_an_existing_store_without_git_lfs_is_refused(store_path, svt, png,
                                                                  gitcmd, without_git_lfs):
    svt("add", "--id", "M1", "--type", "module")
    svt("test", "M1", "--type", "iv_curve", "--image", str(png))
    head = gitcmd(store_path, "rev-parse", "HEAD")
    result = svt("init", "--lfs", str(store_path), ok=False)
    assert result.exit_code == 1 and "git-lfs" in result.stderr
    assert gitcmd(store_path, "rev-parse", "HEAD") == head
    assert "filter=lfs" not in (store_path / ".gitattributes").read_text()


@pytest.mark.skipif(not HAVE_LFS, reason="git-lfs is not installed (.ci/run installs it)")
def test_init_lfs_turns_lfs_on_in_an_existing_store(store_path, svt, png, gitcmd):
    svt("add", "--id", "M1", "--type", "module")
    svt("test", "M1", "--type", "iv_curve", "--image", str(png))
    old_image = next(p for p in gitcmd(store_path, "ls-files").split() if p.endswith(".png"))
    (store_path / ".gitattributes").write_text("*.sh text eol=lf\n")
    gitcmd(store_path, "add", ".gitattributes")
    gitcmd(store_path, "commit", "-q", "-m", "the user's own attributes")
    # an image stored a while ago: git's stat cache holds it as clean (not "racy"), so only
    # an index entry made anew picks up the LFS filter
    past = time.time() - 3600
    os.utime(store_path / old_image, (past, past))
    gitcmd(store_path, "update-index", "-q", "--really-refresh")
    head = gitcmd(store_path, "rev-parse", "HEAD")
    result = svt("init", "--lfs", str(store_path), ok=False)
    assert result.exit_code == 0, result.stderr
    assert "nothing changed" not in result.stdout and "Git LFS" in result.stdout
    assert gitcmd(store_path, "rev-parse", "HEAD~1") == head  # one commit
    assert Database(store_path).config["lfs"] is True
    attributes = (store_path / ".gitattributes").read_text()
    assert attributes.startswith("*.sh text eol=lf\n")
    assert all(f"*.{ext} filter=lfs" in attributes for ext in LFS_EXTENSIONS)
    # the stored image went through the filter too, so the store validates
    assert gitcmd(store_path, "cat-file", "-p", f"HEAD:{old_image}").startswith(
        "version https://git-lfs.github.com/spec/v1")
    assert (store_path / old_image).read_bytes() == png.read_bytes()
    assert svt("validate").exit_code == 0
    svt("test", "M1", "--type", "iv_curve", "--image", str(png))
    new = gitcmd(store_path, "show", "--name-only", "--format=", "HEAD").split()
    image = next(p for p in new if p.endswith(".png"))
    assert gitcmd(store_path, "cat-file", "-p", f"HEAD:{image}").startswith(
        "version https://git-lfs.github.com/spec/v1")
    assert gitcmd(store_path, "status", "--porcelain") == ""
    again = svt("init", "--lfs", str(store_path))
    assert "nothing changed" in again.stdout


# ---- sparse checkouts ------------------------------------------------------------------------

def _sparse_clone(tmp_path: Path, origin: Path, *cone: str) -> Path:
    """A clone of ``origin`` through a bare remote, checked out sparsely (cone mode)."""
    remote = tmp_path / "remote.git"
    git(tmp_path, "clone", "-q", "--bare", str(origin), str(remote))
    clone = tmp_path / "clone"
    git(tmp_path, "clone", "-q", "--no-checkout", str(remote), str(clone))
    git(clone, "sparse-checkout", "set", "--cone", *cone)
    git(clone, "checkout", "-q", "main")
    return clone


def _refused(result, *words: str) -> None:
    assert result.exit_code == 1, result.stdout
    message = result.stderr.strip()
    assert len(message.splitlines()) == 1 and "Traceback" not in message, message
    for word in words:
        assert word in message, message


def test_a_sparse_clone_never_replaces_records_it_cannot_see(tmp_path, svt, gitcmd):
    origin = tmp_path / "origin"
    svt("init", str(origin))
    for args in (("add", "--id", "SENSOR-1", "--type", "sensor", "--location", "Clean Room"),
                 ("add", "--id", "M1", "--type", "module"),
                 ("assemble", "M1", "--sensor", "SENSOR-1")):
        svt("--repo", str(origin), *args)
    clone = _sparse_clone(tmp_path, origin, "records/module")
    assert not (clone / "records" / "sensor").exists()
    sensor = "records/sensor/SENSOR-1/component.yaml"
    before = gitcmd(clone, "rev-parse", "HEAD")
    committed = gitcmd(clone, "show", f"HEAD:{sensor}")

    def run(*args: str):
        return svt("--repo", str(clone), *args, ok=False)

    _refused(run("add", "--id", "SENSOR-1", "--type", "sensor"), "SENSOR-1",
             "outside", "git sparse-checkout add records/sensor")
    _refused(run("add", "--id", "sensor-1", "--type", "module"), "SENSOR-1", "case")
    _refused(run("add", "--id", "SENSOR-2", "--type", "sensor"), "records/sensor/SENSOR-2",
             "outside", "git sparse-checkout add records/sensor")
    _refused(run("disassemble", "M1"), "SENSOR-1", "git sparse-checkout add records/sensor")
    assert gitcmd(clone, "rev-parse", "HEAD") == before
    assert gitcmd(clone, "show", f"HEAD:{sensor}") == committed
    assert gitcmd(clone, "status", "--porcelain", "--untracked-files=all") == ""
    # what lies inside the cone works as ever, and listings say what they leave out
    svt("--repo", str(clone), "log", "M1", "bonded")
    # M1's sensor lies outside the cone, yet it exists: validate reads it from HEAD
    svt("--repo", str(clone), "validate")
    svt("--repo", str(clone), "validate", str(clone / "records" / "module" / "M1"))
    listed = svt("--repo", str(clone), "list")
    assert "M1" in listed.stdout and "SENSOR-1" not in listed.stdout
    assert "1 component" in listed.stderr and "sparse" in listed.stderr
    summary = svt("--repo", str(clone), "summary")
    assert "1 component" in summary.stderr and "sparse" in summary.stderr
    assert Database(clone).hidden_by_sparse_checkout() == 1
    assert Database(origin).hidden_by_sparse_checkout() == 0


def test_a_sparse_clone_sees_positions_taken_outside_its_cone(tmp_path, svt, gitcmd):
    origin = tmp_path / "origin"
    svt("init", str(origin))
    for args in (("add", "--id", "FEB-A", "--type", "feb"), ("add", "--id", "FEB-B", "--type", "feb"),
                 ("install", "FEB-A", "FEB3")):
        svt("--repo", str(origin), *args)
    clone = _sparse_clone(tmp_path, origin, "records/feb/FEB-B")
    assert not (clone / "records" / "feb" / "FEB-A").exists()
    before = gitcmd(clone, "rev-parse", "HEAD")
    _refused(svt("--repo", str(clone), "install", "FEB-B", "FEB3", ok=False),
             "FEB3 already holds FEB-A")
    assert gitcmd(clone, "rev-parse", "HEAD") == before
    svt("--repo", str(clone), "install", "FEB-B", "FEB4")


def _edit(record: Path, root: Path) -> None:
    record.write_text(record.read_text() + "notes: hand edit\n")


def _staged_edit(record: Path, root: Path) -> None:
    _edit(record, root)
    git(root, "add", str(record))


def _staged_then_put_back(record: Path, root: Path) -> None:
    """Staged, then the file made as HEAD has it: only git's index holds the edit."""
    text = record.read_text()
    _staged_edit(record, root)
    record.write_text(text)


def _made_executable(record: Path, root: Path) -> None:
    record.chmod(0o755)


def _executable_staged(record: Path, root: Path) -> None:
    git(root, "update-index", "--chmod=+x", str(record))


def _unstaged_from_index(record: Path, root: Path) -> None:
    git(root, "rm", "-q", "--cached", str(record))


def _edit_in_a_split_index(record: Path, root: Path) -> None:
    git(root, "update-index", "--split-index")
    _edit(record, root)


def _edit_in_the_same_second(record: Path, root: Path) -> None:
    """Same size, same mtime as the stat data git's index holds: only the content tells."""
    st = record.stat()
    text = record.read_text()
    record.write_text(text.replace("Hamamatsu", "Hamamatsv"))
    os.utime(record, ns=(st.st_atime_ns, st.st_mtime_ns))


@pytest.mark.parametrize("change", [_edit, _staged_edit, _staged_then_put_back,
                                    _made_executable, _executable_staged,
                                    _unstaged_from_index, _edit_in_a_split_index,
                                    _edit_in_the_same_second])
def test_every_kind_of_uncommitted_change_to_a_record_is_refused(store_path, svt, change):
    """svt reads whether a record has uncommitted changes from git's index file, the file
    and HEAD itself; each kind of change `git status` reports must still stop the write."""
    svt("add", "--id", "M1", "--type", "module", "--status", "spare",
        "--manufacturer", "Hamamatsu")
    record = store_path / "records" / "module" / "M1" / "component.yaml"
    change(record, store_path)
    status = git(store_path, "status", "--porcelain")
    head = git(store_path, "rev-parse", "HEAD")
    result = svt("add", "--id", "M1", "--status", "testing", ok=False)
    assert result.exit_code == 1, result.stdout
    assert "M1/component.yaml has uncommitted changes" in result.stderr
    assert git(store_path, "rev-parse", "HEAD") == head
    assert git(store_path, "status", "--porcelain") == status
