"""Data out: whole-store exports and the results grid of one test type."""
from __future__ import annotations

import json
from typing import Any

from . import model
from .errors import SvtError

EXPORT_FIELDS = ["id", "type", "status", "location", "position", "run_period", "installed_date",
                 "serial_number", "asset_tag", "manufacturer", "manufacture_date", "sensor",
                 "hybrid", "module", "notes", "created"]


def export_data(db: Any, component_type: str | None = None) -> list[dict]:
    """Every component (of a type) with all its events, oldest first."""
    out = []
    records = db.list_components(component_type)
    with db.progress_bar("Exporting", len(records)) as step:
        for record in records:
            events = db.events(record["id"])
            for ev in events:
                ev["path"] = ev.pop("_path")
            out.append({**record, "events": events})
            step(1)
    return out


def flat_rows(components: list[dict]) -> tuple[list[str], list[list[Any]]]:
    """One row per component; attributes as attr.<name> columns, counts of events."""
    attrs: list[str] = []
    for comp in components:
        for key in comp.get("attributes") or {}:
            if key not in attrs:
                attrs.append(key)
    header = EXPORT_FIELDS + ["connections", "tests", "events"] + [f"attr.{a}" for a in attrs]
    rows = []
    for comp in components:
        links = ";".join(f"{l['type']}:{l['to']}" for l in comp.get("connections") or [])
        events = comp.get("events", [])
        row = [comp.get(f) for f in EXPORT_FIELDS] + [
            links, sum(e["kind"] == "test" for e in events), len(events)]
        for a in attrs:
            value = (comp.get("attributes") or {}).get(a)
            row.append(json.dumps(value) if isinstance(value, (dict, list, bool)) else value)
        rows.append(row)
    return header, rows


def _value(measure: Any) -> tuple[Any, str | None]:
    if isinstance(measure, dict):
        value = measure.get("value")
        return (json.dumps(value) if isinstance(value, list) else value), measure.get("unit")
    if isinstance(measure, list):
        return json.dumps(measure), None
    return measure, None


def results_grid(db: Any, test_type: str, everything: bool = False,
                 component_type: str | None = None) -> tuple[list[str], list[list[Any]]]:
    """One row per component with its latest (or every) result of ``test_type``; one column
    per measurement, named with its unit (``current [A]``)."""
    model.check_test_type(test_type)
    from .index import Index
    index = Index(db)
    index.refresh()
    paths = [p for (p,) in index.db.execute(
        "SELECT path FROM events WHERE kind='test' AND name=? ORDER BY component, utc, path",
        (test_type,))]
    results: list[tuple[str, dict]] = []
    for path in paths:
        cid = path.split("/")[2]
        if component_type and path.split("/")[1] != component_type:
            continue
        try:
            results.append((cid, db.load(path)))
        except SvtError:
            continue  # svt validate reports it
    if not everything:
        latest: dict[str, dict] = {}
        for cid, ev in results:
            latest[cid] = ev  # ordered by date: the last one wins
        results = list(latest.items())
    columns: dict[str, str | None] = {}
    for _, ev in results:
        for name, measure in (ev.get("measurements") or {}).items():
            unit = _value(measure)[1]
            if name not in columns or (columns[name] is None and unit):
                columns[name] = unit
    header = ["component", "date", "result", "tested_by"] + [
        f"{n} [{u}]" if u else n for n, u in columns.items()]
    rows = []
    for cid, ev in results:
        measures = ev.get("measurements") or {}
        rows.append([cid, ev.get("date"), ev.get("result"), ev.get("tested_by")] +
                    [_value(measures[n])[0] if n in measures else None for n in columns])
    return header, rows
