"""The rules across records of `svt validate`: one function per rule, listed in :data:`RULES`.

Each rule takes a :class:`View` of the store (the records checked, plus every other component
known) and yields :class:`Finding` values. :func:`cross_checks` runs them all, keeps the
findings about the components in focus and turns them into
:class:`~svt_records.errors.Problem` values, looking up line numbers only for those.
beancount's validation module (a list of ``(entries, options) -> errors`` functions) is the
model: to add a rule, write its function, add it to :data:`RULES`, and give it a case in
tests/rules/test_cross_checks.py.
"""
from __future__ import annotations

import os
import shlex
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any, Callable, Iterable, Iterator, NamedTuple

from .. import model
from ..model import registry
from ..files import yamlio
from ..model.errors import Problem, SvtError
from ..store.layout import RECORDS, component_folder

ALLOWED_EXTRA = {f"{RECORDS}/README.md"}
UNREADABLE = "__unreadable__"  # marks a partner record that could not be read


class Record:
    """One YAML record that loaded (maybe with problems), with what the cross checks need.

    Line marks are read only when a problem is reported (most records have none)."""

    __slots__ = ("path", "data", "kind", "marks", "root")

    def __init__(self, path: str, data: dict, kind: str, marks: dict | None,
                 root: str | None = None) -> None:
        self.path, self.data, self.kind, self.marks, self.root = path, data, kind, marks, root

    def at(self, *field: Any) -> tuple[int, int]:
        if self.marks is None:
            try:
                self.marks = yamlio.load(yamlio.read_text(os.path.join(self.root or "",
                                                                       self.path))).marks
            except (OSError, yamlio.YamlError):
                self.marks = {}
        key = tuple(field)
        while key not in self.marks and key:
            key = key[:-1]
        return self.marks.get(key, (1, 1))


def _cid(path: str) -> str:
    """The component id of a path records/<type>/<ID>/..."""
    return path.split("/")[2]


class Finding(NamedTuple):
    """What a rule found; its line is looked up only if it is reported (see :func:`at`)."""

    path: str
    message: str
    ids: frozenset[str]  # the components it concerns: reported if one of them is in focus
    record: Record | None = None  # None: line 1, column 1 of ``path``
    field: tuple = ()
    severity: str = "error"

    def problem(self, rule: str) -> Problem:
        line, column = self.record.at(*self.field) if self.record is not None else (1, 1)
        return Problem(self.path, line, column, self.message, self.severity, rule)


def at(rec: Record, message: str, *field: Any, severity: str = "error",
       about: Iterable[str] = ()) -> Finding:
    """A finding in ``rec`` at ``field``, about its component and the ids in ``about``."""
    return Finding(rec.path, message, frozenset({_cid(rec.path), *about}), rec, field, severity)


@dataclass
class View:
    """The store as the rules see it."""

    records: list[Record]  # the records checked in this run
    others: list[str]  # files under records/ that are not YAML records
    given: dict[str, Record]  # components read elsewhere (the index, HEAD), by id
    components: dict[str, Record] = field(default_factory=dict)  # given + checked, by id
    events: dict[str, list[Record]] = field(default_factory=dict)  # by component id
    listed: set[str] = field(default_factory=set)  # stored files some event lists
    histories: dict[str, list[Record]] = field(default_factory=dict)  # see history()

    @classmethod
    def of(cls, records: list[Record], others: list[str],
           given: dict[str, Record] | None = None) -> "View":
        view = cls(records, others, dict(given or {}), dict(given or {}), defaultdict(list))
        for rec in records:
            if rec.kind == "component":
                view.components[_cid(rec.path)] = rec
            elif rec.kind in model.EVENT_KINDS:
                folder = "/".join(rec.path.split("/")[:4])
                view.events[_cid(rec.path)].append(rec)
                for entry in rec.data.get("files") or []:
                    if isinstance(entry, dict) and isinstance(entry.get("path"), str):
                        view.listed.add(f"{folder}/{entry['path']}")
        return view

    def readable(self) -> Iterator[tuple[str, Record]]:
        """(id, record) of the components whose record loaded."""
        return ((cid, rec) for cid, rec in self.components.items()
                if not rec.data.get(UNREADABLE))

    def partner(self, cid: Any) -> Record | None:
        return self.components.get(cid)

    def named_in(self, rec: Record, key: str) -> tuple[Any, Record | None] | None:
        """The id in ``rec``'s field ``key`` and that component's record (None: no such
        component); None if the field is empty or the record did not load (its own check
        says what is wrong)."""
        cid = rec.data.get(key)
        other = self.partner(cid) if cid else None
        if not cid or (other is not None and other.data.get(UNREADABLE)):
            return None
        return cid, other


# ---- the rules -----------------------------------------------------------------------------

def one_record_per_id(view: View) -> Iterator[Finding]:
    """An id names one component: a merge can bring the same id in under another type."""
    by_id: dict[str, dict[str, Record]] = defaultdict(dict)
    for rec in [*view.given.values(), *view.records]:
        if rec.kind == "component":
            by_id[_cid(rec.path)][rec.path] = rec
    for cid, recs in sorted(by_id.items()):
        for path, rec in sorted(recs.items()) if len(recs) > 1 else ():
            twins = ", ".join(p for p in sorted(recs) if p != path)
            yield at(rec, f"id {cid} is also used by {twins}: an id names one component; keep"
                          " one (git mv the other folder to a new id and set its id field)", "id")


def ids_differ_beyond_case(view: View) -> Iterator[Finding]:
    """Ids differ in more than case: macOS and Windows clones would merge the folders."""
    seen: dict[str, str] = {}
    for cid in sorted(view.components):
        low = cid.lower()
        if low in seen:
            yield at(view.components[cid], f"id {cid} collides with {seen[low]} (they differ only"
                     " in case, or share an id across types); rename one", "id",
                     about={seen[low]})
        else:
            seen[low] = cid


def stored_files_are_listed(view: View) -> Iterator[Finding]:
    """Every stored file is listed by an event of its component."""
    for path in view.others:
        if path in ALLOWED_EXTRA or path in view.listed:
            continue
        parts = path.split("/")
        yield Finding(path, "no record lists this file: list it in the event it belongs to,"
                            " or remove it", frozenset(parts[2:3]))


def events_have_a_component(view: View) -> Iterator[Finding]:
    """Events sit in the folder of a component that exists, beside its component.yaml (not
    in a folder of the same id under another type, as a merge may leave them when one clone
    moved the component and another recorded a test)."""
    homes = {rec.path.rsplit("/", 1)[0] for rec in view.components.values()} | {
        rec.path.rsplit("/", 1)[0] for rec in view.records if rec.kind == "component"}
    for cid, evs in view.events.items():
        if cid not in view.components:
            yield at(evs[0], f"there is no component {cid} (records/<type>/{cid}/component.yaml"
                             " is missing): restore it, or move these events to the right folder")
            continue
        home = view.components[cid].path.rsplit("/", 1)[0]
        for folder in sorted({component_folder(ev.path) or "" for ev in evs} - homes):
            first = next(ev for ev in evs if ev.path.startswith(folder + "/"))
            ctype = home.split("/")[1]
            how = (f"svt retype {cid} {ctype}" if _plain(cid) and _plain(ctype)
                   else "svt retype ID TYPE")
            yield at(first, f"{folder}/ holds events of {cid}, whose record is"
                            f" {home}/component.yaml: move them there with {how}", about={cid})


CREATED_KEY = "component_created"  # in an event: the ``created`` of the record it was made on


def _stamp(value: Any) -> str | None:
    """A ``created`` stamp as svt writes it (normalized: it goes into a command line), or None
    when it is no date (the schema says what is wrong)."""
    if not isinstance(value, str):
        return None
    try:
        return model.format_date(model.parse_date(value))
    except SvtError:
        return None


def one_part_per_record(view: View) -> Iterator[Finding]:
    """A component's events were recorded on the part its record was created for. Two clones
    that each `svt add` the same new id make two parts; merging the two records (an add/add
    conflict settled either way) joins their histories under one. Each event remembers the
    ``created`` of the record it was made on (``component_created``), which tells them apart."""
    for cid, evs in view.events.items():
        rec = view.components.get(cid)
        made = _stamp(rec.data.get("created")) if rec is not None else None
        if rec is None or made is None:
            continue
        parts: dict[str, list[Record]] = defaultdict(list)
        for ev in evs:
            stamp = _stamp(ev.data.get(CREATED_KEY))
            if stamp is not None and stamp != made:
                parts[stamp].append(ev)
        for stamp, found in sorted(parts.items()):
            yield at(found[0], _two_parts(view, cid, rec, stamp, made), CREATED_KEY)


def _two_parts(view: View, cid: str, rec: Record, stamp: str, made: str) -> str:
    ctype = rec.path.split("/")[1]
    text = (f"recorded on the {cid} created {stamp}, but {cid}'s record was created {made}:"
            f" two parts were given the id {cid} (each in its own clone) and a merge joined"
            " their records. Give this part a new id and move its events there (each with"
            f" {CREATED_KEY}: {stamp})")
    known = {c.lower() for c in view.components}
    new = next(f"{cid}-{n}" for n in range(2, 10_000) if f"{cid}-{n}".lower() not in known)
    try:
        model.check_id(new)
    except SvtError:
        new = ""
    if not (new and _plain(cid) and _plain(ctype)):
        return text + ": svt add with a new id, then svt move-events (see svt move-events -h)"
    return (text + f": svt add --id {new} --type {ctype} (and its serial number), then"
                   f" svt move-events {cid} {new} --created {stamp}")


def _plain(word: str) -> bool:
    """Safe to paste into a shell line as it is (ids and type names as svt makes them)."""
    return bool(word) and all(ch.isalnum() or ch in "._+-" for ch in word) and word.isascii()


# The events the history rules read, and the fields of each they need (checks.py keeps only
# these of a store's events in memory). The kinds that set a component's location are those
# whose registry entry changes it; each carries the new place in ``location``, or in ``to``.
LOCATION_FROM = {name: "location" if "location" in kind.keys else "to"
                 for name, kind in registry.EVENT_KINDS.items() if "location" in kind.changes}
HISTORY_KEYS = {kind: ("kind", "date", "recorded", "position", "run_period", "location", "to")
                for kind in ("install", "remove", *LOCATION_FROM)}


def history(view: View, cid: str, kinds: Iterable[str]) -> list[Record]:
    """The component's events of ``kinds`` in model.event_order (undated ones left out:
    their own check says what is wrong); ordered once per component for all the rules."""
    if cid not in view.histories:
        found = []
        for ev in view.events.get(cid, []):
            if ev.kind in HISTORY_KEYS and isinstance(ev.data.get("date"), str):
                try:
                    found.append((model.event_order(model.parse_date(ev.data["date"]),
                                                    ev.data.get("recorded"), _name(ev)), ev))
                except SvtError:
                    continue
        view.histories[cid] = [ev for _, ev in sorted(found, key=lambda m: m[0])]
    return [ev for ev in view.histories[cid] if ev.kind in kinds]


def _name(rec: Record) -> str:
    return rec.path.rsplit("/", 1)[-1]


def position_matches_history(view: View) -> Iterator[Finding]:
    """The position in component.yaml agrees with the latest install or remove event."""
    for cid, rec in view.readable():
        moves = history(view, cid, ("install", "remove"))
        data = rec.data
        latest = moves[-1] if moves else None
        if latest is not None and latest.kind == "install":
            if data.get("position") != latest.data.get("position"):
                yield at(rec, f"the latest event ({_name(latest)}) installs it at"
                              f" {latest.data.get('position')}, but position here is"
                              f" {data.get('position') or 'empty'}", "position")
            elif data.get("run_period") != latest.data.get("run_period"):
                yield at(rec, f"run_period here is {data.get('run_period')!r} but the latest"
                              f" install says {latest.data.get('run_period')!r}", "run_period")
        elif data.get("position"):
            what = "a removal" if latest is not None else "no install event"
            yield at(rec, f"position is {data['position']} but its history ends with {what}:"
                          " record the install (svt install) or clear the position", "position")


def installs_are_removed_between(view: View) -> Iterator[Finding]:
    """A component is removed before it is installed again (two clones that each installed
    it merge cleanly into two installs)."""
    for cid in view.events:
        installed = None
        for ev in history(view, cid, ("install", "remove")):
            if ev.kind == "remove":
                installed = None
                continue
            if installed is not None:
                yield at(ev, f"installs {cid} at {ev.data.get('position')}, but it is still"
                             f" installed at {installed.data.get('position')} by"
                             f" {_name(installed)}, with no removal between: delete the install"
                             f" that did not happen (git rm {ev.path}, or the earlier one)",
                         "position")
            installed = ev


def removals_follow_installs(view: View) -> Iterator[Finding]:
    """A removal ends an install: the same removal recorded twice (by two clones) is not."""
    for cid in view.events:
        last: Record | None = None
        for ev in history(view, cid, ("install", "remove")):
            if ev.kind == "remove" and (last is None or last.kind == "remove"):
                since = f" since the removal in {_name(last)}" if last is not None else ""
                yield at(ev, f"removes {cid} from {ev.data.get('position')}, but there is no"
                             f" install{since} before it: if it is the same removal recorded"
                             f" twice, delete this one (git rm {ev.path})", "position")
            last = ev


def location_matches_history(view: View) -> Iterator[Finding]:
    """The location in component.yaml agrees with the latest event that sets one (a move, or
    a removal that names where the component went)."""
    for cid, rec in view.readable():
        placed = [ev for ev in history(view, cid, LOCATION_FROM)
                  if ev.data.get(LOCATION_FROM[ev.kind])]
        if not placed:
            continue
        latest = placed[-1]
        place = latest.data[LOCATION_FROM[latest.kind]]
        here = rec.data.get("location")
        if here != place:
            keep = (f"; if it is at {here}, run `svt location {cid} {shlex.quote(here)}`"
                    " (it records that move)") if here else ""
            yield at(rec, f"location here is {here or 'empty'}, but the latest event that sets"
                          f" it ({_name(latest)}) says {place}: if it is at {place}, run `svt"
                          f" location {cid} {shlex.quote(place)}`{keep}", "location")


def installed_has_a_position(view: View) -> Iterator[Finding]:
    """Status installed goes with a position (a warning)."""
    for _, rec in view.readable():
        if rec.data.get("status") == "installed" and not rec.data.get("position"):
            yield at(rec, "status is installed but there is no position: install it with svt"
                          " install, or set another status", "status", severity="warning")


def retired_is_not_installed(view: View) -> Iterator[Finding]:
    """A retired or lost component holds no position (a warning)."""
    for _, rec in view.readable():
        data = rec.data
        if data.get("position") and data.get("status") in model.OUT_OF_SERVICE:
            yield at(rec, f"status is {data['status']} but it is installed at {data['position']}",
                     "status", severity="warning")


def parts_are_on_their_module(view: View) -> Iterator[Finding]:
    """A module's sensor and hybrid exist, have that type, and name the module back."""
    for cid, rec in view.readable():
        for part in model.MODULE_PARTS:
            named = view.named_in(rec, part)
            if named is None:
                continue
            pid, other = named
            if other is None:
                yield at(rec, f"{part} {pid} does not exist", part)
            elif other.data.get("type") != part:
                yield at(rec, f"{part} {pid} is a {other.data.get('type')}, not a {part}", part,
                         about={pid})
            elif other.data.get("module") != cid:
                yield at(rec, f"{part} {pid} says it is on"
                              f" {other.data.get('module') or 'no module'}; set module: {cid} in"
                              f" its component.yaml or remove {part} here"
                              f" (svt disassemble {cid} --only {part})", part, about={pid})


def module_lists_its_parts(view: View) -> Iterator[Finding]:
    """A part's module exists and lists the part back."""
    for cid, rec in view.readable():
        named = view.named_in(rec, "module")
        if named is None:
            continue
        mod, other = named
        ctype = rec.data.get("type")
        if other is None:
            yield at(rec, f"module {mod} does not exist", "module")
        elif other.data.get(ctype) != cid:
            yield at(rec, f"module {mod} does not list this {ctype}: set {ctype}: {cid} there,"
                          " or remove module here", "module", about={mod})


def named_ids(record: dict) -> set[str]:
    """The ids a component record names, which the rules here follow to other records: its
    parts or its module, and its connections' other ends and cables."""
    found = {record.get(key) for key in (*model.MODULE_PARTS, "module")}
    for link in record.get("connections") or []:
        if isinstance(link, dict):
            found |= {link.get("to"), link.get("cable")}
    return {cid for cid in found if isinstance(cid, str)}


def connections_are_mutual(view: View) -> Iterator[Finding]:
    """A connection's other end exists and lists the same connection back."""
    for cid, rec in view.readable():
        for i, link in enumerate(rec.data.get("connections") or []):
            if not isinstance(link, dict):
                continue
            to = link.get("to")
            other = view.partner(to)
            if other is None or not isinstance(to, str):  # ids are text
                yield at(rec, f"connection to {to}, which does not exist", "connections", i, "to")
                continue
            if other.data.get(UNREADABLE):
                continue
            back = [l for l in other.data.get("connections") or [] if isinstance(l, dict)
                    and l.get("to") == cid and l.get("type") == link.get("type")]
            if not back:
                yield at(rec, f"{to} does not list its {link.get('type')} connection to {cid}:"
                              " add it there (svt connect records both sides)",
                         "connections", i, about={to})


def connection_cables_exist(view: View) -> Iterator[Finding]:
    """The cable a connection names exists (checked when its other end exists and loaded)."""
    for _, rec in view.readable():
        for i, link in enumerate(rec.data.get("connections") or []):
            other = view.partner(link.get("to")) if isinstance(link, dict) else None
            if other is None or other.data.get(UNREADABLE):
                continue
            cable = link.get("cable")
            if cable and cable not in view.components:
                yield at(rec, f"cable {cable} does not exist", "connections", i, "cable")


def one_component_per_position(view: View) -> Iterator[Finding]:
    """A position holds one component."""
    by_position: dict[str, list[str]] = defaultdict(list)
    for cid, rec in view.readable():
        if rec.data.get("position"):
            by_position[rec.data["position"]].append(cid)
    for position, ids in by_position.items():
        if len(ids) > 1:
            for cid in sorted(ids):
                others_here = ", ".join(i for i in sorted(ids) if i != cid)
                yield at(view.components[cid], f"position {position} also holds {others_here}:"
                         " a position holds one component", "position", about=set(ids))


class Rule(NamedTuple):
    name: str  # names the rule in tests and docs
    check: Callable[[View], Iterable[Finding]]
    category: str = "consistency"  # Problem.rule: what the GitHub and GitLab reports show


RULES: tuple[Rule, ...] = (
    Rule("one-record-per-id", one_record_per_id),
    Rule("ids-differ-beyond-case", ids_differ_beyond_case),
    Rule("stored-files-are-listed", stored_files_are_listed, "files"),
    Rule("events-have-a-component", events_have_a_component),
    Rule("one-part-per-record", one_part_per_record),
    Rule("position-matches-history", position_matches_history),
    Rule("installs-are-removed-between", installs_are_removed_between),
    Rule("removals-follow-installs", removals_follow_installs),
    Rule("location-matches-history", location_matches_history),
    Rule("installed-has-a-position", installed_has_a_position),
    Rule("retired-is-not-installed", retired_is_not_installed),
    Rule("parts-are-on-their-module", parts_are_on_their_module),
    Rule("module-lists-its-parts", module_lists_its_parts),
    Rule("connections-are-mutual", connections_are_mutual),
    Rule("connection-cables-exist", connection_cables_exist),
    Rule("one-component-per-position", one_component_per_position),
)


def cross_checks(records: list[Record], others: list[str],
                 components: dict[str, Record] | None = None,
                 focus: set[str] | None = None,
                 rules: Iterable[Rule] = RULES) -> list[Problem]:
    """Rules across records. ``components`` may hold every component of the store (to check a
    few against); ``focus`` limits reports to problems involving those component ids."""
    view = View.of(records, others, components)
    return sorted(finding.problem(rule.category) for rule in rules
                  for finding in rule.check(view) if focus is None or finding.ids & focus)
