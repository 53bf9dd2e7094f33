"""What svt's own commits say of themselves (git/ownwrites.py ``Link.log``): the author,
date, subject and files ``git log`` lists, so that `svt show` need not run git log after
svt's own writes. Each fact is checked against git's own answer."""
from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
from hypothesis import given, settings, strategies as st

from svt_records.git import ownwrites
from svt_records.git.log import Commit
from svt_records.git.objects import _plain_subject
from svt_records.git.repo import GitRepo
from svt_records.index.queries import Index
from svt_records import Database


def git(root: Path, *args: str, stdin: str | None = None) -> str:
    return subprocess.run(["git", *args], cwd=root, capture_output=True, text=True,
                          input=stdin, check=True).stdout


def logged(root: Path, rev: str) -> tuple[str, str, str, tuple[str, ...]]:
    """git's answer: %an, %aI, %s and the files the commit changed."""
    out = git(root, "log", "-1", "--no-renames", "--name-only", "-z",
              "--format=%an%x1f%aI%x1f%s%x1f", rev)
    head, _, files = out.partition("\x1f\0")
    author, date, subject = head.split("\x1f")[:3]
    return Commit.of([rev, author, date, subject])[1:] + (
        tuple(sorted(p for p in files.lstrip("\n").split("\0") if p)),)


@pytest.fixture
def repo(tmp_path) -> GitRepo:
    root = tmp_path / "r"
    root.mkdir()
    git(root, "init", "-q", "-b", "main")
    git(root, "config", "user.name", "Ada Lovelace")
    git(root, "config", "user.email", "ada@example.org")
    for name in ("a.txt", "b.txt", "sub/c.txt"):
        (root / name).parent.mkdir(exist_ok=True)
        (root / name).write_text(f"{name}\n")
    git(root, "add", ".")
    git(root, "commit", "-q", "-m", "start")
    return GitRepo(root)


@pytest.mark.parametrize("tz", ["UTC0", "IST-5:30", "NST3:30NDT", "EST5EDT"])
def test_a_link_knows_what_git_log_says_of_its_commit(repo, monkeypatch, tz):
    """The date in any time zone (offsets of half an hour, negative ones), the subject, and
    only the files whose content changed: b.txt is written again unchanged."""
    monkeypatch.setenv("TZ", tz)
    import time
    time.tzset()
    try:
        root = repo.root
        (root / "a.txt").write_text("changed\n")
        (root / "b.txt").write_text("b.txt\n")  # the same bytes: git lists no change
        (root / "new.txt").write_text("new\n")
        parent = repo.head()
        commit = repo.commit_files(["a.txt", "b.txt", "new.txt"],
                                   "update a, b: new\n\nsvt-op: test\n", parent,
                                   removed=["sub/c.txt"])
        (root / "sub" / "c.txt").unlink(missing_ok=True)
        line = ownwrites.commit_line(repo.svt_dir(), parent, commit)
        assert line is not None and [c.sha for c in line] == [commit]
        assert line[0][1:] == logged(root, commit)
        assert line[0].paths == ("a.txt", "new.txt", "sub/c.txt")
    finally:
        monkeypatch.undo()
        time.tzset()


def test_a_line_of_links_is_the_commits_in_order_and_breaks_where_git_must_say(repo):
    root = repo.root
    start = repo.head()
    made = []
    for n in range(3):
        (root / "a.txt").write_text(f"{n}\n")
        made.append(repo.commit_files(["a.txt"], f"write {n}", repo.head()))
    line = ownwrites.commit_line(repo.svt_dir(), start, made[-1])
    assert line is not None and [c.sha for c in line] == made
    assert [c[1:] for c in line] == [logged(root, c) for c in made]
    assert ownwrites.commit_line(repo.svt_dir(), made[0], made[0]) == []
    # a commit made by hand on top: no link made it, so git must be asked
    git(root, "commit", "-q", "--allow-empty", "-m", "by hand")
    assert ownwrites.commit_line(repo.svt_dir(), start, repo.head()) is None
    # a start that is not on the line (another branch's commit) is never reached
    assert ownwrites.commit_line(repo.svt_dir(), "f" * 40, made[-1]) is None


def test_a_commit_whose_author_date_git_sets_has_no_log_and_git_is_asked(repo, monkeypatch):
    """GIT_AUTHOR_DATE makes git write the commit (commit-tree): svt does not claim to
    know what git log prints of it."""
    monkeypatch.setenv("GIT_AUTHOR_DATE", "2020-01-02T03:04:05+01:00")
    (repo.root / "a.txt").write_text("dated\n")
    parent = repo.head()
    commit = repo.commit_files(["a.txt"], "dated", parent)
    assert ownwrites.commit_line(repo.svt_dir(), parent, commit) is None


@settings(max_examples=40, deadline=None)
@given(st.text(alphabet=st.sampled_from("ab \t\n\r\x0bé€:#"), min_size=1, max_size=14))
def test_a_subject_svt_claims_is_the_one_git_log_prints(tmp_path_factory, message):
    subject = _plain_subject(message)
    if subject is None:
        return  # git is asked for these
    root = tmp_path_factory.mktemp("subject")
    git(root, "init", "-q")
    tree = git(root, "write-tree").strip()
    commit = subprocess.run(
        ["git", "-c", "user.name=A", "-c", "user.email=a@b", "commit-tree", tree],
        cwd=root, input=message.encode(), capture_output=True, check=True).stdout.decode().strip()
    assert git(root, "log", "-1", "--format=%s", commit).rstrip("\n") == subject


def test_svt_show_after_svt_writes_lists_what_git_log_lists(store_path, svt_proc, tmp_path):
    """End to end, in a time zone west of Greenwich: the commits `svt show` keeps for a
    component are git's, though no git log ran."""
    env = {"TZ": "America/St_Johns"}
    svt_proc("add", "--id", "FEB-001", "--type", "feb", "--status", "spare", env=env)
    svt_proc("show", "FEB-001", env=env)
    for where in ("Hall B", "Clean room"):
        svt_proc("location", "FEB-001", where, env=env)
    svt_proc("add", "--id", "FEB-002", "--type", "feb", "--status", "spare", env=env)
    trace = tmp_path / "trace"
    svt_proc("show", "FEB-001", env={**env, "GIT_TRACE": str(trace)})
    assert not trace.exists()  # the lists were brought up to date without any git process
    index = Index(Database(store_path))
    try:
        got = index.recent_commits("records/feb/FEB-001", 5)
    finally:
        index.close()
    out = git(store_path, "log", "-n5", "--format=%H%x1f%an%x1f%aI%x1f%s", "--",
              "records/feb/FEB-001")
    assert got == [Commit.of(line.split("\x1f")) for line in out.splitlines()]
    assert len(got) == 3
