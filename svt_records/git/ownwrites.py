"""svt's own commits, kept as links from one (HEAD, git's index) state to the next.

A query proves the query index fresh by asking git what changed since the last query: the
commits (``git diff-tree``) and the staged files (``git diff-index --cached``), 45 ms of git
at 10,000 components. When every change since then was svt's own commit, svt already knows
the answer: its commit moved HEAD from its parent to itself, changing exactly its paths, and
it wrote git's index itself, changing exactly the same paths to the blobs it committed (see
``GitStaging``). Each such commit appends a link here; a query that finds an unbroken chain
of links from the state it last proved to the state it sees now takes the chain's paths
instead of asking git (index/freshness.py).

A link names git's index by its content: the SHA-1 git writes at the end of the file (its
trailer). Only an index svt read and wrote while holding git's ``index.lock`` is linked, so
nothing else can have changed it in between; an index without a trailer (index.skipHash)
is never linked. Anything else that moves HEAD or rewrites the index breaks the chain, and
the query asks git as before. The file is a hint: a line it cannot read ends the chain.
"""
from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING, NamedTuple, Sequence

if TYPE_CHECKING:
    import mmap

NAME = "own-writes"
KEEP = 64  # links kept; an older state than that is proven by asking git
NO_TRAILER = "0" * 40


class Link(NamedTuple):
    """One commit of svt's: HEAD and the index's trailer before and after, and its paths."""
    head_from: str
    head_to: str
    index_from: str
    index_to: str
    changed: tuple[str, ...]
    removed: tuple[str, ...]
    # what `git log --name-only --format=%an%aI%s` says of the commit: author, date, subject
    # and the files it really changed; None where svt does not know it exactly (older links)
    log: "tuple[str, str, str, tuple[str, ...]] | None" = None


class Chain(NamedTuple):
    """The paths a chain of links changed: ``touched`` all of them, ``removed`` those
    that the last link to touch them deleted."""
    touched: frozenset[str]
    removed: frozenset[str]


def record(svt_dir: Path, link: Link) -> None:
    """Add a link (after the commit landed and the index was written)."""
    import json
    if NO_TRAILER in (link.index_from, link.index_to):
        return
    path = svt_dir / NAME
    line = json.dumps(link._asdict(), ensure_ascii=True) + "\n"
    try:
        lines = path.read_text(encoding="ascii").splitlines(keepends=True)
    except (OSError, UnicodeDecodeError):
        lines = []
    if len(lines) >= KEEP:  # keep the newest half: the file stays small
        tmp = svt_dir / f".{NAME}.{os.getpid()}"
        tmp.write_text("".join(lines[-(KEEP // 2):]) + line, encoding="ascii")
        os.replace(tmp, path)
        return
    with open(path, "a", encoding="ascii") as fh:
        fh.write(line)


def since(svt_dir: Path, head: str, index: str, head_now: str, index_now: str
          ) -> Chain | None:
    """The paths svt's own commits changed on the way from (``head``, ``index``) to
    (``head_now``, ``index_now``), each index named by its trailer; None when the links do not
    lead there (another program moved HEAD or wrote the index, or the links were dropped)."""
    if NO_TRAILER in (index, index_now):
        return None
    if (head, index) == (head_now, index_now):
        return Chain(frozenset(), frozenset())
    links = _links(svt_dir)
    if links is None:
        return None
    touched: set[str] = set()
    removed: set[str] = set()
    state = (head, index)
    for link in links:
        if link is None:
            state = ("", "")  # unreadable: nothing after it may be trusted
            continue
        if (link.head_from, link.index_from) != state:
            continue
        for path in link.changed:
            removed.discard(path)
        touched.update(link.changed)
        touched.update(link.removed)
        removed.update(link.removed)
        state = (link.head_to, link.index_to)
        if state == (head_now, index_now):
            return Chain(frozenset(touched), frozenset(removed))
    return None


def _links(svt_dir: Path) -> list[Link | None] | None:
    """The links in order (None for a line that does not read as one); None without the
    file."""
    try:
        text = (svt_dir / NAME).read_text(encoding="ascii")
    except (OSError, UnicodeDecodeError):
        return None
    import json
    links: list[Link | None] = []
    for line in text.splitlines():
        try:
            links.append(Link(**json.loads(line)))
        except (ValueError, TypeError):
            links.append(None)
    return links


class Logged(NamedTuple):
    """One of svt's commits as ``git log`` lists it (see Link.log)."""
    sha: str
    author: str
    date: str
    subject: str
    paths: tuple[str, ...]


def commit_line(svt_dir: Path, old: str, new: str) -> list[Logged] | None:
    """svt's own commits after ``old`` up to ``new``, oldest first, each the single child
    of the one before, as git log lists them; None unless links lead from ``old`` to
    ``new`` and each knows its log (then git must say). A commit's parent, author, date,
    message and files never change, so any link that made it says so, whatever HEAD or
    git's index did since."""
    if old == new:
        return []
    links = _links(svt_dir)
    if links is None:
        return None
    # a commit: the link of svt's that made it (its facts do not depend on the lines before)
    made = {link.head_to: link for link in links if link is not None}
    line_of: list[Logged] = []
    at = new
    while at != old:
        link = made.pop(at) if at in made else None  # popped: a cycle ends the walk
        if link is None or not isinstance(link.log, list) or len(link.log) != 4:
            return None
        author, date, subject, paths = link.log
        if not all(isinstance(v, str) for v in (author, date, subject)) \
                or not isinstance(paths, list) or not all(isinstance(p, str) for p in paths):
            return None
        line_of.append(Logged(at, author, date, subject, tuple(paths)))
        at = link.head_from
    return line_of[::-1]


def trailer(data: "bytes | mmap.mmap") -> str:
    """The SHA-1 at the end of an index file's bytes, as hex (zeros with index.skipHash)."""
    return data[-20:].hex() if len(data) >= 32 else NO_TRAILER


def paths_tuple(paths: Sequence[str]) -> tuple[str, ...]:
    return tuple(sorted(set(paths)))
