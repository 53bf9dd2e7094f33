"""Opening a stored file without following a symbolic link anywhere on its way.

A records repository comes from pull requests, and git checks a symbolic link out as a link:
a stored file (or a folder above it) replaced by a link to ``/etc/passwd``, ``.git/config``
or ``/proc/self/environ`` must never be read through. :func:`open_stored` opens each folder
of the path with ``O_NOFOLLOW | O_DIRECTORY`` relative to the one before (``openat``), then
the file with ``O_NOFOLLOW``, and checks that it is a regular file; no check-then-open race.
(Where the system has no ``O_NOFOLLOW`` or ``dir_fd``, each step is ``lstat``-ed first.)
"""
from __future__ import annotations

import errno
import os
import stat

from ..model.errors import InvalidInput
from ..model.names import path_parts

_NOFOLLOW = getattr(os, "O_NOFOLLOW", 0)
_DIRECTORY = getattr(os, "O_DIRECTORY", 0)
_NONBLOCK = getattr(os, "O_NONBLOCK", 0)  # a FIFO put in place of a file must not block
_CLOEXEC = getattr(os, "O_CLOEXEC", 0)
_AT = bool(_NOFOLLOW and _DIRECTORY) and os.open in os.supports_dir_fd


class LinkRefused(InvalidInput):
    """A stored path is a symbolic link, or passes through one, or is no regular file."""

    def __init__(self, rel: str, what: str = "is a symbolic link") -> None:
        self.rel = rel
        super().__init__(f"{rel} {what}: svt never follows links in a store; replace it with"
                         " the real file (git rm the link, add the file) and run svt validate")


class NotRegular(LinkRefused):
    """A stored path that is a FIFO, a device or a folder, where a file should be."""

    def __init__(self, rel: str) -> None:
        super().__init__(rel, "is not a regular file")


def open_stored(root: str | os.PathLike, rel: str) -> int:
    """A read-only descriptor of the regular file ``root``/``rel`` (``rel``: a relative path
    with "/"), no symbolic link followed after ``root``. Raises :class:`LinkRefused` for a
    link or a file that is not regular, ``FileNotFoundError`` when it is missing."""
    parts = path_parts(rel)
    if parts is None:
        raise LinkRefused(rel if str(rel).isprintable() else repr(rel),
                          "is not a plain path inside the store")
    if not _AT:
        return _open_checked(str(root), rel, parts)
    fd = os.open(root, os.O_RDONLY | _DIRECTORY | _CLOEXEC)
    try:
        for i, part in enumerate(parts[:-1]):
            try:
                nxt = os.open(part, os.O_RDONLY | _DIRECTORY | _NOFOLLOW | _CLOEXEC, dir_fd=fd)
            except OSError as exc:
                if exc.errno in (errno.ELOOP, errno.ENOTDIR):
                    raise LinkRefused("/".join(parts[:i + 1]),
                                      "is a symbolic link (or not a folder)") from None
                raise
            os.close(fd)
            fd = nxt
        try:
            out = os.open(parts[-1], os.O_RDONLY | _NOFOLLOW | _NONBLOCK | _CLOEXEC, dir_fd=fd)
        except OSError as exc:
            if exc.errno == errno.ELOOP:
                raise LinkRefused(rel) from None
            raise
    finally:
        os.close(fd)
    return _regular(out, rel)


def _open_checked(root: str, rel: str, parts: list[str]) -> int:
    path = root
    for i, part in enumerate(parts):
        path = os.path.join(path, part)
        mode = os.lstat(path).st_mode
        if stat.S_ISLNK(mode):
            raise LinkRefused("/".join(parts[:i + 1]))
    return _regular(os.open(path, os.O_RDONLY | _NOFOLLOW | _NONBLOCK), rel)


def _regular(fd: int, rel: str) -> int:
    try:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            raise NotRegular(rel)
        if _NONBLOCK:  # reads block as usual from here on
            os.set_blocking(fd, True)
    except BaseException:
        os.close(fd)
        raise
    return fd


def read_stored(root: str | os.PathLike, rel: str, limit: int) -> bytes:
    """The bytes of a stored file (:func:`open_stored`), at most ``limit`` of them."""
    fd = open_stored(root, rel)
    with os.fdopen(fd, "rb") as fh:
        return fh.read(limit)
