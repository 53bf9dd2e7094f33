"""`svt retype ID TYPE` refusals, through the real CLI in real git stores: a folder holding a
symbolic link, a FIFO, too many files; an installed component; a module holding parts; a part
on a module (also when a merge or the store's own schemas left its type other than the
module's slot that names it, and when its module does not list it). Each is one line, exit
non-zero, no traceback, nothing changed (HEAD, git status, every file), and each command the
message suggests works when pasted (then the retype goes through)."""
from __future__ import annotations

import json
import os
import re
import shlex
import stat
from pathlib import Path

import pytest

from svt_records import Database
from svt_records.api import retype as retype_module
from tests.collab.gitutil import git, two_clones

DATE = "2025-03-01T10:00:00+00:00"


def snapshot(store: Path) -> tuple:
    """HEAD, git status and every file of the work tree (links and FIFOs by kind: a FIFO is
    never opened)."""
    files = {}
    for folder, dirs, names in os.walk(store):
        dirs[:] = [d for d in dirs if d != ".git"]
        for name in names:
            path = Path(folder, name)
            mode = os.lstat(path).st_mode
            files[path.relative_to(store).as_posix()] = (
                path.read_bytes() if stat.S_ISREG(mode) else
                ("link", os.readlink(path)) if stat.S_ISLNK(mode) else ("other", mode))
    status = git(store, "status", "--porcelain", "--ignored", "--untracked-files=all")
    return git(store, "rev-parse", "HEAD"), status, files


def refused(svt, store: Path, cid: str, new_type: str, says: str) -> str:
    """svt retype, refused as the rules above say; the message's one line."""
    before = snapshot(store)
    out = svt("--repo", str(store), "retype", cid, new_type, ok=False)
    assert out.exit_code == 1, (out.exit_code, out.stdout, out.stderr)
    assert "Traceback" not in out.stderr + out.stdout and not out.stdout
    (line,) = out.stderr.strip().splitlines()
    assert says in line, line
    assert snapshot(store) == before
    return line


def suggested(line: str) -> list[list[str]]:
    """The svt commands a message suggests, "(svt A, then svt B)", as argument lists."""
    found = re.findall(r"\((svt [^)]*)\)", line)
    return [shlex.split(cmd)[1:] for text in found for cmd in text.split(", then ")]


def paste_then_retype(svt, store: Path, line: str, cid: str, new_type: str,
                      commands: list[list[str]]) -> None:
    for args in suggested(line):  # as pasted: each must work
        svt("--repo", str(store), *args)
    assert suggested(line) == commands, line
    done = svt("--repo", str(store), "retype", cid, new_type)
    assert f"{cid} is a {new_type}" in done.stdout
    assert Database(store).get_component(cid)["type"] == new_type


@pytest.fixture
def sensor(store_path, svt, png) -> Path:
    """A store with sensor S1 and its test with a stored image (three files)."""
    svt("add", "--id", "S1", "--type", "sensor", "--serial", "111")
    svt("test", "S1", "--type", "iv_curve", "--pass", "--image", str(png), "--date", DATE)
    return store_path


def test_a_symbolic_link_in_the_folder_is_refused(sensor, svt, tmp_path):
    outside = tmp_path / "outside.txt"
    outside.write_text("not a record")
    (year,) = [p for p in (sensor / "records/sensor/S1").iterdir() if p.is_dir()]
    (year / "extra.png").symlink_to(outside)
    git(sensor, "add", "records")
    git(sensor, "commit", "-qm", "a link, as a stranger's pull request may bring")
    refused(svt, sensor, "S1", "hybrid", "extra.png is a symbolic link: svt never follows")
    assert outside.read_text() == "not a record"


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no FIFOs here")
def test_a_fifo_in_the_folder_is_refused(sensor, svt):
    os.mkfifo(sensor / "records/sensor/S1/pipe")
    line = refused(svt, sensor, "S1", "hybrid", "records/sensor/S1/pipe is not a regular file")
    assert "remove it" in line


def test_more_files_than_the_bound_is_refused_and_the_advice_works(sensor, svt, monkeypatch):
    monkeypatch.setattr(retype_module, "MAX_FILES", 2)
    line = refused(svt, sensor, "S1", "hybrid", "records/sensor/S1 holds more than 2 files")
    assert ("move its files to records/hybrid/S1/ by hand (git mv), set type: hybrid in its"
            " component.yaml, and commit") in line
    # the advice, followed: the store is valid and S1 a hybrid with its test
    (sensor / "records/hybrid").mkdir()
    git(sensor, "mv", "records/sensor/S1", "records/hybrid/S1")
    record = sensor / "records/hybrid/S1/component.yaml"
    record.write_text(record.read_text().replace("type: sensor\n", "type: hybrid\n"))
    git(sensor, "commit", "-qam", "S1 is a hybrid")
    assert svt("--repo", str(sensor), "validate", ok=False).exit_code == 0
    assert Database(sensor).get_component("S1")["type"] == "hybrid"
    assert len(Database(sensor).tests("S1")) == 1


def test_an_installed_component_is_refused_naming_svt_remove(store_path, svt):
    svt("add", "--id", "F1", "--type", "feb")
    svt("install", "F1", "FEB1")
    line = refused(svt, store_path, "F1", "hybrid", "F1 is installed at FEB1: remove it first")
    paste_then_retype(svt, store_path, line, "F1", "hybrid", [["remove", "F1"]])


@pytest.fixture
def module(store_path, svt) -> Path:
    """Module M1 with sensor S1 and hybrid H1."""
    svt("add", "--id", "S1", "--type", "sensor")
    svt("add", "--id", "H1", "--type", "hybrid")
    svt("add", "--id", "M1", "--type", "module")
    svt("assemble", "M1", "--sensor", "S1", "--hybrid", "H1")
    return store_path


def test_a_module_holding_parts_is_refused_naming_svt_disassemble(module, svt):
    line = refused(svt, module, "M1", "feb", "M1 holds its sensor and hybrid; a feb holds none")
    paste_then_retype(svt, module, line, "M1", "feb", [["disassemble", "M1"]])


def test_a_part_on_a_module_is_refused_naming_its_slot(module, svt):
    line = refused(svt, module, "H1", "sensor", "H1 is on module M1: take its hybrid off first")
    paste_then_retype(svt, module, line, "H1", "sensor", [["disassemble", "M1", "--only",
                                                           "hybrid"]])
    assert Database(module).get_component("M1")["sensor"] == "S1"  # the other part stays


def test_a_part_on_an_installed_module_names_both_commands(module, svt):
    svt("install", "M1", "Layer1_top_axial")
    line = refused(svt, module, "S1", "hybrid", "S1 is on module M1: take its sensor off first")
    paste_then_retype(svt, module, line, "S1", "hybrid",
                      [["remove", "M1"], ["disassemble", "M1", "--only", "sensor"]])


def test_a_part_whose_type_a_merge_changed_is_named_by_its_slot(tmp_path, svt):
    """Clone a assembles S1 as M1's sensor while clone b retypes S1 to a hybrid; git's merge
    keeps both: S1 is a hybrid that M1 holds as its sensor. The hint names the slot M1 holds
    it in (--only sensor): --only hybrid would say that M1 has no hybrid."""
    origin = tmp_path / "origin"
    svt("--repo", str(origin), "init")
    svt("--repo", str(origin), "add", "--id", "S1", "--type", "sensor")
    svt("--repo", str(origin), "add", "--id", "M1", "--type", "module")
    _, a, b = two_clones(tmp_path, origin)
    svt("--repo", str(a), "assemble", "M1", "--sensor", "S1")
    git(a, "push", "-q")
    svt("--repo", str(b), "retype", "S1", "hybrid")
    git(b, "pull", "-q", "--no-rebase", "--no-edit")
    record = Database(b).get_component("S1")
    assert (record["type"], record["module"]) == ("hybrid", "M1")
    line = refused(svt, b, "S1", "sensor", "S1 is on module M1: take its sensor off first")
    paste_then_retype(svt, b, line, "S1", "sensor", [["disassemble", "M1", "--only",
                                                      "sensor"]])


def test_a_part_of_a_type_that_is_no_module_part_is_named_by_its_slot(store_path, svt):
    """A store's own schemas may let any type name a module (an older store, or its
    maintainers' choice): an feb on M1 as its sensor. The hint names the slot (--only feb
    would not even parse)."""
    path = store_path / "schemas/component.schema.json"
    schema = json.loads(path.read_text())
    schema["allOf"] = [rule for rule in schema["allOf"]
                       if rule["then"]["properties"] != {"module": False}]
    path.write_text(json.dumps(schema, indent=2) + "\n")
    git(store_path, "commit", "-qam", "any type may name its module")
    svt("add", "--id", "F1", "--type", "feb")
    svt("add", "--id", "M1", "--type", "module")
    for rel, old, new in (("records/feb/F1/component.yaml", "type: feb\n",
                           "type: feb\nmodule: M1\n"),
                          ("records/module/M1/component.yaml", "type: module\n",
                           "type: module\nsensor: F1\n")):
        text = (store_path / rel).read_text()
        assert old in text
        (store_path / rel).write_text(text.replace(old, new))
    git(store_path, "commit", "-qam", "F1 on M1 by hand")
    assert Database(store_path).get_component("F1")["module"] == "M1"
    line = refused(svt, store_path, "F1", "hybrid",
                   "F1 is on module M1: take its sensor off first")
    paste_then_retype(svt, store_path, line, "F1", "hybrid", [["disassemble", "M1", "--only",
                                                               "sensor"]])


def test_a_module_that_does_not_list_the_part_asks_for_the_hand_edit(sensor, svt):
    """S1 names module M9, which does not exist (a hand edit, or a module's record a merge
    dropped): no svt command takes it off, so the message says which line to delete."""
    path = sensor / "records/sensor/S1/component.yaml"
    path.write_text(path.read_text().replace("type: sensor\n", "type: sensor\nmodule: M9\n"))
    git(sensor, "commit", "-qam", "a dangling module link")
    line = refused(svt, sensor, "S1", "hybrid", "S1 is on module M9: it does not list S1")
    assert suggested(line) == [] and "delete the module line from" \
        " records/sensor/S1/component.yaml first" in line
    path.write_text(path.read_text().replace("module: M9\n", ""))
    git(sensor, "commit", "-qam", "the dangling link deleted, as the message says")
    assert "S1 is a hybrid" in svt("--repo", str(sensor), "retype", "S1", "hybrid").stdout


def test_a_non_module_holding_parts_asks_for_the_hand_edit_and_its_commit(store_path, svt):
    """A store's own schemas may let another type hold parts (an feb with a sensor line):
    no svt command takes it off, so the message says which line to delete and to commit
    (retype refuses uncommitted records)."""
    path = store_path / "schemas/component.schema.json"
    schema = json.loads(path.read_text())
    schema["allOf"] = [rule for rule in schema["allOf"]
                       if "sensor" not in rule["then"]["properties"]]
    path.write_text(json.dumps(schema, indent=2) + "\n")
    git(store_path, "commit", "-qam", "any type may hold parts")
    svt("add", "--id", "F1", "--type", "feb")
    record = store_path / "records/feb/F1/component.yaml"
    record.write_text(record.read_text().replace("type: feb\n", "type: feb\nsensor: S9\n"))
    git(store_path, "commit", "-qam", "F1 holds a sensor, by hand")
    line = refused(svt, store_path, "F1", "hybrid", "F1 holds its sensor; a hybrid holds none")
    assert suggested(line) == [] and ("delete its sensor line(s) from"
                                      " records/feb/F1/component.yaml first, commit") in line
    record.write_text(record.read_text().replace("sensor: S9\n", ""))
    git(store_path, "commit", "-qam", "the sensor line deleted and committed, as it says")
    assert "F1 is a hybrid" in svt("--repo", str(store_path), "retype", "F1", "hybrid").stdout
