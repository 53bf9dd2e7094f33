"""The derived query index: SQLite inside ``.git/svt/``, never committed, never the truth.

:class:`Index` answers the queries (``list``, ``summary``, the one-component-per-position
rule). Before each one it brings the file in step with the records: freshness.py says what
changed since the last query, index_rows.py what the file holds and the rows a record
becomes. Deleting the index loses nothing: the next command rebuilds it from the files.
"""
from __future__ import annotations

import json
import os
import sqlite3
from collections import Counter, defaultdict
from contextlib import nullcontext
from typing import TYPE_CHECKING, Any, Callable, Iterable, NamedTuple, Tuple

from .. import model
from ..model.errors import SvtError
from ..git import ownwrites
from ..git.log import Commit
from . import tallies
from .rows import (LOCK_WAIT, TABLE_COLUMNS, UNCOMMITTED, PlainRows, Rows, Skipped,
                   event_fields, indexes_made_after, legacy_number, meta, open_file, plain,
                   read_rows, write_rows)
from ..store.base import StoreBase
from ..store.layout import component_folder
from ..store.txn import StoreLock

if TYPE_CHECKING:  # loaded by the queries that refresh (`show`'s history needs neither)
    from .freshness import Check, Freshness

__all__ = ["Index", "Skipped", "TABLE_COLUMNS", "fork_available"]

# a test as the latest-verdict rule reads it: component, path, UTC date, test type, result,
# date as written
TestRow = Tuple[str, str, str, str, "str | None", str]
TESTS_SQL = ("SELECT component, path, utc, name, result, date FROM events"
             " WHERE kind='test' AND error IS NULL")



class Index:
    def __init__(self, store: StoreBase) -> None:
        self.store = store
        self.root = str(store.root)
        self.path = store.repo.svt_dir() / "index.sqlite"
        # the record files the last query left out because they failed to load
        self.skipped: list[Skipped] = []
        # one process at a time creates, upgrades or replaces the file; others then open it
        with StoreLock(self.path.with_name("index.lock"), timeout=LOCK_WAIT):
            self.db = open_file(self.path)
        self._freshness: Freshness | None = None

    @property
    def freshness(self) -> Freshness:
        """The refresh protocol of this index file (freshness.py), made at first use."""
        if self._freshness is None:
            from .freshness import Freshness
            self._freshness = Freshness(self.store, self.db, self._index_files)
        return self._freshness

    def _meta(self, key: str) -> str | None:
        return meta(self.db, key)

    # ---- refresh ------------------------------------------------------------------------------
    def refresh(self, events: bool = True) -> bool:
        """Bring the index in step with the files; True if anything in it changed.
        ``events=False`` (queries that read only components) skips checking the folders below
        the component folders: new event files there matter only to event queries, which
        check them before answering."""
        return self._finish_refresh(self._start_refresh(events))

    def _start_refresh(self, events: bool) -> Check | None:
        return self.freshness.start(events)

    def _finish_refresh(self, check: Check | None) -> bool:
        return self.freshness.finish(check)

    # ---- reading files -------------------------------------------------------------------
    def _index_files(self, paths: list[str], marks: dict[str, int], fresh_after: int) -> None:
        """Read the files and write their rows (inside the caller's transaction).

        Thousands of files (a rebuild, a big pull) are read by two processes: reading and
        parsing is most of the work and the machines svt runs on have several cores. When
        these are all the event rows (a rebuild), the verdicts are worked out from the rows
        as they are written (:class:`LatestTests`), not read back from the table after."""
        tests = LatestTests() if not tallies.verdicts_kept(self.db) and self.db.execute(
            "SELECT 1 FROM events LIMIT 1").fetchone() is None else None
        with self.store.progress_bar("Indexing", len(paths)) as step, \
                indexes_made_after(self.db) if tests is not None and len(paths) >= PARALLEL_FROM \
                else nullcontext():
            self._read_and_write(paths, marks, fresh_after, step, tests)
        if tests is not None and tests.exact:
            tallies.keep_verdicts(self.db, _verdict_rows(latest_verdicts(self.store,
                                                                         tests.rows())))

    def _read_and_write(self, paths: list[str], marks: dict[str, int], fresh_after: int,
                        step: Callable[[int], None], tests: LatestTests | None = None) -> None:
        workers = min(os.cpu_count() or 1, 4)
        if len(paths) >= PARALLEL_FROM and workers > 1 and fork_available():
            import multiprocessing
            global _WORKER_INDEX
            _WORKER_INDEX = self
            chunks = [(chunk, marks, fresh_after) for chunk in chunked(paths, workers)]
            try:
                with multiprocessing.get_context("fork").Pool(workers) as pool:
                    # chunk by chunk, so memory stays flat however large the store
                    for rows in pool.imap_unordered(_read_rows_star, chunks):
                        self._write_rows(rows, tests)
                        step(len(rows[0]))
            finally:
                _WORKER_INDEX = None
        else:
            self._write_rows(self._read_rows(paths, marks, fresh_after), tests)
            step(len(paths))

    def _write_rows(self, rows: PlainRows, tests: LatestTests | None = None) -> None:
        write_rows(self.db, rows)
        if tests is not None:
            tests.add(rows[2])

    def _read_rows(self, paths: list[str], marks: dict[str, int], fresh_after: int) -> Rows:
        return read_rows(self.store, paths, marks, fresh_after)

    # ---- queries -----------------------------------------------------------------------------
    def unreadable_components(self) -> list[tuple[str, str]]:
        """(id, type) of component records that failed to load (svt validate says why)."""
        return list(self.db.execute("SELECT id, type FROM components WHERE error IS NOT NULL"))

    def shared_ids(self) -> list[tuple[str, list[str]]]:
        """Ids that more than one component record uses (a merge can bring one in under
        another type), with their files; each record is listed and counted as it is."""
        rows = self.db.execute(  # counted on components_id alone: every list asks
            "SELECT id, group_concat(path, ' ') FROM components WHERE id IN (SELECT id FROM"
            " components GROUP BY id HAVING count(*) > 1) GROUP BY id ORDER BY id")
        return [(cid, sorted(paths.split(" "))) for cid, paths in rows]

    def uncommitted(self) -> list[str]:
        """Record files that no commit holds yet (as of the last refresh)."""
        return [p for (p,) in self.db.execute("SELECT path FROM files WHERE volatile=?",
                                              (UNCOMMITTED,))]

    def unreadable(self, table: str, component_type: str | None = None) -> list[Skipped]:
        """The files of ``table`` ("components" or "events") that failed to load, as the
        index stands (of one component type, from the folder, if given): each query that
        leaves them out says so. Answered by the partial indexes of broken rows: nothing
        to read in a store without one."""
        sql = f"SELECT path, error FROM {table} WHERE error IS NOT NULL"
        args: list[str] = []
        if component_type:
            sql += " AND path LIKE ? ESCAPE '\\'"
            args.append("records/" + _like(component_type) + "/%")
        # sorted here: ORDER BY path would walk the whole table in its primary key's order
        return sorted(Skipped(*r) for r in self.db.execute(sql, args))

    def components(self, component_type: str | None = None, status: str | None = None,
                   location: str | None = None, position: str | None = None,
                   refresh: bool = True, columns: tuple[str, ...] | None = None) -> list:
        """Component records matching the filters, sorted by type and id; with ``columns``,
        just those fields as tuples (no record decoding: fast for large tables)."""
        args = (component_type, status, location, position, _checked(columns))
        return self._answer(lambda: self._select(*args), refresh, False, component_type)

    def components_with_verdicts(self, component_type: str | None = None,
                                 status: str | None = None, location: str | None = None,
                                 position: str | None = None,
                                 columns: tuple[str, ...] | None = None, by_type: bool = True
                                 ) -> tuple[list, dict[str, Verdicts]]:
        """:meth:`components` and :meth:`verdicts` (``svt list``), the event rows refreshed
        too; :attr:`skipped` then names the unreadable event files as well (a verdict may
        rest on one)."""
        args = (component_type, status, location, position, _checked(columns))
        return self._answer(lambda: (self._select(*args), self.verdicts(by_type)), True, True,
                            component_type)

    def _answer(self, query: Callable[[], Any], refresh: bool, events: bool,
                component_type: str | None) -> Any:
        """``query()``'s answer after a refresh (of the event rows too, with ``events``)."""
        check = self._start_refresh(events=events) if refresh else None
        # while git looks for edits on the other core, answer from the index as it stands
        # (unless the folders showed a change already); ask again if the refresh changed it
        version = self._data_version()
        answer = None if check is not None and check.local else query()
        if check is not None and (self._finish_refresh(check) or
                                  self._data_version() != version):
            answer = None  # changed by this refresh, or by another svt process's meanwhile
        self.skipped = self.unreadable("components", component_type)
        if events:
            self.skipped += self.unreadable("events", component_type)
        return query() if answer is None else answer

    def _select(self, component_type: str | None, status: str | None, location: str | None,
                position: str | None, columns: tuple[str, ...] | None) -> list:
        sql = f"SELECT {', '.join(columns) if columns else 'data'} FROM components WHERE error IS NULL"
        args: list[Any] = []
        for column, value in (("type", component_type), ("status", status),
                              ("position", position)):
            if value:
                sql += f" AND {column} = ?"
                args.append(value)
        if location:
            sql += " AND location = ? COLLATE NOCASE"
            args.append(location)
        sql += " ORDER BY type, id"
        if columns:
            return self.db.execute(sql, args).fetchall()
        return [json.loads(r[0]) for r in self.db.execute(sql, args)]

    def installed(self) -> list[tuple[str, dict]]:
        """(folder, record) of the readable component records that name a position, sorted
        by type and id, as the index stands (the caller refreshes): a few hundred, not the
        whole store."""
        return [(r[0].rsplit("/", 1)[0], json.loads(r[1])) for r in self.db.execute(
            "SELECT path, data FROM components WHERE position IS NOT NULL AND error IS NULL"
            " ORDER BY type, id")]

    def tests_of(self, components: set[str]) -> list[TestRow]:
        """(component, path, utc, name, result, date) of the readable tests of these
        components, as the index stands (the caller refreshes)."""
        out: list = []
        ids = sorted(components)
        for i in range(0, len(ids), 500):  # SQLite's limit on parameters is 999 in old builds
            chunk = ids[i:i + 500]
            out += self.db.execute(
                f"{TESTS_SQL} AND component IN ({', '.join('?' * len(chunk))})",
                chunk).fetchall()
        return out

    def verdicts(self, by_type: bool = True) -> dict[str, Verdicts]:
        """Each component's :class:`Verdicts` (of every component with a readable test), as
        the index stands (the caller refreshes, events included); ``by_type=False`` leaves
        their ``by_type`` empty (a table needs only the health and the line). Kept in the
        index, and worked out again (:func:`latest_verdicts`) only for the components whose
        event rows changed since (``verdicts_stale``, which triggers fill: tallies.py); all
        at once, in one pass over the rows, if a rebuild (which runs without triggers) did
        not work them out as it wrote the rows (:meth:`_index_files`)."""
        sql = f"SELECT component, health, line{', data' if by_type else ''} FROM verdicts"
        self.db.execute("BEGIN")  # one snapshot: the triggers, nothing stale, the verdicts
        try:
            rows = self.db.execute(sql).fetchall() if tallies.verdicts_kept(self.db) and \
                not self.db.execute("SELECT 1 FROM verdicts_stale LIMIT 1").fetchone() else None
        finally:
            self.db.execute("COMMIT")
        if rows is None:
            if not self._begin_quickly():  # another process is writing: work them all out
                found = latest_verdicts(self.store, self.db.execute(TESTS_SQL).fetchall())
                return {c: _verdicts(v) for c, v in found.items()}
            try:  # under the write lock: no stale mark is lost
                _work_out_verdicts(self)
                rows = self.db.execute(sql).fetchall()
            finally:
                self.db.execute("COMMIT")
        if by_type:
            return {c: Verdicts(health, line, json.loads(data)) for c, health, line, data in rows}
        return {c: Verdicts(health, line, {}) for c, health, line in rows}

    def summary(self, recent: int = 10) -> dict:
        """Counts by type and status, installations by run period, tests by type. Kept in the
        index until the next change, so repeated summaries cost one lookup."""
        self.refresh()
        self.skipped = self.unreadable("components") + self.unreadable("events")
        cached = self._meta(f"summary:{recent}")
        if cached:
            return json.loads(cached)
        tallies.ensure(self.db)
        version = self._data_version()
        result = self._summarize(recent)
        # keep it only if no other svt process changed the index meanwhile
        self.db.execute("BEGIN IMMEDIATE")
        try:
            if self._data_version() == version:
                self.db.execute("INSERT OR REPLACE INTO meta VALUES (?, ?)",
                                (f"summary:{recent}", json.dumps(result)))
        finally:
            self.db.execute("COMMIT")
        return result

    def event_paths(self, kind: str, name: str | None = None) -> list[str]:
        """The paths of the readable events of ``kind`` (e.g. every test; of one test type
        with ``name``), as the files are."""
        self.refresh()
        if name is not None:
            return [r[0] for r in self.db.execute(
                "SELECT path FROM events WHERE kind = ? AND name = ? AND error IS NULL"
                " ORDER BY path", (kind, name))]
        return [r[0] for r in self.db.execute(
            "SELECT path FROM events WHERE kind = ? AND error IS NULL ORDER BY path", (kind,))]

    def tests_with_id(self, short: str) -> list[str]:
        """The paths of the tests whose short id (store.event_id) is ``short``, and of the
        event files of that id that fail to load (they may be the test asked for: the
        caller's strict read says what is wrong with them).

        An id comes from its file's name, so the files that have it are found from the
        folders alone (:meth:`Freshness.named`: no git, no refresh), and only those few
        are read, by the rule that makes the index's event rows (index_rows.event_fields)."""
        paths = self.freshness.named(short)
        if paths is None:  # never built: build it, then look
            self.refresh()
            paths = self.freshness.named(short) or []
        found = []
        for path in paths:
            fields, _ = event_fields(os.path.join(self.root, path))
            if fields is None or fields.get("kind") == "test":
                found.append(path)
        return found

    def tests_with_legacy_id(self, number: int) -> list[str]:
        """The paths of the readable tests that `svt import-sqlite` gave the original
        tracker's test ``number`` (their ``legacy_id``). The index reads top-level lines
        fast (a note's line may look like one), so the strict reader confirms each."""
        if legacy_number(number) is None:
            return []
        self.refresh()
        return [path for (path,) in self.db.execute(
            "SELECT path FROM events WHERE legacy = ? AND kind = 'test' AND error IS NULL"
            " ORDER BY path", (number,)) if self._legacy_id(path) == number]

    def _legacy_id(self, path: str) -> int | None:
        try:
            return legacy_number(self.store.load(path).get("legacy_id"))
        except SvtError:
            return None

    # ---- the latest commits of each component folder (`svt show`) -------------------------
    def recent_commits(self, folder: str, limit: int) -> list[Commit]:
        """The latest ``limit`` commits of HEAD's history that changed ``folder`` (a component
        folder), exactly as ``git log -n LIMIT -- FOLDER`` lists them, without walking the
        history each time: the index keeps each folder's list as of one HEAD, and when HEAD
        has grown from it by a line of single-parent commits (svt's own, a pull that fast-
        forwards), one ``git log OLD..NEW`` says which folders they changed. Any other move
        (a reset, rebase, amend, a merge) forgets every list; a folder not known yet is asked
        of git."""
        repo = self.store.repo
        head = repo.head()
        if head is None:
            return []
        if limit < 1 or any(c in folder for c in "*?[\\:") or not repo.history_is_plain():
            return repo.log([folder], limit)  # pathspec magic, a shallow clone...: git answers
        if self._meta("commits-head") != head and not self._advance_commits(head):
            return repo.log([folder], limit)  # the index is busy: git answers
        row = self.db.execute("SELECT commits, complete FROM recent_commits WHERE folder=?",
                              (folder,)).fetchone()
        if row is not None:
            known = [Commit(*c) for c in json.loads(row[0])]
            if row[1] or len(known) >= limit:
                return known[:limit]
        commits = repo.log([folder], max(limit, KEEP_COMMITS), rev=head)
        if not self._begin_quickly():
            return commits[:limit]
        try:  # kept only if no other process moved the lists to another HEAD meanwhile
            if self._meta("commits-head") == head:
                self.db.execute("INSERT OR REPLACE INTO recent_commits VALUES (?, ?, ?)",
                                (folder, json.dumps(commits),
                                 int(len(commits) < max(limit, KEEP_COMMITS))))
        finally:
            self.db.execute("COMMIT")
        return commits[:limit]

    def _begin_quickly(self) -> bool:
        """Begin a write, unless another process holds the index for more than a moment (a
        rebuild): `svt show` then answers from git rather than wait."""
        self.db.execute("PRAGMA busy_timeout=200")
        try:
            self.db.execute("BEGIN IMMEDIATE")
            return True
        except sqlite3.OperationalError:
            return False
        finally:
            self.db.execute(f"PRAGMA busy_timeout={int(LOCK_WAIT * 1000)}")

    def _advance_commits(self, head: str) -> bool:
        """Bring the folders' lists from the HEAD they were made at to ``head``; False if
        the index was busy."""
        old = self._meta("commits-head")
        line = _line_of_commits(self.store, old, head) if old else None
        if not self._begin_quickly():
            return False
        try:
            if self._meta("commits-head") != old:  # another process moved them meanwhile
                return self._meta("commits-head") == head
            if line is None:
                self.db.execute("DELETE FROM recent_commits")
            else:
                added: dict[str, list[Commit]] = defaultdict(list)  # newest first
                for commit, paths in reversed(line):
                    for folder in filter(None, {component_folder(path) for path in paths}):
                        added[folder].append(commit)
                q = self.db.execute
                for folder, commits in added.items():
                    row = q("SELECT commits, complete FROM recent_commits WHERE folder=?",
                            (folder,)).fetchone()
                    if row is not None:
                        known = commits + [Commit(*c) for c in json.loads(row[0])]
                        q("UPDATE recent_commits SET commits=?, complete=? WHERE folder=?",
                          (json.dumps(known[:MAX_COMMITS]),
                           int(bool(row[1]) and len(known) <= MAX_COMMITS), folder))
            self.db.execute("INSERT OR REPLACE INTO meta VALUES ('commits-head', ?)", (head,))
            return True
        finally:
            self.db.execute("COMMIT")

    def _data_version(self) -> int:
        """Changes when another connection commits to the index file."""
        return self.db.execute("PRAGMA data_version").fetchone()[0]

    def _summarize(self, recent: int) -> dict:
        q = self.db.execute
        by_type: dict[str, dict[str, int]] = defaultdict(dict)
        for ctype, status, n in q("SELECT type, status, count(*) FROM components WHERE error IS"
                                  " NULL GROUP BY type, status ORDER BY type, status"):
            by_type[ctype][status] = n
        installed: dict[str, list[dict]] = defaultdict(list)
        for cid, ctype, pos, period in q(
                "SELECT id, type, position, run_period FROM components WHERE error IS NULL AND"
                " position IS NOT NULL ORDER BY run_period, position"):
            installed[period or "(no run period)"].append({"id": cid, "type": ctype,
                                                           "position": pos})
        links = q("SELECT coalesce(sum(links), 0) FROM components WHERE error IS NULL").fetchone()[0]
        tests = tallies.tests(self.db)  # kept up to date by triggers: no count of 50,000 rows
        recent_rows = [
            {"component": c, "test_type": n, "date": d, "result": r}
            for c, n, d, r in q("SELECT component, name, date, result FROM events WHERE"
                                " kind='test' ORDER BY utc DESC, path DESC LIMIT ?", (recent,))]
        by_status: Counter = Counter()
        for counts in by_type.values():
            by_status.update(counts)
        return {
            "total": sum(by_status.values()),
            "by_type": dict(by_type),
            "by_status": dict(sorted(by_status.items())),
            "installed": dict(sorted(installed.items())),
            "tests": tests,
            "recent_tests": recent_rows,
            "connections": links // 2,
        }

    def close(self) -> None:
        self.db.close()


def _line_of_commits(store: StoreBase, old: str, head: str
                     ) -> list[tuple[Commit, Iterable[str]]] | None:
    """The commits after ``old`` up to ``head`` (a line of single-parent commits, oldest
    first), each with the files it changed; None if they are no such line. svt's own
    commits are known without git (git/ownwrites.py); others are asked of git log."""
    own = ownwrites.commit_line(store.repo.svt_dir(), old, head)
    if own is not None:
        return [(Commit(c.sha, c.author, c.date, c.subject), c.paths) for c in own]
    found = store.repo.line_of_commits(old, head)
    return None if found is None else [
        (Commit(e.sha, e.author, e.date, e.subject), [p for _, p in e.changes]) for e in found]


class Verdicts(NamedTuple):
    """A component's latest verdict of each test type, as :meth:`Index.verdicts` keeps it."""

    health: str  # model.overall_health
    line: str  # model.verdict_line: iv_curve ✗ · noise_test ✓
    by_type: dict[str, str | None]  # model.latest_by_type: {"iv_curve": "fail", ...}


def _verdicts(by_type: dict[str, str | None]) -> Verdicts:
    return Verdicts(model.overall_health(by_type), model.verdict_line(by_type), by_type)


UNTESTED = _verdicts({})  # a component without a readable test


def _work_out_verdicts(index: Index) -> None:
    """Inside a write transaction: bring the verdicts table in step with the event rows."""
    db = index.db
    if not tallies.verdicts_kept(db):  # after a rebuild: every component's, in one pass
        tallies.keep_verdicts(db, _verdict_rows(
            latest_verdicts(index.store, db.execute(TESTS_SQL))))
        return
    stale = [c for (c,) in db.execute("SELECT component FROM verdicts_stale")]
    found = latest_verdicts(index.store, index.tests_of(set(stale)))
    db.executemany("DELETE FROM verdicts WHERE component=?",
                   [(c,) for c in stale if c not in found])
    db.executemany("INSERT OR REPLACE INTO verdicts VALUES (?, ?, ?, ?)", _verdict_rows(found))
    db.execute("DELETE FROM verdicts_stale")


def _verdict_rows(found: dict[str, dict[str, str | None]]) -> list[tuple[str, str, str, str]]:
    """Rows of the verdicts table: (component, by type as JSON, health, line); worked out
    once for each set of verdicts (most components share one of a few)."""
    made: dict[tuple, tuple[str, str, str]] = {}
    out = []
    for cid, by_type in found.items():
        key = tuple(by_type.items())
        if key not in made:
            made[key] = (json.dumps(by_type), *_verdicts(by_type)[:2])
        out.append((cid, *made[key]))
    return out


class LatestTests:
    """Of the readable tests among event rows as they are written, those of the latest UTC
    date of each component and test type: all that :func:`latest_verdicts` needs, since an
    earlier test never decides. ``exact``: every field was text (or None), which SQLite's
    TEXT columns keep as it is; else the verdicts are worked out from the table."""

    def __init__(self) -> None:
        self.found: dict[tuple[str, str], list[TestRow]] = {}
        self.exact = True

    def add(self, events: Iterable[tuple]) -> None:
        found = self.found
        for path, component, kind, name, date, utc, result, error, _, _ in events:
            if kind != "test" or error is not None:
                continue
            if type(component) is not str or type(name) is not str or type(date) is not str \
                    or not (result is None or type(result) is str):
                self.exact = False
            held = found.get((component, name))
            if held is None or utc > held[0][2]:
                found[component, name] = [(component, path, utc, name, result, date)]
            elif utc == held[0][2]:
                held.append((component, path, utc, name, result, date))

    def rows(self) -> list[TestRow]:
        return [row for rows in self.found.values() for row in rows]


def latest_verdicts(store: StoreBase, tests: Iterable[TestRow]) -> dict[str, dict[str, str | None]]:
    """{component: {test type: result of its latest test}} (model.latest_by_type) of these
    tests. The UTC date orders them; tests of one type on the same date are ordered as
    everywhere, by model.event_order (when svt recorded them, then the file name), which
    reads those few files."""
    rows = list(tests)
    same = Counter((cid, name, utc) for cid, _, utc, name, _, _ in rows)
    by_component: dict[str, list[tuple[str, object, str | None]]] = defaultdict(list)
    for cid, path, utc, name, result, _ in rows:
        order = (utc, event_order(store, path) if same[cid, name, utc] > 1 else ())
        by_component[cid].append((name, order, result))
    return {cid: model.latest_by_type(found) for cid, found in by_component.items()}


def event_order(store: StoreBase, path: str) -> tuple:
    """model.event_order of the event file ``path`` (the earliest, if it fails to load)."""
    try:
        event = store.load(path)
    except SvtError:
        return (model.parse_date("0001-01-01T00:00:00+00:00"), "", path)
    return model.event_order(model.parse_date(event["date"]), event.get("recorded"),
                             path.rsplit("/", 1)[-1])


def _checked(columns: tuple[str, ...] | None) -> tuple[str, ...] | None:
    if columns and not set(columns) <= set(TABLE_COLUMNS):
        raise ValueError(f"columns must be among {TABLE_COLUMNS}")
    return columns


def _like(text: str) -> str:
    """``text`` matched literally by LIKE ... ESCAPE '\\'."""
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


KEEP_COMMITS = 5  # commits kept per folder at least (`svt show` lists 5)
MAX_COMMITS = 50  # and at most
PARALLEL_FROM = 4000  # files; below this, starting worker processes costs more than it saves


def fork_available() -> bool:
    import multiprocessing
    return "fork" in multiprocessing.get_all_start_methods()


CHUNK = 5000  # files a worker reads (at most) before handing its rows back


def chunked(paths: list[str], workers: int) -> list[list[str]]:
    """``paths`` cut into chunks of at most CHUNK, as many for each worker and of sizes within
    one of each other: no worker is left idle while another reads a last big chunk."""
    count = -(-len(paths) // CHUNK // workers) * workers
    if not count:
        return []
    size, extra = divmod(len(paths), count)
    bounds = [i * size + min(i, extra) for i in range(count + 1)]
    return [paths[a:b] for a, b in zip(bounds, bounds[1:]) if b > a]


_WORKER_INDEX: Index | None = None  # the index a forked worker reads for


def _read_rows_star(args: tuple[list[str], dict[str, int], int]) -> PlainRows:
    """Worker side of a parallel read (the forked process inherits the index)."""
    assert _WORKER_INDEX is not None
    return plain(_WORKER_INDEX._read_rows(*args))


