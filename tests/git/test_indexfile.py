"""git's index read in-process (git/indexfile.py) says what `git ls-files` says, for every
form git writes: versions 2, 3 and 4, split or not, with entries assumed unchanged,
skip-worktree or intent-to-add; and known_clean proves files clean in split and version 4
indexes instead of asking `git status`."""
from __future__ import annotations

import os
import subprocess
import tempfile
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from svt_records.git import indexcache, indexfile

NAMES = ["a.yaml", "records/m/M-1/component.yaml", "records/m/M-1/2025/t1.yaml",
         "records/m/M-10/component.yaml", "records/m/M-2/component.yaml", "z/" + "long" * 40,
         "records/f/F-1/component.yaml", "b c/ü.yaml"]
OPS = st.lists(st.one_of(
    st.tuples(st.just("write"), st.integers(0, len(NAMES) - 1), st.integers(0, 3)),
    st.tuples(st.sampled_from(["rm", "intent", "skip", "assume", "noassume"]),
              st.integers(0, len(NAMES) - 1), st.just(0)),
    st.tuples(st.sampled_from(["split", "unsplit", "commit", "cache"]), st.just(0),
              st.just(0)),
    st.tuples(st.just("version"), st.integers(2, 4), st.just(0)),
), min_size=1, max_size=14)


def git(root: Path, *args: str) -> str:
    return subprocess.run(["git", *args], cwd=root, check=True, capture_output=True,
                          text=True).stdout


def expected(root: Path, intent: set[str]) -> dict[str, tuple[int, bytes]]:
    """Stage-0 entries with no flag, as git lists them."""
    tags = {line[2:]: line[0] for line in git(root, "ls-files", "-v", "-z").split("\0") if line}
    out = {}
    for line in git(root, "ls-files", "-s", "-z").split("\0"):
        if not line:
            continue
        meta, path = line.split("\t", 1)
        mode, sha, stage = meta.split()
        if stage == "0" and tags.get(path) == "H" and path not in intent:
            out[path] = (int(mode, 8), bytes.fromhex(sha))
    return out


def apply(root: Path, op: str, n: int, k: int, intent: set[str]) -> None:
    name = NAMES[n % len(NAMES)]
    tracked = set(git(root, "ls-files", "-z").split("\0"))
    if op == "write":
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(f"{name} {k}\n")
        git(root, "add", "--", name)
        intent.discard(name)
    elif op == "intent" and name not in tracked:
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text("new\n")
        git(root, "add", "-N", "--", name)
        intent.add(name)
    elif op == "rm" and name in tracked:
        git(root, "rm", "-q", "--cached", "--", name)
        intent.discard(name)
    elif op in ("skip", "assume", "noassume") and name in tracked and name not in intent:
        flag = {"skip": "--skip-worktree", "assume": "--assume-unchanged",
                "noassume": "--no-assume-unchanged"}[op]
        git(root, "update-index", flag, "--", name)
    elif op == "split":
        git(root, "update-index", "--split-index")
    elif op == "unsplit":
        git(root, "update-index", "--no-split-index")
    elif op == "version":
        git(root, "update-index", "--index-version", str(n))
    elif op == "commit" and not intent:
        git(root, "commit", "-q", "--allow-empty", "-m", "c")
    elif op == "cache":  # svt's table of where each entry begins, as a write keeps it:
        keep_entry_table(root)  # entries are then found by bisection while it proves itself


def keep_entry_table(root: Path) -> None:
    data = (root / ".git" / "index").read_bytes()
    if data[4:8] not in (b"\0\0\0\2", b"\0\0\0\3"):
        return  # version 4: svt writes no table of it
    count = int.from_bytes(data[8:12], "big")
    try:
        table = indexcache.walk(data, count)
    except indexcache.Unhandled:  # an entry with extended flags: no table is kept
        return
    (root / ".git" / "svt").mkdir(exist_ok=True)
    indexcache.write_cache(root / ".git" / "svt", (len(data), data[-20:]), count, table, None,
                           b"")


@settings(max_examples=40, deadline=None)
@given(ops=OPS)
def test_the_index_read_in_process_agrees_with_git(ops):
    with tempfile.TemporaryDirectory(prefix="svt-indexfile-") as tmp:
        root = Path(tmp)
        git(root, "init", "-q")
        git(root, "config", "user.name", "T")
        git(root, "config", "user.email", "t@example.org")
        (root / "seed").write_text("seed\n")
        git(root, "add", "seed")
        intent: set[str] = set()
        for op, n, k in ops:
            apply(root, op, n, k, intent)
            cache = root / ".git" / "svt"
            cache.mkdir(exist_ok=True)
            found = indexfile.staged(root / ".git", NAMES + ["seed", "missing"], cache)
            assert found is not None, ops
            assert {p: tuple(e) for p, e in found.items()} == {
                p: e for p, e in expected(root, intent).items() if p in NAMES + ["seed"]}, ops


def test_a_split_index_is_read_where_git_splits_it(tmp_path):
    """The forms the random sequences reach by chance, each made on purpose: a shared
    index with entries replaced, deleted and added in .git/index."""
    root = tmp_path
    git(root, "init", "-q")
    for i in range(40):
        (root / f"f{i:02d}").write_text(f"{i}\n")
    git(root, "add", ".")
    git(root, "update-index", "--split-index")
    (root / "f05").write_text("changed\n")
    git(root, "add", "f05")  # replaced
    git(root, "rm", "-q", "--cached", "f07")  # deleted
    (root / "g").write_text("new\n")
    git(root, "add", "g")  # added
    link = indexfile._walk((root / ".git" / "index").read_bytes(), 2).extensions
    assert b"link" in link  # still split: the shared index holds the rest
    names = [f"f{i:02d}" for i in range(40)] + ["g"]
    found = indexfile.staged(root / ".git", names, root / ".git")
    assert {p: tuple(e) for p, e in (found or {}).items()} == expected(root, set())
    assert "f07" not in (found or {}) and "g" in (found or {})


def test_an_index_this_does_not_read_is_left_to_git(tmp_path):
    root = tmp_path
    git(root, "init", "-q")
    (root / "a").write_text("a\n")
    git(root, "add", "a")
    index = root / ".git" / "index"
    data = index.read_bytes()
    index.write_bytes(data[:4] + (5).to_bytes(4, "big") + data[8:])  # a version to come
    assert indexfile.staged(root / ".git", ["a"]) is None
    index.write_bytes(data[:40])  # cut short
    assert indexfile.staged(root / ".git", ["a"]) in (None, {})
    index.unlink()
    assert indexfile.staged(root / ".git", ["a"]) is None


def test_known_clean_reads_split_and_version_4_indexes(db):
    """(Before, both went to `git status`: install and remove got slower with
    `svt setup --split-index`.)"""
    db.save_component("M-1", {"type": "module", "status": "spare"})
    db.save_component("M-2", {"type": "module", "status": "spare"})
    path = "records/module/M-1/component.yaml"
    edited = "records/module/M-2/component.yaml"
    with open(db.root / edited, "a") as fh:
        fh.write("notes: by hand\n")
    for setting in (["update-index", "--split-index"], ["update-index", "--index-version", "4"],
                    ["update-index", "--no-split-index"]):
        git(db.root, *setting)
        assert db.repo.known_clean([path, edited]) == {path}, setting
        assert db.repo.changed_paths([path, edited]) == [edited]
    db.save_component("M-1", {"status": "testing"})  # an svt write into a version 4 index
    assert db.repo.known_clean([path]) == {path}
    assert os.path.getsize(db.root / ".git" / "index") > 0
