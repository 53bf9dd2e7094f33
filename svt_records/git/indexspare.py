"""The index before last, kept to be written over: a new index without new memory.

When svt writes git's index in-process (staging.py), the new file needs as many pages of
memory as the index is long (10 MB at 10,000 components), and the file it replaces gives
as many back. On the virtual machine where svt's benchmarks run, writing 10 MB into a new
file took 24 ms in most runs of `svt add` (perf: the copy into new pages and their zeroing),
and 2 ms into the pages a file already has. So the index that a write replaces is not
freed: it is kept, under a
second name in svt's folder (``.git/svt/index-spare``), and the next write writes over it,
in its own pages, and renames it into place.

Writing over a file in place is safe only where nothing reads it: a git command that opened
the index just before it was replaced may still be reading the old file. So the spare is
written over only under a write lease, which the kernel grants only to the one open file
there is: no other process, and no other file of this one, has it open or mapped. The lease
is held until the new index is written and cut to its length: an open of the spare meanwhile
(by its name, which nothing but svt uses, or through /proc, or one already under way when the
lease was taken) waits until then and finds the new index whole. The spare is also refused
when it is not one plain file that is ours, with one name (a hard link made to it), on a
local file system (a FUSE or network file system's lease knows nothing of readers on other
machines). Whatever is refused, the write goes to a new file as git's does, and the index it
replaces becomes the spare.

A crash of svt leaves at worst a spare with part of an index in it, which is written over or
replaced next time: the index itself is only ever replaced whole, by a rename. A power cut is
another matter: like git, svt does not flush the index to disk before that rename, and ext4
flushes a new file renamed over another but not one written over, so after a power cut the
index may hold old and new blocks. git then says it is corrupt, and `rm .git/index && git
reset` makes it again from HEAD; no record is in it. With ``core.fsync`` set, which asks for
the index on disk, svt leaves the index to git. The spare costs a second index's room on disk:
10 MB at 10,000 components.
"""
from __future__ import annotations

import os
import sys
from pathlib import Path
from stat import S_ISREG

NAME = "index-spare"
_ASIDE = "index-spare.aside"  # the index being replaced, before it takes the spare's name
# File systems whose leases see every reader: local ones. A FUSE or network file system
# grants the kernel's lease without knowing of readers on other machines or in its server.
_LOCAL = frozenset({"ext2", "ext3", "ext4", "xfs", "btrfs", "f2fs", "tmpfs"})
_local_devices: dict[int, bool] = {}


def _leases() -> bool:
    """Whether this system has the write leases the spare's test needs (Linux): elsewhere
    no spare is kept, as it would never be written over."""
    return sys.platform.startswith("linux")


def _local(device: int) -> bool:
    """Whether ``device`` (an st_dev) is a local file system (``_LOCAL``), by the process's
    mount table."""
    if device not in _local_devices:
        wanted, kind = f"{os.major(device)}:{os.minor(device)}", None
        try:
            with open("/proc/self/mountinfo", encoding="utf-8", errors="replace") as fh:
                for line in fh:  # ID PARENT MAJOR:MINOR ROOT POINT OPTIONS... - TYPE ...
                    fields, _, rest = line.partition(" - ")
                    if fields.split(" ")[2:3] == [wanted]:
                        kind = rest.split(" ", 1)[0]
        except (OSError, IndexError):
            pass
        _local_devices[device] = kind in _LOCAL
    return _local_devices[device]


def open_spare(svt_dir: Path, index: os.stat_result) -> int | None:
    """The spare, opened for writing over and under a write lease, or None where it may not
    be written over (see above). ``index`` is the index being replaced. The lease holds
    until the file is closed: an open of it meanwhile (by its name, through /proc, or one
    under way before the lease) waits until then, and finds the new index whole."""
    if not _leases() or not _local(index.st_dev):
        return None
    try:
        fd = os.open(svt_dir / NAME, os.O_WRONLY | os.O_CLOEXEC | os.O_NOFOLLOW)
    except OSError:  # none yet, or a link: the write makes a new file
        return None
    try:
        st = os.fstat(fd)
        # one plain file like the index, with one name (so not the index's as well)
        if not S_ISREG(st.st_mode) or st.st_nlink != 1 or st.st_dev != index.st_dev \
                or st.st_uid != index.st_uid or st.st_mode != index.st_mode:
            raise OSError("not a spare")
        import fcntl
        import signal
        # a lease broken by another opener signals its holder, SIGIO by default, which
        # ends the process: SIGURG is ignored unless a program asks for it
        fcntl.fcntl(fd, fcntl.F_SETSIG, signal.SIGURG)
        fcntl.fcntl(fd, fcntl.F_SETLEASE, fcntl.F_WRLCK)  # EAGAIN: someone has it open
    except (OSError, ImportError, AttributeError):  # no leases here: no writing over
        os.close(fd)
        return None
    return fd


def set_aside(index: Path, st: os.stat_result, svt_dir: Path) -> bool:
    """Before ``index`` (whose stat is ``st``) is replaced: give it a second name, so that
    it is kept as the next spare (:func:`keep`); False where it cannot be (no hard links,
    no leases)."""
    aside = svt_dir / _ASIDE
    try:
        aside.unlink(missing_ok=True)  # left by a crash
        if not _leases() or not _local(st.st_dev):
            return False
        os.link(index, aside, follow_symlinks=False)
        return True
    except OSError:  # the old index is freed, as git frees it
        return False


def keep(kept: bool, svt_dir: Path) -> None:
    """After the index was replaced: the old one, set aside, becomes the spare."""
    if kept:
        try:
            os.replace(svt_dir / _ASIDE, svt_dir / NAME)
        except OSError:  # left aside: unlinked next time
            pass
