"""The derived query index: SQLite inside ``.git/svt/``, never committed, never the truth.

Before answering, the index compares each record file's stat signature (mtime, size, inode)
with what it saw last and re-reads only what changed, so hand edits, pulls, checkouts and
branch switches show at once. Deleting the file loses nothing: the next command rebuilds it.
"""
from __future__ import annotations

import json
import os
import sqlite3
from collections import Counter, defaultdict
from pathlib import Path
from typing import Any, Iterator

from . import model
from .errors import RecordError, SvtError

VERSION = "3"
_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT);
CREATE TABLE IF NOT EXISTS files (path TEXT PRIMARY KEY, sig TEXT, scope TEXT);
CREATE TABLE IF NOT EXISTS components (
    id TEXT PRIMARY KEY, type TEXT, status TEXT, location TEXT, position TEXT,
    run_period TEXT, path TEXT, data TEXT, error TEXT);
CREATE INDEX IF NOT EXISTS components_type ON components(type);
CREATE INDEX IF NOT EXISTS components_position ON components(position);
CREATE TABLE IF NOT EXISTS events (
    path TEXT PRIMARY KEY, component TEXT, kind TEXT, name TEXT, date TEXT, utc TEXT,
    result TEXT, position TEXT, run_period TEXT, error TEXT);
CREATE INDEX IF NOT EXISTS events_component ON events(component);
"""


def _sig(st: os.stat_result) -> str:
    return f"{st.st_mtime_ns}:{st.st_size}:{st.st_ino}"


class Index:
    def __init__(self, store: Any) -> None:
        self.store = store
        self.path = store.repo.svt_dir() / "index.sqlite"
        self.problems: list[str] = []
        self.db = self._open()

    def _open(self) -> sqlite3.Connection:
        db = sqlite3.connect(self.path, timeout=30, isolation_level=None)
        try:
            db.executescript(_SCHEMA)
            row = db.execute("SELECT value FROM meta WHERE key='version'").fetchone()
        except sqlite3.DatabaseError:
            db.close()
            self.path.unlink(missing_ok=True)  # corrupt: rebuild from the files
            db = sqlite3.connect(self.path, timeout=30, isolation_level=None)
            db.executescript(_SCHEMA)
            row = None
        if row is None or row[0] != VERSION:
            db.executescript("DELETE FROM files; DELETE FROM components; DELETE FROM events;")
            db.execute("INSERT OR REPLACE INTO meta VALUES ('version', ?)", (VERSION,))
        return db

    # ---- keeping it in step with the files ------------------------------------------------
    def _walk(self, with_events: bool) -> Iterator[tuple[str, str, str]]:
        """(scope, relative path, signature) for every record file on disk."""
        root = self.store.root
        rootlen = len(str(root)) + 1
        for _, folder in self.store.iter_component_dirs():
            comp = os.path.join(folder, "component.yaml")
            try:
                st = os.stat(comp)
            except FileNotFoundError:
                continue
            yield "component", comp[rootlen:].replace(os.sep, "/"), _sig(st)
            if not with_events:
                continue
            with os.scandir(folder) as years:
                for year in years:
                    if not (year.name.isdigit() and year.is_dir(follow_symlinks=False)):
                        continue
                    with os.scandir(year.path) as files:
                        for entry in files:
                            if entry.name.endswith(".yaml"):
                                yield ("event", entry.path[rootlen:].replace(os.sep, "/"),
                                       _sig(entry.stat(follow_symlinks=False)))

    def refresh(self, with_events: bool = False) -> None:
        scopes = ("component", "event") if with_events else ("component",)
        known = {path: sig for path, sig, scope in
                 self.db.execute("SELECT path, sig, scope FROM files") if scope in scopes}
        seen: dict[str, tuple[str, str]] = {}
        for scope, path, sig in self._walk(with_events):
            seen[path] = (scope, sig)
        changed = [(p, s) for p, s in seen.items() if known.get(p) != s[1]]
        gone = [p for p in known if p not in seen]
        if not changed and not gone:
            return
        self.db.execute("BEGIN IMMEDIATE")
        try:
            for path in gone:
                self.db.execute("DELETE FROM files WHERE path=?", (path,))
                self.db.execute("DELETE FROM components WHERE path=?", (path,))
                self.db.execute("DELETE FROM events WHERE path=?", (path,))
            for path, (scope, sig) in changed:
                if scope == "component":
                    self._index_component(path)
                else:
                    self._index_event(path)
                self.db.execute("INSERT OR REPLACE INTO files VALUES (?, ?, ?)", (path, sig, scope))
            self.db.execute("COMMIT")
        except BaseException:
            self.db.execute("ROLLBACK")
            raise

    def _read(self, path: str) -> tuple[dict | None, str | None]:
        try:
            return self.store.load(path), None
        except RecordError as exc:
            return None, exc.problems[0].render()
        except (SvtError, OSError) as exc:
            return None, f"{path}: {exc}"

    def _index_component(self, path: str) -> None:
        data, error = self._read(path)
        parts = path.split("/")
        cid = parts[2] if len(parts) > 3 else path
        self.db.execute("DELETE FROM components WHERE path=?", (path,))
        if data is None:
            self.db.execute("INSERT OR REPLACE INTO components (id, type, path, error) VALUES"
                            " (?, ?, ?, ?)", (cid, parts[1] if len(parts) > 1 else None, path, error))
            return
        self.db.execute(
            "INSERT OR REPLACE INTO components VALUES (?, ?, ?, ?, ?, ?, ?, ?, NULL)",
            (data.get("id", cid), data.get("type"), data.get("status"), data.get("location"),
             data.get("position"), data.get("run_period"), path, json.dumps(data)))

    def _index_event(self, path: str) -> None:
        data, error = self._read(path)
        parts = path.split("/")
        cid = parts[2] if len(parts) > 3 else None
        if data is None:
            self.db.execute("INSERT OR REPLACE INTO events (path, component, error) VALUES"
                            " (?, ?, ?)", (path, cid, error))
            return
        try:
            utc = model.to_utc(model.parse_date(data["date"])).isoformat()
        except (SvtError, KeyError, TypeError):
            utc = None
        name = data.get("test_type") or data.get("kind")
        self.db.execute(
            "INSERT OR REPLACE INTO events VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, NULL)",
            (path, data.get("component", cid), data.get("kind"), name, data.get("date"), utc,
             data.get("result"), data.get("position"), data.get("run_period")))

    def _errors(self, table: str) -> list[str]:
        return [r[0] for r in self.db.execute(f"SELECT error FROM {table} WHERE error IS NOT NULL")]

    # ---- queries ----------------------------------------------------------------------------
    def components(self, component_type: str | None = None, status: str | None = None,
                   location: str | None = None, position: str | None = None) -> list[dict]:
        self.refresh()
        self.problems = self._errors("components")
        sql = "SELECT data FROM components WHERE error IS NULL"
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
        return [json.loads(r[0]) for r in self.db.execute(sql, args)]

    def summary(self, recent: int = 10) -> dict:
        self.refresh(with_events=True)
        self.problems = self._errors("components") + self._errors("events")
        by_type: dict[str, Counter] = defaultdict(Counter)
        installed: dict[str, list[dict]] = defaultdict(list)
        connections = 0
        for (data,) in self.db.execute("SELECT data FROM components WHERE error IS NULL"
                                       " ORDER BY type, id"):
            rec = json.loads(data)
            by_type[rec["type"]][rec["status"]] += 1
            if rec.get("position"):
                installed[rec.get("run_period") or "(no run period)"].append(
                    {"id": rec["id"], "type": rec["type"], "position": rec["position"]})
            connections += len(rec.get("connections") or [])
        tests = {}
        for name, n, passed, failed, last in self.db.execute(
                "SELECT name, count(*), sum(result='pass'), sum(result='fail'), max(utc)"
                " FROM events WHERE kind='test' GROUP BY name ORDER BY name"):
            tests[name] = {"count": n, "pass": passed or 0, "fail": failed or 0, "latest": last}
        recent_rows = [
            {"component": c, "test_type": n, "date": d, "result": r}
            for c, n, d, r in self.db.execute(
                "SELECT component, name, date, result FROM events WHERE kind='test'"
                " ORDER BY utc DESC, path DESC LIMIT ?", (recent,))]
        for rows in installed.values():
            rows.sort(key=lambda r: r["position"])
        return {
            "total": sum(sum(c.values()) for c in by_type.values()),
            "by_type": {t: dict(sorted(c.items())) for t, c in sorted(by_type.items())},
            "by_status": dict(sorted(sum(by_type.values(), Counter()).items())),
            "installed": dict(sorted(installed.items())),
            "tests": tests,
            "recent_tests": recent_rows,
            "connections": connections // 2,
        }

    def close(self) -> None:
        self.db.close()


def index_path(store: Any) -> Path:
    return store.repo.svt_dir() / "index.sqlite"
