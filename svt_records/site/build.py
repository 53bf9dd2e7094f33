"""Building the site: gather what each page shows, render the pages whose inputs changed,
draw the plots whose data changed.

The steps, each in a module of its own: the last build's manifest and what changed since
(manifest.py); each component's page data and digest (component_data.py), its commits
(commits.py), its page and label (component_pages.py); the plots (drawing.py) and the
store-wide pages (pages.py), made from the digests; OUT's files and the rule by which one
is kept (outputs.py).
"""
from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path

from ..analysis import testtypes
from ..model.errors import InvalidInput
from ..store.base import StoreBase
from ..store.layout import RECORDS
from . import COMPONENTS_DIR, drawing, labels, pages, require_extras
from .commits import component_commits
from .component_data import ComponentInput
from .component_pages import ComponentPages, make_all, missing
from .forge_links import site_project
from .manifest import changes, forget, read_manifest, validation_problems, write_manifest
from .outputs import BuildResult, SiteOutputs
from .paths import FILES_DIR, IV_DIR, LABELS_DIR
from .refusals import refuse_out, refuse_unsafe

PARALLEL_FROM = 200  # components; fewer are read and rendered in this process
# a full build renders the pages from the full validation's parse of every event up to this
# many components (about 15 KB each held in memory); above it each page reads its own again
SHARED_PARSE_UP_TO = 30_000
# the digest fields each store-wide part is made of: when no component changed them, the
# part's pages and plots are kept without working out their inputs again
TESTS_PART = ("type", "tests", "iv")  # tests/: the results tables and the trend plots
MAP_PART = ("status", "tests", "moves", "position", "periods")  # map.html
MOVES_PART = ("moves", "position", "periods")  # who is where: positions.py asked again
NO_LABELS = "no labels: their QR codes need segno ({}); the pages are built without them"


def build(db: StoreBase, out: str | os.PathLike, *, full: bool = False,
          jobs: int | None = None) -> BuildResult:
    """Build (or bring up to date) the site of ``db`` in ``out``."""
    require_extras()
    db.require()
    target = Path(os.path.abspath(os.path.expanduser(str(out))))
    records = (db.root / RECORDS).resolve()
    if target.resolve() == records or records in target.resolve().parents:
        raise InvalidInput(f"{out} is inside the store's records/: build the site elsewhere"
                           " (e.g. svt site public)")
    if target.exists() and not target.is_dir():
        raise InvalidInput(f"{out} is a file: give a folder for the site")
    refuse_out(db, target, out)
    jobs = jobs or min(os.cpu_count() or 1, 4)
    test_types = testtypes.definitions(db.config)  # svt.yaml's test_types
    with_labels = labels.available()  # segno is there: draw labels
    old = {} if full else read_manifest(target, db)
    outputs = SiteOutputs(target, old)
    result = outputs.result
    # every page links its label or none: with segno come or gone, every page is made again
    # every page links the store's project on the forge (its web address, its issue forms):
    # with another remote or another set of forms, every page is made again too. The remote
    # is asked once, here: every page's links are made from this
    project = site_project(db.repo.remote_url(), db.main_branch, db.root)
    links = project.key()
    relabel = bool(old) and (old.get("labels") != with_labels or old.get("links") != links)
    result.full = not old
    site_url = db.config.get("site_url") or None
    if not with_labels:
        from ..files.install import pip_command
        result.notes.append(NO_LABELS.format(pip_command("labels")))
    from ..index.queries import Index
    index = Index(db)
    index.refresh()
    head = db.repo.head()
    rows = index.db.execute("SELECT id, type, path, data, error FROM components"
                            " ORDER BY type, id").fetchall()
    changed, dirty, paths = changes(db, index, old, head)
    if changed is None:
        old.pop("digests", None)
        result.full = True
    folders = {row[0]: row[2].rsplit("/", 1)[0] for row in rows}
    # every page made again: the whole history's log runs on the other core meanwhile
    whole_log = db.repo.start_full_log([RECORDS]) if (changed is None or relabel) and \
        len(rows) > PARALLEL_FROM else None
    # the full validation's parse of every event, for the pages; None: each reads its own
    events: dict[str, dict] | None = None
    if changed is None and len(rows) <= SHARED_PARSE_UP_TO:
        events = {}
    problems = validation_problems(db, old, changed, folders, index, paths, events)
    # links and unsafe names: nothing is built, whatever else validation says
    refuse_unsafe([(row[0], row[2]) for row in rows], problems)
    target.mkdir(parents=True, exist_ok=True)
    by_component: dict[str, list[list]] = {}
    site_problems: list[list] = []
    for p in problems:
        parts = p[0].split("/")
        if parts[0] == RECORDS and len(parts) >= 4:
            by_component.setdefault(parts[2], []).append(p)
        else:
            site_problems.append(p)
    old_digests: dict[str, dict] = old.get("digests") or {}
    old_problems: dict[str, list] = old.get("component_problems") or {}
    present = {row[0] for row in rows}
    todo = []
    for cid, ctype, path, data, error in rows:
        if (changed is None or relabel or cid in changed or cid not in old_digests
                or old_digests[cid].get("type") != ctype
                or old_problems.get(cid, []) != by_component.get(cid, [])
                or missing(outputs, cid, with_labels)):
            todo.append((cid, ctype, path, data, error))
    result.components = len(rows)
    # (more than PARALLEL_FROM: always so where whole_log was started)
    commits = component_commits(db, [(cid, path) for cid, _, path, _, _ in todo], whole_log,
                                many=len(todo) > PARALLEL_FROM)
    outputs_old = old.get("outputs") or {}
    items = [ComponentInput(cid, ctype, path, json.loads(data) if data and not error else None,
                            error, commits.get(cid, []), by_component.get(cid, []))
             for cid, ctype, path, data, error in todo]
    digests = {cid: d for cid, d in old_digests.items() if cid in present}
    page_hashes = {cid: outputs_old[f"{COMPONENTS_DIR}/{cid}.html"] for cid in digests
                   if f"{COMPONENTS_DIR}/{cid}.html" in outputs_old}
    label_hashes = {cid: outputs_old[f"{LABELS_DIR}/{cid}.svg"] for cid in digests
                    if f"{LABELS_DIR}/{cid}.svg" in outputs_old} if with_labels else {}
    component_pages = ComponentPages(outputs, db, test_types, events,
                                     with_labels, site_url, jobs, project.forge)
    for cid, digest, digest_hash, _, label_hash, label_wrote in make_all(
            component_pages, items, PARALLEL_FROM):
        digests[cid] = digest
        page_hashes[cid] = digest_hash
        if label_hash is not None:
            label_hashes[cid] = label_hash
            if label_wrote:
                result.labels_written += 1
                result.written.append(f"{LABELS_DIR}/{cid}.svg")
    result.labels_kept = len(label_hashes) - result.labels_written
    for cid, label_hash in label_hashes.items():
        outputs.hashes[f"{LABELS_DIR}/{cid}.svg"] = label_hash
    for cid in set(old_digests) - present:  # a component that is gone
        for rel in (f"{COMPONENTS_DIR}/{cid}.html", f"{IV_DIR}/{cid}.png",
                    f"{LABELS_DIR}/{cid}.svg"):
            outputs.remove(rel)
        outputs.remove(f"{FILES_DIR}/{cid}", tree=True)
    for cid, digest_hash in page_hashes.items():
        outputs.hashes[f"{COMPONENTS_DIR}/{cid}.html"] = digest_hash
    # the components whose digest may differ from the last build's
    touched = None if not old_digests else \
        {item.cid for item in items} | (set(old_digests) - present)

    def changed_part(fields: tuple[str, ...]) -> bool:
        return touched is None or any((old_digests.get(cid) or {}).get(f) !=
                                      (digests.get(cid) or {}).get(f)
                                      for cid in touched for f in fields)
    def kept(prefix: str) -> bool:  # what the last build wrote there is all still there
        return all(outputs.still_there(rel) for rel in outputs_old if rel.startswith(prefix))
    # the components table first: in a big store, rendered by another process meanwhile
    table_rows = pages.components_page(outputs, db, digests, jobs,
                                       None if relabel else old.get("table_rows"))
    series, plots = None, None
    if changed_part(TESTS_PART) or "tests" not in old or not kept("tests/"):
        series, plots = _trend(outputs, digests, old_digests, touched, test_types)
    # the plots are drawn by a pool of their own while this process writes the store's pages
    try:
        plotted = drawing.draw_all(outputs, db.root, jobs, digests, series, touched, test_types)
    except BaseException:
        outputs.finish_aside()
        raise
    try:
        tests_summary, map_rows = pages.store_pages(
            outputs, db, index, digests, problems, site_problems, plots, project=project,
            map_changed=changed_part(MAP_PART) or not kept("map.html"),
            moves_changed=changed_part(MOVES_PART))
    finally:
        plotted()
    _static(outputs)
    forget(outputs, outputs_old)
    write_manifest(outputs, store=db.root, commit=head, labels=with_labels, links=links, dirty=dirty,
                   outputs=outputs.hashes, digests=digests, problems=problems,
                   component_problems=by_component, map_rows=map_rows, tests=tests_summary,
                   table_rows=table_rows, plots=plots if plots is not None else
                   old.get("plots") or {}, on_main=db.repo.current_branch() == db.main_branch)
    result.problems = len(problems)
    return result


def _trend(outputs: SiteOutputs, digests: dict[str, dict], old_digests: dict[str, dict],
           touched: set[str] | None, test_types: dict) -> tuple[dict, dict]:
    """(the trend series to draw, each test type's plots for its page). Only the test types
    of the touched components' tests (before or after) are worked out again, from the
    components with a test of those types; the others' plots are the last build's (the
    manifest keeps them, without their points), their files kept."""
    before: dict[str, list[dict]] = outputs.old.get("plots") or {}
    old_outputs = outputs.old.get("outputs") or {}
    again: set[str] | None = None
    if touched is not None and isinstance(before, dict):
        again = set()
        for cid in touched:  # the types of the tests that changed (all: its type did)
            was, now_ = old_digests.get(cid) or {}, digests.get(cid) or {}
            tests = {str(t[0]) for d in (was, now_) for t in d.get("tests") or []}
            again |= tests if was.get("type") != now_.get("type") else \
                {t for t in tests if _of_type(was, t) != _of_type(now_, t)}
        # a type whose last plots are not all there (or not known) is worked out again
        again |= {t for t, plots in before.items() if not isinstance(plots, list) or not all(
            isinstance(p, dict) and outputs.still_there(str(p.get("rel"))) for p in plots)}
        now = {str(t[0]) for d in digests.values() for t in d["tests"]}
        if now - set(before) - again:
            again = None
    if again is None:
        series = drawing.trend_series(digests, test_types)
        return series, _without_points(series)
    some = {cid: d for cid, d in digests.items() if any(str(t[0]) in again for t in d["tests"])}
    series = {t: plots for t, plots in drawing.trend_series(some, test_types).items()
              if t in again}
    plots = {}
    for test_type in sorted(now | set(series)):
        if test_type in series:
            plots[test_type] = _without_points({test_type: series[test_type]})[test_type]
            continue
        plots[test_type] = before[test_type]
        for plot in before[test_type]:
            outputs.hashes[plot["rel"]] = old_outputs[plot["rel"]]
            outputs.result.plots_kept += 1
    return series, plots


def _of_type(digest: dict, test_type: str) -> list:
    return [t for t in digest.get("tests") or [] if str(t[0]) == test_type]


def _without_points(series: dict[str, list[dict]]) -> dict[str, list[dict]]:
    return {t: [{k: v for k, v in p.items() if k != "points"} for p in plots]
            for t, plots in series.items()}


def _static(outputs: SiteOutputs) -> None:
    from importlib import resources
    base = resources.files("svt_records.site") / "static"
    for name in ("site.css", "table.js", "map.js"):
        data = (base / name).read_bytes()
        rel = f"static/{name}"
        outputs.hashes[rel] = hashlib.sha256(data).hexdigest()[:32]
        target = outputs.out / rel
        if target.is_symlink() or not target.is_file() or target.read_bytes() != data:
            outputs.write(rel, data)
