"""``GitRepo``: the one object the rest of svt holds for a git work tree.

It is made of this package's classes, each in its own module with one concern and
inheriting the classes whose methods it calls::

    process.GitProcess          running git; where the repository's folders are
      config.GitConfig          git's configuration and identity; svt's merge driver
        objects.GitObjects      blobs, trees and commit objects, written and read
        staging.GitStaging      git's index made to agree with svt's commits, under git's
                                lock (ownwrites: the links a query follows)
          worktree.GitWorktree  HEAD, uncommitted changes, git's index, sparse checkouts
            log.GitLog          history, and the commit-graph that keeps it quick
              preview.GitPreview  a merge tried out in the object store only, read out
                                into a scratch work tree (svt review)
            remote.GitRemote    remotes, branches, merges and rebases (svt sync, svt branch)
        lfs.GitLfs              Git LFS
    commit.GitCommit            commits of exactly the files a command wrote (inherits
                                GitObjects and GitLog)
"""
from __future__ import annotations

from .commit import GitCommit
from .lfs import GitLfs
from .preview import GitPreview
from .remote import GitRemote


class GitRepo(GitCommit, GitRemote, GitPreview, GitLfs):
    """A git work tree rooted at ``root``."""
