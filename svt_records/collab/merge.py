"""Three-way merge of records, field by field: pure functions on values (no files, no git).

A field changed on one side only takes that side's value; changed on both sides to the same
value, that value. Only a field changed on both sides to different values is a conflict.
Mappings (``attributes``) merge key by key; ``connections`` merge as a set keyed by their
``to`` and ``type``, so two links added on either side are both kept.
"""
from __future__ import annotations

import difflib
from typing import Any, NamedTuple

SIDES = ("ours", "theirs")
_ABSENT = None  # a field that is not there (records never hold null)


class Conflict(NamedTuple):
    """One field both sides changed to different values (``None``: removed or absent)."""
    field: str
    base: Any
    ours: Any
    theirs: Any


def merge_records(base: dict | None, ours: dict, theirs: dict, prefer: str | None = None
                  ) -> tuple[dict, list[Conflict]]:
    """Merge two records that both come from ``base`` (None or {}: added on both sides).

    Returns the merged record and its conflicts; a conflicting field holds the value of the
    side ``prefer`` names (default ``ours``), so the result is a complete record either way."""
    if prefer not in (None, *SIDES):
        raise ValueError(f"prefer must be one of {SIDES}")
    conflicts: list[Conflict] = []
    merged = _merge_mapping(base or {}, ours, theirs, "", prefer or "ours", conflicts)
    return merged, conflicts


def _merge_mapping(base: dict, ours: dict, theirs: dict, prefix: str, prefer: str,
                   conflicts: list[Conflict]) -> dict:
    out: dict = {}
    for key in _keys(ours, theirs, base):
        value = _merge_value(base.get(key), ours.get(key), theirs.get(key), prefix + key,
                             prefer, conflicts)
        if value is not _ABSENT:
            out[key] = value
    return out


def _keys(*maps: dict) -> list:
    """Every key, in the order of the first mapping that has it (ours, then theirs)."""
    seen: dict = {}
    for m in maps:
        for key in m:
            seen.setdefault(key, None)
    return list(seen)


def _merge_value(base: Any, ours: Any, theirs: Any, field: str, prefer: str,
                 conflicts: list[Conflict]) -> Any:
    if ours == theirs:
        return ours
    if ours == base:
        return theirs
    if theirs == base:
        return ours
    if field == "connections" and _links(ours) and _links(theirs) and _links(base or []):
        return _merge_links(base or [], ours or [], theirs or [], prefer, conflicts) or _ABSENT
    if isinstance(ours, dict) and isinstance(theirs, dict) and isinstance(base or {}, dict):
        return _merge_mapping(base or {}, ours, theirs, field + ".", prefer, conflicts) or _ABSENT
    conflicts.append(Conflict(field, base, ours, theirs))
    return ours if prefer == "ours" else theirs


def _links(value: Any) -> bool:
    return value is None or (isinstance(value, list) and all(
        isinstance(v, dict) and "to" in v and "type" in v for v in value))


def link_key(link: dict) -> str:
    """How a connection is named in a conflict: ``connections[TO TYPE]``."""
    return f"connections[{link['to']} {link['type']}]"


def field_value(record: dict, name: str) -> Any:
    """The value in ``record`` of a field as a conflict names it: ``status``, ``a.b`` for a
    key of a mapping, ``connections[TO TYPE]`` for a link (link_key), and
    ``connections[TO TYPE].key`` for one of its keys; None where there is none."""
    value: Any = record
    rest = name
    if name.startswith("connections["):
        end = name.find("]")
        if end < 0:
            return None
        to, _, kind = name[len("connections["):end].partition(" ")
        value = next((link for link in record.get("connections") or []
                      if isinstance(link, dict) and link.get("to") == to
                      and link.get("type") == kind), None)
        rest = name[end + 1:].removeprefix(".")
        if not rest:
            return value
    for part in rest.split("."):
        value = value.get(part) if isinstance(value, dict) else None
    return value


def _merge_links(base: list, ours: list, theirs: list, prefer: str,
                 conflicts: list[Conflict]) -> list:
    """Connections as a set keyed by (to, type); a link changed on both sides differently
    (its cable, say) is a conflict named after it."""
    def keyed(links: list) -> dict:
        return {(link["to"], link["type"]): link for link in links or []}

    b, o, t = keyed(base), keyed(ours), keyed(theirs)
    out = []
    for key in _keys(o, t, b):
        link = _merge_value(b.get(key), o.get(key), t.get(key),
                            link_key({"to": key[0], "type": key[1]}), prefer, conflicts)
        if link is not _ABSENT:
            out.append(link)
    return out


def with_markers(ours_text: str, theirs_text: str, ours_label: str, theirs_label: str) -> str:
    """``ours_text`` with git-style conflict markers around each run of lines where
    ``theirs_text`` differs (the two are renderings of one merge, preferring either side)."""
    a = ours_text.splitlines(keepends=True)
    b = theirs_text.splitlines(keepends=True)
    out: list[str] = []
    for op, i1, i2, j1, j2 in difflib.SequenceMatcher(None, a, b, autojunk=False).get_opcodes():
        if op == "equal":
            out.extend(a[i1:i2])
            continue
        out.append(f"<<<<<<< {ours_label}\n")
        out.extend(a[i1:i2])
        out.append("=======\n")
        out.extend(b[j1:j2])
        out.append(f">>>>>>> {theirs_label}\n")
    return "".join(out)
