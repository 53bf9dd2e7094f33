"""A branch checked against the rules it came from: `svt validate --since BASE`.

Two checks. The changed records are also checked against BASE's schemas and settings
(``positions``, ``max_file_mb``), so a branch cannot loosen the rules and use the loosening in
one go (add ``banana`` to the status enum and set a module to it). And with
``--rules-need-approval`` (what CI passes) any change to a rule-bearing file
(:func:`.rulefiles.is_rule_file`: ``schemas/``, every key of ``svt.yaml``, ``.gitattributes``,
hooks, CI files, CODEOWNERS) is itself an error, whether or not a record fails yet: a branch
that only loosens a schema would otherwise pass, and the next branch use it. Either becomes a
warning with ``--allow-rule-changes``, which CI passes when a maintainer approved.
svt's own pre-commit hook runs ``validate --since HEAD`` without ``--rules-need-approval``:
svt's own commands change rule files (``svt init --lfs``, ``--pages``, ``svt upgrade``).
"""
from __future__ import annotations

import os
import tempfile
from pathlib import Path
from typing import Any

from .. import model
from ..files import schema, yamlio
from .checks import check_files
from .rulefiles import ALLOW_FLAG, APPROVAL_LABEL, NEED_FLAG, is_rule_file
from ..model.errors import InvalidInput, Problem
from ..store.base import StoreBase
from ..store.layout import COMPONENT_FILE, CONFIG_FILE, DEFAULT_MAX_FILE_MB, RECORDS

__all__ = ["ALLOW_FLAG", "NEED_FLAG", "rule_changes", "changed_rule_files"]


def _config(raw: bytes | None) -> dict:
    try:
        data = yamlio.load(raw).data if raw is not None else None
    except yamlio.YamlError:
        return {}
    return data if isinstance(data, dict) else {}


def _disk(root: str, rel: str) -> bytes | None:
    try:
        with open(os.path.join(root, rel), "rb") as fh:
            return fh.read()
    except OSError:
        return None


def changed_rule_files(changed: list[str]) -> list[str]:
    """The rule-bearing files among ``changed`` (what differs between a commit and the work
    tree: committed since, staged or edited; added or deleted)."""
    return sorted(p for p in changed if is_rule_file(p))


def rule_changes(store: StoreBase, base: str, allowed: bool = False,
                 need_approval: bool = False, label: str | None = None) -> list[Problem]:
    """Findings of a branch against ``base``'s rules: errors, or warnings when a maintainer
    approved the rule change (``allowed``). ``need_approval``: every changed rule-bearing file
    is a finding too (CI), not only the records that fail under ``base``'s rules. ``label``:
    what the findings call ``base`` (``svt review`` gives a commit, the user named a branch)."""
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
    new_raw = _disk(root, CONFIG_FILE)
    new_config = _config(new_raw)
    keys = sorted(k for k in set(old_config) | set(new_config)
                  if old_config.get(k) != new_config.get(k))
    found: list[Problem] = []
    settings = [k for k in ("positions", "max_file_mb") if k in keys]
    under_base = bool(changed_schemas or settings)
    changed = repo.changed_since(sha) if need_approval or under_base else []  # one git pass
    rule_files = changed_rule_files(changed) if need_approval else []
    if need_approval:
        found += _rule_file_changes(rule_files, keys, new_raw)
    if under_base:
        found += _under_base(store, sha, changed, old_schemas, changed_schemas, old_config,
                             new_config, settings)
    what = ", ".join(rule_files or changed_schemas + [f"{CONFIG_FILE} {k}" for k in settings])
    out = []
    for p in found:
        if p.rule != "rules-changed":
            note = f" under the rules of {label or base}: this branch changes the rules ({what})"
        else:
            note = ""
        note += ("; a maintainer approved that" if allowed else
                 f"; a maintainer must approve that ({ALLOW_FLAG}; CI passes it when the"
                 f" pull/merge request has the label {APPROVAL_LABEL})")
        out.append(p._replace(message=p.message + note,
                              severity="warning" if allowed else "error", rule="rules"))
    return out


def _rule_file_changes(paths: list[str], keys: list[str], new_raw: bytes | None
                       ) -> list[Problem]:
    """One finding per changed rule-bearing file; svt.yaml's names the keys, at the line of
    the first (so the annotation lands on it)."""
    out = []
    for path in paths:
        line = 1
        if path == CONFIG_FILE:
            what = (f"changes {CONFIG_FILE}: {', '.join(keys)}" if keys
                    else f"changes {CONFIG_FILE} (comments or formatting)")
            lines = new_raw.decode("utf-8", "replace").splitlines() if new_raw else []
            line = next((i for i, text in enumerate(lines, 1) for k in keys
                         if text.startswith((f"{k}:", f'"{k}":'))), 1)
        elif path.startswith("schemas/"):
            what = "changes a schema the records are checked against"
        elif path.endswith(".gitattributes"):
            what = "changes how git stores, diffs and merges files"
        elif "CODEOWNERS" in path:
            what = "changes who must approve changes"
        elif path == ".pre-commit-config.yaml":
            what = "changes the hooks that check commits"
        else:
            what = "changes the CI that checks pull/merge requests"
        out.append(Problem(path, line, 1, f"this branch {what}, a rule change",
                           rule="rules-changed"))
    return out


def _under_base(store: StoreBase, sha: str, changed: list[str],
                old_schemas: dict[str, bytes | None], changed_schemas: list[str],
                old_config: dict, new_config: dict, settings: list[str]) -> list[Problem]:
    """The changed records' findings under ``sha``'s schemas and settings only; ``changed``:
    what differs between ``sha`` and the work tree."""
    repo, root, here = store.repo, str(store.root), Path(store.schema_dir)
    paths = sorted(p for p in set(changed)
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
    return found


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
