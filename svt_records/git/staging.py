"""git's index after svt's commit: its entries made to agree with the commit at svt's paths.

After each commit svt makes git's index (``.git/index``) agree with it at exactly the paths
the commit changed, so that ``git status`` stays clean and the user's own staged changes stay
staged. ``git update-index`` rewrites and hashes the whole file for that (46-53 ms at 10,000
components). Where it can, svt does the same in-process, under git's own ``index.lock``:
it reads the file, has ``indexwrite.updated_pieces`` work out the bytes git would write, and puts
them in place as git does (the lock file renamed over the index, or the index before last
written over where nothing else reads it: indexspare.py). Where ``indexwrite``
declines (an index form or a setting it does not handle), git does it, still under svt's
lock: git writes a copy with the same time stamp (GIT_INDEX_FILE), which is then renamed
into place. Either way svt read and wrote the index with nothing else able to change it in
between, so it can link the index it found to the one it wrote (ownwrites.py). Settings
that put the index elsewhere or in several files (core.splitIndex, GIT_INDEX_FILE, a
post-index-change hook) leave it all to git, without a link.
"""
from __future__ import annotations

import atexit
import os
from stat import S_ISREG
from typing import TYPE_CHECKING, Callable, Mapping, NamedTuple, Sequence

from .config import GitConfig
from .objects import _file_mode
from . import ownwrites

if TYPE_CHECKING:  # loaded by writes only, in _update_index_locked
    import _thread
    import mmap

    from . import indexwrite


class IndexStates(NamedTuple):
    """git's index before and after svt wrote it, by trailer (ownwrites.trailer)."""
    before: str
    after: str


class GitStaging(GitConfig):
    """git's index made to agree with svt's commits at svt's paths."""

    def prepare_commit(self) -> None:
        """Ready a commit's work: ``git var -l`` (the settings, where the kept ones are stale)
        is started, and while it runs on another core this process loads what the commit's
        in-process index write needs (indexwrite: OpenSSL's hashlib, zlib, mmap; about 4 ms
        that would otherwise be spent after the git process, in line)."""
        key = self._config_stale()
        started = None
        if key is not None:
            try:
                started = self.start("var", "-l")
            except OSError:  # no git: _config says so, as for any other git command
                pass
        try:
            from . import indexwrite  # noqa: F401 - loaded here to overlap the git process
        finally:
            if started is not None and key is not None:  # (started only with a key)
                self._keep_config(started.output(), key)

    def sync_index(self, paths: Sequence[str], refilter: Sequence[str] = (),
                   removed: Sequence[str] = (), blobs: Mapping[str, tuple[str, str]] | None = None
                   ) -> IndexStates | None:
        """Make the user's index agree with HEAD at exactly these paths, ``removed`` being
        gone from both (``refilter``: see commit_files). ``blobs``: {path: (mode, blob id)}
        as committed, where svt knows them; then the index may be written in-process. The
        index before and after, when svt held git's lock throughout (else None)."""
        if refilter:
            self._update_index((), refilter)
        return self._update_index(paths, removed, blobs=blobs)

    def _update_index(self, paths: Sequence[str], dropped: Sequence[str] = (),
                      env: dict[str, str] | None = None,
                      blobs: Mapping[str, tuple[str, str]] | None = None) -> IndexStates | None:
        """Stage ``paths`` as they are on disk and drop ``dropped`` from the index; paths go
        through stdin, as a whole store's files (svt init --lfs) would overflow a command
        line. The index before and after, when written under svt's hold of git's lock:
        only a commit's own sync (``blobs`` given) links them; any other (a recovery, the
        hooks' commit, a refilter) is git's plain update, as nothing would use the states."""
        if env is None and blobs is not None and (paths or dropped) \
                and self._may_hold_index_lock():
            done = self._update_index_locked(paths, dropped, blobs)
            if done is not None:
                return done
        self._run_update_index(paths, dropped, env)
        return None

    def _run_update_index(self, paths: Sequence[str], dropped: Sequence[str],
                          env: dict[str, str] | None) -> None:
        for flag, names in (("--add", paths), ("--force-remove", dropped)):
            if names:
                self.run("update-index", flag, "-z", "--stdin", env=env,
                         input=("\0".join(names) + "\0").encode("utf-8", "surrogateescape"))

    def _may_hold_index_lock(self) -> bool:
        """Whether svt may write .git/index itself (or through a copy git writes): one
        file at the usual place, and no hook that git runs when it changes."""
        if os.name == "nt":  # a file open or mapped there cannot be renamed over
            return False
        if os.environ.get("GIT_INDEX_FILE") or os.environ.get("GIT_INDEX_VERSION") or any(
                k.startswith("GIT_TEST_") for k in os.environ):  # git's test switches
            return False
        conf = self._config()
        if not (self._config_false("core.splitindex", "false")
                and self._config_false("index.skiphash", "false")) or conf.get(
                "core.sharedrepository") or conf.get("core.fsync"):
            return False
        return not self.hooks_present(("post-index-change",))

    def _update_index_locked(self, paths: Sequence[str], dropped: Sequence[str],
                             blobs: Mapping[str, tuple[str, str]]) -> IndexStates | None:
        """Write the index holding git's ``index.lock``: in-process where indexwrite can,
        else through git writing a copy. None when the lock is taken or there is no index
        yet: git is then run as usual (and says so if the lock is held)."""
        git_dir = self.git_dir
        index, lock = git_dir / "index", git_dir / "index.lock"
        _finish_last_write()  # this process's last write: its table is in the cache
        try:
            fd = os.open(lock, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)
        except OSError:
            return None
        renamed = False
        import mmap
        data: bytes | mmap.mmap = b""
        try:
            try:
                with open(index, "rb") as fh:
                    st = os.fstat(fh.fileno())
                    # mapped, not read: the new file is written from views of it
                    data = mmap.mmap(fh.fileno(), 0, access=mmap.ACCESS_READ)
            except (FileNotFoundError, ValueError):  # none yet, or empty
                return None
            new = self._updated_in_process(data, st.st_mtime_ns, paths, dropped, blobs)
            from . import indexwrite  # loaded by _updated_in_process
            if isinstance(new, indexwrite.Pieces):
                from . import indexspare  # writes only
                svt_dir = self.svt_dir()
                spare = indexspare.open_spare(svt_dir, st)  # under a lease until closed
                try:
                    trailer = _write_hashed(fd if spare is None else spare, new.body,
                                            new.prepare)
                    if spare is not None:  # written over in its own pages: cut to length
                        os.ftruncate(spare, os.lseek(spare, 0, os.SEEK_CUR))
                finally:
                    if spare is not None:
                        os.close(spare)  # and its lease: an open it held back finds it whole
                kept = indexspare.set_aside(index, st, svt_dir)
                os.replace(lock if spare is None else svt_dir / indexspare.NAME, index)
                renamed = spare is None  # then a lock there now is another process's (else
                indexspare.keep(kept, svt_dir)  # it is ours, let go below)
                before = ownwrites.trailer(data)
                _finish_in_background(new.keep, trailer, new.body, data)
                data = b""  # closed there
                return IndexStates(before, trailer.hex())
            if new is not None:  # git would not write it
                return IndexStates(ownwrites.trailer(data), ownwrites.trailer(data))
            copy = self.svt_dir() / "index.copy"
            try:
                copy.write_bytes(data)
                os.utime(copy, ns=(st.st_atime_ns, st.st_mtime_ns))  # git's racy check
                self._run_update_index(paths, dropped, {"GIT_INDEX_FILE": str(copy)})
                with open(copy, "rb") as fh:
                    fh.seek(-20, os.SEEK_END)
                    after = fh.read(20).hex()
                os.replace(copy, index)
            finally:
                copy.unlink(missing_ok=True)
            return IndexStates(ownwrites.trailer(data), after)
        finally:
            os.close(fd)
            if not renamed:
                lock.unlink(missing_ok=True)
            if isinstance(data, mmap.mmap):
                try:
                    data.close()
                except BufferError:  # views of it still held (an error on the way out)
                    pass

    def _updated_in_process(self, data: mmap.mmap, mtime_ns: int, paths: Sequence[str],
                            dropped: Sequence[str], blobs: Mapping[str, tuple[str, str]]
                            ) -> "indexwrite.Pieces | mmap.mmap | bytes | None":
        """The new index worked out in-process, as the pieces to write (``data`` itself:
        git would not write); None where git must do it."""
        if any(p not in blobs for p in paths):
            return None
        from . import indexwrite  # writes only: it loads hashlib and zlib
        if not indexwrite.allowed_by(self._config()):
            return None
        staged = []
        for path in paths:
            mode, sha = blobs[path]
            try:
                st = os.lstat(self.root / path)
            except OSError:
                return None
            if not S_ISREG(st.st_mode) or _file_mode(st.st_mode) != mode or len(sha) != 40:
                return None
            staged.append(indexwrite.Staged(path, int(mode, 8), bytes.fromhex(sha), st))
        return indexwrite.updated_pieces(data, mtime_ns, self.root, staged, list(dropped),
                                         self.svt_dir())


def _write_hashed(fd: int, pieces: "list[bytes | memoryview]",
                  meanwhile: "Callable[[], None]" = lambda: None) -> bytes:
    """Write the pieces and then their SHA-1 (git's index trailer). The SHA-1 is worked out
    on another thread while the pieces are written: hashlib and os.writev both let go of
    the GIL, so two cores share the 10 MB of a 10,000-component index. Hashing takes the
    longer (about 8 ms to the write's 3): ``meanwhile`` is run after the write, before the
    wait for the SHA-1 (the cache's table of the new file: best effort, never raises)."""
    import hashlib
    sha = hashlib.sha1()
    failed: list[BaseException] = []

    def digest() -> None:
        try:
            for piece in pieces:
                sha.update(piece)
        except BaseException as exc:  # noqa: BLE001 - raised again below, in this thread
            failed.append(exc)
    hashed = _start_thread(digest)
    try:
        _write_all(fd, pieces)
        try:
            meanwhile()
        except Exception:  # noqa: BLE001 - the cache is a hint: keep works it out again
            pass
    finally:
        _wait(hashed)
    if failed:
        raise failed[0]
    trailer = sha.digest()
    _write_all(fd, [trailer])
    return trailer


# The table of the last index this process wrote goes to the cache, and the old file's
# mapping is let go, on another thread while the command goes on (a 10 MB file's pages are
# freed as its last mapping goes, 6 ms, where it could not be kept as the spare). The process waits for each at exit (atexit, which
# svt's entry runs too), and the next index write here waits for them first. A child forked
# meanwhile has no such thread: it waits for none.
_last_write: "list[_thread.LockType]" = []
os.register_at_fork(after_in_child=_last_write.clear)


def _start_thread(work: "Callable[[], None]") -> "_thread.LockType":
    """Run ``work`` on a new thread; the lock it releases when done. threading.Thread.start
    waits until the new thread runs (1-3 ms on a busy machine, where svt has nothing to wait
    for): _thread's does not. ``work`` must not raise (it would be printed)."""
    import _thread
    done = _thread.allocate_lock()
    done.acquire()

    def run() -> None:
        try:
            work()
        finally:
            done.release()
    _thread.start_new_thread(run, ())
    return done


def _wait(done: "_thread.LockType") -> None:
    done.acquire()
    done.release()


def _finish_in_background(keep: "Callable[[bytes], None]", trailer: bytes,
                          views: "list[bytes | memoryview]", data: "bytes | mmap.mmap") -> None:
    def finish() -> None:
        try:
            keep(trailer)
        except Exception:  # noqa: BLE001 - the cache is a hint; a thread must not print
            pass
        finally:
            views.clear()  # the last views of the old file: it may be closed
            if not isinstance(data, bytes):
                try:
                    data.close()
                except BufferError:  # a view still held elsewhere: closed when collected
                    pass
    _last_write[:] = [done for done in _last_write if done.locked()]  # those still going
    _last_write.append(_start_thread(finish))


def _finish_last_write() -> None:
    while _last_write:
        _wait(_last_write.pop())


atexit.register(_finish_last_write)


def _write_all(fd: int, pieces: "list[bytes | memoryview]") -> None:
    """Write the pieces one after the other (os.writev, at most 512 at a time, until every
    byte is written; os.write where there is no writev)."""
    views = [memoryview(p).cast("B") for p in pieces if len(p)]
    writev = getattr(os, "writev", None) or (lambda fd, parts: os.write(fd, parts[0]))
    while views:
        done = writev(fd, views[:512])
        while views and done >= len(views[0]):
            done -= len(views[0])
            views.pop(0)
        if views and done:
            views[0] = views[0][done:]
