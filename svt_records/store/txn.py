"""One change to the store: lock, stage, move into place, commit, or roll back.

A change is staged inside ``.git/svt/tx/`` with a journal. Files move into ``records/`` only
once all of them are written; the commit follows. If anything fails the journal restores the
work tree exactly; if the process dies, the next svt command finishes or undoes the change
(rolled forward when the commit had landed, back otherwise).
"""
from __future__ import annotations

import errno
import json
import os
import time
from pathlib import Path
from typing import Callable

from ..files import yamlio
from ..model.errors import GitError, LockTimeout, SvtError
from ..git.process import fault_point
from ..git.repo import GitRepo

try:
    import fcntl
except ImportError:  # pragma: no cover - Windows
    fcntl = None  # type: ignore[assignment]


class StoreLock:
    """An exclusive lock on one clone, held for the duration of a change.

    ``flock`` locks vanish with their process, so a lock left by a killed svt is simply taken
    over; the pid written inside tells us whose it was, for the message.
    """

    def __init__(self, path: Path, timeout: float = 60.0) -> None:
        self.path = path
        self.timeout = timeout
        self.fd: int | None = None
        self.notes: list[str] = []

    def __enter__(self) -> "StoreLock":
        self.fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
        if fcntl is not None:
            deadline = time.monotonic() + self.timeout
            delay = 0.01
            while True:
                try:
                    fcntl.flock(self.fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                    break
                except OSError as exc:
                    if exc.errno not in (errno.EAGAIN, errno.EACCES):
                        raise
                    if time.monotonic() > deadline:
                        os.close(self.fd)
                        self.fd = None
                        raise LockTimeout(
                            f"another svt command has held {self.path} for {self.timeout:.0f} s;"
                            " wait for it to finish and try again") from None
                    time.sleep(delay)
                    delay = min(delay * 2, 0.2)
        previous = os.pread(self.fd, 64, 0).decode("ascii", "replace").strip()
        if previous and previous.isdigit() and int(previous) != os.getpid() and _pid_alive(int(previous)) is False:
            self.notes.append(f"took over the lock left by svt process {previous}, which is gone")
        os.ftruncate(self.fd, 0)
        os.pwrite(self.fd, str(os.getpid()).encode(), 0)
        return self

    def __exit__(self, *exc: object) -> None:
        if self.fd is not None:
            os.ftruncate(self.fd, 0)
            if fcntl is not None:
                fcntl.flock(self.fd, fcntl.LOCK_UN)
            os.close(self.fd)
            self.fd = None


def _pid_alive(pid: int) -> bool | None:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    except OSError:
        return None
    return True


class _Entry:
    """One file of a change, as the journal records it."""

    def __init__(self, path: str, staged: str, backup: str | None = None,
                 existed: bool = False, deleted: bool = False) -> None:
        self.path = path  # relative to the store root
        self.staged = staged  # file name in the tx folder holding the new content
        self.backup = backup  # file name in the tx folder holding the old content
        self.existed = existed
        self.deleted = deleted  # the change deletes the file (svt undo of an added one)


class Change:
    """What one command writes: new contents by path, files to copy in, files to delete."""

    def __init__(self, message: str, contents: dict[str, bytes] | None = None,
                 copies: dict[str, Path] | None = None,
                 expected: dict[str, str | bytes] | None = None) -> None:
        self.message = message
        self.contents = contents if contents is not None else {}
        self.copies = copies if copies is not None else {}  # store path -> source file
        # compare-before-replace (and before delete): a record's text as read, or the exact
        # bytes of a stored file
        self.expected: dict[str, str | bytes] = expected if expected is not None else {}
        self.rehash: list[str] = []  # files committed as they are on disk (filters apply)
        self.deletions: list[str] = []  # files to delete, each with its expected content
        # called with every file in place, before the commit: raising rolls the change back
        self.verify: Callable[[], None] | None = None

    def paths(self) -> list[str]:
        return list(self.contents) + list(self.copies) + self.deletions


class Transaction:
    """Apply a :class:`Change` to the work tree and commit it, all or nothing."""

    def __init__(self, repo: GitRepo) -> None:
        self.repo = repo
        self.dir = repo.svt_dir() / "tx"
        self.journal = self.dir / "journal.json"

    # ---- recovery ----------------------------------------------------------------------
    def recover(self) -> str | None:
        """Finish or undo a change a dead process left behind; say what was done."""
        if not self.journal.exists():
            if self.dir.exists():
                _remove_dir(self.dir)
            return None
        try:
            state = json.loads(self.journal.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            _remove_dir(self.dir)
            return "removed an unreadable journal of an interrupted svt command"
        entries = [_Entry(**e) for e in state.get("entries", [])]
        head = self.repo.head()
        if head is not None and self._landed(head, state):
            _sync_index(self.repo, entries)
            _remove_dir(self.dir)
            return f"finished an interrupted svt command whose commit {head[:10]} had landed"
        self._restore(entries)
        _remove_dir(self.dir)
        return f"undid an interrupted svt command ({state.get('message', '?')}); nothing was committed"

    # ---- applying ----------------------------------------------------------------------
    def apply(self, change: Change) -> str:
        root = self.repo.root
        if self.dir.exists():
            _remove_dir(self.dir, ignore_errors=False)
        self.dir.mkdir(parents=True)
        entries: list[_Entry] = []
        try:
            # 1. stage every new file inside .git, verify what is on disk is what we read
            for n, path in enumerate(change.paths()):
                target = root / path
                up = target
                while up != root:
                    if up.is_symlink():
                        raise SvtError(f"{up.relative_to(root)} is a symbolic"
                                       " link; svt refuses to write through links")
                    up = up.parent
                expected = change.expected.get(path)
                if expected is not None:
                    current: str | bytes | None
                    try:  # a record's text as read, or a stored file's bytes (a redrawn plot)
                        current = target.read_bytes() if isinstance(expected, bytes) \
                            else yamlio.read_text(target)
                    except (OSError, yamlio.YamlError):
                        current = None
                    if current != expected:
                        raise SvtError(f"{path} changed on disk while svt was working (another"
                                       " program or person edited it); run the command again")
                elif target.exists():
                    raise SvtError(f"{path} already exists; svt never overwrites a record it"
                                   " did not read first")
                if path in change.deletions:
                    if expected is None:
                        raise SvtError(f"svt deletes only files it read first ({path})")
                    entry = _Entry(path, "", f"old-{n}", existed=True, deleted=True)
                    _keep(target, self.dir / f"old-{n}")
                    entries.append(entry)
                    continue
                staged = f"new-{n}"
                if path in change.contents:
                    (self.dir / staged).write_bytes(change.contents[path])
                else:
                    import shutil  # a stored file (an image) is copied in
                    shutil.copyfile(change.copies[path], self.dir / staged)
                entry = _Entry(path, staged, existed=target.exists())
                if entry.existed:
                    entry.backup = f"old-{n}"
                    _keep(target, self.dir / entry.backup)
                entries.append(entry)
            parent = self.repo.head()
            self._write_journal(change.message, entries, None, parent)
            fault_point("staged")
            # 2. move into place
            for entry in entries:
                target = root / entry.path
                if entry.deleted:
                    target.unlink()
                    _prune_empty(target.parent, root / "records")
                else:
                    target.parent.mkdir(parents=True, exist_ok=True)
                    os.replace(self.dir / entry.staged, target)
                fault_point("moving")
            if change.verify is not None:
                change.verify()
            # 3. commit

            def remember(commit: str | None) -> None:
                self._write_journal(change.message, entries, commit, parent)
                fault_point("committing")

            commit = self.repo.commit_files(
                [e.path for e in entries if not e.deleted] + change.rehash, change.message,
                parent, before_ref_update=remember, refilter=change.rehash,
                removed=[e.path for e in entries if e.deleted])
        except BaseException as exc:
            head = self.repo.head()
            if head is not None and self._landed(head):
                try:
                    _sync_index(self.repo, entries)
                except GitError:
                    pass
                _remove_dir(self.dir)
                if isinstance(exc, Exception):
                    return head
                raise
            self._restore(entries)
            _remove_dir(self.dir)
            raise
        _remove_dir(self.dir)
        return commit

    def _landed(self, head: str, state: dict | None = None) -> bool:
        """Did the journal's commit reach HEAD? (git commit with hooks names it only after.)"""
        if state is None:
            try:
                state = json.loads(self.journal.read_text(encoding="utf-8"))
            except (OSError, ValueError):
                return False
        if state.get("commit"):
            return state["commit"] == head
        if head == state.get("parent") or not state.get("entries"):
            return False
        return self.repo.run("log", "-1", "--format=%s", head).strip() == \
            state.get("message", "").splitlines()[0]

    def _write_journal(self, message: str, entries: list[_Entry], commit: str | None,
                       parent: str | None) -> None:
        data = {"message": message, "commit": commit, "parent": parent, "pid": os.getpid(),
                "entries": [e.__dict__ for e in entries]}
        tmp = self.dir / "journal.tmp"
        tmp.write_text(json.dumps(data), encoding="utf-8")
        os.replace(tmp, self.journal)

    def _restore(self, entries: list[_Entry]) -> None:
        root = self.repo.root
        restored = False
        for entry in reversed(entries):
            target = root / entry.path
            if entry.backup:
                backup = self.dir / entry.backup
                if backup.exists():
                    target.parent.mkdir(parents=True, exist_ok=True)  # a deletion pruned it
                    os.replace(backup, target)
                    restored = True
            elif not entry.existed and target.exists() and not (self.dir / entry.staged).exists():
                target.unlink()
                _prune_empty(target.parent, root / "records")
        if restored:  # the same bytes, but a new ctime (the backup's link): git's stat cache
            self.repo.refresh_stat_cache().text()  # would call them changed until refreshed


def _sync_index(repo: GitRepo, entries: list[_Entry]) -> None:
    repo.sync_index([e.path for e in entries if not e.deleted],
                    removed=[e.path for e in entries if e.deleted])


def _keep(target: Path, backup: Path) -> None:
    """Keep ``target`` as it is, as ``backup``: a second link to the same file, since svt
    never writes a record in place (a new file is renamed over it, or it is deleted), so
    the old file outlives the change untouched and a rollback renames it back; a copy
    where no link can be made (another file system)."""
    try:
        os.link(target, backup, follow_symlinks=False)
    except OSError:
        import shutil
        shutil.copy2(target, backup, follow_symlinks=False)


def _remove_dir(folder: Path, ignore_errors: bool = True) -> None:
    """Remove the journal's folder (flat: the journal and the staged files) without
    loading shutil for it; anything else in it goes through shutil.rmtree."""
    try:
        with os.scandir(folder) as entries:
            names = [(e.name, e.is_dir(follow_symlinks=False)) for e in entries]
        if any(is_dir for _, is_dir in names):
            import shutil
            shutil.rmtree(folder, ignore_errors=ignore_errors)
            return
        for name, _ in names:
            os.unlink(folder / name)
        os.rmdir(folder)
    except FileNotFoundError:
        pass
    except OSError:
        if not ignore_errors:
            raise


def _prune_empty(folder: Path, stop: Path) -> None:
    while folder != stop and stop in folder.parents:
        try:
            folder.rmdir()
        except OSError:
            return
        folder = folder.parent


def sha256_file(path: Path) -> tuple[int, str]:
    import hashlib  # only changes that store files hash them
    h = hashlib.sha256()
    size = 0
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
            size += len(block)
    return size, h.hexdigest()
