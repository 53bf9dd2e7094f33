"""Git LFS: whether it is installed and set up here, and which files it stores."""
from __future__ import annotations

from typing import Sequence

from .config import GitConfig

LFS_SETUP = ("install git-lfs (apt-get install git-lfs, or brew install git-lfs) and run"
             " `git lfs install`")


class GitLfs(GitConfig):
    """Git LFS in this repository."""

    def lfs_available(self) -> bool:
        import shutil
        return shutil.which("git-lfs") is not None

    def lfs_configured(self) -> bool:
        """git-lfs is installed and its filter set up here (git lfs install): a file that
        .gitattributes sends to LFS is committed as a pointer, not as itself."""
        return self.lfs_available() and bool(
            self.run("config", "--get", "filter.lfs.clean", check=False).strip())

    def lfs_routed(self, paths: Sequence[str]) -> list[str]:
        """Those of ``paths`` that .gitattributes sends through the Git LFS filter (the
        files need not exist)."""
        if not paths or not self._attributes_mention(paths, (b"filter",)):
            return []
        out = self.run("check-attr", "-z", "--stdin", "filter",
                       input=("\0".join(paths) + "\0").encode("utf-8", "surrogateescape"))
        parts = out.split("\0")
        return [parts[i] for i in range(0, len(parts) - 2, 3) if parts[i + 2] == "lfs"]

    def lfs_install(self) -> None:
        """Configure the Git LFS filters for this repository only."""
        self.run("lfs", "install", "--local")
