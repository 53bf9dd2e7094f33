"""``StoreBase``: a records repository on disk, and its one write path: a record checked and
rendered, a change committed under the lock (all or nothing).

The class stacks its concerns, each in its module: :class:`~.root.StoreRoot` (where the
store is, its lock), :class:`~.sparse.SparseView` (what a sparse checkout leaves out),
:class:`~.reading.RecordReader` (svt.yaml, components, events), and
:class:`~.refusals.CommitRefusals` (why a change may not be committed). The layout's names
(``RECORDS``, ``COMPONENT_FILE``, ``event_id``, ``RecordRead``...) live in :mod:`.layout`.
"""
from __future__ import annotations

import functools
import os
import sys
from contextlib import nullcontext
from datetime import datetime
from pathlib import Path
from typing import Any, Callable, ContextManager, TypeVar

from .. import model
from ..files import schema
from ..model.errors import InvalidInput, SvtError
from .layout import (_KEYS, COMPONENT_FILE, EVENT_KEYS, RECORDS, RecordRead, event_id, event_tag,
                     ordered, render_record)
from .refusals import CommitRefusals
from .root import Step
from .txn import Change, Transaction

# The merge driver's exit status for "merged, but some field conflicts" (markers written):
# anything else that is not 0 means svt could not run, and git's own text merge takes over.
MERGE_CONFLICT_EXIT = 9


def merge_driver_command() -> str:
    """The shell command git runs to merge a component.yaml: this Python's svt, by absolute
    path, falling back to git's text merge (with markers) when svt cannot run there, since
    git would otherwise keep "ours" unmarked and a plain `git add` would lose "theirs"."""
    import shlex  # writes only: reads never register the driver
    return (f"{shlex.quote(sys.executable)} -m svt_records merge-driver %O %A %B %P; s=$?;"
            f" if [ $s -eq 0 ]; then exit 0; elif [ $s -eq {MERGE_CONFLICT_EXIT} ]; then exit 1;"
            " fi; git merge-file -L ours -L base -L theirs %A %O %B")


F = TypeVar("F", bound=Callable[..., Any])
# Work on fewer items than this shows no progress bar: it would only flicker.
PROGRESS_FROM = 2000


def under_lock(method: F) -> F:
    """Run a changing operation entirely under the store's lock (read, check, write)."""
    @functools.wraps(method)
    def wrapper(self: "StoreBase", *args: Any, **kwargs: Any) -> Any:
        self.require()
        with self.locked():
            return method(self, *args, **kwargs)
    return wrapper  # type: ignore[return-value]


class StoreBase(CommitRefusals):
    """A records repository on disk. Reading needs no lock; every change takes one."""

    def progress_bar(self, label: str, total: int) -> ContextManager[Step]:
        """Report ``total`` items of long work through :attr:`progress`, if set."""
        if self.progress is None or total < PROGRESS_FROM:
            return nullcontext(_no_step)
        return self.progress(label, total)

    # ---- writing -------------------------------------------------------------------------
    def record_bytes(self, rel_path: str, data: dict, kind: str) -> bytes:
        """Check a record against its schema and render it canonically."""
        data = ordered(data, _KEYS.get(kind, EVENT_KEYS))
        problems = schema.check(data, kind, self.schema_dir)
        if problems:
            path, msg = problems[0]
            raise InvalidInput(f"refused: {msg}")
        return render_record(rel_path, data, kind)

    def stage_replace(self, change: Change, read: RecordRead, data: dict, kind: str) -> None:
        """Add ``data`` to ``change`` as the new text of the record ``read``; the change is
        refused if the file no longer holds what was read (compare before replace)."""
        change.contents[read.path] = self.record_bytes(read.path, data, kind)
        change.expected[read.path] = read.text

    def new_event_path(self, folder: Path, date: datetime, name: str, content: dict, *,
                       taken: set[Path] | frozenset = frozenset()) -> Path:
        """A free event file name for ``date``: <YYYY>/<stamp>_<name>_<tag>.yaml, the tag
        derived from ``content`` (which holds the time svt recorded it), so another clone
        writing an event of the same name and date picks another name."""
        stamp = model.date_stamp(date)
        tag = event_tag(content)
        while True:
            candidate = folder / stamp[:4] / f"{stamp}_{name}_{tag}.yaml"
            if not candidate.exists() and candidate not in taken:
                return candidate
            tag = event_tag({"tag": tag})  # the same content twice in one microsecond

    def commit(self, change: Change, *, creating: bool = False) -> str:
        """Apply one change under the lock: check state, write, commit; all or nothing."""
        if not creating:
            self.require()
        with self.locked(), self.repo.batch():  # one cat-file for the checks and the commit
            self.repo.prepare_commit()
            tx = Transaction(self.repo)
            self._refuse_busy(change)
            if not creating:
                self._refuse_main_in_review()
            self._refuse_outside_sparse(change.paths() + change.rehash)
            self._refuse_without_lfs(list(change.copies))
            try:
                self.register_merge_driver()
            except (SvtError, OSError) as exc:  # a read-only .git/config must not stop a write
                self.notes.append(f"could not register svt's merge driver ({exc}); run"
                                  " `svt setup` where .git/config is writable")
            if self.repo.identity().fallback:
                ident = self.repo.identity()
                self.notes.append(f"git has no user identity here; committed as {ident.name}"
                                  f" <{ident.email}> (set one with git config user.name/user.email)")
            self.last_commit = tx.apply(change)
            return self.last_commit

    def register_merge_driver(self) -> bool:
        """Make git merge this clone's component.yaml files with svt (every write, init and
        setup call this; it reads two files when all is in place). True if it changed."""
        command = merge_driver_command()
        if self.repo.merge_driver_registered(command):
            return False
        self.repo.register_merge_driver("svt: component.yaml field by field", command)
        return True

    def tune_git_index(self, split: bool) -> list[str]:
        """Pick git's index settings in this clone, under the store's lock
        (GitRepo.tune_index; ``split``: core.splitIndex); the settings changed."""
        with self.locked():
            return self.repo.tune_index(split)

    def copy_source(self, source: str | os.PathLike, what: str) -> Path:
        """Check a user file that is to be stored: exists, regular, within the size limit."""
        import stat as _stat
        path = Path(os.path.expanduser(str(source)))
        try:
            st = os.stat(path)
        except FileNotFoundError:
            raise InvalidInput(f"{what} {source} does not exist: check the path") from None
        except OSError as exc:
            raise InvalidInput(f"{what} {source} cannot be read: {exc.strerror}") from None
        if _stat.S_ISDIR(st.st_mode):
            raise InvalidInput(f"{what} {source} is a folder: give the files in it one by one")
        if not _stat.S_ISREG(st.st_mode):
            raise InvalidInput(f"{what} {source} is not a regular file (a pipe or device?);"
                               " save it to a file first")
        limit = self.max_file_bytes
        if st.st_size > limit:
            raise InvalidInput(
                f"{what} {source} is {st.st_size / 1048576:.1f} MiB, over the store's limit of"
                f" {limit / 1048576:.0f} MiB: track large files with Git LFS (svt init --lfs) and"
                " raise max_file_mb in svt.yaml")
        if not os.access(path, os.R_OK):
            raise InvalidInput(f"{what} {source} is not readable: check its permissions")
        return path


def _no_step(done: int) -> None:
    pass
