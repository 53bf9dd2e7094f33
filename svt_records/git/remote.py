"""Remotes, branches, and the merges and rebases of svt sync and svt branch.

``GitRemote`` fetches and pushes, reads a branch's upstream, brings a branch up to date (a
fast-forward, a rebase or a merge) and settles or aborts one that stopped, makes and deletes
branches, and tells svt's merge driver what is being merged. :func:`web_project` turns a
remote's URL into its GitHub or GitLab project.
"""
from __future__ import annotations

import os
import re

from ..model.errors import GitError
from .worktree import GitWorktree

_REMOTE_URL = re.compile(
    r"^(?:(?:https?|ssh|git)://(?:[^@/]+@)?(?P<host>[^/:]+)(?::\d+)?/"
    r"|(?:[^@/:]+@)?(?P<scp_host>[^/:]+):)(?P<path>[^?#]+?)(?:\.git)?/?$")


def web_project(remote_url: str | None) -> tuple[str, str] | None:
    """("github" or "gitlab", the project's web address) for a remote URL in https, ssh or
    scp form on a GitHub or GitLab host (github.com, gitlab.com, or a host named so, e.g.
    gitlab.example.org); None for other remotes (a path, another forge)."""
    m = _REMOTE_URL.match((remote_url or "").strip())
    if not m:
        return None
    host = (m.group("host") or m.group("scp_host")).lower()
    labels = host.split(".")
    forge = "github" if "github" in labels else "gitlab" if "gitlab" in labels else None
    if forge is None:
        return None
    return forge, f"https://{host}/{m.group('path').strip('/')}"


class GitRemote(GitWorktree):
    """Remotes and branches, and the merges and rebases that sync them."""

    def remotes(self) -> list[str]:
        return self.run("remote").split()

    def remote_url(self, name: str = "origin") -> str | None:
        """The URL of a remote (None when there is no such remote)."""
        return self.run("config", "--get", f"remote.{name}.url", check=False).strip() or None

    def upstream(self, branch: str) -> tuple[str, str] | None:
        """(remote, branch there) that ``branch`` pulls from; None when it has none."""
        remote = self.config_value(f"branch.{branch}.remote")
        merge = self.config_value(f"branch.{branch}.merge")
        if not remote or not merge or remote == ".":
            return None
        return remote, merge.removeprefix("refs/heads/")

    def fetch(self, remote: str) -> None:
        """Fetch ``remote``'s branches (pruning the remote-tracking ones it deleted)."""
        code, out = self.attempt("fetch", "-q", "--prune", remote)
        if code:
            raise GitError(f"could not fetch from {remote}: {out.splitlines()[-1] if out else ''}"
                           " (check the network and the remote's URL: git remote -v)")

    def push(self, remote: str, branch: str, lease: str | None = None,
             set_upstream: bool = False) -> tuple[bool, str]:
        """Push HEAD to ``branch`` on ``remote``; with ``lease`` (the commit the remote branch
        must still be at; "" for none) it may replace the branch (after a rebase). (ok, git's
        message); not ok and "rejected" in the message: someone pushed in between."""
        args = ["push", "--porcelain"]
        if lease is not None:
            args.append(f"--force-with-lease=refs/heads/{branch}:{lease}")
        if set_upstream:
            args.append("--set-upstream")
        code, out = self.attempt(*args, remote, f"HEAD:refs/heads/{branch}")
        return code == 0, out

    # ---- branches -----------------------------------------------------------------------
    def default_branch(self) -> str | None:
        """The branch a store's CI guards: the remote's default (origin/HEAD), else the branch
        checked out; None on a detached HEAD with no remote default."""
        remote = self.run("symbolic-ref", "-q", "--short", "refs/remotes/origin/HEAD",
                          check=False).strip()
        if remote.startswith("origin/"):
            return remote[len("origin/"):]
        return self.run("symbolic-ref", "-q", "--short", "HEAD", check=False).strip() or None

    def branches_containing(self, commit: str) -> list[str]:
        """Local branches whose history holds ``commit``."""
        out = self.run("branch", "--format=%(refname:short)", "--contains", commit, check=False)
        return out.split()

    def valid_branch_name(self, name: str) -> bool:
        return not name.startswith("-") and self.attempt(
            "check-ref-format", "--branch", name)[0] == 0

    def start_branch(self, name: str, start: str) -> None:
        """Create branch ``name`` at ``start`` (no upstream) and check it out."""
        self.run("switch", "-q", "--no-track", "-c", name, start)

    def merged_branches(self, into: str) -> list[str]:
        """Local branches whose every commit ``into`` holds."""
        return self.run("branch", "--format=%(refname:short)", "--merged", into).split()

    def delete_branch(self, name: str) -> None:
        self.run("branch", "-q", "-D", name)

    # ---- bringing a branch up to date, and merges in progress ---------------------------
    def fast_forward(self, commit: str) -> None:
        self.run("merge", "-q", "--ff-only", commit)

    def rebase(self, onto: str) -> tuple[bool, str]:
        """Replay this branch's own commits onto ``onto``: (done, git's message); not done
        when it stopped (on a conflict the rebase is then in progress: :meth:`abort`)."""
        code, out = self.attempt("rebase", "-q", "--no-autostash", onto,
                                 env=self._identity_env())
        return code == 0, out

    def merge(self, commit: str, message: str) -> tuple[bool, str]:
        """Merge ``commit`` into this branch: (done, git's message), as :meth:`rebase`."""
        code, out = self.attempt("merge", "-q", "--no-ff", "--no-edit", "-m", message, commit,
                                 env=self._identity_env())
        return code == 0, out

    def commit_merge(self) -> None:
        """Commit a merge whose conflicts are all settled, with git's own message."""
        code, out = self.attempt("commit", "-q", "--no-edit", env=self._identity_env())
        if code:
            raise GitError(f"the merge commit was refused by a git hook or by git: {out}")

    def abort(self) -> None:
        """Undo a rebase or merge that stopped: the branch and files are as before it."""
        if (self.git_dir / "rebase-merge").exists() or (self.git_dir / "rebase-apply").exists():
            self.run("rebase", "--abort")
        elif self.merge_in_progress():
            self.run("merge", "--abort")

    def merge_in_progress(self) -> bool:
        return (self.git_dir / "MERGE_HEAD").is_file()

    def unmerged(self, path: str) -> dict[int, str]:
        """{stage: blob} of a path git left unmerged (1 base, 2 ours, 3 theirs); {} if none."""
        out = self.run("ls-files", "-u", "-z", "--", path)
        stages = {}
        for entry in filter(None, out.split("\0")):
            info, _ = entry.split("\t", 1)
            _, blob, stage = info.split()
            stages[int(stage)] = blob
        return stages

    def add(self, path: str) -> None:
        """Stage ``path`` (marks a resolved conflict as resolved)."""
        self.run("add", "--", path)

    def merging_commits(self) -> tuple[str | None, str]:
        """(the commit being merged in, what git calls the operation) while a merge, rebase
        or cherry-pick runs; None when there is nothing to tell."""
        for key in os.environ:  # git merge tells its merge drivers the heads this way
            if key.startswith("GITHEAD_") and key[8:] != self.head():
                return key[8:], "merge"
        g = self.git_dir
        for ref, what in (("MERGE_HEAD", "merge"), ("CHERRY_PICK_HEAD", "cherry-pick"),
                          ("REBASE_HEAD", "rebase")):
            try:
                return (g / ref).read_text(encoding="utf-8").split()[0], what
            except (OSError, IndexError):
                pass
        try:  # a rebase still picking: the last line done names the commit
            done = (g / "rebase-merge" / "done").read_text(encoding="utf-8").splitlines()
            return done[-1].split()[1], "rebase"
        except (OSError, IndexError):
            pass
        return None, "merge"
