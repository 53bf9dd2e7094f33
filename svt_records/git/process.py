"""Running git in a work tree, and where git keeps the work tree's repository.

``GitProcess``, the base of ``GitRepo``, runs git in the work tree: :meth:`~GitProcess.run`
(a failure raises GitError naming the command and its stderr), :meth:`~GitProcess.attempt`
(where failing is an answer), :meth:`~GitProcess.start` (without waiting: a :class:`Pending`)
and :meth:`~GitProcess.batch` (one ``git cat-file --batch``, a :class:`_BatchReader`, for the
objects read inside). It finds the git folder (.git, or the one a .git file names) and the
common one a linked worktree shares.
"""
from __future__ import annotations

import os
import re
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Iterator

from ..model.errors import GitError

if TYPE_CHECKING:  # subprocess loads on the first git run: show-test runs none
    import subprocess

GIT_MISSING = ("git is not installed or not on PATH: install git (e.g. apt-get install git)"
               " and try again")
_TREE_ENTRY = re.compile(rb"([0-7]+) ([^\0]+)\0(.{20})", re.S)


def fault_point(name: str) -> None:
    """Tests kill svt here (SVT_FAULT_POINT=name) to prove that no moment loses data."""
    if os.environ.get("SVT_FAULT_POINT") == name:
        import signal
        os.kill(os.getpid(), signal.SIGKILL)


class GitProcess:
    """A git work tree rooted at ``root``, and git run in it."""

    def __init__(self, root: str | os.PathLike) -> None:
        self.root = Path(root)
        self._git_dir: Path | None = None
        self._conf: dict[str, str] | None = None  # git var -l (see GitConfig._config)
        self._batch: _BatchReader | None = None  # see batch()

    def run(self, *args: str, input: bytes | None = None, env: dict[str, str] | None = None,
            check: bool = True) -> str:
        """Run git in the work tree; on failure raise GitError naming command and stderr."""
        if args and args[0] == "config" and not any(  # a read keeps the cached settings
                a.startswith("--get") or a in ("-l", "--list") for a in args[1:]):
            self._conf = None
        full_env = None
        if env:
            full_env = dict(os.environ)
            full_env.update(env)
        import subprocess
        try:
            proc = subprocess.run(["git", *args], cwd=self.root, input=input,
                                  capture_output=True, env=full_env)
        except FileNotFoundError:
            raise GitError(GIT_MISSING) from None
        if check and proc.returncode != 0:
            err = proc.stderr.decode("utf-8", "replace").strip() or proc.stdout.decode(
                "utf-8", "replace").strip()
            raise GitError(f"git {' '.join(args[:3])} failed (exit {proc.returncode}): {err}")
        return proc.stdout.decode("utf-8", "surrogateescape")

    def attempt(self, *args: str, env: dict[str, str] | None = None) -> tuple[int, str]:
        """Run git where failing is an answer: (exit status, stdout and stderr together)."""
        import subprocess
        proc = subprocess.run(["git", *args], cwd=self.root, capture_output=True,
                              env={**os.environ, **(env or {})})
        out = (proc.stdout + proc.stderr).decode("utf-8", "replace").strip()
        return proc.returncode, out

    @contextmanager
    def batch(self) -> Iterator["_BatchReader"]:
        """One `git cat-file --batch` for everything read inside (nested uses share it; the
        process starts at the first read): a change's check and its commit read HEAD's trees
        through the same process."""
        if self._batch is not None:
            yield self._batch
            return
        with _BatchReader(self) as reader:
            self._batch = reader
            try:
                yield reader
            finally:
                self._batch = None

    def start(self, *args: str) -> "Pending":
        """Start a read-only git command without waiting (it runs on another core)."""
        import subprocess
        proc = subprocess.Popen(["git", *args], cwd=self.root, stdout=subprocess.PIPE,
                                stderr=subprocess.DEVNULL)
        return Pending(proc)

    # ---- where the repository is --------------------------------------------------------
    @property
    def git_dir(self) -> Path:
        if self._git_dir is None:
            dot = self.root / ".git"
            if dot.is_dir():
                self._git_dir = dot
            elif dot.is_file():
                text = dot.read_text(encoding="utf-8").strip()
                if not text.startswith("gitdir:"):
                    raise GitError(f"{dot} is not a git link file")
                target = Path(text.split(":", 1)[1].strip())
                self._git_dir = target if target.is_absolute() else (self.root / target).resolve()
            else:
                raise GitError(f"{self.root} is not a git work tree (no .git); run `svt init`")
        return self._git_dir

    @property
    def common_dir(self) -> Path:
        common = self.git_dir / "commondir"
        if common.is_file():
            return (self.git_dir / common.read_text().strip()).resolve()
        return self.git_dir

    def svt_dir(self) -> Path:
        """svt's private folder inside .git (lock, journal, derived index)."""
        path = self.git_dir / "svt"
        path.mkdir(exist_ok=True)
        return path

    def init(self, initial_branch: str = "main") -> None:
        self.root.mkdir(parents=True, exist_ok=True)
        self.run("init", "-q", f"--initial-branch={initial_branch}")


class Pending:
    """A git command started by :meth:`GitRepo.start`; read its answer when needed."""

    def __init__(self, proc: subprocess.Popen) -> None:
        self.proc = proc

    def text(self) -> str | None:
        """What the command printed; None if it failed."""
        out = self.output()
        return out if self.proc.returncode == 0 else None

    def output(self) -> str:
        """What the command printed, whether or not it succeeded (as ``run(check=False)``)."""
        out, _ = self.proc.communicate()
        return out.decode("utf-8", "surrogateescape")

    def paths(self) -> list[str]:
        """The NUL-separated paths the command printed (none if it failed)."""
        return [p for p in (self.text() or "").split("\0") if p]

    @property
    def ok(self) -> bool:
        """The command finished and succeeded (after :meth:`text` or :meth:`paths`)."""
        return self.proc.returncode == 0


class _BatchReader:
    """One `git cat-file --batch` process reading the trees a commit touches."""

    def __init__(self, repo: GitProcess) -> None:
        self.repo = repo
        self.proc: subprocess.Popen | None = None
        self.ending: list[subprocess.Popen] = []  # let go by done_reading, not yet waited for

    def __enter__(self) -> "_BatchReader":
        return self

    def __exit__(self, *exc: object) -> None:
        self.done_reading()
        for proc in self.ending:
            proc.wait()
        self.ending.clear()

    def done_reading(self) -> None:
        """No read is coming for now: cat-file's input is closed, so it exits while svt goes
        on (a commit's index write), and is waited for at the end; a later read starts
        another."""
        if self.proc is not None:
            self.proc.stdin.close()  # type: ignore[union-attr]
            self.ending.append(self.proc)
            self.proc = None

    def _object(self, spec: str) -> tuple[str, str, bytes]:
        if self.proc is None:  # started at the first read: a change may need none
            import subprocess
            self.proc = subprocess.Popen(["git", "cat-file", "--batch"], cwd=self.repo.root,
                                         stdin=subprocess.PIPE, stdout=subprocess.PIPE)
        assert self.proc.stdin and self.proc.stdout
        self.proc.stdin.write(spec.encode() + b"\n")
        self.proc.stdin.flush()
        header = self.proc.stdout.readline().decode().split()
        if len(header) == 2 and header[1] == "missing":
            raise GitError(f"{spec} does not exist")
        if len(header) != 3:
            raise GitError(f"git cat-file could not read {spec}: {' '.join(header)}")
        sha, kind, size = header
        data = self.proc.stdout.read(int(size))
        self.proc.stdout.read(1)
        return sha, kind, data

    def commit_tree(self, commit: str) -> str:
        _, kind, data = self._object(commit)
        if kind != "commit":
            raise GitError(f"{commit} is not a commit")
        return data.split(b"\n", 1)[0].split()[1].decode()

    def tree_bytes(self, sha: str) -> bytes:
        """A tree object's content."""
        _, kind, data = self._object(sha)
        if kind != "tree":
            raise GitError(f"{sha} is not a tree")
        return data

    def tree(self, sha: str, data: bytes | None = None) -> dict[bytes, tuple[bytes, bytes]]:
        """{name: (mode, 20-byte id)} of a tree object (``data``: its content, if read),
        modes in git's own spelling (old tools wrote some zero-padded, e.g. 040000; git
        mktree and write-tree drop the zeros, and so does svt, so that a folder is known as
        one)."""
        if data is None:
            data = self.tree_bytes(sha)
        found = _TREE_ENTRY.findall(data)
        if sum(len(mode) + len(name) + 22 for mode, name, _ in found) != len(data):
            raise GitError(f"git tree {sha} is not in the form svt expects")
        return {name: (b"%o" % int(mode, 8) if mode[0] == 48 else mode, oid)  # 48: "0"
                for mode, name, oid in found}


def clone(source: str, dest: str) -> None:
    import subprocess
    proc = subprocess.run(["git", "clone", "-q", source, dest], capture_output=True)
    if proc.returncode != 0:
        raise GitError(f"git clone failed: {proc.stderr.decode('utf-8', 'replace').strip()}")
