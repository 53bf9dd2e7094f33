"""git's index updated in-process (git/indexwrite.py) is byte for byte what `git
update-index --add` / `--force-remove` writes, racy entries included; its table of entry
offsets is used when it proves right and rebuilt when not; whatever it does not model is
left to git (None)."""
from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import tempfile
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from svt_records.git import indexcache, indexwrite, staging
from svt_records.git.indexwrite import Staged

NAMES = ["a", "a.b", "a0", "a/b", "a/c/d", "b/x.yaml", "b/y/z.yaml", "b-c/q", "bb", "ü/v",
         "records/m/M-1/component.yaml", "records/m/M-1/2025/t.yaml", "records/m/M-10/c",
         "records/m/M-2/component.yaml", "records/s/S-1/c"]
T0 = 1_700_000_000  # a fixed second: files and index pinned around it make racy entries


def git(root: Path, *args: str, input: bytes | None = None,
        env: dict[str, str] | None = None) -> str:
    return subprocess.run(["git", *args], cwd=root, check=True, capture_output=True,
                          input=input, env={**os.environ, **(env or {})}).stdout.decode()


def new_repo(root: Path) -> None:
    git(root, "init", "-q")
    git(root, "config", "user.name", "T")
    git(root, "config", "user.email", "t@example.org")


def updated(data: bytes, index_mtime_ns: int, root: Path, staged: list[Staged],
            removed: list[str], cache_dir: Path | None) -> bytes | None:
    """The file svt writes for the index ``data``, written as svt writes it (the pieces and
    their SHA-1, staging._write_hashed; the table kept); ``data`` itself where git would
    not write, None where git must."""
    found = indexwrite.updated_pieces(data, index_mtime_ns, root, staged, removed, cache_dir)
    if not isinstance(found, indexwrite.Pieces):
        return found
    with tempfile.TemporaryFile() as out:
        trailer = staging._write_hashed(out.fileno(), found.body, found.prepare)
        found.keep(trailer)
        out.seek(0)
        return out.read()


def blob_id(path: Path) -> bytes:
    content = os.readlink(path).encode() if path.is_symlink() else path.read_bytes()
    return hashlib.sha1(b"blob %d\0" % len(content) + content).digest()


def staged_of(root: Path, name: str) -> Staged:
    path = root / name
    st_ = os.lstat(path)
    mode = 0o120000 if path.is_symlink() else (0o100755 if st_.st_mode & 0o100 else 0o100644)
    return Staged(name, mode, blob_id(path), st_)


def conflicts(names: set[str], name: str) -> bool:
    """A file on the way to ``name``, or files under it."""
    parts = name.split("/")
    return any("/".join(parts[:k]) in names for k in range(1, len(parts))) \
        or any(n.startswith(name + "/") for n in names)


def write(root: Path, name: str, content: str, when: int | None) -> None:
    path = root / name
    path.parent.mkdir(parents=True, exist_ok=True)
    if path.is_symlink() or (path.exists() and content.startswith("->")):
        path.unlink()  # else written in place: the same inode, as an editor may
    if content.startswith("->"):
        os.symlink(content[2:], path)
    else:
        path.write_text(content)
        if content.endswith("!"):
            path.chmod(0o755)
    if when is not None:
        os.utime(path, (when, when), follow_symlinks=False)


def compare(root: Path, paths: list[str], gone: list[str], index_time: int | None,
            cache: Path | None) -> bytes | None:
    """Run git and updated() on two copies of the index; both results must be equal."""
    index = root / ".git" / "index"
    if index_time is not None:
        os.utime(index, (index_time, index_time))
    copy_a, copy_b = root / ".git" / "index-a", root / ".git" / "index-b"
    shutil.copy2(index, copy_a)
    shutil.copy2(index, copy_b)
    env = {"GIT_INDEX_FILE": str(copy_a)}
    for flag, names in (("--add", paths), ("--force-remove", gone)):
        if names:
            git(root, "update-index", flag, "-z", "--stdin", env=env,
                input=("\0".join(names) + "\0").encode())
    data = copy_b.read_bytes()
    got = updated(data, os.stat(copy_b).st_mtime_ns, root,
                             [staged_of(root, p) for p in paths], gone, cache)
    assert got is not None, (paths, gone)
    assert got == copy_a.read_bytes()
    if got is data:
        assert os.stat(copy_a).st_mtime_ns == os.stat(copy_b).st_mtime_ns  # git did not write
    statuses = []
    for result in (copy_a.read_bytes(), got):  # git's, then ours, installed as the index
        index.write_bytes(result)
        git(root, "fsck", "--no-progress", "--no-dangling")
        statuses.append(git(root, "status", "--porcelain", "-uall"))
    assert statuses[0] == statuses[1]
    return got


OPS = st.lists(st.one_of(
    st.tuples(st.just("write"), st.integers(0, len(NAMES) - 1),
              st.sampled_from(["x\n", "y\n", "yy\n", "x!", "->a", "->b", ""]),
              st.sampled_from([None, T0 - 5, T0, T0 + 1])),
    st.tuples(st.sampled_from(["add", "rm", "delete", "sneak"]), st.integers(0, len(NAMES) - 1),
              st.just(""), st.just(None)),
    st.tuples(st.sampled_from(["commit", "write-tree", "refresh"]), st.just(0), st.just(""),
              st.just(None)),
), min_size=1, max_size=12)
CONTENT = st.sampled_from([None, "x\n", "y\n", "yy\n", "x!", "->a", ""])
UPDATE = st.tuples(st.sets(st.integers(0, len(NAMES) - 1), min_size=1, max_size=4),
                   st.sets(st.integers(0, len(NAMES) - 1), max_size=2),
                   st.sampled_from([None, T0 - 1, T0, T0 + 1]), CONTENT,
                   st.sampled_from([None, T0 - 1, T0, T0 + 1]),
                   st.sets(st.integers(0, len(NAMES) - 1), max_size=3))


def apply(root: Path, op: str, n: int, content: str, when: int | None) -> None:
    name = NAMES[n]
    tracked = set(git(root, "ls-files", "-z").split("\0")) - {""}
    present = {p for p in NAMES if (root / p).is_file() or (root / p).is_symlink()}
    if op == "write" and not conflicts((present | tracked) - {name}, name):
        write(root, name, content, when)
    elif op == "add" and name in present and not conflicts(tracked, name):
        git(root, "add", "--", name)
    elif op == "rm" and name in tracked:
        git(root, "rm", "-q", "-f", "--cached", "--", name)
    elif op == "sneak" and (root / name).is_file() and not (root / name).is_symlink():
        path = root / name  # the same size and mtime, other content: only racy git sees it
        before = path.stat()
        old = path.read_bytes()
        path.write_bytes(bytes(b ^ 1 for b in old) if old else b"")
        os.utime(path, ns=(before.st_atime_ns, before.st_mtime_ns))
    elif op == "delete" and name in present:
        (root / name).unlink()
    elif op == "commit":
        git(root, "commit", "-q", "--allow-empty", "-m", "c")
    elif op == "write-tree":
        git(root, "write-tree")
    elif op == "refresh":
        git(root, "update-index", "-q", "--refresh")


@settings(max_examples=60, deadline=None)
@given(base=st.lists(st.tuples(st.integers(0, len(NAMES) - 1), CONTENT.filter(bool),
                              st.sampled_from([T0 - 5, T0, T0 + 1])), max_size=8),
       ops=OPS, updates=st.lists(UPDATE, min_size=1, max_size=3), cached=st.booleans())
def test_the_update_is_byte_for_byte_what_git_writes(base, ops, updates, cached):
    """Random work trees and indexes (names sorting around each other, links, executable
    files, a cache tree or none, entries made racy by pinning mtimes to the index's
    second); then files written and staged, and others removed, as svt does."""
    with tempfile.TemporaryDirectory(prefix="svt-indexwrite-") as tmp:
        root = Path(tmp)
        new_repo(root)
        write(root, "seed", "seed\n", None)
        for n, content, when in base:
            apply(root, "write", n, content, when)
        git(root, "add", "-A")
        cache = root / ".git" / "svt"
        cache.mkdir()
        for op in ops:
            apply(root, *op)
        for add, remove, index_time, content, when, sneaks in updates:
            for n in sneaks:
                apply(root, "sneak", n, "", None)
            if content is not None:
                for n in sorted(add):
                    apply(root, "write", n, content, when)
            present = {p for p in NAMES if (root / p).is_file() or (root / p).is_symlink()}
            tracked = set(git(root, "ls-files", "-z").split("\0")) - {""}
            paths = [NAMES[n] for n in sorted(add) if NAMES[n] in present
                     and not conflicts(tracked | present, NAMES[n])]
            gone = [NAMES[n] for n in sorted(remove) if NAMES[n] not in paths]
            compare(root, paths, gone, index_time, cache if cached else None)


def test_racy_entries_are_smudged_as_git_smudges_them(tmp_path):
    """Files changed within the second the index was written, keeping their size and
    mtime: git writes their size as 0 at the next write, and so does this."""
    new_repo(tmp_path)
    for name in ("r1", "r2", "d/r3", "new"):
        write(tmp_path, name, "same\n", T0)
    git(tmp_path, "add", "r1", "r2", "d/r3")
    index = tmp_path / ".git" / "index"
    os.utime(index, (T0, T0))
    write(tmp_path, "r1", "diff\n", T0)  # same size, same mtime: looks clean, is not
    os.utime(tmp_path / "d" / "r3", (T0 + 1, T0 + 1))  # stat differs: git looks anyway
    got = compare(tmp_path, ["new"], [], T0, None)
    assert got is not None
    sizes = {name: got[at + 36:at + 40] for name in (b"r1", b"r2", b"d/r3")
             for at in [got.index(len(name).to_bytes(2, "big") + name + b"\0") - 60]}
    assert sizes == {b"r1": bytes(4), b"r2": (5).to_bytes(4, "big"),
                     b"d/r3": (5).to_bytes(4, "big")}


def test_nothing_to_change_returns_the_same_bytes(tmp_path):
    new_repo(tmp_path)
    write(tmp_path, "a", "a\n", T0 - 10)
    git(tmp_path, "add", "a")
    data = (tmp_path / ".git" / "index").read_bytes()
    got = updated(data, (T0 + 5) * 10**9, tmp_path, [staged_of(tmp_path, "a")],
                             [], None)
    assert got is data


def index_with_tree(root: Path, count: int) -> bytes:
    new_repo(root)
    for i in range(count):
        write(root, f"d{i % 3}/f{i:03d}", f"{i}\n", T0 - 100)
    git(root, "add", ".")
    git(root, "commit", "-q", "-m", "c")
    return (root / ".git" / "index").read_bytes()


def test_the_cache_is_used_when_it_proves_right_and_rebuilt_when_not(tmp_path, monkeypatch):
    index_with_tree(tmp_path, 30)
    cache = tmp_path / ".git" / "svt"
    cache.mkdir()
    seen: list[str] = []  # how each update found the entries
    real_read, real_walk = indexwrite.read_cache, indexwrite.walk

    def read(*args):
        found = real_read(*args)
        seen.append("exact" if found and found[2] else "layout" if found and found[0]
                    else "rejected")
        return found

    monkeypatch.setattr(indexwrite, "read_cache", read)
    monkeypatch.setattr(indexwrite, "walk", lambda *a: seen.append("walk") or real_walk(*a))

    def update(name: str, content: str) -> None:
        write(tmp_path, name, content, T0 - 50)
        assert compare(tmp_path, [name], [], T0, cache) is not None  # installs the result

    update("d0/new", "n\n")  # no cache yet: walked, and the table kept
    assert seen == ["rejected", "walk"] and (cache / indexcache.CACHE_NAME).exists()
    update("d1/f001", "changed\n")  # the file svt wrote last: its table as it is
    assert seen[2:] == ["exact"]
    write(tmp_path, "d2/f002", "git's\n", T0 - 40)
    git(tmp_path, "add", "d2/f002")  # git rewrites the index: same layout, new stat data
    update("d0/f000", "z\n")
    assert seen[3:] == ["layout"]
    write(tmp_path, "d2/zz", "behind its back\n", T0 - 40)
    git(tmp_path, "add", "d2/zz")  # one more entry: the table is refused, walked again
    update("d1/f004", "x\n")
    assert seen[4:] == ["rejected", "walk"]
    # the same number of entries, other name lengths: refused
    git(tmp_path, "rm", "-q", "--cached", "d2/zz")
    write(tmp_path, "d2/zzzzzzzzzzzzzzzzzzz", "y\n", T0 - 40)
    git(tmp_path, "add", "d2/zzzzzzzzzzzzzzzzzzz")
    update("d0/f003", "w\n")
    assert seen[6:] == ["rejected", "walk"]


def test_a_corrupt_or_foreign_cache_is_harmless(tmp_path):
    index_with_tree(tmp_path, 12)
    cache = tmp_path / ".git" / "svt"
    cache.mkdir()
    write(tmp_path, "d1/new", "n\n", T0 - 50)
    for junk in (b"", b"x" * 100, os.urandom(5000)):
        (cache / indexcache.CACHE_NAME).write_bytes(junk)
        assert compare(tmp_path, ["d1/new"], [], T0, cache) is not None
    # a well-formed cache of another index: its flags do not match, so it is not used
    other = tmp_path / "other"
    other.mkdir()
    index_with_tree(other, 12)
    (other / ".git" / "svt").mkdir()
    write(other, "x/longer-name-here", "n\n", T0 - 50)
    compare(other, ["x/longer-name-here"], [], T0, other / ".git" / "svt")
    shutil.copy(other / ".git" / "svt" / indexcache.CACHE_NAME, cache / indexcache.CACHE_NAME)
    assert compare(tmp_path, ["d1/new"], [], T0, cache) is not None
    raw = bytearray((cache / indexcache.CACHE_NAME).read_bytes())
    raw[len(raw) // 2] ^= 1  # one bit flipped: the checksum refuses it
    (cache / indexcache.CACHE_NAME).write_bytes(bytes(raw))
    assert compare(tmp_path, ["d1/new"], [], T0, cache) is not None


def fallback(root: Path, data: bytes, paths: list[str], gone: list[str] = ()) -> None:
    assert updated(data, T0 * 10**9, root, [staged_of(root, p) for p in paths],
                              list(gone), None) is None


def test_what_this_does_not_model_is_left_to_git(tmp_path):
    data = index_with_tree(tmp_path, 6)
    write(tmp_path, "n", "n\n", None)
    for version in (3, 4):
        fallback(tmp_path, data[:4] + version.to_bytes(4, "big") + data[8:], ["n"])
    fallback(tmp_path, data[:-20] + bytes(20), ["n"])  # index.skipHash
    fallback(tmp_path, data[:100], ["n"])  # cut short
    fallback(tmp_path, data[:-20] + b"REUC\0\0\0\0" + hashlib.sha1().digest(), ["n"])
    fallback(tmp_path, data[:-20] + b"UNTR\0\0\0\0" + hashlib.sha1().digest(), ["n"])
    fallback(tmp_path, data, ["n"], ["n"])  # staged and removed
    shutil.rmtree(tmp_path / "d0")
    write(tmp_path, "d0", "f\n", None)
    fallback(tmp_path, data, ["d0"])  # entries under a staged path
    write(tmp_path, "n2/x", "f\n", None)
    git(tmp_path, "add", "n")
    (tmp_path / "n").unlink()
    (tmp_path / "n").mkdir()
    write(tmp_path, "n/x", "f\n", None)
    fallback(tmp_path, (tmp_path / ".git" / "index").read_bytes(), ["n/x"])  # a file 'n'
    os.symlink("n2", tmp_path / "ln")
    write(tmp_path, "n2/y", "f\n", None)
    item = staged_of(tmp_path, "n2/y")
    assert updated(data, 0, tmp_path, [item._replace(path="ln/y")], [],
                              None) is None  # beyond a symbolic link
    assert updated(data, 0, tmp_path, [item._replace(mode=0o100755)], [],
                              None) is None  # not the mode git sees
    for bad in (".git/x", "a/../b", "a//b", "/a"):
        assert updated(data, 0, tmp_path, [item._replace(path=bad)], [],
                                  None) is None


@pytest.mark.parametrize("form", [
    ["update-index", "--skip-worktree", "d1/f001"],  # version 3 (git writes 3 only so)
    ["update-index", "--index-version", "4"],
    ["update-index", "--split-index"], ["-c", "core.untrackedCache=true", "status"],
    ["update-index", "--add", "--cacheinfo", "100644,%s," + "d/" * 2100 + "x"],
])
def test_forms_git_writes_that_this_leaves_to_git(tmp_path, form):
    """Versions 3 and 4, a split index, an untracked cache (UNTR), a name of 0xFFF bytes."""
    index_with_tree(tmp_path, 6)
    blob = git(tmp_path, "rev-parse", "HEAD:d0/f000").strip()
    git(tmp_path, *[arg.replace("%s", blob) for arg in form])
    write(tmp_path, "n", "n\n", None)
    fallback(tmp_path, (tmp_path / ".git" / "index").read_bytes(), ["n"])


def test_conflicts_and_flags_on_a_changed_path_are_left_to_git(tmp_path):
    data = index_with_tree(tmp_path, 3)
    write(tmp_path, "d0/f000", "changed\n", None)
    git(tmp_path, "update-index", "--assume-unchanged", "d0/f000")
    assumed = (tmp_path / ".git" / "index").read_bytes()
    fallback(tmp_path, assumed, ["d0/f000"])
    fallback(tmp_path, assumed, [], ["d0/f000"])
    git(tmp_path, "update-index", "--no-assume-unchanged", "d0/f000")
    blob = git(tmp_path, "hash-object", "-w", "d0/f000").strip()
    git(tmp_path, "update-index", "--index-info",
        input=f"100644 {blob} 1\td0/f000\n100644 {blob} 2\td0/f000\n".encode())
    fallback(tmp_path, (tmp_path / ".git" / "index").read_bytes(), ["d0/f000"])
    assert data


@pytest.mark.parametrize("config, allowed", [
    ({}, True),
    ({"core.filemode": "true", "index.skiphash": "false", "user.name": "x"}, True),
    ({"index.skiphash": "true"}, False), ({"core.splitindex": "true"}, False),
    ({"index.version": "4"}, False), ({"index.version": "2"}, True),
    ({"index.threads": "true"}, False), ({"index.threads": "0"}, False),
    ({"index.threads": "1"}, True), ({"feature.manyfiles": "1"}, False),
    ({"core.untrackedcache": "true"}, False), ({"core.untrackedcache": "keep"}, True),
    ({"core.fsmonitor": "true"}, False), ({"core.filemode": "false"}, False),
    ({"core.filemode": ""}, False), ({"core.trustctime": "false"}, False),
    ({"core.checkstat": "minimal"}, False), ({"core.sparsecheckout": "true"}, False),
    ({"index.recordendofindexentries": "true"}, False), ({"core.ignorecase": "true"}, False),
    ({"extensions.objectformat": "sha256"}, False),
])
def test_settings_that_change_what_git_writes(config, allowed):
    assert indexwrite.allowed_by(config) is allowed
