"""`svt review`: a reviewer's summary of a change to the records, in Markdown."""
from __future__ import annotations

import json
from typing import Any

from ..model import registry
from ..files import yamlio
from .forge import RULE_PATHS
from ..model.errors import Problem
from ..store.base import StoreBase
from ..store.layout import COMPONENT_FILE, RECORDS

_SKIP = {"created"}


def _load(raw: bytes | None) -> dict | None:
    if raw is None:
        return None
    try:
        data = yamlio.load(raw).data
    except yamlio.YamlError:
        return None
    return data if isinstance(data, dict) else None


def _show(value: Any) -> str:
    if isinstance(value, (dict, list)):
        return "`" + json.dumps(value, ensure_ascii=False) + "`"
    return "–" if value is None else f"`{value}`"


def is_rule_file(path: str) -> bool:
    """A file the checks of a store follow (schemas, settings, attributes, CI, owners)."""
    return any(path.startswith(r) if r.endswith("/") else path == r for r in RULE_PATHS)


_STATUS = {"A": "added", "D": "deleted", "M": "changed", "T": "changed"}


def review(store: StoreBase, base: str, head: str, problems: list[Problem]) -> str:
    repo = store.repo
    base_sha, head_sha = repo.resolve(base), repo.resolve(head)
    everything = repo.changes_between(base_sha, head_sha)
    rules = [f"- `{p}` {_STATUS.get(s[:1], 'changed')}" for s, p in everything
             if is_rule_file(p)]
    changes = [(s, p) for s, p in everything
               if p.startswith(RECORDS + "/") or p == "svt.yaml"]
    yaml_paths = [p for _, p in changes if p.endswith(".yaml")]
    blobs = repo.read_blobs([f"{base_sha}:{p}" for p in yaml_paths] +
                            [f"{head_sha}:{p}" for p in yaml_paths])
    sizes = repo.read_blobs([f"{head_sha}:{p}" for s, p in changes
                             if not p.endswith(".yaml") and s != "D"])
    lines = [f"## svt review of `{base}..{head}`", ""]
    if rules:
        lines += ["### Rules changed", "The rules these records are checked against change:"
                  " a maintainer must approve this.", *rules, ""]
    comps, events, files, removed = [], [], [], []
    for status, path in changes:
        if status == "D":
            removed.append(path)
            continue
        if not path.endswith(".yaml"):
            data = sizes.get(f"{head_sha}:{path}")
            files.append(f"- `{path}` ({len(data) if data is not None else '?'} bytes)")
            continue
        new = _load(blobs.get(f"{head_sha}:{path}"))
        old = _load(blobs.get(f"{base_sha}:{path}"))
        if new is None:
            comps.append(f"- `{path}`: cannot be read (see problems below)")
        elif path.endswith("/" + COMPONENT_FILE):
            cid = new.get("id", path.split("/")[2])
            if old is None:
                comps.append(f"- **{cid}** added: {new.get('type')}, {new.get('status')}"
                             + (f", at {new['location']}" if new.get("location") else ""))
            else:
                diffs = [f"{k}: {_show(old.get(k))} → {_show(new.get(k))}"
                         for k in dict.fromkeys([*old, *new]) if k not in _SKIP
                         and old.get(k) != new.get(k)]
                comps.append(f"- **{cid}** changed: " + "; ".join(diffs or ["(formatting only)"]))
        elif path == "svt.yaml":
            comps.append("- `svt.yaml` (store settings) changed")
        else:
            events.append(f"- {registry.review_line(new)}" + ("" if old is None else " *(edited)*"))
    if comps:
        lines += ["### Components", *comps, ""]
    if events:
        lines += ["### Events", *events, ""]
    if files:
        lines += ["### Files added", *files, ""]
    if removed:
        lines += ["### Removed files (svt never deletes records: check these)",
                  *[f"- `{p}`" for p in removed], ""]
    if not changes:
        lines += ["No records changed.", ""]
    errors = [p for p in problems if p.severity == "error"]
    lines += [f"### Validation: {'✅ clean' if not errors else f'❌ {len(errors)} error(s)'}"
              + (f", {len(problems) - len(errors)} warning(s)" if len(problems) > len(errors) else "")]
    lines += [f"- `{p.path}:{p.line}:{p.column}` {p.severity}: {p.message}" for p in problems]
    return "\n".join(lines) + "\n"
