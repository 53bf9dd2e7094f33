"""The `svt` program leaves without Python's teardown of its modules (cli.entry): what that
teardown would have done must still happen. Each test runs the real program."""
from __future__ import annotations

import os
import subprocess
import sys

import pytest

from svt_records import Database
from svt_records.git import indexcache

SVT = [sys.executable, "-m", "svt_records"]


def test_every_line_of_a_long_output_reaches_a_file(store_path, tmp_path):
    db = Database(store_path)
    ids = [f"FEB-{n:03d}" for n in range(120)]
    for cid in ids:
        db.save_component(cid, {"type": "feb", "status": "spare", "notes": "x" * 200})
    out = tmp_path / "list.csv"
    with open(out, "wb") as fh:  # a file: Python buffers stdout in blocks, not lines
        proc = subprocess.run([*SVT, "list", "--format", "csv"], stdout=fh,
                              stderr=subprocess.PIPE, text=False)
    assert proc.returncode == 0, proc.stderr
    lines = out.read_text().splitlines()
    assert [line.split(",")[0] for line in lines[1:]] == ids
    assert out.read_bytes().endswith(b"\n")


def test_an_error_keeps_its_exit_status_and_its_one_line(store_path):
    proc = subprocess.run([*SVT, "show", "NO-SUCH-1"], capture_output=True, text=True)
    assert proc.returncode == 1
    assert proc.stdout == ""
    assert len(proc.stderr.strip().splitlines()) == 1 and "NO-SUCH-1" in proc.stderr


def test_a_reader_that_stops_early_is_no_error(store_path):
    """The reader of svt's output closes it before svt writes (`svt list | head -1` when
    the list is long): no traceback, exit 0, for a command's output and for --help."""
    Database(store_path).save_component("FEB-001", {"type": "feb", "status": "spare"})
    for args in (["list", "--format", "csv"], ["show", "FEB-001"], ["--help"]):
        proc = subprocess.Popen([*SVT, *args], stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE)
        assert proc.stdout is not None and proc.stderr is not None
        proc.stdout.close()  # the reader is gone before svt has started
        err = proc.stderr.read().decode()
        assert proc.wait() == 0, (args, err)
        assert err == "", (args, err)


@pytest.mark.skipif(not os.path.exists("/dev/full"), reason="no /dev/full (Linux's full disk)")
def test_output_to_a_full_disk_is_one_line_and_status_120(store_path):
    """As Python has it for a failed flush: the error in one line on stderr, no "Internal
    error", for a command's output and for click's own (--help)."""
    Database(store_path).save_component("FEB-001", {"type": "feb", "status": "spare"})
    for args in (["list"], ["show", "FEB-001"], ["--help"]):
        with open("/dev/full", "w") as full:
            proc = subprocess.run([*SVT, *args], stdout=full, stderr=subprocess.PIPE,
                                  text=True)
        assert proc.returncode == 120, (args, proc.stderr)
        assert proc.stderr.splitlines() == [
            "Error: could not write svt's output: No space left on device"], args


def test_a_write_leaves_git_and_the_index_cache_complete(store_path, svt_proc, gitcmd):
    """The index cache is written on another thread after git's index (git/staging.py):
    the program waits for it before leaving, so the next write proves it and git agrees."""
    svt_proc("add", "--id", "FEB-001", "--type", "feb", "--status", "spare")
    svt_proc("add", "--id", "FEB-002", "--type", "feb", "--status", "spare")
    assert gitcmd(store_path, "status", "--porcelain") == ""
    cache = store_path / ".git" / "svt"
    data = (store_path / ".git" / "index").read_bytes()
    found = indexcache.read_cache(cache, data, int.from_bytes(data[8:12], "big"))
    assert found is not None and found[2], "the cache is not the table of git's index"
    assert not [p.name for p in cache.iterdir() if p.name.startswith(".index-entries")]
