"""Data out: whole-store exports and the results grid of one test type."""
from __future__ import annotations

import json
from collections import Counter
from typing import Any, Iterable, NamedTuple

from .. import model
from ..api.database import Database
from ..index.rows import Skipped, skipped_of
from ..model.errors import SvtError
from ..store.layout import EVENT_NAME_RE, RECORDS

EXPORT_FIELDS = ["id", "type", "status", "location", "position", "run_period", "installed_date",
                 "serial_number", "asset_tag", "manufacturer", "manufacture_date", "sensor",
                 "hybrid", "module", "notes", "created"]


def export_data(db: Database, component_type: str | None = None,
                skipped: list[Skipped] | None = None) -> list[dict]:
    """Every component (of a type) with all its events, oldest first. The record files
    that fail to load are left out, and added to ``skipped`` if given (`svt export`
    names them)."""
    from ..index.queries import Index
    db.require()
    if component_type:
        model.check_type(component_type, db.enums)
    index = Index(db)
    out = []
    records = index.components(component_type)
    if skipped is not None:
        skipped += index.skipped
    with db.progress_bar("Exporting", len(records)) as step:
        for record in records:
            events = []
            folder = db.root / RECORDS / record["type"] / record["id"]
            for path in db.event_files(folder):
                rel = db.rel(path)
                try:
                    event = dict(db.load(rel), path=rel)
                except SvtError as exc:
                    if skipped is not None:
                        skipped.append(skipped_of(rel, exc))
                    continue
                events.append(event)
            events.sort(key=lambda e: model.event_order(
                model.parse_date(e["date"]), e.get("recorded"), e["path"].rsplit("/", 1)[-1]))
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


def _value(measure: Any, raw: bool = False) -> tuple[Any, str | None]:
    """(value, unit) of a measurement; lists as JSON text unless ``raw``."""
    value, unit = (measure.get("value"), measure.get("unit")) if isinstance(measure, dict) else (
        measure, None)
    return (value if raw else _cell(value)), unit


def _cell(value: Any) -> Any:
    return json.dumps(value) if isinstance(value, list) else value


def unit_family(unit: str | None) -> Any:
    """Units that convert into each other share a family: their base unit (``uA`` and
    ``A``: ``A``); an unknown unit is a family of its own; no unit is None."""
    if not unit:
        return None
    known = model.unit_base(unit)
    return ("unit", known[0]) if known else ("other", unit)


def convert_unit(value: Any, unit: str | None, target: str | None) -> Any:
    """``value`` in ``unit`` expressed in ``target`` (same family, :func:`unit_family`), to
    12 significant digits."""
    factor = model.unit_factor(unit, target)
    if factor == 1.0 or factor is None:
        return value
    if isinstance(value, list):
        return [convert_unit(v, unit, target) for v in value]
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return value
    return float(f"{value * factor:.12g}")


def unit_columns(measured: Iterable[tuple[str, str | None]]) -> dict[tuple[str, Any], Any]:
    """One column per measurement name and unit family, in the unit most used among the
    ``(name, unit)`` given (the first seen of a tie): values in another prefix of the same
    unit are converted into it, other units get a column of their own, never a wrong label
    (`svt results`, and the site's trend plots)."""
    columns: dict[tuple[str, Any], Counter] = {}
    for name, unit in measured:
        columns.setdefault((name, unit_family(unit)), Counter())[unit] += 1
    return {key: counts.most_common(1)[0][0] for key, counts in columns.items()}


def _named(path: str, name: str) -> bool:
    """Whether an event file's name says it is of ``name`` (a test type)."""
    m = EVENT_NAME_RE.match(path.rsplit("/", 1)[-1])
    return m is None or m.group("name") == name  # a name not svt's: it may be


class Grid(NamedTuple):
    """The results grid: its column names, its rows, and each column's unit (None for the
    columns without one), so that a reader never parses a unit back out of a name."""

    header: list[str]
    rows: list[list[Any]]
    units: list[str | None]


def results_grid(db: Database, test_type: str, everything: bool = False,
                 component_type: str | None = None, *, result: str | None = None,
                 window: model.DateWindow | None = None,
                 skipped: list[Skipped] | None = None) -> Grid:
    """One row per component with its latest (or every) result of ``test_type``; one column
    per measurement, named with its unit (``current [A]``, the unit also in ``units``); when
    the definition's limits judged any of them, ``limits`` (their verdict) and
    ``failed_limits`` follow ``result``. ``window`` keeps the results
    dated within it; then ``result`` ("pass" or "fail") keeps the rows with that verdict:
    the components whose latest result in the window is a pass or a fail (every such result
    with ``everything``). The files of such results that fail to load (by their names: an
    event file's name holds its test type) are left out, and added to ``skipped`` if
    given."""
    model.check_test_type(test_type)
    if result is not None and result not in model.RESULTS:
        raise SvtError(f"result {result!r}: give pass or fail")
    from ..index.queries import Index
    index = Index(db)
    index.refresh()
    paths = [p for (p,) in index.db.execute(
        "SELECT path FROM events WHERE kind='test' AND name=? ORDER BY component, utc, path",
        (test_type,))]
    results: list[tuple[str, dict]] = []
    left_out = [s for s in index.unreadable("events", component_type)
                if _named(s.path, test_type)]
    for path in paths:
        cid = path.split("/")[2]
        if component_type and path.split("/")[1] != component_type:
            continue
        try:
            event = db.load(path)
        except SvtError as exc:
            left_out.append(skipped_of(path, exc))  # svt validate says more
            continue
        if window is None or window.holds(model.parse_date(event["date"])):
            results.append((cid, event))
    if skipped is not None:
        skipped += left_out
    if not everything:
        latest: dict[str, dict] = {}
        for cid, ev in results:
            latest[cid] = ev  # ordered by date: the last one wins
        results = list(latest.items())
    if result:
        results = [(cid, ev) for cid, ev in results if ev.get("result") == result]
    units = unit_columns((name, _value(measure)[1]) for _, ev in results
                         for name, measure in (ev.get("measurements") or {}).items())
    # what the test definition's limits said, when they judged any of these results
    judged = any(ev.get("limits") for _, ev in results)
    fixed = ["component", "date", "result"] + (["limits", "failed_limits"] if judged else []) + [
        "tested_by"]
    named: list[tuple[str, str | None]] = [(name, None) for name in fixed] + [
        (name, units[(name, family)] if family else None) for name, family in units]
    rows = []
    for cid, ev in results:
        cells: dict[tuple[str, Any], Any] = {}
        for name, measure in (ev.get("measurements") or {}).items():
            value, unit = _value(measure, raw=True)
            key = (name, unit_family(unit))
            cells[key] = _cell(convert_unit(value, unit, units[key]))
        limits = ev.get("limits") or {}
        said = [limits.get("verdict"), "; ".join(limits.get("failed") or []) or None]
        rows.append([cid, ev.get("date"), ev.get("result")] + (said if judged else []) +
                    [ev.get("tested_by")] + [cells.get(key) for key in units])
    return Grid(_told_apart([f"{name} [{unit}]" if unit else name for name, unit in named]),
                rows, [unit for _, unit in named])


def _told_apart(names: list[str]) -> list[str]:
    """Column names, each once: a later column named like an earlier one (a measurement
    named "gain [mV]" by hand, without a unit, beside "gain" in mV; one named "date") gets
    " (2)", " (3)"..., so that a reader that keys the cells by name (JSON) loses none."""
    taken: set[str] = set()
    out = []
    for name in names:
        shown, n = name, 1
        while shown in taken:
            n += 1
            shown = f"{name} ({n})"
        taken.add(shown)
        out.append(shown)
    return out
