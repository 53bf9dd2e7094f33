"""The original tracker's Python API (``Component``, ``TestResult``, ``get_default_db`` and
its functions: install, connections, maintenance logs) on the git-backed store."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from .. import model
from .database import Database
from ..model.errors import NotFoundError

# Component attribute -> field of component.yaml
_FIELD_MAP = {
    "type": "type", "serial_number": "serial_number", "asset_tag": "asset_tag",
    "manufacturer": "manufacturer", "manufacture_date": "manufacture_date",
    "installation_status": "status", "current_location": "location", "notes": "notes",
}


def get_default_db(path: str | None = None) -> Database:
    """The store the CLI would use (SVT_REPO, enclosing store, ~/.hps_svt_tracker), created
    when it does not exist yet."""
    db = Database(path)
    if not db.exists:
        db.initialize_schema()
    return db


@dataclass
class Component:
    id: str
    type: str | None = None
    serial_number: str | None = None
    asset_tag: str | None = None
    manufacturer: str | None = None
    manufacture_date: str | None = None
    installation_status: str = "incoming"
    current_location: str | None = None
    installed_position: str | None = None
    run_period: str | None = None
    assembled_sensor_id: str | None = None
    assembled_hybrid_id: str | None = None
    assembled_module_id: str | None = None
    attributes: dict[str, Any] = field(default_factory=dict)
    notes: str | None = None
    created_at: str | None = None
    connections: list[dict] = field(default_factory=list)

    def __post_init__(self) -> None:
        model.check_id(self.id)
        if self.type is not None:
            model.check_type(self.type)
        model.check_status(self.installation_status)

    def save(self, db: Database) -> str:
        """Create the component, or update the fields that differ from the stored record."""
        current = db.get_component(self.id)
        fields = {yaml_key: getattr(self, attr) for attr, yaml_key in _FIELD_MAP.items()}
        if current is None:
            return db.save_component(self.id, fields, attributes=self.attributes)[0]
        changed = {k: v for k, v in fields.items() if v is not None and current.get(k) != v}
        attrs = {k: v for k, v in (self.attributes or {}).items()
                 if (current.get("attributes") or {}).get(k) != v}
        if not changed and not attrs:
            return ""
        return db.save_component(self.id, changed, attributes=attrs)[0]

    @classmethod
    def from_record(cls, rec: dict) -> "Component":
        return cls(
            id=rec["id"], type=rec.get("type"), serial_number=rec.get("serial_number"),
            asset_tag=rec.get("asset_tag"), manufacturer=rec.get("manufacturer"),
            manufacture_date=rec.get("manufacture_date"),
            installation_status=rec.get("status", "incoming"),
            current_location=rec.get("location"), installed_position=rec.get("position"),
            run_period=rec.get("run_period"), assembled_sensor_id=rec.get("sensor"),
            assembled_hybrid_id=rec.get("hybrid"), assembled_module_id=rec.get("module"),
            attributes=dict(rec.get("attributes") or {}), notes=rec.get("notes"),
            created_at=rec.get("created"), connections=list(rec.get("connections") or []))

    @classmethod
    def get(cls, component_id: str, db: Database | None = None) -> "Component | None":
        rec = (db or get_default_db()).get_component(component_id)
        return cls.from_record(rec) if rec else None

    @classmethod
    def list_all(cls, component_type: str | None = None, status: str | None = None,
                 db: Database | None = None, location: str | None = None,
                 position: str | None = None) -> list["Component"]:
        rows = (db or get_default_db()).list_components(
            component_type=component_type, status=status, location=location, position=position)
        return [cls.from_record(r) for r in rows]


@dataclass
class TestResult:
    __test__ = False  # not a pytest test class

    component_id: str
    test_type: str
    pass_fail: bool | None = None
    measurements: dict[str, Any] = field(default_factory=dict)
    files: list[str | tuple[str, str]] = field(default_factory=list)  # images (or (path, kind) pairs)
    tested_by: str | None = None
    notes: str | None = None
    test_date: str | None = None
    test_setup: str | None = None
    test_conditions: str | None = None
    id: str | None = None

    def save(self, db: Database | None = None) -> str:
        """Record the result (one commit); returns its id, the path of its record."""
        images: list[str] = []
        data: list[str] = []
        for item in self.files:
            if isinstance(item, (tuple, list)):
                path, kind = item
                (data if kind in ("data", "raw_data") else images).append(path)
            else:
                images.append(item)
        self.id = (db or get_default_db()).record_test(
            self.component_id, self.test_type, passed=self.pass_fail,
            measurements=self.measurements, images=images, data_files=data,
            tested_by=self.tested_by, notes=self.notes, setup=self.test_setup,
            conditions=self.test_conditions, date=self.test_date)
        return self.id

    @staticmethod
    def get_for_component(component_id: str, db: Database | None = None) -> list[dict]:
        """The component's test results, oldest first, as dicts."""
        out = []
        for ev in (db or get_default_db()).tests(component_id):
            result = ev.get("result")
            out.append({
                "id": ev["_path"], "component_id": component_id, "test_type": ev["test_type"],
                "pass_fail": None if result is None else result == "pass",
                "measurements": ev.get("measurements") or {}, "test_date": ev["date"],
                "tested_by": ev.get("tested_by"), "notes": ev.get("notes"),
                "test_setup": ev.get("setup"), "test_conditions": ev.get("conditions"),
                "files": ev.get("files") or [],
            })
        return out


# ---- the original's functions: same names and arguments, backed by Database methods ------
# Where the original returns an integer row id, these return svt's stable string id: a
# connection's id (A~B~TYPE) or an event's path, which mean the same thing in every clone.

def install_component(component_id: str, position: str, run_period: str,
                      installed_by: str | None = None, notes: str | None = None,
                      db: Database | None = None) -> str:
    """Install a component at a position (one commit); returns the install event's path."""
    return (db or get_default_db()).install(component_id, position, run_period=run_period,
                                            installed_by=installed_by, notes=notes)


def remove_component(component_id: str, removal_reason: str, removed_by: str | None = None,
                     db: Database | None = None) -> str:
    """Remove an installed component from its position; it becomes spare."""
    return (db or get_default_db()).remove(component_id, reason=removal_reason,
                                           removed_by=removed_by)


def create_connection(component_a_id: str, component_b_id: str,
                      connection_type: str | None = None, cable_id: str | None = None,
                      notes: str | None = None, db: Database | None = None) -> str:
    """Connect two components (optionally through a cable); returns the connection's id."""
    db = db or get_default_db()
    rel = db.connect(component_a_id, component_b_id, connection_type=connection_type or "signal",
                     cable=cable_id, notes=notes)
    event = db.load(rel)
    return model.connection_id(component_a_id, component_b_id, event["connection_type"])


def get_connections_for_component(component_id: str,
                                  db: Database | None = None) -> list[dict[str, Any]]:
    """The component's connections, newest first, as the original's rows: id,
    component_a_id, component_b_id (as connected), connection_type, cable_id,
    installation_date, notes."""
    db = db or get_default_db()
    links = db.connections(component_id)
    made: dict[str, dict] = {}  # connection id -> its latest connect event, for a and b, notes
    for cid in {component_id, *(link["to"] for link in links)}:
        try:
            events = db.events(cid, kinds=("connect",))
        except NotFoundError:
            continue  # a link to a missing component: validate reports it
        for ev in events:
            made[model.connection_id(ev["component"], ev["other"], ev["connection_type"])] = ev
    rows = []
    for link in links:
        ev = made.get(link["id"], {})
        rows.append({
            "id": link["id"], "component_a_id": ev.get("component", component_id),
            "component_b_id": ev.get("other", link["to"]), "connection_type": link["type"],
            "cable_id": link.get("cable"), "installation_date": link.get("since"),
            "notes": ev.get("notes")})
    rows.sort(key=lambda row: row["installation_date"] or "", reverse=True)
    return rows


def get_connected_components(component_id: str,
                             db: Database | None = None) -> list[dict[str, Any]]:
    """The components connected to this one: connected_id, connection_type, cable_id."""
    return [{"connected_id": link["to"], "connection_type": link["type"],
             "cable_id": link.get("cable")}
            for link in (db or get_default_db()).connections(component_id)]


def remove_connection(connection_id: str, db: Database | None = None) -> str:
    """Undo the connection of that id (A~B~TYPE, as create_connection returns it)."""
    return (db or get_default_db()).remove_connection(connection_id)


def add_maintenance_log(component_id: str, description: str, log_type: str = "note",
                        severity: str = "info", logged_by: str | None = None,
                        resolution: str | None = None, image_path: str | None = None,
                        db: Database | None = None) -> str:
    """Log an entry for a component (one commit), with its photo stored beside it when
    ``image_path`` is given; returns the log event's path."""
    return (db or get_default_db()).add_log(component_id, description, log_type=log_type,
                                            severity=severity, logged_by=logged_by,
                                            resolution=resolution,
                                            images=[image_path] if image_path else ())


def get_maintenance_logs(component_id: str, db: Database | None = None) -> list[dict[str, Any]]:
    """The component's log entries (comments included), newest first, as the original's
    rows: id, component_id, log_date, log_type, severity, description, resolution,
    logged_by."""
    events = (db or get_default_db()).events(component_id, kinds=("log", "comment"))
    return [{"id": ev["_path"], "component_id": component_id, "log_date": ev["date"],
             "log_type": ev.get("log_type"), "severity": ev.get("severity"),
             "description": ev.get("text"), "resolution": ev.get("resolution"),
             "logged_by": ev.get("logged_by"), "files": ev.get("files") or []}
            for ev in reversed(events)]
