"""The write path behind ``Database``: a component record to write (:class:`ComponentWrite`,
checked by the rules every path shares), an event with its stored files added to a change,
and an event with the component records it updates written as one commit. The Python API,
`svt add --from-csv`, `svt test --from-csv` and the legacy import stage through here.
"""
from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any, NamedTuple, Sequence

from .. import model
from ..model import registry
from ..files import schema
from ..model.errors import InvalidInput, RuleViolation
from .base import StoreBase
from .inputs import clean
from .layout import COMPONENT_FILE, RECORDS, RecordRead
from .txn import Change, sha256_file

EDITABLE_FIELDS = ("type", "serial_number", "asset_tag", "manufacturer", "manufacture_date",
                   "status", "location", "notes")


class ComponentWrite(NamedTuple):
    """A component record to write, as :meth:`Database.component_write` decided it."""

    path: str  # records/<type>/<id>/component.yaml
    record: dict  # the new record
    old: RecordRead | None  # the record it replaces, as read; None for a new component
    changes: list[str]  # "field old -> new" for each change; empty when nothing changes

    def stage(self, db: StoreBase, change: Change) -> None:
        """Add the record to ``change`` (replacing the old one only as it was read)."""
        if self.old is None:
            change.contents[self.path] = db.record_bytes(self.path, self.record, "component")
            return
        db.stage_replace(change, self.old, self.record, "component")
        place, was = self.record.get("location"), self.old.data.get("location")
        if place and place != was:  # a move, as `svt location` records it (validate compares)
            stage_event(db, change, self.old, kind="move", name="move", date=model.now(),
                        event={"from": was, "to": place, "moved_by": author(db, None)})


def component_write(db: StoreBase, component_id: str, fields: dict[str, Any], *,
                    attributes: dict[str, Any] | None = None,
                    also: dict[str, str] | None = None) -> ComponentWrite:
    """Check a component's new or changed fields and attributes by the rules every path
    shares (the Python API, `svt add`, `svt add --from-csv`) and return the record to
    write; ``also`` holds the ids ({lower-cased: id}) the same change creates."""
    model.check_id(component_id)
    fields = {k: clean(v) if isinstance(v, str) else v for k, v in fields.items()
              if v is not None}
    unknown = set(fields) - set(EDITABLE_FIELDS)
    if unknown:
        raise InvalidInput(f"unknown field(s) {', '.join(sorted(unknown))}: use"
                           f" {', '.join(EDITABLE_FIELDS)}")
    if "type" in fields:
        model.check_type(fields["type"], db.enums)
    if "status" in fields:
        model.check_status(fields["status"], db.enums)
    attributes = model.check_attributes(attributes or {})
    folder = db.find_component_dir(component_id)
    if folder is None:
        db.check_new_id(component_id, also=also)
        if "type" not in fields:
            raise InvalidInput(f"{component_id} is a new component: give its --type (one of"
                               f" {', '.join(db.enums.component_types)})")
        record = {"id": component_id, "type": fields["type"],
                  "status": fields.get("status", "incoming"), **fields,
                  "attributes": attributes or None,
                  "created": model.format_date(model.now())}
        note_installed_nowhere(db, record)
        path = f"{RECORDS}/{fields['type']}/{component_id}/{COMPONENT_FILE}"
        return ComponentWrite(path, record, None, [])
    read = db.read_component(component_id)
    old = read.data
    if "type" in fields and fields["type"] != old["type"]:
        raise RuleViolation(f"{component_id} is a {old['type']}; its type cannot change"
                            " (add a new component instead)")
    new = dict(old)
    new.update(fields)
    if attributes:
        new["attributes"] = {**(old.get("attributes") or {}), **attributes}
    describe = registry.describe_change
    changes = [describe(k, old.get(k), new.get(k)) for k in fields if new.get(k) != old.get(k)]
    old_attrs, new_attrs = old.get("attributes") or {}, new.get("attributes") or {}
    changes += [describe(f"attribute {k}", old_attrs.get(k), new_attrs.get(k))
                for k in new_attrs if new_attrs.get(k) != old_attrs.get(k)]
    if old.get("status") != "installed":
        note_installed_nowhere(db, new)
    return ComponentWrite(read.path, new, read, changes)


def note_installed_nowhere(db: StoreBase, record: dict) -> None:
    """Status installed without a position is allowed (the original tracker's API does
    it), but the record is incomplete: say so, as validate's warning does."""
    if record.get("status") == "installed" and not record.get("position"):
        db.notes.append(f"{record['id']} is installed but has no position: record where"
                        f" with `svt install {record['id']} POSITION`")


def author(db: StoreBase, who: str | None) -> str:
    """Who made a change: the name given (cleaned), else the git user's, asked by
    GitRepo.prepare_commit (which loads the commit's modules while git answers; the
    commit's own call then finds the settings kept)."""
    given = clean(who)
    if given:
        return given
    db.repo.prepare_commit()
    return db.repo.identity().name


def stage_event(db: StoreBase, change: Change, component: RecordRead, *, kind: str, name: str,
                date: datetime, event: dict, copies: Sequence[tuple[Path, str, str]] = ()
                ) -> str:
    """Add one event (and its stored files) of ``component`` (its component.yaml as
    read) to ``change``; returns the event's path."""
    taken = {db.root / p for p in change.contents}
    event = {"kind": kind, "date": model.format_date(date), "component": component.data["id"],
             **event}
    recorded = model.recorded_now()  # names the file even where the schema lacks the field
    if schema.knows_field(kind, "recorded", db.schema_dir):
        event["recorded"] = recorded
    if component.data.get("created") and schema.knows_field(kind, "component_created",
                                                            db.schema_dir):
        event["component_created"] = component.data["created"]  # the part it is of
    content = dict(event, recorded=recorded, files=[str(c[2]) for c in copies])
    path = db.new_event_path(component.folder, date, name, content, taken=taken)
    rel = db.rel(path)
    stored = stage_files(change, rel.rsplit("/", 1)[0], path.name[:-len(".yaml")], copies)
    if stored:
        event["files"] = stored
    change.contents[rel] = db.record_bytes(rel, event, kind)
    return rel


def event_change(db: StoreBase, component: RecordRead, kind: str, name: str, date: datetime,
                 event: dict, message: str,
                 updates: Sequence[tuple[RecordRead, dict]] = (),
                 copies: Sequence[tuple[Path, str, str]] = ()) -> tuple[str, str]:
    """Write one event of ``component`` (plus component.yaml updates) as one commit.

    ``updates`` pairs component records as read with their new contents; ``copies`` are
    files (source, kind, suffix) stored beside the event. Returns (commit, event path)."""
    change = Change(message)
    rel = stage_event(db, change, component, kind=kind, name=name, date=date, event=event,
                      copies=copies)
    for read, record in updates:
        db.stage_replace(change, read, record, "component")
    return db.commit(change), rel


def test_event(db: StoreBase, test_type: str, *, passed: bool | None,
               measurements: dict[str, Any], tested_by: str | None, setup: str | None,
               conditions: str | None, notes: str | None) -> dict[str, Any]:
    """The fields of a test event (checked measurements; texts cleaned, the tester by
    default the git user), as record_test and `svt test --from-csv` write them."""
    return {"test_type": test_type,
            "result": None if passed is None else ("pass" if passed else "fail"),
            "measurements": measurements or None, "tested_by": author(db, tested_by),
            "setup": clean(setup), "conditions": clean(conditions), "notes": clean(notes)}


def stage_files(change: Change, folder: str, base: str,
                copies: Sequence[tuple[Path, str, str | None]]) -> list[dict]:
    """Add files to ``change`` beside the event ``base`` in ``folder`` (the seed's names:
    ``<base>_<n>.<ext>`` for images and plots, ``<base>_data[_<n>].<ext>`` for data) and
    return the event's ``files`` entries with size and sha256."""
    stored = []
    counts = {"image": 0, "data": 0}
    for source, file_kind, original in copies:
        ext = "".join(c for c in source.suffix.lower()[1:] if c.isalnum())[:10]
        if file_kind == "data":
            n = counts["data"]
            stem = f"{base}_data" + (f"_{n}" if n else "")
            counts["data"] += 1
        else:
            stem = f"{base}_{counts['image']}"
            counts["image"] += 1
        name_on_disk = stem + (f".{ext}" if ext else "")
        size, digest = sha256_file(source)
        entry = {"path": name_on_disk, "kind": file_kind, "size": size, "sha256": digest}
        if original:
            entry["original_name"] = original
        stored.append(entry)
        change.copies[f"{folder}/{name_on_disk}"] = source
    return stored
