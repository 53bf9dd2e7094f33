"""The SQLite file of the query index: its tables, and the rows a record file becomes.

What is in the file and how a record is encoded live here; when rows must be re-read is
freshness.py's business, and the questions asked of them index.py's.
"""
from __future__ import annotations

import json
import os
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any, Iterable, Iterator, NamedTuple, Sequence, Tuple

from .. import model
from ..files import yamlio
from ..model.errors import RecordError, SvtError
from ..store.base import StoreBase
from ..store.layout import event_id

if TYPE_CHECKING:  # sqlite3 loads when the file is opened: show-test may only name files
    import sqlite3

VERSION = "16"
# Partial indexes keep the per-query lookups (files not yet committed, unreadable records)
# proportional to what they find, not to the store; components_list answers `svt list` in
# order from the index alone (measured at 100,000 components: 0.11 s less per list).
# verdicts keeps each component's latest verdict of each test type (Index.verdicts, for
# `svt list`); triggers (tallies.py, made after a rebuild's bulk insert) name in
# verdicts_stale every component whose event rows change (whoever writes them), so that only
# those are worked out again. 14: those triggers are no longer made with the file (an older
# svt that made them on a 14 file would trust a verdicts table never filled).
SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT);
CREATE TABLE IF NOT EXISTS dirs (path TEXT PRIMARY KEY, ctime INTEGER, ino INTEGER,
                                 parent TEXT);
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
CREATE INDEX IF NOT EXISTS components_id ON components(id);
CREATE TABLE IF NOT EXISTS events (
    path TEXT PRIMARY KEY, component TEXT, kind TEXT, name TEXT, date TEXT, utc TEXT,
    result TEXT, error TEXT, short TEXT, legacy INTEGER);
CREATE INDEX IF NOT EXISTS events_kind ON events(kind, utc);
CREATE INDEX IF NOT EXISTS events_short ON events(short);
CREATE INDEX IF NOT EXISTS events_component ON events(component, kind);
CREATE INDEX IF NOT EXISTS events_broken ON events(path) WHERE error IS NOT NULL;
CREATE INDEX IF NOT EXISTS events_legacy ON events(legacy) WHERE legacy IS NOT NULL;
CREATE TABLE IF NOT EXISTS recent_commits (folder TEXT PRIMARY KEY, commits TEXT,
    complete INTEGER);
CREATE TABLE IF NOT EXISTS verdicts (component TEXT PRIMARY KEY, data TEXT, health TEXT,
    line TEXT);
CREATE TABLE IF NOT EXISTS verdicts_stale (component TEXT PRIMARY KEY);
"""
EVENT_FIELDS = ("kind", "date", "component", "test_type", "result", "legacy_id")
LOCK_WAIT = 600.0  # seconds to wait for another process updating the index
# files.volatile: 0, or stat'ed at every refresh because no commit holds the file yet, or
# because it differed from HEAD when last seen (it may be made equal again, staged, unseen),
# or because it is a component.yaml missing from a component folder that exists (ABSENT, no
# signature): queries of components look in no component folder, so a component.yaml that
# comes back (git checkout -- FILE, an undone delete) would otherwise go unseen
UNCOMMITTED, WATCHED, ABSENT = 1, 2, 3
TABLE_COLUMNS = ("id", "type", "status", "location", "position", "run_period", "serial_number",
                 "manufacturer")


def sig(st: os.stat_result) -> str:
    """A file's stat signature: a file whose signature is unchanged is not read again."""
    return f"{st.st_mtime_ns}:{st.st_size}:{st.st_ino}"


class FileRow(NamedTuple):
    """A row of ``files``: every record file read, and whether it is watched."""

    path: str
    sig: str | None  # None: an ABSENT component.yaml; "racy:...": never matches
    volatile: int  # 0, UNCOMMITTED, WATCHED or ABSENT
    dir: str


class ComponentRow(NamedTuple):
    """A row of ``components`` (in the table's column order)."""

    id: str
    type: str | None
    status: str | None
    location: str | None
    position: str | None
    run_period: str | None
    path: str
    data: str | None  # the record as JSON; None if it did not load
    links: int
    error: str | None  # why the record did not load
    serial_number: str | None
    manufacturer: str | None


class EventRow(NamedTuple):
    """A row of ``events`` (in the table's column order)."""

    path: str
    component: str
    kind: str | None
    name: str | None  # the test type, or the kind
    date: str | None
    utc: str | None  # the date in UTC: text order is time order
    result: str | None
    error: str | None
    short: str  # the id `svt show` prints beside it (store.event_id)
    legacy: int | None  # the original tracker's number (legacy_id, after svt import-sqlite)


class Skipped(NamedTuple):
    """A record file a query left out, or could not answer from: it failed to load."""

    path: str
    problem: str  # what is wrong, naming the file (and its line, when known)


def skipped_of(path: str, exc: Exception) -> Skipped:
    """The :class:`Skipped` of a file whose strict read raised ``exc``."""
    text = str(exc)
    return Skipped(path, text if path in text else f"{path}: {text}")


class Rows(NamedTuple):
    """The rows some record files became."""

    files: list[FileRow]
    components: list[ComponentRow]
    events: list[EventRow]


# Rows as plain tuples (same columns, same order): what a reader process hands back, since
# pickling 70,000 named tuples and making them again cost 0.5 s of CPU at 10,000 components.
Row = Tuple[Any, ...]
PlainRows = Tuple[Sequence[Row], Sequence[Row], Sequence[Row]]
PATH_OF_COMPONENT = ComponentRow._fields.index("path")


def plain(rows: Rows) -> PlainRows:
    """``rows`` as plain tuples, which :func:`write_rows` writes just the same."""
    return (list(map(tuple, rows.files)), list(map(tuple, rows.components)),
            list(map(tuple, rows.events)))


# ---- the file ----------------------------------------------------------------------------

def open_file(path: Path) -> sqlite3.Connection:
    """Open the index file, made afresh if it is missing, corrupt or another version's."""
    import sqlite3
    try:
        db = _connect(path)
        db.executescript(SCHEMA)
        row = db.execute("SELECT value FROM meta WHERE key='version'").fetchone()
    except sqlite3.DatabaseError:  # corrupt or unreadable: it is only a cache
        path.unlink(missing_ok=True)
        db = _connect(path)
        db.executescript(SCHEMA)
        row = None
    if row is None or row[0] != VERSION:  # another svt version's layout: start afresh
        db.executescript("DROP TABLE IF EXISTS meta; DROP TABLE IF EXISTS dirs;"
                         " DROP TABLE IF EXISTS files; DROP TABLE IF EXISTS components;"
                         " DROP TABLE IF EXISTS events; DROP TABLE IF EXISTS recent_commits;"
                         " DROP TABLE IF EXISTS verdicts; DROP TABLE IF EXISTS verdicts_stale;")
        db.executescript(SCHEMA)
        db.execute("INSERT INTO meta VALUES ('version', ?)", (VERSION,))
    return db


def _connect(path: Path) -> sqlite3.Connection:
    # WAL: queries read while another svt process updates the index; writers take turns,
    # and one may wait for a rebuild of a very large store (minutes at 100,000 components)
    import sqlite3
    db = sqlite3.connect(path, timeout=LOCK_WAIT, isolation_level=None)
    try:
        db.execute("PRAGMA journal_mode=WAL")
    except sqlite3.OperationalError:
        pass  # a file system without shared memory: the default journal still works
    return db


def meta(db: sqlite3.Connection, key: str) -> str | None:
    row = db.execute("SELECT value FROM meta WHERE key=?", (key,)).fetchone()
    return row[0] if row else None


def begin_write(db: sqlite3.Connection) -> None:
    """Begin a transaction that writes the index; an svt error if another process has held
    it for longer than svt waits."""
    import sqlite3
    try:
        db.execute("BEGIN IMMEDIATE")
    except sqlite3.OperationalError as exc:
        raise SvtError(f"the query index is busy ({exc}): another svt process has been"
                       f" updating it for {LOCK_WAIT:.0f} s; try again when it is done")\
            from None


@contextmanager
def writing(db: sqlite3.Connection, tree: str) -> Iterator[None]:
    """One SQLite transaction that ends by recording the tree now indexed."""
    begin_write(db)
    try:
        yield
        db.execute("INSERT OR REPLACE INTO meta VALUES ('tree', ?)", (tree,))
        db.execute("DELETE FROM meta WHERE key LIKE 'summary:%'")
        db.execute("COMMIT")
    except BaseException:
        db.execute("ROLLBACK")
        raise


def write_rows(db: sqlite3.Connection, rows: PlainRows) -> None:
    """Write :class:`Rows` (or their :func:`plain` tuples), replacing those of the same paths."""
    files, components, events = rows
    q = db.executemany
    q("INSERT OR REPLACE INTO files VALUES (?, ?, ?, ?)", files)
    q("DELETE FROM components WHERE path=?", [(r[PATH_OF_COMPONENT],) for r in components])
    q("INSERT OR REPLACE INTO components VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
      components)
    q("INSERT OR REPLACE INTO events VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", events)


@contextmanager
def indexes_made_after(db: sqlite3.Connection) -> Iterator[None]:
    """Inside a write transaction, for a bulk insert (a rebuild): the indexes of components
    and events dropped, and made again at the end, from sorted rows (0.13 s of CPU less than
    inserting into them row by row, at 10,000 components). If the insert fails, the
    transaction's rollback brings them back."""
    made = db.execute("SELECT name, sql FROM sqlite_master WHERE type = 'index' AND sql IS NOT"
                      " NULL AND tbl_name IN ('components', 'events')").fetchall()
    for name, _ in made:
        db.execute(f'DROP INDEX "{name}"')
    yield
    for _, sql in made:
        db.execute(sql)


def write_absent(db: sqlite3.Connection, paths: Iterable[str]) -> None:
    """Watch component.yaml files missing from their (existing) folders."""
    db.executemany("INSERT OR REPLACE INTO files VALUES (?, NULL, ?, ?)",
                   ((p, ABSENT, p.rsplit("/", 1)[0]) for p in paths))


# A file system whose clock counts whole seconds (ext3 and HFS+; FAT counts two) gives each
# time stamp a zero fraction; such a time stamp may stand for any moment up to 2 s later.
COARSE_NS = 2_000_000_000


DirSig = Tuple[int, int]  # a folder's ctime (ns) and inode


def racy(mtime_ns: int, fresh_after: int) -> bool:
    """Whether a file or folder with this mtime may change again without its time stamp
    changing: it changed after ``fresh_after`` (a refresh's start less the racy window), or
    its time stamp is a whole second that close to it (a coarse clock)."""
    if mtime_ns % 1_000_000_000 == 0:
        return mtime_ns >= fresh_after - COARSE_NS
    return mtime_ns >= fresh_after


def dir_rows(dirs: dict[str, DirSig], fresh_after: int
             ) -> Iterator[tuple[str, int, int, str]]:
    """Rows of the dirs table: a folder's ctime and inode. Its entries changing changes its
    ctime, and no tool can set a ctime back (an mtime can be: rsync -a, tar x, cp -a); a
    folder moved onto a known name has a new ctime and another inode. A folder changed this
    close to the refresh may change again within the same time stamp (another file added in
    the same tick): its ctime is stored as -1, which never matches, so the next refresh
    looks at it again."""
    for path, (ctime, ino) in dirs.items():
        yield path, (-1 if racy(ctime, fresh_after) else ctime), ino, path.rsplit("/", 1)[0]


# ---- reading files -------------------------------------------------------------------------

def read_rows(store: StoreBase, paths: Iterable[str], marks: dict[str, int], fresh_after: int
              ) -> Rows:
    """The rows of the record files ``paths`` (those still there); ``marks``: their
    ``volatile`` values; a file changed after ``fresh_after`` gets a racy signature."""
    root = str(store.root)
    rows = Rows([], [], [])
    schema_dir: Path | None = None  # looked up once, at the first component
    for path in paths:
        full = f"{root}/{path}"
        text = None
        if path.count("/") != 3:  # an event: the stat of the file read is its signature
            try:
                text, st = yamlio.read_text_stat(full)
            except (OSError, yamlio.YamlError):
                pass  # event_row reads it again and says what is wrong
        if text is None:
            try:
                st = os.lstat(full)
            except (FileNotFoundError, NotADirectoryError):
                continue
        mark, signature = marks.get(path, 0), sig(st)
        if racy(st.st_mtime_ns, fresh_after):
            mark, signature = mark or WATCHED, f"racy:{signature}"
        rows.files.append(FileRow(path, signature, mark, path.rsplit("/", 1)[0]))
        if path.count("/") == 3:
            if path.endswith("/component.yaml"):
                if schema_dir is None:
                    schema_dir = store.schema_dir
                rows.components.append(component_row(store, path, schema_dir))
        else:
            rows.events.append(event_row(path, full, text))
    return rows


def component_row(store: StoreBase, path: str, schema_dir: Path | None = None) -> ComponentRow:
    parts = path.split("/")
    try:
        data = store.load(path, kind="component", schema_dir=schema_dir)
    except RecordError as exc:
        return ComponentRow(parts[2], parts[1], None, None, None, None, path, None, 0,
                            exc.problems[0].render(), None, None)
    except (SvtError, OSError) as exc:
        return ComponentRow(parts[2], parts[1], None, None, None, None, path, None, 0,
                            f"{path}: {exc}", None, None)
    return ComponentRow(data.get("id", parts[2]), data.get("type"), data.get("status"),
                        data.get("location"), data.get("position"), data.get("run_period"),
                        path, json.dumps(data), len(data.get("connections") or []), None,
                        data.get("serial_number"), data.get("manufacturer"))


def event_row(path: str, full: str, text: str | None = None) -> EventRow:
    """The row of the event file ``full`` (``text``: what read_text gave, if read)."""
    fields, error = event_fields(full, text)
    component = path.split("/")[2]
    if fields is None:
        return EventRow(path, component, None, None, None, None, None, f"{path}: {error}",
                        event_id(path), None)
    return EventRow(path, fields.get("component", component), fields["kind"],
                    fields.get("test_type") or fields["kind"], fields["date"], fields["utc"],
                    fields.get("result"), None, event_id(path),
                    legacy_number(fields.get("legacy_id")))


def legacy_number(value: object) -> int | None:
    """A ``legacy_id`` as the index keeps it: an integer SQLite can hold, else None (no
    original tracker numbered that far; validate reports what is not an integer)."""
    return value if type(value) is int and yamlio.INT_MIN <= value <= yamlio.INT_MAX else None


def event_fields(full: str, text: str | None = None) -> tuple[dict | None, str | None]:
    """kind, date (and its UTC form), component, test type and result of an event file,
    from its top-level lines when it is in canonical form, else from the strict reader;
    ``text``: the file's, if the caller read it."""
    if text is None:
        try:
            text = yamlio.read_text(full)
        except (OSError, yamlio.YamlError) as exc:
            return None, str(exc)
    fields = yamlio.top_level_scalars(text, EVENT_FIELDS)
    if fields is None:
        try:
            data = yamlio.load(text).data
        except yamlio.YamlError as exc:
            return None, str(exc)
        if not isinstance(data, dict):
            return None, "not a mapping"
        fields = {k: data.get(k) for k in EVENT_FIELDS if k in data}
    if fields.get("kind") not in model.EVENT_KINDS or not isinstance(fields.get("date"), str):
        return None, "kind or date missing or invalid (svt validate explains)"
    try:
        fields["utc"] = model.to_utc(model.parse_date(fields["date"])).isoformat()
    except SvtError as exc:
        return None, str(exc)
    return fields, None

