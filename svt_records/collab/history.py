"""``svt history ID``: every commit that touched a component, field by field.

git's default history simplification hides a side of a merge whose change the merge did not
keep (a status dropped while resolving a conflict). This reads the log with
``--full-history``, so every commit shows, svt's and hand edits alike, and diffs the
component's record between each commit and its (first) parent.
"""
from __future__ import annotations

import re
from typing import Any

from .. import model
from ..files import yamlio
from ..store.base import StoreBase
from ..store.layout import COMPONENT_FILE

# svt's commit subjects: "<verb> <ID or file>: what", or "undo: <subject undone>" (svt
# undo); anything else is a hand edit
UNDO_PREFIX = "undo: "
SYNC_MERGE = "svt sync: merge "  # how the subject of a merge `svt sync --merge` makes begins
_SUBJECT = re.compile(r"^(?:(?P<undo>undo): |(?P<verb>[a-z][a-z-]*) [^\s:]+: )")


def verb_of(subject: str) -> str:
    m = _SUBJECT.match(subject)
    return (m.group("undo") or m.group("verb")) if m else "edit"


def component_history(db: StoreBase, component_id: str) -> dict:
    """{"id", "record", "shallow", "commits": [{sha, date, author, verb, subject, parents,
    changes: [{field, old, new}], events: [text]}]}, newest first."""
    db.require()
    model.check_id(component_id)
    folder, _ = db.component_record(component_id)
    folder_rel = db.rel(folder)
    record = f"{folder_rel}/{COMPONENT_FILE}"
    entries = db.repo.full_log([folder_rel])
    specs = []
    for e in entries:
        for status, path in e.changes:
            if path == record:
                specs.append(f"{e.sha}:{path}")
                if e.parents and status != "A":
                    specs.append(f"{e.parents[0]}:{path}")
            elif status == "A" and path.endswith(".yaml"):
                specs.append(f"{e.sha}:{path}")
    blobs = db.repo.read_blobs(specs)
    commits = []
    for e in entries:
        changes: list[dict] = []
        events: list[str] = []
        for status, path in e.changes:
            if path == record:
                new = _parse(blobs.get(f"{e.sha}:{path}")) if status != "D" else {}
                old = _parse(blobs.get(f"{e.parents[0]}:{path}")) if (
                    e.parents and status != "A") else {}
                changes.extend(field_changes(old, new))
            elif path.endswith(".yaml") and path.startswith(folder_rel + "/"):
                name = path.rsplit("/", 1)[-1]
                if status == "A":
                    events.append("added " + describe_event(_parse(blobs.get(f"{e.sha}:{path}")),
                                                            name))
                elif status == "D":
                    events.append(f"deleted event {name}")
                else:
                    events.append(f"edited event {name}")
            elif status in "AD":
                name = path.rsplit("/", 1)[-1]
                events.append(f"{'added' if status == 'A' else 'deleted'} file {name}")
        if len(e.parents) > 1 and not changes and not events:
            continue  # a merge that brought nothing of this component to its first parent
        commits.append({"sha": e.sha, "date": e.date, "author": e.author,
                        "verb": verb_of(e.subject), "subject": e.subject,
                        "parents": e.parents, "changes": changes, "events": events})
    return {"id": component_id, "record": record, "shallow": db.repo.is_shallow(),
            "commits": commits}


def _parse(data: bytes | None) -> dict:
    if not data:
        return {}
    try:
        text = data.decode("utf-8")
        value = yamlio.load_fast(text)
        value = yamlio.load(text).data if value is None else value
    except (UnicodeDecodeError, yamlio.YamlError):
        return {"(unreadable)": True}
    return value if isinstance(value, dict) else {}


def field_changes(old: dict, new: dict) -> list[dict]:
    """Each field that differs, old -> new (None: absent); attributes key by key,
    connections link by link."""
    out: list[dict] = []
    for key in dict.fromkeys([*old, *new]):
        a, b = old.get(key), new.get(key)
        if a == b:
            continue
        if key == "attributes" and isinstance(a or {}, dict) and isinstance(b or {}, dict):
            out.extend({"field": f"attributes.{k}", "old": (a or {}).get(k),
                        "new": (b or {}).get(k)}
                       for k in dict.fromkeys([*(a or {}), *(b or {})])
                       if (a or {}).get(k) != (b or {}).get(k))
        elif key == "connections" and isinstance(a or [], list) and isinstance(b or [], list):
            before = {_link(link): link for link in a or [] if isinstance(link, dict)}
            after = {_link(link): link for link in b or [] if isinstance(link, dict)}
            for k in dict.fromkeys([*before, *after]):
                if before.get(k) != after.get(k):
                    out.append({"field": f"connections[{k}]", "old": before.get(k),
                                "new": after.get(k)})
        else:
            out.append({"field": key, "old": a, "new": b})
    return out


def _link(link: dict) -> str:
    return f"{link.get('to')} {link.get('type')}"


def describe_event(event: dict, name: str) -> str:
    kind = event.get("kind") or "event"
    what = {"test": lambda: f"{event.get('test_type')}"
                            + (f" ({event['result']})" if event.get("result") else ""),
            "install": lambda: f"at {event.get('position')}",
            "remove": lambda: f"from {event.get('position')}",
            "move": lambda: f"to {event.get('to') or event.get('location')}",
            "connect": lambda: f"to {event.get('other')}",
            "disconnect": lambda: f"from {event.get('other')}",
            "log": lambda: _gist(event.get("text")),
            "comment": lambda: _gist(event.get("text"))}.get(kind)
    detail = f" {what()}" if what else ""
    date = f", dated {event['date']}" if event.get("date") else ""
    return f"{kind}{detail}{date} ({name})"


def _gist(text: Any) -> str:
    """A log entry's or comment's first line, cut at 120 characters."""
    first = str(text or "").strip().splitlines()[0] if str(text or "").strip() else ""
    return f'"{first[:117]}..."' if len(first) > 120 else f'"{first}"'


def value_text(value: Any) -> str:
    """A value as history shows it; ``(none)`` for an absent field."""
    if value is None:
        return "(none)"
    if isinstance(value, dict):
        return ", ".join(f"{k}={v}" for k, v in value.items())
    return str(value)
