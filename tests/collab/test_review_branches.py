"""svt review of someone's branch after main moved on (issue 25, item 1), on real clones of
a bare remote: the review shows what the branch changed since its merge base, validates
the merged result aside (never in the reviewer's work tree, index or HEAD), and names the
files of a merge that conflicts."""
from __future__ import annotations

import hashlib
import subprocess
from pathlib import Path

import pytest

from tests.collab.gitutil import git

POSITION = "Layer0_top_axial"


def run(svt, where: Path, *args: str, ok: bool = True):
    return svt("--repo", str(where), *args, ok=ok)


def state(repo: Path) -> tuple:
    """What a review must leave as it is: the work tree, git's index, HEAD, the refs, the
    worktrees."""
    index = hashlib.sha256((repo / ".git" / "index").read_bytes()).hexdigest()
    return (git(repo, "status", "--porcelain", "--untracked-files=all"), index,
            git(repo, "rev-parse", "HEAD"), git(repo, "symbolic-ref", "HEAD"),
            git(repo, "for-each-ref"), git(repo, "worktree", "list", "--porcelain"))


@pytest.fixture
def team(tmp_path, svt):
    """(bare remote, main's clone, the branch author's clone): modules M1 and M2 incoming;
    the branch y, made from main, is pushed first; then main moves on."""
    origin = tmp_path / "origin"
    run(svt, origin, "init", "--no-ci")
    for cid in ("M1", "M2"):
        run(svt, origin, "add", "--id", cid, "--type", "module", "--status", "incoming")
    bare = tmp_path / "remote.git"
    git(tmp_path, "clone", "-q", "--bare", str(origin), str(bare))
    main, author = tmp_path / "main", tmp_path / "author"
    for where in (main, author):
        git(tmp_path, "clone", "-q", str(bare), str(where))
    git(author, "switch", "-q", "-c", "y")
    return bare, main, author


def reviewer(tmp_path: Path, bare: Path) -> Path:
    where = tmp_path / "reviewer"
    git(tmp_path, "clone", "-q", str(bare), str(where))
    return where


def section(text: str, title: str) -> str:
    """The body of the section whose heading starts with ``### title``."""
    return text.split(f"### {title}", 1)[1].split("\n### ", 1)[0]

def diverge(team, svt) -> Path:
    """The issue's scenario: y installs M2 at a position that is free when y starts; then
    main moves on: M1 installed there (a status change) and a new module M3 (a new file).
    Both are pushed; returns the bare remote."""
    bare, main, author = team
    run(svt, author, "install", "M2", POSITION)
    git(author, "push", "-q", "origin", "y")
    run(svt, main, "install", "M1", POSITION)
    run(svt, main, "add", "--id", "M3", "--type", "module")
    git(main, "push", "-q", "origin", "main")
    return bare



def test_review_shows_the_branch_own_changes_and_validates_the_merge(team, svt, tmp_path):
    bare = diverge(team, svt)
    where = reviewer(tmp_path, bare)
    # the reviewer's own uncommitted work and staged change stay as they are
    (where / "notes.txt").write_text("mine\n")
    (where / "README.extra").write_text("staged\n")
    git(where, "add", "README.extra")
    before = state(where)
    text = run(svt, where, "review", "origin/main..origin/y").stdout
    assert state(where) == before
    assert text.startswith("## svt review of `origin/main..origin/y`")
    components = section(text, "Components")
    assert "**M2** changed" in components and POSITION in components, text
    # nothing of main's: no M1 change reversed, no M3, nothing "removed"
    assert "M1" not in text.split("### Validation", 1)[0], text
    assert "M3" not in text and "installed` → `incoming" not in text, text
    assert "Removed files" not in text, text
    assert "grew from `origin/main`" in text and "2 commit(s) since" in text, text
    # the merged result puts M1 and M2 at one position: validation says so
    validation = section(text, "Validation")
    assert validation.startswith(": ❌"), text
    assert POSITION in validation and "M1" in validation and "M2" in validation, text
    # three dots mean the same: what y did since it left main
    dots = run(svt, where, "review", "origin/main...origin/y").stdout
    assert state(where) == before
    assert dots.split("\n", 1)[1] == text.split("\n", 1)[1]
    # y alone, reviewed against the commit it grew from, is clean (the position was free)
    fork = git(where, "merge-base", "origin/main", "origin/y")
    alone = run(svt, where, "review", f"{fork}..origin/y").stdout
    assert "### Validation: ✅ clean" in alone and "grew from" not in alone, alone


def test_review_of_a_merge_that_conflicts_names_the_files(team, svt, tmp_path):
    bare, main, author = team
    run(svt, author, "add", "--id", "M1", "--status", "retired")
    run(svt, author, "add", "--id", "M2", "--location", "JLab")  # merges cleanly
    git(author, "push", "-q", "origin", "y")
    run(svt, main, "add", "--id", "M1", "--status", "failed")
    run(svt, main, "add", "--id", "M2", "--status", "failed")  # another field of M2
    git(main, "push", "-q", "origin", "main")
    where = reviewer(tmp_path, bare)
    before = state(where)
    result = run(svt, where, "review", "origin/main..origin/y")
    assert state(where) == before
    text = result.stdout
    merge = section(text, "Merge")
    assert merge.startswith(": ❌ 1 file(s) in conflict"), text
    assert "`records/module/M1/component.yaml`" in merge and "M2" not in merge, text
    assert "### Validation" not in text, text
    assert "- **M1** changed: status: `incoming` → `retired`" in text, text
    assert "- **M2** changed: location: – → `JLab`" in text, text
    assert "failed" not in text, text


def test_review_shows_only_the_rule_changes_of_the_branch(team, svt, tmp_path):
    bare, main, author = team
    run(svt, author, "add", "--id", "M2", "--location", "JLab")
    git(author, "push", "-q", "origin", "y")
    config = main / "svt.yaml"
    config.write_text(config.read_text() + "max_file_mb: 5\n")
    git(main, "commit", "-qam", "a rule change on main")
    git(main, "push", "-q", "origin", "main")
    where = reviewer(tmp_path, bare)
    text = run(svt, where, "review", "origin/main..origin/y").stdout
    assert "Rules changed" not in text and "svt.yaml" not in text, text
    assert "### Validation: ✅ clean" in text, text
    # the branch's own rule change is shown, as its diff
    config = author / "svt.yaml"
    config.write_text(config.read_text() + "max_file_mb: 1\n")
    git(author, "commit", "-qam", "a rule change on y")
    git(author, "push", "-q", "origin", "y")
    git(where, "fetch", "-q")
    text = run(svt, where, "review", "origin/main...origin/y").stdout
    rules = section(text, "Rules changed")
    assert "+max_file_mb: 1" in rules and "max_file_mb: 5" not in rules, text


def test_review_of_an_unknown_revision_is_one_line(team, svt):
    _, main, _ = team
    before = state(main)
    for revisions in ("origin/main..nope", "nope...HEAD", "nope"):
        result = run(svt, main, "review", revisions, ok=False)
        assert result.exit_code != 0 and result.stdout == ""
        assert "'nope' is not a revision" in result.stderr, result.stderr
        assert len(result.stderr.strip().splitlines()) == 1, result.stderr
        assert "Traceback" not in result.stderr
    assert state(main) == before


def test_review_of_one_revision_is_that_revision_up_to_head(team, svt):
    _, main, _ = team
    run(svt, main, "add", "--id", "M1", "--status", "failed")
    run(svt, main, "add", "--id", "M2", "--status", "failed")
    text = run(svt, main, "review", "HEAD~2").stdout
    assert text.startswith("## svt review of `HEAD~2..HEAD`")
    assert "**M1** changed" in text and "**M2** changed" in text, text
    last = run(svt, main, "review").stdout  # the last commit
    assert "**M2** changed" in last and "M1" not in last, last


def test_review_merges_component_files_field_by_field_as_svt_does(team, svt, tmp_path):
    """Two fields of one record, changed on each side, on adjacent lines: git's own text
    merge conflicts, svt's merge driver merges them. A fresh clone (the driver not yet
    registered in it) reviews with svt's merge, as sync would merge."""
    bare, main, author = team
    run(svt, author, "add", "--id", "M1", "--location", "JLab")
    git(author, "push", "-q", "origin", "y")
    run(svt, main, "add", "--id", "M1", "--status", "failed")
    git(main, "push", "-q", "origin", "main")
    where = reviewer(tmp_path, bare)
    plain = subprocess.run(["git", "merge-tree", "--write-tree", "origin/main", "origin/y"],
                           cwd=where, capture_output=True, text=True)
    assert plain.returncode == 1 and "M1/component.yaml" in plain.stdout
    before = state(where)
    text = run(svt, where, "review", "origin/main..origin/y").stdout
    assert state(where) == before
    assert "### Merge" not in text and "### Validation: ✅ clean" in text, text
    assert "- **M1** changed: location: – → `JLab`" in text, text


def test_a_checkout_of_the_merge_is_reviewed_in_place_with_the_same_verdict(team, svt, tmp_path):
    """CI checks out a pull request as its merge: when the clean work tree holds exactly the
    merged tree, review validates it where it is (no scratch copy of the store) and says
    what a review from any other clone says. Anything in the work tree that the merge does
    not hold (an untracked record) sends it back to the scratch copy, so it changes nothing."""
    bare = diverge(team, svt)
    elsewhere = reviewer(tmp_path, bare)
    expected = run(svt, elsewhere, "review", "origin/main..origin/y").stdout
    assert "### Validation: ❌" in expected and POSITION in expected, expected
    ci = tmp_path / "ci"
    git(tmp_path, "clone", "-q", str(bare), str(ci))
    git(ci, "-c", "user.name=CI", "-c", "user.email=ci@example.org", "merge", "-q",
        "--no-edit", "origin/y")  # no file of both sides: git's merge is svt's
    stray = ci / "records" / "module" / "M9" / "component.yaml"
    stray.parent.mkdir(parents=True)
    stray.write_text("id: M9\ntype: [not closed\n")  # untracked: no part of the merge
    assert run(svt, ci, "review", "origin/main..origin/y").stdout == expected
    stray.unlink()
    stray.parent.rmdir()
    before = state(ci)
    assert run(svt, ci, "review", "origin/main..origin/y").stdout == expected
    assert state(ci) == before
