"""Questions about the records that read more than one record or ask the index: a
component's tests and everything `svt show` prints, one test by its id, a component's latest
commits, the store's summary, what is installed at a position.

``Database``'s methods of these names delegate here (their docstrings say what each does).
The index (:mod:`..index.queries`) loads only when a question needs it.
"""
from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .. import model
from ..model import registry
from ..model.errors import InvalidInput, NotFoundError, RecordError
from ..store.layout import COMPONENT_FILE, RECORDS, event_id
from .assembly import links

if TYPE_CHECKING:
    from ..index.rows import Skipped
    from .database import Database


def tests(db: "Database", component_id: str) -> list[dict]:
    return [dict(ev, id=event_id(ev["_path"]))
            for ev in db.events(component_id, kinds=("test",))]


def find_test(db: "Database", test_id: str, skipped: list[Skipped] | None = None) -> dict:
    """The test ``test_id`` names (``Database.find_test``). Files of that id that do not
    load are named in the error when no test of it loads; when one does, it is the answer,
    and they are added to ``skipped``, if given, else not mentioned."""
    db.require()
    wanted = str(test_id).strip()
    if wanted.endswith(".yaml"):
        full = Path(os.path.abspath(os.path.expanduser(wanted)))
        if not full.is_relative_to(db.root):
            full = db.root / wanted
        inside = full.is_relative_to(db.root / RECORDS)
        paths = [db.rel(full)] if inside and full.is_file() else []
    else:
        cid, sep, short = wanted.rpartition(":")
        if sep:  # by the file names alone: another test of the component may be broken
            model.check_id(cid)
            folder = db.read_component(cid).folder
            paths = [db.rel(p) for p in db.event_files(folder)
                     if event_id(db.rel(p)) == short.lower()]
        else:  # the index knows each test's id, and the original tracker's numbers
            from ..index.queries import Index
            index = Index(db)
            paths = index.tests_with_id(short.lower())
            if short.isdigit():  # may also be the original tracker's test number
                paths += [p for p in index.tests_with_legacy_id(int(short))
                          if p not in paths]
    # the files of that id that do not load may be the test asked for: each is read now
    from ..index.rows import skipped_of
    found, broken = [], []
    for path in paths:
        try:
            event = db.load(path)
        except RecordError as exc:
            broken.append(skipped_of(path, exc))
            continue
        if event.get("kind") == "test" or len(paths) == 1:
            found.append((path, event))
    if not found and broken:
        where = (f"is {broken[0].path}, which does not load" if len(broken) == 1 else
                 f"is in one of {len(broken)} files that do not load")
        raise RecordError([], f"test {wanted!r} {where}: "
                          + "; ".join(s.problem for s in broken))
    if not found:
        raise NotFoundError(f"no test {wanted!r}: `svt show COMPONENT` prints the ids of"
                            " its tests")
    if len(found) > 1:
        full_ids = [f"{p.split('/')[2]}:{event_id(p)}" for p, _ in found]
        names = [p for p, _ in found] if len(set(full_ids)) < len(full_ids) else full_ids
        raise InvalidInput(f"{wanted} names {len(found)} tests: give one of"
                           f" {', '.join(names)}")
    if skipped is not None:
        skipped += broken  # this test is the one that loads; the caller names the others
    rel, event = found[0]
    if event.get("kind") != "test":
        raise NotFoundError(f"{rel} is a {event.get('kind')} record, not a test")
    folder = (db.root / rel).parent
    out = dict(event, id=event_id(rel), _path=rel)
    out["files"] = [dict(f, full_path=str(folder / f["path"])) for f in event.get("files") or []]
    return out


def tests_of_type(db: "Database", test_type: str) -> list[str]:
    """The paths of every result of ``test_type`` (`svt reanalyze` of all components)."""
    from ..index.queries import Index
    return Index(db).event_paths("test", test_type)


def history(db: "Database", component_id: str, *, limit: int) -> list[dict]:
    folder, _ = db.component_record(component_id)
    return history_of(db, folder, limit)


def history_of(db: "Database", folder: Path, limit: int) -> list[dict]:
    """The latest ``limit`` commits that touched the component in ``folder``."""
    from ..index.queries import Index
    return [c._asdict() for c in Index(db).recent_commits(db.rel(folder), limit)]


def describe(db: "Database", component_id: str, *, commits: int,
             window: model.DateWindow | None) -> dict:
    db.require()
    model.check_id(component_id)
    folder, record = db.component_record(component_id)
    assembly = {"sensor": record.get("sensor"), "hybrid": record.get("hybrid"),
                "module": record.get("module")}
    info: dict[str, Any] = {
        "component": record,
        "record": db.rel(folder / COMPONENT_FILE),
        "assembly": {k: v for k, v in assembly.items() if v},
    }
    current = {"connections": links(component_id, record)}
    events = [dict(ev, id=event_id(ev["_path"])) if ev.get("kind") == "test" else ev
              for ev in db.events_in(folder)]
    # each test type's latest verdict, of every test (events_in sorts them as
    # model.event_order does), whatever window is shown
    info["verdicts"] = model.latest_by_type(
        (str(e.get("test_type")), i, e.get("result")) for i, e in enumerate(events)
        if e.get("kind") == "test")
    info["health"] = model.overall_health(info["verdicts"])
    if window is not None:
        events = [e for e in events if window.holds(model.parse_date(e["date"]))]
    grouped = registry.sections(events)  # each kind names its section
    for section in registry.SECTIONS:
        if section.current:
            info[section.current] = current[section.current]
        info[section.key] = grouped[section.key]
    info["commits"] = history_of(db, folder, commits)
    return info


def summary(db: "Database", *, window: model.DateWindow | None,
            skipped: list[Skipped] | None = None) -> dict:
    """The store's summary (``Database.summary``); the record files it leaves out because
    they failed to load are added to ``skipped``, if given."""
    from ..index.queries import Index
    index = Index(db)
    data = index.summary()
    if skipped is not None:
        skipped += index.skipped
    if window is None:
        return data
    sql, args = " WHERE kind='test' AND error IS NULL", []
    for op, bound in ((">=", window.since), ("<=", window.until)):
        if bound is not None:
            sql += f" AND utc {op} ?"  # UTC ISO text: text order is time order
            args.append(bound.isoformat())
    q = index.db.execute
    data["tests"] = {name: {"count": n, "pass": p or 0, "fail": f or 0, "latest": last}
                     for name, n, p, f, last in q(
        "SELECT name, count(*), sum(result='pass'), sum(result='fail'), max(utc) FROM"
        f" events{sql} GROUP BY name ORDER BY name", args)}
    data["recent_tests"] = [
        {"component": c, "test_type": n, "date": d, "result": r}
        for c, n, d, r in q(f"SELECT component, name, date, result FROM events{sql}"
                            " ORDER BY utc DESC, path DESC LIMIT ?",
                            [*args, len(data["recent_tests"]) or 10])]
    return data


def installed_at(db: "Database", position: str) -> str | None:
    from ..index.queries import Index
    rows = Index(db).components(position=position)
    if rows:
        return rows[0]["id"]
    return next((cid for cid, data in sorted(db.outside_sparse_records().items())
                 if data.get("position") == position), None)
