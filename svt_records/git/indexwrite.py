"""Updating git's index file in-process: the bytes ``git update-index --add`` (and
``--force-remove``) would write for the few paths an svt write commits, without a Python
loop over the 77,000 entries of 10,000 components in the common case: where each entry
begins is kept in ``.git/svt/`` and proven before use. git 2.39's rules (read-cache.c,
cache-tree.c; built without USE_NSEC): a staged entry matching its file's stat data
(seconds) and blob is left alone, and with nothing changed git does not write; a new or
changed entry holds the stat data (32 bits each), mode and blob; each added, replaced or
removed path invalidates the cache tree (TREE) on its way; an entry not older than the
index file whose stat data matches its file but not its content ("racily clean") gets size
0 at each write. This smudges a superset of git's (no filters run), which is safe.
Anything else gives None (git does it). Pure but for lstat()s and reads of racy files
(never through a symbolic link) and its cache file.
"""
from __future__ import annotations

import hashlib
import os
import re
import stat
import struct
from array import array
from bisect import bisect_left
from pathlib import Path
from typing import Callable, Mapping, NamedTuple, Sequence

from .indexcache import (Buffer, Table, Tree, Unhandled, joined, read_cache, shifted, walk,
                         write_cache)
from .config import GIT_FALSE, GIT_TRUE
from .indexfile import FLAGS_AT, HEADER, NAME_AT, STAT, pad
from .objects import _file_mode, _object_id

EMPTY_BLOB = bytes.fromhex("e69de29bb2d1d6434b8b29ae775ad8c2e48c5391")
_MAX_RACY_READ = 1 << 26  # bytes: a racy file larger than this is smudged unread


class Staged(NamedTuple):
    """A path svt committed and wrote to the work tree."""
    path: str  # repo-relative, '/'-separated, as git names it
    mode: int  # 0o100644, 0o100755 or 0o120000
    sha: bytes  # the 20-byte blob id committed (git hashes the file to it)
    st: os.stat_result  # os.lstat of the file, taken after it was written


# git writes otherwise with index.skipHash (zero trailer), core.splitIndex, index.version,
# index.threads 0, true or >1 (EOIE), index.recordEndOfIndexEntries and recordOffsetTable (EOIE,
# IEOT), feature.manyFiles (version 4, UNTR), feature.experimental (may imply either),
# core.untrackedCache true (UNTR), core.fsmonitor (FSMN), index.sparse and
# core.sparseCheckout (sdir, skip-worktree), core.ignoreStat (entries marked valid),
# core.ignoreCase, core.precomposeUnicode, core.protectHFS (names matched, rewritten or
# refused otherwise), core.fileMode, core.symlinks false (modes), core.trustCtime false,
# core.checkStat minimal (stat data matched otherwise), SHA-256 (ids and trailer).
_SETTINGS: dict[str, tuple[str, ...]] = {
    **dict.fromkeys((
        "index.skiphash", "core.splitindex", "index.recordendofindexentries",
        "index.recordoffsettable", "feature.manyfiles", "feature.experimental",
        "core.fsmonitor", "index.sparse", "core.sparsecheckout", "core.ignorestat",
        "core.ignorecase", "core.precomposeunicode", "core.protecthfs"), GIT_FALSE),
    **dict.fromkeys(("core.filemode", "core.symlinks", "core.trustctime"), GIT_TRUE),
    "index.version": ("2",), "index.threads": ("false", "no", "off", "1"),
    "core.untrackedcache": GIT_FALSE + ("keep",), "core.checkstat": ("default",),
    "extensions.objectformat": ("sha1",),
}


def allowed_by(config: Mapping[str, str]) -> bool:
    """False when a git setting makes git write the index differently (then git must do
    it). Keys in lower case as ``git config -l`` prints them; a boolean counts only when
    spelt out (an empty value may mean either)."""
    for key, fine in _SETTINGS.items():
        value = config.get(key)
        if value is not None and value.strip().lower() not in fine:
            return False
    return True


class Pieces(NamedTuple):
    """A new index file but its trailer: the pieces to write one after the other (the runs
    of unchanged entries are views of the old file, which may be an mmap: the new file is
    never joined in memory). The trailer is the SHA-1 of them all; ``keep(trailer)`` writes
    the table of the new file's entries to the cache (best effort). ``prepare()`` works the
    table out (keep does if it was not called): the caller's while the SHA-1 is taken on
    another thread."""
    body: list[bytes | memoryview]
    keep: Callable[[bytes], None]
    prepare: Callable[[], None]


def updated_pieces(data: Buffer, index_mtime_ns: int, root: Path, staged: Sequence[Staged],
                   removed: Sequence[str], cache_dir: Path | None) -> Pieces | Buffer | None:
    """What git's ``update-index --add`` of ``staged`` and ``--force-remove`` of ``removed``
    would write for the index file ``data`` (mtime ``index_mtime_ns``): the new file as
    :class:`Pieces` (the caller writes them and their SHA-1: staging._write_hashed, then
    ``keep``), ``data`` itself if git would not write, or None: the caller runs git."""
    try:
        return _Update(data, index_mtime_ns, root, cache_dir).run(staged, removed)
    except (Unhandled, ValueError, IndexError, OverflowError, struct.error):
        return None


class _Update:
    def __init__(self, data: Buffer, index_mtime_ns: int, root: Path,
                 cache_dir: Path | None) -> None:
        self.data, self.root, self.cache_dir = data, root, cache_dir
        self.index_sec = (index_mtime_ns // 1_000_000_000) & 0xFFFFFFFF
        if len(data) < HEADER + 20 or data[:8] != b"DIRC\0\0\0\2" or data[-20:] == bytes(20):
            raise Unhandled("not an index of version 2 with its SHA-1 (index.skipHash)")
        self.count = int.from_bytes(data[8:12], "big")
        cached = read_cache(cache_dir, data, self.count)
        table, trees, self.exact = cached if cached is not None else (None, {}, False)
        self.table = table or walk(data, self.count)
        self.payload = _extensions(data, self.table.end)
        self.tree: Tree | None = None
        if self.payload is not None:  # the cache's, if written for this file or this TREE
            self.tree = (next(iter(trees.values()), None) if self.exact else
                         trees.get(hashlib.sha1(self.payload).digest())) \
                or _parse_tree(self.payload)

    def name(self, i: int) -> bytes:
        at = self.table.starts[i] + NAME_AT
        return self.data[at:at + self.table.length(i)]

    def find(self, name: bytes) -> int:
        """The first entry named ``name`` or sorted after it."""
        return bisect_left(range(self.count), name, key=self.name)

    def entries_named(self, name: bytes) -> range:
        """The entries named ``name`` (at all stages)."""
        i = j = self.find(name)
        while j < self.count and self.name(j) == name:
            j += 1
        return range(i, j)

    def run(self, staged: Sequence[Staged], removed: Sequence[str]) -> Pieces | Buffer:
        names = [_encoded(s.path) for s in staged]
        gone = [_encoded(p) for p in removed]
        if len(set(names) | set(gone)) != len(names) + len(gone):
            raise Unhandled("a path twice")
        folders = {n[:k] for n in names for k in range(len(n)) if n[k] == 0x2F}
        if folders & set(names):
            raise Unhandled("a staged path is a folder of another")
        edits: dict[int, bytes | None] = {}  # entry number: new bytes (None: dropped)
        inserts: list[tuple[int, bytes, bytes]] = []  # (before entry, name, bytes)
        invalid: list[bytes] = list(gone)
        keep: set[int] = set()  # entries that are up to date, or checked by the caller
        for item, name in zip(staged, names):
            entry = self.staged_entry(item, name)
            found = self.entries_named(name)
            if len(found) > 1 or any(self.table.flags[2 * i] & 0xF0 for i in found):
                raise Unhandled("a conflict or flag on a staged path")
            if found:
                if not self.changed(found[0], item):
                    keep.add(found[0])
                    continue
                edits[found[0]] = entry
            else:
                self.no_folder_conflict(name)
                inserts.append((found.start, name, entry))
            invalid.append(name)
        for name in gone:
            found = self.entries_named(name)
            if any(self.table.flags[2 * i] & 0xF0 for i in found):
                raise Unhandled("a conflict or flag on a removed path")
            edits.update((i, None) for i in found)
        tree_changed = self.invalidate(invalid)
        if not edits and not inserts and not tree_changed:
            if not self.exact:  # kept for the next write
                write_cache(self.cache_dir, (len(self.data), self.data[-20:]), self.count,
                             self.table, self.tree,
                         self.payload or b"")
            return self.data  # git does not write the index
        smudged = self.racily_clean(keep | set(edits))
        return self.write(edits, sorted(inserts), smudged)

    def staged_entry(self, item: Staged, name: bytes) -> bytes:
        st = item.st
        mode = 0o120000 if stat.S_ISLNK(st.st_mode) else int(_file_mode(st.st_mode), 8)
        if not (stat.S_ISLNK(st.st_mode) or stat.S_ISREG(st.st_mode)) or mode != item.mode \
                or len(item.sha) != 20 or len(name) >= 0xFFF:
            raise Unhandled("a mode or name git would stage differently")
        if not _folders_are_real(self.root, name):
            raise Unhandled("a path beyond a symbolic link")
        fields = (*divmod(st.st_ctime_ns, 1_000_000_000), *divmod(st.st_mtime_ns, 1_000_000_000),
                  st.st_dev, st.st_ino, mode, st.st_uid, st.st_gid, st.st_size)
        return struct.pack(">10I20sH", *(v & 0xFFFFFFFF for v in fields), item.sha, len(name)) \
            + name + bytes(pad(len(name)))

    def changed(self, i: int, item: Staged) -> bool:
        """git's ie_match_stat of the old entry and the staged file (racy entries compared
        by blob: the caller says the file hashes to ``item.sha``)."""
        old = self.data[self.table.starts[i]:self.table.starts[i] + STAT + 20]
        racy = self.index_sec and int.from_bytes(old[8:12], "big") >= self.index_sec
        return _stat_differs(old, item.st) or (bool(racy) and old[STAT:] != item.sha)

    def no_folder_conflict(self, name: bytes) -> None:
        for k, byte in enumerate(name):
            if byte == 0x2F and self.entries_named(name[:k]):
                raise Unhandled("a file where a staged path needs a folder")
        i = self.find(name + b"/")
        if i < self.count and self.name(i).startswith(name + b"/"):
            raise Unhandled("files under a staged path")

    def invalidate(self, paths: list[bytes]) -> bool:
        """git's cache_tree_invalidate_path for each of ``paths``: every folder on the way
        loses its tree id (entry count -1), a subtree named like the path is dropped (the
        result does not depend on the order of the paths). False without a cache tree."""
        self.tree_invalid: set[int] = set()
        self.tree_dropped: set[int] = set()
        if self.tree is None or not paths:
            return False
        for path in paths:
            node, parts = 0, path.split(b"/")
            for k, part in enumerate(parts):
                self.tree_invalid.add(node)
                child = self.subtree(node, part)
                if child is None:
                    break
                if k == len(parts) - 1:
                    self.tree_dropped.add(child)
                node = child
        return True

    def subtree(self, node: int, name: bytes) -> int | None:
        """The child of ``node`` named ``name``: found by searching the node's bytes for the
        name, a hit counting only where a node one level down begins."""
        tree, payload = self.tree, self.payload
        assert tree is not None and payload is not None
        after = node + 1 + tree.below[node]
        end = tree.starts[after] if after < len(tree.starts) else len(payload)
        depth = tree.depth[node] + 1
        at = payload.find(name + b"\0", tree.starts[node])
        while 0 <= at < end:
            k = bisect_left(tree.starts, at)
            if k < len(tree.starts) and tree.starts[k] == at and tree.depth[k] == depth:
                return k
            at = payload.find(name + b"\0", at + 1)
        return None

    def racily_clean(self, skip: set[int]) -> list[int]:
        """The entries git would find racily clean at this write (a superset): to smudge."""
        mtimes, sec = self.table.mtimes, self.index_sec
        if not sec or not mtimes or self.table.top < sec:
            return []
        entries = {i: self.data[self.table.starts[i]:self.table.starts[i] + NAME_AT]
                   for i in _at_least(mtimes, sec, self.table.top) if i not in skip}
        return [i for i, entry in entries.items()  # a gitlink (160000) is never racy
                if entry[24:28] != b"\0\0\xe0\0" and _racily_clean(self.root, self.name(i), entry)]

    def write(self, edits: dict[int, bytes | None], inserts: list[tuple[int, bytes, bytes]],
              smudged: list[int]) -> Pieces:
        """The new file (the unchanged runs of entries copied as they are); its table is
        worked out later (``Pieces.prepare``: 1 ms at 77,000 entries), not on the way to
        the file's bytes."""
        data, table, n = memoryview(self.data), self.table, self.count
        for i in smudged:
            at = table.starts[i]
            edits[i] = b"".join((data[at:at + 36], bytes(4), data[at + 40:at + table.size(i)]))
        changes = sorted([(i, 0, new) for i, new in edits.items()]
                         + [(i, -1, new) for i, _, new in inserts], key=lambda c: c[:2])
        pieces: list[bytes | memoryview] = [data[:8], b""]
        runs: list[tuple[int, int, int, bytes | None]] = []  # (first, stop, shift, entry after)
        previous, shift, count = 0, 0, n
        for i, kind, new in changes + [(n, 1, None)]:
            pieces.append(data[table.at(previous):table.at(i)])
            run = (previous, i, shift)
            if kind > 0:
                runs.append((*run, None))
                break
            previous = i + 1 + kind
            if new is not None:
                pieces.append(new)
            runs.append((*run, new))
            count += (new is not None) - (kind == 0)
            shift += len(new or b"") - (0 if kind < 0 else table.size(i))
        pieces[1] = count.to_bytes(4, "big")
        tree_bytes, new_tree = self.new_tree()
        pieces.append(tree_bytes)
        size, end = sum(map(len, pieces)) + 20, table.end + shift
        made: list[Table] = []

        def prepare() -> None:
            if not made:
                made.append(_table_after(table, runs, end))

        def keep(trailer: bytes) -> None:
            prepare()
            write_cache(self.cache_dir, (size, trailer), count, made[0], new_tree,
                        tree_bytes[8:])
        return Pieces(pieces, keep, prepare)

    def new_tree(self) -> tuple[bytes, Tree | None]:
        """The TREE extension after the invalidations, and its table of nodes; the runs of
        nodes between those changed are copied as they are."""
        tree, payload = self.tree, self.payload
        if tree is None or payload is None:
            return b"", None
        n = len(tree.starts)

        def start(k: int) -> int:
            return tree.starts[k] if k < n else len(payload)

        def within(k: int, d: int) -> bool:  # d is in k's subtree, below k
            return k < d <= k + tree.below[k]

        top = [d for d in self.tree_dropped if not any(within(e, d) for e in self.tree_dropped)]
        invalid = {k for k in self.tree_invalid if not any(d <= k <= d + tree.below[d]
                                                           for d in top)}
        pieces, starts, below, depth = [], [], [], []
        previous, shift = 0, 0
        for k in sorted(invalid | set(top)) + [n]:
            pieces.append(payload[start(previous):start(k)])
            starts.append(shifted(tree.starts[previous:k], shift))
            below.append(tree.below[previous:k])
            depth.append(tree.depth[previous:k])
            if k == n:
                break
            if k in top:
                previous = k + 1 + tree.below[k]
                shift -= start(previous) - start(k)
                continue
            name_end = payload.index(b"\0", start(k))
            line_end = payload.index(b"\n", name_end)
            count, subs = payload[name_end + 1:line_end].split(b" ")
            kids = int(subs) - sum(1 for d in top if within(k, d)
                                   and tree.depth[d] == tree.depth[k] + 1)
            header = payload[start(k):name_end + 1] + b"-1 %d\n" % kids
            old_end = line_end + 1 + (0 if count == b"-1" else 20)
            if old_end != start(k + 1):
                raise Unhandled("a cache tree node out of place")
            pieces.append(header)
            starts.append(array("I", [start(k) + shift]))
            below.append(array("I", [tree.below[k] - sum(1 + tree.below[d] for d in top
                                                          if within(k, d))]))
            depth.append(array("H", [tree.depth[k]]))
            shift += len(header) - (old_end - start(k))
            previous = k + 1
        new_payload = b"".join(pieces)
        return (b"TREE" + len(new_payload).to_bytes(4, "big") + new_payload,
                Tree(joined(starts), joined(below), joined(depth)))


def _table_after(table: Table, runs: list[tuple[int, int, int, bytes | None]],
                 end: int) -> Table:
    """The new file's table: each run of old entries ``[first, stop)`` moved by ``shift``
    bytes, then the new entry written after it, if any (it begins where the run ends)."""
    starts, flags, mtimes, top = [], [], [], table.top
    for first, stop, shift, new in runs:
        starts.append(shifted(table.starts[first:stop], shift))
        flags.append(table.flags[2 * first:2 * stop])
        mtimes.append(table.mtimes[first:stop])
        if new is not None:
            starts.append(array("I", [table.at(stop) + shift]))
            flags.append(new[FLAGS_AT:NAME_AT])
            mtimes.append(array("I", [int.from_bytes(new[8:12], "big")]))
            top = max(top, mtimes[-1][0])
    return Table(joined(starts), b"".join(flags), joined(mtimes), end, top)


def _encoded(path: str) -> bytes:
    """The path's bytes, or Unhandled for one git would refuse or treat specially
    (verify_path; conservative: anything like .git on NTFS or HFS)."""
    name = path.encode("utf-8", "surrogateescape")
    for part in name.split(b"/"):
        if part in (b"", b".", b"..") or part.lower().startswith((b".git", b"git~")) \
                or b"\\" in part or b":" in part or b"\0" in part \
                or part.endswith((b" ", b".")):
            raise Unhandled(f"a path git treats specially: {path!r}")
    return name


def _folders_are_real(root: Path, name: bytes) -> bool:
    """Whether every folder on the way to ``name`` is one (not a link, not missing)."""
    at = os.fsencode(root)
    try:
        for part in name.split(b"/")[:-1]:
            at += b"/" + part
            if not stat.S_ISDIR(os.lstat(at).st_mode):
                return False
    except OSError:
        return False
    return True


def _stat_differs(entry: bytes, st: os.stat_result) -> bool:
    """git's ce_match_stat_basic (no USE_NSEC, no USE_STDEV) of an entry and ``st``."""
    ctime, mtime, _, ino, mode, uid, gid, size = struct.unpack_from(">I4xI4x6I", entry)
    kind = mode & 0o170000
    if (kind == 0o100000 and (not stat.S_ISREG(st.st_mode) or (mode ^ st.st_mode) & 0o100)) \
            or (kind == 0o120000 and not stat.S_ISLNK(st.st_mode)) \
            or kind not in (0o100000, 0o120000):
        return True
    now = (st.st_ctime_ns // 1_000_000_000, st.st_mtime_ns // 1_000_000_000, st.st_ino,
           st.st_uid, st.st_gid, st.st_size)
    if (ctime, mtime, ino, uid, gid, size) != tuple(v & 0xFFFFFFFF for v in now):
        return True
    return size == 0 and entry[STAT:STAT + 20] != EMPTY_BLOB


def _racily_clean(root: Path, name: bytes, entry: bytes) -> bool:
    """Whether a racy entry is to be smudged: its stat data matches its file's but not its
    content; or the file is beyond a symbolic link (smudging is always safe)."""
    path = os.fsencode(root) + b"/" + name
    try:
        st = os.lstat(path)
    except OSError:
        return False  # git's lstat fails too: it leaves the entry
    if not _folders_are_real(root, name):
        return True
    if _stat_differs(entry, st):
        return False
    try:
        if stat.S_ISLNK(st.st_mode):
            return _blob_id(os.readlink(path)) != entry[STAT:STAT + 20]
        with open(os.open(path, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0)), "rb") as fh:
            content = fh.read(_MAX_RACY_READ + 1)
            return len(content) > _MAX_RACY_READ or os.fstat(fh.fileno()).st_ino != st.st_ino \
                or _blob_id(content) != entry[STAT:STAT + 20]
    except OSError:
        return True


def _blob_id(content: bytes) -> bytes:
    return bytes.fromhex(_object_id(b"blob", content)[1])


def _at_least(values: array, floor: int, top: int) -> list[int]:
    """The positions of ``values`` (none above ``top``) not below ``floor``: when the values
    to look for are few, each one's bytes are searched for in the array's (bytes.find:
    0.3 ms at 77,000 entries, where array.index, which compares Python ints, takes 1.5 ms
    to look through them), a hit counting where an item begins."""
    if top - floor > 64:
        return [i for i, v in enumerate(values) if v >= floor]
    raw, size, out = values.tobytes(), values.itemsize, []
    for value in range(floor, top + 1):
        needle = array(values.typecode, [value]).tobytes()
        at = raw.find(needle)
        while at >= 0:
            if at % size:
                at = raw.find(needle, at + 1)
                continue
            out.append(at // size)
            at = raw.find(needle, at + size)
    return sorted(out)


def _extensions(data: Buffer, at: int) -> bytes | None:
    """The TREE extension's payload, if there is one; Unhandled for any other extension."""
    stop, payload = len(data) - 20, None
    while at < stop:
        signature, size = data[at:at + 4], int.from_bytes(data[at + 4:at + 8], "big")
        if at + 8 + size > stop or signature != b"TREE" or payload is not None:
            raise Unhandled(f"index extension {signature!r}")
        payload, at = data[at + 8:at + 8 + size], at + 8 + size
    return payload


_NODE = re.compile(rb"([^\0/]*)\0(-1|0|[1-9][0-9]{0,8}) (0|[1-9][0-9]{0,8})\n")


def _parse_tree(payload: bytes) -> Tree:
    """The nodes of a TREE payload as git writes it (cache-tree.c write_one): the path
    component, NUL, entry count (-1: invalid), space, number of subtrees, newline, the tree
    id unless invalid, then the subtrees sorted by name length, then name."""
    starts, below, depth = array("I"), array("I"), array("H")
    stack: list[list] = []  # [node, subtrees still to come, the last one's sort key]
    at, match = 0, _NODE.match
    while at < len(payload):
        found = match(payload, at)
        if found is None:
            raise Unhandled("a cache tree node git would not write")
        name = found.group(1)
        if stack:
            if not name or (len(name), name) <= stack[-1][2]:
                raise Unhandled("cache subtrees out of order")
            stack[-1][1:] = [stack[-1][1] - 1, (len(name), name)]
        elif starts or name:
            raise Unhandled("not one root")
        starts.append(at)
        below.append(0)
        depth.append(len(stack))
        at = found.end() + (0 if found.group(2) == b"-1" else 20)
        stack.append([len(starts) - 1, int(found.group(3)), (0, b"")])
        while stack and stack[-1][1] == 0:
            node = stack.pop()[0]
            below[node] = len(starts) - 1 - node
    if stack or at != len(payload):
        raise Unhandled("a cache tree cut short")
    return Tree(starts, below, depth)
