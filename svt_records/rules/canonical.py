"""`svt fmt`: rewrite hand-edited records into the canonical form svt writes."""
from __future__ import annotations

import os

from ..files import yamlio
from .checks import walk
from ..model.errors import Problem
from ..store.base import StoreBase
from ..store.layout import CONFIG_FILE, record_kind, render_record


def canonical(root: str, rel: str) -> tuple[bytes | None, Problem | None]:
    """The canonical bytes of a record, or why it cannot be formatted."""
    try:
        data = yamlio.load(yamlio.read_text(os.path.join(root, rel))).data
    except yamlio.YamlError as exc:
        f = exc.finding
        return None, Problem(rel, f.line, f.column, f"{f.message} (fix it, then run svt fmt)")
    if not isinstance(data, dict):
        return None, Problem(rel, 1, 1, "not a mapping of fields; cannot format it")
    kind = record_kind(rel, data)
    if kind is None:
        return None, Problem(rel, 1, 1, "no kind: field; cannot tell which record this is")
    try:
        return render_record(rel, data, kind), None
    except (KeyError, TypeError, ValueError) as exc:
        return None, Problem(rel, 1, 1, f"cannot format: {exc}")


def format_paths(store: StoreBase, paths: list[str] | None, write: bool) -> tuple[list[str], list[Problem]]:
    root = str(store.root)
    starts = None
    if paths:
        starts = [os.path.relpath(os.path.abspath(p), root).replace(os.sep, "/") for p in paths]
    yamls, _, problems = walk(root, [s for s in starts if s != CONFIG_FILE] if starts else None)
    if starts is None or CONFIG_FILE in starts:
        yamls.insert(0, CONFIG_FILE)
    changed = []
    for rel in yamls:
        new, problem = canonical(root, rel)
        if problem:
            problems.append(problem)
        elif new != _read(root, rel):
            changed.append(rel)
    if write and changed:
        # Only now the lock (svt's own files are canonical: a pre-commit hook running this
        # inside svt's commit never gets here), and the files decided again under it.
        with store.locked():
            for rel in changed:
                new, _ = canonical(root, rel)
                if new is not None and new != _read(root, rel):
                    yamlio.atomic_write(os.path.join(root, rel), new)
    return changed, problems


def _read(root: str, rel: str) -> bytes:
    with open(os.path.join(root, rel), "rb") as fh:
        return fh.read()
