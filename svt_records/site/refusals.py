"""What `svt site` refuses before it writes anything (docs/security.md).

- **An OUT the store can put links in.** CI builds the site into a folder of the checked-out
  store (``svt --repo . site public``). A pull request could commit that folder, or one of
  its folders, as a symbolic link (the site would write through it, and the Pages upload
  follows links), or commit files into it. So OUT, where it is inside the store, must hold
  no file the store tracks and pass no symbolic link of the store.
- **Unsafe input**, whatever else validation says: a symbolic link under records/ (validate's
  walk, which never follows one) and a name that is not path-safe (a component id, test type,
  measurement name or stored file name: rules/safety.py). Other validation problems are
  published on validation.html and the build goes on.

Each refusal is one line that says what is wrong and what to do; nothing is written.
"""
from __future__ import annotations

import os
import shlex
from pathlib import Path
from typing import Iterable

from ..model.errors import InvalidInput
from ..model.names import path_safe_problem
from ..rules.safety import REFUSED_RULES
from ..store.base import StoreBase

NOTHING_WRITTEN = "nothing was written"


def refuse_out(db: StoreBase, target: Path, given: str | os.PathLike) -> None:
    """Refuse an OUT inside the store that passes a link of the store or holds tracked
    files. ``target``: OUT as an absolute path, links not resolved."""
    root = os.path.realpath(db.root)
    here = str(target)
    while True:
        parent = os.path.dirname(here)
        if os.path.islink(here) and _inside(os.path.realpath(parent), root):
            raise InvalidInput(
                f"svt site will not build into {given}: {here} is a symbolic link inside the"
                " store, which a pull request could point anywhere; build into a folder the"
                f" store does not hold (e.g. outside it); {NOTHING_WRITTEN}")
        if parent == here:
            break
        here = parent
    real = os.path.realpath(target)
    if not _inside(real, root):
        return
    rel = os.path.relpath(real, root).replace(os.sep, "/")
    tracked = db.repo.run("--literal-pathspecs", "ls-files", "-z", "--", rel).split("\0")
    tracked = [t for t in tracked if t]
    if tracked:
        # the store's own folder holds every record: never suggest untracking it
        untrack = "" if rel == "." else f"git rm -r --cached -- {shlex.quote(rel)} and commit, or "
        raise InvalidInput(
            f"svt site will not build into {given}: the store tracks files there"
            f" ({tracked[0]}{' and more' if len(tracked) > 1 else ''}), which a pull"
            " request could make links; build into a folder the store does not track"
            f" ({untrack}another folder, e.g. public); {NOTHING_WRITTEN}")


def _inside(path: str, root: str) -> bool:
    return path == root or path.startswith(root.rstrip(os.sep) + os.sep)


def refuse_unsafe(components: Iterable[tuple[str, str]], problems: list[list]) -> None:
    """Refuse a build whose input holds a symbolic link or a name that is not path-safe:
    ``components``: (id, record path) of every component the site makes pages of;
    ``problems``: the build's validation report (path, line, column, message, severity,
    rule)."""
    found = [f"{path}:1:1: {problem}" for cid, path in components
             if (problem := path_safe_problem(cid, "id"))]
    found += [f"{p[0]}:{p[1]}:{p[2]}: {p[3]}" for p in problems
              if len(p) > 5 and p[5] in REFUSED_RULES]
    if found:
        more = f" (and {len(found) - 1} more)" if len(found) > 1 else ""
        raise InvalidInput(f"svt site refuses this store: {found[0]}{more}. Fix it (svt validate"
                           f" lists every such problem) and build again; {NOTHING_WRITTEN}")
