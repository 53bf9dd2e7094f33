"""Faults created for real: kill -9 at every step of a change, dead lock holders, parallel
writers, refusing hooks, no git identity, a full disk, the user's own changes, repositories
mid-merge/rebase/cherry-pick, records changed under svt's feet. After each, nothing is lost,
nothing stray is left, and the next command works."""
from __future__ import annotations

import os
import resource
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest



def svt(store: Path, *args: str, env: dict | None = None, preexec=None):
    # temporary folders of a process killed on purpose stay in the test's own tmp_path
    full_env = dict(os.environ, TMPDIR=str(store.parent), **(env or {}))
    return subprocess.run([sys.executable, "-m", "svt_records", "--repo", str(store), *args],
                          capture_output=True, text=True, env=full_env, preexec_fn=preexec)


def git(store: Path, *args: str, check: bool = True) -> str:
    return subprocess.run(["git", *args], cwd=store, capture_output=True, text=True,
                          check=check).stdout


def snapshot(store: Path) -> tuple[str, str, str, list[str]]:
    """Everything a fault must leave as it was: HEAD, index, status and the files."""
    files = sorted(str(p.relative_to(store)) for p in store.rglob("*")
                   if ".git" not in p.relative_to(store).parts)
    return (git(store, "rev-parse", "HEAD"), git(store, "ls-files", "-s"),
            git(store, "status", "--porcelain=v2", "--untracked-files=all"), files)


def one_module(db, png) -> None:
    db.save_component("M1", {"type": "module", "status": "spare"})


@pytest.fixture
def store(prebuilt) -> Path:
    """A store holding module M1 (a copy of one built once per session)."""
    return prebuilt(one_module).root


def assert_consistent(store: Path) -> None:
    assert git(store, "status", "--porcelain") == ""
    result = svt(store, "validate")
    assert result.returncode == 0, result.stdout + result.stderr
    assert not (store / ".git" / "svt" / "tx").exists()


@pytest.mark.parametrize("point", ["staged", "moving", "committing", "ref-updated"])
def test_kill_9_at_any_step_loses_nothing_and_leaves_nothing(store, png, point):
    before = snapshot(store)
    killed = svt(store, "test", "M1", "--type", "iv_curve", "--pass", "--image", str(png),
                 "--data", str(png), env={"SVT_FAULT_POINT": point})
    assert killed.returncode == -signal.SIGKILL
    after = svt(store, "list")  # any command first finishes or undoes the interrupted change
    assert after.returncode == 0, after.stderr
    assert "interrupted svt command" in after.stderr
    assert_consistent(store)
    landed = git(store, "log", "-1", "--format=%s").startswith("test M1")
    if point == "ref-updated":
        assert landed  # the commit had landed: rolled forward
        assert len(list(store.glob("records/module/M1/*/*_iv_curve_*.yaml"))) == 1
    else:
        assert not landed and snapshot(store) == before  # rolled back exactly
    again = svt(store, "test", "M1", "--type", "iv_curve", "--pass")
    assert again.returncode == 0, again.stderr


def test_a_lock_left_by_a_dead_process_is_taken_over(store):
    holder = subprocess.Popen([sys.executable, "-c", (
        "import sys, time; from svt_records.store.txn import StoreLock; from pathlib import Path;"
        "lock = StoreLock(Path(sys.argv[1])); lock.__enter__(); print('held', flush=True);"
        "time.sleep(60)"), str(store / ".git" / "svt" / "lock")], stdout=subprocess.PIPE,
        text=True)
    assert holder.stdout.readline().strip() == "held"
    holder.kill()
    holder.wait()
    result = svt(store, "add", "--id", "M2", "--type", "module")
    assert result.returncode == 0, result.stderr
    assert f"took over the lock left by svt process {holder.pid}" in result.stderr


def test_eight_parallel_writers_all_commit(store, png):
    procs = [subprocess.Popen([sys.executable, "-m", "svt_records", "--repo", str(store), "test",
                               "M1", "--type", "iv_curve", "--pass", "--image", str(png)],
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
             for _ in range(8)]
    results = [(p.wait(), p.stderr.read()) for p in procs]
    assert all(code == 0 for code, _ in results), results
    assert git(store, "log", "--format=%s").count("test M1: iv_curve pass") == 8
    assert len(list(store.glob("records/module/M1/*/*_iv_curve*.yaml"))) == 8
    assert_consistent(store)


@pytest.mark.parametrize("hook,body", [
    ("pre-commit", "echo 'pre-commit says no' >&2; exit 1"),
    ("commit-msg", "echo 'message rejected' >&2; exit 1"),
])
def test_a_refusing_hook_rolls_everything_back(store, png, hook, body):
    path = store / ".git" / "hooks" / hook
    path.write_text(f"#!/bin/sh\n{body}\n")
    path.chmod(0o755)
    before = snapshot(store)
    result = svt(store, "test", "M1", "--type", "iv_curve", "--image", str(png))
    assert result.returncode == 1
    assert "refused by a git hook" in result.stderr and "Traceback" not in result.stderr
    assert snapshot(store) == before
    path.unlink()
    assert svt(store, "test", "M1", "--type", "iv_curve", "--pass").returncode == 0


@pytest.mark.parametrize("links", [True, False])
def test_a_replaced_record_comes_back_whole_when_the_commit_is_refused(store, monkeypatch,
                                                                      links):
    """A change keeps the record it replaces as a second link to the same file (svt never
    writes a record in place), or as a copy where no link can be made (another file
    system): a refused commit puts the very record back."""
    from svt_records import Database
    from svt_records.model.errors import SvtError
    hook = store / ".git" / "hooks" / "pre-commit"
    hook.write_text("#!/bin/sh\nexit 1\n")
    hook.chmod(0o755)
    record = store / "records" / "module" / "M1" / "component.yaml"
    text, inode = record.read_bytes(), record.stat().st_ino
    before = snapshot(store)
    if not links:
        def cross_device(*args: object, **kwargs: object) -> None:
            raise OSError(18, "Invalid cross-device link")  # EXDEV
        monkeypatch.setattr(os, "link", cross_device)
    with pytest.raises(SvtError, match="refused by a git hook"):
        Database(store).save_component("M1", {"location": "Clean room"})
    assert record.read_bytes() == text
    assert (record.stat().st_ino == inode) is links  # the same file, or a copy of it
    # git's stat cache agrees too (asked before git status, which would refresh it)
    assert git(store, "diff-files", "--name-only") == ""
    assert snapshot(store) == before
    assert not (store / ".git" / "svt" / "tx").exists()


def test_no_git_identity_falls_back_to_the_os_user(store, tmp_path):
    env = {k: "" for k in ("GIT_AUTHOR_NAME", "GIT_AUTHOR_EMAIL", "GIT_COMMITTER_NAME",
                           "GIT_COMMITTER_EMAIL")}
    empty = tmp_path / "empty-gitconfig"
    empty.write_text("")
    env.update(GIT_CONFIG_GLOBAL=str(empty), HOME=str(tmp_path))
    git(store, "config", "user.useConfigOnly", "true")
    for key in ("GIT_AUTHOR_NAME", "GIT_AUTHOR_EMAIL", "GIT_COMMITTER_NAME", "GIT_COMMITTER_EMAIL"):
        os.environ.pop(key, None)
    result = svt(store, "add", "--id", "M2", "--type", "module", env={
        "GIT_CONFIG_GLOBAL": str(empty), "HOME": str(tmp_path)})
    assert result.returncode == 0, result.stderr
    assert "git has no user identity here; committed as" in result.stderr
    import getpass
    assert git(store, "log", "-1", "--format=%an") .strip() == getpass.getuser()


def test_a_full_disk_midway_rolls_back(store, tmp_path):
    big = tmp_path / "big.bin"
    big.write_bytes(os.urandom(3 * 1024 * 1024))
    before = snapshot(store)

    def small_disk():
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # writes past the limit fail with EFBIG
        resource.setrlimit(resource.RLIMIT_FSIZE, (1024 * 1024, 1024 * 1024))

    result = svt(store, "test", "M1", "--type", "iv_curve", "--data", str(big), preexec=small_disk)
    assert result.returncode != 0
    assert "Traceback" not in result.stderr and len(result.stderr.strip().splitlines()) == 1
    assert snapshot(store) == before
    assert svt(store, "test", "M1", "--type", "iv_curve", "--data", str(big)).returncode == 0


def test_a_schema_refusal_writes_nothing(store):
    before = snapshot(store)
    result = svt(store, "connect", "M1", "M1x", "--type", "x" * 300)
    assert result.returncode == 1
    db_before = snapshot(store)
    assert db_before == before
    svt(store, "add", "--id", "M1x", "--type", "module")
    before = snapshot(store)
    result = svt(store, "connect", "M1", "M1x", "--type", "x" * 300)
    assert result.returncode == 1 and "refused" in result.stderr
    assert snapshot(store) == before


def test_users_own_changes_are_never_committed_or_lost(store, png):
    (store / "notes.txt").write_text("mine, untracked\n")
    (store / "README.local").write_text("staged\n")
    git(store, "add", "README.local")
    readme = store / "records" / "README.md"
    readme.write_text(readme.read_text() + "my unstaged edit\n")
    status_before = git(store, "status", "--porcelain")
    for args in (("test", "M1", "--type", "iv_curve", "--image", str(png)),
                 ("add", "--id", "M1", "--status", "testing"),
                 ("add", "--id", "F1", "--type", "feb")):
        result = svt(store, *args)
        assert result.returncode == 0, result.stderr
        committed = git(store, "show", "--name-only", "--format=", "HEAD").split()
        assert not {"notes.txt", "README.local", "records/README.md"} & set(committed)
    assert git(store, "status", "--porcelain") == status_before
    assert (store / "notes.txt").read_text() == "mine, untracked\n"


def test_a_record_with_uncommitted_edits_is_refused_with_advice(store):
    record = store / "records" / "module" / "M1" / "component.yaml"
    record.write_text(record.read_text() + "notes: hand edit\n")
    result = svt(store, "add", "--id", "M1", "--status", "testing")
    assert result.returncode == 1
    assert "has uncommitted changes" in result.stderr and "git checkout" in result.stderr
    assert "notes: hand edit" in record.read_text()


def _conflict(store: Path) -> None:
    git(store, "checkout", "-q", "-b", "other")
    (store / "shared.txt").write_text("theirs\n")
    git(store, "add", "shared.txt")
    git(store, "commit", "-qm", "theirs")
    git(store, "checkout", "-q", "main")
    (store / "shared.txt").write_text("ours\n")
    git(store, "add", "shared.txt")
    git(store, "commit", "-qm", "ours")


@pytest.mark.parametrize("operation,expect", [
    (["merge", "other"], "a merge is in progress"),
    (["rebase", "other"], "rebase"),
    (["cherry-pick", "other"], "a cherry-pick is in progress"),
])
def test_repositories_mid_operation_are_refused(store, operation, expect):
    _conflict(store)
    git(store, *operation, check=False)
    result = svt(store, "add", "--id", "M2", "--type", "module")
    assert result.returncode == 1
    assert expect in result.stderr and "abort" in result.stderr


def test_a_stale_index_lock_is_refused_with_advice(store):
    (store / ".git" / "index.lock").write_text("")
    result = svt(store, "add", "--id", "M2", "--type", "module")
    assert result.returncode == 1
    assert "index.lock exists" in result.stderr and "delete that file" in result.stderr


def test_conflict_markers_in_a_record_are_refused_at_their_line(store):
    record = store / "records" / "module" / "M1" / "component.yaml"
    lines = record.read_text().splitlines()
    lines[4:5] = ["<<<<<<< HEAD", lines[4], "=======", "status: failed", ">>>>>>> other"]
    record.write_text("\n".join(lines) + "\n")
    result = svt(store, "show", "M1")
    assert result.returncode == 1
    assert "records/module/M1/component.yaml:5:1" in result.stderr
    assert "merge conflict markers" in result.stderr


def test_a_record_changed_between_read_and_write_is_not_overwritten(db, monkeypatch):
    from svt_records.store.base import StoreBase
    db.save_component("M1", {"type": "module", "status": "spare"})
    original = StoreBase.read_component

    edits = []

    def read_then_someone_edits(self, cid):
        found = original(self, cid)
        if edits:
            return found
        edits.append(cid)
        path = found.folder / "component.yaml"  # another program edits and commits it meanwhile
        path.write_text(path.read_text().replace("status: spare", "status: lost"))
        subprocess.run(["git", "commit", "-qam", "edit elsewhere"], cwd=self.root, check=True)
        return found

    monkeypatch.setattr(StoreBase, "read_component", read_then_someone_edits)
    with pytest.raises(Exception) as caught:
        db.install("M1", "Layer0_top_axial")
    assert "changed on disk" in str(caught.value)
    assert "status: lost" in (db.root / "records/module/M1/component.yaml").read_text()


BAD_INPUT = [
    (["add", "--id", "A/B", "--type", "module"], "cannot use in a folder name"),
    (["add", "--id", "..", "--type", "module"], "cannot use in a folder name"),
    (["add", "--id", "A\x07B", "--type", "module"], "cannot use in a folder name"),
    (["add", "--id", ".hidden", "--type", "module"], "cannot use in a folder name"),
    (["add", "--id", " M3", "--type", "module"], "cannot use in a folder name"),
    (["add", "--id", "M" * 65, "--type", "module"], "use at most 64"),
    (["add", "--id", "m1", "--type", "module"], "differs from the existing 'M1' only in case"),
    (["add", "--id", "M3", "--type", "modul"], "Invalid value for '--type'"),
    (["add", "--id", "M3", "--type", "module", "--status", "broken"], "Invalid value for '--status'"),
    (["install", "M1", "Layer9_top_axial"], "not a module position"),
    (["install", "M1", "Layer5_top_axial"], "layers 4-7 need a side"),
    (["test", "M1", "--type", "iv curve!"], "test type 'iv curve!' is not usable"),
    (["test", "M1", "--type", "iv", "--pass", "--fail"], "--pass and --fail together"),
    (["test", "M1", "--type", "iv", "--image", "/no/such/file.png"], "does not exist"),
    (["test", "M1", "--type", "iv", "--image", "/"], "is a folder"),
    (["test", "M1", "--type", "iv", "--voltage", "nan"], "give a finite number"),
    (["test", "M1", "--type", "iv", "--measure", "x=inf"], "give a finite number"),
    (["test", "M1", "--type", "iv", "--measure", "novalue"], "is not NAME=VALUE"),
]


@pytest.mark.parametrize("args,message", BAD_INPUT,
                         ids=[" ".join(a)[:40].encode("ascii", "replace").decode() for a, _ in BAD_INPUT])
def test_bad_input_is_refused_in_one_line_before_anything_is_written(store, args, message):
    before = snapshot(store)
    result = svt(store, *args)
    assert result.returncode != 0
    assert message in result.stderr, result.stderr
    assert "Traceback" not in result.stderr
    assert len([l for l in result.stderr.splitlines() if l.startswith("Error")]) == 1
    assert snapshot(store) == before


def test_fifos_and_oversized_files_are_refused(store, tmp_path, png):
    fifo = tmp_path / "pipe.png"
    os.mkfifo(fifo)
    result = svt(store, "test", "M1", "--type", "iv", "--image", str(fifo))
    assert result.returncode == 1 and "not a regular file" in result.stderr
    config = store / "svt.yaml"
    config.write_text(config.read_text() + "max_file_mb: 0.00001\n")
    git(store, "commit", "-qam", "tiny file limit")
    result = svt(store, "test", "M1", "--type", "iv", "--image", str(png))
    assert result.returncode == 1 and "Git LFS" in result.stderr


@pytest.mark.parametrize("text,message", [
    ("a: &a [x,x,x,x,x,x,x,x,x]\nb: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]\nc: [*b,*b,*b,*b,*b,*b]\n",
     "anchor"),
    ("a: " + "[" * 10000 + "]" * 10000 + "\n", "nesting"),
    ("a: " + "x" * (50 * 1024 * 1024) + "\n", "limited to"),
    ("!!python/object/apply:os.system ['touch /tmp/pwned']\n", "tag"),
], ids=["billion-laughs", "deep-nesting", "huge-scalar", "python-tag"])
def test_yaml_bombs_are_refused_quickly(store, text, message):
    record = store / "records" / "module" / "M1" / "component.yaml"
    record.write_text(text)
    started = time.monotonic()
    result = svt(store, "validate")
    assert result.returncode == 1
    assert message in result.stdout
    assert time.monotonic() - started < 30  # bounded, not a benchmark
    assert not Path("/tmp/pwned").exists()


def test_symlinked_records_are_refused_and_never_followed(store, tmp_path):
    outside = tmp_path / "outside.yaml"
    outside.write_text("id: M1\ntype: module\nstatus: spare\n")
    record = store / "records" / "module" / "M1" / "component.yaml"
    record.unlink()
    record.symlink_to(outside)
    result = svt(store, "show", "M1")
    assert result.returncode == 1 and "symbolic link" in result.stderr
    result = svt(store, "add", "--id", "M1", "--status", "failed")
    assert result.returncode == 1
    assert outside.read_text() == "id: M1\ntype: module\nstatus: spare\n"


def test_stored_file_paths_cannot_leave_the_folder(store, png, svt_proc):
    svt(store, "test", "M1", "--type", "iv_curve", "--image", str(png))
    event = next(store.glob("records/module/M1/*/*_iv_curve_*.yaml"))
    text = event.read_text()
    name = next(l.split(": ")[1] for l in text.splitlines() if "path:" in l)
    event.write_text(text.replace(name, "../../../../svt.yaml"))
    result = svt(store, "validate")
    assert result.returncode == 1 and "files.0.path" in result.stdout
