"""The derived query index: SQLite inside ``.git/svt/``, never committed, never the truth.

The index must agree with the files at every query, whoever changed them (svt, a hand edit,
a pull, a checkout), yet stat'ing 60,000 record files costs more than a whole query should.
So each refresh gathers *candidates* from cheap sources and re-reads only those whose stat
signature (mtime, size, inode) differs from what was read last:

- folders whose mtime changed (a file was added, removed or renamed in them);
- ``git diff-files`` (tracked files changed on disk; git lstat's them in C, on the other core
  while Python checks the folders), ``git diff-index --cached HEAD`` (staged changes), and
  ``git diff-tree`` between the tree last indexed and HEAD (commits, pulls, checkouts);
- files that were never committed, and files that differed from HEAD at the last refresh
  ("watched"), stat'ed every time: an edit that makes a file equal to HEAD again and is
  staged shows in neither git diff, yet must be read again.

Deleting the index loses nothing: the next command rebuilds it from the files.
"""
from __future__ import annotations

import json
import os
import sqlite3
import time
from collections import Counter, defaultdict
from contextlib import ExitStack, contextmanager
from typing import Any, Callable, Iterable, Iterator, NamedTuple

from . import model, yamlio
from .errors import LockTimeout, RecordError, SvtError
from .gitrepo import Pending
from .txn import StoreLock

VERSION = "9"
# Partial indexes keep the per-query lookups (files not yet committed, unreadable records)
# proportional to what they find, not to the store; components_list answers `svt list` in
# order from the index alone (measured at 100,000 components: 0.11 s less per list).
_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT);
CREATE TABLE IF NOT EXISTS dirs (path TEXT PRIMARY KEY, mtime INTEGER, parent TEXT);
CREATE INDEX IF NOT EXISTS dirs_parent ON dirs(parent);
CREATE TABLE IF NOT EXISTS files (path TEXT PRIMARY KEY, sig TEXT, volatile INTEGER, dir TEXT);
CREATE INDEX IF NOT EXISTS files_dir ON files(dir);
CREATE INDEX IF NOT EXISTS files_watched ON files(path) WHERE volatile>0;
CREATE TABLE IF NOT EXISTS components (
    id TEXT, type TEXT, status TEXT, location TEXT, position TEXT,
    run_period TEXT, path TEXT PRIMARY KEY, data TEXT, links INTEGER, error TEXT,
    serial_number TEXT, manufacturer TEXT);
CREATE INDEX IF NOT EXISTS components_list ON components(
    type, id, status, location, position, run_period, serial_number, manufacturer, error)
    WHERE error IS NULL;
CREATE INDEX IF NOT EXISTS components_broken ON components(id) WHERE error IS NOT NULL;
CREATE INDEX IF NOT EXISTS components_position ON components(position);
CREATE TABLE IF NOT EXISTS events (
    path TEXT PRIMARY KEY, component TEXT, kind TEXT, name TEXT, date TEXT, utc TEXT,
    result TEXT, error TEXT);
CREATE INDEX IF NOT EXISTS events_kind ON events(kind, utc);
CREATE INDEX IF NOT EXISTS events_broken ON events(path) WHERE error IS NOT NULL;
"""
_EVENT_FIELDS = ("kind", "date", "component", "test_type", "result")
LOCK_WAIT = 600.0  # seconds to wait for another process updating the index
EMPTY_TREE = "4b825dc642cb6eb9a060e54bf8d69288fbee4904"
# A file changed this close to a refresh (file times come from a coarse clock) may change
# again within the same time stamp, size unchanged: its signature is stored so that it never
# matches ("racy:", as git smudges such entries), and it stays watched, so the next refresh
# reads it again. Folders get the same treatment (_dir_rows).
RACY_NS = 50_000_000
# files.volatile: 0, or stat'ed at every refresh because no commit holds the file yet, or
# because it differed from HEAD when last seen (it may be made equal again, staged, unseen),
# or because it is a component.yaml missing from a component folder that exists (ABSENT, no
# signature): queries of components look in no component folder, so a component.yaml that
# comes back (git checkout -- FILE, an undone delete) would otherwise go unseen
UNCOMMITTED, WATCHED, ABSENT = 1, 2, 3
TABLE_COLUMNS = ("id", "type", "status", "location", "position", "run_period", "serial_number",
                 "manufacturer")


def _sig(st: os.stat_result) -> str:
    return f"{st.st_mtime_ns}:{st.st_size}:{st.st_ino}"


class Index:
    def __init__(self, store: Any) -> None:
        self.store = store
        self.root = str(store.root)
        self.path = store.repo.svt_dir() / "index.sqlite"
        self.problems: list[str] = []
        # one process at a time creates, upgrades or replaces the file; others then open it
        with StoreLock(self.path.with_name("index.lock"), timeout=LOCK_WAIT):
            self.db = self._open()

    def _open(self) -> sqlite3.Connection:
        try:
            db = self._connect()
            db.executescript(_SCHEMA)
            row = db.execute("SELECT value FROM meta WHERE key='version'").fetchone()
        except sqlite3.DatabaseError:  # corrupt or unreadable: it is only a cache
            self.path.unlink(missing_ok=True)
            db = self._connect()
            db.executescript(_SCHEMA)
            row = None
        if row is None or row[0] != VERSION:  # another svt version's layout: start afresh
            db.executescript("DROP TABLE IF EXISTS meta; DROP TABLE IF EXISTS dirs;"
                             " DROP TABLE IF EXISTS files; DROP TABLE IF EXISTS components;"
                             " DROP TABLE IF EXISTS events;")
            db.executescript(_SCHEMA)
            db.execute("INSERT INTO meta VALUES ('version', ?)", (VERSION,))
        return db

    def _connect(self) -> sqlite3.Connection:
        # WAL: queries read while another svt process updates the index; writers take turns,
        # and one may wait for a rebuild of a very large store (minutes at 100,000 components)
        db = sqlite3.connect(self.path, timeout=LOCK_WAIT, isolation_level=None)
        try:
            db.execute("PRAGMA journal_mode=WAL")
        except sqlite3.OperationalError:
            pass  # a file system without shared memory: the default journal still works
        return db

    def _meta(self, key: str) -> str | None:
        row = self.db.execute("SELECT value FROM meta WHERE key=?", (key,)).fetchone()
        return row[0] if row else None

    # ---- refresh ------------------------------------------------------------------------------
    def _git(self, *args: str) -> Pending:
        return self.store.repo.start(*args)

    def refresh(self, events: bool = True) -> bool:
        """Bring the index in step with the files; True if anything in it changed.
        ``events=False`` (queries that read only components) skips checking the folders below
        the component folders: new event files there matter only to event queries, which
        check them before answering."""
        return self._finish_refresh(self._start_refresh(events))

    def _start_refresh(self, events: bool) -> "_Check | None":
        """Start git's checks and look at the folders; None if the index was rebuilt (it is
        then current). While git works on the other core, the caller may query the index
        and keep the answer if :meth:`_finish_refresh` then changes nothing."""
        started = time.time_ns()
        last_tree = self._meta("tree")
        tree_proc = self._git("rev-parse", "-q", "--verify", "HEAD:./records")
        if last_tree is None:
            self._rebuild(tree_proc, started)
            return None
        # git lstat's only what the pathspec names: 10,000 files instead of 60,000 for lists
        spec = "records" if events else ":(glob)records/*/*/component.yaml"
        dirty_proc = self._edited(spec)
        # Staging rewrites git's index file. While that file and HEAD's tree are as they were
        # at the last check, the staged files are the ones it saw (and read), so git need not
        # compare again (0.1 s at 100,000 components); if HEAD moved, the finish asks then.
        git_index = self._git_index_sig()
        staged_proc = None
        if git_index is None or f"{git_index} {last_tree}" not in (
                self._meta(f"git-index:{spec}"), self._meta("git-index:records")):
            staged_proc = self._staged(spec)
        candidates: set[str] = set()
        new_dirs: dict[str, int] = {}
        gone_dirs: list[str] = []
        self._scan_changed_dirs(candidates, new_dirs, gone_dirs, events)
        local = bool(candidates or new_dirs or gone_dirs)
        candidates.update(p for (p,) in self.db.execute(
            "SELECT path FROM files WHERE volatile>0"))
        return _Check(events, spec, last_tree, tree_proc, dirty_proc, staged_proc, git_index,
                      candidates, new_dirs, gone_dirs, local, started)

    def _finish_refresh(self, check: "_Check | None") -> bool:
        if check is None:
            return True
        (events, spec, last_tree, tree_proc, dirty_proc, staged_proc, git_index, candidates,
         new_dirs, gone_dirs, _, started) = check
        tree = (tree_proc.text() or "").strip()
        if staged_proc is None and tree != last_tree:  # HEAD moved alone (reset --soft)
            staged_proc = self._staged(spec)
        reported = set(dirty_proc.paths())
        staged, staged_ok = self._staged_paths(staged_proc, spec, tree)
        reported.update(staged)
        # only with both answers may a watched file that git no longer names stop being watched
        settle = dirty_proc.ok and staged_ok
        candidates |= reported
        committed: set[str] = set()
        removed: set[str] = set()  # gone from HEAD's tree: untracked if still on disk
        if tree != last_tree:
            if last_tree:
                proc = self._git("diff-tree", "-r", "--no-renames", "--name-status", "-z",
                                 last_tree, tree or EMPTY_TREE)
                for status, path in _status_pairs(proc.paths()):
                    committed.add(f"records/{path}")
                    if status == "D":
                        removed.add(f"records/{path}")
            else:
                committed = set(self._git("ls-files", "-z", "--", "records").paths())
            candidates |= committed
        changed = self._apply(candidates, committed, new_dirs, gone_dirs, tree, reported,
                              (None if not settle else "records" if events else "component.yaml"),
                              removed, started)
        if staged_ok and git_index is not None:
            self.db.execute("INSERT OR REPLACE INTO meta VALUES (?, ?)",
                            (f"git-index:{spec}", f"{git_index} {tree}"))
        return changed

    def _edited(self, spec: str) -> Pending:
        return self._git("diff-files", "--name-only", "-z", "--relative", "--", spec)

    def _staged(self, spec: str, base: str = "HEAD") -> Pending:
        return self._git("diff-index", "--cached", "--no-renames", "--name-status", "-z",
                         "--relative", base, "--", spec)

    def _staged_paths(self, proc: Pending | None, spec: str, tree: str
                      ) -> tuple[dict[str, str], bool]:
        """{path: status} of the files whose staged version differs from HEAD's, and whether
        git answered. A branch with no commit yet is compared with the empty tree."""
        if proc is None:
            return {}, False
        pairs = proc.paths()
        if not proc.ok and not tree:
            proc = self._staged(spec, EMPTY_TREE)
            pairs = proc.paths()
        return {path: status for status, path in _status_pairs(pairs)}, proc.ok

    def _git_index_sig(self) -> str | None:
        try:
            return _sig(os.stat(self.store.repo.git_dir / "index"))
        except OSError:
            return None

    def _scan_changed_dirs(self, candidates: set[str], new_dirs: dict[str, int],
                           gone_dirs: list[str], deep: bool = True) -> None:
        prefix = self.root + "/"
        sql = "SELECT path, mtime FROM dirs" + ("" if deep else " WHERE path NOT LIKE '%/%/%'")
        known = dict(self.db.execute(sql))
        changed: list[str] = []
        for path, mtime in _stat_changes(prefix, list(known.items())):
            if mtime is None:
                gone_dirs.append(path)
            else:
                changed.append(path)
                new_dirs[path] = mtime
        if not changed and not gone_dirs:
            return
        q = self.db.execute
        for folder in changed:  # what the folder held, and what it holds now
            candidates.update(p for (p,) in q("SELECT path FROM files WHERE dir=?", (folder,)))
            subdirs = {p for (p,) in q("SELECT path FROM dirs WHERE parent=?", (folder,))}
            seen: set[str] = set()
            self._walk(folder, candidates, new_dirs, subdirs, seen)
            # a folder removed from it: forgotten now, so that one put back is walked
            gone_dirs.extend(sorted(subdirs - seen - {folder} - set(gone_dirs)))
        for folder in gone_dirs:  # path ranges: everything below the folder
            candidates.update(p for (p,) in q(
                "SELECT path FROM files WHERE path > ? AND path < ?", (folder + "/", folder + "0")))

    def _walk(self, folder: str, files: set[str], dirs: dict[str, int],
              known: set[str] | dict[str, int] | None = None,
              seen: set[str] | None = None) -> None:
        """Add the record files under ``folder`` (and folders not yet known) to the sets;
        ``seen`` gets the folders directly in ``folder``."""
        try:
            entries = list(os.scandir(os.path.join(self.root, folder)))
        except (FileNotFoundError, NotADirectoryError):
            return
        depth = folder.count("/")  # records=0, type=1, component=2, year=3
        for entry in entries:
            rel = f"{folder}/{entry.name}"
            if entry.is_dir(follow_symlinks=False):
                if seen is not None:
                    seen.add(rel)
                if depth < 3 and (known is None or rel not in known) and not entry.name.startswith("."):
                    dirs[rel] = entry.stat(follow_symlinks=False).st_mtime_ns
                    self._walk(rel, files, dirs, known)
            elif entry.name.endswith(".yaml") and depth >= 2:
                files.add(rel)

    def _rebuild(self, tree_proc: Pending, started: int) -> None:
        untracked_proc = self._git("ls-files", "-z", "--others", "--exclude-standard", "--",
                                   "records")
        dirty_proc = self._edited("records")
        staged_proc = self._staged("records")
        files: set[str] = set()
        dirs: dict[str, int] = {}
        with self._refreshing_stat_cache():
            st = os.stat(os.path.join(self.root, "records")) if os.path.isdir(
                os.path.join(self.root, "records")) else None
            if st is not None:
                dirs["records"] = st.st_mtime_ns
                self._walk("records", files, dirs)
        tree = (tree_proc.text() or "").strip()
        staged, _ = self._staged_paths(staged_proc, "records", tree)
        # watched: differs from HEAD; uncommitted: untracked, or staged but new to HEAD
        marks = dict.fromkeys(dirty_proc.paths() + list(staged), WATCHED)
        marks.update((path, UNCOMMITTED) for path, status in staged.items() if status == "A")
        marks.update(dict.fromkeys(untracked_proc.paths(), UNCOMMITTED))
        with self._writing(tree):
            for table in ("dirs", "files", "components", "events"):
                self.db.execute(f"DELETE FROM {table}")
            self.db.executemany("INSERT INTO dirs VALUES (?, ?, ?)",
                                _dir_rows(dirs, started - RACY_NS))
            self._write_absent([f"{d}/component.yaml" for d in dirs if d.count("/") == 2
                                and f"{d}/component.yaml" not in files])
            self._index_files(sorted(files), marks, started - RACY_NS)

    def _write_absent(self, paths: list[str]) -> None:
        """Watch component.yaml files missing from their (existing) folders."""
        self.db.executemany("INSERT OR REPLACE INTO files VALUES (?, NULL, ?, ?)",
                            ((p, ABSENT, p.rsplit("/", 1)[0]) for p in paths))

    @contextmanager
    def _refreshing_stat_cache(self) -> Iterator[None]:
        """A rebuild is the first query after a clone: refresh git's stat cache meanwhile, so
        that the diff-files of every later query is not slowed by a fresh clone's "racily
        clean" entries (measured at 10,000 components: 0.15 s before, 0.06 s after). It
        writes .git/index, so it runs only under the store's lock (no svt change can be
        updating git's index) and is skipped when another svt process holds that lock."""
        with ExitStack() as held:
            if not getattr(self.store, "_lock_depth", 0):
                try:
                    held.enter_context(StoreLock(self.store.repo.svt_dir() / "lock", timeout=0))
                except (LockTimeout, OSError):  # a change is under way: leave git's index be
                    yield
                    return
            held.callback(self.store.repo.refresh_stat_cache().text)  # wait before unlocking
            yield

    @contextmanager
    def _writing(self, tree: str) -> Iterator[None]:
        """One SQLite transaction that ends by recording the tree now indexed."""
        try:
            self.db.execute("BEGIN IMMEDIATE")
        except sqlite3.OperationalError as exc:
            raise SvtError(f"the query index is busy ({exc}): another svt process has been"
                           f" updating it for {LOCK_WAIT:.0f} s; try again when it is done")\
                from None
        try:
            yield
            self.db.execute("INSERT OR REPLACE INTO meta VALUES ('tree', ?)", (tree,))
            self.db.execute("DELETE FROM meta WHERE key LIKE 'summary:%'")
            self.db.execute("COMMIT")
        except BaseException:
            self.db.execute("ROLLBACK")
            raise

    def _apply(self, candidates: Iterable[str], committed: set[str], new_dirs: dict[str, int],
               gone_dirs: list[str], tree: str, reported: set[str] = frozenset(),
               settle: str | None = None, removed: set[str] = frozenset(),
               started: int = 0) -> bool:
        """Re-read the candidates whose stat signature changed (and those a commit changed),
        and update which files stay watched. ``reported``: files git named as differing from
        the index or HEAD; ``settle``: the files git was asked about ("records" for all,
        "component.yaml" for components), None if its answers were partial; ``removed``:
        files the new HEAD no longer holds; ``started``: when the refresh began."""
        candidates = {p for p in candidates if p.endswith(".yaml") and p.count("/") in (3, 4)}
        # a component folder seen for the first time or changed may lack its component.yaml
        candidates.update(f"{d}/component.yaml" for d in new_dirs if d.count("/") == 2)
        stored: dict[str, tuple[str, int]] = {}
        if candidates:
            if len(candidates) < 900:
                marks = ",".join("?" * len(candidates))
                rows = self.db.execute("SELECT path, sig, volatile FROM files WHERE path IN"
                                       f" ({marks})", list(candidates))
            else:
                rows = self.db.execute("SELECT path, sig, volatile FROM files")
            stored = {path: (sig, volatile) for path, sig, volatile in rows}
        todo: list[tuple[str, str | None]] = []
        absent: list[str] = []  # component.yaml files missing from existing folders
        for path in candidates:
            try:
                sig = _sig(os.lstat(os.path.join(self.root, path)))
            except FileNotFoundError:
                sig = None
            if sig is None:
                if _absent_watch(self.root, path):
                    if stored.get(path) != (None, ABSENT):
                        absent.append(path)
                elif path in stored:
                    todo.append((path, None))
            elif sig != stored.get(path, (None,))[0] or path in committed:
                todo.append((path, sig))
        marks: dict[str, int] = {}
        remark: list[tuple[int, str]] = []
        present_now = {path for path, sig in todo if sig is not None}
        missing = {path for path, sig in todo if sig is None}.union(absent)
        for path in candidates:
            before = stored.get(path, (None, None))[1]
            if before == ABSENT:  # back: whether a commit holds it is not known
                before = None if path in present_now else ABSENT
            if before == ABSENT or path in missing:
                continue  # its row is written below
            if path in removed or (path not in committed and before in (None, UNCOMMITTED)):
                mark = UNCOMMITTED  # until a commit holds it
            elif path in reported or (not (
                    settle == "records" or (settle and path.endswith("/component.yaml")))
                    and (before == WATCHED or path in committed)):
                mark = WATCHED  # differs from HEAD, or git was not asked (HEAD moved)
            else:
                mark = 0
            marks[path] = mark
            if before is not None and mark != before:
                remark.append((mark, path))
        if not todo and not absent and not remark and not new_dirs and not gone_dirs and \
                tree == self._meta("tree"):
            return False
        with self._writing(tree):
            for folder in gone_dirs:
                self.db.execute("DELETE FROM dirs WHERE path=? OR (path > ? AND path < ?)",
                                (folder, folder + "/", folder + "0"))
            self.db.executemany("INSERT OR REPLACE INTO dirs VALUES (?, ?, ?)",
                                _dir_rows(new_dirs, started - RACY_NS))
            gone = [(path,) for path, sig in todo if sig is None] + [(p,) for p in absent]
            for table in ("files", "components", "events"):
                self.db.executemany(f"DELETE FROM {table} WHERE path=?", gone)
            self._write_absent(absent)
            present = [path for path, sig in todo if sig is not None]
            self.db.executemany("UPDATE files SET volatile=? WHERE path=?", remark)
            self._index_files(sorted(present), marks, started - RACY_NS)
        return True

    # ---- reading files -------------------------------------------------------------------
    def _index_files(self, paths: list[str], marks: dict[str, int], fresh_after: int) -> None:
        """Read the files and write their rows (inside the caller's transaction).

        Thousands of files (a rebuild, a big pull) are read by two processes: reading and
        parsing is most of the work and the machines svt runs on have several cores."""
        with self.store.progress_bar("Indexing", len(paths)) as step:
            self._read_and_write(paths, marks, fresh_after, step)

    def _read_and_write(self, paths: list[str], marks: dict[str, int], fresh_after: int,
                        step: Callable[[int], None]) -> None:
        workers = min(os.cpu_count() or 1, 4)
        if len(paths) >= PARALLEL_FROM and workers > 1 and fork_available():
            import multiprocessing
            global _WORKER_INDEX
            _WORKER_INDEX = self
            chunks = [(paths[i:i + CHUNK], marks, fresh_after)
                      for i in range(0, len(paths), CHUNK)]
            try:
                with multiprocessing.get_context("fork").Pool(workers) as pool:
                    # chunk by chunk, so memory stays flat however large the store
                    for rows in pool.imap_unordered(_read_rows_star, chunks):
                        self._write_rows(*rows)
                        step(len(rows[0]))
            finally:
                _WORKER_INDEX = None
        else:
            self._write_rows(*self._read_rows(paths, marks, fresh_after))
            step(len(paths))

    def _write_rows(self, files: list, comps: list, events: list) -> None:
        q = self.db.executemany
        q("INSERT OR REPLACE INTO files VALUES (?, ?, ?, ?)", files)
        q("DELETE FROM components WHERE path=?", [(r[6],) for r in comps])
        q("INSERT OR REPLACE INTO components VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", comps)
        q("INSERT OR REPLACE INTO events VALUES (?, ?, ?, ?, ?, ?, ?, ?)", events)

    def _read_rows(self, paths: Iterable[str], marks: dict[str, int], fresh_after: int
                   ) -> tuple[list, list, list]:
        files: list = []
        comps: list = []
        events: list = []
        for path in paths:
            full = f"{self.root}/{path}"
            try:
                st = os.lstat(full)
            except FileNotFoundError:
                continue
            mark, sig = marks.get(path, 0), _sig(st)
            if st.st_mtime_ns >= fresh_after:
                mark, sig = mark or WATCHED, f"racy:{sig}"
            files.append((path, sig, mark, path.rsplit("/", 1)[0]))
            if path.count("/") == 3:
                if path.endswith("/component.yaml"):
                    comps.append(self._component_row(path))
            else:
                events.append(_event_row(path, full))
        return files, comps, events

    def _component_row(self, path: str) -> tuple:
        parts = path.split("/")
        try:
            data = self.store.load(path, "component")
        except RecordError as exc:
            return (parts[2], parts[1], None, None, None, None, path, None, 0,
                    exc.problems[0].render(), None, None)
        except (SvtError, OSError) as exc:
            return (parts[2], parts[1], None, None, None, None, path, None, 0, f"{path}: {exc}",
                    None, None)
        return (data.get("id", parts[2]), data.get("type"), data.get("status"),
                data.get("location"), data.get("position"), data.get("run_period"), path,
                json.dumps(data), len(data.get("connections") or []), None,
                data.get("serial_number"), data.get("manufacturer"))

    # ---- queries -----------------------------------------------------------------------------
    def unreadable_components(self) -> list[tuple[str, str]]:
        """(id, type) of component records that failed to load (svt validate says why)."""
        return list(self.db.execute("SELECT id, type FROM components WHERE error IS NOT NULL"))

    def shared_ids(self) -> list[tuple[str, list[str]]]:
        """Ids that more than one component record uses (a merge can bring one in under
        another type), with their files; each record is listed and counted as it is."""
        rows = self.db.execute("SELECT id, group_concat(path, ' ') FROM components GROUP BY id"
                               " HAVING count(*) > 1 ORDER BY id")
        return [(cid, sorted(paths.split(" "))) for cid, paths in rows]

    def uncommitted(self) -> list[str]:
        """Record files that no commit holds yet (as of the last refresh)."""
        return [p for (p,) in self.db.execute("SELECT path FROM files WHERE volatile=?",
                                              (UNCOMMITTED,))]

    def _errors(self, table: str) -> list[str]:
        return [r[0] for r in self.db.execute(f"SELECT error FROM {table} WHERE error IS NOT NULL")]

    def components(self, component_type: str | None = None, status: str | None = None,
                   location: str | None = None, position: str | None = None,
                   refresh: bool = True, columns: tuple[str, ...] | None = None) -> list:
        """Component records matching the filters, sorted by type and id; with ``columns``,
        just those fields as tuples (no record decoding: fast for large tables)."""
        if columns and not set(columns) <= set(TABLE_COLUMNS):
            raise ValueError(f"columns must be among {TABLE_COLUMNS}")
        check = self._start_refresh(events=False) if refresh else None
        # while git looks for edits on the other core, answer from the index as it stands
        # (unless the folders showed a change already); ask again if the refresh changed it
        args = (component_type, status, location, position, columns)
        version = self._data_version()
        rows = None if check is not None and check.local else self._select(*args)
        if check is not None and (self._finish_refresh(check) or
                                  self._data_version() != version):
            rows = None  # changed by this refresh, or by another svt process's meanwhile
        self.problems = self._errors("components")
        return self._select(*args) if rows is None else rows

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

    def summary(self, recent: int = 10) -> dict:
        """Counts by type and status, installations by run period, tests by type. Kept in the
        index until the next change, so repeated summaries cost one lookup."""
        self.refresh()
        self.problems = self._errors("components") + self._errors("events")
        cached = self._meta(f"summary:{recent}")
        if cached:
            return json.loads(cached)
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

    def event_paths(self, kind: str) -> list[str]:
        """The paths of the readable events of ``kind`` (e.g. every test), as the files are."""
        self.refresh()
        return [r[0] for r in self.db.execute(
            "SELECT path FROM events WHERE kind = ? AND error IS NULL ORDER BY path", (kind,))]

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
        tests = {}
        for name, n, passed, failed, last in q(
                "SELECT name, count(*), sum(result='pass'), sum(result='fail'), max(utc)"
                " FROM events WHERE kind='test' GROUP BY name ORDER BY name"):
            tests[name] = {"count": n, "pass": passed or 0, "fail": failed or 0, "latest": last}
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


PARALLEL_FROM = 4000  # files; below this, starting worker processes costs more than it saves


class _Check(NamedTuple):
    """A refresh under way: git's checks running, what the folders showed."""
    events: bool
    spec: str
    last_tree: str
    tree_proc: Pending
    dirty_proc: Pending
    staged_proc: Pending | None
    git_index: str | None
    candidates: set[str]
    new_dirs: dict[str, int]
    gone_dirs: list[str]
    local: bool  # the folders showed added or removed files
    started: int  # time.time_ns() when the refresh began


def _dir_rows(dirs: dict[str, int], fresh_after: int) -> Iterator[tuple[str, int, str]]:
    """Rows of the dirs table. A folder changed this close to the refresh may change again
    within the same time stamp (another file added in the same tick): its mtime is stored
    as -1, which never matches, so the next refresh looks at it again."""
    for path, mtime in dirs.items():
        yield path, (mtime if mtime < fresh_after else -1), path.rsplit("/", 1)[0]


def _absent_watch(root: str, path: str) -> bool:
    """Whether a missing file is a component.yaml whose component folder still exists."""
    return path.count("/") == 3 and path.endswith("/component.yaml") and os.path.isdir(
        os.path.join(root, path.rsplit("/", 1)[0]))


def _status_pairs(fields: list[str]) -> Iterator[tuple[str, str]]:
    """(status letter, path) from the NUL-separated output of ``--name-status -z``."""
    for i in range(0, len(fields) - 1, 2):
        yield fields[i][:1], fields[i + 1]


def _stat_changes(prefix: str, folders: list[tuple[str, int]]) -> list[tuple[str, int | None]]:
    """Folders whose mtime differs from the one recorded (None: the folder is gone)."""
    stat = os.stat
    out: list[tuple[str, int | None]] = []
    for path, mtime in folders:
        try:
            now = stat(prefix + path).st_mtime_ns
        except FileNotFoundError:
            out.append((path, None))
            continue
        if now != mtime:
            out.append((path, now))
    return out


def fork_available() -> bool:
    import multiprocessing
    return "fork" in multiprocessing.get_all_start_methods()


CHUNK = 10000  # files a worker reads before handing its rows back


def _read_rows_star(args: tuple[list[str], dict[str, int], int]) -> tuple[list, list, list]:
    """Worker side of a parallel read (the forked process inherits the index)."""
    assert _WORKER_INDEX is not None
    return _WORKER_INDEX._read_rows(*args)


def _event_row(path: str, full: str) -> tuple:
    fields, error = _event_fields(full)
    component = path.split("/")[2]
    if fields is None:
        return (path, component, None, None, None, None, None, f"{path}: {error}")
    return (path, fields.get("component", component), fields["kind"],
            fields.get("test_type") or fields["kind"], fields["date"], fields["utc"],
            fields.get("result"), None)


def _event_fields(full: str) -> tuple[dict | None, str | None]:
    """kind, date (and its UTC form), component, test type and result of an event file,
    from its top-level lines when it is in canonical form, else from the strict reader."""
    try:
        text = yamlio.read_text(full)
    except (OSError, yamlio.YamlError) as exc:
        return None, str(exc)
    fields = yamlio.top_level_scalars(text, _EVENT_FIELDS)
    if fields is None:
        try:
            data = yamlio.load(text).data
        except yamlio.YamlError as exc:
            return None, str(exc)
        if not isinstance(data, dict):
            return None, "not a mapping"
        fields = {k: data.get(k) for k in _EVENT_FIELDS if k in data}
    if fields.get("kind") not in model.EVENT_KINDS or not isinstance(fields.get("date"), str):
        return None, "kind or date missing or invalid (svt validate explains)"
    try:
        fields["utc"] = model.to_utc(model.parse_date(fields["date"])).isoformat()
    except SvtError as exc:
        return None, str(exc)
    return fields, None

