"""`svt review`: a reviewer's summary of a change to the records, in Markdown."""
from __future__ import annotations

import json
import re
from typing import TYPE_CHECKING, Any

from ..model import registry
from ..files import yamlio
from ..rules.rulefiles import is_rule_file
from ..model.errors import Problem
from ..store.base import StoreBase
from ..store.layout import COMPONENT_FILE, RECORDS

if TYPE_CHECKING:
    from ..git.repo import GitRepo

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


__all__ = ["is_rule_file", "review", "rules_diff"]
DIFF_LINES = 400  # of the rules' diff shown; the rest is a command away


def rules_diff(repo: "GitRepo", base: str, head: str, paths: list[str]) -> list[str]:
    """The diff of the rule-bearing ``paths`` between two commits, as a fenced Markdown
    block (a fence longer than any run of backticks in it), at most DIFF_LINES lines.
    git's own diff: no external diff or textconv the store's attributes could name."""
    if not paths:
        return []
    text = repo.run("diff", "--no-color", "--no-ext-diff", "--no-textconv", "--no-renames",
                    base, head, "--", *paths)
    lines = text.splitlines()
    longest = max((len(run) for run in re.findall(r"`+", text)), default=0)
    fence = "`" * max(3, longest + 1)
    shown = lines[:DIFF_LINES]
    out = [fence + "diff", *shown, fence]
    if len(lines) > len(shown):
        out.append(f"({len(lines) - len(shown)} more lines: git diff {base[:12]} {head[:12]} --"
                   f" {' '.join(paths)})")
    return out


def _setting(key: str, old: Any, new: Any) -> str:
    if isinstance(old, (dict, list)) or isinstance(new, (dict, list)):
        return f"{key} (its diff is under Rules changed)"
    return f"{key}: {_show(old)} → {_show(new)}"


_STATUS = {"A": "added", "D": "deleted", "M": "changed", "T": "changed"}


def review(store: StoreBase, base: str, head: str, problems: list[Problem]) -> str:
    repo = store.repo
    base_sha, head_sha = repo.resolve(base), repo.resolve(head)
    everything = repo.changes_between(base_sha, head_sha)
    rule_paths = [p for _, p in everything if is_rule_file(p)]
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
                  " a maintainer must approve this.", *rules, "",
                  *rules_diff(repo, base_sha, head_sha, rule_paths), ""]
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
            keys = [k for k in dict.fromkeys([*(old or {}), *new])
                    if (old or {}).get(k) != new.get(k)]
            comps.append("- `svt.yaml` (store settings) changed" + (": " if keys else "")
                         + "; ".join(_setting(k, (old or {}).get(k), new.get(k)) for k in keys))
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
