"""svt's git merge driver: the store-facing side of :mod:`merge`.

git runs the driver (``svt merge-driver %O %A %B %P``, registered by
:meth:`StoreBase.register_merge_driver`) for each component.yaml both sides changed. It reads
the three versions with the strict reader, merges them field by field and writes the
canonical form into %A. A field both sides changed to different values stays a conflict: the
file then holds conflict markers around it (so validate and a plain ``git add`` cannot pass
it by), and ``svt resolve ID`` (:mod:`resolve`) settles it from git's three stages of the file.
"""
from __future__ import annotations

import json
import os
import shlex
from pathlib import Path
from typing import Any

from . import merge
from ..files import yamlio
from ..model.errors import RecordError, Problem
from ..git.log import Commit
from ..git.repo import GitRepo
from .merge import Conflict
from ..store.layout import render_record

STAGES = {1: "base", 2: "ours", 3: "theirs"}


def read_version(text: str, where: str) -> dict:
    """A record as the strict reader reads it ({} for an empty file: added on both sides)."""
    if not text.strip():
        return {}
    try:
        data = yamlio.load(text).data
    except yamlio.YamlError as exc:
        f = exc.finding
        raise RecordError([Problem(where, f.line, f.column, f.message)]) from None
    if not isinstance(data, dict):
        raise RecordError([Problem(where, 1, 1, "a record must be a mapping of fields")])
    return data


def merged_text(rel_path: str, base: dict, ours: dict, theirs: dict,
                labels: tuple[str, str] = ("ours", "theirs")) -> tuple[str, list[Conflict]]:
    """The merge of three versions of a component record: canonical text, with conflict
    markers around each field both sides changed differently."""
    merged, conflicts = merge.merge_records(base, ours, theirs)
    text = render_record(rel_path, merged, "component").decode("utf-8")
    if conflicts:
        other, _ = merge.merge_records(base, ours, theirs, prefer="theirs")
        text = merge.with_markers(text, render_record(rel_path, other, "component").decode(
            "utf-8"), *labels)
    return text, conflicts


def run_driver(root: str | os.PathLike, base_file: str, ours_file: str, theirs_file: str,
               rel_path: str) -> tuple[list[Conflict], list[str]]:
    """Merge the files git gives the driver; the result replaces ``ours_file`` (only once it
    is complete). Returns the conflicts and the lines that explain them."""
    texts = [yamlio.read_text(Path(f)) for f in (base_file, ours_file, theirs_file)]
    base, ours, theirs = (read_version(t, f"{rel_path} ({side})")
                          for t, side in zip(texts, ("base", "ours", "theirs")))
    repo = GitRepo(root)
    theirs_rev, _ = repo.merging_commits()
    revs = {"ours": "HEAD", "theirs": theirs_rev}
    sides = [(side, repo.last_change(rev, rel_path) if rev else None)
             for side, rev in revs.items()]
    ours_label, theirs_label = (_label(side, c) for side, c in sides)
    text, conflicts = merged_text(rel_path, base, ours, theirs,
                                  labels=(ours_label, theirs_label))
    tmp = Path(ours_file + ".svt-merge")
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, ours_file)
    if not conflicts:
        return conflicts, []
    component_id = str(ours.get("id") or theirs.get("id") or rel_path.split("/")[-2])
    lines = explain_by_commit(repo, rel_path, component_id, conflicts, revs, sides)
    return conflicts, lines + explain(rel_path, component_id, [], sides)


def explain_by_commit(repo: GitRepo, rel_path: str, component_id: str,
                      conflicts: list[Conflict], revs: dict[str, str | None],
                      sides: list[tuple[str, Commit | None]]) -> list[str]:
    """Each conflict's two values, each with the commit on its side (``revs``: side name ->
    the side's tip) that set it, else the file's latest commit there (``sides``)."""
    lines = []
    for c in conflicts:
        by = [(side, _who_changed(repo, rev, revs, rel_path, c.field) or commit)
              for (side, commit), rev in zip(sides, revs.values())]
        lines += explain(rel_path, component_id, [c], by)[:-1]
    return lines


def conflicts_of(repo: GitRepo, rel_path: str) -> tuple[str, list[Conflict]]:
    """(component id, conflicting fields) of a component.yaml a stopped merge or rebase left
    unmerged, from git's three stages (2 before 3: in a rebase, the branch rebased onto).
    RecordError when a version cannot be read."""
    versions = stage_versions(repo, rel_path)
    _, conflicts = merge.merge_records(versions["base"], versions["ours"], versions["theirs"])
    cid = versions["ours"].get("id") or versions["theirs"].get("id") or rel_path.split("/")[-2]
    return str(cid), conflicts


def stage_versions(repo: GitRepo, rel_path: str) -> dict[str, dict]:
    """The base, ours and theirs of an unmerged component.yaml, from git's three stages ({}
    for a missing one). RecordError when a version cannot be read."""
    stages = repo.unmerged(rel_path)
    blobs = repo.read_blobs(list(stages.values()))
    return {name: read_version(((blobs.get(stages[n]) if n in stages else b"") or b"")
                               .decode("utf-8", "replace"), f"{rel_path} ({name})")
            for n, name in STAGES.items()}


def _who_changed(repo: GitRepo, rev: str | None, revs: dict, rel_path: str,
                 field: str) -> Commit | None:
    """The latest commit on one side (since the sides parted) that changed ``field``."""
    other = [r for r in revs.values() if r and r != rev]
    if not rev or not other:
        return None
    base = repo.merge_base(rev, other[0])
    history = repo.changes_of(f"{base}..{rev}" if base else rev, rel_path)
    blobs = repo.read_blobs([f"{sha}:{rel_path}" for c, parent in history
                             for sha in (c.sha, parent) if sha])
    for commit, parent in history:
        new = _read_quietly(blobs.get(f"{commit.sha}:{rel_path}"))
        old = _read_quietly(blobs.get(f"{parent}:{rel_path}")) if parent else {}
        if merge.field_value(new, field) != merge.field_value(old, field):
            return commit
    return None


def _read_quietly(data: bytes | None) -> dict:
    try:
        return read_version((data or b"").decode("utf-8", "replace"), "")
    except RecordError:
        return {}


def _label(side: str, commit: Commit | None) -> str:
    return f"{side} ({commit.sha[:7]} {commit.author})" if commit else side


def _value(value: Any) -> str:
    if value is None:
        return "(absent)"
    return json.dumps(value, ensure_ascii=False) if isinstance(value, (dict, list)) else str(value)


def explain(rel_path: str, component_id: str, conflicts: list[Conflict],
            sides: list[tuple[str, Commit | None]]) -> list[str]:
    """What a user needs to settle each conflict: both values, both commits, who and when."""
    lines = []
    for c in conflicts:
        lines.append(f"{rel_path}: {c.field} changed on both sides (was {_value(c.base)}):")
        for (side, commit), value in zip(sides, (c.ours, c.theirs)):
            by = (f" in {commit.sha[:7]} by {commit.author}, {commit.date}: {commit.subject}"
                  if commit else "")
            lines.append(f"  {side}: {_value(value)}{by}")
    lines.append(f"settle it with `svt resolve {shlex.quote(component_id)} --ours` (or"
                 " --theirs, or --set FIELD=VALUE), then continue the merge or rebase")
    return lines
