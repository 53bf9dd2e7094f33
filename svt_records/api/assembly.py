"""How components go together: a sensor and a hybrid assembled onto a module (and taken off
again), and the connections between two components (each recorded on both records, with
its event on the first).

``Database``'s methods of these names delegate here (their docstrings say what each does).
"""
from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Sequence

from .. import model
from ..model.errors import InvalidInput, NotFoundError, RuleViolation
from ..store.layout import RecordRead
from ..store.inputs import clean, event_time
from ..store.staging import author, event_change

if TYPE_CHECKING:
    from .database import Database


def assemble(db: "Database", module_id: str, *, sensor_id: str | None, hybrid_id: str | None,
             assembled_by: str | None, notes: str | None, date: str | datetime | None) -> str:
    if not sensor_id and not hybrid_id:
        raise InvalidInput("give --sensor, --hybrid or both to assemble onto the module")
    model.check_id(module_id)
    module_read = db.read_component(module_id)
    module = module_read.data
    if module["type"] != "module":
        raise RuleViolation(f"{module_id} is a {module['type']}, not a module")
    updates: list[tuple[RecordRead, dict]] = []
    new_module = dict(module)
    for part_id, part_type in ((sensor_id, "sensor"), (hybrid_id, "hybrid")):
        if not part_id:
            continue
        model.check_id(part_id)
        part_read = db.read_component(part_id)
        part = part_read.data
        if part["type"] != part_type:
            raise RuleViolation(f"{part_id} is a {part['type']}, not a {part_type}")
        if part.get("module"):
            where = "this module" if part["module"] == module_id else part["module"]
            raise RuleViolation(f"{part_id} is already assembled on {where}: disassemble"
                                f" {part['module']} first")
        if part.get("position"):
            raise RuleViolation(f"{part_id} is installed at {part['position']}: remove it first")
        if module.get(part_type):
            raise RuleViolation(f"{module_id} already has {part_type} {module[part_type]}:"
                                f" disassemble it first")
        new_module[part_type] = part_id
        updates.append((part_read, dict(part, module=module_id)))
    updates.append((module_read, new_module))
    event = {"sensor": sensor_id, "hybrid": hybrid_id, "by": author(db, assembled_by),
             "notes": clean(notes)}
    parts = ", ".join(f"{t} {p}" for t, p in (("sensor", sensor_id), ("hybrid", hybrid_id)) if p)
    _, rel = event_change(db, module_read, "assembly", "assembly", event_time(date), event,
                          f"assemble {module_id}: {parts}", updates=updates)
    return rel


def disassemble(db: "Database", module_id: str, *, disassembled_by: str | None,
                notes: str | None, date: str | datetime | None, parts: Sequence[str]) -> str:
    model.check_id(module_id)
    module_read = db.read_component(module_id)
    module = module_read.data
    if module["type"] != "module":
        raise RuleViolation(f"{module_id} is a {module['type']}, not a module")
    detached = {t: module[t] for t in parts if module.get(t)}
    if not detached:
        raise RuleViolation(f"{module_id} has no {' or '.join(parts)} to disassemble")
    new_module = dict(module)
    updates: list[tuple[RecordRead, dict]] = []
    stale = set()  # links to parts that name another module (e.g. imported as they were)
    for part_type, part_id in detached.items():
        new_module.pop(part_type, None)
        try:
            part_read = db.read_component(part_id)
        except NotFoundError:
            continue  # a dangling link; validate reports it, the module is still freed
        if part_read.data.get("module") not in (module_id, None):
            stale.add(part_type)  # only this module's link goes; the part stays put
            continue
        part = dict(part_read.data)
        part.pop("module", None)
        updates.append((part_read, part))
    if module.get("position") and set(detached) - stale:
        raise RuleViolation(f"{module_id} is installed at {module['position']}: remove it"
                            " before disassembling")
    updates.append((module_read, new_module))
    event = {**detached, "by": author(db, disassembled_by), "notes": clean(notes)}
    what = ", ".join(f"{t} {p}" for t, p in detached.items())
    _, rel = event_change(db, module_read, "disassembly", "disassembly", event_time(date),
                          event, f"disassemble {module_id}: {what}", updates=updates)
    return rel


def connect(db: "Database", a: str, b: str, *, connection_type: str, cable: str | None,
            notes: str | None, by: str | None, date: str | datetime | None) -> str:
    model.check_id(a)
    model.check_id(b)
    if a == b:
        raise InvalidInput("a component cannot be connected to itself")
    connection_type = clean(connection_type) or "signal"
    read_a, read_b = db.read_component(a), db.read_component(b)
    rec_a, rec_b = read_a.data, read_b.data
    if cable:
        model.check_id(cable, "cable id")
        _, rec_c = db.component_record(cable)
        if rec_c["type"] != "cable":
            raise RuleViolation(f"{cable} is a {rec_c['type']}, not a cable")
    for link in rec_a.get("connections") or []:
        if link["to"] == b and link["type"] == connection_type:
            raise RuleViolation(f"{a} and {b} already have a {connection_type} connection")
    when = event_time(date)
    since = model.format_date(when)
    link_a = {"to": b, "type": connection_type, "cable": cable, "since": since}
    link_b = {"to": a, "type": connection_type, "cable": cable, "since": since}
    new_a = dict(rec_a, connections=[*(rec_a.get("connections") or []),
                                     {k: v for k, v in link_a.items() if v}])
    new_b = dict(rec_b, connections=[*(rec_b.get("connections") or []),
                                     {k: v for k, v in link_b.items() if v}])
    event = {"other": b, "connection_type": connection_type, "cable": cable,
             "by": author(db, by), "notes": clean(notes)}
    via = f" via {cable}" if cable else ""
    _, rel = event_change(db, read_a, "connect", "connect", when, event,
                          f"connect {a}: to {b} ({connection_type}{via})",
                          updates=[(read_a, new_a), (read_b, new_b)])
    return rel


def remove_connection(db: "Database", connection_id: str, *, notes: str | None,
                      by: str | None, date: str | datetime | None) -> str:
    a, b, connection_type = model.parse_connection_id(connection_id)
    try:
        found = connections(db, a)
    except NotFoundError:
        found = []
    if not any(link["id"] == connection_id for link in found):
        raise RuleViolation(f"there is no connection {connection_id}: `svt connections {a}`"
                            " lists the connections and their ids")
    return db.disconnect(a, b, connection_type=connection_type, notes=notes, by=by, date=date)


def disconnect(db: "Database", a: str, b: str, *, connection_type: str | None,
               notes: str | None, by: str | None, date: str | datetime | None) -> str:
    model.check_id(a)
    model.check_id(b)
    read_a, read_b = db.read_component(a), db.read_component(b)
    rec_a, rec_b = read_a.data, read_b.data

    def keep(links: list, other: str) -> list:
        return [link for link in links if not (
            link["to"] == other and (connection_type is None or link["type"] == connection_type))]

    links_a = rec_a.get("connections") or []
    gone = [link for link in links_a if link not in keep(links_a, b)]
    if not gone:
        kind = f"{connection_type} " if connection_type else ""
        raise RuleViolation(f"{a} and {b} have no {kind}connection to undo")
    new_a = dict(rec_a, connections=keep(links_a, b) or None)
    new_b = dict(rec_b, connections=keep(rec_b.get("connections") or [], a) or None)
    types = ", ".join(sorted({link["type"] for link in gone}))
    cables = sorted({link["cable"] for link in gone if link.get("cable")})
    event = {"other": b, "connection_type": types, "cable": cables[0] if cables else None,
             "by": author(db, by), "notes": clean(notes)}
    _, rel = event_change(db, read_a, "disconnect", "disconnect", event_time(date), event,
                          f"disconnect {a}: from {b} ({types})",
                          updates=[(read_a, new_a), (read_b, new_b)])
    return rel


def connections(db: "Database", component_id: str) -> list[dict]:
    db.require()
    model.check_id(component_id)
    _, record = db.component_record(component_id)
    return links(component_id, record)


def links(component_id: str, record: dict) -> list[dict]:
    """The connections a component record lists, each with its id and ``from``."""
    return [dict(link, **{"from": component_id,
                          "id": model.connection_id(component_id, link["to"], link["type"])})
            for link in record.get("connections") or []]
