"""What a component's page shows, and its digest: the few fields of it the store-wide pages
need (status, position, tests, IV files, moves), gathered from its record and its events
in one pass; also the stored files its page links, to copy into the site."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

from .. import model
from ..analysis import testtypes
from ..analysis.ivfile import is_table
from ..model.errors import SvtError
from ..model.names import is_path_safe
from ..store.base import StoreBase
from ..store.layout import event_id
from .paths import FILES, FILES_DIR, IV
from .stored import Copy


@dataclass
class ComponentInput:
    cid: str
    ctype: str
    path: str  # its component.yaml
    record: dict | None
    error: str | None
    commits: list[dict]
    problems: list[list]  # the validation problems of its files


def is_iv_file(defined: dict[str, testtypes.TestType], test_type: str, entry: dict) -> bool:
    """A stored file the site reads as an IV curve: a data file of an IV test
    (:func:`testtypes.holds_iv`) in a form ivfile reads."""
    return (entry.get("kind") in ("data", "raw_data") and testtypes.holds_iv(defined, test_type)
            and is_table(str(entry.get("path", ""))))


def numeric(value: Any) -> float | None:
    """A measurement's number (plain, or {value, unit}), None for lists and text."""
    if isinstance(value, dict):
        value = value.get("value")
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    return float(value)


def _units(defined: dict[str, testtypes.TestType], test_type: Any,
           measurements: list[tuple[str, Any]], numbers: dict[str, float]) -> dict[str, str]:
    """The unit of each number of a result: the record's, else the test definition's (a
    number without a unit is in its definition's unit, as the limits take it)."""
    definition = defined.get(str(test_type))
    spec = definition.measurements if definition else {}
    out = {}
    for name, value in measurements:
        if name not in numbers:
            continue
        unit = value.get("unit") if isinstance(value, dict) else None
        unit = unit or (spec.get(name) or {}).get("unit")
        if unit:
            out[name] = str(unit)
    return out


def component_context(db: StoreBase, item: ComponentInput, commit_prefix: str | None,
                      defined: dict[str, testtypes.TestType],
                      read: dict[str, dict] | None = None
                      ) -> tuple[dict, dict, list[Copy]]:
    """(page context, digest, stored files to copy: their entries in the context are
    completed as they are copied, stored.publish);
    ``defined``: svt.yaml's test definitions; ``read``: events already read (path ->
    data), the rest are read here."""
    folder = db.root / item.path.rsplit("/", 1)[0]
    events: list[dict] = []
    unreadable: list[str] = []
    for path in db.event_files(folder):
        rel = db.rel(path)
        try:
            known = read.get(rel) if read is not None else None
            data = dict(known if known is not None else db.load(rel, check=False))
            data["_path"] = rel
            data["date"] = str(data.get("date") or "")
            when = model.parse_date(data["date"])
            data["_order"] = model.event_order(when, data.get("recorded"), path.name)
            data["_utc"] = model.to_utc(when).isoformat()
        except (SvtError, ValueError, TypeError):
            unreadable.append(rel)
            continue
        events.append(data)
    events.sort(key=lambda e: e["_order"])
    copies: list[Copy] = []
    files_base = f"{FILES}/{quote(item.cid)}"

    def stored(event: dict) -> list[dict]:
        """The event's stored files as its page lists them (stored.publish says how)."""
        entries: list[dict] = []
        folder_rel = event["_path"].rsplit("/", 1)[0]
        year = folder_rel.rsplit("/", 1)[-1]
        for entry in event.get("files") or []:
            if not isinstance(entry, dict) or not isinstance(entry.get("path"), str):
                continue
            name = entry["path"]
            if not is_path_safe(name) or not is_path_safe(year):
                continue  # validate reports it; never copy from elsewhere
            shown = {"name": name, "kind": entry.get("kind") or "file",
                     "size": entry.get("size"), "original": entry.get("original_name")}
            copies.append(Copy(f"{folder_rel}/{name}", f"{FILES_DIR}/{item.cid}/{year}",
                               f"{files_base}/{quote(year)}", shown))
            entries.append(shown)
        return entries

    tests, installs, logs, other = [], [], [], []
    digest_tests: list[list] = []
    iv_files: list[list] = []
    periods: set[str] = set()
    moves: list[list] = []
    for ev in events:
        kind = ev.get("kind")
        files = stored(ev)
        if kind == "test":
            tid = event_id(ev["_path"])
            measures = ev.get("measurements") or {}
            shown = [(k, v) for k, v in measures.items()] if isinstance(measures, dict) else []
            tests.append({"id": tid, "type": ev.get("test_type"), "date": ev["date"],
                          "result": ev.get("result"), "measurements": shown,
                          "stored": files, "notes": ev.get("notes"),
                          "by": ev.get("tested_by"), "setup": ev.get("setup"),
                          "path": ev["_path"]})
            numbers = {k: n for k, v in shown if (n := numeric(v)) is not None}
            digest_tests.append([ev.get("test_type"), ev["date"], ev["_utc"], ev.get("result"),
                                 numbers, tid, _units(defined, ev.get("test_type"), shown,
                                                      numbers)])
            for entry in ev.get("files") or []:
                if isinstance(entry, dict) and is_iv_file(defined, str(ev.get("test_type")), entry) \
                        and "/" not in str(entry["path"]):
                    iv_files.append([ev["date"][:10] + " " + tid,
                                     ev["_path"].rsplit("/", 1)[0] + "/" + entry["path"],
                                     entry.get("sha256") or "", ev.get("test_type")])
        elif kind in ("install", "remove"):
            installs.append(ev)
            moves.append([kind, ev["date"], ev.get("recorded"), ev.get("position"),
                          ev.get("run_period")])
            if kind == "install" and ev.get("run_period"):
                periods.add(str(ev["run_period"]))
        elif kind in ("log", "comment", "attach"):
            logs.append(dict(ev, _stored=files))
        else:
            other.append(dict(ev, _stored=files))
    record = item.record or {}
    assembly = [(part, record[part]) for part in ("module", *model.MODULE_PARTS)
                if isinstance(record.get(part), str)]
    commits = [dict(c, url=(commit_prefix + c["sha"]) if commit_prefix else None)
               for c in item.commits]
    context = {
        "cid": item.cid, "ctype": item.ctype, "record": item.record, "error": item.error,
        "source": item.path, "problems": item.problems, "unreadable": unreadable,
        "fields": [(k, v) for k, v in record.items()
                   if k not in ("id", "type", "attributes", "connections", "module", "sensor",
                                "hybrid")],
        "attributes": sorted((record.get("attributes") or {}).items())
        if isinstance(record.get("attributes"), dict) else [],
        "assembly": assembly,
        "connections": [c for c in record.get("connections") or [] if isinstance(c, dict)],
        "tests": tests[::-1], "installs": installs[::-1], "logs": logs[::-1],
        "other": other[::-1], "commits": commits,
        "iv_plot": f"{IV}/{quote(item.cid)}.png" if iv_files else None,
        "label": None,  # the label's path from the site's root, when labels are drawn
    }
    latest = digest_tests[-1] if digest_tests else None
    digest = {"id": item.cid, "type": item.ctype, "status": record.get("status"),
              "location": record.get("location"), "position": record.get("position"),
              "run_period": record.get("run_period"),
              "invalid": bool(item.error or item.problems or unreadable),
              "latest": [latest[0], latest[1][:10], latest[3]] if latest else None,
              "tests": digest_tests, "iv": iv_files, "periods": sorted(periods), "moves": moves}
    return context, digest, copies
