"""Two clones add the same new id (issue 25, item 7): two physical parts, one record after the
merge. Validate (full and --since) refuses it, naming commands that split them again; they
work when pasted. Real clones of a bare remote."""
from __future__ import annotations

import json
import shlex
import subprocess
import time
from pathlib import Path

import pytest

from svt_records import Database
from tests.collab.gitutil import git, two_clones

DATE_A = "2025-03-01T10:00:00+00:00"
DATE_B = "2025-03-02T10:00:00+00:00"


def clones(tmp_path: Path, svt) -> tuple[Path, Path, Path]:
    origin = tmp_path / "origin"
    svt("--repo", str(origin), "init", "--no-ci")
    svt("--repo", str(origin), "add", "--id", "M1", "--type", "module")
    return two_clones(tmp_path, origin)


def suggested(text: str) -> list[list[str]]:
    """The svt commands a message suggests (each up to the next comma, paren or 'then')."""
    out = []
    for part in text.replace(" then ", "\n").replace("(", "\n").replace(")", "\n").split("\n"):
        at = part.find("svt ")
        if at >= 0 and (at == 0 or part[at - 1] == " "):
            out.append(shlex.split(part[at:].strip().rstrip(",.;"))[1:])
    return out


@pytest.mark.parametrize("how", ["sync --merge", "git pull --rebase"])
def test_two_parts_added_under_one_id_in_two_clones_are_refused_and_split(tmp_path, svt, how):
    bare, a, b = clones(tmp_path, svt)
    svt("--repo", str(a), "add", "--id", "S1", "--type", "sensor", "--serial", "111")
    svt("--repo", str(a), "test", "S1", "--type", "iv_curve", "--pass", "--date", DATE_A)
    svt("--repo", str(a), "sync")
    pushed = git(a, "rev-parse", "HEAD")
    time.sleep(1.1)  # created is to the second: b's part is made later
    svt("--repo", str(b), "add", "--id", "S1", "--type", "sensor", "--serial", "222")
    svt("--repo", str(b), "test", "S1", "--type", "iv_curve", "--fail", "--date", DATE_B)
    if how == "sync --merge":
        stopped = svt("--repo", str(b), "sync", "--merge", ok=False)
        assert stopped.exit_code == 1 and "S1" in stopped.stderr
        svt("--repo", str(b), "resolve", "S1", "--ours")  # in a merge: b's own, serial 222
        git(b, "commit", "-q", "--no-edit")  # the merge, as a user finishing it by hand would
    else:
        assert subprocess.run(["git", "pull", "-q", "--rebase"], cwd=b,
                              capture_output=True).returncode != 0  # add/add: a conflict
        svt("--repo", str(b), "resolve", "S1", "--theirs")  # in a rebase: b's own, 222
        git(b, "-c", "core.editor=true", "rebase", "--continue")
    db = Database(b)
    assert sorted(t["result"] for t in db.tests("S1")) == ["fail", "pass"]  # one record

    full = svt("--repo", str(b), "validate", ok=False)
    since = svt("--repo", str(b), "validate", "--since", pushed, ok=False)
    for result in (full, since):
        assert result.exit_code == 1, result.stdout + result.stderr
        said = result.stdout + result.stderr
        assert "two parts were given the id S1" in said
        assert "svt add --id S1-2 --type sensor" in said and "svt move-events S1 S1-2 --created" in said
    # sync refuses to push it (validation of what it would push)
    refused = svt("--repo", str(b), "sync", ok=False)
    assert refused.exit_code == 1 and "two parts were given the id S1" in (
        refused.stdout + refused.stderr)
    assert git(bare, "rev-parse", "main") == pushed

    # the commands it names work as given: a's part (serial 111, the pass test) goes to S1-2
    line = next(l for l in (full.stdout + full.stderr).splitlines() if "two parts" in l)
    commands = suggested(line)
    assert [c[0] for c in commands] == ["add", "move-events"], commands
    for command in commands:
        svt("--repo", str(b), *command)
    svt("--repo", str(b), "add", "--id", "S1-2", "--serial", "111")
    assert db.get_component("S1")["serial_number"] == "222"
    assert [t["result"] for t in db.tests("S1")] == ["fail"]
    assert [t["result"] for t in db.tests("S1-2")] == ["pass"]
    clean = svt("--repo", str(b), "validate", ok=False)
    assert clean.exit_code == 0, clean.stdout + clean.stderr
    moved = next((b / "records/sensor/S1-2").glob("*/*_iv_curve_*.yaml")).read_text()
    assert "component: S1-2" in moved
    assert f"component_created: \"{db.get_component('S1-2')['created']}\"" in moved
    svt("--repo", str(b), "sync")
    assert git(bare, "rev-parse", "main") == git(b, "rev-parse", "HEAD")


def test_events_carry_their_part_and_a_store_before_the_key_keeps_working(tmp_path, svt):
    _, a, _ = clones(tmp_path, svt)
    svt("--repo", str(a), "add", "--id", "S1", "--type", "sensor")
    svt("--repo", str(a), "test", "S1", "--type", "iv_curve", "--pass", "--date", DATE_A)
    created = Database(a).get_component("S1")["created"]
    event = next((a / "records/sensor/S1").glob("*/*.yaml")).read_text()
    assert "component_created:" in event and created in event
    # a store whose schemas predate the key: nothing written, everything validates
    for path in (a / "schemas").glob("*.schema.json"):
        doc = json.loads(path.read_text())
        if doc.get("properties", {}).pop("component_created", None) is not None:
            path.write_text(json.dumps(doc, indent=2) + "\n")
    for path in (a / "records/sensor/S1").glob("*/*.yaml"):
        path.write_text("".join(l for l in path.read_text().splitlines(keepends=True)
                                if not l.startswith("component_created:")))
    git(a, "commit", "-qam", "schemas before component_created")
    svt("--repo", str(a), "test", "S1", "--type", "iv_curve", "--fail", "--date", DATE_B)
    assert not any("component_created" in p.read_text()
                   for p in (a / "records/sensor/S1").glob("*/*.yaml"))
    result = svt("--repo", str(a), "validate", ok=False)
    assert result.exit_code == 0, result.stdout + result.stderr
    assert "svt upgrade" in result.stderr  # the key comes through the upgrade path
