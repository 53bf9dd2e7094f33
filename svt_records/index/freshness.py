"""The refresh protocol of the query index: what changed since the last query.

The index must agree with the files at every query, whoever changed them (svt, a hand edit,
a pull, a checkout), yet stat'ing 60,000 record files costs more than a whole query should.
So each refresh gathers *candidates* from cheap sources and re-reads only those whose stat
signature (mtime, size, inode) differs from what was read last:

- folders whose ctime or inode changed (a file was added, removed or renamed in them; a
  folder moved or copied over another);
- ``git diff-files`` (tracked files changed on disk; git lstat's them in C, on the other core
  while Python checks the folders), ``git diff-index --cached HEAD`` (staged changes), and
  ``git diff-tree`` between the tree last indexed and HEAD (commits, pulls, checkouts);
- files that were never committed, and files that differed from HEAD at the last refresh
  ("watched"), stat'ed every time: an edit that makes a file equal to HEAD again and is
  staged shows in neither git diff, yet must be read again.

Where a watcher runs (``svt watch``; watch.py), it replaces the first two and the last of
these: it names the folders and files changed since the last answer the index kept (its
token, in ``meta``), so neither git nor the folders' stats are needed. Every file it names
stays watched until git settles it, should the watcher stop. A query that gets no answer
proves everything as above; one that gets a reset (a new watcher, a queue overflow) proves
everything, events included, and keeps the new token after.

A refresh has two halves (:meth:`Freshness.start`, :meth:`Freshness.finish`) so that a query
can run while git works. Reading the files into rows is index_rows.py's business.
"""
from __future__ import annotations

import os
import sqlite3
from stat import S_ISDIR
import time
from contextlib import ExitStack, contextmanager
from enum import Enum
from typing import Callable, Iterator, NamedTuple

from ..model.errors import LockTimeout
from ..git import ownwrites
from ..git.ownwrites import Chain
from ..git.process import Pending
from . import rows as index_rows
from . import watch
from .rows import (ABSENT, UNCOMMITTED, WATCHED, DirSig, dir_rows, meta, write_absent,
                   writing)
from ..store.base import StoreBase
from ..store.layout import event_id, record_of_component, storable
from ..store.txn import StoreLock

EMPTY_TREE = "4b825dc642cb6eb9a060e54bf8d69288fbee4904"
# A file changed this close to a refresh (file times come from a coarse clock) may change
# again within the same time stamp, size unchanged: its signature is stored so that it never
# matches ("racy:", as git smudges such entries), and it stays watched, so the next refresh
# reads it again. Folders get the same treatment (index_rows.dir_rows).
RACY_NS = 50_000_000
WATCH_TOKEN = "watch-token"  # meta: the watcher's token of the last answer applied


class Scope(Enum):
    """The record files a refresh asks git about, as a pathspec. Queries that read only
    components ask about component.yaml files: git lstat's only what the pathspec names
    (10,000 files instead of 60,000 for lists)."""

    RECORDS = "records"
    COMPONENTS = ":(glob)records/*/*/component.yaml"

    @classmethod
    def of(cls, events: bool) -> "Scope":
        return cls.RECORDS if events else cls.COMPONENTS

    def covers(self, path: str) -> bool:
        return self is Scope.RECORDS or path.endswith("/component.yaml")


class Check(NamedTuple):
    """A refresh under way: git's checks running, what the folders showed."""

    scope: Scope
    last_tree: str
    tree_proc: Pending | None  # None: HEAD is the commit whose records tree is last_tree
    dirty_proc: Pending | None  # None: the watcher answered instead
    staged_proc: Pending | None
    git_index: str | None
    candidates: set[str]
    new_dirs: dict[str, DirSig]
    gone_dirs: list[str]
    local: bool  # the folders showed added or removed files
    started: int  # time.time_ns() when the refresh began
    head: str | None = None  # the commit HEAD named when the refresh began
    own: "OwnWrites | None" = None  # svt's own commits since the last proof, if only they
    # the watcher's answer (None: none answered), and the token the index kept before it
    watched: watch.Answer | None = None
    token: str | None = None


class OwnWrites(NamedTuple):
    """Every change to HEAD and git's index since the last refresh that asked git was one
    of svt's own commits (git/ownwrites.py): what they changed, and the scope whose staged
    files that refresh proved, which still holds."""

    chain: Chain
    proven: Scope


class Found(NamedTuple):
    """What a refresh found, for :meth:`Freshness._apply`."""

    candidates: set[str]  # files that may have changed
    committed: set[str]  # files a commit changed since the last refresh
    new_dirs: dict[str, DirSig]  # folders seen for the first time or changed: ctime, inode
    gone_dirs: list[str]  # folders gone
    tree: str  # HEAD's records tree now
    reported: set[str]  # files git named as differing from the index or HEAD
    settled: Scope | None  # the files git answered both questions about; None: not all
    removed: set[str]  # files the new HEAD no longer holds
    started: int  # when the refresh began
    # svt's own commits wrote these to HEAD and git's index alike, and git answered
    # whether they differ on disk: settled, whatever else git was not asked
    own_settled: frozenset[str] = frozenset()
    token: str | None = None  # the watcher's token kept when the refresh began
    answered: bool = False  # the watcher answered this refresh


class Freshness:
    """The refresh protocol of one index file. ``index_files(paths, marks, fresh_after)``
    reads record files and writes their rows, inside the caller's transaction."""

    def __init__(self, store: StoreBase, db: sqlite3.Connection,
                 index_files: Callable[[list[str], dict[str, int], int], None]) -> None:
        self.store, self.db, self.index_files = store, db, index_files
        self.root = str(store.root)

    def _git(self, *args: str) -> Pending:
        return self.store.repo.start(*args)

    def start(self, events: bool) -> Check | None:
        """Start git's checks and look at the folders; None if the index was rebuilt (it is
        then current). While git works on the other core, the caller may query the index
        and keep the answer if :meth:`finish` then changes nothing."""
        started = time.time_ns()
        token = meta(self.db, WATCH_TOKEN)
        answer = self._ask_watcher(token)
        if answer is not None:
            events = True  # what it names is applied (or all is proven) down to the events
        last_tree = meta(self.db, "tree")
        # a commit's tree never changes: while HEAD names the commit last seen, no git
        head = self.store.repo.head()
        tree_proc = None
        if head is None or meta(self.db, "head-tree") != f"{head} {last_tree}":
            tree_proc = self._git("rev-parse", "-q", "--verify", f"{head or 'HEAD'}:./records")
        if last_tree is None:
            assert tree_proc is not None
            self._rebuild(tree_proc, started, token, answer is not None)
            if answer is not None:
                keep_token(self.db, token, answer.token)
            return None
        scope = Scope.of(events)
        named = answer if answer is not None and not answer.reset else None  # every change
        dirty_proc = None if named is not None else self._edited(scope)
        # Staging rewrites git's index file. While that file and HEAD's tree are as they were
        # at the last check, the staged files are the ones it saw (and read), so git need not
        # compare again (0.1 s at 100,000 components); if HEAD moved, the finish asks then.
        git_index = self._git_index_sig()
        staged_proc = None
        own = None
        if git_index is None or f"{git_index} {last_tree}" not in (
                meta(self.db, f"git-index:{scope.value}"),
                meta(self.db, f"git-index:{Scope.RECORDS.value}")):
            own = self._own_writes(scope, head, git_index, last_tree)
            if own is None:
                staged_proc = self._staged(scope)
        candidates: set[str] = set()
        new_dirs: dict[str, DirSig] = {}
        gone_dirs: list[str] = []
        self._scan_changed_dirs(candidates, new_dirs, gone_dirs, events,
                                named.dirs if named is not None else None)
        if named is not None:  # the watcher named every change: no file needs a stat of its own
            candidates.update(named.files)
        local = bool(candidates or new_dirs or gone_dirs)
        if named is None:
            candidates.update(p for (p,) in self.db.execute(
                "SELECT path FROM files WHERE volatile>0"))
        return Check(scope, last_tree, tree_proc, dirty_proc, staged_proc, git_index,
                     candidates, new_dirs, gone_dirs, local, started, head, own, answer, token)

    def finish(self, check: Check | None) -> bool:
        """Wait for git and re-read what changed; True if anything in the index changed."""
        if check is None:
            return True
        scope, last_tree, staged_proc = check.scope, check.last_tree, check.staged_proc
        tree = (check.tree_proc.text() or "").strip() if check.tree_proc else last_tree
        own = check.own
        if staged_proc is None and tree != last_tree and own is None:
            staged_proc = self._staged(scope)  # HEAD moved alone (reset --soft)
        # git's answer, or the watcher's: each file it names stays watched until git settles it
        reported = set(check.dirty_proc.paths() if check.dirty_proc is not None else
                       check.watched.files if check.watched is not None else ())
        dirty_ok = check.dirty_proc is not None and check.dirty_proc.ok  # after its paths
        staged, staged_ok = self._staged_paths(staged_proc, scope, tree)
        reported.update(staged)
        # only with both answers may a watched file that git no longer names stop being watched
        settled = scope if dirty_ok and staged_ok else None
        candidates = check.candidates | reported
        committed: set[str] = set()
        removed: set[str] = set()  # gone from HEAD's tree: untracked if still on disk
        if own is not None:  # svt's own commits: their paths, without asking git
            committed = {p for p in own.chain.touched if p.startswith("records/")}
            removed = {p for p in own.chain.removed if p.startswith("records/")}
            candidates |= committed
        elif tree != last_tree:
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
        own_settled = frozenset(p for p in committed - removed if scope.covers(p)) if (
            own is not None and dirty_ok) else frozenset()
        changed = self._apply(Found(candidates, committed, check.new_dirs, check.gone_dirs, tree,
                                    reported, settled, removed, check.started, own_settled,
                                    check.token, check.watched is not None))
        # git's index rewritten this close to the refresh may have been rewritten again
        # while git compared it (a coarse clock, the same size, a reused inode): not trusted
        # then. svt's own commits prove the index they wrote by its content instead.
        proven = None
        if staged_ok and check.git_index is not None and not index_rows.racy(
                int(check.git_index.split(":", 1)[0]), check.started - RACY_NS):
            proven = scope
        elif own is not None:
            proven = own.proven
        if proven is not None:
            self.db.execute("INSERT OR REPLACE INTO meta VALUES (?, ?)",
                            (f"git-index:{proven.value}", f"{check.git_index} {tree}"))
        if check.head is not None:
            self.db.execute("INSERT OR REPLACE INTO meta VALUES (?, ?)",
                            ("head-tree", f"{check.head} {tree}"))
        if check.watched is not None:
            keep_token(self.db, check.token, check.watched.token)
        return changed

    def named(self, short: str) -> list[str] | None:
        """The event files on disk now whose id (store.event_id) is ``short``; None if the
        index was never built. An id is its file's name (or a hash of its path), which only
        a change of a folder's entries changes, and that changes the folder's ctime: the
        index's rows answer for the folders whose ctime it recorded, the others are listed
        now. Neither git nor the files' contents are consulted, and nothing is written."""
        self.db.execute("BEGIN")  # one snapshot of the folders and the rows
        try:
            if meta(self.db, "tree") is None:
                return None
            candidates: set[str] = set()
            answer = self._ask_watcher(meta(self.db, WATCH_TOKEN))
            self._scan_changed_dirs(candidates, {}, [], True, None if answer is None or
                                    answer.reset else answer.dirs)
            paths = {p for (p,) in self.db.execute("SELECT path FROM events WHERE short=?",
                                                   (short,))}
        finally:
            self.db.execute("COMMIT")
        paths.update(p for p in candidates if p.count("/") == 4 and event_id(p) == short)
        return sorted(p for p in paths if os.path.isfile(os.path.join(self.root, p)))

    def _edited(self, scope: Scope) -> Pending:
        return self._git("diff-files", "--name-only", "-z", "--relative", "--", scope.value)

    def _staged(self, scope: Scope, base: str = "HEAD") -> Pending:
        return self._git("diff-index", "--cached", "--no-renames", "--name-status", "-z",
                         "--relative", base, "--", scope.value)

    def _staged_paths(self, proc: Pending | None, scope: Scope, tree: str
                      ) -> tuple[dict[str, str], bool]:
        """{path: status} of the files whose staged version differs from HEAD's, and whether
        git answered. A branch with no commit yet is compared with the empty tree."""
        if proc is None:
            return {}, False
        pairs = proc.paths()
        if not proc.ok and not tree:
            proc = self._staged(scope, EMPTY_TREE)
            pairs = proc.paths()
        return {path: status for status, path in _status_pairs(pairs)}, proc.ok

    def _git_index_sig(self) -> str | None:
        """git's index file's stat signature and its trailer (the SHA-1 of its content that
        git writes at its end; zeros with index.skipHash)."""
        try:
            with open(self.store.repo.git_dir / "index", "rb") as fh:
                st = os.fstat(fh.fileno())
                fh.seek(-20, os.SEEK_END)
                return f"{index_rows.sig(st)}:{fh.read(20).hex()}"
        except OSError:  # none, or shorter than a trailer
            return None

    def _own_writes(self, scope: Scope, head: str | None, git_index: str | None,
                    last_tree: str) -> OwnWrites | None:
        """svt's own commits since the last refresh that asked git about staged files, if
        they are all that changed HEAD and git's index since (git/ownwrites.py)."""
        head_tree = meta(self.db, "head-tree")
        if head is None or git_index is None or head_tree is None:
            return None
        head0, _, tree0 = head_tree.partition(" ")
        if tree0 != last_tree:
            return None
        for proven in dict.fromkeys((scope, Scope.RECORDS)):
            recorded = meta(self.db, f"git-index:{proven.value}")
            if recorded is None or not recorded.endswith(f" {last_tree}"):
                continue
            index0 = recorded.rsplit(" ", 1)[0].rsplit(":", 1)[-1]
            chain = ownwrites.since(self.store.repo.svt_dir(), head0, index0, head,
                                    git_index.rsplit(":", 1)[-1])
            if chain is not None:
                return OwnWrites(chain, proven)
        return None

    def _ask_watcher(self, token: str | None) -> watch.Answer | None:
        """The watcher's answer (watch.py); None if none answers. A store that wants one
        (``svt watch``) gets it started, for the next query."""
        svt_dir = self.store.repo.svt_dir()
        answer = watch.ask(svt_dir, token)
        if answer is None and watch.wanted(svt_dir) and watch.supported():
            watch.start(self.root, svt_dir)
        return answer

    def _scan_changed_dirs(self, candidates: set[str], new_dirs: dict[str, DirSig],
                           gone_dirs: list[str], deep: bool = True,
                           only: list[str] | None = None) -> None:
        """Folders whose ctime changed (of all the index knows, or ``only`` of these) add
        what they held and hold now to ``candidates``."""
        prefix = self.root + "/"
        if only is not None:
            only = [p for p in only if storable(p)]
            folders = []
            for at in range(0, len(only), 900):
                chunk = only[at:at + 900]
                # each is looked into, whatever its ctime (-1 matches none): the watcher
                # named it
                folders += self.db.execute("SELECT path, -1, ino FROM dirs WHERE path IN"
                                           f" ({','.join('?' * len(chunk))})", chunk).fetchall()
        else:
            sql = "SELECT path, ctime, ino FROM dirs" + (
                "" if deep else " WHERE path NOT LIKE '%/%/%'")
            folders = self.db.execute(sql).fetchall()
        if self.db.execute("SELECT 1 FROM dirs WHERE path='records'").fetchone() is None \
                and os.path.isdir(prefix + "records"):
            folders.append(("records", -1, -1))  # back since the last look: no parent tells
        changed: list[str] = []
        for path, sig in _stat_changes(prefix, folders):
            if sig is None:
                gone_dirs.append(path)
            else:
                changed.append(path)
                new_dirs[path] = sig
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

    def _walk(self, folder: str, files: set[str], dirs: dict[str, DirSig],
              known: set[str] | None = None,
              seen: set[str] | None = None) -> None:
        """Add the record files under ``folder`` (and folders not yet known) to the sets;
        ``seen`` gets the folders directly in ``folder``. (A rebuild walks every folder:
        each name is joined once, only for what is kept.)"""
        try:
            entries = list(os.scandir(f"{self.root}/{folder}"))
        except (FileNotFoundError, NotADirectoryError):
            return
        depth = folder.count("/")  # (watch.MAX_DEPTH: the folders kept)
        deeper, has_files = depth < watch.MAX_DEPTH, depth >= watch.RECORD_DEPTH
        for entry in entries:
            name = entry.name
            if not storable(name):
                continue  # no record's name (svt validate says so); SQLite cannot hold it
            if entry.is_dir(follow_symlinks=False):
                rel = f"{folder}/{name}"
                if seen is not None:
                    seen.add(rel)
                if deeper and (known is None or rel not in known) and name[:1] != ".":
                    st = entry.stat(follow_symlinks=False)  # (stat's inode: readdir's
                    dirs[rel] = (st.st_ctime_ns, st.st_ino)  # differs on overlayfs)
                    self._walk(rel, files, dirs, known)
            elif has_files and name.endswith(".yaml"):
                files.add(f"{folder}/{name}")

    def _rebuild(self, tree_proc: Pending, started: int, token: str | None,
                 answered: bool) -> None:
        untracked_proc = self._git("ls-files", "-z", "--others", "--exclude-standard", "--",
                                   "records")
        dirty_proc = self._edited(Scope.RECORDS)
        staged_proc = self._staged(Scope.RECORDS)
        files: set[str] = set()
        dirs: dict[str, DirSig] = {}
        with self._refreshing_stat_cache():
            st = os.stat(os.path.join(self.root, "records")) if os.path.isdir(
                os.path.join(self.root, "records")) else None
            if st is not None:
                dirs["records"] = (st.st_ctime_ns, st.st_ino)
                self._walk("records", files, dirs)
        tree = (tree_proc.text() or "").strip()
        staged, _ = self._staged_paths(staged_proc, Scope.RECORDS, tree)
        # watched: differs from HEAD; uncommitted: untracked, or staged but new to HEAD
        marks = dict.fromkeys(dirty_proc.paths() + list(staged), WATCHED)
        marks.update((path, UNCOMMITTED) for path, status in staged.items() if status == "A")
        marks.update(dict.fromkeys(untracked_proc.paths(), UNCOMMITTED))
        with writing(self.db, tree):
            if not answered:
                distrust_newer_token(self.db, token)
            for table in ("dirs", "files", "components", "events"):
                self.db.execute(f"DELETE FROM {table}")
            self.db.executemany("INSERT INTO dirs VALUES (?, ?, ?, ?)",
                                dir_rows(dirs, started - RACY_NS))
            write_absent(self.db, [f"{d}/component.yaml" for d in dirs if d.count("/") == 2
                                   and f"{d}/component.yaml" not in files])
            self.index_files(sorted(files), marks, started - RACY_NS)

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

    def _apply(self, found: Found) -> bool:
        """Re-read the candidates whose stat signature changed (and those a commit changed),
        and update which files stay watched."""
        committed, new_dirs, gone_dirs, tree = (found.committed, found.new_dirs,
                                                found.gone_dirs, found.tree)
        candidates = {p for p in found.candidates if p.endswith(".yaml")
                      and p.count("/") in (3, 4) and storable(p)}
        # a component folder seen for the first time or changed may lack its component.yaml
        candidates.update(f"{d}/component.yaml" for d in new_dirs if d.count("/") == 2)
        stored: dict[str, tuple[str | None, int]] = {}  # ABSENT rows have no signature
        if candidates:
            if len(candidates) < 900:
                qmarks = ",".join("?" * len(candidates))
                rows = self.db.execute("SELECT path, sig, volatile FROM files WHERE path IN"
                                       f" ({qmarks})", list(candidates))
            else:
                rows = self.db.execute("SELECT path, sig, volatile FROM files")
            stored = {path: (sig, volatile) for path, sig, volatile in rows}
        todo: list[tuple[str, str | None]] = []
        absent: list[str] = []  # component.yaml files missing from existing folders
        for path in candidates:
            try:
                sig = index_rows.sig(os.lstat(os.path.join(self.root, path)))
            except (FileNotFoundError, NotADirectoryError):  # gone, or its folder is a file
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
            if path in found.removed or (path not in committed and before in (None, UNCOMMITTED)):
                mark = UNCOMMITTED  # until a commit holds it
            elif path in found.reported or (
                    not (found.settled is not None and found.settled.covers(path)
                         or path in found.own_settled)
                    and (before == WATCHED or path in committed)):
                mark = WATCHED  # differs from HEAD, or git was not asked (HEAD moved)
            else:
                mark = 0
            marks[path] = mark
            if before is not None and mark != before:
                remark.append((mark, path))
        if not todo and not absent and not remark and not new_dirs and not gone_dirs and \
                tree == meta(self.db, "tree"):
            return False
        with writing(self.db, tree):
            if not found.answered:
                distrust_newer_token(self.db, found.token)
            for folder in gone_dirs:
                self.db.execute("DELETE FROM dirs WHERE path=? OR (path > ? AND path < ?)",
                                (folder, folder + "/", folder + "0"))
            self.db.executemany("INSERT OR REPLACE INTO dirs VALUES (?, ?, ?, ?)",
                                dir_rows(new_dirs, found.started - RACY_NS))
            gone = [(path,) for path, sig in todo if sig is None] + [(p,) for p in absent]
            for table in ("files", "components", "events"):
                self.db.executemany(f"DELETE FROM {table} WHERE path=?", gone)
            write_absent(self.db, absent)
            present = [path for path, sig in todo if sig is not None]
            self.db.executemany("UPDATE files SET volatile=? WHERE path=?", remark)
            self.index_files(sorted(present), marks, found.started - RACY_NS)
        return True


def keep_token(db: sqlite3.Connection, old: str | None, new: str) -> None:
    """Keep the watcher's token of a refresh that began with ``old`` kept. Had another
    process kept one since, the older of the two is kept: its rows may be older than either."""
    if meta(db, WATCH_TOKEN) == new:  # kept already (nothing changed): nothing to write
        return
    index_rows.begin_write(db)
    try:
        stored = meta(db, WATCH_TOKEN)
        kept: str | None = new if stored == old else watch.older(stored, new)
        if kept is None:
            db.execute("DELETE FROM meta WHERE key=?", (WATCH_TOKEN,))
        elif kept != stored:
            db.execute("INSERT OR REPLACE INTO meta VALUES (?, ?)", (WATCH_TOKEN, kept))
    except BaseException:
        db.execute("ROLLBACK")
        raise
    db.execute("COMMIT")


def distrust_newer_token(db: sqlite3.Connection, token: str | None) -> None:
    """For a refresh the watcher did not answer, inside its write: had a query under the
    watcher kept a token since this refresh began, what this one read may be older than
    that token says, so no token is kept (the next query proves everything)."""
    if meta(db, WATCH_TOKEN) != token:
        db.execute("DELETE FROM meta WHERE key=?", (WATCH_TOKEN,))


def _absent_watch(root: str, path: str) -> bool:
    """Whether a missing file is a component.yaml whose component folder still exists."""
    return record_of_component(path) is not None and os.path.isdir(
        os.path.join(root, path.rsplit("/", 1)[0]))


def _status_pairs(fields: list[str]) -> Iterator[tuple[str, str]]:
    """(status letter, path) from the NUL-separated output of ``--name-status -z``."""
    for i in range(0, len(fields) - 1, 2):
        yield fields[i][:1], fields[i + 1]


def _stat_changes(prefix: str, folders: list[tuple[str, int, int]]
                  ) -> list[tuple[str, DirSig | None]]:
    """Folders whose ctime or inode differs from the ones recorded (None: the folder is
    gone, or is no folder now). The component and year folders are stat'ed relative to their type
    folder (``dir_fd``): the kernel resolves two names instead of five, 6-15 % less time for
    the 20,000 stats at 10,000 components. Links are followed as a path would be."""
    stat, is_dir = os.stat, S_ISDIR
    out: list[tuple[str, DirSig | None]] = []
    fds: dict[str, int | None] = {}  # type folder: its descriptor; None: gone or no folder
    try:
        for path, ctime, ino in folders:
            parts = path.split("/", 2)
            try:
                if len(parts) < 3:
                    st = stat(prefix + path)
                else:
                    fd = fds.get(parts[1], -1)
                    if fd == -1:
                        fd = fds[parts[1]] = _open_dir(f"{prefix}{parts[0]}/{parts[1]}")
                    if fd is None:
                        raise FileNotFoundError(path)
                    st = stat(parts[2], dir_fd=fd)
            except (FileNotFoundError, NotADirectoryError):
                out.append((path, None))
                continue
            if not is_dir(st.st_mode):
                out.append((path, None))
            elif st.st_ctime_ns != ctime or st.st_ino != ino:
                out.append((path, (st.st_ctime_ns, st.st_ino)))
    finally:
        for fd in fds.values():
            if fd is not None:
                os.close(fd)
    return out


def _open_dir(path: str) -> int | None:
    """A descriptor of the folder ``path`` (a link to one is followed, as stat does); None
    when it is gone or no folder."""
    try:
        return os.open(path, os.O_RDONLY | os.O_DIRECTORY)
    except (FileNotFoundError, NotADirectoryError):
        return None
