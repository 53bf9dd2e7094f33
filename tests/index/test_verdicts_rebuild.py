"""Issue 28: the verdicts `svt list` reads are kept in the index by triggers that a rebuild
makes only after its bulk insert, having worked out every component's in one pass (over the
rows it writes: test_rebuild_verdicts_pass.py). The verdicts after a rebuild are those the
triggers kept through random svt writes and hand edits (and both are what the files say),
through the real CLI on real git stores."""
from __future__ import annotations

import json
import os
import sqlite3
import time
from pathlib import Path

import pytest
from click.testing import CliRunner
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, rule

from conftest import StoresMachineBase, run_machine
from svt_records import Database, model
from svt_records.cli import cli
from svt_records.index import tallies
from svt_records.model.errors import SvtError
from test_index_state import oracle

IDS = ("M-1", "M-2", "M-3")
DATES = ("2025-01-01T10:00:00", "2025-01-02T10:00:00")  # tests of one date: ties
INDEX_FILES = ("index.sqlite", "index.sqlite-wal", "index.sqlite-shm")


def svt(root: Path, *args: str) -> str:
    try:  # click 8.1 mixes stderr into stdout unless told not to
        runner = CliRunner(mix_stderr=False)
    except TypeError:
        runner = CliRunner()
    result = runner.invoke(cli, ["--repo", str(root), *args], catch_exceptions=False)
    assert result.exit_code in (0, 1), result.output  # 1: an unreadable file left out
    return result.stdout


def listed(root: Path) -> dict[str, tuple[str, dict]]:
    """{id: (health, verdicts)} as `svt list --format json` says."""
    return {r["id"]: (r["health"], r["verdicts"])
            for r in json.loads(svt(root, "list", "--format", "json"))}


def kept(root: Path) -> tuple[set[str], list[tuple]]:
    """The verdict triggers in the index file, and its verdicts table."""
    with sqlite3.connect(root / ".git" / "svt" / "index.sqlite") as db:
        triggers = {n for (n,) in db.execute(
            "SELECT name FROM sqlite_master WHERE type='trigger' AND name LIKE 'verdicts%'")}
        table = sorted(db.execute("SELECT component, data, health, line FROM verdicts"))
    return triggers, table


def delete_index(root: Path) -> None:
    for name in INDEX_FILES:
        (root / ".git" / "svt" / name).unlink(missing_ok=True)


def expected(root: Path) -> dict[str, tuple[str, dict]]:
    """{id: (health, verdicts)} of each readable component, from the files alone: the
    latest readable test of each type (by model.event_order) of the component it names."""
    o = oracle(root)
    tests: dict[str, list] = {}
    for rel, component, kind, name, date, _, result in o["events"]:
        if kind == "test":
            recorded = Database(root).load(rel).get("recorded")
            order = model.event_order(model.parse_date(date), recorded, rel.rsplit("/", 1)[1])
            tests.setdefault(component, []).append((name, order, result))
    out = {}
    for record in o["valid"]:
        by_type = model.latest_by_type(tests.get(record["id"], []))
        out[record["id"]] = (model.overall_health(by_type), by_type)
    return out


def populate(db: Database, png) -> None:
    for cid in IDS:
        db.save_component(cid, {"type": "module", "status": "spare"})
    db.record_test("M-1", "iv_curve", passed=False, date=DATES[0])
    db.record_test("M-1", "noise_test", passed=True, date=DATES[1])
    db.record_test("M-2", "iv_curve", passed=True, date=DATES[0])


def test_a_rebuild_marks_nothing_and_works_every_verdict_out_as_it_writes(prebuilt):
    root = prebuilt(populate).root
    delete_index(root)
    svt(root, "summary")  # a rebuild that reads every event row
    triggers, table = kept(root)  # made after the bulk insert, with the verdicts of its rows
    assert triggers == set(tallies.VERDICT_TRIGGERS) and [r[0] for r in table] == ["M-1", "M-2"]
    with sqlite3.connect(root / ".git" / "svt" / "index.sqlite") as db:
        # no trigger fired for the rows: none was there
        assert db.execute("SELECT count(*) FROM verdicts_stale").fetchone() == (0,)
    assert listed(root) == expected(root) == {
        "M-1": ("fail", {"iv_curve": "fail", "noise_test": "pass"}),
        "M-2": ("pass", {"iv_curve": "pass"}), "M-3": ("untested", {})}
    assert kept(root) == (triggers, table)
    # from now on kept by the triggers: a later test is seen without a rebuild
    Database(root).record_test("M-3", "iv_curve", passed=True, date=DATES[1])
    assert listed(root)["M-3"] == ("pass", {"iv_curve": "pass"})
    assert len(kept(root)[1]) == 3


def test_a_test_file_that_comes_to_name_another_component_takes_its_verdict_along(prebuilt):
    """The row a changed file replaces named another component: both are worked out again.
    (The files are dated an hour back, as if edited long before: only the edited one is
    read again, so no other row of its old component marks that one.)"""
    root = prebuilt(populate).root
    clock = [(int(time.time()) - 3600) * 1_000_000_000]

    def aged(path: Path) -> None:
        clock[0] += 1_000_000_000
        os.utime(path, ns=(clock[0], clock[0]))

    for path in (root / "records").glob("*/*/*/*.yaml"):
        aged(path)
    assert listed(root)["M-1"] == ("fail", {"iv_curve": "fail", "noise_test": "pass"})
    (path,) = (root / "records" / "module" / "M-1").glob("*/*_iv_curve_*.yaml")
    path.write_text(path.read_text().replace("\ncomponent: M-1\n", "\ncomponent: M-3\n"))
    aged(path)
    assert listed(root) == expected(root) == {
        "M-1": ("pass", {"noise_test": "pass"}), "M-2": ("pass", {"iv_curve": "pass"}),
        "M-3": ("fail", {"iv_curve": "fail"})}


class VerdictsMachine(StoresMachineBase, RuleBasedStateMachine):
    """svt writes and hand edits of test files, lists and summaries in between or none, the
    index deleted now and then; at times and at the end, the verdicts the index kept are
    compared with the files and with those of an index rebuilt from scratch."""

    prefix = "svt-verdicts-"

    def db(self) -> Database:
        return Database(self.root)

    def tests(self) -> list[Path]:
        return sorted(p for p in (self.root / "records").glob("*/*/*/*.yaml")
                      if "_iv_curve_" in p.name or "_noise_test_" in p.name)

    def __init__(self) -> None:
        super().__init__()
        self.clock = (int(time.time()) - 3600) * 1_000_000_000  # "long ago", a second a step
        self.aged = False

    def edit(self, path: Path, old: str, new: str) -> None:
        text = path.read_text()
        if old in text:
            tmp = path.with_name(f".{path.name}.tmp")
            tmp.write_text(text.replace(old, new))
            os.replace(tmp, path)
            self.age(path)

    def age(self, path: Path) -> None:
        """An edit made long after the last query (or not): only it is read again."""
        if self.aged:
            self.clock += 1_000_000_000
            os.utime(path, ns=(self.clock, self.clock))

    @rule(cid=st.sampled_from(IDS), test_type=st.sampled_from(["iv_curve", "noise_test"]),
          passed=st.booleans(), date=st.sampled_from(DATES))
    def record_test(self, cid, test_type, passed, date):
        try:
            self.db().record_test(cid, test_type, passed=passed, date=date)
        except SvtError:
            pass

    @rule(data=st.data(), how=st.sampled_from(["flip", "no verdict", "delete", "break",
                                               "another component"]),
          other=st.sampled_from(IDS), aged=st.booleans())
    def hand_edit(self, data, how, other, aged):
        self.aged = aged
        tests = self.tests()
        if not tests:
            return
        path = data.draw(st.sampled_from(tests))
        if how == "flip":
            text = path.read_text()
            self.edit(path, "result: pass", "result: fail") if "result: pass" in text \
                else self.edit(path, "result: fail", "result: pass")
        elif how == "no verdict":
            self.edit(path, "result: pass\n", "")
            self.edit(path, "result: fail\n", "")
        elif how == "delete":
            path.unlink()
        elif how == "break":
            path.write_text("kind: [oops\n")
            self.age(path)
        else:  # the file names another component than its folder's (as the index reads it)
            text = path.read_text()
            start = text.find("\ncomponent: ")
            if start >= 0:
                end = text.index("\n", start + 1)
                self.edit(path, text[start:end], f"\ncomponent: {other}")

    @rule(query=st.sampled_from(["list", "summary"]))
    def query(self, query):
        """A query between changes: the list brings the verdicts in step (and makes their
        triggers after a rebuild); the summary refreshes the event rows, no verdict."""
        svt(self.root, query, *(["--format", "json"] if query == "list" else []))

    @rule()
    def rebuild(self):
        """The index deleted: the next query rebuilds it (and its verdicts, as it writes)."""
        delete_index(self.root)

    @rule()
    def compare(self):
        """The verdicts as the index kept them (made at a rebuild, or kept by the triggers
        through the steps since) are what the files say, and what a rebuild works out."""
        incremental = listed(self.root)
        table = kept(self.root)
        assert table[0] == set(tallies.VERDICT_TRIGGERS)
        assert incremental == expected(self.root)
        delete_index(self.root)
        assert listed(self.root) == incremental
        assert kept(self.root) == table

    def teardown(self) -> None:
        try:
            self.compare()
        finally:
            super().teardown()


@pytest.fixture
def template(tmp_path, store_templates) -> Path:
    """A store with three modules and a few tests, under ``store`` as the machine wants."""
    store_templates.copy(populate, tmp_path / "store")
    return tmp_path


def test_the_verdicts_after_a_rebuild_are_those_the_triggers_kept(template):
    VerdictsMachine.template = template
    run_machine(VerdictsMachine, int(os.environ.get("SVT_STATE_EXAMPLES", "20")), 10)
