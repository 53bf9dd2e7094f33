"""Many components or test results from one CSV file, in one commit.

Every row is checked before anything is written; a bad row is reported with its line number
and nothing changes. Columns are mapped by header name; unknown columns become attributes
(components) or measurements (tests; a header like ``current [A]`` gives the unit).
"""
from __future__ import annotations

import csv
import re
from pathlib import Path
from typing import Any, Callable

from .. import model
from ..api.database import Database
from ..store.inputs import check_measurements, check_test_content, event_time
from ..model.errors import InvalidInput, RecordError, SvtError
from ..store.layout import RecordRead
from ..store.txn import Change, sha256_file

COMPONENT_COLUMNS = {"id": "id", "type": "type", "serial": "serial_number",
                     "serial_number": "serial_number", "asset_tag": "asset_tag",
                     "manufacturer": "manufacturer", "manufacture_date": "manufacture_date",
                     "location": "location", "status": "status", "notes": "notes"}
TEST_COLUMNS = {"id", "component", "component_id", "type", "test_type", "result", "pass",
                "date", "tested_by", "notes", "setup", "conditions", "images", "image", "data"}
_UNIT_HEADER = re.compile(r"^(?P<name>[A-Za-z][A-Za-z0-9_.-]*)\s*\[(?P<unit>[^\]]+)\]$")
_STANDARD_UNITS = {**model.STANDARD_MEASURES, "temp": model.STANDARD_MEASURES["temperature"]}


def _on_line(exc: SvtError, path: str | Path, line: int) -> SvtError:
    """The error of a row, located; of the same class as on the other paths."""
    message = f"{path}, line {line}: {exc}; nothing was written"
    if isinstance(exc, RecordError):
        return RecordError(exc.problems, message)
    return type(exc)(message)


def _read(path: str | Path, key: Callable[[str], str]) -> list[tuple[int, dict[str, str]]]:
    file = Path(path).expanduser()
    if not file.is_file():
        raise InvalidInput(f"{path} does not exist or is not a file")
    with open(file, newline="", encoding="utf-8-sig") as fh:
        reader = csv.DictReader(fh)
        if not reader.fieldnames:
            raise InvalidInput(f"{path} is empty: the first line must name the columns")
        rows = []
        for row in reader:
            cleaned = {key(k.strip()): (v or "").strip() for k, v in row.items() if k is not None}
            if any(cleaned.values()):
                rows.append((reader.line_num, cleaned))
    if not rows:
        raise InvalidInput(f"{path} has a header but no rows")
    return rows


def _component_key(header: str) -> str:
    """Known columns match in any case; an attribute keeps its name as written, as --attr."""
    return header.lower() if header.lower() in COMPONENT_COLUMNS else header


def _test_key(header: str) -> str:
    """Known column names match in any case; a unit in brackets keeps its case."""
    m = _UNIT_HEADER.match(header)
    return f"{m.group('name').lower()} [{m.group('unit')}]" if m else header.lower()


def _measure(name: str, unit: str | None, text: str) -> Any:
    """A cell of a measurement column; a unit in the header applies to every cell."""
    try:
        value = model.measurement_value(text, name)
    except InvalidInput:
        raise
    except ValueError:  # Python reads integers of at most 4,300 digits
        raise InvalidInput(f"measurement {name} has {len(text)} characters: too many digits for"
                           " a number; write a large number as a float (e.g. 1.5e+30)") from None
    if not unit:
        return value
    model.check_unit(unit, f"column {name} [{unit}]")
    if isinstance(value, dict):
        if value["unit"] != unit:
            raise InvalidInput(f"{name}={text}: the column's unit is {unit}; write the number"
                               " alone, or the unit in the header or the cell, not both")
        return value
    return {"value": value, "unit": unit}


def add_from_csv(db: Database, path: str | Path) -> tuple[str | None, int, int, int]:
    """Create or update components from a CSV file. A row whose component already has every
    value the row gives is already present and not written; a row that differs updates the
    component's given fields. Returns (commit or None when nothing changed, created, updated,
    already present)."""
    rows = _read(path, _component_key)
    db.require()
    with db.locked():
        change = Change("")
        created = updated = present = 0
        seen: dict[str, int] = {}
        for line, row in rows:
            try:
                cid = row.get("id", "")
                model.check_id(cid)
                if cid.lower() in seen:
                    raise InvalidInput(f"id {cid} is also on line {seen[cid.lower()]}")
                seen[cid.lower()] = line
                fields = {COMPONENT_COLUMNS[k]: v for k, v in row.items()
                          if k in COMPONENT_COLUMNS and k != "id" and v}
                attributes = {k: model.attribute_value(v) for k, v in row.items()
                              if k not in COMPONENT_COLUMNS and v}
                write = db.component_write(cid, fields, attributes=attributes)
                if write.old is None:
                    created += 1
                elif not write.changes:
                    present += 1
                    continue
                else:
                    updated += 1
                write.stage(db, change)
            except SvtError as exc:
                raise _on_line(exc, path, line) from None
        if not change.contents:
            return None, 0, 0, present
        change.message = f"add {Path(path).name}: {created} new, {updated} updated component(s)"
        return db.commit(change), created, updated, present


def tests_from_csv(db: Database, path: str | Path) -> tuple[str | None, int, int]:
    """Record many test results from a CSV file. A row the store already holds (same fields,
    same stored files by sha256; the date too when the row gives one) is already present and
    not written again, so a file can be run twice. Returns (commit or None when nothing is new,
    results recorded, rows already present)."""
    import tempfile

    from ..store import testrun
    rows = _read(path, _test_key)
    base_dir = Path(path).expanduser().absolute().parent
    db.require()
    definitions: dict[str, Any] = {}  # test type -> its definition, looked up once
    # the plots the analyses draw live until the commit has copied them
    with db.locked(), tempfile.TemporaryDirectory(prefix="svt-analysis-") as plot_dir:
        change = Change("")
        count = present = 0
        recorded: dict[str, list[dict]] = {}  # component -> its tests, read once
        components: dict[str, RecordRead] = {}  # and its component.yaml
        for line, row in rows:
            try:
                cid = row.get("component") or row.get("component_id") or row.get("id", "")
                model.check_id(cid)
                test_type = row.get("test_type") or row.get("type", "")
                model.check_test_type(test_type)
                result = (row.get("result") or row.get("pass") or "").lower()
                if result not in ("", "pass", "fail", "true", "false", "1", "0"):
                    raise InvalidInput(f"result {result!r}: write pass, fail or leave it empty")
                passed = None if result == "" else result in ("pass", "true", "1")
                when = event_time(row.get("date"))
                measures: dict[str, Any] = {}
                for key, text in row.items():
                    if key in TEST_COLUMNS or not text:
                        continue
                    m = _UNIT_HEADER.match(key)
                    name, unit = (m.group("name"), m.group("unit")) if m else (
                        key, _STANDARD_UNITS.get(key))
                    measures["temperature" if name == "temp" else name] = _measure(name, unit, text)
                copies = []
                for column, kind in (("images", "image"), ("image", "image"), ("data", "data")):
                    for item in filter(None, (p.strip() for p in row.get(column, "").split(";"))):
                        source = Path(item).expanduser()
                        source = source if source.is_absolute() else base_dir / source
                        copies.append((db.copy_source(source, kind), kind, source.name))
                check_test_content(passed, measures, len(copies))
                event = db.test_event(test_type, passed=passed,
                                      measurements=check_measurements(measures),
                                      tested_by=row.get("tested_by"), setup=row.get("setup"),
                                      conditions=row.get("conditions"), notes=row.get("notes"))
                if cid not in recorded:
                    components[cid] = db.read_component(cid)
                    recorded[cid] = db.events(cid, kinds=("test",))
                if test_type not in definitions:
                    definitions[test_type] = testrun.definition_for(db, test_type)
                event["component"] = cid
                testrun.complete_new_test(db, event, definitions[test_type],
                                          components[cid].data["type"], passed, copies,
                                          Path(plot_dir))
                new = dict(event, kind="test", date=model.format_date(when), component=cid,
                           files=[{"kind": kind, "sha256": sha256_file(source)[1]}
                                  for source, kind, _ in copies])
                same = next((ev for ev in recorded[cid]
                             if _same_event(ev, new, compare_date=bool(row.get("date")))), None)
                if same is not None:
                    recorded[cid].remove(same)  # one stored result answers for one row
                    present += 1
                    continue
                db.stage_event(change, components[cid], kind="test", name=test_type, date=when,
                               event=event, copies=copies)
                count += 1
            except SvtError as exc:
                raise _on_line(exc, path, line) from None
        if not change.contents:
            return None, 0, present
        change.message = f"test {Path(path).name}: {count} result(s)"
        return db.commit(change), count, present


# Left out of the field comparison: when svt wrote the event (recorded) and on which record
# (component_created), and what _same_event compares on its own terms (files by content, the
# date as an instant).
_BOOKKEEPING = ("recorded", "component_created", "files", "date")


def _same_event(stored: dict, new: dict, compare_date: bool) -> bool:
    """Whether ``stored`` records what ``new`` would: the same fields, the same files by
    kind and sha256 (not by name), and the same instant when ``compare_date``."""
    def fields(ev: dict) -> dict:
        return {k: v for k, v in ev.items()
                if v is not None and k not in _BOOKKEEPING and not k.startswith("_")}

    def files(ev: dict) -> list:
        return sorted((f.get("kind"), f.get("sha256")) for f in ev.get("files") or [])

    if fields(stored) != fields(new) or files(stored) != files(new):
        return False
    if compare_date:
        try:
            return model.to_utc(model.parse_date(stored["date"])) == model.to_utc(
                model.parse_date(new["date"]))
        except (KeyError, SvtError):
            return False
    return True
