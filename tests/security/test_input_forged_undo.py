"""Issue 24, "Input that cannot leak or trick": `svt undo` counts a commit as undone only when
a later commit's diff really takes its changes back. A commit message is anyone's to write
(any commit of a merged pull request): "This reverts commit A." alone decides nothing, and
a real `git revert` is recognised by its diff, whatever its message says."""
from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

from svt_records import Database


def git(store: Path, *args: str) -> str:
    return subprocess.run(["git", *args], cwd=store, capture_output=True, text=True,
                          check=True, env=dict(os.environ, GIT_EDITOR="true")).stdout.strip()


def head(store: Path) -> str:
    return git(store, "rev-parse", "HEAD")


def hand_commit(store: Path, message: str, path: str, text: str) -> str:
    """A commit as a pull request brings it: any change, any message."""
    (store / path).parent.mkdir(parents=True, exist_ok=True)
    (store / path).write_text(text)
    git(store, "add", path)
    git(store, "commit", "-q", "-m", message)
    return head(store)


def refusal(svt, *args: str) -> str:
    result = svt(*args, ok=False)
    assert result.exit_code == 1, result.stdout + result.stderr
    message = result.stderr.strip()
    assert len(message.splitlines()) == 1 and "Traceback" not in message, message
    return message


@pytest.fixture
def store(db: Database, svt) -> Path:
    svt("add", "--id", "M1", "--type", "module")
    return db.root


def test_a_message_that_claims_a_revert_does_not_make_a_commit_undone(store, svt):
    svt("add", "--id", "M2", "--type", "module", "--location", "SLAC")
    added = head(store)
    record = store / "records/module/M2/component.yaml"
    forged = hand_commit(store, f"tidy M2\n\nThis reverts commit {added}.",
                         "records/module/M2/component.yaml",
                         record.read_text().replace("location: SLAC", "location: CERN"))
    before = head(store)
    message = refusal(svt, "undo", added)
    assert "already undone" not in message, message
    assert f"later commits change the same component(s) as {added[:10]}" in message
    assert forged[:10] in message
    assert head(store) == before and Database(store).get_component("M2") is not None


def test_a_forged_undo_of_a_later_commit_does_not_hide_it(store, svt):
    """Before, a message pairing hid both commits from the check that later commits build on
    the one undone."""
    svt("add", "--id", "M2", "--type", "module")
    added = head(store)
    svt("log", "M2", "first look", "--type", "observation")
    logged = head(store)
    forged = hand_commit(store, f"more\n\nThis reverts commit {logged}.",
                         "records/module/M2/2025/20250101_000000_comment_x.yaml",
                         "kind: comment\ndate: \"2025-01-01T00:00:00+00:00\"\ncomponent: M2\n"
                         "text: not a revert at all\nauthor: someone\n")
    message = refusal(svt, "undo", added)
    assert f"later commits change the same component(s) as {added[:10]}" in message, message
    assert forged[:10] in message and logged[:10] in message


def test_a_real_git_revert_is_recognised_whatever_its_message(store, svt):
    svt("add", "--id", "M2", "--type", "module")
    added = head(store)
    git(store, "revert", "--no-edit", added)
    reverted = head(store)
    assert f"{added[:10]} was already undone by {reverted[:10]}" in refusal(svt, "undo", added)
    # the same revert with a message of its own: its diff still says what it did
    git(store, "commit", "-q", "--amend", "-m", "put M2 back where it was")
    amended = head(store)
    assert f"{added[:10]} was already undone by {amended[:10]}" in refusal(svt, "undo", added)


def test_a_later_commit_and_its_real_revert_cancel_out_whatever_their_messages(store, svt):
    svt("add", "--id", "M2", "--type", "module")
    added = head(store)
    svt("location", "M2", "Clean Room")
    moved = head(store)
    git(store, "revert", "--no-edit", moved)
    git(store, "commit", "-q", "--amend", "-m", "back to where it was")
    svt("undo", added)  # the move and its revert leave nothing that builds on the add
    assert Database(store).get_component("M2") is None
    assert svt("validate", ok=False).exit_code == 0
    # and svt's own undo is recognised as before
    undo = head(store)
    assert f"{added[:10]} was already undone by {undo[:10]}" in refusal(svt, "undo", added)
