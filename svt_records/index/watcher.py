"""The watcher: a process that follows every change under ``records/`` (Linux inotify), so
that a query asks it what changed instead of proving every file unchanged (watch.py is the
query's side; ``svt watch`` starts it).

It watches the records folder and every type, component and year folder below it (the
folders freshness.py keeps), and notes, in the order they happen:

- ``d`` + folder: a name in the folder came, went or was renamed (its ctime changed);
- ``f`` + file: a file in a component or year folder was written, touched or renamed.

A query sends the token of the last answer it kept; the watcher answers with every folder
and file noted since, and a new token. Before answering it creates a cookie file in a
folder it watches and reads events until the cookie's own event arrives: the kernel queues
events in the order they happen, so every change made before the question was asked is then
noted (git's fsmonitor does the same).

Whatever it cannot follow turns into a *reset*: the answer says "prove it all" and the
watcher starts a new epoch (a fresh set of watches and notes) whose tokens the next query
keeps after its full proof. Resets come from the kernel's queue overflowing, the records
folder itself being replaced, a watch limit, a file system that inotify cannot follow
(network file systems) or a records folder that is a symbolic link. A file with a second
hard link (which could be written through a name not watched) is named in every answer.

Bounds: at most :data:`KEPT` notes are kept (older tokens get a reset), at most
:data:`ANSWER_MAX` are sent (a bigger answer is a reset: the full proof is cheaper then);
a question is one short line, read with a time limit. It leaves after :data:`IDLE_S` seconds
without a question, when its folder goes, or when asked to stop.

    python -m svt_records.index.watcher REPOSITORY_ROOT SVT_DIR
"""
from __future__ import annotations

import ctypes
import errno
import fcntl
import os
import select
import socket
import stat
import struct
import sys
import time
from collections import OrderedDict

from .watch import (ANSWER_MAX, COOKIE_PREFIX, FORGOTTEN, LOCK, MAX_DEPTH, OTHER_EPOCH,
                    RECORD_DEPTH, SOCKET, SOCKET_BACKLOG, STOP, TOO_MANY, address,
                    watch_dir)

IN_MODIFY, IN_ATTRIB, IN_CLOSE_WRITE = 0x2, 0x4, 0x8
IN_MOVED_FROM, IN_MOVED_TO, IN_CREATE, IN_DELETE = 0x40, 0x80, 0x100, 0x200
IN_DELETE_SELF, IN_MOVE_SELF, IN_UNMOUNT = 0x400, 0x800, 0x2000
IN_Q_OVERFLOW, IN_IGNORED, IN_ONLYDIR, IN_DONT_FOLLOW, IN_ISDIR = (
    0x4000, 0x8000, 0x1000000, 0x2000000, 0x40000000)
ENTRIES = IN_CREATE | IN_DELETE | IN_MOVED_FROM | IN_MOVED_TO
FOLDER_MASK = (ENTRIES | IN_MODIFY | IN_ATTRIB | IN_CLOSE_WRITE | IN_DELETE_SELF
               | IN_MOVE_SELF | IN_ONLYDIR | IN_DONT_FOLLOW)
EVENT = struct.Struct("iIII")

KEPT = 200_000  # notes kept; a token older than the oldest kept gets a reset
IDLE_S = 3 * 3600  # leave after this long without a question
COOKIE_WAIT_S = 2.0
QUESTION_S = 1.0
RETRY_UNSUPPORTED_S = 600.0  # a store it could not follow is tried again this often
REACHABLE_S = 10.0  # how often it checks that its socket is still where queries look

# file systems whose changes inotify sees whoever makes them (statfs f_type): not NFS,
# CIFS or FUSE, where another machine may write
LOCAL_FS = {0xEF53: "ext2/3/4", 0x58465342: "xfs", 0x9123683E: "btrfs", 0x01021994: "tmpfs",
            0x794C7630: "overlay", 0xF2F52010: "f2fs", 0x2FC12FC1: "zfs", 0x3153464A: "jfs",
            0x52654973: "reiserfs"}


class Unsupported(Exception):
    """Something the watcher cannot follow: every answer is a reset until a rebuild works."""


class _Libc:
    def __init__(self) -> None:
        libc = ctypes.CDLL(None, use_errno=True)
        self.init1 = libc.inotify_init1
        self.add = libc.inotify_add_watch
        self.add.argtypes = [ctypes.c_int, ctypes.c_char_p, ctypes.c_uint32]
        self.rm = libc.inotify_rm_watch
        self.statfs = libc.statfs

    def fs_type(self, path: str) -> int:
        buf = ctypes.create_string_buffer(256)  # struct statfs; f_type is its first field
        if self.statfs(os.fsencode(path), buf) != 0:
            raise Unsupported(f"statfs: {os.strerror(ctypes.get_errno())}")
        return int.from_bytes(buf.raw[:ctypes.sizeof(ctypes.c_long)], sys.byteorder)


class Watcher:
    def __init__(self, root: str, svt_dir: str) -> None:
        self.root, self.wdir = root, watch_dir(svt_dir)
        self.libc = _Libc()
        self.fd = -1
        self.paths: dict[int, str] = {}  # watch descriptor -> folder ("records/...")
        self.wds: dict[str, int] = {}  # and back
        self.children: dict[str, set[str]] = {}  # folder -> the folders watched in it
        self.notes: OrderedDict[str, int] = OrderedDict()  # "d"/"f" + path -> its seq
        self.linked: set[str] = set()  # record files with a second hard link
        self.seq = self.floor = 0
        self.epoch = ""
        self.unsupported: str | None = None
        self.cookie_wd = self.root_wd = -1
        self.cookies = 0
        self.reset_due = False
        self.built = 0.0  # when the watches were last made
        self.last_question = time.monotonic()
        self.stop = False

    def close(self) -> None:
        if self.fd >= 0:
            os.close(self.fd)
            self.fd = -1

    # ---- watches ------------------------------------------------------------------------
    def rebuild(self) -> None:
        """A new epoch: every watch made again, every note and token before it forgotten."""
        self._fresh_queue()
        self.notes.clear()
        self.floor = self.seq
        self.epoch = os.urandom(8).hex()
        self.reset_due = False
        self.unsupported = None
        self.built = time.monotonic()
        try:
            fs = self.libc.fs_type(self.root)
            if fs not in LOCAL_FS:
                raise Unsupported(f"file system 0x{fs:x} may be written by other machines")
            records = os.path.join(self.root, "records")
            if os.path.islink(records):
                raise Unsupported("records is a symbolic link")
            if os.path.isdir(records):
                self._add_tree("records", 0)
        except Unsupported as err:
            self.unsupported = str(err)
            self._fresh_queue()  # the watches made so far serve nothing: let them go

    def _fresh_queue(self) -> None:
        """A new inotify queue watching only the cookies and the store's top folder (where
        records/ coming back makes the next answer try again)."""
        if self.fd >= 0:
            os.close(self.fd)
        self.fd = self.libc.init1(os.O_NONBLOCK | os.O_CLOEXEC)
        if self.fd < 0:
            raise OSError(ctypes.get_errno(), "inotify_init1")
        self.paths.clear()
        self.wds.clear()
        self.children.clear()
        self.linked.clear()
        self.cookie_wd = self._add(self.wdir, IN_CREATE | IN_DELETE_SELF | IN_MOVE_SELF
                                   | IN_ONLYDIR)
        self.root_wd = self._add(self.root, ENTRIES | IN_DELETE_SELF | IN_MOVE_SELF
                                 | IN_ONLYDIR)

    def _add(self, path: str, mask: int) -> int:
        wd = self.libc.add(self.fd, os.fsencode(path), mask)
        if wd < 0:
            err = ctypes.get_errno()
            if err == 28:  # ENOSPC: the user's inotify watch limit
                raise Unsupported(
                    "it needs more folder watches than this user may have; an administrator"
                    " can raise the limit (sysctl fs.inotify.max_user_watches=1048576)")
            if err in (errno.ENOENT, errno.ENOTDIR):
                raise FileNotFoundError(err, os.strerror(err), path)
            raise Unsupported(f"a folder it cannot watch: {os.strerror(err)}")
        return wd

    def _add_tree(self, rel: str, depth: int, arrived: bool = False) -> None:
        """Watch ``rel`` and the folders below it down to the year folders; note the record
        files with a second hard link. ``arrived``: the folder came after the watcher looked
        (made, or moved in, perhaps onto a name the index knows, with its old times): each
        folder and file in it is noted, so that the query reads them whatever their times."""
        try:
            wd = self._add(os.path.join(self.root, rel), FOLDER_MASK)
            entries = list(os.scandir(os.path.join(self.root, rel)))
        except (FileNotFoundError, NotADirectoryError):
            return
        except OSError as err:  # not readable: what is in it cannot be followed
            raise Unsupported(f"a folder it cannot read: {err.strerror}") from None
        old = self.paths.get(wd)
        if old is not None and old != rel:  # the same folder under a new name
            self._forget(old, wd)
        self.paths[wd] = rel
        self.wds[rel] = wd
        self.children.setdefault(rel.rpartition("/")[0], set()).add(rel)
        if arrived:
            self._note("d" + rel)
        for entry in entries:
            if entry.is_dir(follow_symlinks=False):
                if depth < MAX_DEPTH and entry.name[:1] != ".":
                    self._add_tree(f"{rel}/{entry.name}", depth + 1, arrived)
            elif depth >= RECORD_DEPTH:
                if arrived:
                    self._note(f"f{rel}/{entry.name}")
                if entry.name.endswith(".yaml") and self._check_links(f"{rel}/{entry.name}") \
                        and arrived:
                    self.reset_due = True  # its other names are not known

    def _check_links(self, rel: str) -> bool:
        """Keep ``linked`` up to date for the file ``rel``; True if it newly has a second
        hard link (whose other name may be anywhere in records/)."""
        try:
            st = os.lstat(os.path.join(self.root, rel))
        except OSError:
            self.linked.discard(rel)
            return False
        if st.st_nlink > 1 and not stat.S_ISLNK(st.st_mode):
            new = rel not in self.linked
            self.linked.add(rel)
            return new
        self.linked.discard(rel)
        return False

    def _forget(self, rel: str, wd: int | None = None, unwatch: bool = False) -> None:
        """Drop the folder ``rel`` and those below it (and their watches, with ``unwatch``:
        a folder moved out of records/ is still there to watch). With ``wd``, only if that
        is still the watch of ``rel``: a folder removed while a process held it open is
        said gone (IN_IGNORED) only when it lets go, maybe after a new one took its name."""
        if wd is not None and self.wds.get(rel) != wd:
            self.paths.pop(wd, None)
            return
        self.children.get(rel.rpartition("/")[0], set()).discard(rel)
        todo = [rel]
        while todo:
            path = todo.pop()
            todo.extend(self.children.pop(path, ()))
            gone = self.wds.pop(path, None)
            if gone is not None and self.paths.get(gone) == path:
                del self.paths[gone]
                if unwatch:
                    self.libc.rm(self.fd, gone)

    # ---- events -------------------------------------------------------------------------
    def _note(self, key: str) -> None:
        self.seq += 1
        self.notes[key] = self.seq
        self.notes.move_to_end(key)
        while len(self.notes) > KEPT:
            _, self.floor = self.notes.popitem(last=False)

    def drain(self, cookie: str | None = None) -> bool:
        """Read the queued events; True when ``cookie``'s arrived among them."""
        seen = False
        while True:
            try:
                data = os.read(self.fd, 1 << 16)
            except BlockingIOError:
                return seen
            at = 0
            while at < len(data):
                wd, mask, _, size = EVENT.unpack_from(data, at)
                name = os.fsdecode(data[at + EVENT.size:at + EVENT.size + size].rstrip(b"\0"))
                at += EVENT.size + size
                if self._event(wd, mask, name, cookie):
                    seen = True

    def _event(self, wd: int, mask: int, name: str, cookie: str | None) -> bool:
        if mask & IN_Q_OVERFLOW:
            self.reset_due = True
            return False
        if wd == self.cookie_wd:
            if mask & (IN_DELETE_SELF | IN_MOVE_SELF):
                self.stop = True  # the store's svt folder went: nothing left to serve
            return cookie is not None and name == cookie
        if wd == self.root_wd:
            if mask & (IN_DELETE_SELF | IN_MOVE_SELF):
                self.stop = True  # the store moved: its path may now be another store's
            elif name == "records":
                self.reset_due = True  # records replaced or gone: watch it afresh
            return False
        rel = self.paths.get(wd)
        if mask & IN_IGNORED:  # its folder is gone (or unwatched)
            if rel is not None:
                self._forget(rel, wd)
            return False
        if rel is None or not name:
            if rel == "records" and mask & (IN_DELETE_SELF | IN_MOVE_SELF | IN_UNMOUNT):
                self.reset_due = True
            return False
        depth = rel.count("/")
        child = f"{rel}/{name}"
        if mask & ENTRIES:
            self._note("d" + rel)
        if mask & IN_ISDIR:
            if mask & IN_MOVED_FROM:  # (a folder deleted has its watch removed by the kernel)
                self._forget(child, unwatch=True)
            # a name moved away is read too: another folder may hold it now (RENAME_EXCHANGE,
            # whose IN_MOVED_TO for this name came first); _add_tree passes over no folder
            if mask & (IN_CREATE | IN_MOVED_TO | IN_MOVED_FROM) and depth < MAX_DEPTH \
                    and name[:1] != ".":
                try:
                    self._add_tree(child, depth + 1, arrived=True)
                except Unsupported:
                    self.reset_due = True
            return False
        if depth >= RECORD_DEPTH:
            self._note("f" + child)
            if name.endswith(".yaml"):
                if mask & (IN_DELETE | IN_MOVED_FROM):
                    self.linked.discard(child)
                elif mask & (IN_CREATE | IN_MOVED_TO | IN_ATTRIB) and self._check_links(child):
                    self.reset_due = True  # a link made in records/: its other name is unknown
        return False

    # ---- questions ----------------------------------------------------------------------
    def answer(self, token: str) -> bytes:
        """The notes since ``token``, NUL-separated: "ok" or "reset", the new token, then
        each note."""
        if self.reset_due or (self.unsupported and
                              time.monotonic() - self.built > RETRY_UNSUPPORTED_S):
            try:
                self.rebuild()
            except OSError:
                self.unsupported = "watches could not be made again"
        now = f"{self.epoch}:{self.seq}"
        epoch, _, seq = token.partition(":")
        reason = self.unsupported or (
            OTHER_EPOCH if epoch != self.epoch or not seq.isdigit() else
            FORGOTTEN if not self.floor <= int(seq) <= self.seq else None)
        if reason is None:
            since = int(seq)
            out: list[str] = []
            for key in reversed(self.notes):
                if self.notes[key] <= since:
                    break
                out.append(key)
                if len(out) > ANSWER_MAX:
                    reason = TOO_MANY
                    break
        if reason is not None:
            return b"\0".join([b"reset", now.encode(), reason.encode()])
        out.extend("f" + path for path in sorted(self.linked))
        return b"\0".join([b"ok", now.encode()] + [os.fsencode(k) for k in out])

    def serve(self, listener: socket.socket, sock_path: str) -> None:
        """Answer questions until asked to stop, idle too long, or unreachable: its socket
        gone or replaced (the store removed, or copied over, in a flood of events that may
        have overflowed the queue past the one that said so)."""
        mine = os.stat(sock_path).st_ino
        looked = time.monotonic()
        poller = select.poll()  # (select() refuses descriptors past 1023)
        poller.register(listener.fileno(), select.POLLIN)
        queue = -1
        while not self.stop:
            if queue != self.fd:  # a rebuild makes a new queue
                if queue >= 0:
                    poller.unregister(queue)
                queue = self.fd
                poller.register(queue, select.POLLIN)
            ready = {fd for fd, _ in poller.poll(REACHABLE_S * 1000)}
            if self.fd in ready:
                self.drain()
            if listener.fileno() in ready:
                self._question(listener)
            now = time.monotonic()
            if now - self.last_question > IDLE_S:
                return
            if now - looked >= REACHABLE_S:
                looked = now
                try:
                    if os.stat(sock_path).st_ino != mine:
                        return
                except OSError:
                    return

    def _question(self, listener: socket.socket) -> None:
        try:
            conn, _ = listener.accept()
        except OSError:
            return
        with conn:
            try:
                line = _read_line(conn)
            except OSError:
                return
            self.last_question = time.monotonic()
            if line == STOP:
                self.stop = True
                conn.sendall(b"stopped")
                return
            reply = self._synced_answer(line)
            try:
                conn.sendall(reply)
            except OSError:
                pass

    def _synced_answer(self, token: str) -> bytes:
        self.cookies += 1
        cookie = f"{COOKIE_PREFIX}{os.getpid()}-{self.cookies}"
        path = os.path.join(self.wdir, cookie)
        try:
            os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
        except OSError:
            self.reset_due = True
            return self.answer("")
        try:
            deadline = time.monotonic() + COOKIE_WAIT_S
            poller = select.poll()
            poller.register(self.fd, select.POLLIN)
            while not self.drain(cookie):
                left = deadline - time.monotonic()
                if left <= 0:
                    self.reset_due = True  # the queue did not bring it: trust nothing
                    break
                poller.poll(left * 1000)
        finally:
            try:
                os.unlink(path)
            except OSError:
                pass
        return self.answer(token)


def _read_line(conn: socket.socket) -> str:
    """One line of at most 256 bytes, within :data:`QUESTION_S` in all."""
    data = b""
    deadline = time.monotonic() + QUESTION_S
    while b"\n" not in data and len(data) < 256:
        left = deadline - time.monotonic()
        if left <= 0:
            raise TimeoutError("a question not asked in time")
        conn.settimeout(left)
        chunk = conn.recv(256)
        if not chunk:
            break
        data += chunk
    return data.split(b"\n", 1)[0].decode("ascii", "replace")


def main(root: str, svt_dir: str) -> int:
    wdir = watch_dir(svt_dir)
    os.makedirs(wdir, exist_ok=True)
    lock = os.open(os.path.join(wdir, LOCK), os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
    try:
        fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        return 0  # another watcher serves this store
    os.ftruncate(lock, 0)
    os.write(lock, f"{os.getpid()}\n".encode())
    try:
        os.ftruncate(2, 0)  # its log (watch.start appends): this watcher's own, from here
    except OSError:
        pass
    watcher = Watcher(os.path.realpath(root), svt_dir)
    watcher.rebuild()  # every watch in place before the first question is taken
    sock_path = os.path.join(wdir, SOCKET)
    try:
        os.unlink(sock_path)  # a watcher that died left it
    except FileNotFoundError:
        pass
    listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    dir_fd = os.open(wdir, os.O_RDONLY | os.O_DIRECTORY)
    try:
        old = os.umask(0o077)
        try:
            listener.bind(address(wdir, dir_fd))
        finally:
            os.umask(old)
        listener.listen(SOCKET_BACKLOG)
        watcher.serve(listener, sock_path)
    finally:
        os.close(dir_fd)
        listener.close()
        try:
            os.unlink(sock_path)
        except OSError:
            pass
        os.ftruncate(lock, 0)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1], sys.argv[2]))
