"""A query's side of the watcher (watcher.py): ask what changed under ``records/`` since
the last answer the index kept, and start, stop or describe the watcher (``svt watch``).

Everything lives in ``.git/svt/watch/``: ``on`` (the store wants a watcher: a query that
finds none starts one), ``lock`` (held by the running watcher; its pid), ``sock`` (where it
answers) and the cookie files of its answers. A query that gets no answer in time proves
everything itself, as without a watcher.
"""
from __future__ import annotations

import os
import sys
from typing import NamedTuple

ANSWER_MAX = 20_000  # notes in one answer; more, and a full proof is cheaper
COOKIE_PREFIX = "cookie-"
LOCK, SOCKET, ON, STOP = "lock", "sock", "on", "stop"
# records=0, type=1, component=2, year=3: the folders kept (freshness.py) and watched, and
# the depths from which they hold record files
MAX_DEPTH, RECORD_DEPTH = 3, 2
SOCKET_BACKLOG = 16
TIMEOUT_S = 1.0
SUN_PATH_MAX = 100  # a socket address holds 108 bytes; longer paths go through /proc
# the resets that say nothing is wrong with the watcher, only with the question
OTHER_EPOCH, FORGOTTEN = "a token of another epoch", "a token older than the notes kept"
TOO_MANY = "more changes than one answer holds"


class Answer(NamedTuple):
    """What changed since the token asked about; ``reset``: the watcher cannot say (a new
    epoch, an overflow, ...), so prove everything and keep ``token`` after."""

    token: str
    reset: bool
    dirs: list[str]
    files: list[str]
    reason: str = ""  # why a reset


class Status(NamedTuple):
    wanted: bool  # the store asks for a watcher (``svt watch``)
    pid: int | None  # the running watcher's, if one answers
    unsupported: str  # why the running watcher cannot follow the store ("": it can)


def supported() -> bool:
    return sys.platform.startswith("linux")


def watch_dir(svt_dir: str | os.PathLike) -> str:
    return os.path.join(svt_dir, "watch")


def _too_long(wdir: str) -> bool:
    """Whether the socket's path is too long for a socket address."""
    return len(os.fsencode(os.path.join(wdir, SOCKET))) >= SUN_PATH_MAX


def address(wdir: str, dir_fd: int) -> str:
    """The socket's address: its path, or the same file through ``/proc/self/fd`` (``dir_fd``
    open on ``wdir``) when the path is too long for a socket address."""
    if not _too_long(wdir):
        return os.path.join(wdir, SOCKET)
    return f"/proc/self/fd/{dir_fd}/{SOCKET}"


def _exchange(wdir: str, line: str) -> bytes | None:
    """Send one line to the watcher and read its whole answer; None if none answers."""
    import _socket
    dir_fd = -1
    sock = _socket.socket(_socket.AF_UNIX, _socket.SOCK_STREAM)
    try:
        sock.settimeout(TIMEOUT_S)
        if _too_long(wdir):  # (the folder opened only for an address through /proc)
            dir_fd = os.open(wdir, os.O_RDONLY | os.O_DIRECTORY)
        sock.connect(address(wdir, dir_fd))
        sock.sendall(line.encode() + b"\n")
        chunks = []
        while chunk := sock.recv(1 << 16):
            chunks.append(chunk)
        return b"".join(chunks)
    except OSError:  # none runs (no socket, refused), or no answer in time
        return None
    finally:
        sock.close()
        if dir_fd >= 0:
            os.close(dir_fd)


def ask(svt_dir: str | os.PathLike, token: str | None) -> Answer | None:
    """The changes under records/ since ``token`` (None: since nothing kept), or None when
    no watcher answers."""
    wdir = watch_dir(svt_dir)
    if not os.path.exists(os.path.join(wdir, SOCKET)):
        return None
    data = _exchange(wdir, token or "")
    if data is None:
        return None
    fields = data.split(b"\0")
    if len(fields) < 2 or fields[0] not in (b"ok", b"reset"):
        return None
    token = fields[1].decode("ascii", "replace")
    if fields[0] == b"reset":
        return Answer(token, True, [], [], b" ".join(fields[2:]).decode("utf-8", "replace"))
    dirs: list[str] = []
    files: list[str] = []
    for field in fields[2:]:
        path = os.fsdecode(field[1:])
        (dirs if field[:1] == b"d" else files).append(path)
    return Answer(token, False, dirs, files)


def wanted(svt_dir: str | os.PathLike) -> bool:
    return os.path.exists(os.path.join(watch_dir(svt_dir), ON))


def start(root: str | os.PathLike, svt_dir: str | os.PathLike) -> None:
    """Start a watcher for the store, detached from this process (it outlives it); one
    already running makes the new one leave at once."""
    svt_dir = os.path.abspath(svt_dir)
    wdir = watch_dir(svt_dir)
    os.makedirs(wdir, exist_ok=True)
    argv = [sys.executable, "-m", "svt_records.index.watcher", os.path.abspath(root), svt_dir]
    from ..git.background import start_detached
    start_detached(argv, os.path.join(wdir, "log"))  # where a watcher that fails says why


def want(svt_dir: str | os.PathLike, on: bool) -> None:
    """Mark the store as wanting a watcher (or no longer)."""
    wdir = watch_dir(svt_dir)
    os.makedirs(wdir, exist_ok=True)
    marker = os.path.join(wdir, ON)
    if on:
        with open(marker, "w", encoding="ascii") as fh:
            fh.write("a query that finds no watcher starts one (svt watch --stop: no more)\n")
    else:
        try:
            os.unlink(marker)
        except FileNotFoundError:
            pass


def stop(svt_dir: str | os.PathLike) -> bool:
    """Ask the running watcher to leave; True if one did."""
    wdir = watch_dir(svt_dir)
    if not os.path.exists(os.path.join(wdir, SOCKET)):
        return False
    return _exchange(wdir, STOP) == b"stopped"


def status(svt_dir: str | os.PathLike) -> Status:
    answer = ask(svt_dir, None)
    pid = None
    if answer is not None:
        try:
            with open(os.path.join(watch_dir(svt_dir), LOCK), encoding="ascii") as fh:
                pid = int(fh.read().strip() or 0) or None
        except (OSError, ValueError):
            pid = None
    # a question with no token is a reset of another epoch, unless the watcher cannot
    # follow the store (its reason, then)
    reason = answer.reason if answer is not None and answer.reason != OTHER_EPOCH else ""
    return Status(wanted(svt_dir), pid, reason)


def older(a: str | None, b: str | None) -> str | None:
    """The older of two tokens of one epoch; None if they are of different epochs."""
    if a is None or b is None:
        return None
    (ea, _, sa), (eb, _, sb) = a.partition(":"), b.partition(":")
    if ea != eb or not sa.isdigit() or not sb.isdigit():
        return None
    return a if int(sa) <= int(sb) else b
