"""`svt undo` after `svt sync` (issue 25, items 9 and 10): the id a command printed before a
rebase still undoes its change, and the merge `svt sync --merge` made is named for what it is,
with a command that works. Real clones of a bare remote."""
from __future__ import annotations

import os
import re
import shlex
import subprocess
from pathlib import Path

from svt_records import Database
from tests.collab.gitutil import git, two_clones

DATE = "2025-03-01T10:00:00+00:00"


def clones(tmp_path: Path, svt) -> tuple[Path, Path, Path]:
    origin = tmp_path / "origin"
    svt("--repo", str(origin), "init", "--no-ci")
    for cid in ("M1", "M2"):
        svt("--repo", str(origin), "add", "--id", cid, "--type", "module")
    return two_clones(tmp_path, origin)


def printed_commit(output: str) -> str:
    return re.search(r"\(commit ([0-9a-f]{10})\)", output).group(1)


def test_undo_of_a_commit_sync_rebased_undoes_its_new_self(tmp_path, svt):
    bare, a, b = clones(tmp_path, svt)
    old = printed_commit(svt("--repo", str(a), "test", "M1", "--type", "iv_curve", "--pass",
                             "--date", DATE).stdout)
    svt("--repo", str(b), "log", "M2", "bias line checked")
    svt("--repo", str(b), "sync")
    assert "(rebase)" in svt("--repo", str(a), "sync").stdout
    new = git(a, "rev-parse", "HEAD")
    assert not new.startswith(old)  # the id svt test printed is gone from the branch
    result = svt("--repo", str(a), "undo", old, ok=False)
    assert result.exit_code == 0, result.stderr
    assert f"{old} was rewritten by a rebase" in result.stderr and new[:10] in result.stderr
    assert f"Undid {new[:10]}" in result.stdout
    assert Database(a).tests("M1") == []
    assert git(a, "log", "-1", "--format=%b").strip() == f"This reverts commit {new}."
    assert svt("--repo", str(a), "validate", ok=False).exit_code == 0


def test_undo_of_the_merge_sync_made_says_what_it_is_and_the_command_works(tmp_path, svt):
    bare, a, b = clones(tmp_path, svt)
    svt("--repo", str(a), "test", "M1", "--type", "iv_curve", "--pass", "--date", DATE)
    svt("--repo", str(a), "sync")
    mine = printed_commit(svt("--repo", str(b), "log", "M2", "bias line checked").stdout)
    assert "(merge)" in svt("--repo", str(b), "sync", "--merge").stdout
    merge = git(b, "rev-parse", "HEAD")
    refused = svt("--repo", str(b), "undo", ok=False)
    assert refused.exit_code == 1 and "was not made by svt" not in refused.stderr
    message = refused.stderr
    assert f"the last commit, {merge[:10]}, is the merge svt sync --merge made" in message
    command = re.search(r": (svt undo [0-9a-f]{10})", message).group(1)
    assert command == f"svt undo {mine}"
    assert "is the merge svt sync --merge made" in svt("--repo", str(b), "undo", merge[:10],
                                                        ok=False).stderr
    done = svt("--repo", str(b), *shlex.split(command)[1:])
    assert f"Undid {mine}" in done.stdout
    assert not any("bias line checked" in str(e) for e in Database(b).events("M2"))
    assert [t["result"] for t in Database(b).tests("M1")] == ["pass"]  # a's change stays
    listed = git(b, "log", "--oneline", f"{merge[:10]}^1..{merge[:10]}^2")
    assert "M1" in listed


def test_undo_of_a_commit_a_resolution_changed_names_its_new_self_and_that_works(tmp_path,
                                                                                svt):
    """The rebase replays A's status change onto B's and a conflict is settled in it: the
    commit's new self makes another change, so svt undo refuses the old id and names the
    new one, whose undo then works as given."""
    bare, a, b = clones(tmp_path, svt)
    old = printed_commit(svt("--repo", str(a), "add", "--id", "M1", "--status",
                             "failed").stdout)
    svt("--repo", str(b), "add", "--id", "M1", "--status", "repair")
    svt("--repo", str(b), "sync")
    git(a, "fetch", "-q")  # a rebase by hand (svt sync would merge instead)
    stopped = subprocess.run(["git", "rebase", "origin/main"], cwd=a, capture_output=True)
    assert stopped.returncode != 0  # stopped at the conflict
    svt("--repo", str(a), "resolve", "M1", "--set", "status=spare")
    subprocess.run(["git", "rebase", "--continue"], cwd=a, check=True, capture_output=True,
                   env={**os.environ, "GIT_EDITOR": "true"})
    assert Database(a).get_component("M1")["status"] == "spare"
    refused = svt("--repo", str(a), "undo", old, ok=False)
    assert refused.exit_code == 1 and "whose change differs" in refused.stderr
    assert len(refused.stderr.strip().splitlines()) == 1
    command = re.search(r"to undo it, (svt undo [0-9a-f]{10})", refused.stderr).group(1)
    assert command[len("svt undo "):] == git(a, "rev-parse", "--short=10", "HEAD")
    done = svt("--repo", str(a), *shlex.split(command)[1:])
    assert "Undid" in done.stdout
    assert Database(a).get_component("M1")["status"] == "repair"  # B's value, as before
    assert svt("--repo", str(a), "validate", ok=False).exit_code == 0
