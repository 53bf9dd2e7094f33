"""`svt positions`: what is installed where in the detector, now, at a past moment or in a
run period, with the latest verdict of each test type of each component, and its health."""
from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Iterable, NamedTuple

from .. import model
from ..model.errors import InvalidInput, SvtError
from ..store.base import StoreBase
from .rows import Skipped, skipped_of

if TYPE_CHECKING:  # imported where used
    from .queries import Index, TestRow

# health: model.overall_health of verdicts, each test type's latest verdict
# (model.latest_by_type); tested: the date of the latest test of any type
FIELDS = ("position", "component", "type", "since", "until", "run_period", "health",
          "verdicts", "tested")


def layout(config: dict) -> list[str]:
    """The configured positions in detector order: svt.yaml's ``detector`` (``febs``: how
    many FEBs, default model.DEFAULT_FEB_COUNT; ``positions``: other types' positions)."""
    detector = config.get("detector") or {}
    return model.detector_positions(detector.get("febs", model.DEFAULT_FEB_COUNT),
                                    detector.get("positions") or {})


class Positions(NamedTuple):
    """What :func:`positions` found."""

    rows: list[dict]  # one per position and component there (two or more in a clash)
    clashes: dict[str, list[str]]  # position -> the components there, when more than one
    skipped: list[Skipped]  # record files left out: they failed to load


def positions(db: StoreBase, *, run_period: str | None = None, at: str | None = None
              ) -> list[dict]:
    """:func:`survey`'s rows (the site's detector pages)."""
    return survey(db, run_period=run_period, at=at).rows


def survey(db: StoreBase, *, run_period: str | None = None, at: str | None = None) -> Positions:
    """One row per configured position (then any other occupied position, by name): the
    component there, since when, the latest verdict of each of its test types and its
    health (model.verdicts), and when it was last tested; a position that two components claim
    (a clash, after a merge: svt validate refuses it) has a row for each. Now from the
    component records; at a moment (``at``; a day alone means its end) or for a run period
    (the last component installed there for it, and until when) from the install and remove
    events, replayed in model.event_order.

    Now, the index is refreshed for the component records alone, and the tests of the
    installed components (a few hundred of the store's) are read from their folders, as
    `svt show` lists them; the past needs every install and remove, so the index is
    refreshed for the events too, once: every query then reads it as it is now."""
    db.require()
    from .queries import Index
    index = Index(db)
    moment = model.date_bound(at, end=True, what="--at date") if at else None
    skipped: list[Skipped] = []
    held: dict[str, list[dict]] = {}
    if run_period is None and moment is None:
        index.refresh(events=False)
        folders = {}
        for folder, record in index.installed():
            held.setdefault(record["position"], []).append({
                "component": record["id"], "type": record["type"],
                "since": record.get("installed_date"), "until": None,
                "run_period": record.get("run_period")})
            folders[record["id"]] = folder
        skipped += index.unreadable("components")  # any of them may be installed
        tests = _tests_in_folders(db, folders, skipped)
    else:
        index.refresh()
        held = _replay(db, index, run_period, moment, skipped)
        components = {h["component"] for there in held.values() for h in there}
        tests = index.tests_of(components)
        skipped += [s for s in index.unreadable("events") if s.path.split("/")[2] in components]
    latest, tested = _latest_tests(db, tests, moment)
    names = layout(db.config)
    configured = set(names)
    names += sorted(p for p in held if p not in configured)
    rows = []
    for name in names:
        occupants: list[dict | None] = [None]
        for there in held.get(name) or occupants:
            row = dict.fromkeys(FIELDS)
            row["position"] = name
            if there is not None:
                row.update(there)
                verdicts = latest.get(there["component"], {})
                row.update(health=model.overall_health(verdicts), verdicts=verdicts,
                           tested=tested.get(there["component"]))
            rows.append(row)
    clashes = {name: sorted(h["component"] for h in there) for name, there in held.items()
               if len(there) > 1}
    return Positions(rows, clashes, sorted(set(skipped)))


def _replay(db: StoreBase, index: Index, run_period: str | None, moment: datetime | None,
            skipped: list[Skipped]) -> dict[str, list[dict]]:
    """Who was at each position (a list: two or more in a clash), from the install and
    remove events; the files that fail to load are added to ``skipped``."""
    events = []
    for path, in index.db.execute("SELECT path FROM events WHERE kind IN ('install', 'remove')"
                                  " AND error IS NULL"):
        try:
            event = db.load(path)
        except SvtError as exc:
            skipped.append(skipped_of(path, exc))  # svt validate says more
            continue
        when = model.parse_date(event["date"])
        events.append((model.event_order(when, event.get("recorded"), path.rsplit("/", 1)[-1]),
                       path.split("/")[1], event))
    events.sort(key=lambda e: e[0])
    there: dict[str, list[dict]] = {}  # position -> who is there (more than one: a clash)
    where: dict[str, str] = {}  # component -> its position
    in_period: dict[str, list[dict]] = {}  # position -> the last installed for run_period
    periods = set()
    for (utc, _, _), ctype, event in events:
        if moment is not None and utc > moment:
            break
        cid = event["component"]
        if event["kind"] == "install":
            periods.add(event.get("run_period"))
            entry = {"component": cid, "type": ctype, "since": event["date"], "until": None,
                     "run_period": event.get("run_period")}
            position = event["position"]
            # another component still there, never removed: both claim it (a clash)
            there[position] = [e for e in there.get(position, []) if e["component"] != cid
                               and where.get(e["component"]) == position] + [entry]
            where[cid] = position
            if run_period is not None and event.get("run_period") == run_period:
                in_period[position] = [e for e in in_period.get(position, [])
                                       if e in there[position]] + [entry]
        else:
            position = where.pop(cid, None) or event.get("position")
            if not isinstance(position, str):
                continue  # removed from no known position: nothing to end
            for current in there.get(position, []):
                if current["component"] == cid:
                    current["until"] = event["date"]
                    there[position].remove(current)
                    if not there[position]:
                        del there[position]
                    break
    if run_period is None:
        return there
    if run_period not in periods:
        known = ", ".join(sorted(p for p in periods if p)) or "none"
        raise InvalidInput(f"no installation names run period {run_period!r}"
                           f"{' by then' if moment else ''}: the run periods are {known}")
    return in_period


def _tests_in_folders(db: StoreBase, folders: dict[str, str],
                      skipped: list[Skipped]) -> list[TestRow]:
    """The readable tests in the folders of these components ({id: folder}) that name it,
    as the index's event rows have them (index_rows.event_row); the files that fail to
    load are added to ``skipped``."""
    from .rows import event_row
    rows: list[TestRow] = []
    for cid, folder in sorted(folders.items()):
        for path in db.event_files(db.root / folder):
            row = event_row(db.rel(path), str(path))
            if row.error is not None:
                skipped.append(Skipped(row.path, row.error))
            elif row.kind == "test" and row.component == cid:
                rows.append((cid, row.path, str(row.utc), str(row.name), row.result,
                             str(row.date)))
    return rows


def _latest_tests(db: StoreBase, tests: Iterable[TestRow], moment: datetime | None
                  ) -> tuple[dict[str, dict[str, str | None]], dict[str, str]]:
    """Each component's latest verdict of each test type, and the date of its latest test
    (as of ``moment``)."""
    from .queries import latest_verdicts
    kept = [t for t in tests if moment is None
            or model.to_utc(model.parse_date(t[5])) <= moment]
    tested: dict[str, tuple[str, str]] = {}  # component -> (utc, date) of its latest test
    for cid, _, utc, _, _, date in kept:
        if cid not in tested or utc > tested[cid][0]:
            tested[cid] = (utc, date)
    return latest_verdicts(db, kept), {cid: date for cid, (_, date) in tested.items()}
