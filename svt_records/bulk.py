"""Many components or test results from one CSV file, in one commit.

Every row is checked before anything is written; a bad row is reported with its line number
and nothing changes. Columns are mapped by header name; unknown columns become attributes
(components) or measurements (tests; a header like ``current [A]`` gives the unit).
"""
from __future__ import annotations

import csv
import re
from pathlib import Path
from typing import Any

from . import model
from .database import EDITABLE_FIELDS, _when, check_measurements, check_test_content
from .errors import InvalidInput, SvtError
from .store import COMPONENT_FILE, RECORDS
from .txn import Change

COMPONENT_COLUMNS = {"id": "id", "type": "type", "serial": "serial_number",
                     "serial_number": "serial_number", "asset_tag": "asset_tag",
                     "manufacturer": "manufacturer", "manufacture_date": "manufacture_date",
                     "location": "location", "status": "status", "notes": "notes"}
TEST_COLUMNS = {"id", "component", "component_id", "type", "test_type", "result", "pass",
                "date", "tested_by", "notes", "setup", "conditions", "images", "image", "data"}
_UNIT_HEADER = re.compile(r"^(?P<name>[A-Za-z][A-Za-z0-9_.-]*)\s*\[(?P<unit>[^\]]+)\]$")
_STANDARD_UNITS = {"voltage": "V", "current": "A", "temperature": "C", "temp": "C"}


def _read(path: str | Path) -> list[tuple[int, dict[str, str]]]:
    file = Path(path).expanduser()
    if not file.is_file():
        raise InvalidInput(f"{path} does not exist or is not a file")
    with open(file, newline="", encoding="utf-8-sig") as fh:
        reader = csv.DictReader(fh)
        if not reader.fieldnames:
            raise InvalidInput(f"{path} is empty: the first line must name the columns")
        rows = []
        for row in reader:
            cleaned = {_key(k): (v or "").strip() for k, v in row.items() if k is not None}
            if any(cleaned.values()):
                rows.append((reader.line_num, cleaned))
    if not rows:
        raise InvalidInput(f"{path} has a header but no rows")
    return rows


def _key(header: str) -> str:
    """Known column names match in any case; a unit in brackets keeps its case."""
    header = header.strip()
    m = _UNIT_HEADER.match(header)
    return f"{m.group('name').lower()} [{m.group('unit')}]" if m else header.lower()


def _measure(name: str, unit: str | None, text: str) -> Any:
    """A cell of a measurement column; a unit in the header applies to every cell."""
    value = model.measurement_value(text, name)
    if not unit:
        return value
    model.check_unit(unit, f"column {name} [{unit}]")
    if isinstance(value, dict):
        if value["unit"] != unit:
            raise InvalidInput(f"{name}={text}: the column's unit is {unit}; write the number"
                               " alone, or the unit in the header or the cell, not both")
        return value
    return {"value": value, "unit": unit}


def add_from_csv(db: Any, path: str | Path) -> tuple[str, int, int]:
    """Create or update components from a CSV file. Returns (commit, created, updated)."""
    rows = _read(path)
    db.require()
    with db.locked():
        change = Change("")
        created = updated = 0
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
                for key in attributes:
                    if not re.fullmatch(r"[A-Za-z0-9_-]+", key):
                        raise InvalidInput(f"column {key!r} cannot be an attribute name: use"
                                           " letters, digits, _ and -")
                if "type" in fields:
                    model.check_type(fields["type"])
                if "status" in fields:
                    model.check_status(fields["status"])
                folder = db.find_component_dir(cid)
                if folder is None:
                    if "type" not in fields:
                        raise InvalidInput(f"{cid} is new: give its type")
                    taken = db.id_taken_ignoring_case(cid)
                    if taken:
                        raise InvalidInput(f"id {cid} differs from the existing {taken} only in case")
                    if fields.get("status") == "installed":
                        raise InvalidInput("a new component cannot start as installed")
                    record = {"id": cid, "type": fields["type"], "status": "incoming", **fields,
                              "attributes": attributes or None,
                              "created": model.format_date(model.now())}
                    rel = f"{RECORDS}/{fields['type']}/{cid}/{COMPONENT_FILE}"
                    created += 1
                else:
                    rel = db.rel(folder / COMPONENT_FILE)
                    _, old = db.component_record(cid)
                    if fields.get("type", old["type"]) != old["type"]:
                        raise InvalidInput(f"{cid} is a {old['type']}; its type cannot change")
                    record = dict(old, **{k: v for k, v in fields.items() if k in EDITABLE_FIELDS})
                    if attributes:
                        record["attributes"] = {**(old.get("attributes") or {}), **attributes}
                    change.expected[rel] = db.seen[rel]
                    updated += 1
                change.contents[rel] = db.record_bytes(rel, record, "component")
            except SvtError as exc:
                raise InvalidInput(f"{path}, line {line}: {exc}; nothing was written") from None
        change.message = f"add {Path(path).name}: {created} new, {updated} updated component(s)"
        return db.commit(change), created, updated


def tests_from_csv(db: Any, path: str | Path) -> tuple[str, int]:
    """Record many test results from a CSV file. Returns (commit, results recorded)."""
    rows = _read(path)
    base_dir = Path(path).expanduser().absolute().parent
    db.require()
    with db.locked():
        change = Change("")
        count = 0
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
                when = _when(row.get("date"))
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
                event = {"test_type": test_type,
                         "result": None if passed is None else ("pass" if passed else "fail"),
                         "measurements": check_measurements(measures) or None,
                         "tested_by": row.get("tested_by") or db.repo.identity().name,
                         "setup": row.get("setup") or None,
                         "conditions": row.get("conditions") or None,
                         "notes": row.get("notes") or None}
                db.stage_event(change, cid, "test", test_type, when, event, copies)
                count += 1
            except SvtError as exc:
                raise InvalidInput(f"{path}, line {line}: {exc}; nothing was written") from None
        change.message = f"test {Path(path).name}: {count} result(s)"
        return db.commit(change), count
