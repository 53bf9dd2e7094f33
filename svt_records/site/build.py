"""Building the site: gather what each page shows, render the pages whose inputs changed,
draw the plots whose data changed.

OUT/.svt-site/manifest.json remembers the last build: the commit it saw, a hash of the
inputs of every page and plot it wrote, each component's digest (the few fields the
store-wide pages need) and the validation report. The next build re-reads only the
components that changed since that commit (plus those that differed from it then), checks
them with ``validate --since`` that commit, and rewrites only the pages and plots whose
input hash changed. A change of svt.yaml or schemas/, another svt version or another store
makes it a full build.
"""
from __future__ import annotations

import hashlib
import json
import os
import shutil
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Iterable
from urllib.parse import quote

from .. import __version__, model
from . import labels
from ..analysis import testtypes
from ..model.errors import GitError, InvalidInput, SvtError
from ..git.log import LogEntry
from ..git.remote import web_project
from ..analysis.ivfile import is_table
from ..store.base import CONFIG_FILE, RECORDS, StoreBase
from . import COMPONENTS_DIR, component_page, require_extras

MANIFEST = ".svt-site/manifest.json"
# of the manifest; another value (or svt version) means a full build. 2: a digest's tests
# carry their units and trend points their component
FORMAT = 2
COMMITS_SHOWN = 20  # per component page
PARALLEL_FROM = 200  # components; fewer are read and rendered in this process
# a full build renders the pages from the full validation's parse of every event up to this
# many components (about 15 KB each held in memory); above it each page reads its own again
SHARED_PARSE_UP_TO = 30_000
FILES_DIR = f"{COMPONENTS_DIR}/files"
IV_DIR = f"{COMPONENTS_DIR}/iv"
LABELS_DIR = "labels"  # labels/<ID>.svg: each component's printable label (issue 17)
LABEL_VERSION = 1  # bump when the label's drawing changes: every label is written again
# the site's labels take one QR mask instead of scoring all eight: 1 ms a label instead of 6
# (10,000 labels in a full build); any mask is a valid code, `svt label` still scores them
LABEL_MASK = 2
# the digest fields each store-wide part is made of: when no component changed them, the
# part's pages and plots are kept without working out their inputs again
TESTS_PART = ("type", "tests", "iv")  # tests/: the results tables and the trend plots
MAP_PART = ("status", "latest", "moves", "position", "periods")  # map.html
MOVES_PART = ("moves", "position", "periods")  # who is where: positions.py asked again
NO_LABELS = (f"no labels: their QR codes need segno ({labels.INSTALL_LABELS}); the pages are"
             " built without them")


@dataclass
class BuildResult:
    """What a build did (the CLI reports it)."""

    out: Path
    full: bool = True
    components: int = 0
    pages_written: int = 0
    pages_kept: int = 0
    plots_drawn: int = 0
    plots_kept: int = 0
    labels_written: int = 0
    labels_kept: int = 0
    problems: int = 0
    notes: list[str] = field(default_factory=list)  # said once each (e.g. no labels)
    written: list[str] = field(default_factory=list)  # paths relative to OUT


def is_iv_file(defined: dict[str, testtypes.TestType], test_type: str, entry: dict) -> bool:
    """A stored file the site reads as an IV curve: a data file of an IV test
    (:func:`testtypes.holds_iv`) in a form ivfile reads."""
    return (entry.get("kind") in ("data", "raw_data") and testtypes.holds_iv(defined, test_type)
            and is_table(str(entry.get("path", ""))))


class Builder:
    def __init__(self, db: StoreBase, out: Path, *, jobs: int | None = None) -> None:
        self.db = db
        self.out = out
        self.jobs = jobs or min(os.cpu_count() or 1, 4)
        self.result = BuildResult(out)
        self.old: dict = {}
        self.hashes: dict[str, str] = {}  # output path -> input hash, this build
        self.env: Any = None
        self.map_rows: dict = {}  # who is where on each map, and the inputs' hash
        self.site_url: str | None = None  # svt.yaml's, which the labels' QR codes hold
        self.labels = False  # segno is there: draw labels
        self.test_types = testtypes.definitions(db.config)  # svt.yaml's test_types:
        self.tests_summary: list = []  # (test type, components, runs): the home page's
        # the events as the full validation read them (path -> data): the pages take them
        # from here instead of reading every file again; None: each page reads its own
        self.events: dict[str, dict] | None = None

    def still_there(self, rel: str, digest: str | None = None) -> bool:
        """Whether the last build wrote OUT/rel (from inputs of hash ``digest``, if given)
        and the file is still there: the one rule by which an output is kept rather than
        made again."""
        old = (self.old.get("outputs") or {}).get(rel)
        return old is not None and (digest is None or old == digest) and \
            (self.out / rel).is_file()

    def keep(self, prefix: str) -> None:
        """Keep what the last build wrote under ``prefix`` (its inputs did not change)."""
        for rel, digest in (self.old.get("outputs") or {}).items():
            if rel.startswith(prefix) and self.still_there(rel):
                self.hashes[rel] = digest
                if rel.endswith(".html"):
                    self.result.pages_kept += 1
                else:
                    self.result.plots_kept += 1

    # ---- pages ---------------------------------------------------------------------------
    def environment(self) -> Any:
        if self.env is None:
            import jinja2
            env = jinja2.Environment(loader=jinja2.PackageLoader("svt_records.site", "templates"),
                                     autoescape=True, trim_blocks=True, lstrip_blocks=True)
            env.filters["url"] = lambda text: quote(str(text))
            env.filters["page"] = component_page
            env.filters["short"] = lambda sha: str(sha)[:10]
            env.filters["day"] = lambda text: str(text or "")[:10]
            env.filters["when"] = lambda text: str(text or "")[:16].replace("T", " ")
            env.filters["value"] = _value_text
            env.filters["size"] = _size_text
            env.globals["svt_version"] = __version__
            self.env = env
        return self.env

    def page(self, rel: str, template: str, context: dict) -> bool:
        """Render ``template`` into OUT/rel unless its inputs are those of the last build
        (and the file is there). True if it wrote."""
        depth = rel.count("/")
        context = dict(context, root="../" * depth, here=rel)
        digest = _hash([template, context, __version__])
        self.hashes[rel] = digest
        target = self.out / rel
        if self.still_there(rel, digest):
            self.result.pages_kept += 1
            return False
        html = self.environment().get_template(template).render(**context)
        _write(target, html.encode("utf-8"))
        self.result.pages_written += 1
        self.result.written.append(rel)
        return True


def _hash(value: Any) -> str:
    return hashlib.sha256(json.dumps(value, sort_keys=True, default=str).encode()).hexdigest()[:32]


def _write(target: Path, data: bytes) -> None:
    """Write a file whole (a reader never sees half of it)."""
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.with_name(f".{target.name}.tmp")
    tmp.write_bytes(data)
    os.replace(tmp, target)


def _value_text(value: Any) -> str:
    if isinstance(value, dict) and "value" in value:
        unit = value.get("unit")
        return f"{_value_text(value['value'])}{' ' + unit if unit else ''}"
    if isinstance(value, list):
        return ", ".join(_value_text(v) for v in value)
    if isinstance(value, float):
        return f"{value:.4g}"
    if value is None:
        return ""
    return str(value)


def _size_text(size: Any) -> str:
    if not isinstance(size, int):
        return ""
    value = float(size)
    for unit in ("B", "kB", "MB", "GB"):
        if value < 1000 or unit == "GB":
            return f"{size} B" if unit == "B" else f"{value:.1f} {unit}"
        value /= 1000
    return ""


def numeric(value: Any) -> float | None:
    """A measurement's number (plain, or {value, unit}), None for lists and text."""
    if isinstance(value, dict):
        value = value.get("value")
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    return float(value)


def _units(defined: dict[str, testtypes.TestType], test_type: Any,
           measurements: list[tuple[str, Any]], numbers: dict[str, float]) -> dict[str, str]:
    """The unit of each number of a result: the record's, else the test definition's (a
    number without a unit is in its definition's unit, as the limits take it)."""
    definition = defined.get(str(test_type))
    spec = definition.measurements if definition else {}
    out = {}
    for name, value in measurements:
        if name not in numbers:
            continue
        unit = value.get("unit") if isinstance(value, dict) else None
        unit = unit or (spec.get(name) or {}).get("unit")
        if unit:
            out[name] = str(unit)
    return out


def commit_url(remote: str | None) -> str | None:
    """The prefix of a commit's web address on GitHub or GitLab for a remote URL (https,
    ssh or scp form); None for other hosts."""
    project = web_project(remote)
    if project is None:
        return None
    forge, web = project
    return f"{web}/commit/" if forge == "github" else f"{web}/-/commit/"


# ---- one component ------------------------------------------------------------------------

@dataclass
class ComponentInput:
    cid: str
    ctype: str
    path: str  # its component.yaml
    record: dict | None
    error: str | None
    commits: list[dict]
    problems: list[list]  # the validation problems of its files


def component_context(db: StoreBase, item: ComponentInput, commit_prefix: str | None,
                      defined: dict[str, testtypes.TestType],
                      read: dict[str, dict] | None = None
                      ) -> tuple[dict, dict, list[tuple[str, str]]]:
    """(page context, digest, stored files to copy as (source rel path, target rel path));
    ``defined``: svt.yaml's test definitions; ``read``: events already read (path ->
    data), the rest are read here."""
    folder = db.root / item.path.rsplit("/", 1)[0]
    events: list[dict] = []
    unreadable: list[str] = []
    for path in db.event_files(folder):
        rel = db.rel(path)
        try:
            known = read.get(rel) if read is not None else None
            data = dict(known if known is not None else db.load(rel, check=False))
            data["_path"] = rel
            data["date"] = str(data.get("date") or "")
            when = model.parse_date(data["date"])
            data["_order"] = model.event_order(when, data.get("recorded"), path.name)
            data["_utc"] = model.to_utc(when).isoformat()
        except (SvtError, ValueError, TypeError):
            unreadable.append(rel)
            continue
        events.append(data)
    events.sort(key=lambda e: e["_order"])
    from ..store.base import event_id
    copies: list[tuple[str, str]] = []
    files_base = f"files/{quote(item.cid)}"

    def stored(event: dict) -> tuple[list[dict], list[dict]]:
        images: list[dict] = []
        others: list[dict] = []
        folder_rel = event["_path"].rsplit("/", 1)[0]
        year = folder_rel.rsplit("/", 1)[-1]
        for entry in event.get("files") or []:
            if not isinstance(entry, dict) or not isinstance(entry.get("path"), str):
                continue
            name = entry["path"]
            if "/" in name or name.startswith("."):
                continue  # validate reports it; never copy from elsewhere
            copies.append((f"{folder_rel}/{name}", f"{FILES_DIR}/{item.cid}/{year}/{name}"))
            shown = {"href": f"{files_base}/{quote(year)}/{quote(name)}", "name": name,
                     "kind": entry.get("kind") or "file", "size": entry.get("size"),
                     "original": entry.get("original_name")}
            (images if entry.get("kind") in ("image", "plot") or name.lower().endswith(
                (".png", ".jpg", ".jpeg", ".gif", ".svg", ".webp")) else others).append(shown)
        return images, others

    tests, installs, logs, other = [], [], [], []
    digest_tests: list[list] = []
    iv_files: list[list] = []
    periods: set[str] = set()
    moves: list[list] = []
    for ev in events:
        kind = ev.get("kind")
        images, files = stored(ev)
        if kind == "test":
            tid = event_id(ev["_path"])
            measures = ev.get("measurements") or {}
            shown = [(k, v) for k, v in measures.items()] if isinstance(measures, dict) else []
            tests.append({"id": tid, "type": ev.get("test_type"), "date": ev["date"],
                          "result": ev.get("result"), "measurements": shown, "images": images,
                          "files": files, "notes": ev.get("notes"),
                          "by": ev.get("tested_by"), "setup": ev.get("setup"),
                          "path": ev["_path"]})
            numbers = {k: n for k, v in shown if (n := numeric(v)) is not None}
            digest_tests.append([ev.get("test_type"), ev["date"], ev["_utc"], ev.get("result"),
                                 numbers, tid, _units(defined, ev.get("test_type"), shown,
                                                      numbers)])
            for entry in ev.get("files") or []:
                if isinstance(entry, dict) and is_iv_file(defined, str(ev.get("test_type")), entry) \
                        and "/" not in str(entry["path"]):
                    iv_files.append([ev["date"][:10] + " " + tid,
                                     ev["_path"].rsplit("/", 1)[0] + "/" + entry["path"],
                                     entry.get("sha256") or "", ev.get("test_type")])
        elif kind in ("install", "remove"):
            installs.append(ev)
            moves.append([kind, ev["date"], ev.get("recorded"), ev.get("position"),
                          ev.get("run_period")])
            if kind == "install" and ev.get("run_period"):
                periods.add(str(ev["run_period"]))
        elif kind in ("log", "comment", "attach"):
            logs.append(dict(ev, _images=images, _files=files))
        else:
            other.append(dict(ev, _images=images, _files=files))
    record = item.record or {}
    assembly = [(part, record[part]) for part in ("module", *model.MODULE_PARTS)
                if isinstance(record.get(part), str)]
    commits = [dict(c, url=(commit_prefix + c["sha"]) if commit_prefix else None)
               for c in item.commits]
    context = {
        "cid": item.cid, "ctype": item.ctype, "record": item.record, "error": item.error,
        "source": item.path, "problems": item.problems, "unreadable": unreadable,
        "fields": [(k, v) for k, v in record.items()
                   if k not in ("id", "type", "attributes", "connections", "module", "sensor",
                                "hybrid")],
        "attributes": sorted((record.get("attributes") or {}).items())
        if isinstance(record.get("attributes"), dict) else [],
        "assembly": assembly,
        "connections": [c for c in record.get("connections") or [] if isinstance(c, dict)],
        "tests": tests[::-1], "installs": installs[::-1], "logs": logs[::-1],
        "other": other[::-1], "commits": commits,
        "iv_plot": f"iv/{quote(item.cid)}.png" if iv_files else None,
        "label": None,  # the label's path from the site's root, when labels are drawn
    }
    latest = digest_tests[-1] if digest_tests else None
    digest = {"id": item.cid, "type": item.ctype, "status": record.get("status"),
              "location": record.get("location"), "position": record.get("position"),
              "run_period": record.get("run_period"),
              "invalid": bool(item.error or item.problems or unreadable),
              "latest": [latest[0], latest[1][:10], latest[3]] if latest else None,
              "tests": digest_tests, "iv": iv_files, "periods": sorted(periods), "moves": moves}
    return context, digest, copies


# the builder of a parallel run (inherited by forked workers)
_WORKER: tuple[Builder, str | None] | None = None


def _component_job(items: list[ComponentInput]) -> list[tuple[str, dict, str, bool, str | None,
                                                              bool]]:
    assert _WORKER is not None
    builder, prefix = _WORKER
    return [one_component(builder, item, prefix) for item in items]


def one_component(builder: Builder, item: ComponentInput, prefix: str | None
                  ) -> tuple[str, dict, str, bool, str | None, bool]:
    """Render a component's page and label if their inputs changed; (id, digest, page's
    input hash, page written, label's input hash or None, label written)."""
    context, digest, copies = component_context(builder.db, item, prefix, builder.test_types,
                                                builder.events)
    for source, target in copies:
        _copy(builder.db.root / source, builder.out / target)
    label_hash, label_wrote = None, False
    if builder.labels:
        label_hash, label_wrote = _label(builder, item)
        context["label"] = f"{LABELS_DIR}/{quote(item.cid)}.svg"
    rel = f"{COMPONENTS_DIR}/{item.cid}.html"
    before = builder.result.pages_written
    builder.page(rel, "component.html.j2", context)
    return (item.cid, digest, builder.hashes[rel], builder.result.pages_written > before,
            label_hash, label_wrote)


def _label(builder: Builder, item: ComponentInput) -> tuple[str, bool]:
    """Write the component's label unless its id, type, serial number and the site's URL
    are those of the last build (and the file is there); (input hash, written)."""
    record = item.record or {}
    component = {"id": item.cid, "type": item.ctype,
                 "serial_number": record.get("serial_number")}
    digest = _hash([LABEL_VERSION, component, builder.site_url])
    rel = f"{LABELS_DIR}/{item.cid}.svg"
    if builder.still_there(rel, digest):
        return digest, False
    _write(builder.out / rel, labels.label_svg(component, builder.site_url, mask=LABEL_MASK)
           .encode("utf-8"))
    return digest, True


def _copy(source: Path, target: Path) -> None:
    """Put a copy of a stored file into the site. (Never a hard link: linking changes the
    stored file's ctime, and git then takes every such file for edited until it re-reads it.)"""
    try:
        st = source.stat()
    except OSError:
        return  # validate reports a missing file
    try:
        if target.stat().st_size == st.st_size and target.stat().st_mtime >= st.st_mtime:
            return
    except OSError:
        pass
    target.parent.mkdir(parents=True, exist_ok=True)
    shutil.copy2(source, target)


# ---- the whole site -----------------------------------------------------------------------

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
    target.mkdir(parents=True, exist_ok=True)
    builder = Builder(db, target, jobs=jobs)
    builder.labels = labels.available()
    old = {} if full else _read_manifest(target, db)
    # every page links its label or none: with segno come or gone, every page is made again
    relabel = bool(old) and old.get("labels") != builder.labels
    builder.old = old
    builder.result.full = not old
    builder.site_url = db.config.get("site_url") or None
    if not builder.labels:
        builder.result.notes.append(NO_LABELS)
    from ..index.queries import Index
    index = Index(db)
    index.refresh()
    head = db.repo.head()
    rows = index.db.execute("SELECT id, type, path, data, error FROM components"
                            " ORDER BY type, id").fetchall()
    changed, dirty, paths = _changes(db, index, old, head)
    if changed is None:
        old.pop("digests", None)
        builder.result.full = True
    folders = {row[0]: row[2].rsplit("/", 1)[0] for row in rows}
    # every page made again: the whole history's log runs on the other core meanwhile
    whole_log = db.repo.start_full_log([RECORDS]) if (changed is None or relabel) and \
        len(rows) > PARALLEL_FROM else None
    if changed is None and len(rows) <= SHARED_PARSE_UP_TO:
        builder.events = {}  # the full validation's parse of every event, for the pages
    problems = _problems(db, old, changed, folders, index, paths, builder.events)
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
                or _missing(builder, cid)):
            todo.append((cid, ctype, path, data, error))
    builder.result.components = len(rows)
    commits = _commits(db, [(cid, path) for cid, _, path, _, _ in todo], whole_log)
    prefix = commit_url(db.repo.remote_url())
    outputs_old = old.get("outputs") or {}
    items = [ComponentInput(cid, ctype, path, json.loads(data) if data and not error else None,
                            error, commits.get(cid, []), by_component.get(cid, []))
             for cid, ctype, path, data, error in todo]
    digests = {cid: d for cid, d in old_digests.items() if cid in present}
    page_hashes = {cid: outputs_old[f"{COMPONENTS_DIR}/{cid}.html"] for cid in digests
                   if f"{COMPONENTS_DIR}/{cid}.html" in outputs_old}
    label_hashes = {cid: outputs_old[f"{LABELS_DIR}/{cid}.svg"] for cid in digests
                    if f"{LABELS_DIR}/{cid}.svg" in outputs_old} if builder.labels else {}
    for cid, digest, digest_hash, _, label_hash, label_wrote in _run_components(
            builder, items, prefix):
        digests[cid] = digest
        page_hashes[cid] = digest_hash
        if label_hash is not None:
            label_hashes[cid] = label_hash
            if label_wrote:
                builder.result.labels_written += 1
                builder.result.written.append(f"{LABELS_DIR}/{cid}.svg")
    builder.result.labels_kept = len(label_hashes) - builder.result.labels_written
    for cid, label_hash in label_hashes.items():
        builder.hashes[f"{LABELS_DIR}/{cid}.svg"] = label_hash
    for cid in set(old_digests) - present:  # a component that is gone
        for rel in (f"{COMPONENTS_DIR}/{cid}.html", f"{IV_DIR}/{cid}.png",
                    f"{LABELS_DIR}/{cid}.svg"):
            (target / rel).unlink(missing_ok=True)
        shutil.rmtree(target / FILES_DIR / cid, ignore_errors=True)
    for cid, digest_hash in page_hashes.items():
        builder.hashes[f"{COMPONENTS_DIR}/{cid}.html"] = digest_hash
    from . import drawing, pages
    # the components whose digest may differ from the last build's
    touched = None if not old_digests else \
        {item.cid for item in items} | (set(old_digests) - present)

    def changed_part(fields: tuple[str, ...]) -> bool:
        return touched is None or any((old_digests.get(cid) or {}).get(f) !=
                                      (digests.get(cid) or {}).get(f)
                                      for cid in touched for f in fields)
    def kept(prefix: str) -> bool:  # what the last build wrote there is all still there
        return all(builder.still_there(rel) for rel in outputs_old if rel.startswith(prefix))
    series = None if not changed_part(TESTS_PART) and "tests" in old and kept("tests/") \
        else drawing.trend_series(digests)
    # the plots are drawn by a pool of their own while this process writes the store's pages
    plotted = drawing.draw_all(builder, digests, series, touched)
    try:
        pages.store_pages(builder, index, digests, problems, site_problems, series,
                          map_changed=changed_part(MAP_PART) or not kept("map.html"),
                          moves_changed=changed_part(MOVES_PART))
    finally:
        plotted()
    _static(builder)
    _forget(target, outputs_old, builder.hashes)
    # (keys in the order they come: sorting 10 MB of digests costs more than reading them)
    _write(target / MANIFEST, json.dumps({
        "format": FORMAT, "svt": __version__, "store": str(db.root), "commit": head,
        "labels": builder.labels,
        "dirty": sorted(dirty), "outputs": builder.hashes, "digests": digests,
        "problems": problems, "component_problems": by_component,
        "map_rows": builder.map_rows, "tests": builder.tests_summary,
    }, separators=(",", ":")).encode())
    builder.result.problems = len(problems)
    return builder.result


def _run_components(builder: Builder, items: list[ComponentInput], prefix: str | None
                    ) -> Iterable[tuple[str, dict, str, bool, str | None, bool]]:
    from ..index.queries import fork_available
    if len(items) < PARALLEL_FROM or builder.jobs < 2 or not fork_available():
        for item in items:
            yield one_component(builder, item, prefix)
        return
    import multiprocessing
    global _WORKER
    _WORKER = (builder, prefix)
    size = max(50, len(items) // (builder.jobs * 8))
    chunks = [items[i:i + size] for i in range(0, len(items), size)]
    builder.environment()  # loaded once, inherited
    try:
        with multiprocessing.get_context("fork").Pool(builder.jobs) as pool:
            for results in pool.imap_unordered(_component_job, chunks):
                for result in results:
                    cid, wrote = result[0], result[3]
                    if wrote:
                        builder.result.pages_written += 1
                        builder.result.written.append(f"{COMPONENTS_DIR}/{cid}.html")
                    else:
                        builder.result.pages_kept += 1
                    yield result
    finally:
        _WORKER = None


def _missing(builder: Builder, cid: str) -> bool:
    """Whether the component's page, or its label, is gone from OUT (deleted by hand): it
    is made again."""
    return not builder.still_there(f"{COMPONENTS_DIR}/{cid}.html") or \
        (builder.labels and not builder.still_there(f"{LABELS_DIR}/{cid}.svg"))


def _read_manifest(out: Path, db: StoreBase) -> dict:
    try:
        data = json.loads((out / MANIFEST).read_text("utf-8"))
    except (OSError, ValueError):
        return {}
    if not isinstance(data, dict) or data.get("format") != FORMAT or \
            data.get("svt") != __version__ or data.get("store") != str(db.root):
        return {}
    return data


def _changes(db: StoreBase, index: Any, old: dict, head: str | None
             ) -> tuple[set[str] | None, set[str], list[str]]:
    """(ids of the components that changed since the last build, None: build everything;
    ids of those whose files differ from HEAD now, which the next build reads again; the
    paths changed since the last build). One look at the work tree (git's diff-files)
    serves all three."""
    if head is None:
        return None, set(), []
    now = db.repo.changed_since("HEAD") + index.uncommitted()
    dirty = _component_ids(now)
    if not old.get("commit") or "digests" not in old:
        return None, dirty, []
    try:
        paths = [p for _, p in db.repo.changes_between(old["commit"], head)] + now
    except GitError:
        return None, dirty, []  # that commit is gone (a rebase, another clone)
    if any(p == CONFIG_FILE or p.startswith("schemas/") for p in paths):
        return None, dirty, []
    return _component_ids(paths) | set(old.get("dirty") or []), dirty, sorted(set(paths))


def _component_ids(paths: Iterable[str]) -> set[str]:
    return {p.split("/")[2] for p in paths if p.startswith(RECORDS + "/") and p.count("/") >= 3}


def _problems(db: StoreBase, old: dict, changed: set[str] | None,
              folders: dict[str, str], index: Any, paths: list[str],
              events: dict[str, dict] | None = None) -> list[list]:
    """The validation report: all of it, or the last build's with the changed components
    checked again (``validate --since`` the last build's commit, plus the components that
    differed from it then: an edit undone since is no change to git)."""
    from ..rules.checks import validate_store
    if changed is None or "problems" not in old:
        found, _ = validate_store(db, events=events)
        return [list(p) for p in found]
    again = changed | set(old.get("dirty") or [])
    targets = [str(db.root / folders[cid]) for cid in sorted(again) if cid in folders]
    fresh, _ = validate_store(db, targets=targets, since=old["commit"], index=index,
                              changed=paths)
    kept = [p for p in old["problems"] if not _about(p[0], again)]
    merged = {tuple(p) for p in kept} | {tuple(p) for p in fresh}
    return [list(p) for p in sorted(merged)]


def _about(path: str, ids: set[str]) -> bool:
    parts = path.split("/")
    return parts[0] == RECORDS and len(parts) >= 3 and parts[2] in ids


def _commits(db: StoreBase, components: list[tuple[str, str]],
             whole_log: Callable[[], list[LogEntry]] | None = None) -> dict[str, list[dict]]:
    """The latest commits of each component (newest first): one log of records/ for many
    components (``whole_log``, when it was started already), one log each for a few."""
    out: dict[str, list[dict]] = {}
    many = len(components) > PARALLEL_FROM  # always so where whole_log was started
    if not components or db.repo.head() is None:
        return out
    if many:
        wanted = {cid for cid, _ in components}
        for entry in whole_log() if whole_log else db.repo.full_log([RECORDS]):
            seen = set()
            for _, path in entry.changes:
                parts = path.split("/")
                if len(parts) >= 4 and parts[2] in wanted and parts[2] not in seen:
                    seen.add(parts[2])
                    got = out.setdefault(parts[2], [])
                    if len(got) < COMMITS_SHOWN:
                        got.append({"sha": entry.sha, "date": entry.date,
                                    "author": entry.author, "subject": entry.subject})
        return out
    for cid, path in components:
        folder = path.rsplit("/", 1)[0]
        out[cid] = [c._asdict() for c in db.repo.log([folder], COMMITS_SHOWN)]
    return out


def _forget(out: Path, before: dict[str, str], now: dict[str, str]) -> None:
    """Delete what the last build wrote and this one no longer makes (the page and plots of
    a test type whose last result is gone). Only files inside OUT: the manifest is a file
    anyone can edit."""
    root = out.resolve()
    for rel in sorted(set(before) - set(now)):
        path = (out / rel).resolve()
        if path != root and root in path.parents and path.is_file():
            path.unlink()


def _static(builder: Builder) -> None:
    from importlib import resources
    base = resources.files("svt_records.site") / "static"
    for name in ("site.css", "table.js"):
        data = (base / name).read_bytes()
        rel = f"static/{name}"
        builder.hashes[rel] = hashlib.sha256(data).hexdigest()[:32]
        target = builder.out / rel
        if not target.is_file() or target.read_bytes() != data:
            _write(target, data)


