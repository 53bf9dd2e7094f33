"""The events of one component, each written as one commit: a test result (analysed and
judged by its definition), an installation and a removal, a move, a log entry or comment,
attached files.

``Database``'s methods of these names delegate here (their docstrings say what each does).
Each checks its input, reads the records it changes and hands the event to the store's
write path (:func:`..store.staging.event_change`).
"""
from __future__ import annotations

from contextlib import nullcontext
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, Iterable, Sequence

from .. import model
from ..model import registry
from ..files import schema
from ..model.errors import InvalidInput, RuleViolation
from ..store.inputs import check_measurements, check_test_content, clean, event_time
from ..store.staging import author, event_change, test_event
from .queries import installed_at

if TYPE_CHECKING:
    from .database import Database


def record_test(db: "Database", component_id: str, test_type: str, *, passed: bool | None,
                measurements: dict[str, Any] | None, images: Iterable[str],
                data_files: Iterable[str], plots: Iterable[str], log_files: Iterable[str],
                tested_by: str | None, notes: str | None, setup: str | None,
                conditions: str | None, date: str | datetime | None) -> str:
    model.check_id(component_id)
    model.check_test_type(test_type)
    when = event_time(date)
    checked = check_measurements(measurements or {})
    copies = [(db.copy_source(f, what), kind, Path(f).name)
              for files, kind, what in ((images, "image", "image"),
                                        (data_files, "data", "data file"),
                                        (plots, "plot", "plot"),
                                        (log_files, "log", "log file"))
              for f in files]
    check_test_content(passed, checked, len(copies))
    component = db.read_component(component_id)
    from ..store import testrun
    definition = testrun.definition_for(db, test_type)
    event = test_event(db, test_type, passed=passed, measurements=checked, tested_by=tested_by,
                       setup=setup, conditions=conditions, notes=notes)
    event["component"] = component_id
    scratch: Any = nullcontext("")  # a folder for the plot only where data is analysed
    if any(kind == "data" for _, kind, _ in copies):
        import tempfile
        scratch = tempfile.TemporaryDirectory(prefix="svt-analysis-")
    with scratch as plot_dir:
        # the analysis reads the data file before anything is written; its plot is
        # copied in with the change
        testrun.complete_new_test(db, event, definition, component.data["type"], passed,
                                  copies, Path(plot_dir))
        result = event.get("result") or "no result"
        extra = f", {len(copies)} file(s)" if copies else ""
        _, rel = event_change(db, component, "test", test_type, when, event,
                              f"test {component_id}: {test_type} {result}{extra}",
                              copies=copies)
    return rel


def install(db: "Database", component_id: str, position: str, *, run_period: str | None,
            installed_by: str | None, notes: str | None, date: str | datetime | None) -> str:
    model.check_id(component_id)
    read = db.read_component(component_id)
    record = read.data
    model.check_position(position, record["type"], db.config.get("positions"))
    if record.get("position"):
        raise RuleViolation(f"{component_id} is already installed at {record['position']}:"
                            f" `svt remove {component_id}` first")
    if record["status"] in model.OUT_OF_SERVICE:
        raise RuleViolation(f"{component_id} is {record['status']}; set another status first"
                            f" (svt add --id {component_id} --status spare)")
    holder = installed_at(db, position)
    if holder:
        raise RuleViolation(f"position {position} already holds {holder}: remove it first"
                            f" (svt remove {holder})")
    when = position_date(date, "installation")
    new = dict(record, status="installed", position=position,
               run_period=clean(run_period), installed_date=model.format_date(when))
    event = {"position": position, "run_period": clean(run_period),
             "installed_by": author(db, installed_by), "notes": clean(notes)}
    period = f" for {run_period}" if run_period else ""
    _, rel = event_change(db, read, "install", "install", when, event,
                          f"install {component_id}: at {position}{period}",
                          updates=[(read, new)])
    return rel


def remove(db: "Database", component_id: str, *, reason: str | None, removed_by: str | None,
           location: str | None, notes: str | None, date: str | datetime | None,
           status: str | None) -> str:
    model.check_id(component_id)
    read = db.read_component(component_id)
    record = read.data
    if not record.get("position"):
        raise RuleViolation(f"{component_id} is not installed, so it cannot be removed"
                            f" (status {record['status']})")
    if status:
        model.check_status(status, db.enums)
        if status == "installed":
            raise InvalidInput("a removed component cannot have status installed")
    when = position_date(date, "removal")
    if record.get("installed_date"):
        when = _after_install(when, date is None, read.path, record)
    new = dict(record)
    for key in ("position", "run_period", "installed_date"):
        new.pop(key, None)
    new["status"] = status or ("spare" if record["status"] == "installed" else record["status"])
    if location:
        new["location"] = clean(location)
    event = {"position": record["position"], "run_period": record.get("run_period"),
             "reason": clean(reason), "removed_by": author(db, removed_by),
             "location": clean(location), "notes": clean(notes)}
    why = f" ({reason})" if reason else ""
    _, rel = event_change(db, read, "remove", "remove", when, event,
                          f"remove {component_id}: from {record['position']}{why}",
                          updates=[(read, new)])
    return rel


def position_date(date: str | datetime | None, what: str) -> datetime:
    """The date of an installation or removal: ``date`` or now, at most
    ``model.POSITION_SLACK`` ahead (a component's next install or removal must come after
    it, so a later date would hold back every clone's until then)."""
    when = event_time(date)
    if model.in_future(when, model.POSITION_SLACK):
        raise InvalidInput(f"{what} date {model.format_date(when)} is {model.time_ahead(when)}"
                           f" ahead of this computer's clock ({model.format_date(model.now())}):"
                           " no later install or removal of the component could come before"
                           " it, so installs and removals may be dated at most"
                           f" {model.time_ahead(model.now() + model.POSITION_SLACK)} ahead; give"
                           " the date it happened, or leave out --date for now")
    return when


def _after_install(when: datetime, default: bool, path: str, record: dict) -> datetime:
    """A removal's date, which must not come before the installation it ends."""
    installed = model.parse_date(record["installed_date"])
    if model.to_utc(when) >= model.to_utc(installed):
        return when
    if default and not model.in_future(installed, model.POSITION_SLACK):
        return installed  # an install a moment ahead (another clone's clock): remove at it
    if model.in_future(installed, model.POSITION_SLACK):
        raise InvalidInput(f"{record['id']} is installed with date {record['installed_date']},"
                           f" {model.time_ahead(installed)} ahead of this computer's clock, and a"
                           " removal cannot come before its installation: if that date is"
                           f" wrong, correct installed_date in {path} and the date of its install"
                           " event (svt validate then names the file to rename), commit, and"
                           " remove it again")
    raise InvalidInput(f"removal date {model.format_date(when)} is before the installation"
                       f" on {record['installed_date']}: give a --date after it")


def set_location(db: "Database", component_id: str, location: str, *, moved_by: str | None,
                 notes: str | None, date: str | datetime | None) -> str:
    model.check_id(component_id)
    location = clean(location) or ""
    if not location:
        raise InvalidInput("the new location is empty: give a place such as \"Clean Room\"")
    read = db.read_component(component_id)
    record = read.data
    was = record.get("location")
    if was == location:  # unless its history says otherwise (a merge, a hand edit): then
        was = _latest_place(db, read.folder)  # the move recorded here settles the two
        if was is None or was == location:
            raise InvalidInput(f"{component_id} is already at {location}")
    new = dict(record, location=location)
    event = {"from": was, "to": location, "moved_by": author(db, moved_by),
             "notes": clean(notes)}
    _, rel = event_change(db, read, "move", "move", event_time(date), event,
                          f"move {component_id}: to {location}",
                          updates=[(read, new)])
    return rel


def _latest_place(db: "Database", folder: Path) -> str | None:
    """Where the component's latest event that sets a location (a move, a removal that names
    where it went) put it; None when no event says."""
    from ..rules.crosschecks import LOCATION_FROM
    placed = [ev for ev in db.events_in(folder, kinds=tuple(LOCATION_FROM))
              if ev.get(LOCATION_FROM[ev["kind"]])]
    return placed[-1][LOCATION_FROM[placed[-1]["kind"]]] if placed else None


def add_log(db: "Database", component_id: str, text: str, *, log_type: str, severity: str,
            logged_by: str | None, date: str | datetime | None, kind: str,
            resolution: str | None, images: Sequence[str]) -> str:
    model.check_id(component_id)
    model.check_choice(log_type, db.enums.log_types, "log type")
    model.check_choice(severity, db.enums.severities, "severity")
    text = clean(text) or ""
    if not text:
        raise InvalidInput("the log text is empty: say what happened")
    if images and not schema.knows_field("log", "files", db.schema_dir):
        raise InvalidInput("this store's schemas/log.schema.json predates photos on log"
                           " entries: add its `files` property as in"
                           f" {registry.package_schema_dir() / 'log.schema.json'} (or"
                           " store the photo with svt attach)")
    copies = [(db.copy_source(f, "image"), "image", Path(f).name) for f in images]
    event = {"log_type": log_type, "severity": severity, "text": text,
             "logged_by": author(db, logged_by), "resolution": clean(resolution)}
    first = text.splitlines()[0]
    short = first if len(first) <= 60 else first[:57] + "..."
    verb = "comment" if kind == "comment" else "log"
    extra = f" ({len(copies)} image(s))" if copies else ""
    when = event_time(date)
    _, rel = event_change(db, db.read_component(component_id), kind, kind, when, event,
                          f"{verb} {component_id}: {short}{extra}", copies=copies)
    return rel


def attach(db: "Database", component_id: str, files: Sequence[str], *,
           description: str | None, uploaded_by: str | None,
           date: str | datetime | None) -> str:
    model.check_id(component_id)
    if not files:
        raise InvalidInput("give at least one file to attach")
    copies = [(db.copy_source(f, "file"), "image", Path(f).name) for f in files]
    event = {"description": clean(description), "uploaded_by": author(db, uploaded_by)}
    when = event_time(date)
    _, rel = event_change(db, db.read_component(component_id), "attachment", "attachment",
                          when, event, f"attach {component_id}: {len(copies)} file(s)",
                          copies=copies)
    return rel
