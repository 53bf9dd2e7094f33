"""Moving a component's records as one commit: ``svt retype ID TYPE`` (its type changes, so
its whole folder moves to records/<TYPE>/<ID>/) and ``svt move-events FROM TO --created
STAMP`` (the events of one part move to the record of another, after two parts were given
one id in two clones: rule one-part-per-record).

Both are one :class:`~svt_records.store.txn.Change`: each file is written at its new path and
deleted at its old one, compared with what was read, so a file edited meanwhile stops the
change and nothing is half-moved. Events under the id's folder of another type (left there
when a merge met a retype: rule events-have-a-component) are moved by ``svt retype`` too.
"""
from __future__ import annotations

import os
import shlex
import stat
from pathlib import Path
from typing import TYPE_CHECKING, NamedTuple

from .. import model
from ..files import schema
from ..model.errors import InvalidInput, NotFoundError, RuleViolation, SvtError
from ..rules.crosschecks import CREATED_KEY
from ..rules.safety import is_plain_file_name
from ..store.layout import COMPONENT_FILE, RECORDS, RecordRead
from ..store.txn import Change

if TYPE_CHECKING:
    from ..store.base import StoreBase

MAX_FILES = 100_000  # files one component folder may hold for a move (bounds the work)


class Moved(NamedTuple):
    """What a move wrote: the commit, and (old path, new path) of each file moved."""

    commit: str
    files: list[tuple[str, str]]


def retype(db: StoreBase, component_id: str, new_type: str) -> Moved:
    """Make ``component_id`` a ``new_type``: its record, events and stored files move to
    records/<new_type>/<id>/ in one commit, and events of the id left under another type's
    folder move with them."""
    db.require()
    model.check_id(component_id)
    model.check_type(new_type, db.enums)
    with db.locked():
        read = db.read_component(component_id)
        old_type = read.data["type"]
        home = f"{RECORDS}/{new_type}/{component_id}"
        sources = [f"{RECORDS}/{t}/{component_id}" for t in db.enums.component_types
                   if t != new_type and os.path.lexists(db.root / RECORDS / t / component_id)]
        if not sources:
            raise InvalidInput(f"nothing to change: {component_id} is a {new_type} already,"
                               f" and no other folder holds its events")
        if old_type != new_type:
            _refuse_joined(db, component_id, new_type, read)
        change = Change(f"retype {component_id}: {old_type} -> {new_type}" if old_type != new_type
                        else f"retype {component_id}: move its events into {home}/")
        moved = []
        for folder in sources:
            for rel in _files(db, folder, home, new_type):
                new = f"{home}/{rel[len(folder) + 1:]}"
                if rel == read.path:
                    record = dict(read.data, type=new_type)
                    change.contents[new] = db.record_bytes(new, record, "component")
                    change.expected[rel] = read.text
                else:
                    _move_bytes(db, change, rel, new)
                change.deletions.append(rel)
                moved.append((rel, new))
        return Moved(db.commit(change), moved)


def _refuse_joined(db: StoreBase, cid: str, new: str, read: RecordRead) -> None:
    """A type change that would leave an installation or an assembly wrong is refused with
    the command that undoes it first (each such command works as pasted)."""
    data = read.data
    if data.get("position"):
        raise RuleViolation(f"{cid} is installed at {data['position']}: remove it first"
                            f" (svt remove {cid}), then retype it")
    parts = [p for p in model.MODULE_PARTS if data.get(p)]
    if parts and new != "module":
        held = " and ".join(parts)
        how = (f"disassemble it first (svt disassemble {cid})" if data["type"] == "module" else
               f"delete its {held} line(s) from {read.path} first, commit")  # (modules only)
        raise RuleViolation(f"{cid} holds its {held}; a {new} holds none: {how}, then retype it")
    module = data.get("module")
    if module:
        raise RuleViolation(f"{cid} is on module {module}: {_taking_off(db, cid, module, read)},"
                            " then retype it")


def _taking_off(db: StoreBase, cid: str, module: object, read: RecordRead) -> str:
    """How to take ``cid`` off ``module``: the disassembly of the module's part that names it
    (its slot, which need not be ``cid``'s type after a merge or a hand edit), or, when the
    module does not list it, the hand edit of its dangling link."""
    holder: dict = {}
    try:  # the id goes into a command line: only an id as svt makes them
        holder = db.read_component(model.check_id(str(module))).data
    except (InvalidInput, NotFoundError):
        pass  # no such module: the link dangles (an unreadable one says what to fix)
    slot = next((p for p in model.MODULE_PARTS if holder.get(p) == cid), None)
    if holder.get("type") != "module" or slot is None:
        return (f"it does not list {cid} as a part, so delete the module line from {read.path}"
                " first, commit")
    how = f"svt disassemble {module} --only {slot}"
    if holder.get("position"):  # disassemble refuses an installed module
        how = f"svt remove {module}, then {how}"
    return f"take its {slot} off first ({how})"


def move_events(db: StoreBase, from_id: str, to_id: str, created: str) -> Moved:
    """Move the events of ``from_id`` recorded on the part created at ``created`` (their
    ``component_created``), with their stored files, to ``to_id``, in one commit: each then
    names ``to_id`` and its record's ``created``."""
    db.require()
    model.check_id(from_id)
    model.check_id(to_id, "new component id")
    stamp = model.parse_date(created, "--created")
    with db.locked():
        if from_id == to_id:
            raise InvalidInput("give two different ids: the events move from the first to the"
                               " second")
        source, target = db.read_component(from_id), db.read_component(to_id)
        if source.data["type"] != target.data["type"]:
            raise RuleViolation(f"{from_id} is a {source.data['type']} but {to_id} a"
                                f" {target.data['type']}: events move only to a part of the"
                                f" same type; give the part a new id of type"
                                f" {source.data['type']} and move them there")
        change = Change(f"move-events {from_id} -> {to_id}: the part created"
                        f" {model.format_date(stamp)}")
        moved: list[tuple[str, str]] = []
        for path in db.event_files(source.folder):
            rel = db.rel(path)
            event = db.read(rel, check=False)
            mark, kind = event.data.get(CREATED_KEY), event.data.get("kind")
            if not isinstance(mark, str) or not _same(mark, stamp):
                continue
            if kind not in model.EVENT_KINDS:
                raise InvalidInput(f"{rel} has kind {kind!r}, no event kind: fix it (svt"
                                   " validate says how), then run the command again")
            new = f"{db.rel(target.folder)}/{rel.split('/', 3)[3]}"
            data = dict(event.data, component=to_id)
            data.pop(CREATED_KEY, None)
            if target.data.get("created") and schema.knows_field(kind, CREATED_KEY,
                                                                  db.schema_dir):
                data[CREATED_KEY] = target.data["created"]
            change.contents[new] = db.record_bytes(new, data, kind)
            change.expected[rel] = event.text
            change.deletions.append(rel)
            moved.append((rel, new))
            folder = rel.rsplit("/", 1)[0]
            for entry in event.data.get("files") or []:
                name = entry.get("path") if isinstance(entry, dict) else None
                if isinstance(name, str) and is_plain_file_name(name):  # as validate says
                    old, dest = f"{folder}/{name}", f"{new.rsplit('/', 1)[0]}/{name}"
                    _move_bytes(db, change, old, dest)
                    change.deletions.append(old)
                    moved.append((old, dest))
        if not moved:
            raise InvalidInput(f"no event of {from_id} was recorded on the part created"
                               f" {model.format_date(stamp)} (svt validate names the stamp of"
                               " each part's events)")
        return Moved(db.commit(change), moved)


def _same(mark: str, stamp: object) -> bool:
    try:
        return model.parse_date(mark) == stamp
    except SvtError:
        return False


def _move_bytes(db: StoreBase, change: Change, old: str, new: str) -> None:
    """``old`` written unchanged at ``new`` (and refused if it changes before the commit)."""
    path = db.root / old
    try:
        mode = os.lstat(path).st_mode
    except FileNotFoundError:
        raise SvtError(f"{old} is missing from the work tree: restore it (git checkout --"
                       f" {shlex.quote(old)}), then run the command again") from None
    if not stat.S_ISREG(mode):
        raise SvtError(f"{old} is not a regular file (a symbolic link?): svt never follows"
                       " links in records/; replace it with the real file, then run it again")
    data = path.read_bytes()
    if old.endswith(".yaml"):
        change.contents[new] = data
    else:  # a stored file: copied as it is on disk (filters such as Git LFS apply)
        change.copies[new] = Path(path)
    change.expected[old] = data


def _files(db: StoreBase, folder: str, home: str, new_type: str) -> list[str]:
    """Every file under a component folder (relative to the store), links refused; too many
    for one change are refused with how to move them to ``home`` by hand."""
    found: list[str] = []
    stack = [folder]
    while stack:
        rel = stack.pop()
        full = db.root / rel
        mode = os.lstat(full).st_mode
        if stat.S_ISLNK(mode):
            raise SvtError(f"{rel} is a symbolic link: svt never follows links in records/;"
                           " replace it with the real file or folder, then run it again")
        if stat.S_ISDIR(mode):
            stack += [f"{rel}/{name}" for name in sorted(os.listdir(full))]
        elif stat.S_ISREG(mode):
            found.append(rel)
            if len(found) > MAX_FILES:
                raise SvtError(f"{folder} holds more than {MAX_FILES} files: move its files"
                               f" to {home}/ by hand (git mv), set type: {new_type} in its"
                               f" {COMPONENT_FILE}, and commit")
        else:
            raise SvtError(f"{rel} is not a regular file: remove it, then run it again")
    if f"{folder}/{COMPONENT_FILE}" in found:
        found.remove(f"{folder}/{COMPONENT_FILE}")
        found.insert(0, f"{folder}/{COMPONENT_FILE}")
    return found

