"""Committing: a commit of exactly the files a command wrote.

Commits are made with plumbing (hash-object for blobs and trees, commit-tree, update-ref) so
that a commit holds exactly the files a command wrote, whatever else the user has staged, and
costs a few milliseconds whatever the size of the repository. When the repository has a ``pre-commit`` or
``commit-msg`` hook, the commit goes through ``git commit`` on a private index instead, so the
hooks run and see exactly svt's files. See docs/performance.md for the measurements behind this.
"""
from __future__ import annotations

import os
from typing import Callable, Sequence

from ..model.errors import GitError
from . import ownwrites
from .log import GitLog
from .objects import Changed, GitObjects, _mode
from .process import fault_point

_ZERO = "0" * 40
BULK_THRESHOLD = 64  # changed paths above which one private index beats a tree per folder


class GitCommit(GitObjects, GitLog):
    """Commits of exactly the files a command wrote (objects, the ref, then git's index)."""

    def commit_files(self, paths: Sequence[str], message: str, parent: str | None,
                     before_ref_update: Callable[[str | None], None] | None = None,
                     refilter: Sequence[str] = (), removed: Sequence[str] = ()) -> str:
        """Commit exactly ``paths`` (as they are on disk), and the deletion of ``removed``,
        on top of ``parent``.

        The user's index is touched only at those paths afterwards, so their own staged
        changes stay staged and uncommitted. ``refilter`` are those of ``paths`` whose bytes
        on disk did not change but whose filter did (svt init --lfs): git's stat cache would
        keep their old blobs, so their index entries are made anew. Returns the new commit's id.
        """
        paths = list(paths)
        env = self._identity_env()
        if self.hooks_present():
            return self._commit_with_hooks(paths, message, parent, env, before_ref_update,
                                           refilter, removed)
        loose = self._loose_writer()
        if loose is not None and self._plain_blobs(paths):
            shas = [loose.write(b"blob", (self.root / p).read_bytes()) for p in paths]
        else:
            shas = self.hash_files(paths)
        changes = {p: (_mode(self.root / p), s) for p, s in zip(paths, shas)}
        changed: Changed | None = None
        if len(changes) + len(removed) > BULK_THRESHOLD:
            tree = self._bulk_tree(parent, changes, removed)
        else:
            changed = Changed()
            with self.batch() as reader:
                base_tree = reader.commit_tree(parent) if parent else None
                tree = self._update_tree(reader, base_tree, {
                    **changes, **dict.fromkeys(removed)}, changed) or self._write_tree({})
                reader.done_reading()  # the commit reads no more objects
        commit, authored = self._commit_object(tree, parent, message, env)
        if before_ref_update:
            before_ref_update(commit)
        self.run("update-ref", "-m", f"commit (svt): {message.splitlines()[0]}", "HEAD", commit,
                 parent or _ZERO)
        fault_point("ref-updated")
        self.note_commit()
        states = self.sync_index(paths, refilter, removed, blobs=changes)
        if states is not None and parent is not None and not refilter:
            logged = None  # what git log says of the commit, where svt knows it exactly
            if authored is not None and changed is not None and changed.exact:
                logged = (*authored, ownwrites.paths_tuple(changed.paths))
            ownwrites.record(self.svt_dir(), ownwrites.Link(
                parent, commit, states.before, states.after, ownwrites.paths_tuple(paths),
                ownwrites.paths_tuple(removed), logged))
        return commit

    def _commit_with_hooks(self, paths: list[str], message: str, parent: str | None,
                           env: dict[str, str],
                           before_ref_update: Callable[[str | None], None] | None,
                           refilter: Sequence[str] = (), removed: Sequence[str] = ()) -> str:
        tmp_index = self.svt_dir() / "commit-index"
        env = dict(env, GIT_INDEX_FILE=str(tmp_index))
        try:
            if parent:
                self.run("read-tree", parent, env=env)
            else:
                self.run("read-tree", "--empty", env=env)
            self._update_index(paths, removed, env=env)
            if before_ref_update:
                before_ref_update(None)
            import subprocess
            proc = subprocess.run(["git", "commit", "-q", "--no-status", "-F", "-"],
                                  cwd=self.root, input=message.encode("utf-8"),
                                  capture_output=True, env={**os.environ, **env})
            if proc.returncode != 0:
                err = (proc.stderr or proc.stdout).decode("utf-8", "replace").strip()
                raise GitError(f"the commit was refused by a git hook or by git: {err or 'no reason given'}")
            head = self.head()
            assert head is not None
        finally:
            tmp_index.unlink(missing_ok=True)
        self.sync_index(paths, refilter, removed)
        return head

    def _bulk_tree(self, parent: str | None, changes: dict[str, tuple[str, str]],
                   removed: Sequence[str] = ()) -> str:
        """For large changes (imports): a private index is cheaper than a tree per folder."""
        tmp_index = self.svt_dir() / "bulk-index"
        env = {"GIT_INDEX_FILE": str(tmp_index)}
        try:
            self.run("read-tree", *( [parent] if parent else ["--empty"]), env=env)
            lines = [f"{mode} {sha}\t{path}" for path, (mode, sha) in changes.items()]
            if lines:
                self.run("update-index", "-z", "--index-info",
                         input=("\0".join(lines) + "\0").encode("utf-8"), env=env)
            self._update_index((), removed, env=env)
            return self.run("write-tree", env=env).strip()
        finally:
            tmp_index.unlink(missing_ok=True)
