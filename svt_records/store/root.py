"""``StoreRoot``: where a store is (its folder and git repository), whether one is there, its
schemas, and its lock. The foundation of :class:`~.base.StoreBase`: the state every part of
a store shares is set here.
"""
from __future__ import annotations

import os
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Callable, ContextManager, Iterator

from ..model import registry
from ..files import schema
from ..model.errors import LockTimeout, StoreNotFound
from ..git.repo import GitRepo
from .layout import CONFIG_FILE, RECORDS, find_store
from .txn import StoreLock, Transaction

Step = Callable[[int], None]
_UNKNOWN = object()  # not asked yet (the sparse checkout)


class StoreRoot:
    """The folder and git repository of a store, and the state its parts share."""

    def __init__(self, path: str | os.PathLike | None = None) -> None:
        self.root = find_store(path)
        self.repo = GitRepo(self.root)
        self.notes: list[str] = []  # things the CLI may want to tell the user
        self.warnings: list[str] = []  # things the user should check: a result may be wrong
        self._config: dict | None = None
        self.last_commit: str | None = None
        # Set by the command line on a terminal: progress(label, total) gives a context whose
        # value is called with each amount of work done. The library itself never prints.
        self.progress: Callable[[str, int], ContextManager[Step]] | None = None
        self._lock_depth = 0
        self._sparse: Any = _UNKNOWN  # the work tree's SparseCheckout, or None
        self._outside: dict[str, str] | None = None

    def __repr__(self) -> str:
        return f"{type(self).__name__}({str(self.root)!r})"

    # ---- existence and schemas -----------------------------------------------------------
    @property
    def exists(self) -> bool:
        return (self.root / CONFIG_FILE).is_file()

    def require(self) -> None:
        if self.root.is_file():
            raise StoreNotFound(
                f"{self.root} is a file (an SQLite database of the original tracker?); svt keeps"
                f" records in a git repository folder: run `svt init DIR`, then"
                f" `svt --repo DIR import-sqlite {self.root}`")
        if not self.exists:
            raise StoreNotFound(f"no svt store at {self.root}: run `svt init {self.root}` to"
                                " create one (or set --repo / SVT_REPO)")
        if not self._lock_depth and (self.repo.git_dir / "svt" / "tx" / "journal.json").exists():
            try:  # a change was interrupted: finish or undo it before reading
                with self.locked(timeout=0):
                    pass
            except LockTimeout:
                pass  # no: a live svt command is making it (our caller may be its git hook)

    @property
    def schema_dir(self) -> Path:
        local = self.root / "schemas"
        return local if (local / "component.schema.json").is_file() else schema.package_schema_dir()

    @property
    def enums(self) -> registry.Enumerations:
        """This store's component types, statuses, log types...: its schemas/ say."""
        return registry.enumerations(self.schema_dir)

    # ---- layout --------------------------------------------------------------------------
    def records_dir(self) -> Path:
        return self.root / RECORDS

    def rel(self, path: Path) -> str:
        return path.relative_to(self.root).as_posix()

    # ---- the lock ------------------------------------------------------------------------
    @contextmanager
    def locked(self, *, timeout: float | None = None) -> Iterator[None]:
        """Hold the store's lock (re-entrant): a change reads, decides and writes under it,
        so two svt processes never base their changes on the same old state. ``timeout``
        (seconds) bounds the wait: LockTimeout after it."""
        if self._lock_depth:
            self._lock_depth += 1
            try:
                yield
            finally:
                self._lock_depth -= 1
            return
        lock_path = self.repo.svt_dir() / "lock"
        with (StoreLock(lock_path) if timeout is None else StoreLock(lock_path, timeout)) as lock:
            self.notes.extend(lock.notes)
            recovered = Transaction(self.repo).recover()
            if recovered:
                self.notes.append(recovered)
            self._lock_depth = 1
            self._outside = None  # and HEAD may have moved since the last one
            try:
                yield
            finally:
                self._lock_depth = 0
