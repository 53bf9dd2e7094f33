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
from ..model.registry import COMMON_EVENT_KEYS, EVENT_KINDS
from ..model.verdicts import RESULTS, latest_by_type, overall_health
from ..store.base import StoreBase
from ..store.layout import event_id
from ..store.testrun import verdict_notes
from .forge_links import Forge, commands
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


def test_view(db: StoreBase, defined: dict[str, testtypes.TestType], ctype: str, ev: dict,
              shown: list[tuple[str, Any]], units: dict[str, str]) -> dict:
    """What a test's part of the page shows: each measurement with its unit (SI prefixes,
    three significant digits) beside its limits, each marked when it is a placeholder; the
    failed limits (the record's ``limits.failed``), where the verdict came from, and what
    the placeholders say (store.testrun.verdict_notes)."""
    definition = defined.get(str(ev.get("test_type")))
    bounds = {limit.name: limit for limit in definition.limits(ctype)} if definition else {}
    rows = []
    for name, value in shown:
        limit = bounds.get(name)
        row: dict[str, Any] = {"name": name,
                               "value": model.format_measurement(value, units.get(name))}
        if limit is not None and definition is not None:
            row.update(min=None, max=None)  # the limits column, even when no bound is set
            for bound, edge, path in limit.bounds():
                row[bound] = {"text": model.format_si(edge, limit.unit),
                              "placeholder": definition.is_placeholder(path)}
        rows.append(row)
    held = ev.get("limits")
    limits: dict = held if isinstance(held, dict) else {}
    failed = [str(f) for f in limits.get("failed") or [] if isinstance(f, (str, int, float))]
    result = ev.get("result")
    source = None if result not in RESULTS else \
        "from the limits" if limits.get("decided") else "by hand"
    try:
        notes = verdict_notes(db.config, ev, defined)
    except (SvtError, ValueError, TypeError, AttributeError):
        notes = []
    placeholders = [p for p in definition.placeholders] if definition else []
    return {"type": ev.get("test_type"), "date": ev["date"], "result": result,
            "measurements": rows, "failed": failed, "source": source,
            "verdict_notes": notes, "placeholders": placeholders,
            "limited": any("min" in r or "max" in r for r in rows),
            "notes": ev.get("notes"), "by": ev.get("tested_by"), "setup": ev.get("setup"),
            "path": ev["_path"]}


def component_context(db: StoreBase, item: ComponentInput,
                      defined: dict[str, testtypes.TestType],
                      read: dict[str, dict] | None = None,
                      site_forge: Forge | None = None
                      ) -> tuple[dict, dict, list[Copy]]:
    """(page context, digest, stored files to copy: their entries in the context are
    completed as they are copied, stored.publish);
    ``defined``: svt.yaml's test definitions; ``read``: events already read (path ->
    data), the rest are read here; ``site_forge``: the store's project on GitHub or
    GitLab, for the links to each record's source and to commits."""
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
    orders: list[tuple[str, Any, Any]] = []  # (test type, order, result): the verdicts
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
            numbers = {k: n for k, v in shown if (n := numeric(v)) is not None}
            units = _units(defined, ev.get("test_type"), shown, numbers)
            tests.append(dict(test_view(db, defined, item.ctype, ev, shown, units),
                              id=tid, stored=files,
                              links=site_forge.links(ev["_path"]) if site_forge else None))
            digest_tests.append([ev.get("test_type"), ev["date"], ev["_utc"], ev.get("result"),
                                 numbers, tid, units])
            orders.append((str(ev.get("test_type")), ev["_order"], ev.get("result")))
            for entry in ev.get("files") or []:
                if isinstance(entry, dict) and is_iv_file(defined, str(ev.get("test_type")), entry) \
                        and is_path_safe(entry["path"]):  # as stored() copies it
                    iv_files.append([ev["date"][:10] + " " + tid,
                                     ev["_path"].rsplit("/", 1)[0] + "/" + entry["path"],
                                     entry.get("sha256") or "", ev.get("test_type")])
        elif kind in ("install", "remove"):
            installs.append(ev)
            moves.append([kind, ev["date"], ev.get("recorded"), ev.get("position"),
                          ev.get("run_period")])
            if kind == "install" and ev.get("run_period"):
                periods.add(str(ev["run_period"]))
        elif kind in EVENT_KINDS and EVENT_KINDS[kind].section in ("logs", "attachments"):
            logs.append(dict(ev, _stored=files,
                             _links=site_forge.links(ev["_path"]) if site_forge else None))
        else:  # its own keys, as the table of other events shows them
            other.append(dict(ev, _stored=files, _details=[
                (k, v) for k, v in ev.items()
                if k not in COMMON_EVENT_KEYS and not k.startswith("_")]))
    record = item.record or {}
    assembly = [(part, record[part]) for part in ("module", *model.MODULE_PARTS)
                if isinstance(record.get(part), str)]
    verdicts = latest_by_type(orders)
    connections = [c for c in record.get("connections") or [] if isinstance(c, dict)]
    # the assembly and connections as they are now have sections of their own: the events
    # that made them are not listed again (their commits are in the history)
    now = {part: other for part, other in assembly}
    linked = {str(c.get("to")) for c in connections}
    other = [ev for ev in other
             if not (ev.get("kind") == "assembly" and all(
                 now.get(p) == ev.get(p) for p in model.MODULE_PARTS if ev.get(p)))
             and not (ev.get("kind") == "connect" and str(ev.get("other")) in linked)]
    folder_rel = item.path.rsplit("/", 1)[0]
    commit_prefix = site_forge.commits if site_forge is not None else None
    commits = [dict(c, url=(commit_prefix + c["sha"]) if commit_prefix else None)
               for c in item.commits]
    attributes = sorted((record.get("attributes") or {}).items()) \
        if isinstance(record.get("attributes"), dict) else []
    context = {
        "cid": item.cid, "ctype": item.ctype, "record": item.record, "error": item.error,
        "source": item.path, "problems": item.problems, "unreadable": unreadable,
        "fields": [(k, v) for k, v in record.items()
                   if k not in ("id", "type", "attributes", "connections", "module", "sensor",
                                "hybrid")],
        "attributes": attributes,
        "assembly": assembly,
        "connections": connections,
        "tests": tests[::-1], "installs": installs[::-1], "logs": logs[::-1],
        "other": other[::-1], "commits": commits,
        "iv_plot": f"{IV}/{quote(item.cid)}.png" if iv_files else None,
        "label": None,  # the label's path from the site's root, when labels are drawn
        "verdicts": verdicts, "health": overall_health(verdicts),
        "links": site_forge.links(item.path, folder_rel) if site_forge else None,
        "forms": {key: url for key in ("test", "log", "status")
                  if site_forge and (url := site_forge.form(key, item.cid))},
        "commands": commands(item.cid, sorted(defined) or sorted(verdicts))
        if site_forge and site_forge.kind == "gitlab" else [],
    }
    latest = digest_tests[-1] if digest_tests else None
    digest = {"id": item.cid, "type": item.ctype, "status": record.get("status"),
              "location": record.get("location"), "position": record.get("position"),
              "run_period": record.get("run_period"),
              "invalid": bool(item.error or item.problems or unreadable),
              "latest": [latest[0], latest[1][:10], latest[3]] if latest else None,
              "tests": digest_tests, "iv": iv_files, "periods": sorted(periods), "moves": moves,
              "serial": _text(record.get("serial_number")),
              "manufacturer": _text(record.get("manufacturer")),
              "host": _text(record.get("module")), "verdicts": verdicts,
              "search": " ".join(f"{k} {_text(v)}" for k, v in attributes)[:500]}
    return context, digest, copies


def _text(value: Any) -> str:
    """A record's field as one line of text ("" for none)."""
    if value is None:
        return ""
    if isinstance(value, (list, dict)):
        return " ".join(str(v) for v in (value.values() if isinstance(value, dict) else value))
    return str(value)
