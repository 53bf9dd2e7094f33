"""The store-wide pages: home, the components table, the detector map, the tests, the
validation report. Each is rendered from the components' digests (component_data.py) and
written only when its inputs changed."""
from __future__ import annotations

import datetime
import hashlib
import hmac
import json
import os
from collections import Counter, defaultdict
from typing import Any

from ..index import positions
from ..model.errors import SvtError
from ..model.hashing import sha256_hex
from ..model.names import is_path_safe
from ..store.base import StoreBase
from . import detector, drawing
from .forge_links import SiteProject
from .home import HEALTH, component_row, home_context, site_title, table_test_types
from .outputs import SiteOutputs

ACTIVITY_SHOWN = 15  # the latest commits on the home page

MAX_MEASURE_COLUMNS = 6
PARALLEL_FROM = 200  # components; in a smaller store the pages are rendered one by one here


def store_pages(outputs: SiteOutputs, db: StoreBase, index: Any, digests: dict[str, dict],
                problems: list[list], site_problems: list[list],
                series: dict[str, list[dict]] | None, *, project: SiteProject,
                map_changed: bool = True, moves_changed: bool = True) -> tuple[list, dict]:
    """Render the store-wide pages whose inputs changed (but the components table:
    :func:`components_page`, called first); (the tests' summary: test type,
    components, runs; who is where on each map): the manifest keeps both. ``series``
    None: no component's tests changed, the tests pages (and their plots) are kept;
    ``map_changed`` False: no component changed what the map shows; ``moves_changed``
    False: nor who is where; ``project``: the build's links to the forge."""
    ordered, by_type, by_status = _tally(digests)
    prefix = project.commits
    activity = [dict(c._asdict(), url=(prefix + c.sha) if prefix else None)
                for c in db.repo.log(["records"], ACTIVITY_SHOWN)]
    if series is None:
        tests_summary = outputs.old["tests"]
        outputs.keep("tests/")
    else:
        tests = _tests(ordered)
        tests_summary = [[t, len(v["rows"]), v["runs"]] for t, v in tests.items()]
    errors = sum(p[4] == "error" for p in problems)
    site_name = site_title(db.config)
    outputs.page("index.html", "home.html.j2", dict(
        home_context(ordered, by_status, by_type, _this_month()),
        site_name=site_name, activity=activity,
        tests=[(t, n) for t, n, _ in tests_summary], errors=errors,
        warnings=len(problems) - errors, invalid=sum(d["invalid"] for d in ordered)))
    if map_changed or not outputs.old.get("map_rows"):
        map_rows = _map(outputs, db, digests, moves_changed)
    else:
        map_rows = outputs.old["map_rows"]
        outputs.keep("map.html")
    if series is not None:
        _test_pages(outputs, tests, series, site_name)
    invalid = sorted((d["id"], d["type"]) for d in ordered if d["invalid"])
    where = project.forge
    outputs.page("validation.html", "validation.html.j2", {
        "site_name": site_name,
        "views": {str(p[0]): where.links(str(p[0]))["view"] for p in problems
                  if all(is_path_safe(part) for part in str(p[0]).split("/"))}
        if where else {},
        "problems": problems, "errors": errors, "warnings": len(problems) - errors,
        "invalid": invalid, "site_problems": site_problems})
    outputs.finish_aside()
    return tests_summary, map_rows


def components_page(outputs: SiteOutputs, db: StoreBase, digests: dict[str, dict],
                    jobs: int = 1, cached: dict[str, list] | None = None) -> dict[str, list]:
    """Render the components table (before :func:`store_pages`, which renders the rest). In a
    big store it is the first of the big pages rendered aside (by a forked process, while
    this one goes on), and the build goes on: wait for them with ``outputs.finish_aside``
    (store_pages does). Each row is rendered on its own (components_row.html.j2) and the
    rows joined; ``cached``: the last build's rows (id -> [hash of the row's inputs, its
    HTML]), a row whose inputs are the same is taken from it rather than rendered again.
    Returns this build's rows, for the manifest."""
    if len(digests) >= PARALLEL_FROM:  # the big pages (components, tests) side by side
        outputs.start_aside(jobs)
    ordered, by_type, by_status = _tally(digests)
    env = outputs.environment()
    test_types = table_test_types(db, ordered)
    rows = _rows(env, ordered, test_types, cached or {}, _row_secret(db))
    from markupsafe import Markup
    outputs.page("components.html", "components.html.j2", {
        "site_name": site_title(db.config), "test_types": test_types, "count": len(ordered),
        "rows_html": Markup("".join(rows[d["id"]][1] + "\n" for d in ordered)),
        "types": sorted(by_type), "statuses": sorted(by_status), "health": HEALTH,
        "locations": sorted({d["location"] for d in ordered if d["location"]})}, aside=True)
    return rows


def _rows(env: Any, ordered: list[dict], test_types: list[str], cached: dict[str, list],
          secret: bytes | None) -> dict[str, list]:
    """Each component's row of the components table: [seal, its HTML], taken from
    ``cached`` when the seal matches. The seal is an HMAC, under this clone's ``secret``, of
    the row's values, the row's template (its hash) and the HTML itself: the manifest lies in OUT,
    which anyone may have written, and a row is put into the page as it is, so HTML that
    this clone did not render is rendered again (no secret: nothing is reused)."""
    template = "components_row.html.j2"
    source = sha256_hex(env.loader.get_source(env, template)[0].encode())
    render = None
    rows: dict[str, list] = {}
    for d in ordered:
        row = component_row(d, test_types)
        inputs = json.dumps([source, row], separators=(",", ":"), default=str)
        held = cached.get(d["id"])
        if secret is not None and isinstance(held, list) and len(held) == 2 \
                and isinstance(held[1], str) \
                and hmac.compare_digest(str(held[0]), _seal(secret, inputs, held[1])):
            rows[d["id"]] = held
            continue
        if render is None:
            render = env.get_template(template).module.row
        html = str(render(*row))
        rows[d["id"]] = [_seal(secret, inputs, html) if secret else "", html]
    return rows


ROW_SECRET = "site-row-secret"  # in .git/svt: the key that seals cached rows; never published


def _row_secret(db: StoreBase) -> bytes | None:
    """This clone's key for sealing cached rows (made on first use), or None without one."""
    try:
        path = db.repo.svt_dir() / ROW_SECRET
        try:  # readable by this user only, made once (O_EXCL: no race)
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
            if path.stat().st_mode & 0o077:  # an older svt made it readable by others
                path.unlink()
                return _row_secret(db)
        else:
            with os.fdopen(fd, "wb") as fh:
                fh.write(os.urandom(32))
        secret = path.read_bytes()
    except (OSError, SvtError):
        return None
    return secret if len(secret) >= 32 else None


def _seal(secret: bytes, inputs: str, html: str) -> str:
    data = (inputs + "\0" + html).encode("utf-8", "surrogateescape")
    return hmac.new(secret, data, hashlib.sha256).hexdigest()[:32]


def _tally(digests: dict[str, dict]) -> tuple[list[dict], dict[str, Counter], Counter]:
    """The digests by type and id; the count of each status per type, and in all."""
    ordered = sorted(digests.values(), key=lambda d: (d["type"], d["id"]))
    by_type: dict[str, Counter] = defaultdict(Counter)
    by_status: Counter = Counter()
    for d in ordered:
        by_type[d["type"]][d["status"] or "(none)"] += 1
        by_status[d["status"] or "(none)"] += 1
    return ordered, by_type, by_status


def _test_pages(outputs: SiteOutputs, tests: dict[str, dict], series: dict[str, list[dict]],
                site_name: str) -> None:
    outputs.page("tests/index.html", "tests.html.j2", {"site_name": site_name,
        "tests": [(t, len(v["rows"]), v["runs"]) for t, v in tests.items()]})
    for test_type, table in tests.items():
        outputs.page(f"tests/{test_type}.html", "test_type.html.j2", {"site_name": site_name,
            "test_type": test_type, "columns": table["columns"], "rows": table["rows"],
            "runs": table["runs"], "plots": [{k: v for k, v in p.items() if k != "points"}
                                             for p in series.get(test_type, [])],
            "named": drawing.NAMED,
            "iv": table["iv"]}, aside=True)


def _this_month() -> str:
    """YYYY-MM of now (UTC): the home page's "tests this month"."""
    return datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m")


def _tests(ordered: list[dict]) -> dict[str, dict]:
    """Per test type: the latest run of each component, the measurement columns, the
    number of runs, and the components with IV curves."""
    out: dict[str, dict] = {}
    for d in ordered:
        latest: dict[str, list] = {}
        count: dict[str, int] = {}
        for test in d["tests"]:
            test_type = str(test[0])
            count[test_type] = count.get(test_type, 0) + 1
            if test_type not in latest or test[2] >= latest[test_type][2]:
                latest[test_type] = test
        for test_type, test in latest.items():
            table = out.get(test_type)
            if table is None:  # (not setdefault: a Counter made per component costs)
                table = out[test_type] = {"rows": [], "columns": Counter(), "runs": 0,
                                          "iv": []}
            units = test[6]  # the record's unit of each number, else its definition's
            values = {k: {"value": v, "unit": units[k]} if k in units else v
                      for k, v in test[4].items()}
            table["rows"].append({"id": d["id"], "type": d["type"], "date": test[1],
                                  "result": test[3], "values": values, "test": test[5],
                                  "runs": count[test_type]})
            table["columns"].update(test[4].keys())
            table["runs"] += count[test_type]
        for test_type in sorted({str(iv[3]) for iv in d["iv"]}):
            if test_type in out:
                out[test_type]["iv"].append(d["id"])
    for table in out.values():
        # most used first, ties by name: a digest read back from the manifest has its keys
        # sorted, a fresh one in the record's order, and both must give the same page
        ranked = sorted(table["columns"].items(), key=lambda item: (-item[1], item[0]))
        table["columns"] = [c for c, _ in ranked[:MAX_MEASURE_COLUMNS]]
    return dict(sorted(out.items()))


def _map(outputs: SiteOutputs, db: StoreBase, digests: dict[str, dict], moves_changed: bool
         ) -> dict:
    """The map of now and of each run period. Who was where comes from positions.py (the
    installs and removals replayed), asked again only when an install, a removal or a
    position changed since the last build; colours and verdicts come from the digests.
    Who is where on each map: the manifest keeps it."""
    statuses = {cid: d["status"] for cid, d in digests.items()}
    periods = sorted({p for d in digests.values() for p in d["periods"]})
    held = None if moves_changed else (outputs.old.get("map_rows") or {}).get("rows")
    if held is None:
        held = {}
        for period in [None, *periods]:
            try:
                rows = positions.positions(db, run_period=period)
            except SvtError:
                continue
            held[period or ""] = [{k: r[k] for k in ("position", "component", "since", "until")}
                                  for r in rows]
    map_rows = {"rows": held}
    maps = []
    for period, rows in held.items():
        maps.append({"period": period or None,
                     "anchor": f"period-{period}" if period else "now",
                     "drawing": detector.drawing(rows, statuses, "", digests)})
    outputs.page("map.html", "map.html.j2", {"site_name": site_title(db.config),
                                            "maps": maps})
    return map_rows
