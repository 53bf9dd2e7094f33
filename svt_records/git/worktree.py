"""The work tree: what is checked out, its uncommitted changes, and git's index of it.

``GitWorktree`` reads HEAD (from the files under .git where it can: no git process), the
revision a name points at, an operation in progress that svt must not commit into, and the
sparse checkout. It tells which files have uncommitted changes (:meth:`~GitWorktree.known_clean`
proves files unchanged from git's index file in-process; ``git status`` answers the rest), and
makes git's index agree with a commit at the paths it wrote.
"""
from __future__ import annotations

import os
import re
import stat
from typing import NamedTuple, Sequence

from ..model.errors import GitError
from .staging import GitStaging
from .objects import _file_mode, _object_id
from .process import Pending

_HEX_ID = re.compile(r"[0-9a-f]{40}|[0-9a-f]{64}")


class SparseCheckout(NamedTuple):
    """A sparse checkout: in cone mode, the folders it holds (with everything below them)."""
    cone: bool
    folders: tuple[str, ...]

    def includes(self, path: str) -> bool | None:
        """Is ``path`` (a file) checked out? None when git's patterns are not in cone mode.
        A cone holds the files at the top, everything below its folders, and the files
        directly in the folders above them."""
        if not self.cone:
            return None
        parent = path.rpartition("/")[0]
        return not parent or any(parent == d or parent.startswith(d + "/")
                                 or d.startswith(parent + "/") for d in self.folders)


class GitWorktree(GitStaging):
    """HEAD, the state of the work tree, and git's index."""

    # ---- HEAD and revisions -------------------------------------------------------------
    def head(self) -> str | None:
        """The commit HEAD points at, or None on an unborn branch. Read from .git/HEAD and
        the branch's ref file or packed-refs (no git process); git answers when those are in
        a form this does not know (a symbolic ref to a symbolic ref, a reftable)."""
        found = self._head_from_files()
        if found is not False:
            return found  # type: ignore[return-value]
        out = self.run("rev-parse", "-q", "--verify", "HEAD^{commit}", check=False).strip()
        return out or None

    def _head_from_files(self) -> str | None | bool:
        """HEAD's commit from the files under .git; None: an unborn branch; False: ask git."""
        try:
            text = (self.git_dir / "HEAD").read_text(encoding="utf-8").strip()
        except (OSError, UnicodeDecodeError, GitError):
            return False
        if _HEX_ID.fullmatch(text):
            return text
        ref = text[4:].strip() if text.startswith("ref:") else ""
        if not ref.startswith("refs/heads/") or ref == "refs/heads/.invalid":  # reftable
            return False
        try:
            loose = (self.common_dir / ref).read_text(encoding="utf-8").strip()
        except FileNotFoundError:
            loose = None
        except (OSError, UnicodeDecodeError):
            return False
        if loose is not None:
            return loose if _HEX_ID.fullmatch(loose) else False
        try:
            packed = (self.common_dir / "packed-refs").read_text(encoding="utf-8")
        except FileNotFoundError:
            return None
        except (OSError, UnicodeDecodeError):
            return False
        for line in packed.splitlines():
            sha, _, name = line.partition(" ")
            if name == ref:
                return sha if _HEX_ID.fullmatch(sha) else False
        return None

    def detached_head(self) -> str | None:
        """The commit HEAD points at when it is detached; None when it names a branch.
        Reads .git/HEAD (no git process): every write asks."""
        try:
            text = (self.git_dir / "HEAD").read_text(encoding="utf-8").strip()
        except OSError:
            return None
        return None if text.startswith("ref:") else text

    def current_branch(self) -> str | None:
        """The branch checked out (read from .git/HEAD: no git process); None when HEAD is
        detached."""
        try:
            text = (self.git_dir / "HEAD").read_text(encoding="utf-8").strip()
        except OSError:
            return None
        prefix = "ref: refs/heads/"
        return text[len(prefix):] if text.startswith(prefix) else None

    def rev(self, ref: str) -> str | None:
        """The commit ``ref`` names, or None."""
        return self.run("rev-parse", "-q", "--verify", f"{ref}^{{commit}}",
                        check=False).strip() or None

    def tree_of(self, rev: str) -> str | None:
        """The tree of the commit ``rev`` names, or None."""
        return self.run("rev-parse", "-q", "--verify", f"{rev}^{{tree}}",
                        check=False).strip() or None

    def resolve(self, rev: str) -> str:
        """The commit ``rev`` names; GitError saying what to give when it names none."""
        sha = self.run("rev-parse", "--verify", "-q", f"{rev}^{{commit}}", check=False).strip()
        if not sha:
            raise GitError(f"{rev!r} is not a revision of this repository: give a branch, tag or"
                           " commit (e.g. origin/main, HEAD~1)")
        return sha

    # ---- the work tree ------------------------------------------------------------------
    def busy_state(self) -> str | None:
        """Describe an operation in progress that svt must not commit into, if any."""
        g = self.git_dir
        checks = [
            ("MERGE_HEAD", "a merge is in progress: finish it (git commit) or abort it (git merge --abort)"),
            ("rebase-merge", "a rebase is in progress: finish it (git rebase --continue) or abort it"
                             " (git rebase --abort)"),
            ("rebase-apply", "a rebase or am is in progress: finish it (git rebase --continue) or"
                             " abort it (git rebase --abort)"),
            ("CHERRY_PICK_HEAD", "a cherry-pick is in progress: finish it (git cherry-pick"
                                 " --continue) or abort it (git cherry-pick --abort)"),
            ("REVERT_HEAD", "a revert is in progress: finish it (git revert --continue) or abort it"
                            " (git revert --abort)"),
            ("BISECT_LOG", "a bisect is in progress: end it with git bisect reset"),
        ]
        for name, message in checks:
            if (g / name).exists():
                return message
        fmt = self._object_format()
        if fmt != "sha1":
            return (f"this repository's objects are {fmt}, and svt writes SHA-1 repositories"
                    " only: make the store in a repository created by plain `git init`")
        if (g / "index.lock").exists():
            return (f"{g / 'index.lock'} exists: another git process is running, or one crashed."
                    " Wait for it, or delete that file if no git process is running")
        return None

    def sparse_checkout(self) -> SparseCheckout | None:
        """This work tree's sparse checkout; None when it has none. Where git's
        sparse-checkout was never used (no $GIT_DIR/info/sparse-checkout) no git runs."""
        if not (self.git_dir / "info" / "sparse-checkout").is_file():
            return None
        conf = dict(line.split(" ", 1) for line in self.run(
            "config", "--type=bool", "--get-regexp", r"^core\.sparsecheckout",
            check=False).splitlines() if " " in line)
        if conf.get("core.sparsecheckout") != "true":
            return None
        if conf.get("core.sparsecheckoutcone") != "true":
            return SparseCheckout(False, ())
        return SparseCheckout(True, tuple(self.run("sparse-checkout", "list").splitlines()))

    def changed_paths(self, paths: Sequence[str]) -> list[str]:
        """Those of ``paths`` (files or folders) with uncommitted changes, staged or not,
        or untracked. Files :meth:`known_clean` proves unchanged are not asked of git."""
        if paths:
            clean = self.known_clean(paths)
            paths = [p for p in paths if p not in clean]
        if not paths:
            return []
        out = self.run("status", "--porcelain=v1", "-z", "--untracked-files=all",
                       "--ignored=no", "--", *paths)
        found = []
        entries = out.split("\0")
        i = 0
        while i < len(entries):
            entry = entries[i]
            if not entry:
                i += 1
                continue
            code, path = entry[:2], entry[3:]
            found.append(path)
            if code[0] in "RC":
                i += 1  # the rename's source follows
            i += 1
        return found

    def known_clean(self, paths: Sequence[str]) -> set[str]:
        """Those of ``paths`` (files) that provably have no uncommitted change: git's index
        holds each at stage 0, no flag set, with HEAD's blob and mode, and the file hashes
        to that blob (and has that mode). Read in-process: git's index file (any version,
        split or not: indexfile.py), the files, and HEAD's trees through :meth:`batch` (the
        commit reads them there anyway), where `git status` would re-read the whole index
        (tens of ms at 10,000 components). Whatever this cannot prove (a sparse index or
        checkout, filters or end-of-line conversion, an index file elsewhere, any
        difference) is left to git."""
        head = self.head()
        if (head is None or any(os.environ.get(v) for v in (
                "GIT_INDEX_FILE", "GIT_DIR", "GIT_WORK_TREE", "GIT_COMMON_DIR"))
                or (self.git_dir / "info" / "sparse-checkout").exists()
                or not self._plain_blobs(paths)):
            return set()
        from . import indexfile  # writes only: 1 ms of imports (mmap, array) the reads skip
        entries = indexfile.staged(self.git_dir, paths, self.svt_dir())
        if not entries:
            return set()
        filemode = not self._config_false("core.filemode", "true")
        clean = set()
        with self.batch() as reader:
            for path, entry in entries.items():
                staged_mode = b"%o" % entry.mode
                folder, _, file = path.rpartition("/")
                try:
                    st = os.lstat(self.root / path)
                    if not stat.S_ISREG(st.st_mode):
                        continue
                    data = (self.root / path).read_bytes()
                    committed = reader.tree(f"{head}:{folder}").get(
                        file.encode("utf-8", "surrogateescape"))
                except (OSError, GitError):
                    continue
                on_disk = bytes.fromhex(_object_id(b"blob", data)[1])
                disk_mode = _file_mode(st.st_mode).encode()
                if (committed is not None and committed == (staged_mode, entry.sha)
                        and on_disk == entry.sha and (disk_mode == staged_mode or not filemode)):
                    clean.add(path)
        return clean

    def changed_since(self, rev: str) -> list[str]:
        """Tracked paths that differ between ``rev`` and the work tree: committed since, staged
        or edited (untracked files are the index's to tell). Three cheap queries, in parallel."""
        base = self.resolve(rev)
        queries = [self.start("diff-tree", "-r", "--name-only", "-z", "--no-renames", base,
                              "HEAD"),
                   self.start("diff-index", "--cached", "--name-only", "-z", "HEAD"),
                   self.start("diff-files", "--name-only", "-z")]
        return sorted({p for q in queries for p in q.paths()})

    def changes_under(self, paths: Sequence[str]) -> bool:
        """Whether anything under ``paths`` differs from HEAD: staged, unstaged, untracked
        or ignored."""
        return bool(self.run("status", "--porcelain=v1", "-z", "--untracked-files=all",
                             "--ignored=matching", "--", *paths).strip("\0"))

    def tracked_changes(self) -> list[str]:
        """Tracked files with uncommitted changes, staged or not (untracked files aside)."""
        out = self.run("status", "--porcelain=v1", "-z", "--untracked-files=no")
        found, entries = [], iter(out.split("\0"))
        for entry in entries:
            if len(entry) > 3:
                found.append(entry[3:])
                if entry[0] in "RC":
                    next(entries, None)  # the rename's source
        return found

    def unmerged_paths(self) -> list[str]:
        """Files a stopped merge or rebase left conflicting."""
        out = self.run("diff", "--name-only", "--diff-filter=U", "-z")
        return sorted({p for p in out.split("\0") if p})

    # ---- git's index --------------------------------------------------------------------
    def tracked(self, folder: str) -> list[str]:
        """Files under ``folder`` in git's index."""
        return [p for p in self.run("ls-files", "-z", "--", folder).split("\0") if p]

    def refresh_stat_cache(self) -> "Pending":
        """Start ``git update-index -q --refresh``: record every tracked file's current stat
        data in git's index, as ``git status`` does. Entries written in the same second as the
        index (most of a fresh clone's) are "racily clean", and git re-reads their content at
        every diff until this is done. Writes .git/index; fails harmlessly if it is locked."""
        return self.start("update-index", "-q", "--refresh")

    def tune_index(self, split: bool) -> list[str]:
        """Pick git's index settings in this clone; the settings changed, as ``git config``
        would set them. svt writes git's index itself (staging.py), its SHA-1 taken on a
        second core, faster than git writes it even without one (index.skipHash: `svt add`
        took 96 ms against 114 with it, on git 2.47 at 10,000 components), and only an index
        with its SHA-1 can be linked to the one before (ownwrites.py). So index.skipHash is
        set false in the clone wherever git would read it as true (an earlier svt setup set
        it on git 2.40 and later; ~/.gitconfig may, or feature.manyFiles). ``split``: keep
        the index split (core.splitIndex: git rewrites a small file instead of the whole
        index, and svt leaves the index to git), never with skipHash, with which the gits
        that know it could lose a split index (fixed only later)."""
        changed = []
        many_files = not self._config_false("feature.manyfiles", "false")  # skipHash's default
        if not self._config_false("index.skiphash", "true" if many_files else "false"):
            self.run("config", "index.skipHash", "false")
            from . import indexwrite  # (whether svt now writes the index: the reason to say)
            changed.append("index.skipHash=false (" + (
                "never together with a split index" if split else
                "svt writes git's index itself, faster with its hash"
                if indexwrite.allowed_by(self._config()) else
                "only an index with its hash links svt's commits to the one before") + ")")
        if split:
            self.run("config", "core.splitIndex", "true")
            self.run("update-index", "--split-index")
            changed.append("core.splitIndex=true")
        return changed
