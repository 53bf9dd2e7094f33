"""``svt resolve ID...``: settle conflicted component records from git's three stages.

Each conflicting field takes one side's value (or the one ``--set`` gives); every other field
is already merged. Two things the plain choice of a side would get wrong are taken care of:

- a record's ``location`` follows its latest move (the rule of ``svt validate``): when both
  sides moved the component, the merged events decide, and the side's other value is named
  with the ``svt location`` command that records it;
- in a rebase (``git pull --rebase``) the commit being replayed is rewritten, so a value of
  it the resolution drops would leave no trace (git even drops the whole commit when nothing
  of it is left): such values are kept on record as a comment event of the component, staged
  with the record.
"""
from __future__ import annotations

import shlex
from dataclasses import dataclass, field
from typing import Any, Sequence

from . import merge
from .driver import stage_versions
from .. import model
from ..model.errors import InvalidInput, SvtError
from .merge import Conflict
from ..store.base import StoreBase
from ..store.layout import COMPONENT_FILE, RecordRead, render_record


@dataclass
class Resolution:
    """What resolving one record did."""
    component_id: str
    path: str  # its component.yaml, relative to the store
    conflicts: list[Conflict]  # the fields settled
    chosen: dict[str, str] = field(default_factory=dict)  # field -> how: ours, theirs, set
    notes: list[str] = field(default_factory=list)  # what else it did, each with its fix
    kept: str | None = None  # the comment event that keeps dropped values on record
    operation: str = "merge"  # what git is doing: merge, rebase or cherry-pick


@dataclass
class _Plan:
    resolution: Resolution
    text: bytes
    event: tuple[str, bytes] | None = None  # (path, bytes) of the comment to add


def resolve(db: StoreBase, component_ids: Sequence[str], side: str | None,
            sets: dict[str, str]) -> tuple[list[Resolution], list[str]]:
    """Settle each component's conflicted component.yaml: every conflicting field takes
    ``side``'s value, or the value ``sets`` gives it (one id only). All are checked before
    any is written; each file is written in canonical form and staged. Returns what was done,
    and the paths that still conflict."""
    db.require()
    ids = list(dict.fromkeys(component_ids))
    if not ids:
        raise InvalidInput("name the component(s) to settle: svt resolve ID... --ours")
    for cid in ids:
        model.check_id(cid)
    if side not in (None, *merge.SIDES):
        raise InvalidInput(f"side must be one of {', '.join(merge.SIDES)}")
    if sets and len(ids) > 1:
        raise InvalidInput("--set gives one record a value: settle several at once with --ours"
                           " or --theirs, or give each its value in a command of its own"
                           f" (svt resolve {ids[0]} --set FIELD=VALUE)")
    with db.locked():
        replayed, operation = db.repo.merging_commits()
        rebasing = operation == "rebase" and replayed is not None
        plans = [_plan(db, cid, side, sets, replayed if rebasing else None) for cid in ids]
        for plan in plans:
            plan.resolution.operation = operation
        for plan in plans:  # every record checked: now write them all
            if plan.event:
                rel, data = plan.event
                _write(db, rel, data)
                db.repo.add(rel)
            _write(db, plan.resolution.path, plan.text)
            db.repo.add(plan.resolution.path)
        return [plan.resolution for plan in plans], db.repo.unmerged_paths()


def _plan(db: StoreBase, cid: str, side: str | None, sets: dict[str, str],
          replayed: str | None) -> _Plan:
    rel = _conflicted_path(db, cid)
    versions = stage_versions(db.repo, rel)
    if not versions["ours"] or not versions["theirs"]:
        raise SvtError(f"{rel} was deleted on one side: keep it with `git add"
                       f" {shlex.quote(rel)}` or delete it with `git rm {shlex.quote(rel)}`")
    merged, conflicts = merge.merge_records(versions["base"], versions["ours"],
                                            versions["theirs"], prefer=side)
    open_fields = [c.field for c in conflicts if c.field not in sets]
    if open_fields and side is None:
        raise InvalidInput(f"{cid} still conflicts in {', '.join(open_fields)}: give --ours or"
                           " --theirs for those, or --set FIELD=VALUE for each")
    for name, value in sets.items():
        merged = _set(merged, name, value)
    resolution = Resolution(cid, rel, conflicts,
                            {c.field: "set" if c.field in sets else str(side) for c in conflicts})
    if any(c.field == "location" for c in conflicts):
        merged = _location_from_history(db, rel, cid, merged, resolution)
    text = render_record(rel, merged, "component")
    from ..files import schema
    problems = schema.check(merged, "component", db.schema_dir)
    if problems:
        raise InvalidInput(f"refused: {cid}: {problems[0][1]}")
    plan = _Plan(resolution, text)
    if replayed is not None:
        dropped = [c for c in conflicts if merge.field_value(merged, c.field) != c.theirs]
        if dropped:
            plan.event = _keep_on_record(db, rel, merged, dropped, replayed)
            resolution.kept = plan.event[0]
    return plan


def _location_from_history(db: StoreBase, rel: str, cid: str, merged: dict,
                           resolution: Resolution) -> dict:
    """``merged`` with the location its latest move sets (both sides' moves are in the work
    tree by now), as validate requires; a note names the value chosen, and its fix."""
    from ..rules.checks import check_files
    from ..rules.crosschecks import LOCATION_FROM, View, history
    folder = rel.rsplit("/", 1)[0]
    root = str(db.root)
    paths = sorted(f"{folder}/{p.relative_to(db.root / folder).as_posix()}"
                   for p in (db.root / folder).rglob("*.yaml")
                   if p.name != COMPONENT_FILE and not p.is_symlink())
    records, _ = check_files(root, paths, str(db.schema_dir))
    placed = [ev for ev in history(View.of(records, []), cid, LOCATION_FROM)
              if ev.data.get(LOCATION_FROM[ev.kind])]
    if not placed:
        return merged
    latest = placed[-1]
    place = latest.data[LOCATION_FROM[latest.kind]]
    chosen = merged.get("location")
    if chosen == place:
        return merged
    resolution.chosen["location"] = "the latest move"
    move = f"svt location {shlex.quote(cid)} {shlex.quote(str(chosen))}" if chosen else None
    resolution.notes.append(
        f"location: {place}, as the latest move ({latest.path.rsplit('/', 1)[-1]}) says, not"
        f" {chosen or '(empty)'}: a location follows its moves"
        + (f"; if {cid} is at {chosen}, run `{move}` once the merge or rebase is committed"
           if move else ""))
    return dict(merged, location=place)


def _keep_on_record(db: StoreBase, rel: str, merged: dict, dropped: list[Conflict],
                    replayed: str) -> tuple[str, bytes]:
    """A comment event of the component that names the values of the commit being replayed
    that the resolution dropped: git rewrites (or drops) that commit, so nothing else keeps
    them."""
    from ..store.staging import author, stage_event
    from ..store.txn import Change
    entry = db.repo.commit_entry(replayed)
    values = "; ".join(f"{c.field} {_text(c.base)} -> {_text(c.theirs)} (kept:"
                       f" {_text(merge.field_value(merged, c.field))})" for c in dropped)
    text = (f"Dropped in a rebase, kept on record: {values}, as set by commit {replayed[:10]}"
            f" ({entry.subject}; {entry.author}, {entry.date}). svt resolve settled the"
            " conflict for the branch rebased onto, so git rewrites or drops that commit.")
    component = RecordRead(db.root / rel.rsplit("/", 1)[0], rel, merged, "")
    change = Change("")
    event = {"log_type": "note", "severity": "info", "text": text,  # as svt comment writes
             "logged_by": author(db, None)}
    path = stage_event(db, change, component, kind="comment", name="comment",
                       date=model.now(), event=event)
    return path, change.contents[path]


def _text(value: Any) -> str:
    return "(absent)" if value is None else str(value)


def _write(db: StoreBase, rel: str, data: bytes) -> None:
    """Write a file under the store (its folders made), never through a symbolic link."""
    path = db.root / rel
    parent = path.parent
    for folder in [parent, *parent.parents]:
        if folder == db.root:
            break
        if folder.is_symlink():
            raise SvtError(f"refused: {db.rel(folder)} is a symbolic link; svt writes no"
                           " record through one")
    parent.mkdir(parents=True, exist_ok=True)
    from ..files.yamlio import atomic_write  # a temporary file of a new name: no link
    atomic_write(path, data)


def _conflicted_path(db: StoreBase, component_id: str) -> str:
    folder = db.find_component_dir(component_id)
    candidates = [db.rel(folder / COMPONENT_FILE)] if folder else [
        f"records/{t}/{component_id}/{COMPONENT_FILE}" for t in model.COMPONENT_TYPES]
    for rel in candidates:
        if db.repo.unmerged(rel):
            return rel
    if folder and _holds_markers(db, db.rel(folder / COMPONENT_FILE)):
        raise SvtError(f"{component_id} has no merge conflict to resolve, yet"
                       f" {db.rel(folder / COMPONENT_FILE)} holds conflict markers (committed"
                       " by mistake): edit it to keep the right lines, then commit it")
    raise SvtError(f"{component_id} has no merge conflict to resolve (git status shows what"
                   " conflicts)")


def _holds_markers(db: StoreBase, rel: str) -> bool:
    """Whether a record file holds git's conflict markers: read as stored files are (no
    link followed, a regular file, at most a record's size)."""
    from ..files.yamlio import MAX_FILE_BYTES
    from ..store.nofollow import LinkRefused, read_stored
    try:
        data = read_stored(db.root, rel, MAX_FILE_BYTES + 1)
    except (OSError, LinkRefused):
        return False
    return b"\n<<<<<<< " in b"\n" + data


def _set(record: dict, name: str, text: str) -> dict:
    """``record`` with FIELD=VALUE: a top-level field, or attributes.NAME."""
    record = dict(record)
    if name.startswith("attributes."):
        attributes = dict(record.get("attributes") or {})
        attributes[name.split(".", 1)[1]] = model.attribute_value(text)
        record["attributes"] = attributes
    elif name in ("id", "type", "connections", "attributes", *model.MODULE_PARTS, "module"):
        raise InvalidInput(f"--set cannot write {name}: use --ours or --theirs for it, or"
                           " edit the file and `git add` it")
    else:
        record[name] = text if text != "" else None
    return record

