"""Reads load only what they use (issue 28): `svt show` with HEAD where the index last saw
it, and `svt show-test COMPONENT:ID`, run no git process, so they load neither subprocess
nor OpenSSL's hashlib nor shutil; show-test by a component's id does not open the index
(sqlite3). And the hashes svt takes without OpenSSL are hashlib's."""
from __future__ import annotations

import hashlib
import subprocess
import sys

from hypothesis import given, settings, strategies as st

from svt_records.api.database import Database
from svt_records.model.hashing import sha1_hex, sha256_hex

HEAVY = ("subprocess", "_hashlib", "shutil", "sqlite3", "mmap")


def _loaded_after(*commands: list[str]) -> list[str]:
    """The modules of HEAVY loaded after running ``commands`` in one fresh process."""
    code = ("import sys, io, contextlib\nfrom svt_records.cli import main\n"
            f"for args in {list(commands)!r}:\n"
            "    with contextlib.redirect_stdout(io.StringIO()):\n"
            "        assert main(args) == 0, args\n"
            f"print(sorted(m for m in {HEAVY!r} if m in sys.modules))\n")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True).stdout
    return eval(out.splitlines()[-1])  # a list of names printed by the child


def test_show_and_show_test_load_no_git_machinery(svt, store_path):
    svt("add", "--id", "M-1", "--type", "module")
    svt("test", "M-1", "--type", "iv_curve", "--pass", "--voltage", "100")
    test_id = Database(store_path).tests("M-1")[0]["id"]
    svt("show", "M-1")  # the index learns HEAD's history: the next show needs no git
    assert _loaded_after(["show-test", f"M-1:{test_id}"]) == []
    assert _loaded_after(["show", "M-1"]) == ["sqlite3"]  # its history is in the index


@settings(max_examples=200, deadline=None)
@given(st.binary(max_size=4096))
def test_hashes_without_openssl_are_hashlibs(data):
    assert sha1_hex(data) == hashlib.sha1(data).hexdigest()
    assert sha256_hex(data) == hashlib.sha256(data).hexdigest()


def test_large_inputs_hash_alike_on_both_sides_of_the_threshold():
    for size in (1 << 20, (1 << 20) + 1):
        data = bytes(range(256)) * (size // 256) + b"x" * (size % 256)
        assert sha1_hex(data) == hashlib.sha1(data).hexdigest()
        assert sha256_hex(data) == hashlib.sha256(data).hexdigest()


def test_writes_of_records_load_no_shutil(svt, store_path):
    """A change keeps the records it replaces as second links (store/txn.py), and clears
    its journal's flat folder itself: shutil (which loads bz2 and lzma) only for copies."""
    svt("add", "--id", "M-1", "--type", "module")
    loaded = _loaded_after(["add", "--id", "F-1", "--type", "feb"],
                           ["location", "M-1", "Clean room"],
                           ["test", "M-1", "--type", "iv_curve", "--pass"])
    assert "shutil" not in loaded and "subprocess" in loaded
    assert (Database(store_path).get_component("M-1") or {})["location"] == "Clean room"
