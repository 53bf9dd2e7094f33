"""svt writes git tree objects itself (git 2.39's hash-object does not check them), so their
order and form must be exactly what git would write."""
from __future__ import annotations

import os
import random
import subprocess

from hypothesis import given, settings, strategies as st

from svt_records.git import treeedit
from svt_records.git.commit import BULK_THRESHOLD
from svt_records.git.objects import TREE_MODE
from svt_records.git.treeedit import order_key
from svt_records.git.process import _BatchReader
from svt_records.git.repo import GitRepo

NAMES = ["a", "a.b", "a-b", "a0", "a_", "b", "A", "ab", "a b", "é", "2025", "2025-x",
         "component.yaml", "component.yaml.bak", "z", "a~", "aa"]


def mktree(root, entries) -> str:
    """What git mktree writes for the same entries."""
    lines = [f"{mode.decode().zfill(6)} {'tree' if mode == TREE_MODE else 'blob'} {oid.hex()}"
             f"\t{name.decode()}" for name, (mode, oid) in entries.items()]
    return subprocess.run(["git", "mktree", "-z"], cwd=root, check=True, capture_output=True,
                          input=("\0".join(lines) + "\0").encode()).stdout.decode().strip()


def repo_with_blob(path, gitcmd) -> tuple[GitRepo, bytes]:
    gitcmd(path, "init", "-q")
    blob = subprocess.run(["git", "hash-object", "-w", "--stdin"], cwd=path, input=b"x\n",
                          capture_output=True, check=True).stdout.decode().strip()
    return GitRepo(path), bytes.fromhex(blob)


def test_written_trees_match_git_mktree(tmp_path, gitcmd):
    repo, blob = repo_with_blob(tmp_path, gitcmd)
    sub = bytes.fromhex(repo._write_tree({b"f": (b"100644", blob)}))
    rng = random.Random(7)
    for _ in range(60):
        names = rng.sample(NAMES, rng.randint(1, len(NAMES)))
        entries = {n.encode(): rng.choice([(b"100644", blob), (b"100755", blob),
                                           (TREE_MODE, sub)]) for n in names}
        assert repo._write_tree(entries) == mktree(tmp_path, entries), sorted(entries)


def test_trees_read_back_as_written(tmp_path, gitcmd):
    repo, blob = repo_with_blob(tmp_path, gitcmd)
    entries = {n.encode(): (b"100644", blob) for n in NAMES}
    sha = repo._write_tree(entries)
    with _BatchReader(repo) as reader:
        assert reader.tree(sha) == entries


def test_a_store_svt_changed_passes_git_fsck(db, png, gitcmd):
    for n in range(3):
        db.save_component(f"M-{n}", {"type": "module", "status": "spare"})
        db.record_test(f"M-{n}", "iv_curve", passed=True, images=[png])
    db.save_component("M-1", {"status": "failed"})
    db.install("M-2", "Layer0_top_axial")
    db.remove("M-2")
    result = subprocess.run(["git", "fsck", "--strict", "--no-progress"], cwd=db.root,
                            capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr


def test_zero_padded_modes_written_by_old_tools_are_understood(db, gitcmd):
    """A tree whose folders say 040000 (and files 0100644) is still read as folders and
    files: a change keeps every other file and writes git's own spelling."""
    for n in range(3):
        db.save_component(f"M-{n}", {"type": "module", "status": "spare"})

    def padded(tree: str) -> str:  # rewrite a tree and its subtrees with zero-padded modes
        out = b""
        for line in gitcmd(db.root, "ls-tree", "-z", tree).split("\0"):
            if not line:
                continue
            meta, name = line.split("\t", 1)
            mode, kind, sha = meta.split()
            if kind == "tree":
                sha = padded(sha)
            out += b"%s %s\0%s" % (b"0" + mode.encode(), name.encode(), bytes.fromhex(sha))
        # --literally: newer gits check the trees hash-object writes (2.47 refuses these)
        return subprocess.run(["git", "hash-object", "--literally", "-t", "tree", "-w",
                               "--stdin"], cwd=db.root, input=out, capture_output=True,
                              check=True).stdout.decode().strip()
    before = sorted(gitcmd(db.root, "ls-tree", "-r", "--name-only", "HEAD").split())
    commit = gitcmd(db.root, "commit-tree", padded(gitcmd(db.root, "rev-parse", "HEAD^{tree}")
                                                  .strip()), "-p", "HEAD", "-m", "old tool").strip()
    gitcmd(db.root, "update-ref", "HEAD", commit)
    db.save_component("M-1", {"status": "failed"})
    assert sorted(gitcmd(db.root, "ls-tree", "-r", "--name-only", "HEAD").split()) == before
    root = subprocess.run(["git", "cat-file", "tree", "HEAD"], cwd=db.root, check=True,
                          capture_output=True).stdout  # git's bytes (ls-tree pads for show)
    modes, i = [], 0
    while i < len(root):
        space, nul = root.index(b" ", i), root.index(b"\0", i)
        modes.append(root[i:space])
        i = nul + 21
    assert set(modes) == {b"40000", b"100644"}
    assert gitcmd(db.root, "status", "--porcelain") == ""


def test_a_tree_svt_cannot_read_stops_the_change_and_leaves_nothing(store_path, svt, gitcmd):
    """A damaged tree in HEAD (another tool's bug) gets a one-line error; no file is left."""
    garbage = subprocess.run(["git", "hash-object", "-t", "tree", "-w", "--stdin",
                              "--literally"], cwd=store_path, input=b"not a tree entry",
                             capture_output=True, check=True).stdout.decode().strip()
    root = gitcmd(store_path, "ls-tree", "HEAD").replace(
        gitcmd(store_path, "rev-parse", "HEAD:records").strip(), garbage)
    tree = subprocess.run(["git", "mktree"], cwd=store_path, input=root.encode(),
                          capture_output=True, check=True).stdout.decode().strip()
    commit = gitcmd(store_path, "commit-tree", tree, "-p", "HEAD", "-m", "damaged").strip()
    gitcmd(store_path, "update-ref", "HEAD", commit)
    result = svt("add", "--id", "M-1", "--type", "module", ok=False)
    assert result.exit_code != 0
    assert "is not in the form svt expects" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1 and "Traceback" not in result.stderr
    assert not (store_path / "records" / "module" / "M-1").exists()
    assert gitcmd(store_path, "rev-parse", "HEAD").strip() == commit


def test_a_change_of_more_than_bulk_threshold_files_commits_git_write_trees_tree(
        db, svt, tmp_path, gitcmd):
    """Large changes (imports) build their tree through a private index (_bulk_tree): the
    tree equals what `git write-tree` gives from a real index holding the parent and the
    same files, and the new files join the folders that were there."""
    db.save_component("S-0", {"type": "sensor", "status": "spare"})
    rows = [f"S-{n},sensor,incoming" for n in range(1, BULK_THRESHOLD + 2)]
    sheet = tmp_path / "parts.csv"
    sheet.write_text("id,type,status\n" + "\n".join(rows) + "\n")
    svt("add", "--from-csv", str(sheet))
    written = gitcmd(db.root, "diff-tree", "-r", "--name-only", "--no-commit-id", "HEAD")
    assert len(written.split()) == BULK_THRESHOLD + 1
    env = dict(os.environ, GIT_INDEX_FILE=str(tmp_path / "real-index"))
    for args in (["read-tree", "HEAD~1"], ["add", "--", *written.split()]):
        subprocess.run(["git", *args], cwd=db.root, env=env, check=True)
    expected = subprocess.run(["git", "write-tree"], cwd=db.root, env=env, check=True,
                              capture_output=True, text=True).stdout.strip()
    assert gitcmd(db.root, "rev-parse", "HEAD^{tree}").strip() == expected
    assert "records/sensor/S-0/component.yaml" in gitcmd(db.root, "ls-files")


# A tree edited in its bytes (git/treeedit.py) is the tree the dict of its entries gives.
_OIDS = [bytes([n]) * 20 for n in range(4)]
_ENTRY = st.tuples(st.sampled_from([b"100644", b"100755", b"120000", TREE_MODE, b"160000"]),
                   st.sampled_from(_OIDS))
_NAME = st.sampled_from([n.encode() for n in NAMES] + [b"x\x01", b"\xff", b"a" * 300])


@settings(max_examples=300, deadline=None)
@given(stored=st.dictionaries(_NAME, _ENTRY, max_size=14),
       edits=st.lists(st.tuples(_NAME, st.one_of(st.none(), _ENTRY)), max_size=6))
def test_a_tree_edited_in_its_bytes_is_the_tree_of_its_entries(stored, edits):
    data = b"".join(b"%s %s\0%s" % (stored[n][0], n, stored[n][1])
                    for n in sorted(stored, key=lambda n: order_key(n, stored[n][0])))
    tree = treeedit.edit(data)
    assert tree is not None
    expected = dict(stored)
    for name, value in edits:
        assert tree.get(name) == expected.get(name)
        if value is None:
            assert tree.pop(name, None) == expected.pop(name, None)
        else:
            tree[name] = value
            expected[name] = value
    assert bool(tree) == bool(expected)
    assert tree.content() == b"".join(
        b"%s %s\0%s" % (expected[n][0], n, expected[n][1])
        for n in sorted(expected, key=lambda n: order_key(n, expected[n][0])))


def test_a_tree_not_in_canonical_form_is_left_to_the_parser():
    entry = b" a\0" + _OIDS[0]
    assert treeedit.edit(b"040000" + entry) is None  # zero-padded, as old tools wrote
    assert treeedit.edit(b"100644 a/b\0" + _OIDS[0]) is None  # a slash in a name
    assert treeedit.edit(b"100644" + entry + b"x") is None  # trailing bytes
    assert treeedit.edit(b"100666" + entry) is None  # a mode git does not write
    assert treeedit.edit(b"") is not None
    b, a = b"100644 b\0" + _OIDS[0], b"100644 a\0" + _OIDS[1]
    assert treeedit.edit(b + a) is None  # out of git's order
    assert treeedit.edit(a + a) is None  # one name twice
    assert treeedit.edit(a + b"40000 a\0" + _OIDS[2]) is None  # a file and a folder "a"
    assert treeedit.edit(b"100644 a-b\0" + _OIDS[0] + b"40000 a\0" + _OIDS[1]) is not None


def test_a_commit_on_a_tree_out_of_order_writes_a_tree_git_accepts(tmp_path, gitcmd):
    """A tree a pull request may carry, out of git's order: the commit's tree is in git's
    order, as before the trees were edited in their bytes."""
    repo, blob = repo_with_blob(tmp_path, gitcmd)
    bad = subprocess.run(["git", "hash-object", "-t", "tree", "-w", "--stdin", "--literally"],
                         cwd=tmp_path, capture_output=True, check=True,
                         input=b"100644 b\0" + blob + b"100644 a\0" + blob).stdout.decode().strip()
    (tmp_path / "c").write_text("x\n")
    with _BatchReader(repo) as reader:
        tree = repo._update_tree(reader, bad, {"c": ("100644", blob.hex())})
    assert tree is not None
    listed = gitcmd(tmp_path, "ls-tree", "--name-only", tree).split()
    assert listed == ["a", "b", "c"]
