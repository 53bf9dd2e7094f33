"""git's index after svt's commits (git/staging.py): written in-process where indexwrite can,
by git on a copy where it cannot, by git alone where a setting says so; always agreeing with
HEAD at svt's paths, the user's own staged changes kept."""
from __future__ import annotations

from pathlib import Path

import pytest

from svt_records.git import ownwrites
from tests.conftest import git


def links(store: Path) -> int:
    path = store / ".git" / "svt" / ownwrites.NAME
    return len(path.read_text().splitlines()) if path.exists() else 0


def assert_index_is_heads(store: Path) -> None:
    """git's index holds HEAD's tree (but for what the user staged), git agrees the work
    tree is clean, and the repository checks out."""
    assert git(store, "status", "--porcelain") == ""
    assert git(store, "write-tree") == git(store, "rev-parse", "HEAD^{tree}")
    git(store, "fsck", "--no-progress")


def writes(svt_proc, png: Path) -> None:
    """A mix of svt writes: new files, replaced ones, files copied in, files moved away."""
    for cid, ctype in (("M-1", "module"), ("S-1", "sensor"), ("H-1", "hybrid")):
        svt_proc("add", "--id", cid, "--type", ctype, "--status", "spare")
    svt_proc("test", "S-1", "--type", "iv_curve", "--pass", "--image", str(png))
    svt_proc("add", "--id", "S-1", "--status", "testing")
    svt_proc("assemble", "M-1", "--sensor", "S-1", "--hybrid", "H-1")
    svt_proc("add", "--id", "X-1", "--type", "cable", "--status", "spare")
    svt_proc("test", "X-1", "--type", "iv_curve", "--fail")
    svt_proc("retype", "X-1", "feb")


def test_svts_writes_leave_gits_index_as_head_has_it(store_path, svt_proc, png):
    before = links(store_path)
    writes(svt_proc, png)
    assert_index_is_heads(store_path)
    assert links(store_path) - before == 9  # one link per commit: each index was svt's


def test_the_users_staged_change_stays_staged(store_path, svt_proc, png):
    note = store_path / "notes.txt"
    note.write_text("staged by hand\n")
    git(store_path, "add", "notes.txt")
    writes(svt_proc, png)
    assert git(store_path, "status", "--porcelain") == "A  notes.txt\n"
    assert "notes.txt" not in git(store_path, "ls-tree", "-r", "--name-only", "HEAD")


def test_an_index_indexwrite_declines_is_written_by_git_under_svts_lock(
        store_path, svt_proc, png):
    """A skip-worktree entry makes git write index version 3, which indexwrite leaves to
    git: git writes a copy while svt holds the lock, so the commits are still linked."""
    git(store_path, "update-index", "--skip-worktree", "svt.yaml")
    assert (store_path / ".git" / "index").read_bytes()[4:8] == (3).to_bytes(4, "big")
    before = links(store_path)
    writes(svt_proc, png)
    assert git(store_path, "status", "--porcelain") == ""
    assert git(store_path, "ls-files", "-v", "svt.yaml").startswith("S ")
    assert links(store_path) - before == 9
    assert not (store_path / ".git" / "svt" / "index.copy").exists()


def test_a_split_index_is_left_to_git_and_not_linked(store_path, svt_proc, png):
    git(store_path, "config", "core.splitIndex", "true")
    git(store_path, "update-index", "--split-index")
    before = links(store_path)
    writes(svt_proc, png)
    assert_index_is_heads(store_path)
    assert links(store_path) == before
    assert list((store_path / ".git").glob("sharedindex.*"))


@pytest.mark.parametrize("chunk", [1, 7, 4096])
def test_pieces_are_written_whole_whatever_each_write_takes(tmp_path, monkeypatch, chunk):
    """os.writev may write fewer bytes than asked (and Windows has none: os.write then):
    the index written from pieces is every byte of them, in order."""
    import os
    from svt_records.git import staging
    pieces = [b"DIRC", memoryview(b"0123456789" * 50)[3:400], b"", bytes(range(256)) * 3]
    real_write = os.write

    def short_writev(fd, parts):  # writes at most ``chunk`` bytes of what it is given
        data = b"".join(bytes(p) for p in parts)[:chunk]
        return real_write(fd, data)

    for writev in (short_writev, None):
        out = tmp_path / f"out-{writev is None}"
        if writev is None:
            monkeypatch.delattr(os, "writev")
            monkeypatch.setattr(os, "write", lambda fd, d: real_write(fd, bytes(d)[:chunk]))
        else:
            monkeypatch.setattr(os, "writev", writev)
        fd = os.open(out, os.O_WRONLY | os.O_CREAT)
        try:
            staging._write_all(fd, list(pieces))
        finally:
            os.close(fd)
        assert out.read_bytes() == b"".join(bytes(p) for p in pieces)


def test_a_post_index_change_hook_still_runs(store_path, svt_proc, tmp_path):
    """git runs post-index-change after it writes the index; svt writing the index itself
    would skip it, so with the hook present git writes it (the hook runs) and no link is
    recorded."""
    ran = tmp_path / "hook-ran"
    hook = store_path / ".git" / "hooks" / "post-index-change"
    hook.parent.mkdir(exist_ok=True)
    hook.write_text(f"#!/bin/sh\necho \"$@\" >> '{ran}'\n")
    hook.chmod(0o755)
    before = links(store_path)
    svt_proc("add", "--id", "M-1", "--type", "module")
    assert ran.exists()
    assert links(store_path) == before
    assert_index_is_heads(store_path)


@pytest.mark.parametrize("spare", [True, False], ids=["over the spare", "into index.lock"])
@pytest.mark.parametrize("fails", ["writev", "sha1"])
def test_a_failure_while_writing_the_index_leaves_no_lock_and_git_finishes(
        store_path, monkeypatch, fails, spare):
    """The disk fills while the index is written, or the thread hashing it fails: the new
    file is never renamed into place, git's lock is removed, and the change (its commit has
    landed) has git bring the index in step, so `git status` stays clean. The same whether
    the index before last is written over or git's index.lock (no spare to use)."""
    import errno
    import hashlib
    import os

    from svt_records import Database
    db = Database(store_path)
    db.save_component("FEB-001", {"type": "feb", "status": "spare"})
    if not spare:
        from svt_records.git import indexspare
        monkeypatch.setattr(indexspare, "open_spare", lambda *args: None)
    failed = []

    class Broken:
        def update(self, data: object) -> None:
            failed.append("sha1")
            raise MemoryError("hashing failed")

    if fails == "writev":
        def full(fd: int, pieces: object) -> int:
            failed.append("writev")
            raise OSError(errno.ENOSPC, "No space left on device")
        monkeypatch.setattr(os, "writev", full)
    else:  # the index is hashed piece by piece (sha1() then update); object ids as usual
        real_sha1 = hashlib.sha1
        monkeypatch.setattr(hashlib, "sha1", lambda *data: real_sha1(*data) if data else Broken())
    db.save_component("FEB-002", {"type": "feb", "status": "spare"})
    monkeypatch.undo()
    assert failed and failed[0] == fails
    assert not (store_path / ".git" / "index.lock").exists()
    assert git(store_path, "status", "--porcelain") == ""
    assert "add FEB-002" in git(store_path, "log", "-1", "--format=%s")
    assert git(store_path, "ls-files", "records/feb/FEB-002/component.yaml").strip()
