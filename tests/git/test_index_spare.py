"""The index before last, written over by the next write (git/indexspare.py): only when
nothing else has it open and it is svt's own plain file; git's index always whole."""
from __future__ import annotations

import os
from pathlib import Path

from svt_records.git import indexspare
from tests.git.test_staging import assert_index_is_heads


def _spare(store: Path) -> Path:
    return store / ".git" / "svt" / indexspare.NAME


def _add(svt_proc, cid: str) -> None:
    svt_proc("add", "--id", cid, "--type", "feb", "--status", "spare")


def test_each_write_goes_over_the_index_before_last(store_path, svt_proc):
    index = store_path / ".git" / "index"
    _add(svt_proc, "F-1")
    _add(svt_proc, "F-2")  # the first write made the spare; this one wrote over it
    for cid in ("F-3", "F-4"):
        spare_before, index_before = _spare(store_path).stat(), index.stat()
        _add(svt_proc, cid)
        assert index.stat().st_ino == spare_before.st_ino
        assert _spare(store_path).stat().st_ino == index_before.st_ino
        assert_index_is_heads(store_path)
    assert not (store_path / ".git" / "index.lock").exists()
    assert not (store_path / ".git" / "svt" / "index-spare.aside").exists()


def test_a_spare_someone_has_open_is_left_as_it_is(store_path, svt_proc):
    """A reader that opened the index just before it was replaced still reads it whole."""
    _add(svt_proc, "F-1")
    _add(svt_proc, "F-2")
    with open(_spare(store_path), "rb") as reader:
        held = reader.read()
        _add(svt_proc, "F-3")
        assert os.pread(reader.fileno(), len(held) + 1, 0) == held
        assert os.fstat(reader.fileno()).st_ino != (store_path / ".git" / "index").stat().st_ino
    assert_index_is_heads(store_path)


def test_a_spare_with_a_second_name_is_left_as_it_is(store_path, svt_proc, tmp_path):
    _add(svt_proc, "F-1")
    _add(svt_proc, "F-2")
    other = tmp_path / "hard-link"
    os.link(_spare(store_path), other)
    held = other.read_bytes()
    _add(svt_proc, "F-3")
    assert other.read_bytes() == held
    assert_index_is_heads(store_path)


def test_a_spare_that_is_a_symbolic_link_is_not_followed(store_path, svt_proc, tmp_path):
    _add(svt_proc, "F-1")
    outside = tmp_path / "outside"
    outside.write_bytes(b"not svt's\n")
    _spare(store_path).unlink()
    _spare(store_path).symlink_to(outside)
    _add(svt_proc, "F-2")
    assert outside.read_bytes() == b"not svt's\n"
    assert not _spare(store_path).is_symlink()  # the replaced index took the name
    assert_index_is_heads(store_path)


def test_an_index_shorter_than_the_spare_is_cut_to_its_own_length(store_path, svt_proc):
    """Records added, then commits taken back: an index is written over a longer one. git
    checks the whole file against its trailer (fsck)."""
    index = store_path / ".git" / "index"
    for cid in ("F-1", "F-2", "F-3"):
        _add(svt_proc, cid)
    shorter = False
    for _ in range(3):
        spare = _spare(store_path).stat()
        svt_proc("undo")
        assert index.stat().st_ino == spare.st_ino
        shorter = shorter or index.stat().st_size < spare.st_size
        assert_index_is_heads(store_path)
    assert shorter


def test_what_a_crash_left_aside_is_cleared(store_path, svt_proc):
    _add(svt_proc, "F-1")
    aside = store_path / ".git" / "svt" / "index-spare.aside"
    aside.write_bytes(b"half of an index")
    _add(svt_proc, "F-2")
    _add(svt_proc, "F-3")
    assert not aside.exists()
    assert_index_is_heads(store_path)


def test_no_spare_is_kept_where_there_are_no_leases(store_path, svt, monkeypatch):
    """(macOS, Windows: the spare could never be proven unread, so it would only take room.)"""
    monkeypatch.setattr(indexspare, "_leases", lambda: False)
    svt("add", "--id", "F-1", "--type", "feb", "--status", "spare")
    svt("add", "--id", "F-2", "--type", "feb", "--status", "spare")
    assert not _spare(store_path).exists()
    assert_index_is_heads(store_path)


def test_the_lease_is_held_while_the_spare_is_written(store_path, svt, monkeypatch):
    """An open of the spare while it is written (through /proc, or one already under way)
    waits for the lease to go, at close: the lease must still be held during the write."""
    import fcntl

    from svt_records.git import staging
    seen = []
    write = staging._write_hashed

    def watched(fd, pieces, meanwhile=lambda: None):
        seen.append(fcntl.fcntl(fd, fcntl.F_GETLEASE))
        return write(fd, pieces, meanwhile)
    monkeypatch.setattr(staging, "_write_hashed", watched)
    for cid in ("F-1", "F-2", "F-3"):
        svt("add", "--id", cid, "--type", "feb", "--status", "spare")
    assert fcntl.F_WRLCK in seen[1:], seen  # the spare's writes, after the first
    assert_index_is_heads(store_path)


def test_no_spare_is_written_over_off_a_local_file_system(store_path, svt, monkeypatch):
    """(sshfs, a network file system: their leases do not see readers elsewhere.)"""
    svt("add", "--id", "F-1", "--type", "feb", "--status", "spare")
    svt("add", "--id", "F-2", "--type", "feb", "--status", "spare")
    assert _spare(store_path).exists()  # local here
    monkeypatch.setattr(indexspare, "_local_devices", {})
    monkeypatch.setattr(indexspare, "_LOCAL", frozenset())
    spare = _spare(store_path).stat()
    svt("add", "--id", "F-3", "--type", "feb", "--status", "spare")
    assert (store_path / ".git" / "index").stat().st_ino != spare.st_ino  # not written over
    assert _spare(store_path).stat().st_ino == spare.st_ino  # nor the replaced index kept
    assert_index_is_heads(store_path)


def test_a_lock_taken_after_the_rename_is_not_svts_to_remove(store_path, svt, monkeypatch):
    """Interrupted after git's index.lock became the index: a git that took the lock since
    keeps it."""
    svt("add", "--id", "F-1", "--type", "feb", "--status", "spare")
    monkeypatch.setattr(indexspare, "open_spare", lambda *args: None)  # through index.lock
    lock = store_path / ".git" / "index.lock"

    def interrupted(kept, svt_dir):
        lock.write_text("another git's\n")
        raise KeyboardInterrupt
    monkeypatch.setattr(indexspare, "keep", interrupted)
    assert svt("add", "--id", "F-2", "--type", "feb", "--status", "spare",
               ok=False).exit_code != 0  # (click's runner: "Aborted!")
    assert lock.read_text() == "another git's\n"
