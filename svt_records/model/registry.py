"""One registry: the enumerations a store's schemas define, and the kinds of event record.

Enumerations (component types, statuses, log types, severities, file kinds) are read from
JSON Schemas, where they are written once: a store's own ``schemas/`` are the authority for
that store (a collaboration may add a status there), and the schemas shipped with svt are
the defaults. Reading them costs a few stats and small JSON files, cached per process and
keyed by the files' (size, mtime_ns); no jsonschema import.

Each event kind is declared once, in ``EVENT_KINDS``: its schema, file-name word, keys, the
component fields it changes, the ``describe()`` section it lands in, and how ``svt show``
and ``svt review`` render it. Adding a kind takes one declaration plus its command.
"""
from __future__ import annotations

import json
from functools import lru_cache
from pathlib import Path
from typing import Any, Callable, NamedTuple

from .errors import SvtError


def package_schema_dir() -> Path:
    """The schemas shipped with svt: ``svt_records/schemas`` in a wheel, the top-level
    ``schemas/`` in a source checkout (editable install)."""
    here = Path(__file__).resolve().parents[1]  # svt_records/
    for candidate in (here / "schemas", here.parent / "schemas"):
        if (candidate / "component.schema.json").is_file():
            return candidate
    from importlib.resources import files
    return Path(str(files("svt_records.schemas")))


# ---- enumerations ----------------------------------------------------------------------

# Where each enumeration lives: the schema that checks the field, and the way to the field
# in it; a "$ref" on the way is followed (today's schemas keep most enums in defs).
ENUM_SOURCES: dict[str, tuple[str, tuple[str, ...]]] = {
    "component_types": ("component", ("properties", "type")),
    "statuses": ("component", ("properties", "status")),
    "log_types": ("log", ("properties", "log_type")),
    "severities": ("log", ("properties", "severity")),
    "file_kinds": ("defs", ("$defs", "stored_file", "properties", "kind")),
}
_ENUM_FILES = tuple(sorted({name for name, _ in ENUM_SOURCES.values()} | {"defs"}))


class Enumerations(NamedTuple):
    """The choices of one store (or svt's defaults), each in its schema's order."""
    component_types: tuple[str, ...]
    statuses: tuple[str, ...]
    log_types: tuple[str, ...]
    severities: tuple[str, ...]
    file_kinds: tuple[str, ...]


def enumerations(schema_dir: Path | str | None = None) -> Enumerations:
    """The enumerations the schemas in ``schema_dir`` define (default: svt's own)."""
    directory = Path(schema_dir) if schema_dir else package_schema_dir()
    signature = []
    for name in _ENUM_FILES:
        try:
            st = (directory / f"{name}.schema.json").stat()
            signature.append((st.st_size, st.st_mtime_ns))
        except OSError:
            signature.append((-1, -1))
    return _read_enumerations(str(directory), tuple(signature))


def defaults() -> Enumerations:
    """svt's default enumerations: those of the schemas it ships."""
    return enumerations(package_schema_dir())


@lru_cache(maxsize=16)
def _read_enumerations(directory: str, signature: tuple) -> Enumerations:
    docs: dict[str, Any] = {}

    def doc(name: str) -> Any:
        if name not in docs:
            path = Path(directory) / f"{name}.schema.json"
            try:
                docs[name] = json.loads(path.read_text(encoding="utf-8"))
            except (OSError, ValueError) as exc:
                raise SvtError(f"{path} cannot be read ({exc}): restore it from git"
                               " (git checkout -- schemas/)") from None
        return docs[name]

    found = {}
    for field, (name, way) in ENUM_SOURCES.items():
        node, where = doc(name), name
        for step in way:
            node = node.get(step, {}) if isinstance(node, dict) else {}
            while isinstance(node, dict) and isinstance(node.get("$ref"), str):
                target, _, pointer = node["$ref"].partition("#")
                where = target.removesuffix(".schema.json") if target else where
                node = doc(where)
                for part in pointer.strip("/").split("/") if pointer.strip("/") else ():
                    node = node.get(part, {}) if isinstance(node, dict) else {}
        values = node.get("enum") if isinstance(node, dict) else None
        if values is None and Path(directory) != package_schema_dir():
            found[field] = getattr(defaults(), field)  # a store's schemas that set no choices
            continue
        if not isinstance(values, list) or not all(isinstance(v, str) for v in values):
            raise SvtError(f"{Path(directory) / (name + '.schema.json')}: {'.'.join(way)} has no"
                           " list of text choices (enum); restore the file from git")
        found[field] = tuple(values)
    return Enumerations(**found)


# ---- value formatting shared by the renderers ------------------------------------------

def describe_change(name: str, old: Any, new: Any) -> str:
    """How a commit message says a field or value changed: never "None"."""
    if old is None:
        return f"{name} set to {format_value(new)}"
    if new is None:
        return f"{name} cleared (was {format_value(old)})"
    return f"{name} {format_value(old)} -> {format_value(new)}"


def format_value(value: Any) -> str:
    """A measurement or attribute value as `svt show` prints it."""
    if isinstance(value, dict) and "value" in value:  # a measurement: value and unit
        unit = value.get("unit")
        return f"{format_value(value['value'])}{' ' + unit if unit else ''}"
    if isinstance(value, dict):  # any other mapping, as YAML writes it in one line
        return "{" + ", ".join(f"{k}: {format_value(v)}" for k, v in value.items()) + "}"
    if isinstance(value, list):
        return "[" + ", ".join(format_value(v) for v in value) + "]"
    if isinstance(value, bool):
        return "true" if value else "false"  # as typed and as the YAML file has it
    return str(value)


# How `svt show` names each stored file kind (the kinds: ``Enumerations.file_kinds``).
FILE_KIND_LABELS = {"data": "raw data", "log": "log file"}


def format_size(size: Any) -> str:
    """A file size as people read it: 812 B, 41.2 KB, 3.5 MB."""
    if not isinstance(size, int):
        return "? B"
    for unit, scale in (("GB", 1 << 30), ("MB", 1 << 20), ("KB", 1 << 10)):
        if size >= scale:
            return f"{size / scale:.1f} {unit}"
    return f"{size} B"


def file_label(entry: dict) -> str:
    """One stored file as `svt show` names it: kind, name as given, size."""
    kind = str(entry.get("kind"))
    name = entry.get("original_name") or entry.get("path")
    return f"{FILE_KIND_LABELS.get(kind, kind)} {name} ({format_size(entry.get('size'))})"


def _file_lines(ev: dict) -> list[str]:
    return [f"      {file_label(f)}" for f in ev.get("files") or [] if isinstance(f, dict)]


def _review_measures(values: dict | None) -> str:
    out = []
    for name, value in (values or {}).items():
        if isinstance(value, dict):
            value = f"{value.get('value')} {value.get('unit', '')}".strip()
        out.append(f"{name}={value}")
    return ", ".join(out)


# ---- how each kind is shown (`svt show`) and summarised (`svt review`) ------------------

def _when(ev: dict) -> str:
    return ev.get("date", "")


def _show_test(ev: dict) -> list[str]:
    result = {"pass": "PASS", "fail": "FAIL"}.get(ev.get("result") or "", "-")
    said = (ev.get("limits") or {}).get("verdict")
    if said and said != ev.get("result"):  # a verdict by hand the limits contradict
        result += f" (limits: {said.upper()})"
    by = f"  by {ev['tested_by']}" if ev.get("tested_by") else ""
    test_id = f"{ev['id']}  " if ev.get("id") else ""  # what `svt show-test` takes
    from .values import format_measurements  # values reads the registry: imported when used
    lines = [f"  {test_id}{_when(ev)}  {ev['test_type']}  {result}  "
             f"{format_measurements(ev.get('measurements'))}{by}".rstrip()]
    notes = [f"      {line}" for line in (ev.get("notes") or "").splitlines()]
    return lines + notes + _file_lines(ev)


def _show_install(ev: dict) -> list[str]:
    period = f" run {ev['run_period']}" if ev.get("run_period") else ""
    return [f"  {_when(ev)}  installed at {ev['position']}{period}"
            f" by {ev.get('installed_by', '?')}"]


def _show_remove(ev: dict) -> list[str]:
    why = f" ({ev['reason']})" if ev.get("reason") else ""
    to = f" -> {ev['location']}" if ev.get("location") else ""
    return [f"  {_when(ev)}  removed from {ev['position']}{why}{to}"
            f" by {ev.get('removed_by', '?')}"]


def _show_assembly(ev: dict) -> list[str]:
    parts = ", ".join(f"{t} {ev[t]}" for t in MODULE_PARTS if ev.get(t))
    return [f"  {_when(ev)}  {ev['kind']}: {parts} by {ev.get('by', '?')}"
            + (f" - {ev['notes']}" if ev.get("notes") else "")]


def _show_log(ev: dict) -> list[str]:
    label = "comment" if ev["kind"] == "comment" else f"{ev['log_type']}/{ev['severity']}"
    resolution = [f"      resolution: {ev['resolution']}"] if ev.get("resolution") else []
    return ([f"  {_when(ev)}  [{label}] {ev['text']}  ({ev.get('logged_by', '?')})"]
            + resolution + _file_lines(ev))


def _show_move(ev: dict) -> list[str]:
    return [f"  {_when(ev)}  {ev.get('from') or '?'} -> {ev['to']}"]


def _show_attachment(ev: dict) -> list[str]:
    return ([f"  {_when(ev)}" + (f"  {ev['description']}" if ev.get("description") else "")]
            + _file_lines(ev))


def _show_link(link: dict) -> list[str]:
    via = f" via {link['cable']}" if link.get("cable") else ""
    return [f"  {link['type']} -> {link['to']}{via}"]


def _review_test(ev: dict) -> str:
    result = {"pass": "**PASS**", "fail": "**FAIL**"}.get(ev.get("result") or "",
                                                         "no result")
    m = _review_measures(ev.get("measurements"))
    return (f"test `{ev.get('test_type')}` of {ev.get('component')}: {result}"
            + (f" ({m})" if m else ""))


def _review_install(ev: dict) -> str:
    return (f"install {ev.get('component')} at `{ev.get('position')}`"
            f" (run {ev.get('run_period') or '–'})")


def _review_remove(ev: dict) -> str:
    return (f"remove {ev.get('component')} from `{ev.get('position')}`"
            f" ({ev.get('reason') or 'no reason'})")


def _review_assembly(ev: dict) -> str:
    parts = ", ".join(f"{p} {ev[p]}" for p in MODULE_PARTS if ev.get(p))
    return f"{ev.get('kind')} of {ev.get('component')}: {parts}"


def _review_log(ev: dict) -> str:
    return f"{ev.get('kind')} on {ev.get('component')}: {ev.get('text', '')[:80]}"


def _review_connection(ev: dict) -> str:
    return (f"{ev.get('kind')} {ev.get('component')} – {ev.get('other')}"
            f" ({ev.get('connection_type')})")


def _review_move(ev: dict) -> str:
    return f"move {ev.get('component')}: {ev.get('from') or '?'} → {ev.get('to')}"


def _review_attachment(ev: dict) -> str:
    return f"attachment of {ev.get('component')}"


# ---- the event kinds -------------------------------------------------------------------

class Section(NamedTuple):
    """A part of ``Database.describe`` (and of `svt show`'s text) that gathers events.

    ``place``: where `svt show`'s text prints it; ``counted``: the text always shows the
    section with its count, else only when it has events; ``current``: the text shows that
    describe() entry (the present state) instead of the events."""
    key: str
    title: str
    place: int
    counted: bool = False
    current: str | None = None
    show_current: Callable[[dict], list[str]] | None = None


# In the order describe() holds them.
SECTIONS = (
    Section("tests", "Tests", 0, counted=True),
    Section("installations", "Installation history", 1, counted=True),
    Section("logs", "Logs", 3, counted=True),
    Section("assembly_history", "Assembly history", 2),
    Section("moves", "Moves", 4),
    Section("connection_history", "Connections", 5, counted=True, current="connections",
            show_current=_show_link),
    Section("attachments", "Attachments", 6),
)

# Keys every event has, before its own.
COMMON_EVENT_KEYS = ("kind", "date", "recorded", "component", "component_created")
# A module's parts: each is a field of the module's record naming the part, and the part's
# component type; the part's record names the module back in ``module``.
MODULE_PARTS = ("sensor", "hybrid")


class EventKind(NamedTuple):
    """One kind of event record.

    ``schema``: its schema (schemas/<schema>.schema.json, whose ``kind`` names it);
    ``word``: the word in its file name (None: a test's file uses its test type);
    ``keys``: the fields of its own, besides ``COMMON_EVENT_KEYS``;
    ``changes``: the component.yaml fields it sets; ``section``: where describe() puts it;
    ``show``: its lines in `svt show` (None where the section shows the current state);
    ``review``: its line in `svt review`."""
    name: str
    schema: str
    word: str | None
    keys: tuple[str, ...]
    changes: tuple[str, ...]
    section: str
    show: Callable[[dict], list[str]] | None
    review: Callable[[dict], str]


_INSTALLED = ("status", "position", "run_period", "installed_date")
_ASSEMBLY_KEYS = MODULE_PARTS + ("by", "notes")
_LOG_KEYS = ("log_type", "severity", "text", "logged_by", "resolution", "resolved_date",
             "files", "legacy_id")
_CONNECTION_KEYS = ("other", "connection_type", "cable", "by", "notes")

EVENT_KINDS: dict[str, EventKind] = {k.name: k for k in (
    EventKind("test", "test", None,
              ("test_type", "result", "measurements", "analysis", "limits", "tested_by",
               "setup", "conditions", "notes", "files", "legacy_id"),
              (), "tests", _show_test, _review_test),
    EventKind("install", "install", "install", ("position", "run_period", "installed_by", "notes"),
              _INSTALLED, "installations", _show_install, _review_install),
    EventKind("remove", "remove", "remove",
              ("position", "run_period", "reason", "removed_by", "location", "notes"),
              _INSTALLED + ("location",), "installations", _show_remove, _review_remove),
    EventKind("assembly", "assembly", "assembly", _ASSEMBLY_KEYS, MODULE_PARTS + ("module",),
              "assembly_history", _show_assembly, _review_assembly),
    EventKind("disassembly", "assembly", "disassembly", _ASSEMBLY_KEYS,
              MODULE_PARTS + ("module",), "assembly_history", _show_assembly,
              _review_assembly),
    EventKind("log", "log", "log", _LOG_KEYS, (), "logs", _show_log, _review_log),
    EventKind("comment", "log", "comment", _LOG_KEYS, (), "logs", _show_log, _review_log),
    EventKind("move", "move", "move", ("from", "to", "moved_by", "notes"), ("location",),
              "moves", _show_move, _review_move),
    EventKind("connect", "connection", "connect", _CONNECTION_KEYS, ("connections",),
              "connection_history", None, _review_connection),
    EventKind("disconnect", "connection", "disconnect", _CONNECTION_KEYS, ("connections",),
              "connection_history", None, _review_connection),
    EventKind("attachment", "attachment", "attachment", ("description", "uploaded_by", "files"),
              (), "attachments", _show_attachment, _review_attachment),
)}

# The other records' schemas: one per record that is not an event.
OTHER_SCHEMAS = {"component": "component", "config": "config"}


def sections(events: list[dict]) -> dict[str, list[dict]]:
    """describe()'s sections, in ``SECTIONS`` order: each holds its kinds' events, in order."""
    out: dict[str, list[dict]] = {s.key: [] for s in SECTIONS}
    for ev in events:
        kind = EVENT_KINDS.get(ev.get("kind", ""))
        if kind is not None:
            out[kind.section].append(ev)
    return out


def show_lines(section: Section, item: dict) -> list[str]:
    """The lines `svt show` prints for one item of ``section``: an event, or a piece of the
    current state the section shows instead."""
    if section.show_current is not None:
        return section.show_current(item)
    show = EVENT_KINDS[item["kind"]].show
    return show(item) if show is not None else []


def review_line(ev: dict) -> str:
    """One event in `svt review`'s Markdown."""
    kind = EVENT_KINDS.get(ev.get("kind") or "")
    return kind.review(ev) if kind else f"{ev.get('kind')} of {ev.get('component')}"
