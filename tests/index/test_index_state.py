"""The query index, proven against a full re-read of the files after every step of random
sequences of svt writes, hand edits, git commands and merges from a second clone.

Each example works on a fresh copy of a store with a bare remote and a second clone. After
every step the machine re-reads every record in the work tree with the strict reader (the
oracle) and compares it with each answer the index gives: ``list`` with every filter, the
table columns, who holds each position, the unreadable records, ``summary``, the event rows
``svt results`` reads and the files no commit holds (``validate --since``). Nothing sleeps:
edits land within the file system's time stamp granularity, as fast hands and scripts make
them, and the index must cope.

The suite runs a bounded number of examples. A longer hunt (a few minutes)::

    SVT_STATE_EXAMPLES=300 SVT_STATE_STEPS=30 python -m pytest tests/index/test_index_state.py -q -p no:cacheprovider

A failure prints the steps that led to it, shrunk, and how to reproduce it.
"""
from __future__ import annotations

import os
import shutil
import subprocess
import time
from collections import Counter, defaultdict
from pathlib import Path

import pytest
from hypothesis import strategies as st
from hypothesis.stateful import (RuleBasedStateMachine, initialize, invariant,
                                 precondition, rule)

from conftest import StoresMachineBase, publish_with_clone, run_machine
from svt_records import Database, model
from svt_records.files import schema, yamlio
from svt_records.model.errors import SvtError
from svt_records.index.queries import TABLE_COLUMNS, Index
from svt_records.store.layout import event_id

EXAMPLES = int(os.environ.get("SVT_STATE_EXAMPLES", "20"))
STEPS = int(os.environ.get("SVT_STATE_STEPS", "20"))

IDS = {"M-1": "module", "M-2": "module", "M-3": "module", "F-1": "feb", "F-2": "feb",
       "S-1": "sensor", "H-1": "hybrid", "N-1": "sensor"}
HAND_IDS = {"X-1": "feb", "X-2": "module"}  # written by hand, never by svt
POSITIONS = {"module": ("Layer1_top_axial", "Layer2_top_axial"), "feb": ("FEB1", "FEB2")}
ALL_POSITIONS = POSITIONS["module"] + POSITIONS["feb"]
STATUSES = ("spare", "testing", "failed", "repair")
LOCATIONS = ("Clean Room", "Hall B", "clean room")
TEST_TYPES = ("iv_curve", "noise_test")
# hand-written status values: valid ones, one the schema refuses, one YAML refuses
HAND_STATUSES = ("spare", "failed", "repair", "installed", "broken", "[oops")


def git(path: Path, *args: str, check: bool = False) -> subprocess.CompletedProcess:
    return subprocess.run(["git", *args], cwd=path, capture_output=True, text=True,
                          check=check)


# ---- the oracle: every record re-read from the work tree ---------------------------------

def _subdirs(folder: str) -> list[str]:
    try:
        return sorted(e.name for e in os.scandir(folder)
                      if e.is_dir(follow_symlinks=False) and not e.name.startswith("."))
    except FileNotFoundError:
        return []


def _read(path: str):
    """The record's data by the strict reader, or None when unreadable."""
    try:
        data = yamlio.load(yamlio.read_text(path)).data
    except (OSError, yamlio.YamlError):
        return None
    return data if isinstance(data, dict) else None


def oracle(root: Path) -> dict:
    """Components (valid and unreadable) and events, as the files say."""
    records = os.path.join(root, "records")
    valid, broken, events, files = [], [], [], set()
    for ctype in _subdirs(records):
        for cid in _subdirs(os.path.join(records, ctype)):
            folder = os.path.join(records, ctype, cid)
            comp = os.path.join(folder, "component.yaml")
            if os.path.isfile(comp):
                files.add(f"records/{ctype}/{cid}/component.yaml")
                data = _read(comp)
                if data is None or schema.check(data, "component", reference=True):
                    broken.append((cid, ctype))
                else:
                    valid.append(data)
            for year in _subdirs(folder):
                for name in sorted(os.listdir(os.path.join(folder, year))):
                    full = os.path.join(folder, year, name)
                    if not name.endswith(".yaml") or not os.path.isfile(full):
                        continue
                    rel = f"records/{ctype}/{cid}/{year}/{name}"
                    files.add(rel)
                    ev = _event(rel, full)
                    if ev is not None:
                        events.append(ev)
    valid.sort(key=lambda d: (d["type"], d["id"]))
    return {"valid": valid, "broken": sorted(broken), "events": sorted(events), "files": files}


def _event(rel: str, full: str):
    data = _read(full)
    if data is None or data.get("kind") not in model.EVENT_KINDS \
            or not isinstance(data.get("date"), str):
        return None
    try:
        utc = model.to_utc(model.parse_date(data["date"])).isoformat()
    except SvtError:
        return None
    return (rel, data.get("component", rel.split("/")[2]), data["kind"],
            data.get("test_type") or data["kind"], data["date"], utc, data.get("result"))


def expected_summary(o: dict, recent: int = 10) -> dict:
    by_type: dict = defaultdict(dict)
    for (ctype, status), n in sorted(Counter((d["type"], d["status"]) for d in o["valid"]).items()):
        by_type[ctype][status] = n
    by_status = Counter(d["status"] for d in o["valid"])
    installed: dict = defaultdict(list)
    for d in o["valid"]:
        if d.get("position") is not None:
            installed[d.get("run_period") or "(no run period)"].append(
                {"id": d["id"], "type": d["type"], "position": d["position"]})
    tests: dict = {}
    for path, _, kind, name, date, utc, result in o["events"]:
        if kind == "test":
            t = tests.setdefault(name, {"count": 0, "pass": 0, "fail": 0, "latest": utc})
            t["count"] += 1
            t["pass"] += result == "pass"
            t["fail"] += result == "fail"
            t["latest"] = max(t["latest"], utc)
    ordered = sorted((e for e in o["events"] if e[2] == "test"), key=lambda e: (e[5], e[0]),
                     reverse=True)[:recent]
    return {
        "total": sum(by_status.values()),
        "by_type": dict(by_type),
        "by_status": dict(sorted(by_status.items())),
        "installed": {k: sorted(v, key=lambda r: (r["position"], r["id"]))
                      for k, v in sorted(installed.items())},
        "tests": dict(sorted(tests.items())),
        "recent_tests": [{"component": c, "test_type": n, "date": d, "result": r}
                         for _, c, _, n, d, _, r in ordered],
        "connections": sum(len(d.get("connections") or []) for d in o["valid"]) // 2,
    }


# ---- the machine -------------------------------------------------------------------------

class IndexMachine(StoresMachineBase, RuleBasedStateMachine):
    prefix = "svt-state-"

    def __init__(self) -> None:
        super().__init__()
        self.saved: dict[str, bytes] = {}  # files removed by hand, to put back
        self.order = "list-first"
        self.steps = 0
        # hand edits made "long after" the last query: a virtual clock an hour back, one
        # second per edit (git compares whole seconds; a human edits slower than that)
        self.clock = (int(time.time()) - 3600) * 1_000_000_000

    # ---- helpers -------------------------------------------------------------------------
    def db(self, root: Path | None = None) -> Database:
        return Database(root or self.root)

    def svt(self, root: Path | None, method: str, *args, **kwargs) -> None:
        try:
            getattr(self.db(root), method)(*args, **kwargs)
        except SvtError:
            pass  # refused (rules, a merge under way, uncommitted edits): also an answer

    def present(self, pattern: str) -> list[str]:
        return sorted(p.relative_to(self.root).as_posix()
                      for p in (self.root / "records").glob(pattern) if p.is_file())

    def write(self, rel: str, text: str | bytes, in_place: bool, aged: bool = False) -> None:
        """Write as an editor does: in place, or a new file renamed over the old one;
        ``aged``: with a time stamp the index would trust (not within its racy window)."""
        path = self.root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        data = text.encode() if isinstance(text, str) else text
        if in_place and path.exists():
            with open(path, "r+b") as fh:
                fh.write(data)
                fh.truncate()
        else:  # as most editors save: a new file renamed over the old one
            tmp = path.with_name(f".{path.name}.tmp")
            tmp.write_bytes(data)
            os.replace(tmp, path)
        if aged:
            self.clock += 1_000_000_000
            os.utime(path, ns=(self.clock, self.clock))

    # ---- svt writes (in this store, or in the second clone, then pushed) -----------------
    @rule(op=st.sampled_from(["status", "move", "test", "install", "remove", "assemble",
                              "disassemble"]),
          cid=st.sampled_from(sorted(IDS)), status=st.sampled_from(STATUSES),
          location=st.sampled_from(LOCATIONS), test_type=st.sampled_from(TEST_TYPES),
          slot=st.integers(0, 1), passed=st.booleans(), in_clone=st.booleans())
    def svt_write(self, op, cid, status, location, test_type, slot, passed, in_clone):
        where = self.clone if in_clone else None
        if op == "status" and cid == "N-1":  # each clone adds it, under another type
            self.svt(where, "save_component", cid, {"type": "sensor" if in_clone else "hybrid"})
        elif op == "status":  # adds the component if it is new
            self.svt(where, "save_component", cid, {"type": IDS[cid], "status": status})
        elif op == "move":
            self.svt(where, "set_location", cid, location)
        elif op == "test":
            self.svt(where, "record_test", cid, test_type, passed=passed)
        elif op == "install":
            positions = POSITIONS.get(IDS[cid], ("Crate1_Slot1", "Crate1_Slot2"))
            self.svt(where, "install", cid, positions[slot])
        elif op == "remove":
            self.svt(where, "remove", cid)
        elif op == "assemble":
            self.svt(where, "assemble", f"M-{slot + 1}", sensor_id="S-1", hybrid_id="H-1")
        else:
            self.svt(where, "disassemble", f"M-{slot + 1}")
        if in_clone:
            git(self.clone, "push", "-q", "origin", "HEAD:main")

    # ---- hand edits ----------------------------------------------------------------------
    @rule(op=st.sampled_from(["status", "position", "result", "undo", "add-component",
                              "add-event"]),
          data=st.data(), status=st.sampled_from(HAND_STATUSES),
          slot=st.integers(0, len(ALL_POSITIONS) - 1), day=st.integers(1, 3),
          in_place=st.booleans(), aged=st.booleans())
    def hand_edit(self, op, data, status, slot, day, in_place, aged):
        components = self.present("*/*/component.yaml")
        events = self.present("*/*/*/*.yaml")
        if op in ("status", "position") and components:
            rel = data.draw(st.sampled_from(components))
            lines = (self.root / rel).read_text().splitlines(keepends=True)
            if op == "status":
                lines = [f"status: {status}\n" if ln.startswith("status:") else ln
                         for ln in lines]
            else:  # install or remove by hand: the one-per-position rule is the index's
                kept = [ln for ln in lines if not ln.startswith("position:")]
                lines = kept if len(kept) < len(lines) else kept + [
                    f"position: {ALL_POSITIONS[slot]}\n"]
            self.write(rel, "".join(lines), in_place, aged)
        elif op == "result" and events:
            rel = data.draw(st.sampled_from(events))
            text = (self.root / rel).read_text()
            flipped = text.replace("result: pass", "result: XXXX").replace(
                "result: fail", "result: pass").replace("result: XXXX", "result: fail")
            self.write(rel, flipped, in_place, aged)
        elif op == "undo" and components + events:
            # the editor's undo: HEAD's text again (a same-size write, often)
            rel = data.draw(st.sampled_from(components + events))
            head = subprocess.run(["git", "show", f"HEAD:{rel}"], cwd=self.root,
                                  capture_output=True)
            if head.returncode == 0:
                self.write(rel, head.stdout, in_place, aged)
        elif op == "add-component":
            cid = sorted(HAND_IDS)[slot % len(HAND_IDS)]
            self.write(f"records/{HAND_IDS[cid]}/{cid}/component.yaml",
                       f"id: {cid}\ntype: {HAND_IDS[cid]}\nstatus: spare\n", in_place, aged)
        elif op == "add-event" and components:
            folder = data.draw(st.sampled_from(components)).rsplit("/", 1)[0]
            name = TEST_TYPES[slot % 2]
            self.write(f"{folder}/2025/2025010{day}_090000_{name}.yaml",
                       f'kind: test\ndate: "2025-01-0{day}T09:00:00+00:00"\n'
                       f"component: {folder.split('/')[2]}\ntest_type: {name}\n"
                       f"result: {'pass' if in_place else 'fail'}\n", in_place, aged)

    @rule(data=st.data(), what=st.sampled_from(["component", "event", "folder"]))
    def hand_remove(self, data, what):
        files = self.present("*/*/*/*.yaml" if what == "event" else "*/*/component.yaml")
        if not files:
            return
        rel = data.draw(st.sampled_from(files))
        if what == "folder":  # rm -r records/<type>/<id>
            folder = self.root / rel.rsplit("/", 1)[0]
            for path in folder.rglob("*.yaml"):
                self.saved[path.relative_to(self.root).as_posix()] = path.read_bytes()
            shutil.rmtree(folder)
        else:
            self.saved[rel] = (self.root / rel).read_bytes()
            (self.root / rel).unlink()

    @rule(data=st.data(), how=st.sampled_from(["swap", "aside"]), status=st.sampled_from(STATUSES))
    def hand_move(self, data, how, status):
        """Folders moved by hand onto names the index knows, keeping their own mtimes: two
        component folders of one type swapped, or one moved out of records/, edited in
        place there and moved back."""
        components = self.present("*/*/component.yaml")
        if not components:
            return
        first = self.root / data.draw(st.sampled_from(components)).rsplit("/", 1)[0]
        if how == "swap":
            others = [c for c in components if c.startswith(
                first.relative_to(self.root).parent.as_posix() + "/")
                and not c.startswith(first.relative_to(self.root).as_posix() + "/")]
            if not others:
                return
            second = self.root / data.draw(st.sampled_from(others)).rsplit("/", 1)[0]
            aside = self.base / "aside"
            first.rename(aside)
            second.rename(first)
            aside.rename(second)
        else:
            aside = self.base / "aside"
            first.rename(aside)
            comp = aside / "component.yaml"
            lines = comp.read_text().splitlines(keepends=True)
            text = "".join(f"status: {status}\n" if ln.startswith("status:") else ln
                           for ln in lines)
            with open(comp, "r+") as fh:
                fh.write(text)
                fh.truncate()
            aside.rename(first)

    @rule(data=st.data(), how=st.sampled_from(["git", "in-place", "rename"]),
          aged=st.booleans())
    def restore(self, data, how, aged):
        """Put back a file removed or edited: git checkout -- FILE, or the saved text."""
        if how == "git":
            changed = git(self.root, "diff", "--name-only", "--", "records").stdout.split()
            if changed:
                git(self.root, "checkout", "-q", "--", data.draw(st.sampled_from(changed)))
            return
        gone = sorted(p for p in self.saved if not (self.root / p).exists())
        if gone:
            rel = data.draw(st.sampled_from(gone))
            self.write(rel, self.saved[rel], how == "in-place", aged)

    # ---- git -----------------------------------------------------------------------------
    @rule(op=st.sampled_from(["add", "add-all", "commit", "unstage", "untrack"]),
          data=st.data())
    def git_stage(self, op, data):
        files = self.present("*/*/component.yaml") + self.present("*/*/*/*.yaml")
        if op == "add-all" or (op == "add" and not files):
            git(self.root, "add", "-A", "records")
        elif op == "add":
            git(self.root, "add", "--", data.draw(st.sampled_from(files)))
        elif op == "commit":
            git(self.root, "commit", "-q", "--no-verify", "-m", "hand commit")
        elif op == "unstage":
            git(self.root, "reset", "-q")
        elif files:
            git(self.root, "rm", "-q", "--cached", "--", data.draw(st.sampled_from(files)))

    @rule(op=st.sampled_from(["stash", "stash -u", "stash pop", "reset --hard",
                              "reset --hard HEAD~1", "reset --soft HEAD~1",
                              "reset --mixed HEAD~1", "checkout main", "checkout other"]))
    def git_history(self, op):
        if op == "checkout other" and git(self.root, "checkout", "-q", "other").returncode:
            git(self.root, "checkout", "-q", "-b", "other")
        elif op.startswith("stash"):
            git(self.root, "stash", *op.split()[1:] or ["push"], "-q")
        else:
            git(self.root, *op.split()[:1], "-q", *op.split()[1:])

    @rule()
    def git_pull(self):
        git(self.root, "pull", "-q", "--no-rebase", "--no-edit", "origin", "main")

    @precondition(lambda self: (self.root / ".git" / "MERGE_HEAD").exists())
    @rule(commit=st.booleans())
    def git_end_merge(self, commit):
        if commit:  # conflict markers and all, as happens
            git(self.root, "add", "-A")
            git(self.root, "commit", "-q", "--no-edit", "--no-verify")
        else:
            git(self.root, "merge", "--abort")

    @initialize(order=st.sampled_from(["list-only", "list-first", "summary-first"]))
    def first_query_order(self, order):
        self.order = order

    @rule(order=st.sampled_from(["list-first", "summary-first", "list-only"]))
    def query_order(self, order):
        """Which refresh runs first after the next steps (a list refreshes only components)."""
        self.order = order

    # ---- the check -----------------------------------------------------------------------
    @invariant()
    def index_agrees_with_the_files(self):
        self.steps += 1
        o = oracle(self.root)
        db = self.db()
        self.check_test_ids(db, o)  # first: before any query refreshes the index
        if self.order == "summary-first":
            self.check_summary(db, o)
        index = Index(db)
        assert index.components() == o["valid"]
        self.check_components(index, o)
        position = ALL_POSITIONS[self.steps % len(ALL_POSITIONS)]
        assert db.installed_at(position) == self.holder(o, position)
        if self.order == "list-first":
            self.check_summary(db, o)

    @staticmethod
    def holder(o: dict, position: str) -> str | None:
        ids = [d["id"] for d in o["valid"] if d.get("position") == position]
        return ids[0] if ids else None

    def check_components(self, index: Index, o: dict) -> None:
        valid = o["valid"]
        assert index.components(refresh=False, columns=TABLE_COLUMNS) == [
            tuple(d.get(c) for c in TABLE_COLUMNS) for d in valid]
        assert sorted(index.unreadable_components()) == o["broken"]
        for ctype in sorted(set(IDS.values()) | set(HAND_IDS.values())):
            assert index.components(ctype, refresh=False) == [
                d for d in valid if d["type"] == ctype]
        for status in model.STATUSES:
            assert index.components(status=status, refresh=False) == [
                d for d in valid if d["status"] == status]
        for location in LOCATIONS:
            assert index.components(location=location, refresh=False) == [
                d for d in valid if (d.get("location") or "").lower() == location.lower()]
        for position in ALL_POSITIONS:
            assert index.components(position=position, refresh=False) == [
                d for d in valid if d.get("position") == position]

    def check_test_ids(self, db: Database, o: dict) -> None:
        """`svt show-test ID` finds the readable tests with that id among the files as they
        are now, though the index was last refreshed steps ago (or never)."""
        tests = [e[0] for e in o["events"] if e[2] == "test"]
        ids = {event_id(rel) for rel in o["files"] | set(self.saved)}
        for short in sorted(ids):
            assert Index(db).tests_with_id(short) == sorted(
                rel for rel in tests if event_id(rel) == short), short

    def check_summary(self, db: Database, o: dict) -> None:
        index = Index(db)
        got = index.summary()
        got["installed"] = {k: sorted(v, key=lambda r: (r["position"], r["id"]))
                            for k, v in got["installed"].items()}
        assert got == expected_summary(o)
        # the rows `svt results` reads, and the files `validate --since` adds
        rows = sorted(index.db.execute(
            "SELECT path, component, kind, name, date, utc, result FROM events"
            " WHERE error IS NULL"))
        assert rows == o["events"]
        head = set(git(self.root, "ls-tree", "-r", "--name-only", "HEAD", "--",
                       "records").stdout.split())
        assert o["files"] - head <= set(index.uncommitted())


@pytest.fixture
def template(tmp_path) -> Path:
    """A store with a few records, pushed to a bare remote, and a second clone of it."""
    store = tmp_path / "store"
    db = Database(store)
    db.initialize_schema()
    db.save_component("M-1", {"type": "module", "status": "spare"})
    db.save_component("F-1", {"type": "feb", "status": "spare"})
    db.record_test("M-1", "iv_curve", passed=True, date="2025-01-01T10:00:00")
    db.install("F-1", "FEB1")
    publish_with_clone(tmp_path, store)
    for name in ("index.sqlite", "index.sqlite-wal", "index.sqlite-shm"):
        (db.repo.svt_dir() / name).unlink(missing_ok=True)
    return tmp_path


def test_the_index_agrees_with_the_files_after_any_sequence(template):
    IndexMachine.template = template
    run_machine(IndexMachine, EXAMPLES, STEPS)
