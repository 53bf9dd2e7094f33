"""A branch checked against the rules it came from: `svt validate --since BASE` also checks the
changed records against BASE's schemas and settings, so a pull request cannot loosen the rules
it is checked against (add ``banana`` to the status enum and use it) unnoticed."""
from __future__ import annotations

import os
import tempfile
from pathlib import Path
from typing import Any

from .. import model
from ..files import schema, yamlio
from .checks import check_files
from ..model.errors import InvalidInput, Problem
from ..store.base import StoreBase
from ..store.layout import COMPONENT_FILE, CONFIG_FILE, DEFAULT_MAX_FILE_MB, RECORDS

ALLOW_FLAG = "--allow-rule-changes"


def _config(raw: bytes | None) -> dict:
    try:
        data = yamlio.load(raw).data if raw is not None else None
    except yamlio.YamlError:
        return {}
    return data if isinstance(data, dict) else {}


def rule_changes(store: StoreBase, base: str, allowed: bool = False) -> list[Problem]:
    """Findings the changed records have only under ``base``'s rules (schemas/, svt.yaml):
    errors, or warnings when a maintainer approved the rule change (``allowed``)."""
    repo, root = store.repo, str(store.root)
    sha = repo.resolve(base)
    names = [f"{name}.schema.json" for name in schema.SCHEMA_NAMES]
    blobs = repo.read_blobs([f"{sha}:schemas/{n}" for n in names] + [f"{sha}:{CONFIG_FILE}"])
    old_schemas = {n: blobs.get(f"{sha}:schemas/{n}") for n in names}
    here = Path(store.schema_dir)
    changed_schemas = [f"schemas/{n}" for n, raw in old_schemas.items()
                       if raw is not None and (not (here / n).is_file()
                                               or (here / n).read_bytes() != raw)]
    old_config = _config(blobs.get(f"{sha}:{CONFIG_FILE}"))
    new_config = dict(store.config)
    settings = [k for k in ("positions", "max_file_mb")
                if old_config.get(k) != new_config.get(k)]
    if not changed_schemas and not settings:
        return []
    paths = sorted(p for p in set(repo.changed_since(sha))
                   if os.path.isfile(os.path.join(root, p))
                   and (p == CONFIG_FILE or p.startswith(RECORDS + "/")))
    from ..index.queries import Index
    paths = sorted(set(paths) | {p for p in Index(store).uncommitted()
                                 if os.path.isfile(os.path.join(root, p))})
    yamls = [p for p in paths if p.endswith(".yaml")]
    found: list[Problem] = []
    if changed_schemas and all(raw is not None for raw in old_schemas.values()):
        with tempfile.TemporaryDirectory(prefix="svt-base-schemas-") as tmp:
            for n, raw in old_schemas.items():
                Path(tmp, n).write_bytes(raw or b"")
            _, under_base = check_files(root, yamls, tmp)
        _, under_head = check_files(root, yamls, str(here))
        now = {(p.path, p.line, p.column) for p in under_head if p.severity == "error"}
        found += [p for p in under_base if p.severity == "error"
                  and (p.path, p.line, p.column) not in now]
    if "positions" in settings:
        found += _positions(root, yamls, old_config.get("positions"),
                            new_config.get("positions"))
    if "max_file_mb" in settings:
        limit = float(old_config.get("max_file_mb", DEFAULT_MAX_FILE_MB)) * 1024 * 1024
        found += [Problem(p, 1, 1, f"is {os.path.getsize(os.path.join(root, p)) / 1048576:.1f}"
                                   " MiB, over max_file_mb", rule="rules")
                  for p in paths if not p.endswith(".yaml")
                  and os.path.getsize(os.path.join(root, p)) > limit]
    what = ", ".join(changed_schemas + [f"{CONFIG_FILE} {k}" for k in settings])
    note = (f" under the rules of {base}: this branch changes the rules ({what})"
            + ("; a maintainer approved that" if allowed else
               f"; a maintainer must approve that ({ALLOW_FLAG})"))
    return [p._replace(message=p.message + note, severity="warning" if allowed else "error",
                       rule="rules") for p in found]


def _positions(root: str, yamls: list[str], old: Any, new: Any) -> list[Problem]:
    out = []
    for rel in yamls:
        if not rel.endswith("/" + COMPONENT_FILE):
            continue
        data = _config(Path(root, rel).read_bytes())
        position, ctype = data.get("position"), data.get("type")
        if not isinstance(position, str) or not isinstance(ctype, str):
            continue
        try:
            model.check_position(position, ctype, new if isinstance(new, dict) else None)
        except InvalidInput:
            continue  # wrong under the branch's own rules too: validate says so
        try:
            model.check_position(position, ctype, old if isinstance(old, dict) else None)
        except InvalidInput as exc:
            out.append(Problem(rel, 1, 1, str(exc), rule="rules"))
    return out
