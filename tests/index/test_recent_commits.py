"""`svt show`'s latest commits come from the index's per-folder lists, and must always be
exactly what ``git log -n N -- FOLDER`` says (history simplification across merges
included): checked against git itself after every step of random sequences of svt writes
in two clones, hand commits, pulls (fast-forward and merge), resets, amends, rebases and
branch switches.

A longer hunt::

    SVT_LOG_EXAMPLES=200 SVT_LOG_STEPS=30 python -m pytest tests/index/test_recent_commits.py -q -p no:cacheprovider
"""
from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, rule

from conftest import StoresMachineBase, publish_with_clone, run_machine
from svt_records import Database
from svt_records.model.errors import SvtError
from svt_records.git.log import Commit
from svt_records.index.queries import Index

EXAMPLES = int(os.environ.get("SVT_LOG_EXAMPLES", "10"))
STEPS = int(os.environ.get("SVT_LOG_STEPS", "12"))
IDS = {"M-1": "module", "M-2": "module", "F-1": "feb"}
HAND = ["-c", "user.name=Hand", "-c", "user.email=hand@example.org"]


def git(path: Path, *args: str, check: bool = False) -> subprocess.CompletedProcess:
    return subprocess.run(["git", *HAND, *args], cwd=path, capture_output=True, text=True,
                          check=check)


def git_log(root: Path, folder: str, n: int) -> list[Commit]:
    """The oracle: git's own answer."""
    out = git(root, "log", f"-n{n}", "--format=%H%x1f%an%x1f%aI%x1f%s", "--", folder).stdout
    return [Commit.of(line.split("\x1f")) for line in out.splitlines()]


class CommitsMachine(StoresMachineBase, RuleBasedStateMachine):
    prefix = "svt-log-"

    def __init__(self) -> None:
        super().__init__()
        self.n = 0

    @rule(cid=st.sampled_from(sorted(IDS)), in_clone=st.booleans(), push=st.booleans())
    def svt_write(self, cid, in_clone, push):
        self.n += 1
        try:
            Database(self.clone if in_clone else self.root).save_component(
                cid, {"type": IDS[cid], "notes": f"note {self.n}"})
        except SvtError:
            pass  # refused (a detached HEAD, a merge under way): also an answer
        if in_clone and push:
            git(self.clone, "pull", "-q", "--no-rebase", "--no-edit", "origin", "main")
            git(self.clone, "push", "-q", "origin", "HEAD:main")

    @rule(folders=st.sets(st.sampled_from(sorted(IDS) + ["README"]), min_size=1))
    def hand_commit(self, folders):
        """A commit made with plain git, in one or more folders (or none: README)."""
        self.n += 1
        for name in sorted(folders):
            rel = "README" if name == "README" else f"records/{IDS[name]}/{name}/hand.txt"
            path = self.root / rel
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(f"{self.n}\n")
            git(self.root, "add", "--", rel)
        git(self.root, "commit", "-q", "--no-verify", "-m", f"hand {self.n}")

    @rule(op=st.sampled_from(["pull", "pull --rebase", "reset --hard HEAD~1",
                              "reset --hard HEAD~2", "amend", "rebase", "checkout other",
                              "checkout main", "empty commit"]))
    def git_history(self, op):
        self.n += 1
        if op.startswith("pull"):
            flag = "--rebase" if op.endswith("rebase") else "--no-rebase"
            git(self.root, "pull", "-q", flag, "--no-edit", "origin", "main")
            if (self.root / ".git" / "MERGE_HEAD").exists() or (
                    self.root / ".git" / "rebase-merge").exists():
                git(self.root, "merge", "--abort")
                git(self.root, "rebase", "--abort")
        elif op == "amend":
            git(self.root, "commit", "-q", "--amend", "--allow-empty", "-m", f"amended {self.n}")
        elif op == "rebase":  # the last commit moved onto a new one made below it
            git(self.root, "branch", "-f", "base", "HEAD~1")
            git(self.root, "checkout", "-q", "base")
            git(self.root, "commit", "-q", "--allow-empty", "-m", f"below {self.n}")
            git(self.root, "checkout", "-q", "-")
            git(self.root, "rebase", "-q", "base")
            if (self.root / ".git" / "rebase-merge").exists():
                git(self.root, "rebase", "--abort")
        elif op == "checkout other" and git(self.root, "checkout", "-q", "other").returncode:
            git(self.root, "checkout", "-q", "-b", "other")
        elif op == "checkout main":
            git(self.root, "checkout", "-q", "main")
        elif op == "empty commit":
            git(self.root, "commit", "-q", "--allow-empty", "-m", f"empty {self.n}")
        else:
            git(self.root, *op.split()[:1], "-q", *op.split()[1:])

    @invariant()
    def show_lists_what_git_log_lists(self):
        db = Database(self.root)
        index = Index(db)
        try:
            for cid, ctype in sorted(IDS.items()):
                folder = f"records/{ctype}/{cid}"
                for n in (1, 3, 7):
                    assert index.recent_commits(folder, n) == git_log(self.root, folder, n), \
                        (folder, n)
        finally:
            index.close()


@pytest.fixture
def template(tmp_path) -> Path:
    """A store with a few components, pushed to a bare remote, and a second clone of it."""
    store = tmp_path / "store"
    db = Database(store)
    db.initialize_schema()
    for cid, ctype in IDS.items():
        db.save_component(cid, {"type": ctype, "status": "spare"})
    publish_with_clone(tmp_path, store)
    git(store, "branch", "-q", "--set-upstream-to=origin/main", check=True)
    return tmp_path


def test_show_lists_the_commits_git_log_lists_after_any_sequence(template):
    CommitsMachine.template = template
    run_machine(CommitsMachine, EXAMPLES, STEPS)


def test_show_asks_git_nothing_after_svt_commits_and_one_log_after_others(
        store_path, svt_proc, tmp_path, gitcmd):
    svt_proc("add", "--id", "FEB-001", "--type", "feb", "--status", "spare")
    svt_proc("show", "FEB-001")
    trace = tmp_path / "trace"

    def asked() -> list[str]:
        trace.unlink(missing_ok=True)
        assert "FEB-001" in svt_proc("show", "FEB-001", env={"GIT_TRACE": str(trace)}).stdout
        lines = trace.read_text().splitlines() if trace.exists() else []  # no git: no file
        return [line.split("built-in: ", 1)[1].split()[1] for line in lines
                if "built-in: git" in line]
    assert asked() == []
    svt_proc("add", "--id", "FEB-001", "--location", "Hall B")
    assert asked() == []  # svt's own commit: its link says what it changed
    (store_path / "records" / "feb" / "FEB-001" / "hand.txt").write_text("by hand\n")
    gitcmd(store_path, "add", "records")
    gitcmd(store_path, "commit", "-q", "-m", "a hand commit")
    assert asked() == ["log"]  # what the hand commit changed
    assert asked() == []
    gitcmd(store_path, "commit", "-q", "--amend", "-m", "reworded")
    assert asked() == ["log", "log"]  # HEAD was rewritten: the lists are forgotten
    shown = svt_proc("show", "FEB-001").stdout
    assert "reworded" in shown


def test_a_pull_that_merges_another_clones_commits_shows_what_git_log_shows(template):
    store, clone = template / "store", template / "clone"
    Database(clone).save_component("M-2", {"type": "module", "notes": "from the clone"})
    git(clone, "push", "-q", "origin", "HEAD:main", check=True)
    Database(store).save_component("F-1", {"type": "feb", "notes": "here"})
    index = Index(Database(store))
    folders = [f"records/{t}/{c}" for c, t in sorted(IDS.items())]
    for folder in folders:  # the lists as of the local commit
        assert index.recent_commits(folder, 5) == git_log(store, folder, 5)
    git(store, "pull", "-q", "--no-rebase", "--no-edit", "origin", "main", check=True)
    assert len(git(store, "log", "-1", "--format=%P").stdout.split()) == 2  # a merge
    for folder in folders:
        assert index.recent_commits(folder, 5) == git_log(store, folder, 5)
    git(clone, "pull", "-q", "--no-rebase", "origin", "main", check=True)  # fast-forward
    clone_index = Index(Database(clone))
    for folder in folders:
        assert clone_index.recent_commits(folder, 5) == git_log(clone, folder, 5)
    Database(clone).save_component("M-1", {"type": "module", "notes": "after the pull"})
    git(store, "commit", "-q", "--allow-empty", "-m", "diverged")
    for root, idx in ((clone, clone_index), (store, index)):
        for folder in folders:
            assert idx.recent_commits(folder, 5) == git_log(root, folder, 5)
    git(clone, "push", "-q", "origin", "HEAD:main", check=True)
    git(store, "pull", "-q", "--rebase", "origin", "main", check=True)  # HEAD rewritten
    for folder in folders:
        assert index.recent_commits(folder, 5) == git_log(store, folder, 5)


def test_show_answers_from_git_while_another_process_holds_the_index(template):
    """A rebuild holds the index for seconds at 100,000 components: show does not wait."""
    import sqlite3
    store = template / "store"
    db = Database(store)
    index = Index(db)
    folder = "records/module/M-1"
    assert index.recent_commits(folder, 5) == git_log(store, folder, 5)
    db.save_component("M-1", {"type": "module", "notes": "moved HEAD"})
    other = sqlite3.connect(db.repo.svt_dir() / "index.sqlite", isolation_level=None)
    other.execute("BEGIN IMMEDIATE")
    try:
        assert index.recent_commits(folder, 5) == git_log(store, folder, 5)
        assert index.recent_commits("records/feb/F-1", 2) == git_log(store, "records/feb/F-1", 2)
    finally:
        other.execute("ROLLBACK")
    assert index.recent_commits(folder, 5) == git_log(store, folder, 5)


def test_a_shallow_clone_deepened_and_a_replace_ref_show_what_git_log_shows(template):
    """Both change what git log lists without HEAD moving: git answers there."""
    store = template / "store"
    for n in range(3):
        Database(store).save_component("M-1", {"type": "module", "notes": f"n{n}"})
    git(store, "push", "-q", "origin", "HEAD:main", check=True)
    shallow = template / "shallow"
    git(template, "clone", "-q", "--depth", "1", f"file://{template / 'bare.git'}",
        "shallow", check=True)
    index = Index(Database(shallow))
    folder = "records/module/M-1"
    assert index.recent_commits(folder, 5) == git_log(shallow, folder, 5)
    assert len(git_log(shallow, folder, 5)) == 1
    git(shallow, "fetch", "-q", "--unshallow", check=True)
    assert len(git_log(shallow, folder, 5)) == 4
    assert index.recent_commits(folder, 5) == git_log(shallow, folder, 5)

    store_index = Index(Database(store))
    assert store_index.recent_commits(folder, 5) == git_log(store, folder, 5)
    head = git(store, "rev-parse", "HEAD").stdout.strip()
    parent = git(store, "rev-parse", "HEAD~1").stdout.strip()
    git(store, "replace", head, parent, check=True)  # HEAD's commit now reads as its parent
    assert store_index.recent_commits(folder, 5) == git_log(store, folder, 5)
    git(store, "pack-refs", "--all", check=True)
    assert store_index.recent_commits(folder, 5) == git_log(store, folder, 5)
