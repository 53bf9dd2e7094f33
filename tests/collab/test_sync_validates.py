"""svt sync validates what it pulls, not only what it pushes: a state that fails validation,
pushed with plain git by someone else, stops the sync (exit 1, the files named), and nothing
is pushed until a commit fixes it. Real clones of a bare remote in tmp_path."""
from __future__ import annotations

from pathlib import Path

import pytest

from svt_records import Database
from test_sync import clones, git, run, tip  # noqa: F401  (clones: a fixture)

M1 = "records/module/M1/component.yaml"


def _push_by_hand(where: Path, edit, message: str) -> None:
    """Edit M1's record as a plain-git user would, commit and push, no svt involved."""
    rec = where / M1
    rec.write_text(edit(rec.read_text()))
    git(where, "commit", "-qam", message)
    git(where, "push", "-q")


def _refused(svt, where: Path, *said: str) -> str:
    result = run(svt, where, "sync", ok=False)
    assert result.exit_code == 1, result.stdout + result.stderr
    assert "Not pushed" in result.stderr and M1 in result.stderr, result.stderr
    for text in said:
        assert text in result.stderr, result.stderr
    assert "Traceback" not in result.stderr
    return result.stderr


@pytest.mark.parametrize("clones", ["", "sync: merge\n"], ids=["rebase", "merge"],
                         indirect=True)
def test_pulling_a_state_that_fails_validation_stops_sync_until_a_commit_fixes_it(clones, svt):
    bare, a, b = clones
    _push_by_hand(a, lambda t: t.replace("status: spare", "status: brokn"), "M1 by hand")
    broken = tip(bare, "main")
    # nothing of b's own: the pull alone fails validation
    said = _refused(svt, b, "1 commit(s) from origin/main merged in", "status is 'brokn'")
    assert tip(b) == broken  # pulled: the clone shows what the remote holds
    # a commit that does not fix it is not pushed either: the result still fails
    run(svt, b, "log", "M2", "bias line checked")
    _refused(svt, b, "status is 'brokn'")
    assert tip(bare, "main") == broken
    # the fix, by hand, makes the next sync pass and push both commits
    (b / M1).write_text((b / M1).read_text().replace("status: brokn", "status: spare"))
    git(b, "commit", "-qam", "M1: a status svt knows")
    assert "Pushed 2 commit(s) to origin/main" in run(svt, b, "sync").stdout
    assert tip(bare, "main") == tip(b)
    assert not (b / ".git/svt/sync-failing").exists()
    assert "nothing to do" in run(svt, b, "sync").stdout
    assert said.count("error") >= 1


def test_a_pulled_contradiction_is_fixed_through_svt_and_then_pushed(clones, svt):
    """A moves M1 with svt, then sets its location back by hand: the record contradicts its
    latest move. B's sync refuses what it pulled; the fix validate names (svt location)
    makes the next sync push."""
    bare, a, b = clones
    run(svt, a, "location", "M1", "CERN", "--date", "2025-03-02T10:00:00+00:00")
    _push_by_hand(a, lambda t: t.replace("location: CERN", "location: SLAC"), "M1 back")
    run(svt, b, "log", "M2", "checked", "--date", "2025-03-03T10:00:00+00:00")
    _refused(svt, b, "location here is SLAC", "svt location M1 CERN")
    assert tip(bare, "main") == tip(a)
    run(svt, b, "location", "M1", "CERN")
    out = run(svt, b, "sync").stdout
    assert "Pushed 2 commit(s) to origin/main" in out
    assert Database(b).get_component("M1")["location"] == "CERN"
    assert tip(bare, "main") == tip(b)


def test_an_unreadable_local_edit_that_git_merges_leaves_the_clone_rebased(clones, svt):
    """B's hand edit makes M1 unreadable (a key written twice) away from A's change: svt's
    driver cannot read it, git's text merge merges the lines, so the rebase goes through.
    Nothing is pushed, the file is named, and the clone holds the rebased commits (as
    docs/collaboration.md says); fixing the file and committing lets sync push."""
    bare, a, b = clones
    run(svt, a, "add", "--id", "M1", "--status", "failed")
    run(svt, a, "sync")
    rec = b / M1
    rec.write_text(rec.read_text() + "location: JLab\n")  # location is there already
    git(b, "commit", "-qam", "M1: location by hand")
    _refused(svt, b, "1 commit(s) from origin/main merged in", "duplicate key 'location'")
    git(b, "merge-base", "--is-ancestor", tip(a), "HEAD")  # rebased onto A's commit
    assert tip(bare, "main") == tip(a)
    text = rec.read_text().replace("location: SLAC\n", "")
    rec.write_text(text)
    git(b, "commit", "-qam", "M1: one location")
    assert "Pushed 2 commit(s)" in run(svt, b, "sync").stdout
    m1 = Database(b).get_component("M1")
    assert (m1["status"], m1["location"]) == ("failed", "JLab")


@pytest.mark.parametrize("clones", [""], ids=["rebase"], indirect=True)
def test_a_refused_sync_fails_even_when_nobody_reads_its_output(clones):
    """`svt sync | head -1` style: the reader is gone before svt writes. The refusal still
    exits 1 (svt's exits go through click, so main() never takes it for a broken pipe)."""
    import os
    import subprocess
    import sys
    bare, a, b = clones
    _push_by_hand(a, lambda t: t.replace("status: spare", "status: brokn"), "M1 by hand")
    proc = subprocess.Popen([sys.executable, "-m", "svt_records", "sync"], cwd=b,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            env={**os.environ, "SVT_REPO": str(b)})
    assert proc.stdout is not None and proc.stderr is not None
    proc.stdout.close()
    err = proc.stderr.read().decode()
    assert proc.wait() == 1, err
    assert "Not pushed" in err and "Traceback" not in err
