"""History: the commits git log lists, as Commit's and LogEntry's.

``GitLog`` answers which commits changed which files (:meth:`~GitLog.log`,
:meth:`~GitLog.full_log`, which :meth:`~GitLog.start_full_log` runs on another core,
:meth:`~GitLog.line_of_commits`, :meth:`~GitLog.later_commits`...) and how revisions relate
(merge bases, ancestry, counts). It keeps a commit-graph with changed-path Bloom filters
current, without which a log of a path walks every commit's trees.
"""
from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING, Callable, NamedTuple, Sequence

from ..model.errors import GitError
from .process import GIT_MISSING
from .worktree import GitWorktree

if TYPE_CHECKING:
    import git


class Commit(NamedTuple):
    sha: str
    author: str
    date: str
    subject: str

    @classmethod
    def of(cls, parts: Sequence[str]) -> "Commit":
        """A Commit from git's fields (COMMIT_FORMAT), its date spelt one way."""
        sha, author, date, subject = parts
        return cls(sha, author, iso_date(date), subject)


def iso_date(date: str) -> str:
    """git's strict ISO 8601 date (%aI) spelt one way: git 2.39 writes a zero offset as
    +00:00, later versions as Z; svt's own commits (git/ownwrites.py) spell it +00:00."""
    return date[:-1] + "+00:00" if date.endswith("Z") else date


# git log's --format of a Commit: its fields in order, each ended by \x1f but the last
COMMIT_FORMAT = "%H%x1f%an%x1f%aI%x1f%s"


class LogEntry(NamedTuple):
    sha: str
    parents: list
    author: str
    date: str
    subject: str
    changes: list  # (status letter, path) of the files it changed


class GitLog(GitWorktree):
    """The history of the repository, and the commit-graph that makes it quick to read."""

    def log(self, paths: Sequence[str], limit: int = 5, rev: str | None = None) -> list[Commit]:
        """The latest commits touching ``paths`` (of HEAD's history, or of ``rev``'s); keeps a
        commit-graph with changed-path Bloom filters current, without which this walks every
        commit's trees."""
        if self.head() is None:
            return []
        self._refresh_commit_graph()
        out = self.run("log", f"-n{limit}", f"--format={COMMIT_FORMAT}",
                       *([rev] if rev else []), "--", *paths)
        commits = []
        for line in out.splitlines():
            parts = line.split("\x1f")
            if len(parts) == 4:
                commits.append(Commit.of(parts))
        return commits

    def full_log(self, paths: Sequence[str]) -> list[LogEntry]:
        """Every commit that changed ``paths``, newest first, with no history simplification
        (``--full-history``: a side of a merge whose change the merge dropped still shows),
        each with the files it changed (merges: against their first parent)."""
        if self.head() is None:
            return []
        self._refresh_commit_graph()
        return self._log_entries("--full-history", "--", *paths)

    def start_full_log(self, paths: Sequence[str]) -> Callable[[], list[LogEntry]]:
        """:meth:`full_log` started now on another core (its output goes to a temporary
        file, so git never waits for a reader); call the result for the entries."""
        if self.head() is None:
            return list
        self._refresh_commit_graph()
        import tempfile
        out = tempfile.TemporaryFile()
        argv = ["git", *self._log_args("--full-history", "--", *paths)]
        try:
            import subprocess
            proc = subprocess.Popen(argv, cwd=self.root, stdout=out, stderr=subprocess.PIPE)
        except FileNotFoundError:
            out.close()
            raise GitError(GIT_MISSING) from None

        def entries() -> list[LogEntry]:
            with out:
                _, err = proc.communicate()
                if proc.returncode != 0:
                    raise GitError(f"git log failed (exit {proc.returncode}):"
                                   f" {err.decode('utf-8', 'replace').strip()}")
                out.seek(0)
                return _log_entries(out.read().decode("utf-8", "surrogateescape"))
        return entries

    def history_is_plain(self) -> bool:
        """Whether HEAD's history is just what its commits say: no shallow boundary, grafts
        or replace refs, each of which can change what ``git log`` lists without HEAD
        moving (a deepening fetch, ``git replace``). A few stats (and packed-refs read)."""
        if any(os.environ.get(v) for v in ("GIT_GRAFT_FILE", "GIT_REPLACE_REF_BASE",
                                            "GIT_SHALLOW_FILE")):
            return False
        common = self.common_dir
        if self.is_shallow() or (common / "info" / "grafts").exists():
            return False
        replace = common / "refs" / "replace"
        if replace.is_dir() and any(replace.iterdir()):
            return False
        try:
            return b" refs/replace/" not in (common / "packed-refs").read_bytes()
        except FileNotFoundError:
            return True

    def line_of_commits(self, old: str, new: str) -> list[LogEntry] | None:
        """The commits after ``old`` up to ``new``, oldest first, each with the files it
        changed against its parent, when they are one line of single-parent commits growing
        from ``old``; None otherwise (``old`` is not an ancestor, a merge on the way)."""
        try:
            entries = self._log_entries("--relative", "--topo-order", f"{old}..{new}",
                                        "--")[::-1]
        except GitError:  # old is gone (a rewritten history, pruned)
            return None
        parent = old
        for entry in entries:
            if entry.parents != [parent]:
                return None
            parent = entry.sha
        return entries if parent == new else None

    def commit_entry(self, commit: str) -> LogEntry:
        """One commit, with the files it changed (a merge: against its first parent)."""
        return self._log_entries("-1", commit, "--")[0]

    def _log_entries(self, *args: str) -> list[LogEntry]:
        return _log_entries(self.run(*self._log_args(*args)))

    @staticmethod
    def _log_args(*args: str) -> list[str]:
        """git log's arguments for LogEntry's: each commit with the files it changed."""
        return ["log", "--diff-merges=first-parent", "--no-renames", "--name-status", "-z",
                f"--format=%x1e{COMMIT_FORMAT}%x1f%P%x1f", *args]

    def later_commits(self, base: str, paths: Sequence[str], *,
                      which: str = "descendants") -> list[tuple[Commit, str]]:
        """(commit, message body) of the commits HEAD has and ``base`` has not that changed
        ``paths``, newest first, without history simplification: the ``descendants`` of
        ``base`` but merges, ``all`` (those merged in from elsewhere too) but merges, or the
        ``merges`` of HEAD's first-parent line."""
        args = {"descendants": ["--full-history", "--no-merges", "--ancestry-path"],
                "all": ["--full-history", "--no-merges"],
                "merges": ["--first-parent", "--merges"]}[which]
        out = self.run("log", *args, f"--format=%x1e{COMMIT_FORMAT}%x1f%b",
                       f"{base}..HEAD", "--", *paths)
        found = []
        for chunk in out.split("\x1e")[1:]:
            parts = chunk.split("\x1f", 4)
            if len(parts) == 5:
                found.append((Commit.of(parts[:4]), parts[4]))
        return found

    def changes_of(self, revs: str, path: str, limit: int = 50) -> list[tuple[Commit, str]]:
        """(commit, first parent) of the latest commits in ``revs`` (e.g. BASE..SIDE) that
        changed ``path``, newest first."""
        out = self.run("log", f"-n{limit}", f"--format={COMMIT_FORMAT}%x1f%P", revs,
                       "--", path, check=False)
        found = []
        for line in out.splitlines():
            parts = line.split("\x1f")
            if len(parts) == 5:
                found.append((Commit.of(parts[:4]), (parts[4].split() or [""])[0]))
        return found

    def last_change(self, rev: str, path: str) -> Commit | None:
        """The latest commit in ``rev``'s history that changed ``path``."""
        out = self.run("log", "-1", f"--format={COMMIT_FORMAT}", rev, "--", path,
                       check=False).strip()
        parts = out.split("\x1f")
        return Commit.of(parts) if len(parts) == 4 else None

    def changes_between(self, base: str, head: str,
                        paths: Sequence[str] = ()) -> list[tuple[str, str]]:
        """(status letter, path) of every file (under ``paths``, if given) that differs
        between two revisions."""
        out = self.run("diff", "--name-status", "-z", "--no-renames", base, head, "--", *paths)
        parts = [p for p in out.split("\0") if p]
        return list(zip(parts[0::2], parts[1::2]))

    def merge_base(self, a: str, b: str) -> str | None:
        return self.run("merge-base", a, b, check=False).strip() or None

    def is_ancestor(self, a: str, b: str) -> bool:
        return self.attempt("merge-base", "--is-ancestor", a, b)[0] == 0

    def count(self, revs: str) -> int:
        """How many commits ``revs`` (e.g. A..B) holds."""
        return int(self.run("rev-list", "--count", revs).strip() or 0)

    def has_merges(self, revs: str) -> bool:
        return bool(self.run("rev-list", "--merges", "-n1", revs).strip())

    def unique_commits(self, upstream: str, head: str) -> int:
        """How many commits of ``head`` make a change ``upstream`` holds no equal of
        (git cherry: a rebased copy of a commit counts as the same)."""
        return sum(line.startswith("+") for line in self.run("cherry", upstream,
                                                              head).splitlines())

    def is_shallow(self) -> bool:
        """A shallow clone: history before its oldest commits is not here."""
        return (self.common_dir / "shallow").is_file()

    def gitpython(self) -> git.Repo:
        """This repository as a GitPython ``git.Repo``, for scripts that explore history.
        GitPython is imported here, on first use: it costs 0.16 s, and no command needs it."""
        import git
        return git.Repo(self.root)

    # ---- the commit-graph ---------------------------------------------------------------
    GRAPH_REFRESH_EVERY = 200  # svt commits after which the commit-graph gets a new layer

    def _graph_counter(self) -> Path:
        return self.svt_dir() / "commits-since-graph"

    def note_commit(self) -> None:
        """Count svt's commits since the commit-graph was last written (cheap, no git)."""
        counter = self._graph_counter()
        try:
            n = int(counter.read_text() or 0)
        except (OSError, ValueError):
            n = 0
        counter.write_text(str(n + 1))

    def _refresh_commit_graph(self) -> None:
        info = self.common_dir / "objects" / "info"
        exists = (info / "commit-graph").exists() or (info / "commit-graphs").exists()
        counter = self._graph_counter()
        try:
            stale = int(counter.read_text() or 0) >= self.GRAPH_REFRESH_EVERY
        except (OSError, ValueError):
            stale = False
        if exists and not stale:
            return
        args = ["commit-graph", "write", "--reachable", "--changed-paths"]
        if exists:
            args.append("--split")
        try:
            self.run(*args)
        except GitError:
            pass  # the counter stays, so the next history query tries again
        else:
            counter.write_text("0")
        if not exists:
            # later fetches and pulls keep the graph (and its Bloom filters) current
            self.run("config", "fetch.writeCommitGraph", "true", check=False)


def _log_entries(out: str) -> list[LogEntry]:
    """The LogEntry's of git log's output with :meth:`GitRepo._log_args`."""
    entries = []
    for chunk in out.split("\x1e")[1:]:  # header \x1f NUL, then "\n" status NUL path NUL ...
        head, _, files = chunk.partition("\x1f\x00")
        sha, author, date, subject, parents = head.split("\x1f")[:5]
        parts = [p for p in files.lstrip("\n").split("\x00") if p]
        changes = list(zip(parts[0::2], parts[1::2]))
        entries.append(LogEntry(sha, parents.split(), author, iso_date(date), subject, changes))
    return entries
