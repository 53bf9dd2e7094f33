"""The manifest, OUT/.svt-site/manifest.json, and what changed since the build that wrote
it. The manifest remembers the last build: the commit it saw, a hash of the inputs of every
page and plot it wrote, what the links to the forge are made from (the remote's web address,
the branch, the issue forms present: another means every page again), each component's
digest (the few fields the store-wide pages need), the validation report, each component's
row of the components table (its HTML, by the hash of what it shows: a row the same is not
rendered again) and each test type's plots without their points (a type none of whose
tests changed is not worked out again). The next build re-reads only the components that
changed since that commit (plus those that differed from it then), checks them with
``validate --since`` that commit, and rewrites only the pages and plots whose input hash
changed. A change of svt.yaml or schemas/, another svt version or another store makes it a
full build.

The manifest is published with the site, so it names no path of the machine that built it:
the store it was built from is a hash of the store's path (:func:`store_key`)."""
from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any, Iterable

from .. import __version__
from ..model.errors import GitError, Problem
from ..store.base import StoreBase
from ..store.layout import CONFIG_FILE, EVENT_NAME_RE, RECORDS
from .outputs import SiteOutputs

MANIFEST = ".svt-site/manifest.json"
# of the manifest; another value (or svt version) means a full build. 2: a digest's tests
# carry their units and trend points their component; 3: summaries carry each type's verdict,
# serial, manufacturer, host, attributes and photos; 4: pages show measurements and verdict
# cells as the CLI does (model.format_measurement, model.verdict_cells). (A manifest that
# named its store by path, before store_key, is another store's: a full build.)
FORMAT = 4
MAX_MANIFEST_BYTES = 1 << 30


def store_key(root: Path) -> str:
    """What the manifest says of the store it was built from: a hash of its path."""
    return hashlib.sha256(f"svt-site:{root}".encode("utf-8", "surrogateescape")).hexdigest()[:32]


def read_manifest(out: Path, db: StoreBase) -> dict:
    """The last build's manifest; {} when there is none of this format, svt version and
    store (a full build). Read without following a link."""
    from ..store.nofollow import read_stored
    try:
        data = json.loads(read_stored(out, MANIFEST, MAX_MANIFEST_BYTES))
    except (OSError, ValueError):  # (LinkRefused is a ValueError)
        return {}
    if not isinstance(data, dict) or data.get("format") != FORMAT or \
            data.get("svt") != __version__ or data.get("store") != store_key(db.root):
        return {}
    return data


def write_manifest(site: SiteOutputs, *, store: Path, commit: str | None, labels: bool,
                   links: dict, dirty: set[str], outputs: dict[str, str], digests: dict[str, dict],
                   problems: list[list], component_problems: dict[str, list[list]],
                   map_rows: dict, tests: list, table_rows: dict[str, list],
                   plots: dict[str, list], on_main: bool) -> None:
    """Write this build's manifest: what the next build starts from."""
    # (keys in the order they come: sorting 10 MB of digests costs more than reading them)
    site.write(MANIFEST, json.dumps({
        "format": FORMAT, "svt": __version__, "store": store_key(store), "commit": commit,
        "labels": labels, "links": links,
        "dirty": sorted(dirty), "outputs": outputs, "digests": digests,
        "problems": problems, "component_problems": component_problems,
        "map_rows": map_rows, "tests": tests, "table_rows": table_rows,
        "plots": plots, "on_main": on_main,
    }, separators=(",", ":")).encode())


def changes(db: StoreBase, index: Any, old: dict, head: str | None
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


def validation_problems(db: StoreBase, old: dict, changed: set[str] | None,
                        folders: dict[str, str], index: Any, paths: list[str],
                        events: dict[str, dict] | None = None) -> list[list]:
    """The validation report: all of it, or the last build's with the changed components
    checked again (``validate --since`` the last build's commit, plus the components that
    differed from it then: an edit undone since is no change to git)."""
    from ..rules.checks import validate_store
    held = old.get("problems")
    if changed is None or not isinstance(held, list) or not all(
            isinstance(p, list) and len(p) == len(Problem._fields) and isinstance(p[0], str)
            for p in held):  # none kept, or a manifest edited by hand: all of it again
        found, _ = validate_store(db, events=events)
        return [list(p) for p in found]
    again = changed | set(old.get("dirty") or [])
    targets = [str(db.root / folders[cid]) for cid in sorted(again) if cid in folders]
    fresh, _ = validate_store(db, targets=targets, since=old["commit"], index=index,
                              changed=paths)
    # the warnings about results that rest on placeholders count every test of a type: kept
    # from the last build they would state an old count, so they are worked out again
    from ..store.testrun import PLACEHOLDER_RULE, placeholder_problems
    kept = [p for p in held if not _about(p[0], again) and p[5] != PLACEHOLDER_RULE]
    fresh = [p for p in fresh if p[5] != PLACEHOLDER_RULE]
    tests = index.event_paths("test") if index is not None else []
    # on the main branch, every test of a type it did not warn of was read last time and
    # rests on none: those of the components unchanged since are not read again (svt.yaml
    # changed: a full build). (A type named in any warning's text is read again.)
    clear: set[str] = set()
    if old.get("on_main") is True:
        warned = [str(p[3]) for p in held if p[5] == PLACEHOLDER_RULE]
        for path in tests:
            named = EVENT_NAME_RE.match(path.rsplit("/", 1)[1])
            if named and not _about(path, again) and \
                    not any(named.group("name") in text for text in warned):
                clear.add(path)
    fresh += placeholder_problems(db, tests, clear)
    merged = {tuple(p) for p in kept} | {tuple(p) for p in fresh}
    return [list(p) for p in sorted(merged)]


def _about(path: str, ids: set[str]) -> bool:
    parts = path.split("/")
    return parts[0] == RECORDS and len(parts) >= 3 and parts[2] in ids


def forget(outputs: SiteOutputs, before: dict[str, str]) -> None:
    """Delete what the last build wrote and this one no longer makes (the page and plots of
    a test type whose last result is gone). Only files plainly inside OUT
    (:meth:`SiteOutputs.remove`): the manifest is a file anyone can edit."""
    for rel in sorted(set(before) - set(outputs.hashes)):
        outputs.remove(rel)
