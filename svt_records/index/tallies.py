"""Counts of the index's tests, and the marks of whose verdicts to work out again, kept up to
date as its event rows change.

`svt summary` counts the tests of each type and their results. Counting 50,000 event rows
(at 10,000 components) took 45 ms each time any record changed; here SQLite triggers add and
take away each row's share as it is written, replaced or deleted, whoever writes it (svt's own
writes, a refresh after a hand edit, a rebuild), so the counts cost one lookup. The latest
date of each type is read from the ``events_kind`` index (kind, utc), newest first.

The counts are made from the rows when the triggers are missing: the first summary after an
upgrade, or after the index's other tables were made afresh (dropping ``events`` drops its
triggers too, and a table of counts left over is then replaced). So a rebuild (a new index
file) runs without them. Their price is about 20 µs for each event row written: nothing
for an svt write (a few rows), 20 ms when a pull changed 1,000 event files.

The verdicts of each component (``Index.verdicts``, for `svt list`) are kept the same way:
their triggers name in ``verdicts_stale`` each component whose event rows change, so that only
those are worked out again. They too are made only after a rebuild's bulk insert (issue 28:
firing for each of its 50,000 event rows cost the writer 0.15 s of CPU at 10,000 components);
while they are missing, the verdicts table is not to be trusted. A rebuild works out every
component's from the rows as it writes them (``queries.LatestTests``: no read of 50,000 rows
back) and makes them; else (a row whose text SQLite would store otherwise) the first
``Index.verdicts`` works out every component's in one pass over the rows, then makes them.
"""
from __future__ import annotations

import sqlite3
from typing import Iterable

from ..model.verdicts import RESULTS

# The key holds name and result as SQL literals (quote()): NULL and text stay apart.
KEY = "quote({0}.name) || ',' || quote({0}.result)"
TALLY = f"""
CREATE TABLE test_tally (k TEXT PRIMARY KEY, name TEXT, result TEXT, n INTEGER);
CREATE TRIGGER tally_insert AFTER INSERT ON events WHEN NEW.kind = 'test' BEGIN
    INSERT INTO test_tally VALUES ({KEY.format('NEW')}, NEW.name, NEW.result, 1)
    ON CONFLICT(k) DO UPDATE SET n = n + 1; END;
CREATE TRIGGER tally_replace BEFORE INSERT ON events BEGIN
    UPDATE test_tally SET n = n - 1 WHERE k = (SELECT {KEY.format('events')} FROM events
    WHERE path = NEW.path AND kind = 'test'); END;
CREATE TRIGGER tally_delete AFTER DELETE ON events WHEN OLD.kind = 'test' BEGIN
    UPDATE test_tally SET n = n - 1 WHERE k = {KEY.format('OLD')}; END;
CREATE TRIGGER tally_update AFTER UPDATE OF kind, name, result ON events BEGIN
    UPDATE test_tally SET n = n - 1 WHERE OLD.kind = 'test' AND k = {KEY.format('OLD')};
    INSERT INTO test_tally SELECT {KEY.format('NEW')}, NEW.name, NEW.result, 1
    WHERE NEW.kind = 'test' ON CONFLICT(k) DO UPDATE SET n = n + 1; END;
"""
# (INSERT OR REPLACE deletes the row it replaces without firing delete triggers, hence
# tally_replace; a failing INSERT undoes what its BEFORE trigger did.)
TRIGGERS = ("tally_insert", "tally_replace", "tally_delete", "tally_update")

# a row replaced (INSERT OR REPLACE) may have named another component: both are marked
VERDICT_MARKS = """
CREATE TRIGGER verdicts_insert BEFORE INSERT ON events BEGIN
    INSERT OR IGNORE INTO verdicts_stale SELECT component FROM events WHERE path = NEW.path;
    INSERT OR IGNORE INTO verdicts_stale VALUES (NEW.component); END;
CREATE TRIGGER verdicts_delete AFTER DELETE ON events BEGIN
    INSERT OR IGNORE INTO verdicts_stale VALUES (OLD.component); END;
CREATE TRIGGER verdicts_update AFTER UPDATE ON events BEGIN
    INSERT OR IGNORE INTO verdicts_stale VALUES (OLD.component);
    INSERT OR IGNORE INTO verdicts_stale VALUES (NEW.component); END;
"""
VERDICT_TRIGGERS = ("verdicts_insert", "verdicts_delete", "verdicts_update")


def ensure(db: sqlite3.Connection) -> None:
    """Make the counts and their triggers if they are missing (one lookup when present)."""
    if _complete(db):
        return
    db.execute("BEGIN IMMEDIATE")
    try:
        if not _complete(db):  # another process may have made them meanwhile
            db.execute("DROP TABLE IF EXISTS test_tally")
            for name in TRIGGERS:
                db.execute(f"DROP TRIGGER IF EXISTS {name}")
            for statement in _statements(TALLY):
                db.execute(statement)
            db.execute(f"INSERT INTO test_tally SELECT {KEY.format('events')}, name, result,"
                       " count(*) FROM events WHERE kind = 'test' GROUP BY name, result")
        db.execute("COMMIT")
    except BaseException:
        db.execute("ROLLBACK")
        raise


def tests(db: sqlite3.Connection) -> dict[str, dict]:
    """{test type: {count, pass, fail, latest}} of the indexed tests (readable or not), by
    type; what ``GROUP BY name`` over the event rows says, from the counts."""
    out: dict = {}
    for name, result, n in db.execute("SELECT name, result, n FROM test_tally WHERE n > 0"
                                      " ORDER BY name"):
        t = out.setdefault(name, {"count": 0, **dict.fromkeys(RESULTS, 0), "latest": None})
        t["count"] += n
        if result in RESULTS:
            t[result] += n
    for name, t in out.items():
        row = db.execute("SELECT utc FROM events WHERE kind = 'test' AND name IS ? AND utc"
                         " IS NOT NULL ORDER BY utc DESC LIMIT 1", (name,)).fetchone()
        t["latest"] = row[0] if row else None
    return out


def verdicts_kept(db: sqlite3.Connection) -> bool:
    """Whether the triggers mark in ``verdicts_stale`` whose verdicts to work out again: if
    not, the verdicts table may be out of step with the event rows (:func:`keep_verdicts`)."""
    return _triggers(db, "verdicts_") == set(VERDICT_TRIGGERS)


def keep_verdicts(db: sqlite3.Connection, rows: Iterable[tuple[str, str, str, str]]) -> None:
    """Inside the caller's write transaction: ``rows`` (component, data, health, line), every
    component's verdicts worked out from the event rows as they are, replace the verdicts
    table, and the triggers mark from now on whose verdicts change."""
    for name in VERDICT_TRIGGERS:
        db.execute(f"DROP TRIGGER IF EXISTS {name}")
    db.execute("DELETE FROM verdicts")
    db.execute("DELETE FROM verdicts_stale")
    db.executemany("INSERT INTO verdicts VALUES (?, ?, ?, ?)", rows)
    for statement in _statements(VERDICT_MARKS):
        db.execute(statement)


def _complete(db: sqlite3.Connection) -> bool:
    table = db.execute("SELECT 1 FROM sqlite_master WHERE name = 'test_tally'").fetchone()
    return table is not None and _triggers(db, "tally_") == set(TRIGGERS)


def _triggers(db: sqlite3.Connection, prefix: str) -> set[str]:
    """The names of the triggers on ``events`` that begin with ``prefix``."""
    return {n for (n,) in db.execute(
        "SELECT name FROM sqlite_master WHERE type = 'trigger' AND tbl_name = 'events'"
        " AND substr(name, 1, ?) = ?", (len(prefix), prefix))}


def _statements(script: str) -> list[str]:
    """The statements of ``script``, one by one (``executescript`` would commit first)."""
    out, current = [], ""
    for line in script.strip().splitlines(keepends=True):
        current += line
        if sqlite3.complete_statement(current):
            out.append(current)
            current = ""
    return out
