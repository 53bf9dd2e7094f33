"""`svt import-sqlite`: bring in everything the original SQLite tracker holds.

The database is opened read-only and never written. Every row becomes the record svt would
have written for it, with the original dates; files are copied and checksummed. Names are
chosen deterministically, so importing the same database again finds its records already
there and imports nothing twice. One commit holds the whole import.
"""
from __future__ import annotations

import json
import os
import re
import sqlite3
import stat
from collections import Counter
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Callable, NamedTuple, Sequence
from urllib.parse import quote

from ..rules import crosschecks
from .. import model
from ..files import schema
from ..api.database import Database
from ..store.inputs import check_measurements
from ..store.staging import stage_files
from ..model.errors import InvalidInput, SvtError
from ..index.queries import Index
from ..store.layout import COMPONENT_FILE, RECORDS, RecordRead
from ..store.txn import Change

FILE_KINDS = {"raw_data": "data", "plot": "plot", "image": "image", "log": "log", "other": "other"}
LOG_TYPES = {"issue": "issue", "repair": "repair", "maintenance": "maintenance", "note": "note"}
# The original's measurement columns, which are also the keys its CLI and TestResult.save()
# wrote into measurements_json -> the measurement `svt test --voltage/--current/--temp/--noise`
# writes, with its unit.
# the original's columns -> svt's measurement (and its unit, model.STANDARD_MEASURES)
LEGACY_MEASURES = {column: (name, model.STANDARD_MEASURES[name]) for column, name in (
    ("voltage_measured", "voltage"), ("current_measured", "current"),
    ("temperature", "temperature"), ("noise_level", "noise"))}


_TOKEN = re.compile(r"[A-Za-z0-9][A-Za-z0-9._+-]*")  # a word that may be a component id


class ImportProblem(NamedTuple):
    """Data the original tracker accepted that breaks a rule of svt's: imported as it was
    (svt validate reports it too), with the command that puts it right."""

    component: str
    message: str
    fix: str


class ImportReport:
    def __init__(self) -> None:
        self.imported: Counter = Counter()
        self.already: Counter = Counter()
        self.skipped: list[str] = []
        self.problems: list[ImportProblem] = []
        self.commit: str | None = None


def _open(path: Path) -> sqlite3.Connection:
    if not path.is_file():
        raise InvalidInput(f"{path} is not a file: give the original tracker's database"
                           " (e.g. ~/.hps_svt_tracker/svt_components.db)")
    uri = f"file:{quote(str(path.absolute()))}?mode=ro"
    try:
        con = sqlite3.connect(uri, uri=True)
        con.row_factory = sqlite3.Row
        con.execute("SELECT count(*) FROM sqlite_master").fetchone()
    except sqlite3.DatabaseError as exc:
        raise InvalidInput(f"{path} is not an SQLite database ({exc})") from None
    return con


def _rows(con: sqlite3.Connection, table: str) -> list[dict]:
    exists = con.execute("SELECT 1 FROM sqlite_master WHERE type='table' AND name=?",
                         (table,)).fetchone()
    if not exists:
        return []
    return [dict(r) for r in con.execute(f"SELECT * FROM {table} ORDER BY rowid")]


def _date(value: Any, utc: bool = False) -> datetime | None:
    """Legacy dates: Python isoformat (local time) or SQLite CURRENT_TIMESTAMP (UTC)."""
    if value in (None, ""):
        return None
    text = str(value).strip()
    try:
        when = datetime.fromisoformat(text)
    except ValueError:
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=timezone.utc) if utc else when.astimezone()
    return when


def _utc(value: Any) -> str:
    """A legacy date (or a parsed one) as comparable UTC text; "" when there is none."""
    when = value if isinstance(value, datetime) else _date(value, utc=True)
    return model.format_date(model.to_utc(when)) if when else ""


def _json(value: Any) -> Any:
    if value in (None, ""):
        return None
    try:
        return json.loads(value)
    except (TypeError, ValueError):
        return None


def _measure(value: Any) -> Any:
    """A legacy measurement as svt stores it; anything else kept as JSON text."""
    try:
        return check_measurements({"m": value})["m"]
    except (InvalidInput, TypeError, ValueError):
        return json.dumps(value)


def _measurements(row: dict) -> dict[str, Any]:
    """A test row's measurements as svt writes them: the voltage, current, temperature and
    noise columns (and the same keys in measurements_json) become one entry each, with its
    unit; other keys are kept by name. JSON null means "not measured"."""
    legacy = _json(row.get("measurements_json"))
    legacy = legacy if isinstance(legacy, dict) else {}
    out = {str(k): _measure(v) for k, v in legacy.items()
           if v is not None and k not in LEGACY_MEASURES}
    for key, (name, unit) in LEGACY_MEASURES.items():
        value = legacy.get(key)
        if value is None:
            value = row.get(key)
        if value is None:
            continue
        if isinstance(value, dict) and "value" in value and set(value) <= {"value", "unit"}:
            value = {"value": value["value"], "unit": value.get("unit") or unit}
        elif isinstance(value, (int, float)) and not isinstance(value, bool):
            value = {"value": value, "unit": unit}
        out[name if name not in out else key] = _measure(value)  # never over another entry
    return out


def _schemas_know_legacy_ids(db: Database) -> bool:
    """Whether the store's own schemas (older stores keep older copies) accept legacy_id."""
    probe = {"date": "2024-01-01T00:00:00+00:00", "component": "X", "legacy_id": 1}
    return not (schema.check(dict(probe, kind="test", test_type="t"), "test", db.schema_dir)
                or schema.check(dict(probe, kind="log", text="t"), "log", db.schema_dir))


class _Importer:
    def __init__(self, db: Database, sqlite_path: Path, data_dir: Path,
                 progress: Callable[[int], None] | None) -> None:
        self.db = db
        self.data_dir = data_dir
        self.progress = progress or (lambda n: None)
        self.report = ImportReport()
        self.change = Change("")
        self.records: dict[str, dict] = {}  # id -> component record (new or updated)
        self.reads: dict[str, RecordRead] = {}  # id -> the store's record it updates, as read
        self.folders: dict[str, str] = {}  # id -> records/<type>/<id>
        self.new: set[str] = set()  # components this import creates
        self.new_by_case: dict[str, str] = {}  # their ids by their lower case
        self.taken: set[str] = set()
        self.history: list[crosschecks.Record] = []  # the install and remove events staged
        self.con = _open(sqlite_path)
        self.keep_ids = _schemas_know_legacy_ids(db)
        if not self.keep_ids:
            self.skip("the original test and log ids", "this store's schemas/ predate legacy_id;"
                      " copy test.schema.json and log.schema.json from svt's schemas/ to keep them")

    def legacy_id(self, row: dict) -> int | None:
        """The row's id in the original tracker, which people quote ("test 42")."""
        rid = row.get("id")
        return rid if self.keep_ids and isinstance(rid, int) and not isinstance(rid, bool) else None

    def skip(self, what: str, why: str) -> None:
        self.report.skipped.append(f"{what}: {why}")

    def problem(self, cid: str, message: str, fix: str) -> None:
        self.report.problems.append(ImportProblem(cid, message, fix))

    # ---- components -------------------------------------------------------------------
    def components(self) -> None:
        for row in _rows(self.con, "components"):
            cid = str(row.get("id") or "")
            try:
                model.check_id(cid)
                model.check_type(row.get("type") or "", self.db.enums)
                status = row.get("installation_status") or "incoming"
                model.check_status(status, self.db.enums)
            except SvtError as exc:
                self.skip(f"component {cid!r}", str(exc))
                continue
            folder = f"{RECORDS}/{row['type']}/{cid}"
            if (self.db.root / folder / COMPONENT_FILE).exists():
                self.folders[cid] = folder
                self.report.already["component"] += 1
                continue
            try:
                self.db.check_new_id(cid, also=self.new_by_case)
            except SvtError as exc:
                self.skip(f"component {cid!r}", str(exc))
                continue
            self.folders[cid] = folder
            attrs = _json(row.get("attributes_json"))
            for name in attrs if isinstance(attrs, dict) else ():
                try:
                    model.check_attribute_name(name)
                except SvtError as exc:
                    self.problem(cid, str(exc), f"rename it in {folder}/{COMPONENT_FILE}")
            created = _date(row.get("created_at"), utc=True)
            record = {"id": cid, "type": row["type"], "status": status,
                      "serial_number": row.get("serial_number"), "asset_tag": row.get("asset_tag"),
                      "manufacturer": row.get("manufacturer"),
                      "manufacture_date": str(row["manufacture_date"])
                      if row.get("manufacture_date") else None,
                      "location": row.get("current_location"),
                      "attributes": attrs if isinstance(attrs, dict) and attrs else None,
                      "notes": row.get("notes"),
                      "created": model.format_date(created) if created else None,
                      "_position": row.get("installed_position"),
                      "_updated": row.get("updated_at")}
            for part in model.MODULE_PARTS:
                if row.get(f"assembled_{part}_id"):
                    record[part] = row[f"assembled_{part}_id"]
            self.records[cid] = record
            self.new.add(cid)
            self.new_by_case[cid.lower()] = cid
            self.report.imported["component"] += 1
        claims: dict[str, list[str]] = {}  # part -> the modules that name it
        for cid, record in self.records.items():
            for part in model.MODULE_PARTS:
                pid = record.get(part)
                if pid in self.records and self.records[pid]["type"] == part:
                    claims.setdefault(pid, []).append(cid)
                elif pid:
                    record.pop(part)
                    self.skip(f"assembly link {cid} -> {part} {pid}",
                              "that component is missing or of another type")
        assembled = self._assembly_dates() if any(len(m) > 1 for m in claims.values()) else {}
        for pid, modules in claims.items():
            # the parts' side of assembly links: a part names one module, the latest assembly
            latest = max(modules, key=lambda m: (assembled.get((m, pid)) or _utc(
                self.records[m].get("_updated")), modules.index(m)))
            self.records[pid]["module"] = latest
            part = self.records[pid]["type"]
            for module in modules:
                if module != latest:
                    self.problem(module, f"{part} {pid} is on both {module} and {latest} in the"
                                         f" original tracker; it now names {latest}, the later"
                                         f" assembly", f"svt disassemble {module} --only {part}")

    def _assembly_dates(self) -> dict[tuple[str, str], str]:
        """(module, part) -> the UTC date of the latest `Assembly:` log naming the part."""
        out: dict[tuple[str, str], str] = {}
        for row in _rows(self.con, "maintenance_log"):
            text = str(row.get("description") or "")
            when = _date(row.get("log_date")) or _date(row.get("created_at"), utc=True)
            if not text.startswith("Assembly:") or when is None:
                continue
            stamp = _utc(when)
            for token in set(_TOKEN.findall(text)):
                key = (str(row.get("component_id")), token)
                out[key] = max(out.get(key, ""), stamp)
        return out

    def rule_problems(self) -> None:
        """Positions held twice, components installed nowhere, and installs and removals out
        of step, as imported."""
        holders: dict[str, set[str]] = {}
        for cid, record in self.records.items():
            if record.get("position"):
                holders.setdefault(record["position"], set()).add(cid)
            elif record.get("status") == "installed" and cid in self.new:
                self.problem(cid, f"{cid} is installed, but the original tracker has no position"
                                  " for it", f"svt install {cid} POSITION")
        if holders:
            for cid, position in Index(self.db).components(columns=("id", "position")):
                if position in holders and cid not in self.records:
                    holders[position].add(cid)
        for position, ids in sorted(holders.items()):
            if len(ids) < 2:
                continue
            order = sorted(ids, key=lambda c: (_utc(self._record(c).get("installed_date")), c))
            for cid in order[:-1]:
                self.problem(cid, f"{position} holds {', '.join(order)} (a position holds one"
                                  f" component); {cid} was installed earlier: remove whichever"
                                  " is not there", f"svt remove {cid}")
        # installs with no removal between, removals with no install before: as validate
        # reports them (the rules are crosschecks'), with the fix its message gives
        rules = [r for r in crosschecks.RULES if r.check in (
            crosschecks.installs_are_removed_between, crosschecks.removals_follow_installs)]
        for found in crosschecks.cross_checks(self.history, [], rules=rules):
            message, _, fix = found.message.rpartition(": ")
            self.problem(found.path.split("/")[2], f"{found.path}: {message}", fix)

    def _record(self, cid: str) -> dict:
        return self.records.get(cid) or self.db.read_component(cid).data

    # ---- events -------------------------------------------------------------------------
    def event(self, cid: str | None, kind: str, name: str, when: datetime | None, body: dict,
              files: Sequence[tuple[Path, str, str | None, str]] = (), what: str = "") -> bool:
        """Stage one event; False when skipped or already imported. ``cid`` is as the
        original tracker's row has it (maybe missing)."""
        folder = None if cid is None else self.folders.get(cid)
        if cid is None or folder is None:
            self.skip(what or f"{kind} of {cid}", f"component {cid!r} was not imported")
            return False
        if when is None:
            self.skip(what or f"{kind} of {cid}", "no readable date")
            return False
        stamp = model.date_stamp(when)
        seq = 1
        while True:
            base = f"{stamp}_{name}" + (f"-{seq}" if seq > 1 else "")
            rel = f"{folder}/{stamp[:4]}/{base}.yaml"
            if rel not in self.taken:
                break
            seq += 1
        self.taken.add(rel)
        if (self.db.root / rel).exists():
            self.report.already[kind] += 1
            return False
        event = {"kind": kind, "date": model.format_date(when), "component": cid, **body}
        stored = stage_files(self.change, f"{folder}/{stamp[:4]}", base,
                             [(src, k, original) for src, k, _, original in files])
        for entry, (_, _, description, _) in zip(stored, files):
            if description:
                entry["description"] = description
        self.report.imported["file"] += len(stored)
        if stored:
            event["files"] = stored
        try:
            self.change.contents[rel] = self.db.record_bytes(rel, event, kind)
        except SvtError as exc:
            self.skip(what or f"{kind} of {cid}", str(exc))
            for entry in stored:
                self.change.copies.pop(f"{folder}/{stamp[:4]}/{entry['path']}", None)
            return False
        self.report.imported[kind] += 1
        if kind in ("install", "remove"):
            self.history.append(crosschecks.Record(rel, event, kind, {}))
        if model.in_future(when):
            self.problem(cid, f"{what or kind + ' of ' + cid} is dated {event['date']}, in the"
                              " future", f"correct the date in {rel} (svt validate then names"
                              " the file name that goes with it)")
        return True

    def _file(self, rel: Any, what: str) -> Path | None:
        """The file the database names, if it is a regular file inside the data folder."""
        if not rel:
            return None
        path, why = _inside(self.data_dir, str(rel))
        if path is None:
            self.skip(what, why or f"file {rel} is listed but missing on disk")
        return path

    def tests(self) -> None:
        files_by_test: dict[Any, list[dict]] = {}
        for row in _rows(self.con, "test_files"):
            files_by_test.setdefault(row.get("test_id"), []).append(row)
        for row in _rows(self.con, "test_results"):
            self.progress(1)
            cid, ttype = row.get("component_id"), str(row.get("test_type") or "test")
            what = f"test {row.get('id')} ({ttype} of {cid})"
            try:
                model.check_test_type(ttype)
            except SvtError:
                ttype = re.sub(r"[^A-Za-z0-9_]", "_", ttype).strip("_") or "test"
                if not ttype[0].isalpha():
                    ttype = "t_" + ttype
            measures = _measurements(row)
            for name in measures:
                unsafe = model.path_safe_problem(name, "measurement name")
                if unsafe:
                    self.problem(str(cid), f"{what}: {unsafe}", "rename the measurement in its"
                                 f" test record under {RECORDS}/*/{cid}/ (svt validate names the"
                                 " file and line)")
            files = []
            for f in files_by_test.get(row.get("id"), []):
                source = self._file(f.get("file_path"), f"file {f.get('file_path')} of {what}")
                if source:
                    files.append((source, FILE_KINDS.get(f.get("file_type") or "", "other"),
                                  f.get("description"), f.get("original_filename") or source.name))
            passed = row.get("pass_fail")
            body = {"test_type": ttype,
                    "result": None if passed is None else ("pass" if passed else "fail"),
                    "measurements": measures or None, "tested_by": row.get("tested_by"),
                    "setup": row.get("test_setup"), "conditions": row.get("test_conditions"),
                    "notes": row.get("notes"), "legacy_id": self.legacy_id(row)}
            self.event(cid, "test", ttype, _date(row.get("test_date")), body, files, what)

    def installations(self) -> None:
        open_rows: dict[str | None, dict] = {}
        for row in _rows(self.con, "installation_history"):
            self.progress(1)
            cid = row.get("component_id")
            what = f"installation {row.get('id')} of {cid}"
            if not row.get("position"):  # the component's problem is listed (rule_problems)
                self.skip(what, "it has no position, and svt records installations at one")
                continue
            body = {"position": row.get("position"), "run_period": row.get("run_period"),
                    "installed_by": row.get("installed_by"), "notes": row.get("notes")}
            installed = _date(row.get("installation_date"))
            self.event(cid, "install", "install", installed, body, what=what)
            if row.get("removal_date"):
                self.event(cid, "remove", "remove", _date(row["removal_date"]), {
                    "position": row.get("position"), "run_period": row.get("run_period"),
                    "reason": row.get("removal_reason"), "removed_by": row.get("removed_by")},
                    what=f"removal {row.get('id')} of {cid}")
                open_rows.pop(cid, None)
            elif installed:
                open_rows[cid] = dict(row, _date=installed)
        for cid, record in self.records.items():
            open_row = open_rows.get(cid)
            if open_row:
                record.update(position=open_row.get("position"),
                              run_period=open_row.get("run_period"),
                              installed_date=model.format_date(open_row["_date"]),
                              status="installed")
            elif record.get("_position"):
                when = _date(record.get("_updated"), utc=True) or model.now()
                if self.event(cid, "install", "install", when, {
                        "position": record["_position"],
                        "notes": "imported: the original tracker had this position but no"
                                 " installation record"}, what=f"position of {cid}"):
                    record.update(position=record["_position"],
                                  installed_date=model.format_date(when))

    def logs(self) -> None:
        for row in _rows(self.con, "maintenance_log"):
            self.progress(1)
            cid = row.get("component_id")
            text = str(row.get("description") or "").strip() or "(no description)"
            when = _date(row.get("log_date")) or _date(row.get("created_at"), utc=True)
            what = f"log {row.get('id')} of {cid}"
            by = row.get("logged_by")
            kind = next((k for k in ("Assembly", "Disassembly") if text.startswith(k + ":")), None)
            if kind:
                body = {"by": by, "notes": text}
                for part in model.MODULE_PARTS:
                    found = [t for t in _TOKEN.findall(text)
                             if t in self.folders and t in self.records
                             and self.records[t]["type"] == part]
                    if found:
                        body[part] = found[0]
                self.event(cid, kind.lower(), kind.lower(), when, body, what=what)
                continue
            log_type = LOG_TYPES.get(row.get("log_type") or "", "note")
            severity = row.get("severity") if row.get("severity") in model.SEVERITIES else "info"
            resolved = _date(row.get("resolved_date"))
            body = {"log_type": log_type, "severity": severity, "text": text, "logged_by": by,
                    "resolution": row.get("resolution"),
                    "resolved_date": model.format_date(resolved) if resolved else None,
                    "legacy_id": self.legacy_id(row)}
            kind = "comment" if log_type == "note" else "log"
            self.event(cid, kind, kind, when, body, what=what)

    def connections(self) -> None:
        for row in _rows(self.con, "connections"):
            self.progress(1)
            a, b, cable = row.get("component_a_id"), row.get("component_b_id"), row.get("cable_id")
            what = f"connection {row.get('id')} ({a} - {b})"
            if a not in self.folders or b not in self.folders:
                self.skip(what, "one of its components was not imported")
                continue
            if cable and cable not in self.folders:
                self.skip(what, f"cable {cable} was not imported; connection kept without it")
                cable = None
            ctype = str(row.get("connection_type") or "signal")[:200]
            when = _date(row.get("installation_date")) or _date(row.get("created_at"), utc=True)
            if not self.event(a, "connect", "connect", when, {
                    "other": b, "connection_type": ctype, "cable": cable,
                    "notes": row.get("notes")}, what=what):
                continue
            since = model.format_date(when) if when else None
            for me, other in ((a, b), (b, a)):
                record = self.records.get(me) or self._existing(me)
                links = list(record.get("connections") or [])
                link = {k: v for k, v in {"to": other, "type": ctype, "cable": cable,
                                          "since": since}.items() if v}
                if not any(l.get("to") == other and l.get("type") == ctype for l in links):
                    record["connections"] = links + [link]

    def _existing(self, cid: str) -> dict:
        """A component already in the store that this import links to."""
        read = self.db.read_component(cid)
        self.reads[cid] = read
        record = dict(read.data)
        self.records[cid] = record
        return record

    def images(self) -> None:
        for row in _rows(self.con, "component_images"):
            self.progress(1)
            cid = row.get("component_id")
            what = f"photo {row.get('id')} of {cid}"
            source = self._file(row.get("image_path"), f"{what}, file {row.get('image_path')}")
            if not source:
                continue
            when = _date(row.get("upload_date")) or _date(row.get("created_at"), utc=True)
            self.event(cid, "attachment", "attachment", when, {
                "description": row.get("description"), "uploaded_by": row.get("uploaded_by")},
                [(source, "image", None, source.name)], what)

    def finish(self) -> ImportReport:
        for cid, record in self.records.items():
            rel = f"{self.folders[cid]}/{COMPONENT_FILE}"
            clean = {k: v for k, v in record.items() if not k.startswith("_")}
            try:
                if cid in self.reads:  # a component the store held: replaced only as read
                    self.db.stage_replace(self.change, self.reads[cid], clean, "component")
                else:
                    self.change.contents[rel] = self.db.record_bytes(rel, clean, "component")
            except SvtError as exc:
                self.skip(f"component {cid}", str(exc))
                continue
        self.report.problems.sort()
        n = sum(self.report.imported.values())
        if self.change.contents or self.change.copies:
            self.change.message = (f"import {self.db.root.name}: {n} record(s) and file(s) from"
                                   " the original SQLite tracker")
            self.report.commit = self.db.commit(self.change)
        return self.report


def _inside(data_dir: Path, rel: str) -> tuple[Path | None, str]:
    """(the file, "") when ``rel`` names a regular file inside ``data_dir``, by a relative path
    without ``..`` and through no symbolic link; else (None, why not). The database is input
    like any other: it must not make the import copy ~/.ssh/id_ed25519 into the store."""
    inside = "svt imports files only from inside the data folder (--data-dir), named relative to it"
    parts = rel.replace("\\", "/").split("/")
    if rel.startswith(("/", "\\", "~")) or re.match(r"[A-Za-z]:", rel):
        return None, f"not imported: an absolute path; {inside}"
    if ".." in parts:
        return None, f"not imported: the path leads out through '..'; {inside}"
    path = data_dir
    try:
        for part in (p for p in rel.split("/") if p not in ("", ".")):
            path = path / part
            mode = os.lstat(path).st_mode
            if stat.S_ISLNK(mode):
                return None, (f"not imported: {path.relative_to(data_dir)} is a symbolic link;"
                              f" {inside}, never through links")
    except (OSError, ValueError):  # missing, unreadable, or a NUL byte in the name
        return None, ""
    if path == data_dir or not stat.S_ISREG(mode):
        return None, "not imported: not a regular file"
    return path, ""


def count_rows(sqlite_path: Path) -> int:
    """How many rows the import walks through (for the progress bar), without reading them."""
    con = _open(sqlite_path)
    total = 0
    for table in ("test_results", "installation_history", "maintenance_log", "connections",
                  "component_images"):
        if con.execute("SELECT 1 FROM sqlite_master WHERE type='table' AND name=?",
                       (table,)).fetchone():
            total += con.execute(f"SELECT count(*) FROM {table}").fetchone()[0]
    con.close()
    return total


def import_sqlite(db: Database, sqlite_path: str | Path, data_dir: str | Path | None = None,
                  progress: Callable[[int], None] | None = None) -> ImportReport:
    """Import the original tracker's database (and its test_data folder) in one commit."""
    path = Path(sqlite_path).expanduser()
    folder = Path(data_dir).expanduser() if data_dir else path.parent / "test_data"
    db.require()
    with db.locked():
        importer = _Importer(db, path, folder, progress)
        importer.components()
        importer.tests()
        importer.installations()
        importer.logs()
        importer.connections()
        importer.images()
        importer.rule_problems()
        return importer.finish()
