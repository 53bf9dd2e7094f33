"""`svt retype ID TYPE` (issue 25, item 8): a component's record, events and stored files move
to the new type's folder in one commit; a test another clone recorded meanwhile under the old
folder is named by validate, and the command it names moves it. Real clones of a bare remote."""
from __future__ import annotations

import shlex
from pathlib import Path

from svt_records import Database
from tests.collab.gitutil import git, two_clones

DATE = "2025-03-01T10:00:00+00:00"


def clones(tmp_path: Path, svt, png: Path) -> tuple[Path, Path, Path]:
    origin = tmp_path / "origin"
    svt("--repo", str(origin), "init", "--no-ci")
    svt("--repo", str(origin), "add", "--id", "S1", "--type", "sensor", "--serial", "111")
    svt("--repo", str(origin), "test", "S1", "--type", "iv_curve", "--pass", "--image",
        str(png), "--date", DATE)
    return two_clones(tmp_path, origin)


def test_retype_moves_everything_in_one_commit_and_collects_stragglers(tmp_path, svt, png):
    bare, a, b = clones(tmp_path, svt, png)
    before = git(a, "rev-parse", "HEAD")
    done = svt("--repo", str(a), "retype", "S1", "hybrid")
    assert "S1 is a hybrid" in done.stdout
    assert git(a, "rev-list", "--count", f"{before}..HEAD") == "1"
    assert not (a / "records/sensor/S1").exists()
    assert Database(a).get_component("S1")["type"] == "hybrid"
    assert len(list((a / "records/hybrid/S1").glob("*/*.png"))) == 1
    assert [t["result"] for t in Database(a).tests("S1")] == ["pass"]
    assert svt("--repo", str(a), "validate", ok=False).exit_code == 0
    svt("--repo", str(a), "undo")  # one commit: undo takes it back whole
    assert Database(a).get_component("S1")["type"] == "sensor"
    assert not (a / "records/hybrid/S1").exists()
    assert len(list((a / "records/sensor/S1").glob("*/*.png"))) == 1
    svt("--repo", str(a), "retype", "S1", "hybrid")
    svt("--repo", str(a), "sync")

    # meanwhile b records a test under the old folder; git's merge leaves it there
    svt("--repo", str(b), "test", "S1", "--type", "iv_curve", "--fail", "--date", DATE)
    git(b, "-c", "merge.directoryRenames=false", "pull", "-q", "--no-rebase", "--no-edit")
    assert list((b / "records/sensor/S1").glob("*/*.yaml"))
    result = svt("--repo", str(b), "validate", ok=False)
    assert result.exit_code == 1
    line = next(l for l in result.stdout.splitlines() if "holds events of S1" in l)
    assert "records/sensor/S1/ holds events of S1" in line and line.endswith(
        "move them there with svt retype S1 hybrid")
    command = shlex.split(line.rsplit(" with ", 1)[1])
    svt("--repo", str(b), *command[1:])
    assert not (b / "records/sensor/S1").exists()
    assert sorted(t["result"] for t in Database(b).tests("S1")) == ["fail", "pass"]
    assert svt("--repo", str(b), "validate", ok=False).exit_code == 0
    svt("--repo", str(b), "sync")
    assert git(bare, "rev-parse", "main") == git(b, "rev-parse", "HEAD")

    # nothing to change, or assembled: one-line refusals that say what to do
    same = svt("--repo", str(b), "retype", "S1", "hybrid", ok=False)
    assert same.exit_code != 0 and "nothing to change: S1 is a hybrid already" in same.stderr
    svt("--repo", str(b), "add", "--id", "M1", "--type", "module")
    svt("--repo", str(b), "assemble", "M1", "--hybrid", "S1")
    on_module = svt("--repo", str(b), "retype", "S1", "sensor", ok=False)
    assert on_module.exit_code == 1 and "svt disassemble M1 --only hybrid" in on_module.stderr
    assert "Traceback" not in on_module.stderr and (b / "records/hybrid/S1").is_dir()


def test_retype_help_teaches():
    import subprocess as sp
    import sys
    out = sp.run([sys.executable, "-m", "svt_records", "retype", "--help"],
                 capture_output=True, text=True, check=True).stdout
    assert "svt retype S-0042 hybrid" in out and "stragglers" in out
    listed = sp.run([sys.executable, "-m", "svt_records", "--help"], capture_output=True,
                    text=True, check=True).stdout
    assert "retype" in listed and "move-events" in listed


def test_move_events_refusals_say_what_to_do(tmp_path, svt, png):
    """Same ids, parts of two types, a stamp no event carries: one-line refusals, no
    traceback, no commit."""
    store = tmp_path / "store"
    svt("--repo", str(store), "init", "--no-ci")
    svt("--repo", str(store), "add", "--id", "S1", "--type", "sensor", "--serial", "1")
    svt("--repo", str(store), "add", "--id", "H1", "--type", "hybrid", "--serial", "2")
    svt("--repo", str(store), "test", "S1", "--type", "iv_curve", "--pass", "--date", DATE)
    cases = {("S1", "S1"): "give two different ids",
             ("S1", "H1"): "S1 is a sensor but H1 a hybrid"}
    svt("--repo", str(store), "add", "--id", "S1-2", "--type", "sensor", "--serial", "3")
    before = git(store, "rev-parse", "HEAD")
    for (src, dst), says in cases.items():
        out = svt("--repo", str(store), "move-events", src, dst, "--created",
                  "2020-01-01T00:00:00+00:00", ok=False)
        assert out.exit_code != 0 and says in out.stderr and "Traceback" not in out.stderr
        assert len(out.stderr.strip().splitlines()) == 1
    nothing = svt("--repo", str(store), "move-events", "S1", "S1-2", "--created",
                  "2020-01-01T00:00:00+00:00", ok=False)
    assert "no event of S1 was recorded on the part created 2020-01-01" in nothing.stderr
    assert git(store, "rev-parse", "HEAD") == before
    # an event of the part whose kind was edited into no event kind: named, nothing moved
    created = Database(store).get_component("S1")["created"]
    event = next((store / "records/sensor/S1").glob("*/*_iv_curve_*.yaml"))
    event.write_text(event.read_text().replace("kind: test", "kind: tset"))
    git(store, "commit", "-qam", "a typo by hand")
    before = git(store, "rev-parse", "HEAD")
    bad = svt("--repo", str(store), "move-events", "S1", "S1-2", "--created", created,
              ok=False)
    assert bad.exit_code != 0 and len(bad.stderr.strip().splitlines()) == 1
    assert "has kind 'tset', no event kind" in bad.stderr and "svt validate" in bad.stderr
    assert git(store, "rev-parse", "HEAD") == before
    assert event.exists() and not list((store / "records/sensor/S1-2").glob("*/*.yaml"))
