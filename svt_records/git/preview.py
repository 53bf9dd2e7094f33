"""A merge worked out without touching the work tree, git's index or HEAD (``svt review``).

``GitPreview`` asks git for the tree a merge of two commits gives (``git merge-tree
--write-tree``: only new objects are written) and the files it leaves in conflict, and reads a
tree out into a scratch work tree of its own: a folder with its own small repository, which
borrows this one's objects (``objects/info/alternates``), so that svt can read and validate
it as a store while the user's clone stays as it is.
"""
from __future__ import annotations

import os
from pathlib import Path
from typing import NamedTuple, Sequence

from ..model.errors import GitError
from .log import GitLog
from .process import GIT_MISSING

# What git reads from the environment to find a repository, an index or objects: a scratch
# work tree's commands name their own, whatever the caller's environment says.
_LOCATION_VARS = ("GIT_DIR", "GIT_WORK_TREE", "GIT_INDEX_FILE", "GIT_OBJECT_DIRECTORY",
                  "GIT_ALTERNATE_OBJECT_DIRECTORIES", "GIT_COMMON_DIR", "GIT_NAMESPACE")
_SCRATCH_IDENTITY = {"GIT_AUTHOR_NAME": "svt", "GIT_AUTHOR_EMAIL": "svt@localhost",
                     "GIT_COMMITTER_NAME": "svt", "GIT_COMMITTER_EMAIL": "svt@localhost"}


class MergedTree(NamedTuple):
    tree: str  # the merged tree (with conflict markers in the files that conflict)
    conflicts: list[str]  # the files git could not merge; none when it merged cleanly


class GitPreview(GitLog):
    """Merges tried out in git's object store only, and scratch work trees holding a tree."""

    def merge_tree(self, ours: str, theirs: str, config: Sequence[str] = ()) -> MergedTree:
        """What ``git merge`` of the commit ``theirs`` into ``ours`` would give, worked out
        by ``git merge-tree --write-tree`` (the work tree, git's index and HEAD stay as they
        are; git writes the merged blobs and trees as new objects). ``config``: ``key=value``
        settings for this one command (e.g. a merge driver). GitError when git cannot merge
        the two at all (no common history)."""
        args = [arg for setting in config for arg in ("-c", setting)]
        argv = ["git", *args, "merge-tree", "--write-tree", "--no-messages", "--name-only",
                "-z", ours, theirs]
        try:
            import subprocess
            proc = subprocess.run(argv, cwd=self.root, capture_output=True)
        except FileNotFoundError:
            raise GitError(GIT_MISSING) from None
        fields = proc.stdout.decode("utf-8", "surrogateescape").split("\0")
        if proc.returncode not in (0, 1) or not fields[0]:
            err = proc.stderr.decode("utf-8", "replace").strip()
            raise GitError(f"git merge-tree could not merge {theirs[:12]} into {ours[:12]}"
                           f" (exit {proc.returncode}): {err}")
        conflicts = list(dict.fromkeys(p for p in fields[1:] if p))
        return MergedTree(fields[0].strip(), conflicts if proc.returncode == 1 else [])

    def scratch_work_tree(self, folder: str | os.PathLike, tree: str, parents: Sequence[str],
                          branch: str, message: str) -> str:
        """Make the empty ``folder`` a work tree of its own that holds ``tree`` as a commit
        (of ``parents``, on ``branch``, HEAD there), its files checked out, and return that
        commit. Its repository borrows this one's objects and writes its own (the commit)
        in ``folder``: nothing of this repository changes. Git LFS files stay pointers (no
        download; svt checks a pointer against its oid); no hook runs."""
        folder = Path(folder)
        git_dir = folder / ".git"
        env = {k: v for k, v in os.environ.items() if k not in _LOCATION_VARS}
        env.update(GIT_DIR=str(git_dir), GIT_WORK_TREE=str(folder),
                   GIT_INDEX_FILE=str(git_dir / "index"), GIT_LFS_SKIP_SMUDGE="1",
                   **_SCRATCH_IDENTITY)

        def git(*args: str) -> str:
            try:
                import subprocess
                proc = subprocess.run(["git", *args], cwd=folder, capture_output=True, env=env)
            except FileNotFoundError:
                raise GitError(GIT_MISSING) from None
            if proc.returncode:
                raise GitError(f"git {' '.join(args[:2])} failed in the scratch work tree"
                               f" {folder} (exit {proc.returncode}):"
                               f" {proc.stderr.decode('utf-8', 'replace').strip()}")
            return proc.stdout.decode("utf-8", "surrogateescape").strip()

        # no template: no sample hooks, nothing of the user's init.templateDir
        git("init", "-q", "--template=", f"--initial-branch={branch}")
        info = git_dir / "objects" / "info"
        info.mkdir(parents=True, exist_ok=True)
        (info / "alternates").write_text(str((self.common_dir / "objects").resolve()) + "\n",
                                         encoding="utf-8")
        shallow = self.common_dir / "shallow"
        if shallow.is_file():  # history ends where this clone's does
            (git_dir / "shallow").write_bytes(shallow.read_bytes())
        commit = git("commit-tree", tree, *[a for p in parents for a in ("-p", p)],
                     "-m", message)
        git("update-ref", f"refs/heads/{branch}", commit)
        git("read-tree", commit)
        git("checkout-index", "--all", "--force", "-u")
        return commit
