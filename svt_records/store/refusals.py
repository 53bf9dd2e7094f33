"""``CommitRefusals``: the checks :meth:`~.base.StoreBase.commit` makes before it writes: a
change is refused on a busy or detached work tree, over uncommitted edits, on the main branch
of a store under review, and for a file meant for Git LFS where git-lfs is not set up (the
sparse checkout's refusal is :class:`~.sparse.SparseView`'s).
"""
from __future__ import annotations

from ..model.errors import SvtError
from ..git.lfs import LFS_SETUP
from .layout import RECORDS
from .reading import RecordReader
from .txn import Change


class CommitRefusals(RecordReader):
    """Why a change may not be committed here and now; each check raises SvtError."""

    def _refuse_busy(self, change: Change) -> None:
        busy = self.repo.busy_state()
        if busy:
            raise SvtError(f"refused: {busy}")
        self._refuse_detached()
        paths = change.paths()
        dirty = self.repo.changed_paths([p for p in paths if (self.root / p).exists()])
        if change.rehash:
            rehash = set(change.rehash)
            dirty += [p for p in self.repo.changed_paths([RECORDS]) if p in rehash]
        if dirty:
            raise SvtError(
                f"refused: {dirty[0]} has uncommitted changes; svt commits only its own changes."
                " Commit yours first (git add/commit) or discard them (git checkout -- FILE)")


    def _refuse_main_in_review(self) -> None:
        if self.review_mode and self.repo.current_branch() == self.main_branch:
            raise SvtError(f"refused: this store takes changes through review (review: branch"
                           f" in svt.yaml), so svt does not commit on {self.main_branch}: start"
                           " a topic branch with `svt branch NAME`, then run the command again")

    def _refuse_without_lfs(self, paths: list[str]) -> None:
        """A file .gitattributes sends to Git LFS would go in as a plain blob where git-lfs
        is not set up, bloating every clone for good: refuse it."""
        routed = self.repo.lfs_routed(paths)
        if routed and not self.repo.lfs_configured():
            raise SvtError(f"refused: .gitattributes sends {routed[0]} to Git LFS, which is not"
                           " set up in this clone (the file would be committed as a plain git"
                           f" object): {LFS_SETUP}, then run the command again")

    def _refuse_detached(self) -> None:
        """A commit on a detached HEAD is lost at the next checkout: name a branch instead."""
        detached = self.repo.detached_head()
        if detached is None:
            return
        main = self.main_branch
        branches = self.repo.branches_containing(detached)
        branch = main if main in branches or not branches else branches[0]
        raise SvtError(f"refused: HEAD is detached at {detached[:7]}, and svt's commits there"
                       " would be lost at the next checkout: check out a branch first"
                       f" (git switch {branch}), then run the command again")
