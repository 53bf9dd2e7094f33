"""Advice that works: each command svt suggests in these collaboration scenarios is run as
given (tests/collab/suggested.py: a real `svt` process in the clone), and must succeed.
Real clones of a bare remote in tmp_path."""
from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from svt_records import Database
from suggested import run_command, run_suggested, suggested
from test_sync import clones, git, run, tip  # noqa: F401  (clones: a fixture)


def _status_on_both_sides(svt, a: Path, b: Path) -> None:
    """M1 and M2 each get a status in A (pushed) and another in B: two conflicting records."""
    run(svt, a, "add", "--id", "M1", "--status", "failed")
    run(svt, a, "add", "--id", "M2", "--status", "retired")
    run(svt, a, "sync")
    run(svt, b, "add", "--id", "M1", "--status", "repair")
    run(svt, b, "add", "--id", "M2", "--status", "lost")


def test_the_commands_sync_suggests_for_two_conflicting_records_settle_them(clones, svt):
    bare, a, b = clones
    _status_on_both_sides(svt, a, b)
    stopped = run(svt, b, "sync", ok=False)
    assert stopped.exit_code == 1 and "svt resolve M1 M2 --ours" in stopped.stderr
    # as it says: `svt sync --merge` (stops at the conflict), `svt resolve M1 M2 --ours`,
    # `svt sync` (commits the merge and pushes)
    done = run_suggested(b, stopped.stderr, may_stop={"svt sync --merge"}, expect=3)
    assert "Pushed" in done[-1].stdout
    assert tip(bare, "main") == tip(b)
    db = Database(b)
    assert (db.get_component("M1")["status"], db.get_component("M2")["status"]) == (
        "repair", "lost")
    assert run(svt, b, "validate", ok=False).exit_code == 0


def test_resolve_of_several_ids_checks_them_all_before_writing_any(clones, svt):
    _, a, b = clones
    _status_on_both_sides(svt, a, b)
    run(svt, b, "sync", "--merge", ok=False)
    both = ("records/module/M1/component.yaml", "records/module/M2/component.yaml")
    before = [(b / p).read_text() for p in both]
    refused = run(svt, b, "resolve", "M1", "M2", "--set", "status=spare", ok=False)
    assert refused.exit_code == 1 and "--set gives one record a value" in refused.stderr
    missing = run(svt, b, "resolve", "M1", "F9", "--ours", ok=False)
    assert missing.exit_code == 1 and "F9 has no merge conflict" in missing.stderr
    assert [(b / p).read_text() for p in both] == before  # nothing half-written
    assert git(b, "diff", "--name-only", "--diff-filter=U").split() == list(both)
    said = run(svt, b, "resolve", "M1", "--set", "status=spare").stdout
    assert "M1 status: set" in said and "M2/component.yaml still conflict" in said
    run(svt, b, "resolve", "M2", "--theirs")
    assert Database(b).get_component("M1")["status"] == "spare"


def test_a_file_sync_cannot_merge_gets_commands_that_run_not_a_literal_id(clones, svt):
    """A moves M1's folder (as a retype by hand would), B logs in the old folder: git's
    directory-rename detection leaves B's new event unmerged, no record conflicts."""
    bare, a, b = clones
    for text in ("first", "second"):
        run(svt, a, "log", "M1", text)
    run(svt, a, "sync")
    run(svt, b, "sync")
    (a / "records/sensor").mkdir()
    git(a, "mv", "records/module/M1", "records/sensor/M1")
    rec = a / "records/sensor/M1/component.yaml"
    rec.write_text(rec.read_text().replace("type: module", "type: sensor"))
    git(a, "commit", "-qam", "M1 is a sensor")
    run(svt, a, "sync")
    run(svt, b, "log", "M1", "bonds checked")
    stopped = run(svt, b, "sync", ok=False)
    assert stopped.exit_code == 1 and "ID" not in stopped.stderr
    assert "added on one side where the other side moved" in stopped.stderr
    assert suggested(stopped.stderr) == ["svt sync --merge", "svt sync"]
    run_command(b, "svt sync --merge", may_stop={"svt sync --merge"})
    waiting = run(svt, b, "sync", ok=False)  # the file is not settled yet: say so, no ID
    assert waiting.exit_code == 1 and "ID" not in waiting.stderr
    assert "by hand, then `git add` it" in waiting.stderr
    moved, = git(b, "diff", "--name-only", "--diff-filter=U").split()
    assert moved.startswith("records/sensor/M1/")
    git(b, "add", moved)  # as the conflict line says
    assert "Pushed" in run_command(b, "svt sync").stdout
    assert tip(bare, "main") == tip(b)


@pytest.mark.parametrize("side, a_day, b_day, chosen, latest", [
    ("ours", "02", "01", "Clean Room B", "SLAC storage"),  # B's own move is the older
    ("theirs", "01", "02", "SLAC storage", "Clean Room B"),  # the remote's is the older
])
def test_resolving_a_location_follows_the_latest_move_and_its_advice_unsticks_the_clone(
        clones, svt, side, a_day, b_day, chosen, latest):
    """A moves M1 to SLAC storage, B to Clean Room B, on other days; B settles the
    conflict for the side whose move is the older."""
    bare, a, b = clones
    run(svt, a, "location", "M1", "SLAC storage", "--date", f"2025-03-{a_day}T10:00:00+00:00")
    run(svt, a, "sync")
    run(svt, b, "location", "M1", "Clean Room B", "--date", f"2025-03-{b_day}T10:00:00+00:00")
    run(svt, b, "sync", "--merge", ok=False)
    said = run(svt, b, "resolve", "M1", f"--{side}").stdout
    assert f"location: {latest}, as the latest move (202503{max(a_day, b_day)}_" in said
    assert Database(b).get_component("M1")["location"] == latest
    # as it says: `svt sync` commits and pushes, `svt location M1 '<chosen>'` records that
    # it is there after all
    done = run_suggested(b, said, expect=2)
    assert "Pushed" in done[0].stdout and f"Moved M1 to {chosen}" in done[1].stdout
    assert run(svt, b, "validate", ok=False).exit_code == 0
    assert "Pushed 1 commit(s)" in run(svt, b, "sync").stdout
    assert tip(bare, "main") == tip(b)
    assert Database(b).get_component("M1")["location"] == chosen


def test_validate_during_a_conflict_says_the_record_is_in_conflict_and_how_to_settle_it(
        clones, svt):
    _, a, b = clones
    run(svt, a, "add", "--id", "M1", "--status", "failed")
    run(svt, a, "sync")
    run(svt, b, "add", "--id", "M1", "--status", "retired")
    run(svt, b, "log", "M1", "an event beside the conflicting record")
    run(svt, b, "sync", "--merge", ok=False)
    checked = run(svt, b, "validate", ok=False)
    assert checked.exit_code == 1
    assert "M1 is in conflict" in checked.stdout
    assert "there is no component" not in checked.stdout
    run_suggested(b, checked.stdout, expect=1)  # svt resolve M1 --ours
    assert run(svt, b, "validate", ok=False).exit_code == 0
    assert Database(b).get_component("M1")["status"] == "retired"


def test_a_rebase_that_drops_the_local_value_keeps_it_on_record(clones, svt):
    """git pull --rebase, then resolve --ours (the remote's value): git drops the local
    commit, which then changed nothing; its value stays on record, in history."""
    _, a, b = clones
    run(svt, a, "add", "--id", "M1", "--status", "failed")
    run(svt, a, "sync")
    run(svt, b, "add", "--id", "M1", "--status", "retired")
    mine = tip(b)
    pulled = git_attempt(b, "pull", "--rebase")
    assert pulled.returncode != 0
    said = run(svt, b, "resolve", "M1", "--ours").stdout
    assert "Kept what your commit set on record, in records/module/M1/" in said
    assert "`git rebase --continue`" in said and "svt sync" not in said
    git(b, "-c", "core.editor=true", "rebase", "--continue")
    assert Database(b).get_component("M1")["status"] == "failed"
    text = run(svt, b, "history", "M1").stdout
    assert "status spare -> retired (kept: failed)" in text and mine[:10] in text
    found = json.loads(run(svt, b, "history", "M1", "--format", "json").stdout)
    assert any("status spare -> retired" in e for c in found["commits"] for e in c["events"])
    assert run(svt, b, "validate", ok=False).exit_code == 0
    assert "Pushed" in run(svt, b, "sync").stdout


def git_attempt(path: Path, *args: str):
    import subprocess
    return subprocess.run(["git", *args], cwd=path, capture_output=True, text=True)


@pytest.mark.parametrize("keep", [True, False])
def test_a_record_deleted_on_one_side_gets_git_commands_that_settle_it(clones, svt, keep):
    """A deletes M1's folder by hand, B changes M1: git cannot merge a change into a deleted
    file, and svt resolve says which git command keeps it and which deletes it; each works
    as given (paths quoted for the shell), and sync then finishes the merge."""
    import shlex
    import subprocess
    bare, a, b = clones
    git(a, "rm", "-rq", "records/module/M1")
    git(a, "commit", "-qm", "M1 goes")
    run(svt, a, "sync")
    run(svt, b, "add", "--id", "M1", "--status", "repair")
    run(svt, b, "sync", "--merge", ok=False)
    refused = run(svt, b, "resolve", "M1", "--ours", ok=False)
    assert refused.exit_code == 1 and "was deleted on one side" in refused.stderr
    assert len(refused.stderr.strip().splitlines()) == 1
    commands = re.findall(r"`(git (?:add|rm) [^`]+)`", refused.stderr)
    assert [c.split()[1] for c in commands] == ["add", "rm"]
    chosen = commands[0 if keep else 1]
    subprocess.run(shlex.split(chosen), cwd=b, check=True, capture_output=True)
    assert git(b, "diff", "--name-only", "--diff-filter=U") == ""
    run(svt, b, "sync")
    assert tip(bare, "main") == tip(b)
    assert (b / "records/module/M1/component.yaml").exists() == keep
    assert run(svt, b, "validate", ok=False).exit_code == 0
