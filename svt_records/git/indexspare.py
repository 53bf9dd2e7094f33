"""The index before last, kept to be written over: a new index without new memory.

When svt writes git's index in-process (staging.py), the new file needs as many pages of
memory as the index is long (10 MB at 10,000 components), and the file it replaces gives
as many back. Getting fresh pages and freeing old ones is most of what the write costs:
3 ms for 10 MB on pages the kernel has at hand, 20-25 ms where it must first find them (a
virtual machine whose host takes back the pages its guest frees, which is where svt's
benchmarks run). So the index that a write replaces is not freed: it is kept, under a
second name in svt's folder (``.git/svt/index-spare``), and the next write writes over it,
in its own pages, and renames it into place.

Writing over a file in place is safe only where nothing reads it: a git command that opened
the index just before it was replaced may still be reading the old file. So the spare is
written over only if the kernel grants a write lease on it, which it grants only to the one
open file there is: no other process, and no other file of this one, has it open or mapped.
The lease is let go at once (it is a test, not a hold): from then on the spare can be opened
only by its name, which nothing but svt uses, and svt only under git's ``index.lock``. The
spare is also refused when it is not one plain file that is ours, with one name (a hard link
made to it) on the index's file system. Whatever is refused, the write goes to a new file as
git's does, and the index it replaces becomes the spare.

A crash leaves at worst a spare with part of an index in it, which is written over or
replaced next time: the index itself is only ever replaced whole, by a rename. (Like git,
svt does not flush the index to disk before that rename; with ``core.fsync`` set, which asks
for it, svt leaves the index to git.) The spare costs a second index's room on disk: 10 MB
at 10,000 components.
"""
from __future__ import annotations

import os
import sys
from pathlib import Path
from stat import S_ISREG

NAME = "index-spare"
_ASIDE = "index-spare.aside"  # the index being replaced, before it takes the spare's name


def _leases() -> bool:
    """Whether this system has the write leases the spare's test needs (Linux): elsewhere
    no spare is kept, as it would never be written over."""
    return sys.platform.startswith("linux")


def open_spare(svt_dir: Path, index: os.stat_result) -> int | None:
    """The spare, opened for writing over, or None where it may not be (see above).
    ``index`` is the index being replaced."""
    if not _leases():
        return None
    try:
        fd = os.open(svt_dir / NAME, os.O_WRONLY | os.O_CLOEXEC | getattr(os, "O_NOFOLLOW", 0))
    except OSError:  # none yet, or a link: the write makes a new file
        return None
    try:
        st = os.fstat(fd)
        if not S_ISREG(st.st_mode) or st.st_nlink != 1 or st.st_dev != index.st_dev \
                or st.st_ino == index.st_ino or st.st_uid != index.st_uid \
                or st.st_mode != index.st_mode:
            raise OSError("not a spare")
        import fcntl
        import signal
        # a lease broken by another opener signals its holder, SIGIO by default, which
        # ends the process: SIGURG is ignored unless a program asks for it
        fcntl.fcntl(fd, fcntl.F_SETSIG, signal.SIGURG)
        fcntl.fcntl(fd, fcntl.F_SETLEASE, fcntl.F_WRLCK)  # EAGAIN: someone has it open
        fcntl.fcntl(fd, fcntl.F_SETLEASE, fcntl.F_UNLCK)
    except (OSError, ImportError, AttributeError):  # no leases here: no writing over
        os.close(fd)
        return None
    return fd


def put_in_place(written: Path, index: Path, svt_dir: Path) -> None:
    """Rename ``written`` (git's index.lock, or the spare written over) over the index; the
    index it replaces takes the spare's name, where its file system allows a second name."""
    aside, spare = svt_dir / _ASIDE, svt_dir / NAME
    kept = _leases()
    try:
        aside.unlink(missing_ok=True)  # left by a crash
        if kept:
            os.link(index, aside, follow_symlinks=False)
    except OSError:  # no hard links here: the old index is freed, as git frees it
        kept = False
    os.replace(written, index)
    if kept:
        try:
            os.replace(aside, spare)
        except OSError:  # left aside: unlinked next time
            pass
