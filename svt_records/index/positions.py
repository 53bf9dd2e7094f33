"""`svt positions`: what is installed where in the detector, now, at a past moment or in a
run period, with each component's latest test verdict."""
from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Iterable, Tuple

from .. import model
from ..model.errors import InvalidInput, SvtError
from ..store.base import StoreBase

if TYPE_CHECKING:  # imported where used
    from .queries import Index

FIELDS = ("position", "component", "type", "since", "until", "run_period", "test_type",
          "result", "tested")
# a test as the latest-test rule reads it: component, path, UTC date, test type, result, date
TestRow = Tuple[str, str, str, str, "str | None", str]


def layout(config: dict) -> list[str]:
    """The configured positions in detector order: svt.yaml's ``detector`` (``febs``: how
    many FEBs, default model.DEFAULT_FEB_COUNT; ``positions``: other types' positions)."""
    detector = config.get("detector") or {}
    return model.detector_positions(detector.get("febs", model.DEFAULT_FEB_COUNT),
                                    detector.get("positions") or {})


def positions(db: StoreBase, *, run_period: str | None = None, at: str | None = None) -> list[dict]:
    """One row per configured position (then any other occupied position, by name): the
    component there, since when, and its latest test. Now from the component records; at a
    moment (``at``; a day alone means its end) or for a run period (the last component
    installed there for it, and until when) from the install and remove events, replayed in
    model.event_order.

    Now, the index is refreshed for the component records alone, and the tests of the
    installed components (a few hundred of the store's) are read from their folders, as
    `svt show` lists them; the past needs every install and remove, so the index is
    refreshed for the events too, once: every query then reads it as it is now."""
    db.require()
    from .queries import Index
    index = Index(db)
    moment = model.date_bound(at, end=True, what="--at date") if at else None
    if run_period is None and moment is None:
        index.refresh(events=False)
        held, folders = {}, {}
        for folder, record in index.installed():
            held[record["position"]] = {
                "component": record["id"], "type": record["type"],
                "since": record.get("installed_date"), "until": None,
                "run_period": record.get("run_period")}
            folders[record["id"]] = folder
        tests = _tests_in_folders(db, folders)
    else:
        index.refresh()
        held = _replay(db, index, run_period, moment)
        tests = index.tests_of({h["component"] for h in held.values()})
    latest = _latest_tests(db, tests, moment)
    names = layout(db.config)
    configured = set(names)
    names += sorted(p for p in held if p not in configured)
    rows = []
    for name in names:
        row = dict.fromkeys(FIELDS)
        row["position"] = name
        if name in held:
            row.update(held[name])
            row.update(latest.get(held[name]["component"], {}))
        rows.append(row)
    return rows


def _replay(db: StoreBase, index: Index, run_period: str | None,
            moment: datetime | None) -> dict[str, dict]:
    events = []
    for path, in index.db.execute("SELECT path FROM events WHERE kind IN ('install', 'remove')"
                                  " AND error IS NULL"):
        try:
            event = db.load(path)
        except SvtError:
            continue  # svt validate reports it
        when = model.parse_date(event["date"])
        events.append((model.event_order(when, event.get("recorded"), path.rsplit("/", 1)[-1]),
                       path.split("/")[1], event))
    events.sort(key=lambda e: e[0])
    there: dict[str, dict] = {}  # position -> who is there
    where: dict[str, str] = {}  # component -> its position
    in_period: dict[str, dict] = {}  # position -> the last installed for run_period
    periods = set()
    for (utc, _, _), ctype, event in events:
        if moment is not None and utc > moment:
            break
        cid = event["component"]
        if event["kind"] == "install":
            periods.add(event.get("run_period"))
            entry = {"component": cid, "type": ctype, "since": event["date"], "until": None,
                     "run_period": event.get("run_period")}
            there[event["position"]] = entry
            where[cid] = event["position"]
            if run_period is not None and event.get("run_period") == run_period:
                in_period[event["position"]] = entry
        else:
            position = where.pop(cid, None) or event.get("position")
            if not isinstance(position, str):
                continue  # removed from no known position: nothing to end
            current = there.get(position)
            if current is not None and current["component"] == cid:
                current["until"] = event["date"]
                del there[position]
    if run_period is None:
        return there
    if run_period not in periods:
        known = ", ".join(sorted(p for p in periods if p)) or "none"
        raise InvalidInput(f"no installation names run period {run_period!r}"
                           f"{' by then' if moment else ''}: the run periods are {known}")
    return in_period


def _tests_in_folders(db: StoreBase, folders: dict[str, str]) -> list[TestRow]:
    """The readable tests in the folders of these components ({id: folder}) that name it,
    as the index's event rows have them (index_rows.event_row)."""
    from .rows import event_row
    rows: list[TestRow] = []
    for cid, folder in sorted(folders.items()):
        for path in db.event_files(db.root / folder):
            row = event_row(db.rel(path), str(path))
            if row.error is None and row.kind == "test" and row.component == cid:
                rows.append((cid, row.path, str(row.utc), str(row.name), row.result,
                             str(row.date)))
    return rows


def _latest_tests(db: StoreBase, tests: Iterable[TestRow],
                  moment: datetime | None) -> dict[str, dict]:
    """Each component's latest test (as of ``moment``): type, result and date."""
    best: dict[str, list[tuple[str, str, str, str | None, str]]] = {}
    for cid, path, utc, name, result, date in tests:
        if moment is not None and model.to_utc(model.parse_date(date)) > moment:
            continue
        row = (utc, path, name, result, date)
        if cid not in best or utc > best[cid][0][0]:
            best[cid] = [row]
        elif utc == best[cid][0][0]:
            best[cid].append(row)
    out = {}
    for cid, rows in best.items():
        if len(rows) > 1:  # the same date: when svt recorded them decides, as everywhere
            rows.sort(key=lambda r: _order(db, r[1]))
        _, _, name, result, date = rows[-1]
        out[cid] = {"test_type": name, "result": result, "tested": date}
    return out


def _order(db: StoreBase, path: str) -> tuple:
    try:
        event = db.load(path)
    except SvtError:
        return (model.parse_date("0001-01-01T00:00:00+00:00"), "", path)
    return model.event_order(model.parse_date(event["date"]), event.get("recorded"),
                             path.rsplit("/", 1)[-1])
