"""`svt review`: a reviewer's summary of a branch's change to the records, in Markdown.

A review of ``BASE..HEAD`` (or ``BASE...HEAD``: the same) shows what HEAD changed since it
grew from BASE (their merge base), whatever BASE did since, and validates the records as
merging HEAD into BASE would leave them: git works the merge out in its object store
(:meth:`~..git.preview.GitPreview.merge_tree`) and svt checks it in a scratch work tree, so
the user's work tree, index and HEAD stay as they are. A merge that conflicts is named, file
by file, instead of a verdict.
"""
from __future__ import annotations

import json
import re
import tempfile
from typing import TYPE_CHECKING, Any

from ..model import registry
from ..files import yamlio
from ..git.config import MERGE_DRIVER
from ..rules.rulefiles import is_rule_file
from ..model.errors import InvalidInput, Problem
from ..store.base import StoreBase, merge_driver_command
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


__all__ = ["is_rule_file", "parse_range", "review", "rules_diff"]
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


def parse_range(revisions: str) -> tuple[str, str]:
    """(base, head) of ``BASE..HEAD`` or ``BASE...HEAD`` (both: what HEAD changed since it
    grew from BASE). A missing BASE is ``HEAD~1``, a missing HEAD is ``HEAD``; one revision
    alone is its base: ``origin/main`` reviews ``origin/main..HEAD``."""
    sep = "..." if "..." in revisions else ".."
    base, found, head = revisions.partition(sep)
    if not found:
        base, head = revisions, "HEAD"
    return base or "HEAD~1", head or "HEAD"


def review(store: StoreBase, base: str, head: str) -> str:
    """The Markdown review of what ``head`` changed since it grew from ``base`` (their merge
    base), with the validation of the records as merging ``head`` into ``base`` leaves
    them, or the files that merge conflicts in."""
    repo = store.repo
    base_sha, head_sha = repo.resolve(base), repo.resolve(head)
    fork = repo.merge_base(base_sha, head_sha)
    if fork is None:
        raise InvalidInput(f"{base} and {head} have no commit in common, so {head} did not grow"
                           f" from {base}: give the branch it was made from as the base (e.g."
                           " origin/main)")
    lines = [f"## svt review of `{base}..{head}`", ""]
    if fork != base_sha:
        lines += [f"`{head}` grew from `{base}` at {fork[:12]}, and `{base}` has"
                  f" {repo.count(f'{fork}..{base_sha}')} commit(s) since: below is what"
                  f" `{head}` changes since {fork[:12]}, and the validation of merging it"
                  f" into `{base}`.", ""]
    lines += _changes(repo, fork, head_sha)
    merged = repo.merge_tree(base_sha, head_sha, [
        f"merge.{MERGE_DRIVER}.name=svt: component.yaml field by field",
        f"merge.{MERGE_DRIVER}.driver={merge_driver_command()}"])
    if merged.conflicts:
        lines += [f"### Merge: ❌ {len(merged.conflicts)} file(s) in conflict",
                  f"Merging `{head}` into `{base}` conflicts in these files, so the merged"
                  " records were not validated:",
                  *[f"- `{p}`" for p in merged.conflicts],
                  f"The branch must take in `{base}` and settle them (docs/collaboration.md)"
                  " before it can merge; then review it again."]
        return "\n".join(lines) + "\n"
    problems = merged_problems(store, base, base_sha, head_sha, merged.tree)
    errors = [p for p in problems if p.severity == "error"]
    lines += [f"### Validation: {'✅ clean' if not errors else f'❌ {len(errors)} error(s)'}"
              + (f", {len(problems) - len(errors)} warning(s)" if len(problems) > len(errors) else ""),
              f"Checked: the records as merging `{head}` into `{base}` leaves them.", ""]
    lines += [f"- `{p.path}:{p.line}:{p.column}` {p.severity}: {p.message}" for p in problems]
    return "\n".join(lines).rstrip("\n") + "\n"


def merged_problems(store: StoreBase, base: str, base_sha: str, head_sha: str,
                    tree: str) -> list[Problem]:
    """What `svt validate --since BASE` finds in ``tree`` (the merge of ``head_sha`` into
    ``base_sha``), checked in a scratch work tree: the components the merge changes, also
    against the base's rules."""
    from ..rules.checks import validate_store
    from ..rules.rulechanges import rule_changes
    if checked_out(store, tree):  # CI's checkout of a pull request is its merge
        problems, _ = validate_store(store, since=base_sha)
        return sorted(set(problems) | set(rule_changes(store, base_sha, label=base)))
    with tempfile.TemporaryDirectory(prefix="svt-review-") as folder:
        store.repo.scratch_work_tree(folder, tree, [base_sha, head_sha], "merged",
                                     f"svt review: {head_sha} merged into {base_sha}")
        merged = StoreBase(folder)
        problems, _ = validate_store(merged, since=base_sha)
        problems += rule_changes(merged, base_sha, label=base)
    return sorted(set(problems))


def checked_out(store: StoreBase, tree: str) -> bool:
    """Whether the work tree holds exactly ``tree`` where validation looks (svt.yaml,
    schemas/, records/): HEAD's tree is ``tree`` and git sees no change there, staged,
    unstaged, untracked or ignored. Then the records can be checked where they are, instead
    of in a scratch copy of the whole store."""
    return (store.repo.tree_of("HEAD") == tree
            and not store.repo.changes_under(["svt.yaml", "schemas", RECORDS]))


def _changes(repo: "GitRepo", base_sha: str, head_sha: str) -> list[str]:
    """The sections of what changed from ``base_sha`` to ``head_sha``."""
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
    lines = []
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
    return lines
