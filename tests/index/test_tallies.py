"""The test counts `svt summary` reads (index/tallies.py) agree with a count of the event
rows after any sequence of writes: inserts, replacements, deletions and updates, before and
after the counts are first made, and when an index file made without them is opened."""
from __future__ import annotations

import sqlite3

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from svt_records import Database
from svt_records.index import tallies
from svt_records.index.queries import Index

EVENTS = ("CREATE TABLE events (path TEXT PRIMARY KEY, component TEXT, kind TEXT, name TEXT,"
          " date TEXT, utc TEXT, result TEXT, error TEXT, short TEXT, legacy INTEGER);"
          " CREATE INDEX events_kind ON events(kind, utc);")


def populate(db: Database, png) -> None:
    db.save_component("M-1", {"type": "module", "status": "spare"})
    db.record_test("M-1", "iv_curve", passed=True, images=[png], date="2025-01-01T10:00:00")
    db.record_test("M-1", "noise_test", passed=False, date="2025-01-02T10:00:00")


@pytest.fixture
def populated(prebuilt) -> Database:
    return prebuilt(populate)


def counted(db: sqlite3.Connection) -> dict:
    """What the summary counted before the tallies: GROUP BY over the event rows."""
    return {name: {"count": n, "pass": p or 0, "fail": f or 0, "latest": last}
            for name, n, p, f, last in db.execute(
                "SELECT name, count(*), sum(result='pass'), sum(result='fail'), max(utc)"
                " FROM events WHERE kind='test' GROUP BY name ORDER BY name")}


ROW = st.tuples(st.sampled_from(["a", "b", "c", "d"]), st.sampled_from(["test", "log", None]),
                st.sampled_from(["iv_curve", "noise", None]),
                st.sampled_from([None, "2025-01-01", "2025-02-01", "2025-03-01"]),
                st.sampled_from(["pass", "fail", None, "NULL"]))
OPS = st.lists(st.tuples(st.sampled_from(["insert", "replace", "delete", "update"]), ROW),
               max_size=40)


@settings(max_examples=150, deadline=None)
@given(before=OPS, after=OPS)
def test_the_counts_agree_with_the_rows(before, after):
    db = sqlite3.connect(":memory:", isolation_level=None)
    db.executescript(EVENTS)
    for ops, made in ((before, False), (after, True)):
        if made:
            tallies.ensure(db)  # made from the rows as they are, then kept by the triggers
        for op, (path, kind, name, utc, result) in ops:
            row = (path, "C-1", kind, name, "d", utc, result, None, "s", None)
            if op == "insert":
                try:
                    db.execute("INSERT INTO events VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", row)
                except sqlite3.IntegrityError:  # the row is there: nothing changes
                    pass
            elif op == "replace":
                db.execute("INSERT OR REPLACE INTO events VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                           row)
            elif op == "delete":
                db.execute("DELETE FROM events WHERE path=?", (path,))
            else:
                db.execute("UPDATE events SET kind=?, name=?, result=?, utc=? WHERE path=?",
                           (kind, name, result, utc, path))
            if made:
                assert tallies.tests(db) == counted(db)
    db.execute("DELETE FROM events")
    assert tallies.tests(db) == {} == counted(db)


def test_counts_left_without_their_triggers_are_made_again(populated):
    """An index file whose events table was made afresh (another svt version's layout)
    keeps an old table of counts but loses its triggers: the counts are made again."""
    db = populated
    index = Index(db)
    first = index.summary()["tests"]
    assert first and sum(t["count"] for t in first.values()) > 0
    index.db.execute("DROP TRIGGER tally_insert")
    index.db.execute("UPDATE test_tally SET n = n + 100")  # what stale counts would say
    index.db.execute("DELETE FROM meta WHERE key LIKE 'summary:%'")
    assert Index(db).summary()["tests"] == first


def test_a_summary_counts_a_test_svt_writes_and_one_removed_by_hand(populated):
    db = populated
    before = Index(db).summary()["tests"]["iv_curve"]["count"]
    db.record_test("M-1", "iv_curve", passed=False, date="2026-01-01T10:00:00")
    tests = Index(db).summary()["tests"]["iv_curve"]
    assert tests["count"] == before + 1 and tests["latest"].startswith("2026-01-01")
    newest = max((db.root / "records").glob("*/M-1/2026/*iv_curve*.yaml"))
    newest.unlink()
    tests = Index(Database(db.root)).summary()["tests"]["iv_curve"]
    assert tests["count"] == before and tests["latest"].startswith("2025")
